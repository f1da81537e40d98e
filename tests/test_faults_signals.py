"""Real signals to a real ``lossviz gallery`` (issue 22): however it ends, it stops
every worker and ffmpeg it started, and nothing is written into the output folder
after it has ended.

Each test runs a gallery of three long scenes on two workers for a few seconds,
so they are not in the quick suite: CI runs them with ``LOSSVIZ_SIGNALS=1``
(``.ci/run``).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers import needs_encoder

pytestmark = [
    pytest.mark.signals,
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux process table"),
    pytest.mark.skipif(
        os.environ.get("LOSSVIZ_SIGNALS") != "1",
        reason="real signals to a real gallery take seconds each: LOSSVIZ_SIGNALS=1 runs them",
    ),
    needs_encoder("gif"),
    needs_encoder("libx264"),
]

SCENE = 'surface = "bowl"\noptimizers = ["gd:lr=0.001"]\nsteps = 3000\nsize = "96x64"\n'
OLD = {name: f"old {name}".encode() for name in ("a.gif", "a.mp4", "a.png", "a.html")}


def start_gallery(tmp_path: Path) -> tuple[subprocess.Popen[bytes], Path]:
    """``lossviz gallery -j 2`` of three long scenes, in a session of its own."""
    scenes = tmp_path / "scenes"
    scenes.mkdir()
    for name in "abc":
        (scenes / f"{name}.toml").write_text(SCENE)
    out = tmp_path / "out"
    out.mkdir()
    for name, data in OLD.items():
        (out / name).write_bytes(data)
    command = [sys.executable, "-m", "visualizer", "gallery", "--scenes", str(scenes)]
    command += ["-o", str(out), "-j", "2", "-q"]
    env = {**os.environ, "MPLBACKEND": "Agg"}
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        if sum(".lossviz-" in p.name for p in out.iterdir()) >= 8:  # both workers encode
            time.sleep(0.3)
            return process, out
        time.sleep(0.05)
    process.kill()
    pytest.fail(f"the gallery wrote no frames: {process.communicate()[1].decode()}")


def live_processes(session: int) -> list[str]:
    """The processes of ``session`` that still run (zombies have stopped for good)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        name, rest = text[text.index("(") + 1 : text.rindex(")")], text[text.rindex(")") + 2 :]
        fields = rest.split()
        if int(fields[3]) == session and fields[0] != "Z":
            found.append(f"{stat.parent.name} {name}")
    return found


def folder(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(out.iterdir())}


def gone(session: int, seconds: float) -> list[str]:
    """Wait up to ``seconds`` for every process of ``session`` to stop; those left."""
    deadline = time.monotonic() + seconds
    while live_processes(session) and time.monotonic() < deadline:
        time.sleep(0.05)
    return live_processes(session)


@pytest.mark.parametrize(
    ("signum", "message"),
    [
        (signal.SIGHUP, "lossviz: stopped by SIGHUP\n"),
        (signal.SIGTERM, "lossviz: stopped by SIGTERM\n"),
        (signal.SIGINT, "lossviz: interrupted\n"),
    ],
)
def test_a_handled_signal_stops_every_worker_and_encoder_first(tmp_path, signum, message):
    process, out = start_gallery(tmp_path)
    process.send_signal(signum)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 128 + signum, stderr.decode()
    assert stderr.decode() == message
    assert live_processes(process.pid) == []  # stopped before the command ended
    after = folder(out)
    assert after == OLD
    time.sleep(0.5)
    assert folder(out) == after  # nothing written since


def test_after_sigkill_the_workers_and_encoders_die_with_the_parent(tmp_path):
    process, out = start_gallery(tmp_path)
    process.kill()
    process.wait(timeout=60)
    assert gone(process.pid, 5) == []
    after = folder(out)
    assert after == OLD  # the workers removed their temporary files as they stopped
    time.sleep(0.5)
    assert folder(out) == after


@pytest.mark.parametrize("delay_s", [0.05, 0.1, 0.2, 0.3, 0.4])
def test_an_early_ctrl_c_is_one_line(tmp_path, delay_s):
    """Ctrl-C while the command starts (its imports): one line, status 130, no traceback.

    Python's own start (before any of lossviz runs, about 20 ms idle) is not covered: the
    delay counts from its end, as measured just before.
    """
    env = {**os.environ, "MPLBACKEND": "Agg"}
    started = time.monotonic()
    subprocess.run([sys.executable, "-c", "pass"], env=env, check=True)
    python_start_s = time.monotonic() - started  # Python's own, before lossviz runs
    command = [sys.executable, "-m", "visualizer", "render", "-s", "bowl", "--steps", "5"]
    command += ["--size", "64x64", "-q", "-o", str(tmp_path / "a.gif")]
    process = subprocess.Popen(command, env=env, stderr=subprocess.PIPE)
    time.sleep(python_start_s + delay_s)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert "Traceback" not in stderr.decode(), stderr.decode()
    # interrupted; or done before the signal, or in Python's own teardown (default action)
    assert process.returncode in (130, 0, -signal.SIGINT)
    if process.returncode == 130:
        assert stderr.decode() == "lossviz: interrupted\n"
