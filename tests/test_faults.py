"""Fault tests (issue 15): every way a write can end leaves the new files or the old ones.

Real signals go to a real ``lossviz render`` process (two of them: they are the
slow tests here); the rest runs in-process: signals sent to this process from a
frame callback, writers made to fail half-way, a second Ctrl-C that lands inside
the cleanup.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from helpers import needs_encoder, run_main

from surfaces.errors import SpecError
from visualizer.encoding import _ffmpeg_writers, _memory, files, writers
from visualizer.encoding.errors import WriterError
from visualizer.encoding.files import Terminated
from visualizer.encoding.writers import write_frames, write_frames_to_all

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX signals")

GALLERY = ("a.gif", "a.mp4", "a.png")


def frames(n: int = 6, *, stop: int | None = None, on: int | None = None):
    """``n`` small frames; at frame ``on``, send signal ``stop`` to this process."""
    for k in range(n):
        if k == on:
            os.kill(os.getpid(), stop)
        yield np.full((36, 64, 3), (30 * k, 80, 160), np.uint8)


def old_files(folder: Path, names=GALLERY, mode: int = 0o644) -> dict[str, bytes]:
    for name in names:
        (folder / name).write_bytes(f"old {name}".encode())
        (folder / name).chmod(mode)
    return {name: f"old {name}".encode() for name in names}


def contents(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir())}


def start_render(folder: Path, output: str) -> subprocess.Popen[bytes]:
    """A render long enough to be interrupted: thousands of frames."""
    command = [sys.executable, "-m", "visualizer", "render", "-s", "bowl", "--steps", "3000"]
    command += ["--size", "160x90", "-q", "-o", str(folder / output)]
    env = {**os.environ, "MPLBACKEND": "Agg"}
    return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def wait_for_temp(folder: Path, process: subprocess.Popen[bytes]) -> Path:
    """Wait until the render has made its temporary file: frames are being encoded."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        temps = [p for p in folder.iterdir() if ".lossviz-" in p.name]
        if temps:
            time.sleep(0.2)  # a few frames
            return temps[0]
        time.sleep(0.02)
    process.kill()
    pytest.fail(f"the render wrote no frames: {process.communicate()[1].decode()}")


# --- real signals to a real render ---------------------------------------------------------


@needs_encoder("libx264")
def test_sigterm_keeps_the_old_file_and_leaves_no_temp(tmp_path):
    signum = signal.SIGTERM
    old = old_files(tmp_path, ["long.mp4"], mode=0o600)
    render = start_render(tmp_path, "long.mp4")
    wait_for_temp(tmp_path, render)
    render.send_signal(signum)
    _, stderr = render.communicate(timeout=60)
    assert render.returncode == 128 + signum, stderr.decode()
    assert stderr.decode() == "lossviz: stopped by SIGTERM\n"
    assert contents(tmp_path) == old
    assert (tmp_path / "long.mp4").stat().st_mode & 0o777 == 0o600


@needs_encoder("gif")
def test_after_sigkill_the_next_write_removes_the_stale_temp_file(tmp_path):
    render = start_render(tmp_path, "long.gif")
    stale = wait_for_temp(tmp_path, render)
    render.kill()
    render.wait(timeout=60)
    assert f".lossviz-{render.pid}-" in stale.name
    assert stale.exists()  # SIGKILL cannot be caught
    write_frames(tmp_path / "other.gif", frames(3), fps=10)
    assert sorted(contents(tmp_path)) == ["other.gif"]


# --- signals in-process --------------------------------------------------------------------


@needs_encoder("gif")
@needs_encoder("libx264")
@pytest.mark.parametrize(
    ("signum", "error"),
    [(signal.SIGINT, KeyboardInterrupt), (signal.SIGHUP, Terminated)],
)
def test_a_signal_while_rendering_keeps_all_old_files(tmp_path, signum, error):
    old = old_files(tmp_path)
    with pytest.raises(error):
        write_frames_to_all([tmp_path / n for n in GALLERY], frames(stop=signum, on=3), fps=10)
    assert contents(tmp_path) == old
    assert signal.getsignal(signal.SIGHUP) == signal.SIG_DFL  # handlers put back


@needs_encoder("gif")
def test_a_second_ctrl_c_inside_the_cleanup_does_not_cut_it_short(tmp_path, monkeypatch):
    discard = files.discard
    repeats = []

    def discard_under_fire(temp):
        os.kill(os.getpid(), signal.SIGINT)  # lands inside the cleanup
        repeats.append(temp)
        discard(temp)

    monkeypatch.setattr(files, "discard", discard_under_fire)
    old = old_files(tmp_path, ["a.gif", "a.png"])
    with pytest.raises(KeyboardInterrupt):
        write_frames_to_all(
            [tmp_path / "a.gif", tmp_path / "a.png"], frames(stop=signal.SIGINT, on=2), fps=10
        )
    assert len(repeats) >= 2
    assert contents(tmp_path) == old


