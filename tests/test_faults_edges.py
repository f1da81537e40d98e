"""Fault tests at the edges (issue 22): input errors of any size, bounds on total work,
the Python API's own errors.

Every input error is one line, ``lossviz: error: ...``, exit 2, in under 5 s, with no
traceback and no warning, however large the input; the Python API raises
``SpecError`` or a ``TypeError`` naming the argument.
"""

from __future__ import annotations

import os
import signal
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


# --- command lines and output paths ---------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["render", "-s", "bowl", "-o", ".gif"], "'.gif' has no name before its suffix .gif"),
        (["render", "-o", "d/" * 2100 + "x.gif"], "is 4205 bytes long; at most 4096"),
        (["trace", "-o", "d/" * 2100 + "x.csv"], "is 4205 bytes long; at most 4096"),
        (["trace", "--config", ""], "--config needs a file, got ''"),
        (["trace", "--scene", ""], "--scene needs a name, got ''"),
        (["trace", *["-O", "gd"] * 15_000], "30001 command-line arguments; at most 1000"),
        (["trace", "-s", "a" * 100_000], "unknown surface 'aaaaaaaaaaaaaa"),
        (["trace", "--config", "d/" * 2100 + "x.toml"], "File name too long"),
        (["trace", "-s", "bowl", "--start", "1e12,1e12"], "lies more than 100 windows away"),
    ],
)
def test_input_of_any_size_is_one_short_line(tmp_path, capsys, monkeypatch, argv, expected):
    monkeypatch.chdir(tmp_path)
    assert expected in refused(capsys, *argv)
    assert list(tmp_path.iterdir()) == []


def test_a_scene_file_named_index_is_refused(tmp_path, capsys):
    (tmp_path / "index.toml").write_text('surface = "bowl"\nsteps = 2\n')
    err = refused(capsys, "gallery", "--scenes", str(tmp_path), "-o", str(tmp_path / "out"))
    assert "index.toml': its player would be index.html, the gallery's page" in err


def test_a_read_only_target_is_replaced_as_mv_would(tmp_path):
    """The temporary file is writable while written; the new file gets the old bits."""
    from visualizer.encoding.files import write_text_atomic

    path = tmp_path / "page.md"
    path.write_text("old")
    path.chmod(0o444)
    modes = []
    real_write = Path.write_text

    def spy(self, *args, **kwargs):
        modes.append(self.stat().st_mode & 0o777)
        return real_write(self, *args, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Path, "write_text", spy)
        write_text_atomic(path, "new")
    assert modes == [0o644]  # the target's bits and the owner's write
    assert path.read_text() == "new" and path.stat().st_mode & 0o777 == 0o444
    assert [p.name for p in tmp_path.iterdir()] == ["page.md"]


# --- total work -----------------------------------------------------------------------------


HOLDS = ("--hold-first-ms", "60000", "--hold-last-ms", "60000")


@pytest.mark.parametrize(
    ("argv", "frames"),
    [
        (["--size", "7680x4320", "--steps", "100000"], "100089 frames of 7680x4320"),
        (
            [
                "--size",
                "7680x4320",
                "--steps",
                "2",
                "--fps",
                "100",
                "--hold-first-ms",
                "60000",
                "--hold-last-ms",
                "60000",
            ],
            "12001 frames of 7680x4320",
        ),
        (
            ["--slow", "0,2000", "--slowdown", "20", "--fps", "100", "--steps", "2000"],
            "40430 frames of 1280x720",
        ),
    ],
)
def test_frames_times_pixels_is_bounded_up_front(tmp_path, capsys, argv, frames):
    err = refused(capsys, "render", "-s", "bowl", *argv, "-o", str(tmp_path / "a.mp4"))
    assert frames in err and "at most 2e+10" in err and "LOSSVIZ_MAX_FRAME_PIXELS" in err
    assert list(tmp_path.iterdir()) == []


def test_the_bounds_are_raised_by_the_environment(monkeypatch):
    from visualizer.encoding._memory import check_frame_work, check_memory

    with pytest.raises(SpecError, match="at most 2e\\+10"):
        check_frame_work(12001, (7680, 4320))
    monkeypatch.setenv("LOSSVIZ_MAX_FRAME_PIXELS", "1e12")
    check_frame_work(12001, (7680, 4320))
    monkeypatch.setenv("LOSSVIZ_MAX_FRAME_PIXELS", "lots")
    with pytest.raises(SpecError, match="LOSSVIZ_MAX_FRAME_PIXELS='lots' is not a positive"):
        check_frame_work(2, (64, 64))
    monkeypatch.setenv("LOSSVIZ_MAX_MEMORY", "2e8")
    with pytest.raises(SpecError, match=r"this machine has 0\.2 GB available.*LOSSVIZ_MAX_MEMORY"):
        check_memory((1280, 720), [".mp4"])


def test_memory_counts_every_process_of_a_command(tmp_path, capsys, monkeypatch):
    """An orbit's workers, and the gallery's scenes rendered at once (-j capped to the
    cores this process may use)."""
    from helpers import TINY, write_scenes

    from visualizer.encoding import _memory, processes
    from visualizer.encoding._memory import check_memory, memory_needed, orbit_memory

    need = memory_needed((1920, 1080), [".mp4"])
    check_memory((1920, 1080), [".mp4"], available=need)
    with pytest.raises(SpecError, match=r"with 2 orbit processes needs about 0\.6 GB"):
        check_memory((1920, 1080), [".mp4"], available=need, orbit_workers=2)
    assert orbit_memory((1920, 1080), 2) > 2 * 1920 * 1080 * 30

    scenes = write_scenes(tmp_path / "scenes", TINY)
    one = memory_needed((191, 107), (".gif", ".mp4", ".png", ".html"))
    monkeypatch.setattr(_memory, "available_memory", lambda: int(1.5 * one))
    monkeypatch.setattr(processes, "usable_cores", lambda: 2)
    argv = ["gallery", "--scenes", str(scenes), "-q", "-o", str(tmp_path / "out")]
    assert "rendering 2 scenes at once (-j 2) needs" in refused(capsys, *argv, "-j", "1024")
    from visualizer.frontends.gallery import check_gallery, load_gallery

    assert len(check_gallery(load_gallery(scenes), workers=1)) == 2  # one at a time fits


# --- early signals --------------------------------------------------------------------------


@pytest.mark.parametrize("where", ["importing", "running"])
def test_ctrl_c_while_the_command_starts_is_one_line(capsys, monkeypatch, where):
    import builtins

    from visualizer.frontends import _launch, cli

    if where == "importing":
        real_import = builtins.__import__

        def interrupted_import(name, *args, **kwargs):
            if name == "visualizer.frontends.cli":
                raise KeyboardInterrupt
            return real_import(name, *args, **kwargs)

        monkeypatch.setattr(builtins, "__import__", interrupted_import)
    else:

        def interrupted() -> None:
            raise KeyboardInterrupt

        monkeypatch.setattr(cli, "run", interrupted)
    previous = signal.getsignal(signal.SIGINT)
    try:
        with pytest.raises(SystemExit) as caught:
            _launch.run()
    finally:
        signal.signal(signal.SIGINT, previous)  # the launcher ignores a second Ctrl-C
    assert caught.value.code == 130
    assert capsys.readouterr().err == "lossviz: interrupted\n"
