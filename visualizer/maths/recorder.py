"""The trajectory recorder: runs optimizers side by side on one surface.

Pure numpy: no plotting, no I/O. Every run starts from the same point, takes the
same number of steps, and draws its randomness from its own generator derived
from one seed, so the same inputs give identical arrays.

Examples
--------
>>> from surfaces import get_surface
>>> from visualizer.maths.specs import parse_optimizer
>>> rec = record(get_surface("bowl"), [parse_optimizer("gd:lr=0.5")], start=(2.0, 0.0), steps=3)
>>> rec.runs[0].positions[:, 0].tolist()
[2.0, 1.0, 0.5, 0.25]
"""

from __future__ import annotations

import csv
import dataclasses
import io
import shlex
from collections.abc import Sequence

import numpy as np

from surfaces.base import Surface
from surfaces.errors import SpecError
from visualizer.maths.bounds import check_record_args
from visualizer.maths.landscape import record_model
from visualizer.maths.optimizers import rule_state, velocity
from visualizer.maths.recording import (
    EVALUATION_COLUMNS,
    Array,
    GradientOracle,
    Recording,
    Run,
    evaluations_text,
    gradient_oracle,
)
from visualizer.maths.specs import OptimizerLike, OptimizerSpec, labels_for, resolve_optimizers

__all__ = [
    "DIVERGENCE_FACTOR",
    "EVALUATION_COLUMNS",
    "GradientOracle",
    "Recording",
    "Run",
    "by_evaluations",
    "divergence_bounds",
    "evaluations_text",
    "full_text",
    "gradient_oracle",
    "record",
    "run_one",
    "scene_args",
    "trace_csv",
]


#: A run is stopped as diverged once a coordinate leaves the window grown this many times.
DIVERGENCE_FACTOR = 100.0


def divergence_bounds(surface: Surface) -> tuple[Array, Array]:
    """Lower and upper corners beyond which a run is stopped as diverged."""
    xmin, xmax, ymin, ymax = surface.window
    center = np.array([(xmin + xmax) / 2, (ymin + ymax) / 2])
    half = DIVERGENCE_FACTOR * np.array([xmax - xmin, ymax - ymin]) / 2
    return center - half, center + half


def run_one(
    surface: Surface,
    spec: OptimizerSpec,
    *,
    label: str,
    start: tuple[float, float],
    steps: int,
    rng: np.random.Generator,
) -> Run:
    """Run one optimizer; see :func:`record`."""
    optimizer = spec.build(steps, surface=surface if spec.needs_surface else None)
    oracle = gradient_oracle(surface, spec, rng)
    lo, hi = divergence_bounds(surface)
    positions = np.full((steps + 1, 2), np.nan)
    losses = np.full(steps + 1, np.nan)
    gradients = np.full((steps + 1, 2), np.nan)
    velocities = np.full((steps + 1, 2), np.nan) if spec.has_velocity else None
    evaluations = np.zeros((steps + 1, 3), dtype=np.int64)
    evaluations[:, 1] = np.arange(steps + 1)  # one gradient per step, unless told otherwise
    simplices: Array | None = None
    stopped_at: int | None = None

    params = np.asarray(start, dtype=float)
    state = optimizer.init(params)
    diverged_at: int | None = None
    with np.errstate(all="ignore"):
        for t in range(steps + 1):
            if t > 0:
                g = oracle(optimizer.lookahead(state, params))
                params, state = optimizer.update(g, state, params)
            loss = float(surface.f(params))
            grad = np.asarray(surface.grad(params), dtype=float)
            if not (
                np.all(np.isfinite(params))
                and np.isfinite(loss)
                and np.all(np.isfinite(grad))
                and np.all(params >= lo)
                and np.all(params <= hi)
            ):
                diverged_at = t
                break
            positions[t] = params
            losses[t] = loss
            gradients[t] = grad
            inner = rule_state(state)
            if velocities is not None:
                velocities[t] = velocity(state)
            if hasattr(inner, "evaluations"):
                evaluations[t] = inner.evaluations
            if getattr(inner, "simplex", None) is not None:
                if simplices is None:
                    simplices = np.full((steps + 1, 3, 2), np.nan)
                simplices[t] = inner.simplex
            stopped_at = getattr(inner, "stopped_at", stopped_at)
    if diverged_at is not None:
        evaluations[diverged_at:] = evaluations[max(diverged_at - 1, 0)]
    return Run(
        spec,
        label,
        positions,
        losses,
        gradients,
        velocities,
        diverged_at,
        spec.lrs(steps),
        evaluations=evaluations,
        simplices=simplices,
        stopped_at=stopped_at if stopped_at is not None and stopped_at < steps else None,
    )


