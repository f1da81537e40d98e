"""Tests for surfaces.expression: parsing, evaluation, gradients, refusals, mathtext."""

from __future__ import annotations

import functools
import io
import time
import warnings

import numpy as np
import pytest
from helpers import examples
from hypothesis import given, settings
from hypothesis import strategies as st

import surfaces.expression as expression
from surfaces.base import Surface
from surfaces.errors import SpecError
from surfaces.expression import expression_surface, looks_like_expression, parse_expression

FUZZ = settings(max_examples=examples(100, 1000), deadline=None, derandomize=True)

X, Y = np.meshgrid(np.linspace(-3, 3, 7), np.linspace(-2, 2, 5))

# --- values -------------------------------------------------------------------

VALUES = {
    "x**2 + 10*y**2": lambda x, y: x**2 + 10 * y**2,
    "sin(x)*cos(y) + 0.1*(x**2+y**2)": lambda x, y: np.sin(x) * np.cos(y) + 0.1 * (x**2 + y**2),
    "(1 - x)**2 + 100*(y - x**2)**2": lambda x, y: (1 - x) ** 2 + 100 * (y - x**2) ** 2,
    "exp(-(x**2 + y**2)/2) * tanh(x)": lambda x, y: np.exp(-(x**2 + y**2) / 2) * np.tanh(x),
    "-x/(1 + y**2) + pi*e": lambda x, y: -x / (1 + y**2) + np.pi * np.e,
    "abs(x) + sqrt(abs(y))": lambda x, y: np.abs(x) + np.sqrt(np.abs(y)),
    "log(1 + x**2) + log1p(y**2)": lambda x, y: np.log(1 + x**2) + np.log1p(y**2),
    "hypot(x, y) + arctan2(y, x)": lambda x, y: np.hypot(x, y) + np.arctan2(y, x),
    "minimum(x, y) - maximum(x, -y)": lambda x, y: np.minimum(x, y) - np.maximum(x, -y),
    "cbrt(x) + 2**-x + +y": lambda x, y: np.cbrt(x) + 2.0**-x + y,
}


@pytest.mark.parametrize("text", VALUES)
def test_values_match_numpy_on_grids(text):
    f = parse_expression(text)
    out = f(X, Y)
    assert out.shape == X.shape
    np.testing.assert_allclose(out, VALUES[text](X, Y), rtol=1e-14, atol=1e-14)


def test_scalars_give_zero_dimensional_results():
    out = parse_expression("x*y + 1")(2.0, 3)
    assert np.ndim(out) == 0
    assert float(out) == 7.0


def test_x_and_y_broadcast_against_each_other():
    out = parse_expression("x - y")(np.arange(3.0)[:, None], np.arange(4.0))
    assert out.shape == (3, 4)


@pytest.mark.parametrize("text", ["2 + 3", "pi", "x", "y**2"])
def test_expressions_missing_x_or_y_still_broadcast(text):
    out = parse_expression(text)(X, Y)
    assert out.shape == X.shape
    out[0, 0] = 1.0  # a real array, not a read-only broadcast view


def test_integer_constants_are_float64():
    assert parse_expression("2**100")(0.0, 0.0) == 2.0**100
    assert parse_expression("1/2")(0.0, 0.0) == 0.5
    assert parse_expression("x")(np.arange(3), 0).dtype == np.float64


def test_non_finite_results_are_allowed_and_silent():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = parse_expression("log(x) + 1/y")(
            np.array([-1.0, 0.0, 1.0]), np.array([1.0, 1.0, 0.0])
        )
        grad = expression_surface("log(x)").grad(np.array([[-1.0, 0.0], [0.0, 0.0]]))
    assert np.isnan(out[0]) and np.isneginf(out[1]) and np.isposinf(out[2])
    assert np.all(np.isnan(grad))


@pytest.mark.parametrize("text", ["9**9**9**9", "x**9**9**9", "exp(exp(exp(x)))", "1" + "0" * 400])
def test_huge_constants_overflow_quickly(text):
    start = time.perf_counter()
    out = parse_expression(text)(X, Y)
    assert time.perf_counter() - start < 1.0
    assert out.shape == X.shape


# --- gradients ----------------------------------------------------------------

