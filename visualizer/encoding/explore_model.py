"""What the explore page needs to redo a recording in the browser: the model.

:func:`explore_model` turns a :class:`~visualizer.maths.recorder.Recording` into
plain JSON data for ``explore_maths.js``: the surface (an analytic surface by name,
an expression as its checked tree, regression and logistic regression with their
samples), each run's optimizer, hyperparameters and schedule, and the randomness
each run draws in Python (``record`` gives run ``i`` the generator
``default_rng([seed, i])``): its standard normals for ``noise=``, embedded as
float64 bytes, or the state of its PCG64 bit generator for minibatches, which the
page advances bit for bit to draw the same permutations. Nothing else is
approximated, so the page's trajectories equal ``lossviz trace``'s.

What cannot be redone in the browser is refused by :func:`check_explorable` with a
one-line reason: a network surface (``mlp``), your own Python function or
``Optimizer`` object, and torch or optax optimizers.

Examples
--------
>>> from surfaces import get_surface
>>> from visualizer.maths.recorder import record
>>> rec = record(get_surface("bowl"), ["gd:lr=0.5"], start=(2.0, 0.0), steps=3)
>>> model = explore_model(rec)
>>> model["surface"], model["runs"][0]["params"]
({'kind': 'analytic', 'name': 'bowl', 'params': {}}, {'lr': 0.5})
"""

from __future__ import annotations

import ast
import base64
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from surfaces.base import Surface
from surfaces.errors import SpecError
from surfaces.expression import CENTRAL_STEP, checked_tree, looks_like_expression
from surfaces.logistic import LogisticData
from surfaces.regression import RegressionData
from visualizer.maths.recorder import Recording, divergence_bounds
from visualizer.maths.specs import BRIDGES, OPTIMIZERS, OptimizerSpec

#: The optimizers the page's maths has (every built-in of first order).
EXPLORED = [name for name, info in OPTIMIZERS.items() if not info.second_order]

#: The analytic surfaces the page knows by name (``explore_maths.js``: ``analytic``).
ANALYTIC = (
    "bowl",
    "ravine",
    "saddle",
    "local-minimum",
    "plateau",
    "rosenbrock",
    "beale",
    "himmelblau",
    "rastrigin",
)
#: The most steps the page's step slider offers (and draws are embedded for).
MAX_EXPLORE_STEPS = 2000

_BINARY = {ast.Add: "add", ast.Sub: "sub", ast.Mult: "mul", ast.Div: "div", ast.Pow: "pow"}


def check_explorable(surface: Any, specs: Sequence[OptimizerSpec | Any] | None = None) -> None:
    """Refuse, with a one-line reason, what the page cannot recompute.

    Parameters
    ----------
    surface
        The scene's surface as given: a spec string, a :class:`Surface` or a callable.
    specs
        The optimizers: resolved specs, or as given (spec strings, a user's
        ``Optimizer`` objects), checked before anything parses them (a torch spec
        would import torch).

    Raises
    ------
    SpecError
        For ``mlp``, a Python function or Surface object, a user's Optimizer object,
        or a torch/optax optimizer.

    Examples
    --------
    >>> check_explorable("mlp")
    Traceback (most recent call last):
    ...
    surfaces.errors.SpecError: cannot explore surface mlp: a network is trained in Python \
(explore takes the analytic surfaces, expressions, regression and logistic)
    """
    if not isinstance(surface, str):
        what = "a Surface object" if isinstance(surface, Surface) else "a Python function"
        raise SpecError(
            f"cannot explore {what}: the page recomputes in JavaScript; give the surface "
            "by name or as an expression in x and y"
        )
    name = surface.strip().partition(":")[0].strip()
    if name == "mlp":
        raise SpecError(
            "cannot explore surface mlp: a network is trained in Python "
            "(explore takes the analytic surfaces, expressions, regression and logistic)"
        )
    takes = f"explore takes {', '.join(EXPLORED)}"
    for spec in specs or ():
        if isinstance(spec, str):
            name = spec.strip().partition(":")[0].strip()
            if name in BRIDGES:
                raise SpecError(
                    f"cannot explore optimizer {spec.strip()!r}: {name} runs in Python only; "
                    + takes
                )
        elif not isinstance(spec, OptimizerSpec) or spec.optimizer is not None:
            raise SpecError(
                "cannot explore your own Optimizer object: it runs in Python only; " + takes
            )
        elif spec.bridge is not None:
            raise SpecError(
                f"cannot explore optimizer {spec.name!r}: {spec.bridge} runs in Python only; "
                + takes
            )
        else:
            name = spec.name
        if name in OPTIMIZERS and name not in EXPLORED:  # Newton: its Hessian is Python's
            raise SpecError(f"cannot explore optimizer {name!r}: it runs in Python only; " + takes)


