"""Optimizers from ``torch.optim`` and optax, in lossviz's ``init``/``update`` form.

``-O torch:NAME:key=value,...`` runs the class ``torch.optim.NAME`` and
``-O optax:NAME:key=value,...`` the alias ``optax.NAME``, on the two parameters
of a surface, in float64. Both are optional extras (``pip install
'lossviz[torch]'``, ``'lossviz[optax]'``), imported only when such a spec is
used; without them the error is one line naming the extra.

Values are numbers, ``true``/``false``, ``none``, tuples in parentheses
(``betas=(0.9,0.99)``) or, failing those, text.

A torch optimizer keeps its state in place (that is how torch works), so the
state an ``update`` returns is the same object it was given: use one ``init``
per run, as the recorder does. Optax states are immutable, as in optax.
"""

from __future__ import annotations

import importlib
import inspect
import re
from collections.abc import Mapping
from typing import Any, NamedTuple

import numpy as np

from surfaces.errors import SpecError, did_you_mean
from surfaces.params import show
from visualizer.maths.optimizers import Optimizer

Array = np.ndarray

#: The prefixes of bridged specs and the extra each one needs.
EXTRAS = {"torch": "torch", "optax": "optax", "scipy": "scipy"}
#: The learning-rate keyword of each library.
LR_KEY = {"torch": "lr", "optax": "learning_rate"}

_INT = re.compile(r"[+-]?\d+")


def require_extra(library: str, owner: str) -> Any:
    """Import ``library`` for ``owner`` (a spec), or a one-line error naming the extra."""
    try:
        return importlib.import_module(library)
    except ImportError:
        raise SpecError(
            f"{owner} needs {library}: pip install 'lossviz[{EXTRAS[library]}]'"
        ) from None


def parse_value(text: str) -> Any:
    """A bridged optimizer's value from spec text.

    Examples
    --------
    >>> [parse_value(t) for t in ("0.9", "3", "true", "none", "(0.9,0.99)", "strong_wolfe")]
    [0.9, 3, True, None, (0.9, 0.99), 'strong_wolfe']
    """
    text = text.strip()
    if text.startswith("(") and text.endswith(")"):
        inner = text[1:-1].strip()
        return tuple(parse_value(v) for v in inner.split(",")) if inner else ()
    lowered = text.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    if lowered == "none":
        return None
    if _INT.fullmatch(text):
        return int(text)
    try:
        return float(text)
    except ValueError:
        return text


def format_value(value: Any) -> str:
    """The spec text of a value :func:`parse_value` returns."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "none"
    if isinstance(value, tuple):
        return "(" + ",".join(format_value(v) for v in value) + ")"
    if isinstance(value, float):
        return f"{value:g}" if float(f"{value:g}") == value else repr(value)
    return str(value)


def _keywords(function: Any) -> dict[str, inspect.Parameter]:
    params = inspect.signature(function).parameters
    return {
        k: p
        for k, p in params.items()
        if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY) and k not in ("self", "params")
    }


def refuse_unknown_keys(owner: str, hyper: Mapping[str, Any], valid: list[str]) -> None:
    """Raise a one-line :class:`SpecError` for the first key of ``hyper`` not in ``valid``."""
    for key in hyper:
        if key not in valid:
            raise SpecError(
                f"{owner}: unknown key {key!r}{did_you_mean(key, valid)}; "
                f"valid keys are {', '.join(valid)}"
            )


def _check_keys(owner: str, function: Any, hyper: Mapping[str, Any]) -> dict[str, Any]:
    """The keyword arguments, checked against ``function``'s signature; defaults added for lr."""
    keywords = _keywords(function)
    refuse_unknown_keys(owner, hyper, list(keywords))
    missing = [
        k
        for k, p in keywords.items()
        if p.default is inspect.Parameter.empty and k not in hyper and p.kind != p.VAR_KEYWORD
    ]
    if missing:
        raise SpecError(f"{owner}: {missing[0]} is required")
    return dict(hyper)


# --- torch ---------------------------------------------------------------------------


class TorchState(NamedTuple):
    """The torch parameter tensor and the optimizer that owns its state (updated in place)."""

    param: Any
    optimizer: Any


def _torch_class(name: str) -> Any:
    owner = f"torch:{name}"
    torch = require_extra("torch", owner)
    base = torch.optim.Optimizer
    known = [
        k
        for k in dir(torch.optim)
        if isinstance(getattr(torch.optim, k), type) and issubclass(getattr(torch.optim, k), base)
    ]
    known = [k for k in known if k != "Optimizer"]
    if name not in known:
        raise SpecError(
            f"unknown torch optimizer {name!r}{did_you_mean(name, known)}; "
            f"choose from {', '.join(sorted(known))}"
        )
    return getattr(torch.optim, name)