GRADIENTS = {
    "x**2 + 10*y**2": lambda x, y: (2 * x, 20 * y),
    "sin(x)*cos(y) + 0.1*(x**2+y**2)": lambda x, y: (
        np.cos(x) * np.cos(y) + 0.2 * x,
        -np.sin(x) * np.sin(y) + 0.2 * y,
    ),
    "(1 - x)**2 + 100*(y - x**2)**2": lambda x, y: (
        -2 * (1 - x) - 400 * x * (y - x**2),
        200 * (y - x**2),
    ),
    "(x**2 + y - 11)**2 + (x + y**2 - 7)**2": lambda x, y: (
        4 * x * (x**2 + y - 11) + 2 * (x + y**2 - 7),
        2 * (x**2 + y - 11) + 4 * y * (x + y**2 - 7),
    ),
    "exp(-(x**2 + y**2)/2) * tanh(x)": lambda x, y: (
        np.exp(-(x**2 + y**2) / 2) * (1 / np.cosh(x) ** 2 - x * np.tanh(x)),
        -y * np.exp(-(x**2 + y**2) / 2) * np.tanh(x),
    ),
    "log(1 + x**2) + sqrt(1 + y**2) / (2 + sin(x))": lambda x, y: (
        2 * x / (1 + x**2) - np.sqrt(1 + y**2) * np.cos(x) / (2 + np.sin(x)) ** 2,
        y / np.sqrt(1 + y**2) / (2 + np.sin(x)),
    ),
    "2**x * x**4 * arctan(y) - 1e-3*y**7": lambda x, y: (
        (2**x * np.log(2) * x**4 + 4 * 2**x * x**3) * np.arctan(y),
        2**x * x**4 / (1 + y**2) - 7e-3 * y**6,
    ),
    "x**101 * 1e-40 + cosh(y)": lambda x, y: (101e-40 * x**100, np.sinh(y)),
    "pi*x - e*y + 3": lambda x, y: (np.pi + 0 * x, -np.e + 0 * y),
}


@functools.cache
def cached_surface(text: str) -> Surface:
    """One surface per text: building one (parse and preset) costs more than a gradient."""
    return expression_surface(text)


@pytest.mark.fuzz
@pytest.mark.parametrize("text", GRADIENTS)
@FUZZ
@given(x=st.floats(-3, 3), y=st.floats(-3, 3))
def test_complex_step_gradient_matches_hand_derivative(text, x, y):
    grad = cached_surface(text).grad(np.array([x, y]))
    expected = np.array(GRADIENTS[text](np.float64(x), np.float64(y)))
    assert grad.shape == (2,)
    np.testing.assert_allclose(grad, expected, rtol=1e-6, atol=1e-9)


def test_gradient_broadcasts_over_grids():
    surface = expression_surface("x**2 + 10*y**2")
    grad = surface.grad(np.stack([X, Y]))
    assert grad.shape == (2, *X.shape)
    np.testing.assert_allclose(grad, np.stack([2 * X, 20 * Y]), rtol=1e-14)
    assert expression_surface("3").grad(np.stack([X, Y])).shape == (2, *X.shape)


@pytest.mark.fuzz
@FUZZ
@given(
    x=st.floats(-3, 3).filter(lambda v: abs(v) > 1e-3),
    y=st.floats(-3, 3).filter(lambda v: abs(v) > 1e-3),
)
def test_abs_falls_back_to_central_differences(x, y):
    grad = cached_surface("abs(x)*y**2 + abs(y)**3").grad(np.array([x, y]))
    expected = [np.sign(x) * y**2, 2 * abs(x) * y + 3 * np.sign(y) * y**2]
    np.testing.assert_allclose(grad, expected, rtol=1e-5, atol=1e-8)


def test_minimum_and_hypot_fall_back_to_central_differences():
    surface = expression_surface("minimum(x, y) + hypot(x, y)")
    x, y = 1.5, -2.0
    expected = [x / np.hypot(x, y), 1 + y / np.hypot(x, y)]
    np.testing.assert_allclose(surface.grad(np.array([x, y])), expected, rtol=1e-8)


