"""Fuzz tests for the ``lossviz`` command line: bad input is refused cleanly.

The exit-status contract of :func:`visualizer.frontends.cli.main`: 0 success, 2 usage
errors (bad input) with exactly one stderr line ``lossviz: error: ...`` and no
traceback, 1 runtime failures (also one line), 130 interrupted. Bad input never
writes an output file, nor leaves a temporary file (``.name.xxxx.tmp.gif``)
behind, and an interrupted or failed render leaves an existing target untouched.

Every hypothesis test is deterministic (``derandomize=True``, no database), calls
``main()`` in-process, and is marked ``fuzz``: the README's test command tries a quick
number of examples, and CI runs ``LOSSVIZ_FUZZ=deep pytest -m fuzz`` for several times the
examples (see .ci/run).

Fuzzed commands run in a fresh temporary folder that is also the working
directory, so any stray file (output, temporary, ``PWNED``) is seen.

The tests at the end pin the bugs the fuzzers found, one input each.
"""

from __future__ import annotations

import ast
import atexit
import builtins
import contextlib
import csv
import datetime
import functools
import io
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from helpers import examples
from hypothesis import HealthCheck, Phase, event, given, settings
from hypothesis import strategies as st

import visualizer.frontends._cli_commands as cli_commands
import visualizer.frontends.animation as animation_module
import visualizer.scene.scene as scene_module
from visualizer.frontends.cli import main

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


