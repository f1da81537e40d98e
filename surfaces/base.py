"""The :class:`Surface` type shared by every surface definition.

A surface is plain data plus two pure numpy functions. ``f`` takes an array of
shape ``(2, ...)`` (``x`` stacked on ``y``) and returns the loss with shape
``(...)``; ``grad`` returns the gradient with shape ``(2, ...)``. Both
broadcast over grids, like ``scipy.optimize.rosen``::

    X, Y = np.meshgrid(np.linspace(-2, 2, 50), np.linspace(-1, 3, 50))
    Z = surface.f(np.stack([X, Y]))
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np

Array = np.ndarray
ScalarField = Callable[[Array], Array]
VectorField = Callable[[Array], Array]


@dataclass(frozen=True)
class Preset:
    """Default scene for a surface: what the default animation runs.

    Attributes
    ----------
    optimizers
        Optimizer spec strings (``"momentum:lr=0.01,beta=0.9"``), in legend order.
    steps
        Number of optimizer steps.
    note
        One line on what the preset shows and how its learning rates were chosen.
    """

    optimizers: tuple[str, ...]
    steps: int
    note: str = ""


@dataclass(frozen=True)
class Dataset:
    """Samples behind a data-driven surface, for real minibatch gradients.

    Attributes
    ----------
    n_samples
        Number of samples ``N``.
    batch_grad
        ``batch_grad(params, indices)`` returns the gradient, shape ``(2,)``, of the
        mean loss over the samples ``indices`` at ``params`` (shape ``(2,)``).
    """

    n_samples: int
    batch_grad: Callable[[Array, Array], Array]


@dataclass(frozen=True)
class Surface:
    """A 2-parameter loss surface.

    Attributes
    ----------
    name
        Registry name (``"ravine"``) or the expression text for expression surfaces.
    title
        Human title (``"Narrow ravine"``).
    formula
        matplotlib mathtext for titles and legends, including the ``$`` signs.
    f
        Loss, ``(2, ...) -> (...)``; broadcasts.
    grad
        Gradient, ``(2, ...) -> (2, ...)``; broadcasts.
    window
        Default view ``(xmin, xmax, ymin, ymax)``.
    start
        Default start point ``(x, y)``.
    minima
        Known local/global minima ``((x, y), ...)``; may be empty.
    preset
        Default optimizers and steps for the default animation.
    params
        The surface's parameters after defaults were applied (``{"kappa": 20.0}``).
    log_levels
        Whether contour levels should be log-spaced (large dynamic range).
    dataset
        Samples for real minibatch SGD, or ``None`` for analytic surfaces.
    labels
        Names of the two parameters, for axis labels.
    log_height
        Whether the 3D view draws ``log10(1 + f − f_min)`` instead of ``f`` (for
        surfaces whose range would otherwise flatten everything but one spike).
    camera
        Default 3D camera ``(elevation, azimuth)`` in degrees, chosen so the
        interesting part of the surface is not hidden.
    """

    name: str
    title: str
    formula: str
    f: ScalarField
    grad: VectorField
    window: tuple[float, float, float, float]
    start: tuple[float, float]
    minima: tuple[tuple[float, float], ...]
    preset: Preset
    params: Mapping[str, float] = field(default_factory=dict)
    log_levels: bool = False
    dataset: Dataset | None = None
    labels: tuple[str, str] = ("x", "y")
    log_height: bool = False
    camera: tuple[float, float] = (38.0, -62.0)

    def loss(self, point: Array) -> float:
        """Loss at a single point of shape ``(2,)`` as a Python float."""
        return float(self.f(np.asarray(point, dtype=float)))