def check_torch(name: str, hyper: Mapping[str, Any]) -> dict[str, Any]:
    """Check a ``torch:NAME`` spec by taking one step with it; the keywords with ``lr``.

    Raises
    ------
    SpecError
        torch missing, an unknown class or key, or a value torch refuses.
    """
    owner = f"torch:{name}"
    cls = _torch_class(name)
    kwargs = _check_keys(owner, cls.__init__, hyper)
    lr = _keywords(cls.__init__).get("lr")
    if "lr" not in kwargs and lr is not None and isinstance(lr.default, (int, float)):
        kwargs = {"lr": float(lr.default), **kwargs}
    _dry_run(owner, torch_optimizer(name, kwargs))
    return kwargs


def torch_optimizer(name: str, hyper: Mapping[str, Any]) -> Optimizer:
    """``torch.optim.NAME(**hyper)`` on a float64 tensor of the two parameters."""
    torch = require_extra("torch", f"torch:{name}")
    cls = _torch_class(name)
    kwargs = dict(hyper)

    def init(params: Array) -> TorchState:
        param = torch.tensor(np.asarray(params, dtype=float), dtype=torch.float64)
        param.requires_grad_(True)
        return TorchState(param=param, optimizer=cls([param], **kwargs))

    def update(grad: Array, state: TorchState, params: Array) -> tuple[Array, TorchState]:
        with torch.no_grad():
            state.param.copy_(torch.from_numpy(np.array(params, dtype=float)))
        state.param.grad = torch.from_numpy(np.array(grad, dtype=float))
        state.optimizer.step()
        return state.param.detach().numpy().copy(), state

    return Optimizer(init, update)


# --- optax ---------------------------------------------------------------------------


def _optax_alias(name: str) -> Any:
    optax = require_extra("optax", f"optax:{name}")
    alias = getattr(optax, name, None) if not name.startswith("_") else None
    if alias is None or not callable(alias) or isinstance(alias, type):
        known = [k for k in dir(optax) if k.islower() and not k.startswith("_")]
        hint = did_you_mean(name, known) or "; see optax's documentation"
        raise SpecError(f"unknown optax alias {name!r}{hint}")
    return alias


def check_optax(name: str, hyper: Mapping[str, Any]) -> dict[str, Any]:
    """Check an ``optax:NAME`` spec by taking one step with it; the keywords.

    Raises
    ------
    SpecError
        optax missing, an unknown alias or key, or a value optax refuses.
    """
    owner = f"optax:{name}"
    kwargs = _check_keys(owner, _optax_alias(name), hyper)
    _dry_run(owner, optax_optimizer(name, kwargs))
    return kwargs


def optax_optimizer(name: str, hyper: Mapping[str, Any]) -> Optimizer:
    """``optax.NAME(**hyper)`` in float64, its update compiled once with ``jax.jit``."""
    owner = f"optax:{name}"
    optax = require_extra("optax", owner)
    jax = require_extra("jax", owner)
    jnp = jax.numpy
    try:
        transform = _optax_alias(name)(**hyper)
    except (TypeError, ValueError) as exc:
        raise SpecError(f"{owner}: {first_line(exc)}") from None
    if not (hasattr(transform, "init") and hasattr(transform, "update")):
        raise SpecError(f"{owner}: optax.{name} is not an optimizer (no init/update)")

    def step(grad: Any, state: Any, params: Any) -> tuple[Any, Any]:
        updates, state = transform.update(grad, state, params)
        return optax.apply_updates(params, updates), state

    jitted = jax.jit(step)
    x64 = jax.enable_x64 if hasattr(jax, "enable_x64") else jax.experimental.enable_x64

    def init(params: Array) -> Any:
        with x64(True):
            return transform.init(jnp.asarray(params, dtype=jnp.float64))

    def update(grad: Array, state: Any, params: Array) -> tuple[Array, Any]:
        with x64(True):
            new, state = jitted(
                jnp.asarray(grad, dtype=jnp.float64), state, jnp.asarray(params, jnp.float64)
            )
            return np.asarray(new, dtype=float), state

    return Optimizer(init, update)


# --- shared --------------------------------------------------------------------------


def first_line(exc: BaseException) -> str:
    """A library's exception as one short line for a :class:`SpecError`."""
    text = str(exc).strip()
    return show(text.splitlines()[0], 120)[1:-1] if text else type(exc).__name__


def _dry_run(owner: str, optimizer: Optimizer) -> None:
    """One step from (1, 1) with a unit gradient, so bad values fail at parse time."""
    try:
        params = np.ones(2)
        optimizer.update(np.ones(2), optimizer.init(params), params)
    except SpecError:
        raise
    except Exception as exc:  # whatever the library raises for a bad value
        raise SpecError(f"{owner}: {first_line(exc)}") from None