def float64_text(values: Any) -> str:
    """Float64 values as base64 of their little-endian bytes (exact, and small).

    Examples
    --------
    >>> float64_text([1.0])
    'AAAAAAAA8D8='
    """
    return base64.b64encode(np.asarray(values, dtype="<f8").tobytes()).decode("ascii")


def _number(value: float) -> float | str:
    """A float for JSON: inf and nan as text (``explore_maths.js``: ``num``)."""
    value = float(value)
    if math.isfinite(value):
        return value
    return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")


def expression_json(tree: ast.expr) -> list[Any]:
    """A checked expression tree as nested lists for ``explore_maths.js``.

    Examples
    --------
    >>> expression_json(ast.parse("-x + sin(y) ** 2", mode="eval").body)
    ['add', ['neg', ['x']], ['pow', ['call', 'sin', ['y']], ['num', 2.0]]]
    """
    if isinstance(tree, ast.Constant):
        try:
            value = float(tree.value)
        except OverflowError:
            value = math.inf
        return ["num", _number(value)]
    if isinstance(tree, ast.Name):
        if tree.id in ("x", "y"):
            return [tree.id]
        return ["num", math.pi if tree.id == "pi" else math.e]
    if isinstance(tree, ast.UnaryOp):
        inner = expression_json(tree.operand)
        return ["neg", inner] if isinstance(tree.op, ast.USub) else inner
    if isinstance(tree, ast.BinOp):
        return [_BINARY[type(tree.op)], expression_json(tree.left), expression_json(tree.right)]
    if isinstance(tree, ast.Call) and isinstance(tree.func, ast.Name):
        return ["call", tree.func.id, *(expression_json(a) for a in tree.args)]
    raise SpecError(f"cannot explore expression node {type(tree).__name__}")  # pragma: no cover


def surface_json(surface: Surface) -> dict[str, Any]:
    """The surface for ``explore_maths.js``: by name, as a tree, or with its samples."""
    if surface.name in ANALYTIC and surface.dataset is None and surface.model is None:
        params = {k: float(v) for k, v in surface.params.items()}
        return {"kind": "analytic", "name": surface.name, "params": params}
    samples = surface.dataset.samples if surface.dataset is not None else None
    if isinstance(samples, RegressionData):
        x, y = samples.x, samples.y
        moments = {
            "sxx": float((x * x).mean()),
            "sx": float(x.mean()),
            "sxy": float((x * y).mean()),
            "sy": float(y.mean()),
            "syy": float((y * y).mean()),
        }
        return {
            "kind": "regression",
            "x": float64_text(x),
            "y": float64_text(y),
            "moments": moments,
        }
    if isinstance(samples, LogisticData):
        return {"kind": "logistic", "x": float64_text(samples.x), "t": float64_text(samples.t)}
    if surface.model is None and surface.dataset is None and looks_like_expression(surface.name):
        tree, holomorphic = checked_tree(surface.name)
        return {
            "kind": "expression",
            "tree": expression_json(tree.body),
            "holomorphic": holomorphic,
            "centralStep": CENTRAL_STEP,
        }
    raise SpecError(f"cannot explore surface {surface.name!r}")


def _schedule_json(spec: OptimizerSpec) -> dict[str, Any]:
    s = spec.schedule
    return {"kind": s.kind, "gamma": s.gamma, "every": s.every, "warmup": s.warmup}


def run_json(
    spec: OptimizerSpec, index: int, *, surface: Surface, seed: int, max_steps: int
) -> dict[str, Any]:
    """One run for ``explore_maths.js``: the rule, its values and its seeded draws."""
    data = surface.dataset is not None
    rule = [h.name for h in spec.info.rule_params]
    params = {k: float(spec.hyper[k]) for k in rule}
    out: dict[str, Any] = {
        "name": spec.name,
        "params": params,
        "schedule": _schedule_json(spec),
        "stochastic": spec.stochastic,
        "oracle": None,
        "normals": None,
        "rng": None,
    }
    if spec.stochastic:
        rng = np.random.default_rng([seed, index])  # as record() seeds run `index`
        if data:
            out["oracle"] = "batch"
            params["batch"] = int(spec.hyper["batch"])
            state = rng.bit_generator.state
            out["rng"] = {
                "state": hex(state["state"]["state"]),
                "inc": hex(state["state"]["inc"]),
                "has_uint32": int(state["has_uint32"]),
                "uinteger": int(state["uinteger"]),
            }
        else:
            out["oracle"] = "noise"
            params["noise"] = float(spec.hyper["noise"])
            out["normals"] = float64_text(rng.standard_normal(2 * max_steps))
    return out


