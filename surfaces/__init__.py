"""Loss surfaces for lossviz: pure numpy, no plotting, no I/O.

Get one by name, with optional parameters, or as an expression in ``x`` and ``y``:

>>> import numpy as np
>>> from surfaces import get_surface
>>> ravine = get_surface("ravine:kappa=50")
>>> ravine.params["kappa"]
50.0
>>> float(ravine.f(np.array([1.0, 1.0])))
25.5
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from types import MappingProxyType

import numpy as np

from surfaces import analytic as a
from surfaces import logistic
from surfaces.base import Dataset, Preset, Surface
from surfaces.errors import SpecError, did_you_mean
from surfaces.mlp import DATASETS
from surfaces.model import mlp_surface
from surfaces.params import Param, split_spec
from surfaces.plane import PLANES
from surfaces.regression import DEFAULT_NOISE, RegressionData, make_data
from surfaces.tuning import RAVINE_START, ravine_best_lrs

__all__ = [
    "SURFACES",
    "Dataset",
    "Preset",
    "SpecError",
    "Surface",
    "SurfaceType",
    "get_surface",
    "surface_names",
]


@dataclass(frozen=True)
class SurfaceType:
    """A named family of surfaces and how to build one from its parameters."""

    name: str
    summary: str
    params: tuple[Param, ...]
    build: Callable[..., Surface]
    data_file: bool = False
    """Whether it takes ``data=FILE`` (two columns), replacing its generated dataset."""


def _bowl() -> Surface:
    return Surface(
        name="bowl",
        title="Bowl",
        formula=r"$f(x,y) = \frac{1}{2}(x^2 + y^2)$",
        f=a.bowl,
        grad=a.bowl_der,
        hess=a.bowl_hess,
        window=(-5.0, 5.0, -3.2, 3.2),
        start=(-4.0, 2.5),
        minima=((0.0, 0.0),),
        preset=Preset(
            optimizers=("gd:lr=0.1", "sgd:lr=0.1,noise=1", "momentum:lr=0.1,beta=0.9"),
            steps=60,
            note="same lr=0.1 for every optimizer",
        ),
    )


def _ravine_preset(kappa: float) -> Preset:
    gd_lr, mom_lr = ravine_best_lrs(kappa)
    return Preset(
        optimizers=(
            f"gd:lr={gd_lr:.3g}",
            f"sgd:lr={gd_lr:.3g},noise=2",
            f"momentum:lr={mom_lr:.3g},beta=0.9",
            f"gd:lr={mom_lr / (1 - 0.9):.3g},control=true",
        ),
        steps=120,
        note=(
            "gd, sgd, momentum each at its own best lr (brute force); "
            "gd at momentum's lr/(1−β) as a control"
        ),
    )


def _ravine(kappa: float) -> Surface:
    return Surface(
        name="ravine",
        title="Narrow ravine" if kappa >= 10 else "Elongated bowl",
        formula=r"$f(x,y) = \frac{{1}}{{2}}(x^2 + {}\,y^2)$".format(f"{kappa:g}"),
        f=partial(a.ravine, kappa=kappa),
        grad=partial(a.ravine_der, kappa=kappa),
        hess=partial(a.ravine_hess, kappa=kappa),
        window=(-4.5, 4.5, -2.4, 2.4),
        start=RAVINE_START,
        minima=((0.0, 0.0),),
        preset=partial(_ravine_preset, kappa),
        params={"kappa": kappa},
        log_levels=True,
        camera=(35.0, -160.0),
    )


def _saddle() -> Surface:
    return Surface(
        name="saddle",
        title="Saddle point",
        formula=r"$f(x,y) = \frac{x^4}{4} - \frac{x^2}{2} + 2y^2$",
        f=a.saddle,
        grad=a.saddle_der,
        hess=a.saddle_hess,
        window=(-2.0, 2.0, -1.5, 1.5),
        start=(0.001, 1.2),
        minima=((-1.0, 0.0), (1.0, 0.0)),
        preset=Preset(
            optimizers=(
                "gd:lr=0.1",
                "sgd:lr=0.1,noise=0.05",
                "momentum:lr=0.1,beta=0.9",
                "gd:lr=1,control=true",
            ),
            steps=120,
            note="same lr=0.1; gd at momentum's lr/(1−β) = 1 as a control",
        ),
    )


def _local_minimum() -> Surface:
    return Surface(
        name="local-minimum",
        title="Shallow local minimum",
        formula=r"$f(x,y) = \frac{(x^2-4)^2}{16} + 0.3\,x + 5y^2$",
        f=a.local_minimum,
        grad=a.local_minimum_der,
        hess=a.local_minimum_hess,
        window=(-3.5, 4.5, -1.5, 1.5),
        start=(4.0, 1.0),
        minima=a.local_minimum_minima(),
        camera=(35.0, -100.0),
        preset=Preset(
            optimizers=("gd:lr=0.05", "momentum:lr=0.05,beta=0.9", "gd:lr=0.5,control=true"),
            steps=150,
            note="same lr=0.05; gd at momentum's lr/(1−β) = 0.5 as a control",
        ),
    )


def _plateau() -> Surface:
    return Surface(
        name="plateau",
        title="Plateau",
        formula=r"$f(x,y) = 1 - e^{-(x^2 + 2y^2)/2}$",
        f=a.plateau,
        grad=a.plateau_der,
        hess=a.plateau_hess,
        window=(-4.0, 4.0, -2.5, 2.5),
        start=(3.2, 1.0),
        minima=((0.0, 0.0),),
        preset=Preset(
            optimizers=("gd:lr=0.3", "momentum:lr=0.3,beta=0.9", "gd:lr=3,control=true"),
            steps=160,
            note="same lr=0.3; gd at momentum's lr/(1−β) = 3 as a control",
        ),
    )


def _rosenbrock() -> Surface:
    return Surface(
        name="rosenbrock",
        title="Rosenbrock",
        formula=r"$f(x,y) = (1-x)^2 + 100\,(y-x^2)^2$",
        f=a.rosen,
        grad=a.rosen_der,
        hess=a.rosen_hess,
        window=(-2.0, 2.0, -1.0, 3.0),
        start=(-1.5, 2.5),
        minima=((1.0, 1.0),),
        preset=Preset(
            optimizers=(
                "gd:lr=0.0009",
                "sgd:lr=0.0009,noise=5",
                "momentum:lr=0.0004,beta=0.9",
                "nesterov:lr=0.00056,beta=0.9",
                "adagrad:lr=0.11",
                "rmsprop:lr=0.031",
                "adam:lr=0.084",
            ),
            steps=500,
            note=(
                "each at its own best lr "
                "(brute force: lowest loss after 500 steps, never above the start)"
            ),
        ),
        log_levels=True,
        log_height=True,
    )


def _beale() -> Surface:
    return Surface(
        name="beale",
        title="Beale",
        formula=r"$f(x,y) = (1.5-x+xy)^2 + (2.25-x+xy^2)^2 + (2.625-x+xy^3)^2$",
        f=a.beale,
        grad=a.beale_der,
        hess=a.beale_hess,
        window=(-4.5, 4.5, -4.5, 4.5),
        start=(1.0, 1.5),
        minima=((3.0, 0.5),),
        preset=Preset(
            optimizers=("gd:lr=0.001", "sgd:lr=0.001,noise=5", "momentum:lr=0.001,beta=0.9"),
            steps=300,
            note="same lr=0.001 for every optimizer",
        ),
        log_levels=True,
        log_height=True,
    )


def _himmelblau() -> Surface:
    return Surface(
        name="himmelblau",
        title="Himmelblau",
        formula=r"$f(x,y) = (x^2+y-11)^2 + (x+y^2-7)^2$",
        f=a.himmelblau,
        grad=a.himmelblau_der,
        hess=a.himmelblau_hess,
        window=(-5.0, 5.0, -5.0, 5.0),
        start=(-0.5, 0.0),
        minima=a.HIMMELBLAU_MINIMA,
        preset=Preset(
            optimizers=("gd:lr=0.005", "sgd:lr=0.005,noise=10", "momentum:lr=0.005,beta=0.9"),
            steps=150,
            note="same lr=0.005 for every optimizer",
        ),
        log_levels=True,
        log_height=True,
    )


def _rastrigin() -> Surface:
    return Surface(
        name="rastrigin",
        title="Rastrigin",
        formula=r"$f(x,y) = 20 + \sum_{t\in\{x,y\}} (t^2 - 10\cos 2\pi t)$",
        f=a.rastrigin,
        grad=a.rastrigin_der,
        hess=a.rastrigin_hess,
        window=(-5.12, 5.12, -5.12, 5.12),
        start=(3.6, 3.3),
        minima=((0.0, 0.0),),
        preset=Preset(
            optimizers=("gd:lr=0.002", "sgd:lr=0.002,noise=20", "momentum:lr=0.002,beta=0.9"),
            steps=150,
            note="same lr=0.002 for every optimizer",
        ),
    )


def _mlp(hidden: int, data: str, samples: int, seed: int, plane: str, grid: int) -> Surface:
    return mlp_surface(hidden=hidden, data=data, samples=samples, seed=seed, plane=plane, grid=grid)


def _data_lr(curvature: float, source: str) -> float:
    """The presets' learning rate ``1/L`` for users' data, or a one-line data problem.

    Examples
    --------
    >>> _data_lr(4.0, "p.csv")
    0.25
    >>> _data_lr(float("inf"), "p.csv")
    Traceback (most recent call last):
    ...
    surfaces.errors.SpecError: data file 'p.csv': the loss's curvature is inf: rescale the data
    """
    lr = float(f"{1 / curvature:.2g}") if math.isfinite(curvature) and curvature > 0 else 0.0
    if not (lr > 0 and math.isfinite(lr)):
        raise SpecError(
            f"data file {source!r}: the loss's curvature is {curvature:g}: rescale the data"
        )
    return lr


def _data_preset(lr: float, n_samples: int) -> Preset:
    """Users' data: one learning rate for all, ``1/L`` from the loss's curvature."""
    batch = min(32, max(1, n_samples // 2))
    return Preset(
        optimizers=(
            f"gd:lr={lr:g}",
            f"sgd:lr={lr:g},batch={batch}",
            f"momentum:lr={lr:g},beta=0.9",
        ),
        steps=100,
        note=f"same lr={lr:g} for every optimizer (1/L, L the loss's largest curvature)",
    )


def _user_regression(table: np.ndarray, source: str) -> Surface:
    data = RegressionData(x=table[:, 0], y=table[:, 1])
    w, b = data.minimum()
    with np.errstate(all="ignore"):  # too large data: named below as a data problem
        x2, x1 = float(np.mean(data.x**2)), float(np.mean(data.x))
        curvature = 0.5 * (x2 + 1) + float(np.hypot(0.5 * (x2 - 1), x1))  # [[x2, x1], [x1, 1]]
    lr = _data_lr(curvature, source)
    spread = float(np.std(data.y)) or 1.0
    half_w, half_b = 3 * spread / max(np.sqrt(x2), 1e-12), 3 * spread
    return Surface(
        name="regression",
        title=f"Linear regression, N = {data.n_samples} ({source})",
        formula=r"$L(w,b) = \frac{1}{N}\sum_{i=1}^{N} \frac{1}{2}(w\,x_i + b - y_i)^2$",
        f=data.f,
        grad=data.grad,
        hess=data.hess,
        window=(w - half_w, w + half_w, b - half_b, b + half_b),
        start=(w - 0.8 * half_w, b + 0.8 * half_b),
        minima=((w, b),),
        preset=partial(_data_preset, lr, data.n_samples),
        params={},
        dataset=Dataset(n_samples=data.n_samples, batch_grad=data.batch_grad, samples=data),
        labels=("slope w", "intercept b"),
    )


def _logistic(samples: int, seed: int, data: np.ndarray | None = None, source: str = "") -> Surface:
    if data is None:
        points = logistic.make_data(samples=samples, seed=seed)
        title, params = (
            f"Logistic regression, N = {samples}",
            {"samples": float(samples), "seed": float(seed)},
        )
    else:
        points = logistic.logistic_data(data[:, 0], data[:, 1], source=f"data file {source!r}")
        title, params = f"Logistic regression, N = {points.n_samples} ({source})", {}
    best = points.minimum()
    w, b = best if best is not None else (0.0, 0.0)
    scale = max(float(np.sqrt(np.mean(points.x**2))), 1e-12)
    half_w, half_b = max(3.0 / scale, 1.5 * abs(w)), max(3.0, 1.5 * abs(b))
    with np.errstate(all="ignore"):
        curvature = points.curvature()
    lr = _data_lr(curvature, source) if data is not None else float(f"{1 / curvature:.2g}")
    return Surface(
        name="logistic",
        title=title,
        formula=r"$L(w,b) = \frac{1}{N}\sum_{i=1}^{N} \log(1 + e^{-\tilde y_i (w\,x_i + b)})$",
        f=points.f,
        grad=points.grad,
        window=(w - half_w, w + half_w, b - half_b, b + half_b),
        start=(w - 0.8 * half_w, b + 0.8 * half_b),
        minima=() if best is None else (best,),
        preset=partial(_data_preset, lr, points.n_samples),
        params=params,
        dataset=Dataset(n_samples=points.n_samples, batch_grad=points.batch_grad, samples=points),
        labels=("weight w", "bias b"),
    )


def _regression(
    samples: int, noise: float, seed: int, data: np.ndarray | None = None, source: str = ""
) -> Surface:
    if data is not None:
        return _user_regression(data, source)
    data = make_data(samples=samples, noise=noise, seed=seed)
    return Surface(
        name="regression",
        title=f"Linear regression, N = {samples}",
        formula=r"$L(w,b) = \frac{1}{N}\sum_{i=1}^{N} \frac{1}{2}(w\,x_i + b - y_i)^2$",
        f=data.f,
        grad=data.grad,
        hess=data.hess,
        window=(-2.0, 4.5, -3.0, 3.2),
        start=(-1.5, 2.5),
        minima=(data.minimum(),),
        preset=Preset(
            optimizers=("gd:lr=0.3", "sgd:lr=0.3,batch=256", "sgd:lr=0.3,batch=32"),
            steps=80,
            note="same lr=0.3; full batch vs minibatches of 256 and 32",
        ),
        params={"samples": float(samples), "noise": noise, "seed": float(seed)},
        dataset=Dataset(n_samples=data.n_samples, batch_grad=data.batch_grad, samples=data),
        labels=("slope w", "intercept b"),
    )


SURFACES: Mapping[str, SurfaceType] = MappingProxyType(
    {
        "bowl": SurfaceType("bowl", "round quadratic bowl", (), _bowl),
        "ravine": SurfaceType(
            "ravine",
            "narrow ill-conditioned quadratic valley",
            (Param("kappa", 100.0, lambda v: 1 <= v <= 1e4, "in [1, 10000]"),),
            _ravine,
        ),
        "saddle": SurfaceType("saddle", "saddle point with two minima beyond", (), _saddle),
        "local-minimum": SurfaceType(
            "local-minimum", "shallow local minimum before a deeper one", (), _local_minimum
        ),
        "plateau": SurfaceType(
            "plateau", "a flat plateau around one well (tiny gradient, no saddle)", (), _plateau
        ),
        "rosenbrock": SurfaceType("rosenbrock", "Rosenbrock's banana valley", (), _rosenbrock),
        "beale": SurfaceType("beale", "Beale's function", (), _beale),
        "himmelblau": SurfaceType("himmelblau", "Himmelblau's four minima", (), _himmelblau),
        "rastrigin": SurfaceType("rastrigin", "many local minima", (), _rastrigin),
        "regression": SurfaceType(
            "regression",
            "linear-regression loss over a seeded dataset (real minibatches)",
            (
                Param("samples", 1024, lambda v: 2 <= v <= 1_000_000, "in [2, 1000000]", True),
                Param("noise", DEFAULT_NOISE, lambda v: v >= 0, ">= 0"),
                Param("seed", 0, lambda v: v >= 0, ">= 0", True),
            ),
            _regression,
            data_file=True,
        ),
        "logistic": SurfaceType(
            "logistic",
            "logistic-regression loss over a seeded dataset, or data=FILE (real minibatches)",
            (
                Param("samples", 512, lambda v: 2 <= v <= 1_000_000, "in [2, 1000000]", True),
                Param("seed", 0, lambda v: v >= 0, ">= 0", True),
            ),
            _logistic,
            data_file=True,
        ),
        "mlp": SurfaceType(
            "mlp",
            "a small neural network's loss, on a plane shared by every run's path",
            (
                Param("hidden", 16, lambda v: 1 <= v <= 256, "in [1, 256]", True),
                Param("data", "moons", bool, "", choices=DATASETS),
                Param("samples", 300, lambda v: 8 <= v <= 20_000, "in [8, 20000]", True),
                Param("seed", 0, lambda v: v >= 0, ">= 0", True),
                Param("plane", "pca", bool, "", choices=PLANES),
                Param("grid", 80, lambda v: 10 <= v <= 400, "in [10, 400]", True),
            ),
            _mlp,
        ),
    }
)


def surface_names() -> list[str]:
    """Names of every built-in surface."""
    return list(SURFACES)


def get_surface(text: str, *, read_data: Callable[[str], np.ndarray] | None = None) -> Surface:
    """A surface from ``NAME``, ``NAME:key=value,...`` or an expression in x and y.

    Parameters
    ----------
    text
        The spec. Data surfaces take ``data=FILE``: a CSV of two columns (feature,
        target or 0/1 label) instead of their generated dataset.
    read_data
        Reads such a file into an ``(N, 2)`` array; by default
        :func:`surfaces.datafiles.read_columns` (the only I/O, outside the maths).

    Raises
    ------
    SpecError
        Unknown name or key (the message lists the valid ones), a bad value, a bad
        data file, or a malformed expression.
    TypeError
        ``text`` is not a string (``None``, a number).
    """
    from surfaces.expression import expression_surface, looks_like_expression

    if not isinstance(text, str):
        raise TypeError(
            f"get_surface() takes a surface spec string as text, got {type(text).__name__}"
        )
    text = text.strip()
    if text.partition(":")[0].strip() not in SURFACES and looks_like_expression(text):
        return expression_surface(text)  # (a registry name first: data=FILE paths hold "/")
    name, raw = split_spec(text, kind="surface")
    if name not in SURFACES:
        raise SpecError(
            f"unknown surface {name!r}{did_you_mean(name, SURFACES)}; "
            f"choose from {', '.join(SURFACES)} "
            "or give an expression in x and y"
        )
    kind = SURFACES[name]
    values: dict[str, float | str] = {p.name: p.default for p in kind.params}
    valid = [p.name for p in kind.params]
    extra: dict[str, object] = {}
    if kind.data_file and "data" in raw:
        generated = sorted(set(raw) & set(valid))
        if generated:
            raise SpecError(
                f"surface {name}: data= replaces the generated data; drop {generated[0]}="
            )
        path = raw.pop("data")
        if read_data is None:
            from surfaces.datafiles import read_columns as read_data
        extra = {"data": read_data(path), "source": path.rsplit("/", 1)[-1]}
    if kind.data_file:
        valid_keys = [*valid, "data"]
    else:
        valid_keys = valid
    for key, value in raw.items():
        if key not in valid:
            keys = ", ".join(valid_keys) if valid_keys else "none"
            raise SpecError(
                f"surface {name}: unknown key {key!r}{did_you_mean(key, valid_keys)}; "
                f"valid keys: {keys}"
            )
        values[key] = next(p for p in kind.params if p.name == key).parse(
            value, owner=f"surface {name}"
        )
    kwargs = {
        p.name: (
            values[p.name]
            if p.choices
            else int(values[p.name])
            if p.integer
            else float(values[p.name])
        )
        for p in kind.params
    }
    surface = kind.build(**kwargs, **extra)
    if extra:  # the file, for the spec that builds it again (trace's spec column)
        surface = surface.replace(params={"data": path})
    return surface
