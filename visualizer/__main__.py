"""``python -m visualizer`` runs the ``lossviz`` command."""

from visualizer.cli import run

run()
