"""Drawing: a :class:`~visualizer.maths.recorder.Recording` into ``uint8`` frames.

The layers of a frame (the contour and 3D views, panels, the gradient field), their
layout, geometry and theme, and the renderer that yields frames. Knows nothing of
files. Imports point down only, to the scene, the maths and :mod:`surfaces`.
"""
