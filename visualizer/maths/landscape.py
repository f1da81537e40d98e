"""Recording on a model surface: train in full dimension, show on one shared plane.

Every optimizer trains the network from the same initialisation, on the true
gradient or (``sgd``) on real minibatches drawn by the recorder's own
:func:`~visualizer.maths.recorder.gradient_oracle`. Then one plane is chosen for all
runs together (:mod:`surfaces.plane`), around the final point of the reference
run (the first one that did not diverge), and the recording is re-expressed in
its coordinates: a :class:`ModelRecording` whose surface is the loss on the
plane (:func:`surfaces.model.plane_surface`), whose positions are the projected
iterates and whose losses are the *true* training losses. Every renderer draws
it like any other recording.

The projection is honest about what it drops. Each :class:`ModelRun` also holds,
per step, the distance of the iterate from the plane, the loss the contours show
at its projected point (evaluated exactly, not read off the lattice) and the
test accuracy; :meth:`ModelRun.readout` shows them live in the legend, and
:attr:`ModelRecording.note` states how much of the paths the plane explains.
Pure numpy: no plotting, no I/O.

Examples
--------
>>> from surfaces import get_surface
>>> from visualizer.maths.recorder import record
>>> from visualizer.maths.specs import parse_optimizer
>>> s = get_surface("mlp:hidden=4,samples=64,grid=12")
>>> rec = record(s, [parse_optimizer("gd:lr=0.5"), parse_optimizer("momentum:lr=0.05")], steps=20)
>>> rec.runs[0].positions.shape, rec.runs[0].params.shape
((21, 2), (21, 22))
>>> bool(rec.runs[0].losses[-1] < rec.runs[0].losses[0]), 0.0 < rec.plane.explained <= 1.0
(True, True)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from surfaces.base import Surface
from surfaces.errors import SpecError
from surfaces.model import AUTO_WINDOW, Landscape, fit_window, plane_surface
from surfaces.plane import Plane, pca_plane, random_plane
from visualizer.maths.optimizers import velocity
from visualizer.maths.recording import Recording, Run, gradient_oracle
from visualizer.maths.specs import OptimizerSpec, labels_for

Array = np.ndarray

#: A run is stopped as diverged once its parameters' norm passes this.
MAX_PARAM_NORM = 1e6


@dataclass(frozen=True)
class ModelRun(Run):
    """A run of a model surface: plane coordinates plus what the plane leaves out.

    ``positions`` are plane coordinates, ``losses`` the true training losses,
    ``gradients`` and ``velocities`` their components along the two directions.

    Attributes
    ----------
    params
        The full parameter vector at each step ``(steps+1, D)``.
    plane_losses
        The loss on the plane at the projected point ``(steps+1,)``: the value
        the contours show under the ball.
    off_plane
        Distance of the iterate from the plane ``(steps+1,)``.
    accuracy
        Test accuracy ``(steps+1,)``.
    """

    params: Array
    plane_losses: Array
    off_plane: Array
    accuracy: Array

    def readout(self, step: int) -> str:
        """Test accuracy, distance from the plane, and true loss minus the contour's (2 lines).

        Examples
        --------
        >>> nan = np.full(1, np.nan)
        >>> run = ModelRun(None, "gd", nan, np.array([0.25]), nan, None, None, None, nan,
        ...                np.array([0.2]), np.array([0.0123]), np.array([0.975]))
        >>> print(run.readout(0))
        test acc 97.5%  ·  off-plane 0.012
        loss − contour +0.050
        """
        if step > self.last_step:
            return ""
        gap = float(self.losses[step] - self.plane_losses[step])
        return (
            f"test acc {self.accuracy[step]:.1%}  ·  off-plane {self.off_plane[step]:.3f}\n"
            f"loss − contour {gap:+.3f}"
        )

    def trace_columns(self) -> dict[str, Array]:
        """The loss under the ball on the plane, the distance off it, the test accuracy."""
        return {
            "plane_loss": self.plane_losses,
            "off_plane": self.off_plane,
            "test_accuracy": self.accuracy,
        }


@dataclass(frozen=True)
class ModelRecording(Recording):
    """A recording of a model surface, re-expressed on the shared plane.

    Attributes
    ----------
    model
        The model surface as built (full-dimensional ``f`` and ``grad``).
    plane
        The plane every run is projected onto.
    reference
        Label of the run whose final point is the plane's centre.
    """

    model: Surface
    plane: Plane
    reference: str

    @property
    def note(self) -> str:
        """How the plane was chosen and how much of the paths it holds."""
        weights = self.model.model.problem.net.size if self.model.model else 0
        share = f"{self.plane.explained:.0%} of their spread"
        if self.plane.kind == "pca":
            how = f"the paths' two main directions ({share})"
        else:
            how = f"a random plane ({share})"
        return f"all {weights} weights seen on one slice: {how}"

    @property
    def loss_floor(self) -> float:
        """Cross-entropy is never below 0: the loss panel shows the loss itself."""
        return 0.0


def _train(
    surface: Surface, spec: OptimizerSpec, *, label: str, steps: int, rng: np.random.Generator
) -> tuple[Run, Array, Array]:
    """Train one run in full dimension; returns the run (in full dimension) and accuracies."""
    land: Landscape = surface.model
    problem = land.problem
    optimizer = spec.build(steps)
    oracle = gradient_oracle(surface, spec, rng)
    dim = problem.net.size
    params_t = np.full((steps + 1, dim), np.nan)
    losses = np.full(steps + 1, np.nan)
    grads = np.full((steps + 1, dim), np.nan)
    velocities = np.full((steps + 1, dim), np.nan) if spec.has_velocity else None
    accuracy = np.full(steps + 1, np.nan)
    params = problem.init.copy()
    state = optimizer.init(params)
    diverged_at: int | None = None
    with np.errstate(all="ignore"):
        for t in range(steps + 1):
            if t > 0:
                g = oracle(optimizer.lookahead(state, params))
                params, state = optimizer.update(g, state, params)
            loss, grad = problem.loss_and_grad(params)
            if not (
                np.isfinite(loss)
                and np.all(np.isfinite(grad))
                and np.linalg.norm(params) < MAX_PARAM_NORM
            ):
                diverged_at = t
                break
            params_t[t], losses[t], grads[t] = params, loss, grad
            accuracy[t] = problem.accuracy(params)
            if velocities is not None:
                velocities[t] = velocity(state)  # through a schedule
    run = Run(spec, label, params_t, losses, grads, velocities, diverged_at, spec.lrs(steps))
    return run, params_t, accuracy


def record_model(
    surface: Surface,
    specs: Sequence[OptimizerSpec],
    *,
    start: tuple[float, float] | None = None,
    steps: int | None = None,
    seed: int = 0,
) -> ModelRecording:
    """Train every optimizer on a model surface and project the paths on one plane.

    Parameters are those of :func:`visualizer.maths.recorder.record`, which calls this
    for surfaces with a ``model``. Run ``i`` draws its minibatches from
    ``default_rng([seed, i])``; the data, the initialisation and random
    directions come from the surface's own ``seed``.

    Raises
    ------
    SpecError
        A ``start`` (every run starts from the network's initialisation), bad
        steps or seed, or every run diverging at its first step.
    """
    land: Landscape = surface.model
    if start is not None:
        raise SpecError(
            f"start does not apply to {surface.name}: every run starts from the network's "
            "seeded initialisation (set seed= in the surface spec)"
        )
    steps = surface.preset.steps if steps is None else int(steps)
    if steps < 1:
        raise SpecError(f"steps must be >= 1, got {steps}")
    if seed < 0:
        raise SpecError(f"seed must be >= 0, got {seed}")
    labels = labels_for(specs)
    trained = [
        _train(surface, spec, label=label, steps=steps, rng=np.random.default_rng([seed, i]))
        for i, (spec, label) in enumerate(zip(specs, labels, strict=True))
    ]
    alive = [i for i, (run, _, _) in enumerate(trained) if run.last_step >= 0]
    if not alive:
        raise SpecError(f"every run diverged at once on {surface.name}; lower the learning rates")
    ref = next((i for i in alive if trained[i][0].diverged_at is None), alive[0])
    reference = trained[ref][0]
    center = reference.positions[reference.last_step]
    everything = np.concatenate([p for _, p, _ in trained])
    init = land.problem.init
    if land.plane == "pca":
        plane = pca_plane(everything, center=center, start=init)
    else:
        rng = np.random.default_rng([land.seed, 13])
        plane = random_plane(
            everything, center=center, layers=land.problem.net.layers, rng=rng, start=init
        )
    coords = [plane.coordinates(p) for _, p, _ in trained]
    start_xy = coords[0][0]  # every run starts at the initialisation
    window = surface.window if surface.window != AUTO_WINDOW else fit_window(np.vstack(coords))
    flat = plane_surface(surface, plane, start=start_xy, window=window)
    runs = []
    for (run, params, accuracy), xy in zip(trained, coords, strict=True):
        finite = np.all(np.isfinite(xy), axis=1)
        on_plane = np.full(len(xy), np.nan)
        on_plane[finite] = land.problem.plane_losses(plane.center, plane.directions, xy[finite])
        off = np.full(len(xy), np.nan)
        off[finite] = plane.off_plane(params[finite])
        units = plane.directions
        velocities = None if run.velocities is None else plane.components(run.velocities)
        runs.append(
            ModelRun(
                spec=run.spec,
                label=run.label,
                positions=xy,
                losses=run.losses,
                gradients=run.gradients @ units.T,
                velocities=velocities,
                diverged_at=run.diverged_at,
                lrs=run.lrs,
                params=params,
                plane_losses=on_plane,
                off_plane=off,
                accuracy=accuracy,
            )
        )
    return ModelRecording(
        surface=flat,
        start=(float(start_xy[0]), float(start_xy[1])),
        steps=steps,
        seed=seed,
        runs=tuple(runs),
        model=surface,
        plane=plane,
        reference=labels[ref],
    )
