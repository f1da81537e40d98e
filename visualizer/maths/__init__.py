"""The maths of a race: optimizers, their specs and schedules, and the recorders.

Pure numpy: no plotting, no I/O (``tests/test_purity.py`` pins it). Imports point
down only, to :mod:`surfaces`.
"""
