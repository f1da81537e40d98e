"""lossviz: animated loss surfaces.

The public API is :func:`animate` (see :mod:`visualizer.frontends.animation`). It is
imported lazily, so the maths modules (``visualizer.maths.optimizers``,
``visualizer.maths.recorder``) can be used without loading matplotlib.

>>> from visualizer import animate
>>> anim = animate("bowl", ["gd:lr=0.2"], steps=5, size=(160, 90))
>>> anim.n_frames
6
"""

__all__ = ["Animation", "SpecError", "animate"]


def __getattr__(name: str) -> object:
    if name == "SpecError":  # here, not at import: the command's entry point stays light
        from surfaces.errors import SpecError

        return SpecError
    if name in ("Animation", "animate"):
        from visualizer.frontends import animation

        return getattr(animation, name)
    raise AttributeError(f"module 'visualizer' has no attribute {name!r}")