def fuzz(quick: int, deep: int) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Deterministic hypothesis settings and the ``fuzz`` mark.

    ``quick`` examples in the README's test command, ``deep`` under ``LOSSVIZ_FUZZ=deep``
    (CI's extra ``pytest -m fuzz`` run). ``capsys`` is shared by the examples on purpose.
    """
    chosen = settings(
        max_examples=examples(quick, deep),
        derandomize=True,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink],
        suppress_health_check=[
            HealthCheck.function_scoped_fixture,
            HealthCheck.too_slow,
            HealthCheck.filter_too_much,
        ],
    )

    def decorate(test: Callable[..., None]) -> Callable[..., None]:
        return pytest.mark.fuzz(chosen(test))

    return decorate


# --- running the CLI ---------------------------------------------------------------


@dataclass(frozen=True)
class Result:
    argv: tuple[str, ...]
    code: int
    out: str
    err: str

    def show(self) -> str:
        return f"main({_short(list(self.argv))}) -> {self.code}; stderr {_short(self.err)}"


def _short(value: Any, limit: int = 300) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def run_cli(capsys: pytest.CaptureFixture[str], argv: Sequence[str]) -> Result:
    """Call ``main(argv)``; an exception escaping it is a test failure, not a crash."""
    capsys.readouterr()
    try:
        code = main(list(argv))
    except BaseException as exc:
        captured = capsys.readouterr()
        raise AssertionError(
            f"main({_short(list(argv))}) raised {type(exc).__name__}: {_short(str(exc))} "
            f"instead of returning an exit status; stderr {_short(captured.err)}"
        ) from exc
    captured = capsys.readouterr()
    return Result(tuple(argv), code, captured.out, captured.err)


def assert_one_error_line(result: Result, prefix: str = "lossviz: error: ") -> None:
    err = result.err
    assert "Traceback" not in err, result.show()
    assert err.startswith(prefix), result.show()
    assert err.endswith("\n") and err.strip().count("\n") == 0, result.show()
    assert "\r" not in err, result.show()


def listing(folder: Path) -> set[str]:
    """Every name in ``folder`` and below, hidden files included."""
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


def temp_leftovers(names: set[str]) -> set[str]:
    return {n for n in names if ".tmp" in n or Path(n).name.startswith(".")}


def check_contract(
    result: Result,
    *,
    folder: Path,
    before: set[str],
    output: str | None,
    allowed: Sequence[int] = (0, 2),
) -> None:
    """0 (and the output file is there) or 2 (one line, nothing written); nothing else."""
    assert result.code in allowed, result.show()
    assert "Traceback" not in result.err, result.show()
    after = listing(folder)
    assert not temp_leftovers(after - before), f"{result.show()}; left {after - before}"
    if result.code == 0:
        expected = before | ({output} if output else set())
        assert after == expected, f"{result.show()}; files {sorted(after ^ expected)}"
    else:
        assert_one_error_line(result)
        assert after == before, f"{result.show()}; wrote {sorted(after - before)}"


@functools.cache
def _scratch_folder() -> Path:
    folder = Path(tempfile.mkdtemp(prefix="lossviz-fuzz-")).resolve()
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder


@contextlib.contextmanager
def scratch() -> Iterator[Path]:
    """An empty folder that is also the working directory.

    One folder for every example, emptied after each: creating and removing a folder
    per example cost more than the example on a busy file system.
    """
    folder = _scratch_folder()
    assert not any(folder.iterdir()), f"scratch folder not empty: {sorted(folder.iterdir())}"
    cwd = os.getcwd()
    os.chdir(folder)
    try:
        yield folder
    finally:
        os.chdir(cwd)
        for path in folder.iterdir():
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink()


def check_trace_csv(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    rows = list(csv.reader(io.StringIO(text)))
    header = ["optimizer", "step", "x", "y", "loss", "lr", "spec"]
    assert rows and rows[0] == [*header, "f_evals", "grad_evals", "hess_evals"], text[:200]
    for row in rows[1:]:
        assert len(row) == 10, row
        assert all(n.isdigit() for n in row[7:]), row
        int(row[1])
        for value in row[2:6]:
            assert math.isfinite(float(value)), row
        assert (row[6] != "") == (row[1] == "0"), row


# --- 1. expression surfaces through `trace` --------------------------------------------

TOKENS = [
    *("x", "y", "1", "2.5", "e", "pi", "+", "-", "*", "/", "**", "(", ")"),
    *("sin", "cos", "exp", "log", "sqrt", "abs", ",", ".", "[", "]", "_"),
    *("__import__", "lambda", ":", "0", "1e308", "#", "'", "minimum", "hypot"),
]

token_sequences = st.lists(
    st.tuples(st.sampled_from(TOKENS), st.sampled_from(["", "", " "])), max_size=14
).map(lambda items: "".join(token + sep for token, sep in items))

UNARY = ["sin", "cos", "tan", "exp", "log", "sqrt", "abs", "arccosh", "log1p", "cbrt", "tanh"]
BINARY = ["minimum", "maximum", "hypot", "arctan2"]
ATOMS = ["x", "y", "pi", "e", "0", "1", "2.5", "0.5", "1e308", "1e-320", "10"]


def _grow(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        st.tuples(children, st.sampled_from(["+", "-", "*", "/", "**"]), children).map(
            lambda t: f"({t[0]} {t[1]} {t[2]})"
        ),
        st.tuples(st.sampled_from(UNARY), children).map(lambda t: f"{t[0]}({t[1]})"),
        st.tuples(st.sampled_from(BINARY), children, children).map(
            lambda t: f"{t[0]}({t[1]}, {t[2]})"
        ),
        children.map(lambda c: f"-{c}"),
    )


# Always wrapped in parentheses: a bare "pi" or "2.5" reads as a surface name.
valid_expressions = st.recursive(st.sampled_from(ATOMS), _grow, max_leaves=10).map(
    lambda text: f"({text})"
)

expression_texts = st.one_of(
    st.text(max_size=40),
    token_sequences,
    st.text(alphabet="xy0123456789.e+-*/() ,[]_:", max_size=30),
)


def _surface_argv(text: str, attached: bool) -> list[str]:
    return [f"--surface={text}"] if attached else ["-s", text]


@fuzz(200, 2000)
@given(text=expression_texts, attached=st.booleans())
def test_expression_fuzz_trace_exit_0_or_2(capsys, text, attached):
    with scratch() as folder:
        out = folder / "out.csv"
        argv = ["trace", *_surface_argv(text, attached), "--steps", "3", "-o", str(out)]
        result = run_cli(capsys, argv)
        event(f"exit {result.code}")
        check_contract(result, folder=folder, before=set(), output="out.csv")
        if result.code == 0:
            check_trace_csv(out)


@fuzz(50, 750)
@given(text=valid_expressions)
def test_valid_expression_fuzz_trace_succeeds(capsys, text):
    with scratch() as folder:
        out = folder / "out.csv"
        result = run_cli(capsys, ["trace", "-s", text, "--steps", "3", "-o", str(out)])
        event(f"exit {result.code}")
        check_contract(result, folder=folder, before=set(), output="out.csv", allowed=(0, 2))
        if result.code == 2:  # only for a start where the formula has no finite value
            assert " at the start (-3.5, 2.5) is " in result.err, result.show()
            return
        check_trace_csv(out)


# --- 2. hostile expressions ----------------------------------------------------------

HOSTILE = {
    "import-os-system": "__import__('os').system('touch PWNED')",
    "subclasses": "().__class__.__bases__[0].__subclasses__()",
    "open-passwd": "open('/etc/passwd').read()",
    "eval": 'eval("1")',
    "exec": "exec(\"open('PWNED', 'w')\")",
    "globals": "globals()",
    "dunder-class": "x.__class__",
    "function-globals": "sin.__globals__",
    "lambda": "(lambda: 1)()",
    "comprehension": "[c for c in ()]",
    "generator": "sum(x for x in (1, 2))",
    "fstring": "f'{x}'",
    "fstring-call": "f\"{__import__('os').system('touch PWNED')}\"",
    "walrus": "(z := 1) + x",
    "power-tower": "9**9**9**9",
    "x-power-tower": "x**9**9**9",
    "huge-int": "9" * 499,
    "parens-5000": "(" * 5000 + "x" + ")" * 5000,
    "parens-100000": "(" * 100000 + "x" + ")" * 100000,
    "parens-200": "(" * 200 + "x" + ")" * 200,
    "unary-chain": "-" * 490 + "x",
    "call-chain": "sin(" * 80 + "x" + ")" * 80,
    "one-megabyte": "x+" * 500_000 + "x",
    "nul-byte": "x\0+1",
    "nul-only": "\0",
    "fullwidth-x": "\uff58**2 + \uff59",
    "math-bold-x": "\U0001d431**2",
    "cyrillic-x": "\u0445**2",
    "fullwidth-import": "\uff3f\uff3fimport\uff3f\uff3f('os')",
    "fullwidth-exec": "\uff45\uff58\uff45\uff43('1')",
    "bom": "\ufeffx",
    "nbsp": "x\u00a0+ 1",
    "line-separator": "x\u2028+ 1",
    "comment": "x # __import__('os').system('touch PWNED')",
    "newline": "x\n+1",
    "builtins": "__builtins__",
    "breakpoint": "breakpoint()",
    "getattr": "getattr(x, '__class__')",
    "starred": "sin(*[x])",
    "keyword": "sin(x=__import__('os'))",
    "bytes": "b'\\x00' * x",
    "complex": "1j * x",
    "ellipsis": "... + x",
}


def install_spies(monkeypatch) -> list[tuple[str, str]]:
    """Record eval/exec/compile of source text, and forbid starting processes."""
    calls: list[tuple[str, str]] = []
    real_eval, real_exec, real_compile = builtins.eval, builtins.exec, builtins.compile

    def spy_eval(source, *args, **kwargs):
        if isinstance(source, str | bytes):
            calls.append(("eval", _short(source, 80)))
        return real_eval(source, *args, **kwargs)

    def spy_exec(source, *args, **kwargs):
        if isinstance(source, str | bytes):
            calls.append(("exec", _short(source, 80)))
        return real_exec(source, *args, **kwargs)

    def spy_compile(source, filename, mode, flags=0, *args, **kwargs):
        if isinstance(source, str | bytes) and not flags & ast.PyCF_ONLY_AST:
            calls.append(("compile", _short(source, 80)))
        return real_compile(source, filename, mode, flags, *args, **kwargs)

    def refuse(*args, **kwargs):
        calls.append(("spawn", _short(args, 80)))
        raise AssertionError(f"a process was started: {args!r}")

    monkeypatch.setattr(builtins, "eval", spy_eval)
    monkeypatch.setattr(builtins, "exec", spy_exec)
    monkeypatch.setattr(builtins, "compile", spy_compile)
    monkeypatch.setattr(os, "system", refuse)
    monkeypatch.setattr(os, "popen", refuse)
    monkeypatch.setattr(subprocess, "Popen", refuse)
    return calls


@pytest.mark.parametrize("text", list(HOSTILE.values()), ids=list(HOSTILE))
def test_hostile_expression_never_runs_code(capsys, tmp_path, monkeypatch, text):
    cwd = Path.cwd()
    markers = [cwd / "PWNED", tmp_path / "PWNED", Path(tempfile.gettempdir()) / "PWNED"]
    existed = {m for m in markers if m.exists()}
    run_cli(capsys, ["list"])  # warm every lazy import before spying
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "out.csv"
    calls = install_spies(monkeypatch)
    started = time.perf_counter()
    result = run_cli(capsys, ["trace", f"--surface={text}", "--steps", "3", "-o", str(out)])
    elapsed = time.perf_counter() - started
    found = list(calls)
    assert elapsed < 2.0, f"{result.show()}; took {elapsed:.2f} s"
    assert found == [], f"{result.show()}; user text reached {found}"
    for marker in markers:
        assert marker.exists() == (marker in existed), f"{result.show()}; {marker} created"
    check_contract(result, folder=tmp_path, before=set(), output="out.csv")
    if result.code == 0:
        check_trace_csv(out)


# Expressions that must be refused outright (never evaluated).
MUST_REFUSE = [
    k
    for k in HOSTILE
    if k
    not in {
        "power-tower",
        "x-power-tower",
        "huge-int",
        "parens-200",
        "fullwidth-x",
        "math-bold-x",
        "call-chain",
        "comment",
    }
]


@pytest.mark.parametrize("key", MUST_REFUSE)
def test_hostile_expression_is_refused(capsys, tmp_path, key):
    out = tmp_path / "out.csv"
    result = run_cli(capsys, ["trace", f"--surface={HOSTILE[key]}", "--steps", "3", "-o", str(out)])
    assert result.code == 2, result.show()
    assert_one_error_line(result)
    assert listing(tmp_path) == set()


# --- 3. optimizer specs through `trace` --------------------------------------------------

OPT_NAMES = ["gd", "sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "Adam", "g", "x"]
OPT_KEYS = ["lr", "beta", "noise", "batch", "eps", "rho", "beta1", "beta2", "label", "LR", "k"]
OPT_VALUES = [
    *("0", "-1", "1e309", "-1e309", "nan", "inf", "-inf", "0.5", "1", "", "abc", "1,2"),
    *("1e-320", "0.999999999999", "1e300", "32", "1e15", "2.5", "0x10", "1_0", " 0.1 "),
    *("$$", "a=b", "\u00e9", "1e-3", "0.0", "-0.0", "99999999999999999999"),
]

structured_optimizer_specs = st.tuples(
    st.sampled_from(OPT_NAMES),
    st.sampled_from(["", ":", ": "]),
    st.lists(
        st.tuples(
            st.sampled_from(OPT_KEYS), st.sampled_from(["=", "", "=="]), st.sampled_from(OPT_VALUES)
        ),
        max_size=4,
    ),
).map(lambda t: t[0] + (t[1] + ",".join(k + eq + v for k, eq, v in t[2]) if t[2] or t[1] else ""))

HYPERS = {
    "gd": ["lr"],
    "sgd": ["lr", "noise", "batch"],
    "momentum": ["lr", "beta"],
    "nesterov": ["lr", "beta"],
    "adagrad": ["lr", "eps"],
    "rmsprop": ["lr", "rho", "eps"],
    "adam": ["lr", "beta1", "beta2", "eps"],
}
PLAUSIBLE_VALUES = ["0.5", "0.01", "1", "0.9", "1e-3", "1e-8", "8", "0", "1e300", "0.999", "2"]


@st.composite
def plausible_optimizer_specs(draw: st.DrawFn) -> str:
    """Real names and keys with mostly valid values (labels may be anything)."""
    name = draw(st.sampled_from(sorted(HYPERS)))
    keys = draw(st.lists(st.sampled_from([*HYPERS[name], "label"]), unique=True, max_size=3))
    labels = st.text(min_size=1, max_size=8)
    items = [
        f"{key}={draw(labels if key == 'label' else st.sampled_from(PLAUSIBLE_VALUES))}"
        for key in keys
    ]
    return name + (":" + ",".join(items) if items else "")


optimizer_specs = st.one_of(
    st.text(max_size=30), structured_optimizer_specs, plausible_optimizer_specs()
)


@fuzz(100, 1500)
@given(
    specs=st.lists(optimizer_specs, min_size=1, max_size=3),
    surface=st.sampled_from(["bowl", "regression:samples=64", "x**2 + 3*y**2", "rosenbrock"]),
)
def test_optimizer_spec_fuzz_trace_exit_0_or_2(capsys, specs, surface):
    with scratch() as folder:
        out = folder / "out.csv"
        flags = [f"--optimizer={s}" for s in specs]
        argv = ["trace", "-s", surface, *flags, "--steps", "3", "-o", str(out)]
        result = run_cli(capsys, argv)
        event(f"exit {result.code}")
        check_contract(result, folder=folder, before=set(), output="out.csv")
        if result.code == 0:
            check_trace_csv(out)


# --- 4. scene files ----------------------------------------------------------------------


def toml_string(text: str) -> str:
    out = []
    for ch in text:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def toml_key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else toml_string(key)


def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return toml_string(value)
    if isinstance(value, datetime.date | datetime.time):  # datetime is a date
        return value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        items = ", ".join(f"{toml_key(k)} = {toml_value(v)}" for k, v in value.items())
        return "{" + items + "}"
    raise TypeError(type(value))


def toml_document(data: dict[str, Any]) -> str:
    return "".join(f"{toml_key(k)} = {toml_value(v)}\n" for k, v in data.items())


STRING_ALPHABET = "abxy 019.,:=-+*$\\^{}_\u00e9\n"
scalars = st.one_of(
    st.integers(-(10**20), 10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(alphabet=STRING_ALPHABET, max_size=10),
    st.booleans(),
    st.dates(),
    st.datetimes(timezones=st.none() | st.just(datetime.timezone.utc)),
    st.times(),
)
any_values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.text(alphabet="abxy_", min_size=1, max_size=4), children, max_size=3),
    ),
    max_leaves=6,
)

GOOD_VALUES: dict[str, st.SearchStrategy[Any]] = {
    "surface": st.sampled_from(
        ["bowl", "x**2 + 10*y**2", "ravine:kappa=10", "regression:samples=64", "saddle", "beale"]
    ),
    "optimizers": st.one_of(
        st.lists(
            st.sampled_from(
                ["gd", "sgd", "momentum:lr=0.05", "adam:lr=0.1", "sgd:batch=8", "nesterov:beta=0.5"]
            ),
            max_size=3,
        ),
        st.sampled_from(["gd", "adam"]),
    ),
    "start": st.sampled_from([[1.0, 1.0], [0, -1], "1,1", [0.5, -0.25]]),
    "steps": st.integers(1, 5),
    "seed": st.integers(0, 2**63 - 1),
    "window": st.sampled_from([[-2, 2, -2, 2], "-3,3,-3,3", [-5.0, 5.0, -1.0, 1.0]]),
    "view": st.sampled_from(["contour", "surface", "both"]),
    "frames": st.integers(1, 4),
    "fps": st.integers(1, 100),
    "size": st.sampled_from(["64x64", [64, 64], "80x64"]),
    "dpi": st.integers(20, 600),
    "theme": st.sampled_from(["light", "dark"]),
    "loss_panel": st.booleans(),
    "arrows": st.booleans(),
    "orbit": st.booleans(),
    "title": st.text(alphabet=STRING_ALPHABET, max_size=12),
    "caption": st.text(alphabet=STRING_ALPHABET, max_size=12),
}
UNKNOWN_KEYS = ["stepz", "extras", "Surface", "optimizer", "loss-panel", "a b", ""]

valid_scenes = st.fixed_dictionaries({}, optional=GOOD_VALUES)


@st.composite
def structured_scenes(draw: st.DrawFn) -> dict[str, Any]:
    """Mostly valid scenes, with at most one key spoiled or unknown."""
    data = draw(valid_scenes)
    spoil = draw(st.sampled_from(["none", "none", "value", "unknown"]))
    if spoil == "value":
        data[draw(st.sampled_from(sorted(GOOD_VALUES)))] = draw(any_values)
    elif spoil == "unknown":
        data[draw(st.sampled_from(UNKNOWN_KEYS))] = draw(any_values)
    return data


random_scenes = st.fixed_dictionaries(
    {}, optional={key: any_values for key in [*GOOD_VALUES, *UNKNOWN_KEYS]}
)

scene_documents = st.one_of(
    structured_scenes().map(toml_document).map(str.encode),
    random_scenes.map(toml_document).map(str.encode),
    st.binary(max_size=120),
    st.text(max_size=120).map(lambda s: s.encode("utf-8", "surrogatepass")),
    st.text(alphabet="[]{}=\"'.,ab0 \n#", max_size=60).map(str.encode),
)


def test_toml_serializer_round_trips():
    data = {
        "a": [1, -2.5, 'q"\\\n\x7f', True, {"b-c": [], "d e": {}}],
        "t": datetime.datetime(5, 1, 2, 3, 4, 5, 6, tzinfo=datetime.timezone.utc),
        "d": datetime.date(1979, 5, 27),
        "h": datetime.time(7, 32, 0, 999),
        "f": [1e300, -0.0, 5e-324, math.inf],
    }
    assert tomllib.loads(toml_document(data)) == data


@fuzz(60, 1250)
@given(document=scene_documents)
def test_scene_file_fuzz_trace_exit_0_or_2(capsys, document):
    with scratch() as folder:
        config = folder / "scene.toml"
        config.write_bytes(document)
        out = folder / "out.csv"
        argv = ["trace", "--config", str(config), "--steps", "2", "-o", str(out)]
        result = run_cli(capsys, argv)
        event(f"exit {result.code}")
        check_contract(result, folder=folder, before={"scene.toml"}, output="out.csv")
        if result.code == 0:
            check_trace_csv(out)


@fuzz(8, 200)
@given(data=structured_scenes(), suffix=st.sampled_from([".png", ".png", ".gif"]))
def test_scene_file_fuzz_render_exit_0_or_2(capsys, data, suffix):
    with scratch() as folder:
        config = folder / "scene.toml"
        config.write_text(toml_document(data), encoding="utf-8")
        name = "out" + suffix
        argv = [
            *("render", "--config", str(config), "--size", "64x64"),
            *("--steps", "2", "--frames", "2", "-q", "-o", str(folder / name)),
        ]
        result = run_cli(capsys, argv)
        event(f"exit {result.code}")
        check_contract(result, folder=folder, before={"scene.toml"}, output=name)


# --- 5. render options -------------------------------------------------------------------

SIZE_RE = re.compile(r"\s*(\d{1,6})\s*[xX×]\s*(\d{1,6})\s*")


def _cheap_size(text: str) -> bool:
    """No fuzzed size may ask for a big (slow) frame."""
    m = SIZE_RE.fullmatch(text)
    return not m or max(int(m.group(1)), int(m.group(2))) <= 160


def _cheap_count(text: str) -> bool:
    """No fuzzed frame count may ask for many frames."""
    try:
        return float(text.strip()) <= 6
    except ValueError:
        return True


def option_values(candidates: Sequence[str]) -> st.SearchStrategy[str]:
    return st.one_of(st.sampled_from(candidates), st.text(max_size=12))


RENDER_OPTIONS: dict[str, st.SearchStrategy[str]] = {
    "--size": option_values(
        [
            *("64x64", "64X80", "64×64", " 64 x 64 ", "63x64", "7681x64", "0x0", "-64x64"),
            *("64x64x64", "64", "x", "1e2x64", "\uff16\uff14x64", "64,64", "", "99999999x1"),
        ]
    ).filter(_cheap_size),
    "--fps": option_values(["1", "100", "0", "101", "-1", "2.0", "2.5", "nan", "inf", "1e309"]),
    "--frames": option_values(["1", "2", "5", "0", "-3", "2.0", "1e5", "nan", "", "abc"]).filter(
        _cheap_count
    ),
    "--view": option_values(["contour", "surface", "both", "Contour", "3d", "", " both"]),
    "--theme": option_values(["light", "dark", "Dark", "", "solarized"]),
    "--window": option_values(
        [
            *("-2,2,-2,2", "2,-2,-2,2", "0,0,0,0", "1,2,3", "a,b,c,d", "nan,1,0,1", "-inf,0,0,1"),
            *("0,1e-300,0,1", "-1e300,1e300,-1,1", "1e16,1.0000000000000002e16,0,1", "0,1,0,1,"),
        ]
    ),
    "--start": option_values(["1,1", "0,0", "1e300,0", "nan,0", "1", "1,2,3", "", "inf,1"]),
    "--dpi": option_values(["20", "600", "19", "601", "50", "72.0", "abc"]),
    "--title": option_values(["Title", "", "$x^2$", "$$", "a$b", "\\frac", "$\\frac$"]),
    "--seed": option_values(["0", "-1", "1e18", "9223372036854775807", "x"]),
}
FLAGS = ["--loss-panel", "--arrows", "--orbit"]


@fuzz(20, 200)
@given(
    options=st.fixed_dictionaries({}, optional=RENDER_OPTIONS),
    flags=st.lists(st.sampled_from(FLAGS), unique=True),
    surface=st.sampled_from(["bowl", "saddle", "x**2 + 3*y**2", "regression:samples=64"]),
    suffix=st.sampled_from([".png", ".png", ".gif"]),
)
def test_render_option_fuzz_exit_0_or_2(capsys, options, flags, surface, suffix):
    options = {"--size": "64x64", "--frames": "2", **options}
    with scratch() as folder:
        name = "out" + suffix
        argv = [
            *("render", "-s", surface, "--steps", "2", "-q", "-o", str(folder / name)),
            *(f"{k}={v}" for k, v in options.items()),
            *flags,
        ]
        result = run_cli(capsys, argv)
        event(f"exit {result.code}")
        check_contract(result, folder=folder, before=set(), output=name)


@fuzz(4, 100)
@given(text=valid_expressions)
def test_valid_expression_fuzz_render_exit_0_or_2(capsys, text):
    with scratch() as folder:
        argv = [
            *("render", "-s", text, "--size", "96x64", "--steps", "2", "--frames", "2"),
            *("-q", "-o", str(folder / "out.png")),
        ]
        result = run_cli(capsys, argv)
        event(f"exit {result.code}")
        check_contract(result, folder=folder, before=set(), output="out.png")


# --- 6. runtime failures and interrupts -------------------------------------------------


def _failing_ffmpeg(kind: str, folder: Path) -> str:
    if kind == "false":
        exe = shutil.which("false")
        assert exe, "no 'false' program on PATH"
        return exe
    if kind == "missing":
        return str(folder / "no-such-ffmpeg")
    script = folder / "noisy-ffmpeg"
    script.write_text(
        "#!/bin/sh\ncat >/dev/null\necho 'first line of trouble' >&2\n"
        "echo 'second line' >&2\nexit 3\n"
    )
    script.chmod(0o755)
    return str(script)


@pytest.mark.parametrize("existing", [False, True], ids=["new", "existing"])
@pytest.mark.parametrize("suffix", [".mp4", ".gif"])
@pytest.mark.parametrize("kind", ["false", "missing", "noisy"])
def test_ffmpeg_failure_is_exit_1(capsys, tmp_path, monkeypatch, kind, suffix, existing):
    tools, work, system_tmp = tmp_path / "tools", tmp_path / "work", tmp_path / "systmp"
    for d in (tools, work, system_tmp):
        d.mkdir()
    exe = _failing_ffmpeg(kind, tools)
    monkeypatch.setenv("IMAGEIO_FFMPEG_EXE", exe)  # imageio-ffmpeg runs this one
    monkeypatch.setattr(tempfile, "tempdir", str(system_tmp))  # catch palette leftovers
    target = work / f"anim{suffix}"
    if existing:
        target.write_bytes(b"precious bytes")
    before = listing(work)
    argv = [
        *("render", "-s", "bowl", "--size", "64x64", "--steps", "3", "--frames", "3"),
        *("-q", "-o", str(target)),
    ]
    result = run_cli(capsys, argv)
    assert result.code == 1, result.show()
    assert_one_error_line(result)
    assert listing(work) == before, result.show()
    if existing:
        assert target.read_bytes() == b"precious bytes"
    assert listing(system_tmp) == set(), result.show()
    if kind == "noisy":
        assert "first line of trouble" in result.err, result.show()


@pytest.mark.parametrize("existing", [False, True], ids=["new", "existing"])
@pytest.mark.parametrize("suffix", [".gif", ".mp4", ".png"])
def test_keyboard_interrupt_while_rendering_is_exit_130(
    capsys, tmp_path, monkeypatch, suffix, existing
):
    real_render_frames = animation_module.render_frames
    yielded: list[int] = []

    def interrupted(rec, options, **kwargs):
        frames = real_render_frames(rec, options, **kwargs)
        try:
            for frame in frames:
                if len(yielded) == 2:
                    raise KeyboardInterrupt
                yielded.append(1)
                yield frame
        finally:
            frames.close()

    monkeypatch.setattr(animation_module, "render_frames", interrupted)
    system_tmp = tmp_path / "systmp"
    system_tmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(system_tmp))
    work = tmp_path / "work"
    work.mkdir()
    target = work / f"anim{suffix}"
    if existing:
        target.write_bytes(b"\x89 existing file \x00\xff")
    before = listing(work)
    argv = [
        *("render", "-s", "bowl", "--size", "64x64", "--steps", "6", "--frames", "6"),
        *("-q", "-o", str(target)),
    ]
    result = run_cli(capsys, argv)
    assert yielded == [1, 1], result.show()
    assert result.code == 130, result.show()
    assert_one_error_line(result, prefix="lossviz: ")
    assert listing(work) == before, result.show()
    if existing:
        assert target.read_bytes() == b"\x89 existing file \x00\xff"
    assert listing(system_tmp) == set(), result.show()


@pytest.mark.parametrize(
    ("module", "where"), [(scene_module, "record"), (cli_commands, "trace_csv")]
)
def test_keyboard_interrupt_while_tracing_is_exit_130(capsys, tmp_path, monkeypatch, module, where):
    def interrupt(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(module, where, interrupt)
    out = tmp_path / "out.csv"
    out.write_text("old\n")
    result = run_cli(capsys, ["trace", "-s", "bowl", "--steps", "2", "-o", str(out)])
    assert result.code == 130, result.show()
    assert_one_error_line(result, prefix="lossviz: ")
    assert listing(tmp_path) == {"out.csv"} and out.read_text() == "old\n"


# --- 7. the bugs the fuzzers found, one input each --------------------------------------

SMALL_RENDER = ("--steps", "2", "--frames", "2", "-q")


def _render_case(capsys, folder: Path, args: Sequence[str], allowed=(0, 2)) -> Result:
    name = "out.png"
    result = run_cli(capsys, ["render", *args, *SMALL_RENDER, "-o", str(folder / name)])
    check_contract(
        result, folder=folder, before=listing(folder) - {name}, output=name, allowed=allowed
    )
    return result


@pytest.mark.parametrize(
    "args",
    [
        ["-s", "bowl", "--size", "64x64", "--title", "$$"],
        ["-s", "bowl", "--size", "64x64", "--title", r"$\frac$"],
        ["-s", "bowl", "--size", "64x64", "-O", r"gd:label=$\undefinedcommand$"],
        ["-s", "x**2 + y**2 # $$", "--size", "64x64"],
    ],
    ids=["title-$$", "title-frac", "label-unknown-command", "expression-comment"],
)
def test_bug_mathtext_in_user_text_escapes_main(capsys, tmp_path, args):
    """Titles, labels and an expression's comment are drawn as matplotlib mathtext."""
    _render_case(capsys, tmp_path, args)


@pytest.mark.parametrize(
    "surface,window",
    [
        ("bowl", "-1e308,1.7e308,0,1"),
        ("bowl", "1e16,1.0000000000000002e16,0,1"),
        ("rosenbrock", "-1e200,1e200,-1e200,1e200"),
        ("x", "0,1e300,0,1"),
    ],
)
def test_bug_extreme_window_escapes_main(capsys, tmp_path, surface, window):
    """Windows that parse (finite, XMIN < XMAX) but break contour levels or axes."""
    _render_case(capsys, tmp_path, ["-s", surface, f"--window={window}", "--size", "64x64"])


@pytest.mark.parametrize("text", ["x**y**x", "(1e308)", "1e16 + 0*x"])
def test_bug_expression_with_extreme_values_escapes_main(capsys, tmp_path, text):
    """Valid expressions whose values are huge, or flat at a huge level, over the window."""
    _render_case(capsys, tmp_path, ["-s", text, "--size", "96x64"])


@pytest.mark.parametrize(
    "args",
    [
        ["-s", "bowl", "--size", "64x64", "--loss-panel"],
        ["-s", "x/(y/(x/(y/x)))", "--size", "64x64"],
    ],
    ids=["loss-panel", "nested-fraction-formula"],
)
def test_bug_smallest_size_fails_at_runtime(capsys, tmp_path, args):
    """64x64 is a valid size, so this must render (0), not fail with exit 1."""
    _render_case(capsys, tmp_path, args, allowed=(0,))


@pytest.mark.parametrize(
    "argv",
    [
        ["trace", "-s", "bowl", "--steps", "2", "-o", "a\0.csv"],
        ["render", "-s", "bowl", "--size", "64x64", *SMALL_RENDER, "-o", "a\0.png"],
        ["trace", "--config", "a\0.toml", "--steps", "2"],
    ],
    ids=["trace-output", "render-output", "config"],
)
def test_bug_nul_byte_in_path_escapes_main(capsys, tmp_path, monkeypatch, argv):
    monkeypatch.chdir(tmp_path)
    result = run_cli(capsys, argv)
    assert result.code == 2, result.show()
    assert_one_error_line(result)
    assert listing(tmp_path) == set()


@pytest.mark.parametrize("opener,closer", [("[", "]"), ("{a=", "}")], ids=["array", "table"])
def test_bug_deeply_nested_scene_file_exits_2_not_1(capsys, tmp_path, opener, closer):
    """A scene file nested 5000 deep is bad input: exit 2, not RecursionError's exit 1."""
    config = tmp_path / "scene.toml"
    inner = "1" if opener.startswith("{") else ""
    config.write_text("title = " + opener * 5000 + inner + closer * 5000 + "\n")
    out = tmp_path / "out.csv"
    result = run_cli(capsys, ["trace", "--config", str(config), "--steps", "2", "-o", str(out)])
    assert result.code == 2, result.show()
    assert_one_error_line(result)
    assert listing(tmp_path) == {"scene.toml"}


@pytest.mark.parametrize(
    "line", ["size = 0", "start = 1", "window = 2.5", "size = true", "start = 1979-05-27"]
)
def test_bug_scalar_for_a_pair_in_scene_file_escapes_main(capsys, tmp_path, line):
    """``start``, ``window`` and ``size`` call ``list(value)`` outside their try block."""
    config = tmp_path / "scene.toml"
    config.write_text(line + "\n")
    out = tmp_path / "out.csv"
    result = run_cli(capsys, ["trace", "--config", str(config), "--steps", "2", "-o", str(out)])
    assert result.code == 2, result.show()
    assert_one_error_line(result)
    assert listing(tmp_path) == {"scene.toml"}
