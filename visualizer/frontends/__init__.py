"""Front ends: thin layers over scene, drawing and encoding.

The ``lossviz`` command, the gallery, the Sphinx directive and the Python and
notebook API (:func:`visualizer.animate`).
"""
