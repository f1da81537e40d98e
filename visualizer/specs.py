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

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

from surfaces.errors import SpecError, did_you_mean
from surfaces.params import Param, check_plain_text, split_spec
from visualizer import optimizers as opt


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
    """

    name: str
    rule: str
    rule_params: tuple[Param, ...]
    factory: Callable[..., opt.Optimizer]
    has_velocity: bool = False
    stochastic: bool = False

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
    }
)


@dataclass(frozen=True)
class OptimizerSpec:
    """A parsed optimizer spec.

    Attributes
    ----------
    name
        Optimizer name (a key of :data:`OPTIMIZERS`).
    hyper
        Every hyperparameter with its value (defaults filled in).
    given
        The keys that were given explicitly (the rest are defaults or preset values).
    label
        The legend label given with ``label=``, or ``None``.
    """

    name: str
    hyper: Mapping[str, float] = field(default_factory=dict)
    given: frozenset[str] = frozenset()
    label: str | None = None

    @property
    def info(self) -> OptimizerInfo:
        """The optimizer's registry entry."""
        return OPTIMIZERS[self.name]

    def build(self) -> opt.Optimizer:
        """The pure ``init``/``update`` pair for these hyperparameters."""
        return self.info.factory(**{h.name: self.hyper[h.name] for h in self.info.rule_params})

    def hyper_text(self, keys: Sequence[str] | None = None, *, data: bool | None = None) -> str:
        """Hyperparameters as ``"lr=0.01 beta=0.9"``.

        By default every key but an unchanged ``eps``; with ``data`` given, sgd
        shows ``batch`` on data surfaces (``data=True``) and ``noise`` otherwise.
        """
        if keys is None:
            keys = [h.name for h in self.info.hypers if h.name in self.given or h.name != "eps"]
            if data is not None:
                keys = [k for k in keys if k != ("noise" if data else "batch")]
        return " ".join(f"{k}={_fmt(self.hyper[k])}" for k in keys)

    def text(self) -> str:
        """A spec string that parses back to this spec."""
        items = [f"{k}={_fmt(self.hyper[k])}" for k in sorted(self.given)]
        if self.label is not None:
            items.append(f"label={self.label}")
        return self.name + (":" + ",".join(items) if items else "")


def _fmt(value: float) -> str:
    if float(value).is_integer() and abs(value) < 1e15:
        return str(int(value))
    return f"{value:g}"


def optimizer_names() -> list[str]:
    """Names of every optimizer, in registry order."""
    return list(OPTIMIZERS)


def parse_optimizer(text: str, *, base: OptimizerSpec | None = None) -> OptimizerSpec:
    """Parse ``NAME`` or ``NAME:key=value,...`` into an :class:`OptimizerSpec`.

    Parameters
    ----------
    text
        The spec string; ``label=`` sets the legend label.
    base
        Values to start from instead of the optimizer's defaults (a surface preset).
        Keys given in ``text`` override them.

    Raises
    ------
    SpecError
        Unknown optimizer or key (the message lists the valid ones), or a value out
        of range.
    """
    name, raw = split_spec(text, kind="optimizer")
    if name not in OPTIMIZERS:
        raise SpecError(
            f"unknown optimizer {name!r}{did_you_mean(name, OPTIMIZERS)}; "
            f"choose from {', '.join(OPTIMIZERS)}"
        )
    info = OPTIMIZERS[name]
    label = raw.pop("label", None)
    if label is not None:
        check_plain_text("label", label, max_chars=MAX_LABEL_CHARS)
    valid = [h.name for h in info.hypers]
    hyper = {h.name: float(h.default) for h in info.hypers}
    given: set[str] = set()
    if base is not None and base.name == name:
        hyper.update(base.hyper)
        given |= base.given
        label = label if label is not None else base.label
    for key, value in raw.items():
        if key not in valid:
            raise SpecError(
                f"{name}: unknown key {key!r}{did_you_mean(key, [*valid, 'label'])}; "
                f"valid keys are {', '.join([*valid, 'label'])}"
            )
        parsed = info.hyper(key).parse(value, owner=name)
        hyper[key] = parsed
        given.add(key)
    return OptimizerSpec(name=name, hyper=hyper, given=frozenset(given), label=label)


def resolve_optimizers(texts: Sequence[str], preset: Sequence[str]) -> list[OptimizerSpec]:
    """Parse user specs on top of a surface preset.

    A spec without a key takes the preset's values for an optimizer of the same
    name (the first one in the preset), so ``-O momentum`` on the ravine uses the
    ravine's tuned learning rate. An empty ``texts`` gives the preset itself.
    """
    preset_specs = [parse_optimizer(p) for p in preset]
    if not texts:
        return preset_specs
    by_name: dict[str, OptimizerSpec] = {}
    for p in preset_specs:
        by_name.setdefault(p.name, p)
    out = []
    for t in texts:
        name, _ = split_spec(t, kind="optimizer")
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
        any(p.name == s.name and dict(p.hyper) == dict(s.hyper) for p in parsed) for s in specs
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
        keys = [h.name for h in spec.info.hypers if len({s.hyper[h.name] for s in same}) > 1]
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
