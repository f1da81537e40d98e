"""Optimizer specs: ``NAME`` or ``NAME:key=value,...``, their checks and labels.

Examples
--------
>>> spec = parse_optimizer("momentum:lr=0.01,beta=0.9")
>>> spec.name, spec.hyper["lr"], spec.hyper["beta"]
('momentum', 0.01, 0.9)
>>> parse_optimizer("gd:lr=0").name
Traceback (most recent call last):
...
surfaces.errors.SpecError: gd: lr must be > 0, got '0'
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np

from surfaces.base import Surface
from surfaces.errors import SpecError, did_you_mean
from surfaces.hessian import hessian
from surfaces.params import Param, check_plain_text, split_spec
from visualizer.maths import optimizers as opt
from visualizer.maths.bridges import LR_KEY, format_value
from visualizer.maths.schedules import CONSTANT, SCHEDULE_KEYS, Schedule, parse_schedule


def _positive(v: float) -> bool:
    return v > 0


def _unit(v: float) -> bool:
    return 0 <= v < 1


def _nonneg(v: float) -> bool:
    return v >= 0


#: Longest legend label given with ``label=``, in characters.
MAX_LABEL_CHARS = 60

_LR = Param("lr", 0.01, _positive, "> 0", help="learning rate")
_BETA = Param("beta", 0.9, _unit, "in [0, 1)", help="momentum coefficient")
_EPS = Param("eps", 1e-8, _positive, "> 0", help="added to the root")

#: Keys of a stochastic optimizer that shape its gradient oracle (see the recorder),
#: not its update rule.
ORACLE_PARAMS = (
    Param("noise", 1.0, _nonneg, ">= 0", help="gradient noise (analytic surfaces)"),
    Param("batch", 32, _positive, ">= 1", integer=True, help="minibatch size (data)"),
)


@dataclass(frozen=True)
class OptimizerInfo:
    """An optimizer known to lossviz: its rule, hyperparameters and factory.

    Attributes
    ----------
    rule_params
        The factory's keyword arguments.
    stochastic
        Whether it is fed a stochastic gradient; it then also takes the
        :data:`ORACLE_PARAMS` (``noise``, ``batch``), read by the recorder.
    second_order
        Whether its factory also takes the surface's Hessian (``hess=``).
    """

    name: str
    rule: str
    rule_params: tuple[Param, ...]
    factory: Callable[..., opt.Optimizer]
    has_velocity: bool = False
    stochastic: bool = False
    second_order: bool = False

    @property
    def hypers(self) -> tuple[Param, ...]:
        """Every key a spec may give, in display order."""
        return self.rule_params + (ORACLE_PARAMS if self.stochastic else ())

    def hyper(self, key: str) -> Param:
        """The hyperparameter called ``key``."""
        for h in self.hypers:
            if h.name == key:
                return h
        raise KeyError(key)


OPTIMIZERS: Mapping[str, OptimizerInfo] = MappingProxyType(
    {
        "gd": OptimizerInfo("gd", "θ ← θ − lr·g", (_LR,), opt.gd),
        "sgd": OptimizerInfo(
            "sgd",
            "θ ← θ − lr·g̃ (g̃: minibatch gradient, or g + noise·N(0, I) on analytic surfaces)",
            (_LR,),
            opt.sgd,
            stochastic=True,
        ),
        "momentum": OptimizerInfo(
            "momentum", "v ← β·v + lr·g ; θ ← θ − v", (_LR, _BETA), opt.momentum, has_velocity=True
        ),
        "nesterov": OptimizerInfo(
            "nesterov",
            "v ← β·v + lr·∇f(θ − β·v) ; θ ← θ − v",
            (_LR, _BETA),
            opt.nesterov,
            has_velocity=True,
        ),
        "adagrad": OptimizerInfo(
            "adagrad", "G ← G + g² ; θ ← θ − lr·g/(√G + eps)", (_LR, _EPS), opt.adagrad
        ),
        "rmsprop": OptimizerInfo(
            "rmsprop",
            "s ← ρ·s + (1−ρ)·g² ; θ ← θ − lr·g/(√s + eps)",
            (_LR, Param("rho", 0.9, _unit, "in [0, 1)", help="decay of the squared mean"), _EPS),
            opt.rmsprop,
        ),
        "adam": OptimizerInfo(
            "adam",
            "Kingma & Ba with bias correction",
            (
                _LR,
                Param("beta1", 0.9, _unit, "in [0, 1)", help="first-moment decay"),
                Param("beta2", 0.999, _unit, "in [0, 1)", help="second-moment decay"),
                _EPS,
            ),
            opt.adam,
        ),
        "newton": OptimizerInfo(
            "newton",
            "θ ← θ − lr·(H + λI)⁻¹g (H: the Hessian; λ: damping)",
            (
                Param("lr", 1.0, _positive, "> 0", help="learning rate (1: the full Newton step)"),
                Param("damping", 0.0, _nonneg, ">= 0", help="λ added to H's diagonal"),
            ),
            opt.newton,
            second_order=True,
        ),
    }
)


#: Prefixes of specs run by another library (``torch:SGD:lr=0.1``),
#: see :mod:`visualizer.maths.bridges`.
BRIDGES = ("torch", "optax", "scipy")
_ORACLE_KEYS = frozenset(h.name for h in ORACLE_PARAMS)


@dataclass(frozen=True)
class OptimizerSpec:
    """A parsed optimizer spec, or a user's own optimizer object.

    Attributes
    ----------
    name
        A key of :data:`OPTIMIZERS`, a bridged name (``"torch:SGD"``,
        ``"optax:adam"``), or a user optimizer's label.
    hyper
        Every hyperparameter with its value (defaults filled in), in display order.
    given
        The keys that were given explicitly (the rest are defaults or preset values).
    label
        The legend label given with ``label=``, or ``None``.
    schedule
        The learning-rate schedule (``schedule=``, ``gamma=``, ``every=``, ``warmup=``).
    optimizer
        A user's own :class:`~visualizer.maths.optimizers.Optimizer`, run as it is.
    tuned
        Whether ``lr`` was chosen by :func:`visualizer.maths.tune.tune`.
    control
        Whether the run is a control (``control=true``): drawn secondary (thin,
        dashed, translucent, under the other runs) and marked where it leaves the
        picture. A scene that claims momentum beats GD keeps GD at momentum's
        effective step ``lr/(1 − β)`` as its control.
    """

    name: str
    hyper: Mapping[str, Any] = field(default_factory=dict)
    given: frozenset[str] = frozenset()
    label: str | None = None
    schedule: Schedule = CONSTANT
    optimizer: opt.Optimizer | None = None
    tuned: bool = False
    control: bool = False

    @property
    def info(self) -> OptimizerInfo:
        """The optimizer's registry entry (built-in optimizers only)."""
        return OPTIMIZERS[self.name]

    @property
    def bridge(self) -> str | None:
        """``"torch"``, ``"optax"`` or ``"scipy"`` for a bridged spec, else ``None``."""
        prefix = self.name.partition(":")[0]
        return prefix if self.optimizer is None and prefix in BRIDGES else None

    @property
    def builtin(self) -> bool:
        """Whether it is one of :data:`OPTIMIZERS`."""
        return self.optimizer is None and self.name in OPTIMIZERS

    @property
    def stochastic(self) -> bool:
        """Whether its gradient is noisy or from minibatches (``sgd``, or ``noise=``/``batch=``)."""
        return (self.builtin and self.info.stochastic) or bool(self.given & _ORACLE_KEYS)

    @property
    def has_velocity(self) -> bool:
        """Whether its state has a ``velocity`` (the heavy ball, Nesterov)."""
        return self.builtin and self.info.has_velocity

    @property
    def lr_key(self) -> str | None:
        """The key of the base learning rate, or ``None`` if it has none."""
        key = LR_KEY.get(self.bridge) if self.bridge else "lr"
        return key if key in self.hyper else None

    @property
    def needs_surface(self) -> bool:
        """Whether :meth:`build` needs the surface: Newton (its Hessian), ``scipy:``."""
        return (self.builtin and self.info.second_order) or self.bridge == "scipy"

    @property
    def lr(self) -> float | None:
        """The base learning rate (before any schedule), or ``None`` if unknown."""
        value = self.hyper.get(self.lr_key) if self.lr_key else None
        return float(value) if isinstance(value, (int, float)) else None

    def build(
        self, steps: int | None = None, *, lr: Any = None, surface: Surface | None = None
    ) -> opt.Optimizer:
        """The ``init``/``update`` pair, with the schedule over ``steps`` steps applied.

        ``lr`` overrides the learning rate of a built-in: an array of rates runs
        one candidate per column (see :mod:`visualizer.maths.tune`). ``surface`` is
        needed when :attr:`needs_surface`: Newton takes its Hessian, ``scipy:``
        methods evaluate it themselves (``steps`` is then their ``maxiter``).
        """
        if self.needs_surface and surface is None:
            raise ValueError(f"{self.name} needs the surface: build(steps, surface=...)")
        if self.optimizer is not None:
            base = self.optimizer
        elif self.bridge == "scipy":
            from visualizer.maths import scipy_bridge

            rule = {k: v for k, v in self.hyper.items() if k not in _ORACLE_KEYS}
            return scipy_bridge.scipy_optimizer(
                self.name.partition(":")[2], rule, surface, steps=steps
            )
        elif self.bridge is not None:
            from visualizer.maths import bridges

            make = bridges.torch_optimizer if self.bridge == "torch" else bridges.optax_optimizer
            rule = {k: v for k, v in self.hyper.items() if k not in _ORACLE_KEYS}
            base = make(self.name.partition(":")[2], rule)
        else:
            rule = {h.name: self.hyper[h.name] for h in self.info.rule_params}
            if self.info.second_order:
                rule["hess"] = hessian(surface)
            base = self.info.factory(**(rule if lr is None else {**rule, "lr": lr}))
        if self.schedule.is_constant:
            return base
        if steps is None:
            raise ValueError("a scheduled optimizer needs the number of steps")
        return opt.scheduled(base, self.schedule.factors(steps))

    def lrs(self, steps: int) -> np.ndarray | None:
        """The learning rate at ``t = 0 … steps`` (the schedule times ``lr``), if known."""
        return None if self.lr is None else self.lr * self.schedule.factors(steps)

    def shown(self, *, data: bool | None = None) -> dict[str, Any]:
        """What the legend shows: hyperparameters, then the schedule's keys.

        Built-ins show every key but an unchanged ``eps``; with ``data`` given, a
        stochastic run shows ``batch`` on data surfaces (``data=True``) and
        ``noise`` otherwise.
        """
        out = {
            k: v
            for k, v in self.hyper.items()
            if not (self.builtin and k == "eps" and k not in self.given)
        }
        if data is not None:
            out.pop("noise" if data else "batch", None)
        return {**out, **self.schedule.items()}

    def hyper_text(self, keys: Sequence[str] | None = None, *, data: bool | None = None) -> str:
        """Hyperparameters as ``"lr=0.01 beta=0.9"`` (``keys``, or :meth:`shown`)."""
        shown = self.shown(data=data)
        values = {**self.hyper, **self.schedule.items()}
        return " ".join(f"{k}={_fmt(values[k])}" for k in (shown if keys is None else keys))

    def text(self) -> str:
        """A spec string that parses back to this spec (not for a user's object)."""
        items = [f"{k}={_fmt(self.hyper[k])}" for k in sorted(self.given)]
        items += [f"{k}={_fmt(v)}" for k, v in self.schedule.items().items()]
        if self.control:
            items.append("control=true")
        if self.label is not None:
            items.append(f"label={self.label}")
        return self.name + (":" + ",".join(items) if items else "")

    def with_lr(self, lr: float, *, tuned: bool = False) -> OptimizerSpec:
        """The same spec with base learning rate ``lr``."""
        key = self.lr_key or "lr"
        return dataclasses.replace(
            self,
            hyper={**self.hyper, key: lr},
            given=self.given | {key},
            tuned=tuned,
        )