def test_power_gradient_at_negative_and_zero_bases():
    surface = expression_surface("x**y")
    np.testing.assert_allclose(surface.grad(np.array([-2.0, 3.0])), [12.0, np.nan])
    np.testing.assert_allclose(surface.grad(np.array([0.0, 2.0])), [0.0, 0.0], atol=1e-12)
    np.testing.assert_allclose(surface.grad(np.array([2.0, 3.0])), [12.0, 8 * np.log(2)])
    np.testing.assert_allclose(
        expression_surface("x**150").grad(np.array([-1.1, 0.0]))[0], 150 * (-1.1) ** 149, rtol=1e-12
    )


# --- refusals -----------------------------------------------------------------

HOSTILE = [
    "().__class__.__bases__[0].__subclasses__()",
    "np.sin(x)",
    "x.real",
    "open('f')",
    "eval('1')",
    "exec('1')",
    "lambda: 1",
    "[x for x in y]",
    "x if y else 1",
    "x < y",
    '"a"',
    "b'a'",
    "f'{x}'",
    "x @ y",
    "x // y",
    "x % y",
    "x ^ y",
    "x and y",
    "not x",
    "~x",
    "(a := 1)",
    "(x, y)",
    "x[0]",
    "{1: 2}",
    "sin(x, y)",
    "sin()",
    "sin(x=1)",
    "sin(*x)",
    "hypot(x)",
    "sin",
    "x(1)",
    "z + 1",
    "__builtins__",
    "(" * 10000 + "x" + ")" * 10000,
    "(" * 250 + "x" + ")" * 250,
    "-" * 300 + "x",
    "x+" * 300 + "x",
    "",
    "   ",
    "x +",
    "x\n+",
    "1j*x",
    "True",
    "None",
    "...",
    "\x00",
]


def assert_refused(text: str) -> str:
    with pytest.raises(SpecError) as info:
        parse_expression(text)
    message = str(info.value)
    assert message and "\n" not in message and len(message) < 400
    return message


@pytest.mark.parametrize("text", HOSTILE, ids=lambda text: repr(text[:30]))
def test_hostile_input_is_refused_with_one_line(text):
    assert_refused(text)


def test_import_is_refused_without_running(tmp_path):
    target = tmp_path / "pwned"
    assert_refused(f"__import__('os').system('touch {target}')")
    assert_refused("__import__('os')")
    assert not target.exists()


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("z + 1", "unknown name 'z' in expression; use x, y, pi, e"),
        ("open('f')", "unknown function 'open'"),
        ("np.sin(x)", "attribute access"),
        ("sin(x, y)", "sin() takes 1 argument, got 2"),
        ("x // y", "operator '//'"),
        ("x ^ 2", "use ** for powers"),
        ("x +", "malformed expression 'x +'"),
        ("x" * 501, "too long"),
        ("-" * 300 + "x", "nested too deeply"),
        ("", "empty expression"),
        ("1j*x", "complex constants"),
        ("sin + 1", "'sin' is a function"),
    ],
)
def test_messages_name_the_problem(text, fragment):
    assert fragment in assert_refused(text)


def test_parser_overflow_is_a_spec_error(monkeypatch):
    monkeypatch.setattr(expression, "MAX_LENGTH", 10**7)
    for text in ["(" * 100_000 + "x" + ")" * 100_000, "-" * 1_000_000 + "x", "[" * 100_000]:
        assert_refused(text)


def test_non_string_is_a_spec_error():
    with pytest.raises(SpecError):
        parse_expression(None)  # type: ignore[arg-type]


# --- fuzzing ------------------------------------------------------------------

TOKENS = [
    "x", "y", "1", "2.5", "+", "-", "*", "/", "**", "(", ")", "sin", "cos", "exp", "log",
    "abs", "pi", "e", ",", "__import__", ".", "[", "]",
]  # fmt: skip


def check_parse_or_refuse(text: str) -> None:
    try:
        f = parse_expression(text)
    except SpecError as error:
        assert "\n" not in str(error)
        return
    surface = expression_surface(text)
    assert f(X, Y).shape == X.shape
    assert surface.grad(np.stack([X, Y])).shape == (2, *X.shape)


@pytest.mark.fuzz
@FUZZ
@given(st.text())
def test_fuzz_arbitrary_text(text):
    check_parse_or_refuse(text)