def frames_through_a_c_extension(signum: int, *, swallow: bool = False):
    """Frames whose renderer gets ``signum`` inside a C extension's callback, which
    turns the signal's exception into an error of its own, as matplotlib's Agg
    renderer does ("Invalid affine transformation matrix"); or swallows it."""
    yield from frames(2)
    try:
        os.kill(os.getpid(), signum)
        time.sleep(5)  # the handler raises here
    except BaseException:
        if not swallow:
            raise ValueError("Invalid affine transformation matrix") from None
    yield from frames(2)


@pytest.mark.parametrize(
    ("signum", "error"),
    [(signal.SIGTERM, Terminated), (signal.SIGINT, KeyboardInterrupt)],
)
@pytest.mark.parametrize("swallow", [False, True])
def test_a_signal_turned_into_another_error_still_stops_the_write(tmp_path, signum, error, swallow):
    """A gallery worker that took SIGTERM for a ValueError went on waiting for work,
    and the gallery waited for it forever."""
    old = old_files(tmp_path, ["a.png"])
    with pytest.raises(error):
        write_frames(
            tmp_path / "a.png", frames_through_a_c_extension(signum, swallow=swallow), fps=10
        )
    assert contents(tmp_path) == old


@needs_encoder("gif")
def test_ctrl_c_during_the_renames_waits_until_every_file_is_in_place(tmp_path, monkeypatch):
    replace = os.replace
    calls = []

    def replace_under_fire(source, target):
        if not calls:
            os.kill(os.getpid(), signal.SIGINT)  # held back until the renames are done
        calls.append(target)
        replace(source, target)

    monkeypatch.setattr(os, "replace", replace_under_fire)
    old_files(tmp_path, ["a.gif", "a.png"])
    with pytest.raises(KeyboardInterrupt):
        write_frames_to_all([tmp_path / "a.gif", tmp_path / "a.png"], frames(), fps=10)
    monkeypatch.undo()
    assert len(calls) == 2
    new = contents(tmp_path)
    assert sorted(new) == ["a.gif", "a.png"]
    assert new["a.gif"].startswith(b"GIF89a") and new["a.png"].startswith(b"\x89PNG")


# --- writers failing half-way --------------------------------------------------------------


@needs_encoder("gif")
@needs_encoder("libx264")
def test_one_writer_failing_at_the_end_replaces_none_of_the_files(tmp_path, monkeypatch):
    def full_disk(self):
        raise WriterError(f"cannot write '{self.path}': No space left on device")

    monkeypatch.setattr(writers.PngWriter, "_close", full_disk)  # the last to finish
    old = old_files(tmp_path)
    with pytest.raises(WriterError, match="No space left on device"):
        write_frames_to_all([tmp_path / n for n in GALLERY], frames(), fps=10)
    assert contents(tmp_path) == old


@needs_encoder("gif")
@needs_encoder("libx264")
def test_the_encoder_dying_half_way_replaces_none_of_the_files(tmp_path, monkeypatch):
    def dying(self, frame, repeat):
        if self.frame_count == 3:  # SIGKILL its ffmpeg, as the OOM killer would
            os.kill(self._encoder._process.pid, signal.SIGKILL)  # our own process
        _ffmpeg_writers.FFmpegWriter._write(self, frame, repeat)

    monkeypatch.setattr(writers.Mp4Writer, "_write", dying)
    old = old_files(tmp_path)
    with pytest.raises(WriterError, match=r"^ffmpeg could not write '.*a\.mp4': "):
        write_frames_to_all([tmp_path / n for n in GALLERY], frames(40), fps=10)
    assert contents(tmp_path) == old


def test_a_renderer_failing_half_way_replaces_none_of_the_files(tmp_path):
    def broken():
        yield from frames(3)
        raise ArithmeticError("overflow while drawing")

    old = old_files(tmp_path, ["a.png"])
    with pytest.raises(ArithmeticError):
        write_frames(tmp_path / "a.png", broken(), fps=10)
    assert contents(tmp_path) == old


# --- hostile sizes: refused up front with one line and exit 2 ------------------------------


