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

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from types import MappingProxyType

from surfaces import analytic as a
from surfaces.base import Dataset, Preset, Surface
from surfaces.errors import SpecError, did_you_mean
from surfaces.mlp import DATASETS
from surfaces.model import mlp_surface
from surfaces.params import Param, split_spec
from surfaces.plane import PLANES
from surfaces.regression import DEFAULT_NOISE, make_data
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


def _bowl() -> Surface:
    return Surface(
        name="bowl",
        title="Bowl",
        formula=r"$f(x,y) = \frac{1}{2}(x^2 + y^2)$",
        f=a.bowl,
        grad=a.bowl_der,
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
            f"gd:lr={mom_lr / (1 - 0.9):.3g}",
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
        window=(-2.0, 2.0, -1.5, 1.5),
        start=(0.001, 1.2),
        minima=((-1.0, 0.0), (1.0, 0.0)),
        preset=Preset(
            optimizers=(
                "gd:lr=0.1",
                "sgd:lr=0.1,noise=0.05",
                "momentum:lr=0.1,beta=0.9",
                "gd:lr=1",
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
        window=(-3.5, 4.5, -1.5, 1.5),
        start=(4.0, 1.0),
        minima=a.local_minimum_minima(),
        camera=(35.0, -100.0),
        preset=Preset(
            optimizers=("gd:lr=0.05", "momentum:lr=0.05,beta=0.9", "gd:lr=0.5"),
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
        window=(-4.0, 4.0, -2.5, 2.5),
        start=(3.2, 1.0),
        minima=((0.0, 0.0),),
        preset=Preset(
            optimizers=("gd:lr=0.3", "momentum:lr=0.3,beta=0.9", "gd:lr=3"),
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


def _regression(samples: int, noise: float, seed: int) -> Surface:
    data = make_data(samples=samples, noise=noise, seed=seed)
    return Surface(
        name="regression",
        title=f"Linear regression, N = {samples}",
        formula=r"$L(w,b) = \frac{1}{N}\sum_{i=1}^{N} \frac{1}{2}(w\,x_i + b - y_i)^2$",
        f=data.f,
        grad=data.grad,
        window=(-2.0, 4.5, -3.0, 3.2),
        start=(-1.5, 2.5),
        minima=(data.minimum(),),
        preset=Preset(
            optimizers=("gd:lr=0.3", "sgd:lr=0.3,batch=256", "sgd:lr=0.3,batch=32"),
            steps=80,
            note="same lr=0.3; full batch vs minibatches of 256 and 32",
        ),
        params={"samples": float(samples), "noise": noise, "seed": float(seed)},
        dataset=Dataset(n_samples=data.n_samples, batch_grad=data.batch_grad),
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


def get_surface(text: str) -> Surface:
    """A surface from ``NAME``, ``NAME:key=value,...`` or an expression in x and y.

    Raises
    ------
    SpecError
        Unknown name or key (the message lists the valid ones), a bad value, or a
        malformed expression.
    """
    from surfaces.expression import expression_surface, looks_like_expression

    text = text.strip()
    if looks_like_expression(text):
        return expression_surface(text)
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
    for key, value in raw.items():
        if key not in valid:
            keys = ", ".join(valid) if valid else "none"
            raise SpecError(
                f"surface {name}: unknown key {key!r}{did_you_mean(key, valid)}; valid keys: {keys}"
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
    return kind.build(**kwargs)