@pytest.mark.fuzz
@FUZZ
@given(st.lists(st.sampled_from(TOKENS), max_size=25), st.sampled_from(["", " "]))
def test_fuzz_grammar_tokens(tokens, separator):
    check_parse_or_refuse(separator.join(tokens))


# --- surface ------------------------------------------------------------------


def test_expression_surface_fields():
    surface = expression_surface("  x**2 + 10*y**2 ")
    assert isinstance(surface, Surface)
    assert surface.name == "x ** 2 + 10 * y ** 2"
    assert surface.title == "f(x, y) = x**2 + 10*y**2"
    assert surface.formula == "$f(x,y) = x^{2} + 10 y^{2}$"
    assert surface.window == (-5.0, 5.0, -5.0, 5.0)
    assert surface.start == (-3.5, 2.5)
    assert surface.minima == ()
    # the same learning rate for all, from the curvature (L = 20 here) and capped so a
    # typical step (median |gradient| ≈ 53 over the window) is at most 10% of the window
    names = [spec.split(":")[0] for spec in surface.preset.optimizers]
    assert names == ["gd", "sgd", "momentum"]
    lrs = {spec.split("lr=")[1].split(",")[0] for spec in surface.preset.optimizers}
    assert lrs == {"0.019"}
    assert surface.preset.steps == 150
    assert dict(surface.params) == {}
    assert surface.log_levels is False
    assert surface.loss(np.array([1.0, 1.0])) == 11.0
    assert surface.f(np.stack([X, Y])).shape == X.shape


def test_expression_preset_learning_rate_is_stable_and_makes_progress():
    from surfaces.tuning import curvature_lr

    # a wavy surface curves more than it slopes: the curvature bound 1/L binds (L <= 18)
    lr, scale = curvature_lr(expression_surface("sin(3*x)*cos(3*y)").grad, (-5.0, 5.0, -5.0, 5.0))
    assert 1 / 18 <= lr < 0.1 * 10 / scale
    # a kinked, piecewise-flat surface: capped by the step length, not blown up
    lr, scale = curvature_lr(expression_surface("abs(x) + abs(y)").grad, (-5.0, 5.0, -5.0, 5.0))
    assert 0 < lr * scale <= 1.0 + 1e-9
    # whatever binds, gradient descent with it goes downhill on the bowl
    surface = expression_surface("x**2 + 10*y**2")
    lr, _ = curvature_lr(surface.grad, surface.window)
    p = np.array(surface.start)
    for _ in range(100):
        p = p - lr * surface.grad(p)
    assert surface.loss(p) < 1e-3 * surface.loss(np.array(surface.start))


def test_surface_functions_want_shape_2():
    surface = expression_surface("x + y")
    with pytest.raises(ValueError, match="shape"):
        surface.f(np.zeros(3))
    with pytest.raises(ValueError, match="shape"):
        surface.grad(np.zeros((3, 4)))


def test_redundant_parentheses_are_fine():
    assert expression_surface("(" * 150 + "x" + ")" * 150).name == "x"


def test_name_parses_back_to_the_same_surface():
    surface = expression_surface("sin(x)*cos(y)+0.1*(x**2+y**2)")
    again = expression_surface(surface.name)
    assert again.name == surface.name
    np.testing.assert_array_equal(again.f(np.stack([X, Y])), surface.f(np.stack([X, Y])))


@pytest.mark.parametrize(
    ("text", "formula"),
    [
        ("x**2 + 10*y**2", "x^{2} + 10 y^{2}"),
        ("sin(x)*cos(y)", r"\sin(x) \cos(y)"),
        ("sqrt(x**2 + y**2)", r"\sqrt{x^{2} + y^{2}}"),
        ("x/(1 + y)", r"\frac{x}{1 + y}"),
        ("exp(-x)", "e^{-x}"),
        ("exp(x)**2", "(e^{x})^{2}"),
        ("pi*abs(x)", r"\pi |x|"),
        ("(x + y)*(x - y)", "(x + y) (x - y)"),
        ("x - (y - 1)", "x - (y - 1)"),
        ("x - (y + 1)", "x - (y + 1)"),
        ("x + (y - 1)", "x + y - 1"),
        ("-x**2", "-x^{2}"),
        ("(-x)**2", "(-x)^{2}"),
        ("x*-y", "x (-y)"),
        ("x - -y", "x - (-y)"),
        ("x*2", r"x \cdot 2"),
        ("(x**y)**2", "(x^{y})^{2}"),
        ("2**x**y", "2^{x^{y}}"),
        ("1e-5*x", "10^{-5} x"),
        ("2.5e-7*x", r"2.5 \times 10^{-7} x"),
        ("log(x) + log10(y)", r"\ln(x) + \log_{10}(y)"),
    ],
)
def test_formula(text, formula):
    assert expression_surface(text).formula == f"$f(x,y) = {formula}$"


