"""The :class:`Surface` type shared by every surface definition.

A surface is plain data plus two pure numpy functions. ``f`` takes an array of
shape ``(2, ...)`` (``x`` stacked on ``y``) and returns the loss with shape
``(...)``; ``grad`` returns the gradient with shape ``(2, ...)``. Both
broadcast over grids, like ``scipy.optimize.rosen``::

    X, Y = np.meshgrid(np.linspace(-2, 2, 50), np.linspace(-1, 3, 50))
    Z = surface.f(np.stack([X, Y]))
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from surfaces.model import Landscape

Array = np.ndarray
ScalarField = Callable[[Array], Array]
VectorField = Callable[[Array], Array]
TensorField = Callable[[Array], Array]


def xy(p: Array) -> tuple[Array, Array]:
    """Split ``p`` of shape ``(2, ...)`` into ``x`` and ``y`` (as floats).

    Examples
    --------
    >>> x, y = xy([[1, 2], [3, 4]])
    >>> x.tolist(), y.tolist()
    ([1.0, 2.0], [3.0, 4.0])
    """
    p = np.asarray(p, dtype=float)
    if p.shape[:1] != (2,):
        raise ValueError(f"expected an array of shape (2, ...), got {p.shape}")
    return p[0], p[1]


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


class _LazyPreset:
    """The ``Surface.preset`` field: a :class:`Preset`, or a function computed on first read.

    A preset found by a search (the ravine's, an expression's) costs far more than
    the rest of its surface, and many surfaces are built without their preset ever
    being read (a scene with its own optimizers, a trace with explicit specs), so
    ``Surface(preset=lambda: ...)`` defers it; readers always see a :class:`Preset`.
    """

    def __set_name__(self, owner: type, name: str) -> None:
        self.slot = f"_{name}"

    def __get__(self, instance: Any, owner: type | None = None) -> Preset:
        if instance is None:
            raise AttributeError  # no class-level default: the field stays required
        value = instance.__dict__[self.slot]
        if not isinstance(value, Preset):
            value = value()
            instance.__dict__[self.slot] = value
        return value

    def __set__(self, instance: Any, value: Preset | Callable[[], Preset]) -> None:
        instance.__dict__[self.slot] = value


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
    samples
        The samples themselves (a :class:`~surfaces.regression.RegressionData` or
        :class:`~surfaces.logistic.LogisticData`), for readers that redo the maths
        elsewhere (the explore page); ``None`` if not given.
    """

    n_samples: int
    batch_grad: Callable[[Array, Array], Array]
    samples: Any = None


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
        Default optimizers and steps for the default animation. May be given as a
        function returning the :class:`Preset`, which then runs on first read.
    params
        The surface's parameters after defaults were applied (``{"kappa": 20.0}``),
        the spec's text values (``data``, a data file's path) as text: with the name,
        they build the surface again.
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
    hess
        The analytic Hessian, ``(2, ...) -> (2, 2, ...)``; broadcasts. ``None``:
        :func:`surfaces.hessian.hessian` takes central differences of ``grad``.
    model
        For a model surface (:mod:`surfaces.model`): the network, its data and how
        to choose the plane. ``f`` and ``grad`` then work on the flat parameter
        vector, and the recorder draws the loss on a plane through it.
    """

    name: str
    title: str
    formula: str
    f: ScalarField
    grad: VectorField
    window: tuple[float, float, float, float]
    start: tuple[float, float]
    minima: tuple[tuple[float, float], ...]
    preset: Preset = _LazyPreset()  # type: ignore[assignment]
    params: Mapping[str, float | str] = field(default_factory=dict)
    log_levels: bool = False
    dataset: Dataset | None = None
    labels: tuple[str, str] = ("x", "y")
    log_height: bool = False
    camera: tuple[float, float] = (38.0, -62.0)
    model: Landscape | None = None
    hess: TensorField | None = None

    def replace(self, **changes: Any) -> Surface:
        """A copy with ``changes``, as :func:`dataclasses.replace` makes one, except that a
        preset not yet computed stays a function (``dataclasses.replace`` reads every
        field, and would compute it).

        Examples
        --------
        >>> calls = []
        >>> s = Surface("s", "S", "", abs, abs, (0, 1, 0, 1), (0, 0), (),
        ...             preset=lambda: calls.append(1) or Preset(("gd",), 1, ""))
        >>> t = s.replace(window=(0, 2, 0, 2))
        >>> len(calls), t.window, t.preset.steps, len(calls)
        (0, (0, 2, 0, 2), 1, 1)
        """
        if "preset" not in changes:
            changes["preset"] = self.__dict__[type(self).__dict__["preset"].slot]
        return dataclasses.replace(self, **changes)

    def loss(self, point: Array) -> float:
        """Loss at a single point of shape ``(2,)`` as a Python float."""
        return float(self.f(np.asarray(point, dtype=float)))
