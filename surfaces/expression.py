"""Surfaces given as an expression in ``x`` and ``y``, such as ``"x**2 + 10*y**2"``.

The text is parsed with :func:`ast.parse` and checked node by node against a
whitelist: numbers, the names ``x``, ``y``, ``pi`` and ``e``, the operators
``+ - * / **``, unary ``+ -``, and calls of a few numpy functions by bare name
(:data:`FUNCTIONS`). The checked tree is turned into a tree of Python closures
over numpy ufuncs; no user text is ever passed to ``eval``, ``exec`` or
``compile``. Anything else is refused with a one-line :class:`SpecError`.

Numbers become ``float64`` when parsed, so ``9**9**9**9`` overflows to ``inf``
at once instead of building a huge Python int. Evaluation ignores numpy
floating-point warnings: ``inf`` and ``nan`` are ordinary results, and the
recorder treats them as divergence.

Gradients are numeric. When every function in the expression is holomorphic
the complex step ``Im f(x + ih) / h`` with ``h = 1e-20`` is used, which is exact
to machine precision. ``abs``, ``cbrt``, ``minimum`` (or ``min``), ``maximum``
(or ``max``), ``hypot`` and ``arctan2`` are not holomorphic (or have no complex
numpy version); expressions using them fall back to central differences with step
``h = cbrt(eps) * max(1, |x|)`` (relative error around ``1e-10`` away from
kinks). Where the function value is not finite the gradient is ``nan``.

A constant expression such as ``"2 + 3"`` is allowed: it broadcasts to the
shape of ``x`` and ``y`` and has a zero gradient.
"""

from __future__ import annotations

import ast
import math
import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from surfaces.base import Array, Preset, Surface, xy
from surfaces.errors import SpecError, did_you_mean
from surfaces.tuning import curvature_lr

Evaluator = Callable[[Array, Array], Array]

MAX_LENGTH = 500
"""Longest accepted expression text, in characters."""
MAX_DEPTH = 100
"""Deepest accepted nesting of the expression tree."""
MAX_NODES = 500
"""Most accepted expression nodes (numbers, names, operators, calls)."""

_COMPLEX_STEP = 1e-20
_CENTRAL_STEP = float(np.cbrt(np.finfo(float).eps))
#: The relative step of the central differences (``cbrt(eps)``).
CENTRAL_STEP = _CENTRAL_STEP

# Precedence of a rendered subexpression, for deciding where parentheses go.
_ADD, _MUL, _UNARY, _POW, _ATOM = 1, 2, 3, 4, 5


@dataclass(frozen=True)
class _Function:
    ufunc: np.ufunc
    arity: int
    holomorphic: bool
    mathtext: str
    precedence: int = _ATOM


FUNCTIONS: dict[str, _Function] = {
    "sin": _Function(np.sin, 1, True, r"\sin({0})"),
    "cos": _Function(np.cos, 1, True, r"\cos({0})"),
    "tan": _Function(np.tan, 1, True, r"\tan({0})"),
    "arcsin": _Function(np.arcsin, 1, True, r"\arcsin({0})"),
    "arccos": _Function(np.arccos, 1, True, r"\arccos({0})"),
    "arctan": _Function(np.arctan, 1, True, r"\arctan({0})"),
    "sinh": _Function(np.sinh, 1, True, r"\sinh({0})"),
    "cosh": _Function(np.cosh, 1, True, r"\cosh({0})"),
    "tanh": _Function(np.tanh, 1, True, r"\tanh({0})"),
    "arcsinh": _Function(np.arcsinh, 1, True, r"\mathrm{{arcsinh}}({0})"),
    "arccosh": _Function(np.arccosh, 1, True, r"\mathrm{{arccosh}}({0})"),
    "arctanh": _Function(np.arctanh, 1, True, r"\mathrm{{arctanh}}({0})"),
    "exp": _Function(np.exp, 1, True, r"e^{{{0}}}", _POW),
    "expm1": _Function(np.expm1, 1, True, r"e^{{{0}}} - 1", _ADD),
    "log": _Function(np.log, 1, True, r"\ln({0})"),
    "log1p": _Function(np.log1p, 1, True, r"\ln(1 + {0})"),
    "log2": _Function(np.log2, 1, True, r"\log_{{2}}({0})"),
    "log10": _Function(np.log10, 1, True, r"\log_{{10}}({0})"),
    "sqrt": _Function(np.sqrt, 1, True, r"\sqrt{{{0}}}"),
    "cbrt": _Function(np.cbrt, 1, False, r"\sqrt[3]{{{0}}}"),
    "abs": _Function(np.abs, 1, False, r"|{0}|"),
    "minimum": _Function(np.minimum, 2, False, r"\min({0}, {1})"),
    "maximum": _Function(np.maximum, 2, False, r"\max({0}, {1})"),
    "min": _Function(np.minimum, 2, False, r"\min({0}, {1})"),
    "max": _Function(np.maximum, 2, False, r"\max({0}, {1})"),
    "hypot": _Function(np.hypot, 2, False, r"\mathrm{{hypot}}({0}, {1})"),
    "arctan2": _Function(np.arctan2, 2, False, r"\mathrm{{arctan2}}({0}, {1})"),
}
"""Functions an expression may call, by name."""

