"""Learning-rate schedules: ``schedule=constant|exponential|step|cosine`` and ``warmup``.

A schedule is a multiplier of the base learning rate at step ``t = 0, 1, …, T−1``
(``T`` the number of steps), with the meanings of ``torch.optim.lr_scheduler``:

- ``constant``: 1
- ``exponential``: ``γ^t`` (``ExponentialLR``)
- ``step``: ``γ^⌊t/every⌋`` (``StepLR``)
- ``cosine``: ``½(1 + cos(πt/T))`` (``CosineAnnealingLR`` with ``T_max=T``, ``eta_min=0``)

and ``warmup=W`` multiplies any of them by ``min(1, (t+1)/W)``. Step ``t`` is the
update from row ``t`` of a recording to row ``t + 1``.

Examples
--------
>>> s = parse_schedule({"schedule": "step", "gamma": "0.5", "every": "2"}, owner="gd")
>>> s.factors(5).tolist()
[1.0, 1.0, 0.5, 0.5, 0.25, 0.25]
>>> parse_schedule({"schedule": "cosine", "warmup": "2"}, owner="gd").factors(4).round(4).tolist()
[0.5, 0.8536, 0.5, 0.1464, 0.0]
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from surfaces.errors import SpecError
from surfaces.params import Param, show

#: The schedule names, in documentation order.
SCHEDULES = ("constant", "exponential", "step", "cosine")
#: Every key of a spec that belongs to its schedule.
SCHEDULE_KEYS = ("schedule", "gamma", "every", "warmup")

_GAMMA = Param("gamma", 0.1, lambda v: v > 0, "> 0", help="decay factor (exponential, step)")
_EVERY = Param("every", 1, lambda v: v >= 1, ">= 1", integer=True, help="steps per decay (step)")
_WARMUP = Param("warmup", 0, lambda v: v >= 0, ">= 0", integer=True, help="linear warm-up steps")
#: Which schedules read ``gamma`` and ``every``.
_USES = {"gamma": ("exponential", "step"), "every": ("step",)}


@dataclass(frozen=True)
class Schedule:
    """A learning-rate multiplier per step; see the module docstring for the formulas.

    Attributes
    ----------
    kind
        One of :data:`SCHEDULES`.
    gamma
        Decay factor of ``exponential`` and ``step`` (``None`` for the others).
    every
        Steps per decay of ``step`` (``None`` for the others).
    warmup
        Linear warm-up over this many steps; 0 for none.
    """

    kind: str = "constant"
    gamma: float | None = None
    every: int | None = None
    warmup: int = 0

    @property
    def is_constant(self) -> bool:
        """Whether every factor is 1."""
        return self.kind == "constant" and self.warmup <= 1

    def factors(self, steps: int) -> np.ndarray:
        """Multipliers for ``t = 0 … steps`` (the last one only continues the curve).

        Parameters
        ----------
        steps
            ``T``, the number of steps of the run (cosine reaches 0 at ``t = T``).
        """
        t = np.arange(steps + 1, dtype=float)
        if self.kind == "exponential":
            out = float(self.gamma) ** t  # type: ignore[arg-type]
        elif self.kind == "step":
            out = float(self.gamma) ** np.floor(t / float(self.every))  # type: ignore[arg-type]
        elif self.kind == "cosine":
            out = 0.5 * (1.0 + np.cos(np.pi * t / steps))
        else:
            out = np.ones_like(t)
        if self.warmup > 0:
            out = out * np.minimum(1.0, (t + 1.0) / self.warmup)
        return out

    def items(self) -> dict[str, str | float]:
        """The keys that describe it in a spec (none for a constant rate)."""
        out: dict[str, str | float] = {}
        if self.kind != "constant":
            out["schedule"] = self.kind
        if self.gamma is not None:
            out["gamma"] = self.gamma
        if self.every is not None:
            out["every"] = self.every
        if self.warmup:
            out["warmup"] = self.warmup
        return out


CONSTANT = Schedule()


def parse_schedule(raw: Mapping[str, str], *, owner: str) -> Schedule:
    """A :class:`Schedule` from a spec's raw ``schedule``, ``gamma``, ``every``, ``warmup``.

    Raises
    ------
    SpecError
        An unknown schedule, a value out of range, ``gamma``/``every`` for a
        schedule that does not use them, or missing where one needs them.
    """
    kind = raw.get("schedule", "constant").strip()
    if kind not in SCHEDULES:
        raise SpecError(
            f"{owner}: schedule must be one of {', '.join(SCHEDULES)}, got {show(kind)}"
        )
    values: dict[str, float] = {}
    for param in (_GAMMA, _EVERY):
        if param.name in raw:
            if kind not in _USES[param.name]:
                users = " or ".join(_USES[param.name])
                raise SpecError(f"{owner}: {param.name} applies to schedule={users}")
            values[param.name] = param.parse(raw[param.name], owner=owner)
        elif kind in _USES[param.name]:
            raise SpecError(f"{owner}: schedule={kind} needs {param.name}=")
    warmup = int(_WARMUP.parse(raw["warmup"], owner=owner)) if "warmup" in raw else 0
    every = values.get("every")
    return Schedule(
        kind=kind,
        gamma=values.get("gamma"),
        every=None if every is None else int(every),
        warmup=warmup,
    )