def record(
    surface: Surface,
    specs: Sequence[OptimizerLike],
    *,
    start: tuple[float, float] | None = None,
    steps: int | None = None,
    seed: int = 0,
) -> Recording:
    """Run every optimizer from one start for the same number of steps.

    Parameters
    ----------
    surface
        The loss surface.
    specs
        Optimizers in legend order: parsed specs, spec strings, or your own
        :class:`~visualizer.maths.optimizers.Optimizer` objects (with a ``label``).
    start
        Start point; the surface's default if ``None``.
    steps
        Number of steps; the surface preset's if ``None``.
    seed
        Seed for stochastic gradients. Run ``i`` uses ``default_rng([seed, i])``.

    Returns
    -------
    Recording
        Plain arrays per run. A run that produces a non-finite value or leaves the
        window grown :data:`DIVERGENCE_FACTOR` times is stopped and marked
        diverged; the others go on.

    Raises
    ------
    TypeError
        An argument of the wrong type (named), such as a surface's name for a surface.
    surfaces.errors.SpecError
        A value out of range, or work beyond the bounds of the command
        (:mod:`visualizer.maths.bounds`).
    """
    check_record_args(surface, specs, start, steps, seed)
    if not specs:
        raise SpecError("no optimizers to run")
    specs = resolve_optimizers(specs, ())
    if surface.model is not None:  # a network: trained in full dimension, shown on a plane
        for spec in specs:
            if spec.needs_surface:
                raise SpecError(f"{spec.name} is not available on {surface.name} (a network)")
        return record_model(surface, specs, start=start, steps=steps, seed=seed)
    start = surface.start if start is None else (float(start[0]), float(start[1]))
    lo, hi = divergence_bounds(surface)
    if not (np.all(np.array(start) >= lo) and np.all(np.array(start) <= hi)):
        raise SpecError(
            f"the start ({start[0]:g}, {start[1]:g}) lies more than {DIVERGENCE_FACTOR:g}"
            f" windows away (x {lo[0]:g}..{hi[0]:g}, y {lo[1]:g}..{hi[1]:g}): every run would"
            " stop there as diverged; choose a start nearer the window"
        )
    steps = surface.preset.steps if steps is None else int(steps)
    if steps < 1:
        raise SpecError(f"steps must be >= 1, got {steps}")
    if seed < 0:
        raise SpecError(f"seed must be >= 0, got {seed}")
    with np.errstate(all="ignore"):
        at_start = np.asarray(surface.f(np.array(start, dtype=float)), dtype=float)
        slope = np.asarray(surface.grad(np.array(start, dtype=float)), dtype=float)
    where = f"at the start ({start[0]:g}, {start[1]:g})"
    if not np.all(np.isfinite(at_start)):
        raise SpecError(f"the loss {where} is {float(at_start):g}: choose another start or surface")
    if not np.all(np.isfinite(slope)):
        raise SpecError(f"the gradient {where} is not finite: choose another start or surface")
    labels = labels_for(specs)
    runs = tuple(
        run_one(
            surface,
            spec,
            label=label,
            start=start,
            steps=steps,
            rng=np.random.default_rng([seed, i]),
        )
        for i, (spec, label) in enumerate(zip(specs, labels, strict=True))
    )
    if any(spec.needs_surface for spec in specs):  # costs differ in kind: show them
        runs = tuple(dataclasses.replace(run, show_evaluations=True) for run in runs)
    return Recording(surface=surface, start=start, steps=steps, seed=seed, runs=runs)


def trace_csv(rec: Recording) -> str:
    """CSV ``optimizer,step,x,y,loss,lr,spec,f_evals,grad_evals,hess_evals`` of every finite row.

    ``lr`` is the learning rate of the step from that row to the next (the
    schedule's; empty when unknown: a user's object declaring none). ``spec``, on
    each run's first row only, is everything needed to run it again: its full
    optimizer spec (every hyperparameter, the schedule, a tuned lr, the label)
    then the scene, as ``lossviz trace`` arguments. Runs with more to say add
    columns after these (a model run: ``plane_loss``, ``off_plane``,
    ``test_accuracy``; there ``x, y`` are plane coordinates and ``loss`` the true
    loss). ``f_evals``, ``grad_evals``, ``hess_evals`` (last, not for a model run)
    count the function, gradient and Hessian evaluations the optimizer made to reach
    the row, from the start (:attr:`Run.evaluations`). Floats are written with
    ``repr``, so they read back exactly.

    Examples
    --------
    >>> from surfaces import get_surface
    >>> from visualizer.maths.specs import parse_optimizer
    >>> rec = record(get_surface("bowl"), [parse_optimizer("gd:lr=0.5")], start=(2, 0), steps=1)
    >>> print(trace_csv(rec), end="")
    optimizer,step,x,y,loss,lr,spec,f_evals,grad_evals,hess_evals
    gd,0,2.0,0.0,2.0,0.5,"-O gd:lr=0.5 -s bowl --start=2,0 --steps 1 --seed 0",0,0,0
    gd,1,1.0,0.0,0.5,0.5,,0,1,0
    """
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    extra = list(rec.runs[0].trace_columns()) if rec.runs else []
    counted = bool(rec.runs) and all(run.evaluations is not None for run in rec.runs)
    counts = list(EVALUATION_COLUMNS) if counted else []
    w.writerow(["optimizer", "step", "x", "y", "loss", "lr", "spec", *extra, *counts])
    scene = scene_args(rec)
    data = rec.surface.dataset is not None
    for run in rec.runs:
        columns = run.trace_columns()
        for t in range(run.last_step + 1):
            x, y = run.positions[t]
            lr = "" if run.lrs is None else repr(float(run.lrs[t]))
            spec = f"-O {shlex.quote(full_text(run, data=data))} {scene}" if t == 0 else ""
            more = [repr(float(columns[k][t])) for k in extra]
            if counted:
                more += [int(n) for n in run.evaluations[t]]
            row = [run.label, t, repr(float(x)), repr(float(y)), repr(float(run.losses[t]))]
            w.writerow([*row, lr, spec, *more])
    return buf.getvalue()