_CONSTANTS = {"pi": np.float64(math.pi), "e": np.float64(math.e)}
_NAME_MATHTEXT = {"x": "x", "y": "y", "pi": r"\pi", "e": "e"}

_OPERATORS: dict[type[ast.operator], Callable[[Array, Array], Array]] = {
    ast.Add: np.add,
    ast.Sub: np.subtract,
    ast.Mult: np.multiply,
    ast.Div: np.true_divide,
}
_REFUSED_OPERATORS = {
    ast.FloorDiv: "//",
    ast.Mod: "%",
    ast.MatMult: "@",
    ast.LShift: "<<",
    ast.RShift: ">>",
    ast.BitOr: "|",
    ast.BitAnd: "&",
    ast.BitXor: "^",
}
_ALLOWED = "use numbers, x, y, pi, e, + - * / ** and functions like sin(x)"
_REFUSED_NODES = {
    ast.Attribute: "attribute access",
    ast.Subscript: "indexing",
    ast.Slice: "slicing",
    ast.Lambda: "lambda",
    ast.ListComp: "comprehensions",
    ast.SetComp: "comprehensions",
    ast.DictComp: "comprehensions",
    ast.GeneratorExp: "comprehensions",
    ast.List: "lists",
    ast.Tuple: "tuples",
    ast.Set: "sets",
    ast.Dict: "dicts",
    ast.IfExp: "conditional expressions",
    ast.Compare: "comparisons",
    ast.BoolOp: "boolean operators",
    ast.NamedExpr: "assignments",
    ast.JoinedStr: "f-strings",
    ast.FormattedValue: "f-strings",
    ast.Starred: "starred arguments",
    ast.Await: "await",
    ast.Yield: "yield",
    ast.YieldFrom: "yield",
}


def parse_expression(text: str) -> Evaluator:
    """Compile an expression in ``x`` and ``y`` into a numpy function ``f(x, y)``.

    Parameters
    ----------
    text
        The expression, e.g. ``"sin(x)*cos(y) + 0.1*(x**2 + y**2)"``. Allowed:
        numbers, ``x``, ``y``, ``pi``, ``e``, ``+ - * / **``, parentheses and
        calls of the functions in :data:`FUNCTIONS` by bare name.

    Returns
    -------
    Callable
        ``f(x, y)``; broadcasts ``x`` against ``y`` and returns an array of the
        broadcast shape (0-d for scalars), ``float64`` for real input. Accepts
        complex input too (used for complex-step gradients).

    Raises
    ------
    SpecError
        On malformed or disallowed input, with a one-line message.

    Examples
    --------
    >>> f = parse_expression("x**2 + 10*y**2")
    >>> f(np.array([0.0, 1.0, 2.0]), 1.0)
    array([10., 11., 14.])
    >>> float(parse_expression("2 + 3")(0.5, 0.5))
    5.0
    >>> parse_expression("z + 1")
    Traceback (most recent call last):
    ...
    surfaces.errors.SpecError: unknown name 'z' in expression; use x, y, pi, e
    """
    return _compile_text(text).evaluate