FORMULA_CASES = [
    *VALUES,
    *GRADIENTS,
    " + ".join(f"{name}(x)" for name, fn in expression.FUNCTIONS.items() if fn.arity == 1),
    " + ".join(f"{name}(x, y)" for name, fn in expression.FUNCTIONS.items() if fn.arity == 2),
    "exp(x)**sqrt(y)**abs(x) / (1e300*y)**-2.5 - 1e400",
]


@pytest.mark.parametrize("text", FORMULA_CASES)
def test_formula_renders_with_mathtext(text):
    mathtext = pytest.importorskip("matplotlib.mathtext")
    mathtext.math_to_image(expression_surface(text).formula, io.BytesIO(), format="png")


# --- registry helper ----------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["x**2+y**2", "x*y", "sin(x)", "x", " y ", "x-y", "2 + 3", "exp(-x)", "(1)", "x^2"],
)
def test_looks_like_expression(text):
    assert looks_like_expression(text)


@pytest.mark.parametrize(
    "text",
    ["ravine", "local-minimum", "ravine:kappa=50", "rosenbrock:a=1,b=100", "ravine:kappa=1e-3",
     "sin", "pi", "Ravine", "", "3"],
)  # fmt: skip
def test_looks_like_a_name(text):
    assert not looks_like_expression(text)


def test_expression_preset_is_computed_only_when_read(monkeypatch):
    calls = []
    real = expression.curvature_lr
    monkeypatch.setattr(expression, "curvature_lr", lambda *a: calls.append(1) or real(*a))
    surface = expression_surface("x**2 + 10*y**2")
    assert calls == []  # building the surface costs no preset search
    assert surface.preset.steps == 150 and surface.preset is surface.preset
    assert calls == [1]  # computed once, then kept


# --- your own Python function ------------------------------------------------------


def test_a_python_function_is_a_surface_with_numeric_or_given_gradients():
    from surfaces.expression import function_surface

    def wavy(x, y):
        return np.sin(x) * np.cos(y) + 0.1 * (x**2 + y**2)

    s = function_surface(wavy, window=(-3, 3, -3, 3), title="mine")
    p = np.array([0.7, -1.2])
    exact = [np.cos(0.7) * np.cos(-1.2) + 0.14, -np.sin(0.7) * np.sin(-1.2) - 0.24]
    np.testing.assert_allclose(s.grad(p), exact, rtol=1e-8)
    assert s.title == "mine" and s.name == "wavy" and s.window == (-3.0, 3.0, -3.0, 3.0)
    assert s.start == (-2.1, 1.5) and s.f(np.stack([X, Y])).shape == X.shape
    given = function_surface(lambda x, y: x**2 + y**2, grad=lambda x, y: (2 * x, 2 * y))
    assert given.grad(p).tolist() == [1.4, -2.4] and given.name == "f"
    assert given.preset.optimizers[0].startswith("gd:lr=")


def test_animate_takes_a_function_your_optimizer_and_tune():
    from visualizer import animate
    from visualizer.maths.optimizers import sign_sgd

    anim = animate(
        lambda x, y: x**2 + 5 * y**2,
        ["gd", sign_sgd(lr=0.05)],
        steps=20,
        tune=True,
        window=(-4, 4, -3, 3),
        size=(320, 180),
    )
    gd, mine = anim.recording.runs
    assert gd.spec.tuned and not mine.spec.tuned and mine.label == "sign-sgd"
    assert anim.recording.surface.window == (-4.0, 4.0, -3.0, 3.0)
    assert anim.recording.note.startswith("each lr tuned")
    assert next(anim.frames()).shape == (180, 320, 4)
