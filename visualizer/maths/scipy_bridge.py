"""``scipy.optimize.minimize`` methods as lossviz optimizers: ``-O scipy:METHOD:key=value,...``.

scipy drives its own loop, so the bridge runs ``minimize`` once, when a run starts
(``init``), from the run's start with ``maxiter`` = the scene's steps (unless the spec
gives its own), and keeps every iterate scipy passes to its ``callback``; each
``update`` then takes the next one: one drawn step is one of scipy's iterations, and
the position drawn is the iterate scipy reported. When scipy stops early (it
converged, or failed), the run stays at its last iterate. The gradient the recorder
hands to ``update`` is not used: scipy evaluates the surface itself, through
counters, so each iteration's cost is what scipy really spent: function, gradient
and Hessian evaluations (evaluations after the last callback count to the last
iteration, so the totals equal scipy's ``nfev``, ``njev`` and ``nhev``).

Keys are the method's options (``scipy.optimize.show_options``), with the values of
:func:`visualizer.maths.bridges.parse_value`: ``-O scipy:BFGS:gtol=1e-8``. Methods
that use derivatives get the surface's gradient (``jac``), and those that use
second derivatives its Hessian (:func:`surfaces.hessian.hessian`: analytic, or
central differences of the gradient). scipy is an optional extra (``pip install
'lossviz[scipy]'``), imported only when such a spec is used.

Nelder–Mead also keeps its simplex after each iteration, for drawing: scipy's
callback reports only the best vertex, so each iteration is run again by scipy
itself from the previous simplex (``initial_simplex``, one iteration) and its
``final_simplex`` kept; its best vertex is checked against the callback's iterate.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from surfaces.base import Surface
from surfaces.errors import SpecError, did_you_mean
from surfaces.hessian import hessian
from visualizer.maths.bridges import first_line, refuse_unknown_keys, require_extra
from visualizer.maths.optimizers import Optimizer

Array = np.ndarray

#: The methods of ``scipy.optimize.minimize`` that run here (each reports every
#: iteration to its callback, needs no constraints, and is checked against
#: ``minimize`` itself in ``tests/test_scipy_bridge.py``).
METHODS = (
    "Nelder-Mead",
    "Powell",
    "CG",
    "BFGS",
    "L-BFGS-B",
    "SLSQP",
    "Newton-CG",
    "dogleg",
    "trust-ncg",
    "trust-exact",
    "trust-krylov",
)
#: The methods that take the gradient, and those that also take the Hessian.
USES_GRADIENT = frozenset(METHODS) - {"Nelder-Mead", "Powell"}
USES_HESSIAN = frozenset({"Newton-CG", "dogleg", "trust-ncg", "trust-exact", "trust-krylov"})

#: Options every method takes (``minimize`` passes them on) besides those it lists.
_COMMON = ("maxiter", "return_all")
#: Not keys: the bridge passes the functions and the callback itself, and scipy's
#: printing (``disp``, ``iprint``) would write into ``trace``'s CSV on stdout.
_NOT_OPTIONS = ("callback", "jac", "hess", "hessp", "disp", "iprint")


def method_name(name: str) -> str:
    """The canonical spelling of a method (scipy's names are case-insensitive).

    Examples
    --------
    >>> method_name("bfgs"), method_name("nelder-mead")
    ('BFGS', 'Nelder-Mead')
    """
    for method in METHODS:
        if method.lower() == name.lower():
            return method
    raise SpecError(
        f"unknown scipy method {name!r}{did_you_mean(name, METHODS)}; "
        f"choose from {', '.join(METHODS)}"
    )


def method_options(method: str) -> list[str]:
    """The option names of ``method``, from ``scipy.optimize.show_options``."""
    optimize = require_extra("scipy", f"scipy:{method}").optimize
    text = optimize.show_options("minimize", method, disp=False)
    names: list[str] = []
    for match in re.finditer(r"^([A-Za-z_][\w, ]*?) :", text, re.M):
        names += [n.strip() for n in match.group(1).split(",") if n.strip()]
    names += [n for n in _COMMON if n not in names]
    return [n for n in names if n not in _NOT_OPTIONS]


def check_scipy(name: str, hyper: Mapping[str, Any]) -> dict[str, Any]:
    """Check a ``scipy:METHOD`` spec by running it from (1, 1) on a bowl; its options.

    Raises
    ------
    SpecError
        scipy missing, an unknown method or option, or a value scipy refuses.
    """
    method = method_name(name)
    owner = f"scipy:{method}"
    refuse_unknown_keys(owner, hyper, method_options(method))
    from surfaces import get_surface

    optimizer = scipy_optimizer(method, hyper, get_surface("bowl"), steps=2)
    optimizer.init(np.ones(2))
    return dict(hyper)


@dataclass(frozen=True)
class ScipyPath:
    """One whole ``minimize`` run: what each drawn step shows.

    Attributes
    ----------
    iterates
        ``(k+1, 2)``: the start, then the iterate of each callback.
    evaluations
        ``(k+1, 3)`` cumulative ``(f, ∇f, H)`` evaluations at each iterate.
    simplices
        ``(k+1, 3, 2)`` Nelder–Mead's simplex at each iterate (best vertex first), or ``None``.
    message
        scipy's message at the end.
    """

    iterates: Array
    evaluations: Array
    simplices: Array | None
    message: str

    @property
    def iterations(self) -> int:
        """How many iterations scipy took."""
        return len(self.iterates) - 1


class ScipyState(NamedTuple):
    """The index of the iterate shown, into the run's :class:`ScipyPath`."""

    index: int
    path: ScipyPath

    @property
    def evaluations(self) -> tuple[int, int, int]:
        """Cumulative ``(f, ∇f, H)`` evaluations at the iterate shown."""
        f, g, h = self.path.evaluations[self.index]
        return int(f), int(g), int(h)

    @property
    def simplex(self) -> Array | None:
        """Nelder–Mead's simplex at the iterate shown, or ``None``."""
        return None if self.path.simplices is None else self.path.simplices[self.index]

    @property
    def stopped_at(self) -> int:
        """The step at which scipy stopped (its number of iterations)."""
        return self.path.iterations


def minimize_arguments(method: str, surface: Surface) -> dict[str, Any]:
    """``fun`` and, for the methods that use them, ``jac`` and ``hess`` of ``surface``.

    These are what the bridge passes to ``scipy.optimize.minimize`` (through counters),
    so a test can call ``minimize`` with the same and compare.
    """
    out: dict[str, Any] = {"fun": lambda p: float(surface.f(np.asarray(p, dtype=float)))}
    if method in USES_GRADIENT:
        out["jac"] = lambda p: np.asarray(surface.grad(np.asarray(p, dtype=float)), dtype=float)
    if method in USES_HESSIAN:
        h = hessian(surface)
        out["hess"] = lambda p: np.asarray(h(np.asarray(p, dtype=float)), dtype=float)
    return out


def run_minimize(
    method: str, options: Mapping[str, Any], surface: Surface, start: Array, *, steps: int | None
) -> ScipyPath:
    """Run ``scipy.optimize.minimize`` once and keep its iterates and their costs.

    ``options`` get ``maxiter = steps`` unless they give one (and the method takes it).
    """
    owner = f"scipy:{method}"
    optimize = require_extra("scipy", owner).optimize
    options = dict(options)
    if steps is not None and "maxiter" not in options and "maxiter" in method_options(method):
        options["maxiter"] = int(steps)
    counts = [0, 0, 0]

    def counted(index: int, function: Callable[[Array], Any]) -> Callable[[Array], Any]:
        def call(p: Array) -> Any:
            counts[index] += 1
            return function(p)

        return call

    names = {"fun": 0, "jac": 1, "hess": 2}
    arguments = {k: counted(names[k], v) for k, v in minimize_arguments(method, surface).items()}
    x0 = np.asarray(start, dtype=float)
    iterates, evaluations = [x0.copy()], [(0, 0, 0)]

    def callback(intermediate_result: Any) -> None:
        iterates.append(np.array(intermediate_result.x, dtype=float))
        evaluations.append(tuple(counts))

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", optimize.OptimizeWarning)
            warnings.simplefilter("ignore", RuntimeWarning)  # overflow on a wild step: nan
            with np.errstate(all="ignore"):
                result = optimize.minimize(
                    x0=x0, method=method, callback=callback, options=options, **arguments
                )
    except SpecError:
        raise
    except Exception as exc:  # whatever scipy raises for a bad value
        raise SpecError(f"{owner}: {first_line(exc)}") from None
    if steps is not None and len(iterates) > steps + 1:  # a maxiter beyond the steps
        del iterates[steps + 1 :], evaluations[steps + 1 :]
    else:  # evaluations after the last callback (or before a first that never came)
        evaluations[-1] = tuple(counts)
    simplices = None
    if method == "Nelder-Mead":
        simplices = _simplices(optimize, arguments["fun"], options, np.array(iterates))
    return ScipyPath(
        iterates=np.array(iterates),
        evaluations=np.array(evaluations, dtype=np.int64),
        simplices=simplices,
        message=str(result.message),
    )


def _simplices(optimize: Any, fun: Callable, options: Mapping[str, Any], iterates: Array) -> Array:
    """Nelder–Mead's simplex at each iterate: scipy's own, one iteration at a time.

    Rows after a mismatch between the re-run's best vertex and the callback's
    iterate (none is known) would be ``nan``, never a made-up simplex.
    """
    keep = {k: v for k, v in options.items() if k in ("xatol", "fatol", "adaptive", "bounds")}
    first = optimize.minimize(
        fun, iterates[0], method="Nelder-Mead", options={**keep, "maxiter": 1, **_initial(options)}
    )
    out = np.full((len(iterates), 3, 2), np.nan)
    simplex = first.final_simplex[0]
    out[0] = simplex
    for k in range(1, len(iterates)):
        # maxiter=2: scipy counts the set-up as its first iteration
        step = optimize.minimize(
            fun,
            simplex[0],
            method="Nelder-Mead",
            options={**keep, "maxiter": 2, "initial_simplex": simplex},
        )
        simplex = step.final_simplex[0]
        if not np.array_equal(simplex[0], iterates[k]):
            break
        out[k] = simplex
    return out


def _initial(options: Mapping[str, Any]) -> dict[str, Any]:
    given = options.get("initial_simplex")
    return {} if given is None else {"initial_simplex": given}


def scipy_optimizer(
    name: str, hyper: Mapping[str, Any], surface: Surface, *, steps: int | None = None
) -> Optimizer:
    """``scipy.optimize.minimize(method=name, options=hyper)`` on ``surface``, replayed.

    ``init(start)`` runs scipy (at most ``steps`` iterations); ``update`` moves to the
    next iterate and ignores the gradient it is given.
    """
    method = method_name(name)
    options = dict(hyper)

    def init(params: Array) -> ScipyState:
        return ScipyState(0, run_minimize(method, options, surface, params, steps=steps))

    def update(grad: Array, state: ScipyState, params: Array) -> tuple[Array, ScipyState]:
        index = min(state.index + 1, state.path.iterations)
        return state.path.iterates[index].copy(), ScipyState(index, state.path)

    return Optimizer(init, update)