def checked_tree(text: str) -> tuple[ast.Expression, bool]:
    """The checked syntax tree of an expression, and whether its gradient is a complex step.

    The tree has passed every check of :func:`parse_expression`, so it holds only
    numbers, ``x``, ``y``, ``pi``, ``e``, ``+ - * / **``, unary ``+ -`` and calls of
    :data:`FUNCTIONS`. ``False``: the gradient is central differences (``abs``...).

    Examples
    --------
    >>> tree, holomorphic = checked_tree("abs(x) + y**2")
    >>> ast.unparse(tree), holomorphic
    ('abs(x) + y ** 2', False)
    """
    compiled = _compile_text(text)
    return compiled.tree, compiled.holomorphic


def _preset(grad: Callable[[Array], Array], window: tuple[float, float, float, float]) -> Preset:
    """Same learning rate for every optimizer: ``1/L`` from the curvature over the window."""
    lr, scale = curvature_lr(grad, window)
    noise = float(f"{max(scale, 1e-12) * 0.2:.2g}")
    return Preset(
        optimizers=(
            f"gd:lr={lr:g}",
            f"sgd:lr={lr:g},noise={noise:g}",
            f"momentum:lr={lr:g},beta=0.9",
        ),
        steps=150,
        note=f"same lr={lr:g} for every optimizer (from the curvature over the window)",
    )


def expression_surface(text: str) -> Surface:
    """Build a :class:`Surface` from an expression in ``x`` and ``y``.

    The surface has the default window ``(-5, 5, -5, 5)``, starts at
    ``(-3.5, 2.5)``, has no known minima and a generic optimizer preset.

    Parameters
    ----------
    text
        The expression; see :func:`parse_expression`.

    Returns
    -------
    Surface
        ``name`` is the normalized expression text (:func:`ast.unparse`),
        ``title`` the text as typed, ``formula`` its mathtext.

    Raises
    ------
    SpecError
        On malformed or disallowed input, with a one-line message.

    Examples
    --------
    >>> surface = expression_surface("x**2 + 10*y**2")
    >>> surface.name, surface.formula
    ('x ** 2 + 10 * y ** 2', '$f(x,y) = x^{2} + 10 y^{2}$')
    >>> surface.f(np.array([[1.0, 2.0], [0.0, 1.0]]))
    array([ 1., 14.])
    >>> surface.grad(np.array([1.0, 1.0]))
    array([ 2., 20.])
    """
    compiled = _compile_text(text)
    evaluate = compiled.evaluate

    def f(params: Array) -> Array:
        x, y = xy(params)
        return evaluate(x, y)

    grad = _gradient(evaluate, holomorphic=compiled.holomorphic)
    window = (-5.0, 5.0, -5.0, 5.0)
    return Surface(
        name=compiled.normalized,
        # the text as typed; a "$" (only possible in a comment) must not start mathtext
        title="f(x, y) = " + " ".join(text.split()).replace("$", r"\$"),
        formula=f"$f(x,y) = {_mathtext(compiled.tree.body)[0]}$",
        f=f,
        grad=grad,
        window=window,
        start=(-3.5, 2.5),
        minima=(),
        preset=lambda: _preset(grad, window),
        params={},
        log_levels=False,
    )