def _fmt(value: Any) -> str:
    if isinstance(value, (bool, tuple, str)) or value is None:
        return format_value(value)
    if float(value).is_integer() and abs(value) < 1e15:
        return str(int(value))
    return f"{value:g}"


def optimizer_names() -> list[str]:
    """Names of every optimizer, in registry order."""
    return list(OPTIMIZERS)


def from_optimizer(optimizer: opt.Optimizer) -> OptimizerSpec:
    """The spec of a user's own optimizer object: its label and declared hyperparameters.

    Examples
    --------
    >>> spec = from_optimizer(opt.sign_sgd(lr=0.05))
    >>> spec.name, spec.hyper_text()
    ('sign-sgd', 'lr=0.05')
    """
    if not isinstance(optimizer, opt.Optimizer):
        raise SpecError(
            f"optimizers must be spec strings or Optimizer(init, update) objects, got "
            f"{type(optimizer).__name__}"
        )
    hyper = dict(optimizer.hyper)
    label = optimizer.label
    if label is not None and (not isinstance(label, str) or not label.strip()):
        raise SpecError(f"an optimizer's label must be a non-empty string, got {label!r}")
    if label is not None:
        check_plain_text("label", label, max_chars=MAX_LABEL_CHARS)
    return OptimizerSpec(
        name=label or "custom",
        hyper=hyper,
        given=frozenset(hyper),
        label=label,
        optimizer=optimizer,
    )


