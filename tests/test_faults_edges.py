"""Fault tests at the edges (issue 22): input errors of any size, bounds on total work,
the Python API's own errors.

Every input error is one line, ``lossviz: error: ...``, exit 2, in under 5 s, with no
traceback and no warning, however large the input; the Python API raises
``SpecError`` or a ``TypeError`` naming the argument.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import warnings
from pathlib import Path

import pytest
from helpers import run_main

from surfaces import datafiles, get_surface
from surfaces.errors import SpecError
from visualizer.maths.recorder import record
from visualizer.maths.specs import parse_optimizer

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX files")


def refused(capsys, *argv: str) -> str:
    """Run ``lossviz argv``: one line, exit 2, under 5 s, no warning; the message."""
    started = time.monotonic()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        code, _, err = run_main(capsys, *argv)
    assert code == 2, err
    assert err.startswith("lossviz: error: ") and err.count("\n") == 1, err[:500]
    assert len(err) < 600, f"{len(err)} characters: {err[:200]}..."
    assert [str(w.message) for w in caught] == []
    assert time.monotonic() - started < 5
    return err


# --- data files -----------------------------------------------------------------------------


def trace_data(capsys, path: Path | str, surface: str = "regression") -> str:
    return refused(capsys, "trace", "-s", f"{surface}:data={path}", "--steps", "3")


def test_a_cell_longer_than_the_csv_limit_is_named(tmp_path, capsys):
    path = tmp_path / "long.csv"
    path.write_text("1" * 131_073 + ",2\n3,4\n")
    err = trace_data(capsys, path)
    assert "line 1: a cell is longer than 131072 characters, not a number" in err


@pytest.mark.parametrize("surface", ["regression", "logistic"])
def test_data_too_large_for_floats_is_a_data_problem(tmp_path, capsys, surface):
    path = tmp_path / "d.csv"
    path.write_text("1e308,1e308\n-1e308,-1e308\n0,0\n")
    err = trace_data(capsys, path, surface)
    assert "data file" in err and "row 1, column 1 is 1e+308" in err
    assert "rescale the data" in err and "lr" not in err


def test_data_at_the_value_bound_records_without_warnings(tmp_path, capsys):
    path = tmp_path / "d.csv"
    path.write_text("1e100,1e100\n-1e100,-1e100\n0,0\n")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        code, out, err = run_main(capsys, "trace", "-s", f"regression:data={path}", "--steps", "3")
    assert code == 0, err
    assert len(out.splitlines()) == 1 + 3 * 4


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (lambda d: Path("/dev/zero"), "not a regular file (a device, FIFO or socket)"),
        (lambda d: (os.mkfifo(d / "f.csv"), d / "f.csv")[1], "not a regular file"),
        (lambda d: (os.mkdir(d / "dir.csv"), d / "dir.csv")[1], "is a folder, not a file"),
        (lambda d: d / "missing.csv", "no such file"),
        (lambda d: "a/" * 3000 + "x.csv", "the path is longer than the system allows"),
    ],
)
def test_a_data_path_that_is_not_a_file_is_named_for_what_it_is(tmp_path, capsys, make, expected):
    err = trace_data(capsys, make(tmp_path))
    assert expected in err


def test_data_rows_are_bounded_by_their_cost(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(datafiles, "MAX_ROWS", 10)
    path = tmp_path / "rows.csv"
    path.write_text("x,y\n" + "1,2\n" * 10)
    assert datafiles.read_columns(path).shape == (10, 2)
    path.write_text("x,y\n" + "1,2\n" * 11)
    assert "more than 10 data rows; at most 10" in trace_data(capsys, path)


# --- the Python API -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "error", "words"),
    [
        (lambda: get_surface(None), TypeError, "get_surface() takes a surface spec string"),
        (lambda: parse_optimizer(None), TypeError, "parse_optimizer() takes an optimizer spec"),
        (lambda: parse_optimizer(0.1), TypeError, "got float"),
        (lambda: record("bowl", ["gd"]), TypeError, "use surfaces.get_surface('bowl')"),
        (lambda: record(get_surface("bowl"), None), TypeError, "a list of optimizers as specs"),
        (lambda: record(get_surface("bowl"), "gd"), TypeError, "got str 'gd'"),
        (lambda: record(get_surface("bowl"), ["gd"], steps="3"), TypeError, "integer as steps"),
        (lambda: record(get_surface("bowl"), ["gd"], start="1,2"), TypeError, "pair (x, y)"),
        (lambda: record(get_surface("bowl"), ["gd"], seed=-1), SpecError, "seed must be in 0.."),
        (lambda: record(get_surface("bowl"), ["gd"], steps=10**9), SpecError, "1..100000"),
        (lambda: record(get_surface("mlp"), ["gd"], steps=30_000), SpecError, "at most 20000"),
    ],
)
def test_the_python_api_raises_its_own_errors(call, error, words):
    started = time.monotonic()
    with pytest.raises(error) as caught:
        call()
    assert type(caught.value) is error or isinstance(caught.value, SpecError)
    assert words in str(caught.value) and "\n" not in str(caught.value)
    assert time.monotonic() - started < 5


# --- child processes ------------------------------------------------------------------------

ORPHAN = """
import os, sys, time
from visualizer.encoding.processes import die_with_parent, die_with_parent_command
parent = os.getpid()
child = os.fork()
if child == 0:
    die_with_parent(parent)
    time.sleep(60)
else:
    encoder = __import__("subprocess").Popen([*die_with_parent_command(), "sleep", "60"])
    print(child, encoder.pid, len(die_with_parent_command()), flush=True)
    time.sleep(60)
"""


def running(pid: int) -> bool:
    """Whether ``pid`` still runs (a zombie has stopped for good)."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return text[text.rindex(")") + 2] != "Z"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="prctl is Linux's")
def test_children_die_with_a_parent_killed_outright():
    """A forked worker gets SIGTERM and a program started through the prefix SIGKILL."""
    parent = subprocess.Popen([sys.executable, "-c", ORPHAN], stdout=subprocess.PIPE, text=True)
    worker, encoder, prefix = (int(word) for word in parent.stdout.readline().split())
    assert running(worker) and running(encoder)
    deadline = time.monotonic() + 5  # setpriv arms the signal, then runs the program
    while (
        Path(f"/proc/{encoder}/comm").read_text().strip() != "sleep" and time.monotonic() < deadline
    ):
        time.sleep(0.01)
    parent.kill()
    parent.wait(timeout=10)
    deadline = time.monotonic() + 5
    while (running(worker) or (prefix and running(encoder))) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not running(worker)
    if prefix:  # util-linux's setpriv is there
        assert not running(encoder)
    else:
        os.kill(encoder, 9)