def function_surface(
    function: Callable[[Array, Array], Array],
    *,
    grad: Callable[[Array, Array], Array] | None = None,
    window: tuple[float, float, float, float] | None = None,
    start: tuple[float, float] | None = None,
    title: str | None = None,
) -> Surface:
    """A :class:`Surface` from your own Python function ``f(x, y)``.

    Parameters
    ----------
    function
        ``f(x, y)`` with numpy operations, broadcasting over arrays of ``x`` and ``y``.
    grad
        ``grad(x, y) -> (df/dx, df/dy)``; without it, central differences with
        step ``cbrt(eps)·max(1, |x|)`` (relative error around 1e-10 away from
        kinks; the complex step expressions use is not safe for arbitrary code).
    window, start, title
        The view, the start point and the title; by default ``(-5, 5, -5, 5)``,
        a point 15% from the window's left and 75% up it (``(-3.5, 2.5)`` there),
        and the function's name.

    Examples
    --------
    >>> surface = function_surface(lambda x, y: x**2 + 3 * y**2, window=(-2, 2, -2, 2))
    >>> surface.grad(np.array([1.0, 1.0])).round(6).tolist(), surface.start
    ([2.0, 6.0], (-1.4, 1.0))
    """

    def evaluate(x: Array, y: Array) -> Array:
        x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
        with np.errstate(all="ignore"):
            out = np.asarray(function(x, y), dtype=float)
        return np.broadcast_to(out, np.broadcast_shapes(x.shape, y.shape)).copy()

    def f(params: Array) -> Array:
        return evaluate(*xy(params))

    if grad is None:
        gradient = _gradient(evaluate, holomorphic=False)
    else:

        def gradient(params: Array) -> Array:
            x, y = xy(params)
            gx, gy = grad(x, y)
            return np.stack(np.broadcast_arrays(np.asarray(gx, float), np.asarray(gy, float)))

    window = (-5.0, 5.0, -5.0, 5.0) if window is None else tuple(map(float, window))
    name = getattr(function, "__name__", "f")
    name = "f" if name == "<lambda>" else name
    return Surface(
        name=name,
        title=title if title is not None else f"{name}(x, y)",
        formula=f"${name}(x,y)$",
        f=f,
        grad=gradient,
        window=window,  # type: ignore[arg-type]
        start=_default_start(window) if start is None else (float(start[0]), float(start[1])),
        minima=(),
        preset=lambda: _preset(gradient, window),  # type: ignore[arg-type]
    )


def _default_start(window: tuple[float, ...]) -> tuple[float, float]:
    xmin, xmax, ymin, ymax = window
    return xmin + 0.15 * (xmax - xmin), ymin + 0.75 * (ymax - ymin)


_SPEC_LIKE = re.compile(r"[A-Za-z][\w-]*(:[\w.,=+-]*)?")
_XY_TOKEN = re.compile(r"(?<![\w.])[xy](?!\w)")
_OPERATOR_CHAR = re.compile(r"[-+*/^()\[\]%@<>!&|~]")


def looks_like_expression(text: str) -> bool:
    """Whether ``text`` reads as an expression rather than a surface name.

    Registry specs (``"ravine"``, ``"local-minimum"``, ``"ravine:kappa=50"``)
    are names; text using ``x`` or ``y`` as a name, or operators and
    parentheses, is an expression. A spec-like word is an expression only when
    one of its hyphen-separated parts is ``x`` or ``y`` (``"x"``, ``"x-y"``).

    Examples
    --------
    >>> looks_like_expression("x**2 + y**2"), looks_like_expression("sin(x)")
    (True, True)
    >>> looks_like_expression("ravine:kappa=50"), looks_like_expression("local-minimum")
    (False, False)
    """
    text = text.strip()
    match = _SPEC_LIKE.fullmatch(text)
    if match:
        name = text.split(":", 1)[0]
        return any(part in ("x", "y") for part in name.split("-"))
    return bool(_XY_TOKEN.search(text) or _OPERATOR_CHAR.search(text))


# --- compiling --------------------------------------------------------------


@dataclass(frozen=True)
class _Compiled:
    tree: ast.Expression
    normalized: str
    evaluate: Evaluator
    holomorphic: bool