def _split(text: str) -> tuple[str, dict[str, str]]:
    """``split_spec`` that keeps a bridged name whole (``torch:SGD``) and commas in ``(…)``."""
    head, sep, rest = text.strip().partition(":")
    if head.strip() in BRIDGES and sep:
        if _COMMA_IN_PARENS in rest:
            raise SpecError("optimizer spec contains a NUL byte")
        name, raw = split_spec(_protect(rest), kind="optimizer")
        return f"{head.strip()}:{name}", {k: _unprotect(v) for k, v in raw.items()}
    return split_spec(text, kind="optimizer")


_COMMA_IN_PARENS = "\x00"


def _protect(text: str) -> str:
    out, depth = [], 0
    for ch in text:
        depth += (ch == "(") - (ch == ")")
        out.append(_COMMA_IN_PARENS if ch == "," and depth > 0 else ch)
    return "".join(out)


def _unprotect(text: str) -> str:
    return text.replace(_COMMA_IN_PARENS, ",")


def parse_optimizer(text: str, *, base: OptimizerSpec | None = None) -> OptimizerSpec:
    """Parse ``NAME`` or ``NAME:key=value,...`` into an :class:`OptimizerSpec`.

    Parameters
    ----------
    text
        The spec string; ``label=`` sets the legend label; ``schedule=``,
        ``gamma=``, ``every=``, ``warmup=`` the learning-rate schedule;
        ``noise=``/``batch=`` make any optimizer's gradient stochastic;
        ``control=true`` marks a control run (drawn secondary).
        ``torch:NAME:...`` and ``optax:NAME:...`` run another library's optimizer.
    base
        Values to start from instead of the optimizer's defaults (a surface preset).
        Keys given in ``text`` override them.

    Raises
    ------
    SpecError
        Unknown optimizer or key (the message lists the valid ones), or a value out
        of range.
    TypeError
        ``text`` is not a string (``None``, a number).

    Examples
    --------
    >>> parse_optimizer("gd:lr=0.1,schedule=exponential,gamma=0.9").text()
    'gd:lr=0.1,schedule=exponential,gamma=0.9'
    """
    if not isinstance(text, str):
        raise TypeError(
            f"parse_optimizer() takes an optimizer spec string as text, got {type(text).__name__}"
        )
    name, raw = _split(text)
    label = raw.pop("label", None)
    if label is not None:
        check_plain_text("label", label, max_chars=MAX_LABEL_CHARS)
    control = _parse_control(name, raw.pop("control", None))
    timing = {k: raw.pop(k) for k in SCHEDULE_KEYS if k in raw}
    schedule = parse_schedule(timing, owner=name)
    oracle = {h.name: h.parse(raw.pop(h.name), owner=name) for h in ORACLE_PARAMS if h.name in raw}
    if name.partition(":")[0] in BRIDGES and ":" in name:
        from visualizer.maths import bridges

        prefix, _, target = name.partition(":")
        if prefix == "scipy":
            from visualizer.maths import scipy_bridge

            target = scipy_bridge.method_name(target)
            name = f"scipy:{target}"
            check = scipy_bridge.check_scipy
            if not schedule.is_constant or oracle:
                what = "learning-rate schedule" if oracle == {} else "noise= or batch="
                raise SpecError(f"{name}: scipy's methods take no {what} (scipy evaluates f)")
        else:
            check = bridges.check_torch if prefix == "torch" else bridges.check_optax
        hyper = check(target, {k: bridges.parse_value(v) for k, v in raw.items()})
        given = set(raw) | set(oracle)
        return OptimizerSpec(
            name=name,
            hyper={**hyper, **oracle},
            given=frozenset(given),
            label=label,
            schedule=schedule,
            control=control,
        )
    if name not in OPTIMIZERS:
        raise SpecError(
            f"unknown optimizer {name!r}{did_you_mean(name, OPTIMIZERS)}; "
            f"choose from {', '.join(OPTIMIZERS)}, or torch:NAME, optax:NAME, scipy:METHOD"
        )
    info = OPTIMIZERS[name]
    valid = [h.name for h in info.hypers]
    hyper = {h.name: float(h.default) for h in info.hypers}
    given: set[str] = set()
    if base is not None and base.name == name:
        hyper.update(base.hyper)
        given |= base.given
        label = label if label is not None else base.label
        schedule = schedule if timing else base.schedule
    for key, value in raw.items():
        if key not in valid:
            keys = [*valid, *(h.name for h in ORACLE_PARAMS if h.name not in valid)]
            raise SpecError(
                f"{name}: unknown key {key!r}{did_you_mean(key, [*keys, *SCHEDULE_KEYS])}; "
                f"valid keys are {', '.join([*keys, *SCHEDULE_KEYS, 'label', 'control'])}"
            )
        hyper[key] = info.hyper(key).parse(value, owner=name)
        given.add(key)
    hyper.update(oracle)
    given |= set(oracle)
    return OptimizerSpec(
        name=name,
        hyper=hyper,
        given=frozenset(given),
        label=label,
        schedule=schedule,
        control=control,
    )