def full_text(run: Run, *, data: bool = False) -> str:
    """The run's spec with every hyperparameter written out.

    A stochastic run's gradient key is the one its surface takes: ``batch`` on a
    data surface (``data=True``), ``noise`` on the others (the other is refused).
    """
    spec = run.spec
    if spec.optimizer is not None:
        return f"{spec.name} (your object: {spec.hyper_text()})".strip()
    every = dataclasses.replace(spec, given=frozenset(spec.hyper) - {"noise" if data else "batch"})
    return every.text()


def scene_args(rec: Recording) -> str:
    """The scene of a recording as ``lossviz trace`` arguments (surface, start, steps, seed).

    A model recording (:class:`visualizer.maths.landscape.ModelRecording`) has no ``--start``:
    its runs start from the seeded network.
    """
    surface = rec.surface
    text = surface.name
    if surface.params:
        items = ",".join(f"{k}={_number(v)}" for k, v in surface.params.items())
        text += f":{items}"
    start = f" --start={_number(rec.start[0])},{_number(rec.start[1])}"
    start = "" if isinstance(getattr(rec, "model", None), Surface) else start
    pace = "" if rec.pace == "iterations" else f" --pace {rec.pace}"
    return f"-s {shlex.quote(text)}{start} --steps {rec.steps} --seed {rec.seed}{pace}"


def _number(value: object) -> str:
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(float(value)) if isinstance(value, float) else str(value)  # np.float64 too


#: What one step of a recording is: each optimizer's iteration, or one evaluation.
PACES = ("iterations", "evaluations")


def by_evaluations(rec: Recording) -> Recording:
    """The recording re-paced so that step ``e`` shows each run after ``e`` evaluations.

    Every evaluation of the function, the gradient or the Hessian counts one
    (:attr:`Run.evaluations`). Row ``e`` of a run is its last iterate reached within
    ``e`` evaluations, so a gradient step (one evaluation) moves every step, Newton
    (a gradient and a Hessian) every second step, and an iteration of BFGS when its
    line search is paid. The recording keeps its ``steps``: an iteration costs at
    least one evaluation, so ``steps`` iterations cover ``steps`` evaluations. A
    divergence happens at the evaluation that paid for the diverging step; a stop at
    the evaluation that reached the last iterate. A model run (no counts) is refused.

    Examples
    --------
    >>> from surfaces import get_surface
    >>> rec = by_evaluations(record(get_surface("bowl"), ["newton", "gd:lr=0.5"],
    ...                             start=(2, 0), steps=4))
    >>> [run.positions[:, 0].tolist() for run in rec.runs]
    [[2.0, 2.0, 0.0, 0.0, 0.0], [2.0, 1.0, 0.5, 0.25, 0.125]]
    >>> rec.runs[0].evaluations[:, 1].tolist(), rec.pace
    ([0, 0, 1, 1, 2], 'evaluations')
    """
    runs = []
    budget = np.arange(rec.steps + 1)
    for run in rec.runs:
        if run.evaluations is None:
            raise SpecError("pace = evaluations needs counted evaluations (not a network)")
        total = run.evaluations.sum(axis=1)
        last = run.last_step
        # the cost of the diverging step: that of the step before it (at least one)
        end = total[last] + max(1, int(total[last] - total[last - 1]) if last > 0 else 1)
        rows = np.searchsorted(total[: last + 1], budget, side="right") - 1
        diverged_at = None
        if run.diverged_at is not None and end <= rec.steps:
            diverged_at = int(end)
            rows[end:] = run.diverged_at  # its NaN rows
        stopped_at = None
        if run.stopped_at is not None and total[run.stopped_at] < rec.steps:
            stopped_at = int(total[run.stopped_at])

        def take(a: Array | None, rows: Array = rows) -> Array | None:
            return None if a is None else a[rows]

        runs.append(
            dataclasses.replace(
                run,
                positions=run.positions[rows],
                losses=run.losses[rows],
                gradients=run.gradients[rows],
                velocities=take(run.velocities),
                lrs=take(run.lrs),
                diverged_at=diverged_at,
                evaluations=run.evaluations[np.minimum(rows, last)],
                simplices=take(run.simplices),
                stopped_at=stopped_at,
                show_evaluations=True,
            )
        )
    return dataclasses.replace(rec, runs=tuple(runs), pace="evaluations")