def _compile_text(text: str) -> _Compiled:
    if not isinstance(text, str):
        raise SpecError(f"expression must be a string, not {type(text).__name__}")
    stripped = text.strip()
    if not stripped:
        raise SpecError("empty expression; give one in x and y, e.g. 'x**2 + 10*y**2'")
    if len(stripped) > MAX_LENGTH:
        raise SpecError(
            f"expression is too long ({len(stripped)} characters; at most {MAX_LENGTH})"
        )
    tree = _parse(stripped)
    n_nodes = sum(isinstance(node, ast.expr) for node in ast.walk(tree))
    if n_nodes > MAX_NODES:
        raise SpecError(f"expression is too large ({n_nodes} nodes; at most {MAX_NODES})")
    used: set[str] = set()
    node_fn = _Compiler(stripped, used).compile(tree.body, depth=1)
    holomorphic = all(FUNCTIONS[name].holomorphic for name in used if name in FUNCTIONS)
    return _Compiled(
        tree=tree,
        normalized=ast.unparse(tree),
        evaluate=_evaluator(node_fn),
        holomorphic=holomorphic,
    )


def _parse(text: str) -> ast.Expression:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return ast.parse(text, mode="eval")
    except SyntaxError as error:
        reason = error.msg
    except (ValueError, RecursionError, MemoryError, OverflowError) as error:
        reason = str(error) or "too complex to parse"
    raise SpecError(f"malformed expression {_quote(text)}: {_one_line(reason)}")


class _Compiler:
    """Checks a parsed tree against the whitelist and builds closures from it."""

    def __init__(self, text: str, used: set[str]) -> None:
        self.text = text
        self.used = used

    def compile(self, node: ast.expr, depth: int) -> Evaluator:
        if depth > MAX_DEPTH:
            raise SpecError(f"expression is nested too deeply (more than {MAX_DEPTH} levels)")
        if isinstance(node, ast.Constant):
            return self._constant(node)
        if isinstance(node, ast.Name):
            return self._name(node)
        if isinstance(node, ast.UnaryOp):
            return self._unary(node, depth)
        if isinstance(node, ast.BinOp):
            return self._binary(node, depth)
        if isinstance(node, ast.Call):
            return self._call(node, depth)
        what = _REFUSED_NODES.get(type(node), type(node).__name__)
        raise SpecError(f"{what} not allowed in expressions: {self._snippet(node)}; {_ALLOWED}")

    def _constant(self, node: ast.Constant) -> Evaluator:
        value = node.value
        if type(value) not in (int, float):  # bool is an int subclass: refuse it too
            kind = {bool: "boolean", complex: "complex", str: "string", bytes: "bytes"}
            what = kind.get(type(value), "non-numeric")
            raise SpecError(
                f"{what} constants not allowed in expressions: {self._snippet(node)}; {_ALLOWED}"
            )
        constant = _float64(value)
        return lambda x, y: constant

    def _name(self, node: ast.Name) -> Evaluator:
        name = node.id
        if name == "x":
            return lambda x, y: x
        if name == "y":
            return lambda x, y: y
        if name in _CONSTANTS:
            constant = _CONSTANTS[name]
            return lambda x, y: constant
        if name in FUNCTIONS:
            raise SpecError(f"'{name}' is a function; call it, e.g. {name}(x)")
        raise SpecError(f"unknown name {_quote(name)} in expression; use x, y, pi, e")

    def _unary(self, node: ast.UnaryOp, depth: int) -> Evaluator:
        if not isinstance(node.op, (ast.USub, ast.UAdd)):
            symbol = "not" if isinstance(node.op, ast.Not) else "~"
            raise SpecError(f"operator '{symbol}' not allowed in expressions; use + - * / **")
        operand = self.compile(node.operand, depth + 1)
        if isinstance(node.op, ast.UAdd):
            return operand
        return lambda x, y: np.negative(operand(x, y))

    def _binary(self, node: ast.BinOp, depth: int) -> Evaluator:
        op = type(node.op)
        if op in _REFUSED_OPERATORS:
            symbol = _REFUSED_OPERATORS[op]
            hint = "; use ** for powers" if symbol == "^" else "; use + - * / **"
            raise SpecError(f"operator '{symbol}' not allowed in expressions{hint}")
        left = self.compile(node.left, depth + 1)
        right = self.compile(node.right, depth + 1)
        ufunc = _power if op is ast.Pow else _OPERATORS[op]
        return lambda x, y: ufunc(left(x, y), right(x, y))

    def _call(self, node: ast.Call, depth: int) -> Evaluator:
        if not isinstance(node.func, ast.Name):
            what = _REFUSED_NODES.get(type(node.func), "calls of anything but a function name")
            raise SpecError(
                f"{what} not allowed in expressions: {self._snippet(node.func)}; "
                "call functions by bare name, e.g. sin(x)"
            )
        name = node.func.id
        if name not in FUNCTIONS:
            if name in ("x", "y") or name in _CONSTANTS:
                raise SpecError(f"'{name}' is not a function: {self._snippet(node)}")
            raise SpecError(
                f"unknown function {_quote(name)} in expression{did_you_mean(name, FUNCTIONS)}; "
                f"use one of: {', '.join(sorted(FUNCTIONS))}"
            )
        if node.keywords:
            raise SpecError(f"keyword arguments not allowed in expressions: {self._snippet(node)}")
        for arg in node.args:
            if isinstance(arg, ast.Starred):
                raise SpecError(
                    f"starred arguments not allowed in expressions: {self._snippet(node)}"
                )
        function = FUNCTIONS[name]
        if len(node.args) != function.arity:
            plural = "" if function.arity == 1 else "s"
            raise SpecError(
                f"{name}() takes {function.arity} argument{plural}, "
                f"got {len(node.args)}: {self._snippet(node)}"
            )
        self.used.add(name)
        args = [self.compile(arg, depth + 1) for arg in node.args]
        ufunc = function.ufunc
        if function.arity == 1:
            (arg,) = args
            return lambda x, y: ufunc(arg(x, y))
        first, second = args
        return lambda x, y: ufunc(first(x, y), second(x, y))

    def _snippet(self, node: ast.AST) -> str:
        segment = ast.get_source_segment(self.text, node) or type(node).__name__
        return _quote(segment)