def _parse_control(name: str, text: str | None) -> bool:
    """The value of ``control=``: ``true`` or ``false`` (absent: ``false``).

    Examples
    --------
    >>> _parse_control("gd", "true"), _parse_control("gd", None)
    (True, False)
    >>> _parse_control("gd", "yes")
    Traceback (most recent call last):
    ...
    surfaces.errors.SpecError: gd: control must be true or false, got 'yes'
    """
    if text is None:
        return False
    value = text.strip().lower()
    if value not in ("true", "false"):
        raise SpecError(f"{name}: control must be true or false, got {text!r}")
    return value == "true"


#: What a scene's or ``animate``'s list of optimizers may hold.
OptimizerLike = str | OptimizerSpec | opt.Optimizer


def resolve_optimizers(
    texts: Sequence[OptimizerLike], preset: Sequence[str]
) -> list[OptimizerSpec]:
    """Parse user specs on top of a surface preset.

    A spec without a key takes the preset's values for an optimizer of the same
    name (the first one in the preset), so ``-O momentum`` on the ravine uses the
    ravine's tuned learning rate. An empty ``texts`` gives the preset itself.
    Parsed specs and a user's :class:`~visualizer.maths.optimizers.Optimizer` objects
    are taken as they are.
    """
    preset_specs = [parse_optimizer(p) for p in preset]
    if not texts:
        return preset_specs
    by_name: dict[str, OptimizerSpec] = {}
    for p in preset_specs:
        by_name.setdefault(p.name, p)
    out = []
    for t in texts:
        if isinstance(t, OptimizerSpec):
            out.append(t)
        elif not isinstance(t, str):
            out.append(from_optimizer(t))
        else:
            name, _ = _split(t)
            out.append(parse_optimizer(t, base=by_name.get(name)))
    return out


