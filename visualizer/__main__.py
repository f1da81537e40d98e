"""``python -m visualizer`` runs the ``lossviz`` command."""

from visualizer.frontends._launch import run

run()
