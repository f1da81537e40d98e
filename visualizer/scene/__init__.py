"""Scenes: the one option table, :class:`~visualizer.scene.scene.Scene`, scene files,
and the gallery's scene files (``gallery/*.toml``).

Imports point down only, to :mod:`visualizer.maths` and :mod:`surfaces`.
"""