def refused(capsys, *argv: str) -> str:
    """Run ``lossviz argv``; assert a one-line error with exit 2; return the message."""
    started = time.monotonic()
    code, _, err = run_main(capsys, *argv)
    assert code == 2, err
    assert err.startswith("lossviz: error: ") and err.count("\n") == 1, err
    assert time.monotonic() - started < 5  # up front, before any heavy work
    return err


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (lambda folder: Path("/dev/zero"), "is not a regular file"),
        (lambda folder: (os.mkfifo(folder / "f.toml"), folder / "f.toml")[1], "not a regular"),
        (lambda folder: big(folder / "big.toml", 'title = "' + "x" * (2 << 20) + '"'), "bytes"),
        (lambda folder: big(folder / "t.toml", 'title = "' + "x" * 1_000_000 + '"'), "at most"),
        (lambda folder: big(folder / "l.toml", 'caption = "' + "x" * 5000 + '"'), "at most 2000"),
        (lambda folder: big(folder / "o.toml", f"optimizers = {['gd'] * 3000}"), "at most 12"),
    ],
)
def test_hostile_scene_files_are_refused(tmp_path, capsys, make, expected):
    err = refused(capsys, "trace", "--config", str(make(tmp_path)))
    assert expected in err


def big(path: Path, text: str) -> Path:
    path.write_text(text.replace("'", '"'))
    return path


def test_a_scene_file_may_start_with_a_byte_order_mark(tmp_path, capsys):
    (tmp_path / "bom.toml").write_bytes(b'\xef\xbb\xbfsurface = "bowl"\nsteps = 2\n')
    code, out, err = run_main(capsys, "trace", "--config", str(tmp_path / "bom.toml"))
    assert code == 0, err
    assert out.splitlines()[1].startswith("gd,0,")


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["-O", "gd:label=a\x01b"], "label must not contain control characters (U+0001)"),
        (["-O", "gd:label=" + "x" * 61], "label is 61 characters long; at most 60"),
        (["--title", "x" * 201], "title is 201 characters long; at most 200"),
        (["--title", "a\x00b"], "control characters (U+0000)"),
        ([a for i in range(13) for a in ("-O", f"gd:lr=0.0{i}")], "at most 12 in one scene"),
    ],
)
def test_hostile_texts_and_counts_are_refused(tmp_path, capsys, argv, expected):
    err = refused(capsys, "render", "-s", "bowl", *argv, "-o", str(tmp_path / "a.png"))
    assert expected in err
    assert list(tmp_path.iterdir()) == []


def test_a_render_larger_than_memory_is_refused_before_any_frame(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(_memory, "available_memory", lambda: 2_000_000_000)
    err = refused(
        capsys, "render", "-s", "bowl", "--size", "7680x4320", "-o", str(tmp_path / "a.mp4")
    )
    assert "7680x4320 render to .mp4 needs about 4.5 GB of memory; this machine has 2.0 GB" in err
    assert list(tmp_path.iterdir()) == []
    # into a folder still to be made: one line (no "created folder"), and no folder
    refused(capsys, "render", "--size", "7680x4320", "-o", str(tmp_path / "new" / "a.gif"))
    assert list(tmp_path.iterdir()) == []


def test_the_largest_accepted_inputs_render(tmp_path, capsys):
    """12 optimizers with 60-character labels and a 200-character title at 64x64."""
    specs = [a for i in range(12) for a in ("-O", f"gd:lr=0.0{i + 1},label={'é' * 58}{i:02d}")]
    path = tmp_path / ("n" * 251 + ".png")  # a 255-character name
    code, _, err = run_main(
        capsys, "render", "-s", "bowl", "--steps", "2", "--size", "64x64", "--view", "both",
        "--loss-panel", "--title", "W" * 200, *specs, "-q", "-o", str(path),
    )  # fmt: skip
    assert code == 0, err
    assert [p.name for p in tmp_path.iterdir()] == [path.name]


# --- accepted input never fails later; closed streams -------------------------------------


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["trace", "-s", "log(x*0)"], "the loss at the start (-3.5, 2.5) is -inf"),
        (
            ["render", "--title", "$" + "\\sqrt{" * 25 + "x" + "}" * 25 + "$", "-o", "t.png"],
            "is nested too deeply to typeset",
        ),
    ],
)
def test_input_the_renderer_cannot_handle_is_refused_up_front(
    tmp_path, capsys, monkeypatch, argv, expected
):
    monkeypatch.chdir(tmp_path)
    assert expected in refused(capsys, *argv)
    assert list(tmp_path.iterdir()) == []


def test_animate_takes_one_optimizer_as_a_string():
    from visualizer import animate

    anim = animate("bowl", optimizers="momentum", steps=2, size=(160, 90))
    assert [run.label for run in anim.recording.runs] == ["momentum"]


