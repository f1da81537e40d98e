"""Fair races: each optimizer's learning rate chosen by the same search (``--tune``).

The rule is the one the presets use: **the lowest final loss over a log grid of
learning rates, among the runs that neither diverge nor end above their start.**
"Final" is the highest loss over the last tenth of the steps, so a run caught at
the bottom of an oscillation does not win over one that has settled.
The grid is :data:`GRID`: ``10^(k/24)`` for ``k = −144 … 24`` (1e-6 to 10, 24 per
decade, so neighbours differ by a factor 1.1), each rounded to two significant
digits, so the spec text, the legend and the trace say exactly the rate that ran.

Every candidate is a full run of the scene: same surface, start, number of steps,
schedule and seed (run ``i``'s random generator, as in the recording), so the
search is deterministic and measures what is shown. Ties go to the smaller rate.
Built-in optimizers on analytic surfaces run all 169 candidates at once (arrays of
shape ``(2, 169)``: every update rule and surface here is elementwise); the others
(data surfaces, torch, optax) run them one by one. A user's own optimizer object
runs as it is: its rate is its own.

Examples
--------
>>> from surfaces import get_surface
>>> from visualizer.maths.specs import parse_optimizer
>>> (spec,) = tune(get_surface("ravine"), [parse_optimizer("gd")], steps=60)
>>> spec.text(), spec.tuned
('gd:lr=0.018', True)
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from surfaces.base import Surface
from surfaces.errors import SpecError
from visualizer.maths.recorder import divergence_bounds, run_one
from visualizer.maths.specs import OptimizerSpec

#: The learning rates tried: 24 per decade from 1e-6 to 10, to two significant digits.
GRID = np.array([float(f"{v:.2g}") for v in 10.0 ** (np.arange(-144, 25) / 24.0)])


def final_loss(
    surface: Surface,
    spec: OptimizerSpec,
    *,
    start: tuple[float, float],
    steps: int,
    seed: int,
    index: int,
) -> float:
    """The loss after ``steps`` steps, or ``inf`` when the run diverges or ends above its start.

    ``index`` is the run's place in the scene: its random generator is
    ``default_rng([seed, index])``, as in :func:`visualizer.maths.recorder.record`.
    """
    run = run_one(
        surface,
        spec,
        label="",
        start=start,
        steps=steps,
        rng=np.random.default_rng([seed, index]),
    )
    end = float(np.max(run.losses[tail_start(steps) :]))
    return end if run.diverged_at is None and end <= float(run.losses[0]) else np.inf


def tail_start(steps: int) -> int:
    """First step of the run's last tenth (at least the last step), where "final" is measured."""
    return steps - max(1, steps // 10) + 1


def final_losses(
    surface: Surface,
    spec: OptimizerSpec,
    lrs: np.ndarray,
    *,
    start: tuple[float, float],
    steps: int,
    seed: int,
    index: int,
) -> np.ndarray:
    """:func:`final_loss` for every learning rate of ``lrs``.

    Built-in optimizers on analytic surfaces run side by side, as arrays of shape
    ``(2, n)``, drawing the run's noise once per step for all (so each candidate
    sees the noise it would see alone); anything else runs one by one.
    """
    if not spec.builtin or surface.dataset is not None:
        return np.array(
            [
                final_loss(
                    surface,
                    spec.with_lr(float(lr)),
                    start=start,
                    steps=steps,
                    seed=seed,
                    index=index,
                )
                for lr in lrs
            ]
        )
    lo, hi = (b[:, None] for b in divergence_bounds(surface))
    optimizer = spec.build(steps, lr=lrs)  # every update rule here is elementwise
    rng = np.random.default_rng([seed, index])
    noise = spec.hyper["noise"] if spec.stochastic else None
    params = np.repeat(np.asarray(start, dtype=float)[:, None], lrs.size, axis=1)
    state = optimizer.init(params)
    ok = np.ones(lrs.size, dtype=bool)
    tail = np.full(lrs.size, -np.inf)
    with np.errstate(all="ignore"):
        first = loss = surface.f(params)
        for t in range(steps + 1):
            if t > 0:
                g = surface.grad(optimizer.lookahead(state, params))
                if noise is not None:
                    g = g + noise * rng.standard_normal(2)[:, None]
                params, state = optimizer.update(g, state, params)
                loss = surface.f(params)
            grad = surface.grad(params)
            ok &= np.isfinite(loss) & np.all(
                np.isfinite(grad) & np.isfinite(params) & (params >= lo) & (params <= hi), axis=0
            )
            if t >= tail_start(steps):
                tail = np.maximum(tail, loss)
    return np.where(ok & (tail <= first), tail, np.inf)


def tune(
    surface: Surface,
    specs: Sequence[OptimizerSpec],
    *,
    start: tuple[float, float] | None = None,
    steps: int | None = None,
    seed: int = 0,
) -> list[OptimizerSpec]:
    """Each spec with its learning rate chosen by the rule above (``tuned=True``).

    Parameters are those of :func:`visualizer.maths.recorder.record`. A spec is returned
    unchanged when it is a user's optimizer object, or when no candidate qualifies
    (every run diverged or ended above its start).
    """
    if surface.model is not None:
        raise SpecError(f"--tune is not available on {surface.name} (a network's surface)")
    start = surface.start if start is None else (float(start[0]), float(start[1]))
    steps = surface.preset.steps if steps is None else int(steps)
    out = []
    for index, spec in enumerate(specs):
        if spec.optimizer is not None or spec.needs_surface:  # its own rate; Newton's is 1
            out.append(spec)
            continue
        losses = final_losses(surface, spec, GRID, start=start, steps=steps, seed=seed, index=index)
        i = int(np.argmin(losses))  # the first, so the smallest rate, of equal losses
        out.append(spec.with_lr(float(GRID[i]), tuned=True) if np.isfinite(losses[i]) else spec)
    return out