def matches_preset(specs: Sequence[OptimizerSpec], preset: Sequence[str]) -> bool:
    """Whether every spec has exactly the values of one of the ``preset`` specs.

    The preset's note (how its learning rates were chosen) holds only then.

    Examples
    --------
    >>> matches_preset([parse_optimizer("gd:lr=0.1")], ["gd:lr=0.1", "momentum"])
    True
    >>> matches_preset([parse_optimizer("gd:lr=0.2")], ["gd:lr=0.1"])
    False
    """
    parsed = [parse_optimizer(p) for p in preset]
    return all(
        any(
            s.builtin and p.name == s.name and p.shown() == s.shown() and dict(p.hyper) == s.hyper
            for p in parsed
        )
        for s in specs
    )


def labels_for(specs: Sequence[OptimizerSpec]) -> list[str]:
    """Unique legend labels that show what differs between runs of one optimizer.

    Examples
    --------
    >>> labels_for([parse_optimizer("gd:lr=0.01"), parse_optimizer("gd:lr=0.05"),
    ...             parse_optimizer("momentum")])
    ['gd lr=0.01', 'gd lr=0.05', 'momentum']
    """
    labels: list[str] = []
    for _i, spec in enumerate(specs):
        if spec.label is not None:
            labels.append(spec.label)
            continue
        same = [s for j, s in enumerate(specs) if s.name == spec.name and s.label is None]
        if len(same) == 1:
            labels.append(spec.name)
            continue
        values = [{**s.hyper, **s.schedule.items()} for s in same]
        mine = values[same.index(spec)]
        keys = [k for k in mine if len({v.get(k) for v in values}) > 1]
        labels.append(f"{spec.name} {spec.hyper_text(keys)}".strip())
    taken = set(labels)
    used: set[str] = set()
    unique = []
    for lab in labels:
        out, n = lab, 1
        while out in used:  # never reuse a label, nor take one another spec has as its own
            n += 1
            out = f"{lab} #{n}"
            if out in taken:
                out = lab
        used.add(out)
        unique.append(out)
    return unique