def max_steps_for(steps: int) -> int:
    """The step slider's top: four times the scene's steps, at least 200, at most 2000.

    Examples
    --------
    >>> max_steps_for(120), max_steps_for(10), max_steps_for(5000)
    (480, 200, 5000)
    """
    return max(steps, min(MAX_EXPLORE_STEPS, max(4 * steps, 200)))


def explore_model(recording: Recording) -> dict[str, Any]:
    """Everything ``explore_maths.js`` needs to redo ``recording``; plain JSON data.

    Raises
    ------
    SpecError
        When the recording holds something the page cannot recompute (see
        :func:`check_explorable`).
    """
    surface = recording.surface
    specs = [run.spec for run in recording.runs]
    check_explorable(surface.name if surface.model is None else "mlp", specs)
    max_steps = max_steps_for(recording.steps)
    lo, hi = divergence_bounds(surface)
    return {
        "surface": surface_json(surface),
        "start": [float(recording.start[0]), float(recording.start[1])],
        "steps": int(recording.steps),
        "maxSteps": max_steps,
        "seed": int(recording.seed),
        "window": [float(v) for v in surface.window],
        "bounds": [[float(lo[0]), float(lo[1])], [float(hi[0]), float(hi[1])]],
        "runs": [
            run_json(spec, i, surface=surface, seed=recording.seed, max_steps=max_steps)
            for i, spec in enumerate(specs)
        ],
    }


def quadratic(surface: Surface) -> dict[str, Any] | None:
    """The Hessian's eigenvalues and the minimum of a convex quadratic surface, else ``None``.

    The bowl and the ravine by their formulas, regression by its moments, and an
    expression whose gradient is affine over the window (checked at a few points to
    1e-9) with a positive-definite Hessian.

    Examples
    --------
    >>> from surfaces import get_surface
    >>> quadratic(get_surface("ravine:kappa=50"))
    {'eigenvalues': [1.0, 50.0], 'minimum': [0.0, 0.0]}
    >>> quadratic(get_surface("x**2 + 3*y**2 + x*y"))["eigenvalues"]
    [1.7639320225002102, 6.23606797749979]
    >>> quadratic(get_surface("rosenbrock")) is None
    True
    """
    if surface.model is not None:
        return None
    samples = surface.dataset.samples if surface.dataset is not None else None
    if surface.name == "bowl" and samples is None:
        hessian, minimum = np.eye(2), np.zeros(2)
    elif surface.name == "ravine" and samples is None:
        hessian, minimum = np.diag([1.0, float(surface.params["kappa"])]), np.zeros(2)
    elif isinstance(samples, RegressionData):
        sxx, sx = float((samples.x * samples.x).mean()), float(samples.x.mean())
        hessian, minimum = np.array([[sxx, sx], [sx, 1.0]]), np.array(samples.minimum())
    elif samples is None and looks_like_expression(surface.name):
        found = _affine_gradient(surface)
        if found is None:
            return None
        hessian, minimum = found
    else:
        return None
    eigenvalues = np.linalg.eigvalsh(hessian)
    if not eigenvalues[0] > 0:
        return None
    return {
        "eigenvalues": [float(v) for v in eigenvalues],
        "minimum": [float(v) for v in minimum],
    }


def _affine_gradient(surface: Surface) -> tuple[np.ndarray, np.ndarray] | None:
    """``(H, θ*)`` when the gradient is ``H (θ − θ*)`` over the window, else ``None``."""
    xmin, xmax, ymin, ymax = surface.window
    centre = np.array([(xmin + xmax) / 2, (ymin + ymax) / 2])
    step = np.array([xmax - xmin, ymax - ymin]) / 4
    with np.errstate(all="ignore"):
        g0 = np.asarray(surface.grad(centre), dtype=float)
        columns = [
            (np.asarray(surface.grad(centre + step[i] * np.eye(2)[i]), dtype=float) - g0) / step[i]
            for i in range(2)
        ]
        hessian = np.stack(columns, axis=1)
        if not np.all(np.isfinite(hessian)) or not np.allclose(hessian, hessian.T, rtol=1e-7):
            return None
        rng = np.random.default_rng(0)
        for _ in range(5):
            p = centre + (rng.uniform(-2, 2, 2) * step)
            want = g0 + hessian @ (p - centre)
            got = np.asarray(surface.grad(p), dtype=float)
            scale = np.abs(g0).max() + np.abs(hessian).max() * np.abs(p - centre).max() + 1.0
            if not np.all(np.abs(got - want) <= 1e-9 * scale):
                return None
        try:
            minimum = centre - np.linalg.solve(hessian, g0)
        except np.linalg.LinAlgError:
            return None
    return (hessian + hessian.T) / 2, minimum