def _float64(value: int | float) -> np.float64:
    """A parsed number as float64; integers too large for float64 become inf."""
    try:
        return np.float64(value)
    except OverflowError:
        return np.float64(math.inf)


def _power(base: Array, exponent: Array) -> Array:
    """``base ** exponent``, with exact first-order complex steps.

    numpy's complex power goes through ``exp(b * log(a))``, which loses the tiny
    imaginary part of a complex step for negative bases (``sin(n*pi) != 0`` in
    floating point). A complex step is a first-order perturbation, so expand
    ``(a + i da) ** (b + i db)`` to first order instead: exact, since ``da**2``
    is about ``1e-40`` relative.
    """
    if not (np.iscomplexobj(base) or np.iscomplexobj(exponent)):
        return np.power(base, exponent)
    a, da = np.real(base), np.imag(base)
    b, db = np.real(exponent), np.imag(exponent)
    value = np.power(a, b)
    d_base = np.where(da != 0, b * np.power(a, b - 1) * da, 0.0)
    d_exponent = np.where(db != 0, value * np.log(a) * db, 0.0)
    return value + 1j * (d_base + d_exponent)


def _as_input(values: Array | float) -> Array:
    return np.asarray(values, dtype=complex if np.iscomplexobj(values) else float)


def _evaluator(node_fn: Evaluator) -> Evaluator:
    def evaluate(x: Array | float, y: Array | float) -> Array:
        x, y = _as_input(x), _as_input(y)
        with np.errstate(all="ignore"):
            out = np.asarray(node_fn(x, y))
        shape = np.broadcast_shapes(x.shape, y.shape)
        if out.shape != shape:  # a constant, or an expression in x or y only
            out = np.broadcast_to(out, shape).copy()
        return out

    return evaluate


# --- gradients --------------------------------------------------------------


def _gradient(evaluate: Evaluator, *, holomorphic: bool) -> Callable[[Array], Array]:
    def grad(params: Array) -> Array:
        x, y = xy(params)
        value = evaluate(x, y)
        with np.errstate(all="ignore"):
            if holomorphic:
                step = _COMPLEX_STEP
                gx = np.imag(evaluate(x + 1j * step, y)) / step
                gy = np.imag(evaluate(x, y + 1j * step)) / step
                # Where the complex step broke down (nan/inf) but f is finite,
                # e.g. 0**(y + ih), use central differences instead.
                failed = ~(np.isfinite(gx) & np.isfinite(gy))
                if np.any(failed & np.isfinite(value)):
                    cx, cy = _central_differences(evaluate, x, y)
                    gx, gy = np.where(failed, cx, gx), np.where(failed, cy, gy)
            else:
                gx, gy = _central_differences(evaluate, x, y)
        gradient = np.stack(np.broadcast_arrays(gx, gy))
        return np.where(np.isfinite(value), gradient, np.nan)

    return grad


