"""What a recorder gives: a :class:`Recording` of :class:`Run` s, and the gradient oracle a
run is fed by.

Pure numpy. Both recorders, :mod:`visualizer.maths.recorder` (a surface in the plane)
and :mod:`visualizer.maths.landscape` (a network), build these; the drawing reads them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from surfaces.base import Surface
from surfaces.errors import SpecError
from visualizer.maths.specs import OptimizerSpec

Array = np.ndarray
GradientOracle = Callable[[Array], Array]


@dataclass(frozen=True)
class Run:
    """One optimizer's trajectory.

    Arrays have ``steps + 1`` rows (row 0 is the start). After a divergence, rows
    from ``diverged_at`` on are NaN.

    Attributes
    ----------
    spec
        The optimizer spec that was run.
    label
        Unique legend label.
    positions
        Parameters ``(steps+1, 2)``.
    losses
        True (full) loss at each position ``(steps+1,)``.
    gradients
        True (full) gradient at each position ``(steps+1, 2)``.
    velocities
        Momentum velocity after each step ``(steps+1, 2)`` (zero at the start), or
        ``None`` for optimizers without one.
    diverged_at
        First step whose values were non-finite or out of bounds, or ``None``.
    lrs
        Learning rate of the step from each row to the next ``(steps+1,)`` (the
        schedule's; the last entry only continues it), or ``None`` when unknown
        (a user's optimizer object declaring no ``lr``).
    evaluations
        Cumulative evaluations the optimizer made to reach each row, ``(steps+1, 3)``
        integers: function, gradient, Hessian (0 at the start). An optimizer whose
        state has an ``evaluations`` attribute reports its own (Newton, ``scipy:``);
        any other takes one gradient per step. ``None`` for a model run.
    simplices
        Nelder–Mead's simplex at each row ``(steps+1, 3, 2)``, best vertex first, or
        ``None`` (an optimizer whose state has a ``simplex`` attribute reports it).
    stopped_at
        The step after which the optimizer stopped moving by its own rule (scipy
        converged or gave up), or ``None``.
    show_evaluations
        Whether the legend shows the evaluations (a scene with Newton or ``scipy:``,
        or one compared at equal evaluations).
    """

    spec: OptimizerSpec
    label: str
    positions: Array
    losses: Array
    gradients: Array
    velocities: Array | None
    diverged_at: int | None
    lrs: Array | None
    evaluations: Array | None = field(default=None, kw_only=True)
    simplices: Array | None = field(default=None, kw_only=True)
    stopped_at: int | None = field(default=None, kw_only=True)
    show_evaluations: bool = field(default=False, kw_only=True)

    @property
    def last_step(self) -> int:
        """Index of the last finite row."""
        return (self.diverged_at - 1) if self.diverged_at is not None else len(self.losses) - 1

    def left_at(self, window: tuple[float, float, float, float]) -> int | None:
        """The step at which the run left the picture ``window`` for good, or ``None``.

        The one definition used by captions, the legend, the command's notes and
        the tests: a run *leaves the picture* at the first step from which every
        iterate it still has lies outside ``window`` (to its end, or until it
        diverged); it *diverges* (:attr:`diverged_at`) when it is stopped, a value
        non-finite or :data:`~visualizer.maths.recorder.DIVERGENCE_FACTOR` windows away.
        A run stopped while still inside the window (a non-finite loss) diverged
        without leaving: ``None``.

        Examples
        --------
        >>> from surfaces import get_surface
        >>> from visualizer.maths.recorder import record
        >>> from visualizer.maths.specs import parse_optimizer
        >>> s = get_surface("ravine")
        >>> run = record(s, [parse_optimizer("gd:lr=0.041")], steps=8).runs[0]
        >>> run.left_at(s.window), run.diverged_at
        (1, 5)
        """
        xmin, xmax, ymin, ymax = window
        p = self.positions[: self.last_step + 1]
        inside = (p[:, 0] >= xmin) & (p[:, 0] <= xmax) & (p[:, 1] >= ymin) & (p[:, 1] <= ymax)
        if inside[-1]:
            return None
        back = np.flatnonzero(inside)
        return int(back[-1] + 1) if back.size else 0

    def fate(self, window: tuple[float, float, float, float]) -> str:
        """How the run ended, in the words of the legend: ``""`` if it stayed in the picture.

        Examples
        --------
        >>> from surfaces import get_surface
        >>> from visualizer.maths.recorder import record
        >>> from visualizer.maths.specs import parse_optimizer
        >>> s = get_surface("ravine")
        >>> record(s, [parse_optimizer("gd:lr=0.041")], steps=8).runs[0].fate(s.window)
        'left the picture at step 1, diverged at step 5'
        """
        left = self.left_at(window)
        parts = [f"left the picture at step {left}"] if left is not None else []
        if self.diverged_at is not None:
            parts.append(f"diverged at step {self.diverged_at}")
        return ", ".join(parts)

    def readout(self, step: int) -> str:
        """Extra live lines for the legend at ``step``: a scheduled lr, the evaluations.

        Examples
        --------
        >>> from surfaces import get_surface
        >>> from visualizer.maths.recorder import record
        >>> rec = record(get_surface("bowl"), ["newton", "gd:lr=0.5"], start=(2, 1), steps=3)
        >>> [run.readout(2) for run in rec.runs]
        ['2 ∇f, 2 H', '2 ∇f']
        """
        lines = []
        shown = min(step, self.last_step)
        if self.lrs is not None and not self.spec.schedule.is_constant and step <= self.last_step:
            lines.append(f"lr {self.lrs[step]:.3g}")
        if self.show_evaluations and self.evaluations is not None:
            lines.append(evaluations_text(self.evaluations[shown]))
        return "\n".join(lines)

    def total_evaluations(self) -> Array | None:
        """Every evaluation to reach each row, of any kind (``f + ∇f + H``), or ``None``."""
        return None if self.evaluations is None else self.evaluations.sum(axis=1)

    def trace_columns(self) -> dict[str, Array]:
        """Extra per-step columns for ``lossviz trace`` (model runs); none here."""
        return {}


#: ``lossviz trace``'s columns of :attr:`Run.evaluations`.
EVALUATION_COLUMNS = ("f_evals", "grad_evals", "hess_evals")


def evaluations_text(counts: Array) -> str:
    """``"12 f, 12 ∇f, 3 H"``: the nonzero kinds of a row of :attr:`Run.evaluations`.

    Examples
    --------
    >>> evaluations_text(np.array([0, 0, 0])), evaluations_text(np.array([5, 4, 0]))
    ('0 ∇f', '5 f, 4 ∇f')
    """
    parts = [f"{int(n)} {kind}" for n, kind in zip(counts, ("f", "∇f", "H"), strict=True) if n]
    return ", ".join(parts) if parts else "0 ∇f"


@dataclass(frozen=True)
class Recording:
    """Every run of one scene, plus what produced them."""

    surface: Surface
    start: tuple[float, float]
    steps: int
    seed: int
    runs: tuple[Run, ...]
    pace: str = field(default="iterations", kw_only=True)

    @property
    def note(self) -> str:
        """One line for the subtitle: how the learning rates were chosen, under ``--tune``."""
        if any(run.spec.tuned for run in self.runs):
            return "each lr tuned (--tune: lowest final loss over a log grid)"
        return ""

    @property
    def loss_floor(self) -> float | None:
        """A known lower bound of the loss for the loss panel; ``None``: the lowest seen."""
        return None


def gradient_oracle(
    surface: Surface, spec: OptimizerSpec, rng: np.random.Generator
) -> GradientOracle:
    """The gradient an optimizer sees: exact, noisy, or from real minibatches.

    Parameters
    ----------
    surface
        The surface.
    spec
        The optimizer spec; only a stochastic one (``sgd``) gets noise or minibatches.
    rng
        The run's own generator.

    Returns
    -------
    callable
        ``oracle(point) -> gradient``; stateful for minibatches (epochs without
        replacement), so use one oracle per run.
    """
    if not spec.stochastic:
        return lambda p: surface.grad(p)
    if surface.dataset is None:
        if "batch" in spec.given:
            raise SpecError(
                f"{spec.name}: batch applies to data surfaces such as regression; "
                f"on {surface.name} use noise="
            )
        noise = spec.hyper["noise"]
        return lambda p: surface.grad(p) + noise * rng.standard_normal(2)
    data = surface.dataset
    if "noise" in spec.given:
        raise SpecError(
            f"{spec.name}: noise applies to analytic surfaces; data surfaces use batch="
        )
    batch = int(spec.hyper["batch"])
    if batch > data.n_samples:
        raise SpecError(
            f"{spec.name}: batch must be <= the dataset size {data.n_samples}, got {batch}"
        )
    order = np.empty(0, dtype=np.intp)

    def minibatch(p: Array) -> Array:
        nonlocal order
        if order.size < batch:  # a new epoch; a partial remainder is dropped (drop_last)
            order = rng.permutation(data.n_samples)
        indices, order = order[:batch], order[batch:]
        return data.batch_grad(p, indices)

    return minibatch
