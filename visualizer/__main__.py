"""``python -m visualizer`` runs the ``lossviz`` command."""

from visualizer.frontends.cli import run

run()
