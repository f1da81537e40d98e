"""pytest, for the doctests of the packages: skip a module whose optional extra is missing."""

import importlib.util

# visualizer/sphinxext.py needs Sphinx (lossviz[sphinx]); its tests skip without it too.
collect_ignore = [] if importlib.util.find_spec("sphinx") else ["visualizer/sphinxext.py"]