def _central_differences(evaluate: Evaluator, x: Array, y: Array) -> tuple[Array, Array]:
    hx = _CENTRAL_STEP * np.maximum(1.0, np.abs(x))
    hy = _CENTRAL_STEP * np.maximum(1.0, np.abs(y))
    x_plus, x_minus = x + hx, x - hx
    y_plus, y_minus = y + hy, y - hy
    # Divide by the representable step (x_plus - x_minus), not by 2 * hx.
    gx = (evaluate(x_plus, y) - evaluate(x_minus, y)) / (x_plus - x_minus)
    gy = (evaluate(x, y_plus) - evaluate(x, y_minus)) / (y_plus - y_minus)
    return gx, gy


# --- mathtext ---------------------------------------------------------------


def _mathtext(node: ast.expr) -> tuple[str, int]:
    """Render a checked expression tree as mathtext, with its precedence."""
    if isinstance(node, ast.Constant):
        return _number_mathtext(node.value)
    if isinstance(node, ast.Name):
        return _NAME_MATHTEXT[node.id], _ATOM
    if isinstance(node, ast.UnaryOp):
        operand, precedence = _mathtext(node.operand)
        if precedence < _UNARY or isinstance(node.operand, ast.UnaryOp):
            operand = f"({operand})"
        sign = "-" if isinstance(node.op, ast.USub) else "+"
        return f"{sign}{operand}", _UNARY
    if isinstance(node, ast.BinOp):
        return _binary_mathtext(node)
    assert isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
    function = FUNCTIONS[node.func.id]
    args = [_mathtext(arg)[0] for arg in node.args]
    return function.mathtext.format(*args), function.precedence


def _binary_mathtext(node: ast.BinOp) -> tuple[str, int]:
    left, left_precedence = _mathtext(node.left)
    right, right_precedence = _mathtext(node.right)
    right_is_signed = isinstance(node.right, ast.UnaryOp)
    if isinstance(node.op, ast.Pow):
        if left_precedence < _ATOM:
            left = f"({left})"
        return f"{left}^{{{right}}}", _POW
    if isinstance(node.op, ast.Div):
        return rf"\frac{{{left}}}{{{right}}}", _MUL
    if isinstance(node.op, ast.Mult):
        if left_precedence < _MUL:
            left = f"({left})"
        if right_precedence < _MUL or right_is_signed:
            right = f"({right})"
        joiner = r" \cdot " if right[0].isdigit() or right[0] == "." else " "
        return f"{left}{joiner}{right}", _MUL
    if right_is_signed or (isinstance(node.op, ast.Sub) and right_precedence <= _ADD):
        right = f"({right})"
    sign = "+" if isinstance(node.op, ast.Add) else "-"
    return f"{left} {sign} {right}", _ADD


def _number_mathtext(value: int | float) -> tuple[str, int]:
    number = float(_float64(value))
    if math.isinf(number):
        return r"\infty", _ATOM
    if number.is_integer() and number < 1e16:
        return str(int(number)), _ATOM
    mantissa, _, exponent = repr(number).partition("e")
    if not exponent:
        return mantissa, _ATOM
    power = f"10^{{{int(exponent)}}}"
    if mantissa == "1":
        return power, _POW
    return rf"{mantissa} \times {power}", _MUL


# --- messages ---------------------------------------------------------------


def _one_line(message: str) -> str:
    return " ".join(message.split())


def _quote(text: str, limit: int = 40) -> str:
    """``text`` quoted for a one-line message, shortened to ``limit`` characters."""
    if len(text) > limit:
        text = text[: limit - 3] + "..."
    return repr(text)