def run_with_closed(stream: str, *argv: str) -> subprocess.CompletedProcess[str]:
    """``lossviz argv`` with standard output (``">&-"``) or error (``"2>&-"``) closed."""
    command = ["sh", "-c", f'exec "$@" {stream}', "sh", sys.executable, "-m", "visualizer"]
    env = {**os.environ, "MPLBACKEND": "Agg"}
    return subprocess.run([*command, *argv], env=env, capture_output=True, text=True, timeout=60)


def test_trace_with_stdout_closed_says_so(tmp_path):
    done = run_with_closed(">&-", "trace", "-s", "bowl", "--steps", "2")
    assert done.returncode == 1
    assert done.stderr == "lossviz: error: standard output is closed: write the CSV with -o FILE\n"


@needs_encoder("gif")
def test_render_with_stderr_closed_writes_the_file(tmp_path):
    path = tmp_path / "a.gif"
    done = run_with_closed(
        "2>&-", "render", "-s", "bowl", "--steps", "3", "--size", "96x64", "-o", str(path)
    )
    assert done.returncode == 0
    assert path.read_bytes().startswith(b"GIF89a")
    assert sorted(contents(tmp_path)) == ["a.gif"]


def test_seeds_up_to_the_maximum_are_exact(capsys):
    traces = []
    for seed in (2**53, 2**53 + 1, 2**63 - 1):
        code, out, err = run_main(
            capsys, "trace", "-s", "bowl", "-O", "sgd", "--steps", "3", "--seed", str(seed)
        )
        assert code == 0, err
        traces.append(out)
    assert len(set(traces)) == 3  # no two seeds collide (none passes through a float)
    assert "9223372036854775808" in refused(capsys, "trace", "--seed", str(2**63))


def test_a_deeply_nested_expression_renders(tmp_path, capsys):
    """Its formula title nests 40 deep: drawn, or drawn as plain text, never exit 1."""
    expression = "sin(" * 40 + "x" + ")" * 40 + " + y*y"
    path = tmp_path / "deep.png"
    code, _, err = run_main(
        capsys, "render", "-s", expression, "--steps", "2", "--size", "96x64", "-q", "-o", str(path)
    )
    assert code == 0, err
    assert path.read_bytes().startswith(b"\x89PNG")


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["-s", "mlp:hidden=256,samples=20000", "--steps", "2"], "the plane's 80x80 lattice is"),
        (["-s", "mlp", "--steps", "100000"], "300000 steps in all; at most 20000"),
        (["-s", "mlp:hidden=256", "--steps", "6000"], "2.31e+07 values per array; at most 2e+07"),
        (["-s", "regression:samples=1000000", "--steps", "100000"], "operations; at most 5e+09"),
        (["-s", "logistic:samples=100000", "--steps", "200", "--tune"], "× 169 learning rates"),
    ],
)
def test_a_recording_of_minutes_or_gigabytes_is_refused_up_front(capsys, argv, expected):
    """Each value within its own range, together minutes of work or GBs of memory."""
    assert expected in refused(capsys, "trace", *argv)


def test_the_work_bounds_are_exact():
    from surfaces import get_surface
    from visualizer.maths.bounds import MAX_TRAINING_WORK, check_work

    regression = get_surface("regression:samples=1000000")
    steps = MAX_TRAINING_WORK // (1_000_000 * 2)
    check_work(regression, runs=1, steps=steps)
    with pytest.raises(SpecError, match="at most 5e"):
        check_work(regression, runs=1, steps=steps + 1)
    check_work(get_surface("mlp"), runs=4, steps=5000)  # 20000 steps, 1.6 million values
    with pytest.raises(SpecError, match="at most 20000"):
        check_work(get_surface("mlp"), runs=4, steps=5001)
    check_work(get_surface("ravine"), runs=12, steps=100_000)  # analytic: only the step bound


def test_the_readme_states_the_bounds():
    from visualizer.maths.bounds import MAX_NETWORK_STEPS
    from visualizer.scene.options import MAX_OPTIMIZERS, MAX_TITLE_CHARS

    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    for row in (
        f"| title | {MAX_TITLE_CHARS} characters",
        f"| optimizers | {MAX_OPTIMIZERS} per scene |",
        "samples × parameters (2, or the network's) ≤ 5·10⁹",
        f"steps × optimizers ≤ {MAX_NETWORK_STEPS};",
        "parameters ≤ 2·10⁷",
        "grid² × samples × hidden units ≤ 10⁹",
    ):
        assert row in readme, row
