"""Benchmark: lossviz against the usual matplotlib ``FuncAnimation`` recipe.

Both sides render the same scene, in the same run, from the same recorded
trajectories: surface ``ravine`` with its preset optimizers (gd, sgd,
momentum), 120 steps, 120 frames, 800x600 pixels, 20 fps.

- **lossviz**: ``animate("ravine", steps=120, frames=120, size=(800, 600)).save(path)``
  (``view="surface"`` for 3D). The timed call includes recording the runs
  (about 10 ms), so lossviz pays slightly more than the baseline.
- **baseline**: the recipe of the popular tutorials, written faithfully: a
  pyplot figure (``figsize=(8, 6)``, ``dpi=100``), ``contourf`` + ``contour`` of
  log-scaled losses (30 levels), a trail line and a ball marker per optimizer
  updated with ``set_data`` in ``update(frame)``, a legend and a title with the
  step, ``FuncAnimation(..., blit=True)`` saved with ``PillowWriter(fps=20)``
  (GIF) or ``FFMpegWriter(fps=20)`` (MP4, the ffmpeg of imageio-ffmpeg). 3D:
  ``plot_surface`` on a 50x50 grid, ``set_data_3d`` lines and markers,
  ``FuncAnimation(..., blit=False)``, ``PillowWriter``. Frame ``k`` of both shows
  the same step (evenly spaced, first and last included; the trail is
  ``positions[:step + 1]``).

Both timings cover the whole job, from recorded trajectories to a file on
disk: figure set-up (contour or surface computation), every frame, encoding.
Targets use wall-clock time (``time.perf_counter``, best of 3 for lossviz, best
of 2 for the baseline, 1 with ``--quick``). The table also shows a CPU-time
speed-up (this process plus the ffmpeg it waited for), which other load on the
machine hardly affects; lossviz overlaps rendering and ffmpeg encoding on two
cores, so its CPU time can exceed its wall time.

Cases and targets:

1. 2D contour GIF: >= 10x faster, and GIF <= 1/10 of PillowWriter's bytes.
2. 3D surface GIF (fixed camera): >= 20x faster.
3. 2D MP4: >= 5x faster than FFMpegWriter.
4. Linearity: lossviz 2D GIF at 600 steps/600 frames takes <= 5.5x the time of
   120 steps/120 frames.
5. Memory: peak (python + ffmpeg) for 1000 frames at 1280x720 within 100 MB of
   the peak for 100 frames, each measured in a fresh subprocess.
6.-8. The encoder floor, whole processes, big frames: see ``issue_cases``.
10. Smooth motion against one frame per step (issue 20): the kappa=100 ravine, GD and
   momentum, 30 steps, defaults, 1280x720, as whole ``lossviz render`` processes, GIF
   and MP4, with and without ``--motion steps``: the smooth GIF costs <= 2.5x the
   bytes and <= 3x the time. ``--motion-only`` runs just this case.
9. Model surface: the default ``mlp`` scene (``animate("mlp").save("mlp.gif")``:
   a 2-16-2 network trained by its three preset optimizers for 150 steps, the
   shared plane, the 80x80 loss lattice, 151 frames at 1280x720) in < 10 s. The
   lattice evaluated as one batch is compared with the same points evaluated one
   by one (``Classifier.loss`` per point), measured in the same run.

Run from the repository root::

    .venv/bin/python bench/render_bench.py [--quick] [--json FILE|-] [--frames-dir DIR]

The exit status is 0 even when a target is missed; every target gets a
``PASS``/``MISS`` summary line.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

os.environ.setdefault("MPLBACKEND", "Agg")

import matplotlib

matplotlib.use("Agg")

import numpy as np

from visualizer.encoding.pacing import frame_schedule


def frame_steps(steps: int, n_frames: int | None) -> np.ndarray:
    """The step of each frame of lossviz at one frame per step (``--motion steps``)."""
    schedule = frame_schedule(
        steps, fps=20, steps_per_second=20, hold_first_ms=0, hold_last_ms=0,
        motion="steps", frames=n_frames,
    )  # fmt: skip
    return schedule.steps


SURFACE = "ravine"
STEPS = 120
FRAMES = 120
SIZE = (800, 600)
FPS = 20
FIGSIZE = (8, 6)
DPI = 100

LINEAR_STEPS = 600
LINEAR_TARGET = 5.5
MEMORY_SIZE = (1280, 720)
MEMORY_SMALL, MEMORY_LARGE = 100, 1000
MEMORY_TARGET_MB = 100.0

TARGET_2D_SPEED = 10.0
TARGET_2D_SIZE = 10.0
TARGET_3D_SPEED = 20.0
TARGET_MP4_SPEED = 5.0

MB = 1e6  # megabyte, 10**6 bytes

# issue 11: the encoder floor, whole processes, big frames
FLOOR_SIZE = (1280, 720)
BIG_SIZE = (3840, 2160)
BIG_TARGET_MB = 150.0
DEFAULT_TARGET_S = 1.2
WHOLE_GIF_TARGET = 20.0
WHOLE_MP4_TARGET = 10.0
ORBIT_TARGET = 10.0
ORBIT_GIF_BYTES = 2.5 * MB
STARTUP_TARGET_S = 0.3
GALLERY_TARGET_S = 25.0

MODEL_SCENE = "mlp"
TARGET_MODEL_SECONDS = 10.0


# --- the scene ------------------------------------------------------------------------


def record_reference(steps: int | None = STEPS) -> Any:
    """The recorded runs both sides draw: ravine, preset optimizers, 120 steps."""
    from visualizer.scene.scene import Scene

    return Scene(surface=SURFACE, steps=steps).record()


# --- baseline: the FuncAnimation recipe --------------------------------------------------


def baseline_contour(rec: Any, n_frames: int) -> tuple[Any, Callable[[int], list[Any]]]:
    """The 2D tutorial figure and its ``update(frame)`` function."""
    import matplotlib.pyplot as plt

    surface = rec.surface
    xmin, xmax, ymin, ymax = surface.window
    X, Y = np.meshgrid(np.linspace(xmin, xmax, 200), np.linspace(ymin, ymax, 200))
    Z = surface.f(np.stack([X, Y]))
    Z_log = np.log10(Z - Z.min() + 1e-3)  # the ravine spans decades: log-scaled levels

    fig, ax = plt.subplots(figsize=FIGSIZE, dpi=DPI)
    ax.contourf(X, Y, Z_log, levels=30, cmap="viridis")
    ax.contour(X, Y, Z_log, levels=30, colors="white", linewidths=0.5, alpha=0.4)
    for mx, my in surface.minima:
        ax.plot(mx, my, "r*", markersize=14)
    lines, balls = [], []
    for run in rec.runs:
        (line,) = ax.plot([], [], "-", linewidth=2, label=run.label)
        (ball,) = ax.plot([], [], "o", color=line.get_color(), markersize=9, markeredgecolor="k")
        lines.append(line)
        balls.append(ball)
    ax.set_xlim(xmin, xmax)
    ax.set_ylim(ymin, ymax)
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    ax.legend(loc="upper right")
    title = ax.set_title("")
    steps = frame_steps(rec.steps, n_frames)

    def update(frame: int) -> list[Any]:
        k = steps[frame]
        for run, line, ball in zip(rec.runs, lines, balls, strict=True):
            path = run.positions[: k + 1]
            line.set_data(path[:, 0], path[:, 1])
            ball.set_data(path[-1:, 0], path[-1:, 1])
        title.set_text(f"{surface.title}: step {k}")
        return [*lines, *balls, title]

    return fig, update


def baseline_surface(
    rec: Any, n_frames: int, *, orbit: bool = False
) -> tuple[Any, Callable[[int], list[Any]]]:
    """The 3D tutorial figure and its ``update(frame)`` function.

    With ``orbit``, ``update`` also turns the camera one full turn over the
    animation (``ax.view_init`` per frame), as orbiting tutorials do.
    """
    import matplotlib.pyplot as plt

    surface = rec.surface
    xmin, xmax, ymin, ymax = surface.window
    X, Y = np.meshgrid(np.linspace(xmin, xmax, 50), np.linspace(ymin, ymax, 50))
    Z = surface.f(np.stack([X, Y]))

    fig = plt.figure(figsize=FIGSIZE, dpi=DPI)
    ax = fig.add_subplot(projection="3d")
    ax.plot_surface(X, Y, Z, cmap="viridis", alpha=0.8, edgecolor="none")
    paths, lines, balls = [], [], []
    for run in rec.runs:
        p = run.positions
        paths.append((p[:, 0], p[:, 1], surface.f(p.T)))
        (line,) = ax.plot([], [], [], "-", linewidth=2, label=run.label, zorder=10)
        (ball,) = ax.plot([], [], [], "o", color=line.get_color(), markersize=8, zorder=11)
        lines.append(line)
        balls.append(ball)
    elev, azim = surface.camera
    ax.view_init(elev=elev, azim=azim)
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    ax.set_zlabel("loss")
    ax.legend(loc="upper right")
    title = ax.set_title("")
    steps = frame_steps(rec.steps, n_frames)

    def update(frame: int) -> list[Any]:
        k = steps[frame]
        for (x, y, z), line, ball in zip(paths, lines, balls, strict=True):
            line.set_data_3d(x[: k + 1], y[: k + 1], z[: k + 1])
            ball.set_data_3d(x[k : k + 1], y[k : k + 1], z[k : k + 1])
        title.set_text(f"{surface.title}: step {k}")
        if orbit:
            ax.view_init(elev=elev, azim=azim + 360.0 * frame / n_frames)
        return [*lines, *balls, title]

    return fig, update


def baseline_save(
    view: str, rec: Any, path: Path, n_frames: int = FRAMES, *, orbit: bool = False
) -> Path:
    """Build the tutorial figure and save it with FuncAnimation; the timed unit."""
    import matplotlib.pyplot as plt
    from matplotlib.animation import FFMpegWriter, FuncAnimation, PillowWriter

    if view == "contour":
        fig, update = baseline_contour(rec, n_frames)
        blit = True
    else:
        fig, update = baseline_surface(rec, n_frames, orbit=orbit)
        blit = False  # what 3D tutorials use: every frame is a full redraw
    anim = FuncAnimation(fig, update, frames=n_frames, blit=blit)
    if path.suffix == ".gif":
        writer = PillowWriter(fps=FPS)
    else:
        writer = FFMpegWriter(fps=FPS)
    anim.save(path, writer=writer)
    plt.close(fig)
    return path


# --- lossviz ------------------------------------------------------------------------------


def lossviz_animation(
    view: str, steps: int = STEPS, frames: int = FRAMES, size: tuple[int, int] = SIZE
) -> Any:
    from visualizer.frontends.animation import animate

    return animate(SURFACE, steps=steps, frames=frames, size=size, view=view, fps=FPS)


def lossviz_save(
    view: str,
    path: Path,
    steps: int = STEPS,
    frames: int = FRAMES,
    size: tuple[int, int] = SIZE,
) -> Path:
    """``animate(...).save(path)``: the timed unit (recording included)."""
    return lossviz_animation(view, steps, frames, size).save(path)


# --- timing -------------------------------------------------------------------------------


@dataclass
class Timing:
    """Seconds of each repetition (wall clock and CPU) and the size of the file written.

    CPU time is this process's plus that of the child processes it waited for
    (the ffmpeg encoders): a cross-check that other load on the machine hardly
    affects. The targets use wall-clock time.
    """

    samples: list[float] = field(default_factory=list)
    cpu_samples: list[float] = field(default_factory=list)
    bytes: int = 0

    @property
    def best(self) -> float:
        return min(self.samples)

    @property
    def best_cpu(self) -> float:
        return min(self.cpu_samples)


def _cpu_seconds() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def measure(job: Callable[[Path], Path], path: Path, reps: int) -> Timing:
    """Best-of-``reps`` wall-clock time of ``job(path)``, and the file size."""
    timing = Timing()
    for _ in range(reps):
        path.unlink(missing_ok=True)
        gc.collect()
        cpu = _cpu_seconds()
        start = time.perf_counter()
        out = job(path)
        timing.samples.append(time.perf_counter() - start)
        timing.cpu_samples.append(_cpu_seconds() - cpu)
        timing.bytes = out.stat().st_size
    return timing


def warm_up(rec: Any, folder: Path) -> None:
    """Import everything and render tiny animations, so no timing pays import costs."""
    import matplotlib.animation
    import matplotlib.pyplot  # noqa: F401
    import mpl_toolkits.mplot3d  # noqa: F401

    for view in ("contour", "surface"):
        lossviz_save(view, folder / f"warm-{view}.gif", steps=4, frames=3, size=(160, 120))
        baseline_save(view, rec, folder / f"warm-{view}-base.gif", n_frames=3)
    lossviz_save("contour", folder / "warm.mp4", steps=4, frames=3, size=(160, 120))
    baseline_save("contour", rec, folder / "warm-base.mp4", n_frames=3)
    for p in folder.iterdir():
        p.unlink()


def count_frames(path: Path) -> int:
    """Frames in a GIF or MP4 (a sanity check, outside the timings)."""
    if path.suffix == ".gif":
        from PIL import Image

        with Image.open(path) as im:
            return int(im.n_frames)
    import imageio_ffmpeg

    return int(imageio_ffmpeg.count_frames_and_secs(str(path))[0])


# --- frames for visual comparison ----------------------------------------------------------


def save_comparison_frames(rec: Any, folder: Path) -> list[Path]:
    """First, middle and last frame of lossviz and baseline, 2D and 3D, as PNG."""
    import matplotlib.pyplot as plt
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    wanted = {0: "first", FRAMES // 2: "middle", FRAMES - 1: "last"}
    written = []
    for view in ("contour", "surface"):
        for index, frame in enumerate(lossviz_animation(view).frames()):
            if index in wanted:
                out = folder / f"lossviz-{view}-{wanted[index]}.png"
                Image.fromarray(frame[:, :, :3]).save(out)
                written.append(out)
        build = baseline_contour if view == "contour" else baseline_surface
        fig, update = build(rec, FRAMES)
        for index, name in wanted.items():
            update(index)
            out = folder / f"baseline-{view}-{name}.png"
            fig.savefig(out, dpi=DPI)
            written.append(out)
        plt.close(fig)
    return written


# --- memory (subprocess) ---------------------------------------------------------------------
#
# Linux carries a process's high-water mark across exec: a process spawned by
# Python starts with ``ru_maxrss`` equal to the peak of the process that spawned
# it (measured here: a child using 11 MB reported 503 MB after its parent had
# touched 500 MB). So (a) the memory child is started through ``/bin/sh``, which
# forks it from a small process, so its RUSAGE_SELF is its own; and (b) ffmpeg's
# RUSAGE_CHILDREN reads at least Python's RSS at the moment ffmpeg was spawned,
# an upper bound, so ffmpeg's own peak is also read from ``VmHWM`` in
# ``/proc/<pid>/status`` (the peak of its own address space), polled while it runs.


def _status(pid: int | str) -> tuple[str, int]:
    """Name and peak resident set size (``VmHWM``, bytes) of a process."""
    name, peak = "", 0
    with open(f"/proc/{pid}/status", encoding="utf-8", errors="replace") as status:
        for line in status:
            if line.startswith("Name:"):
                name = line.split(maxsplit=1)[1].strip()
            elif line.startswith("VmHWM:"):
                peak = int(line.split()[1]) * 1024
    return name, peak


def _child_pids() -> list[str]:
    me = os.getpid()
    kids: list[str] = []
    try:
        for task in os.listdir(f"/proc/{me}/task"):
            with open(f"/proc/{me}/task/{task}/children", encoding="ascii") as f:
                kids += f.read().split()
        return kids
    except OSError:  # no CONFIG_PROC_CHILDREN: scan every process's parent
        for pid in filter(str.isdigit, os.listdir("/proc")):
            try:
                with open(f"/proc/{pid}/stat", encoding="ascii") as f:
                    if int(f.read().rsplit(")", 1)[1].split()[1]) == me:
                        kids.append(pid)
            except (OSError, ValueError, IndexError):
                continue
        return kids


def _watch_children(stop: threading.Event, peaks: dict[str, int]) -> None:
    """Record the ``VmHWM`` of every child ffmpeg process until ``stop`` is set.

    Only once the child has exec'd ffmpeg: between ``vfork`` and ``exec`` it shares
    Python's address space and would report Python's peak.
    """
    while not stop.is_set():
        for pid in _child_pids():
            with contextlib.suppress(OSError, ValueError, IndexError):
                name, peak = _status(pid)
                if name.startswith("ffmpeg"):
                    peaks[pid] = max(peaks.get(pid, 0), peak)
        stop.wait(0.01)


def memory_child(steps: int, frames: int, size: tuple[int, int], out: Path) -> None:
    """Render a 2D GIF and print its time and peak memory as JSON."""
    stop, peaks = threading.Event(), {}
    watcher = threading.Thread(target=_watch_children, args=(stop, peaks), daemon=True)
    watcher.start()
    start = time.perf_counter()
    lossviz_save("contour", out, steps=steps, frames=frames, size=size)
    seconds = time.perf_counter() - start
    stop.set()
    watcher.join()
    kib = 1024  # ru_maxrss is in KiB on Linux
    result = {
        "frames": frames,
        "size": size,
        "seconds": seconds,
        "python": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * kib,
        "python_vmhwm": _status("self")[1],
        "ffmpeg_rusage": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * kib,
        "ffmpeg_vmhwm": max(peaks.values(), default=0),
    }
    print(json.dumps(result))


def measure_memory(
    n: int, folder: Path, *, size: tuple[int, int] = MEMORY_SIZE, steps: int | None = None
) -> dict[str, Any]:
    """Run :func:`memory_child` in a fresh process; its JSON result plus the file size.

    ``n`` frames of ``steps`` steps (default ``n``) at ``size``.
    """
    out = folder / f"memory-{n}-{size[0]}x{size[1]}.gif"
    steps = n if steps is None else steps
    job = [str(steps), str(n), f"{size[0]}x{size[1]}", str(out)]
    cmd = [sys.executable, os.path.abspath(__file__), "--memory-child", *job]
    if os.path.exists("/bin/sh"):  # fork from a small process: see the note above
        cmd = ["/bin/sh", "-c", '"$0" "$@"; exit $?', *cmd]
    env = {**os.environ, "MPLBACKEND": "Agg"}
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"memory child for {n} frames failed:\n{done.stderr}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["bytes"] = out.stat().st_size
    out.unlink()
    # ffmpeg's own peak when the watcher saw it, else the rusage upper bound
    result["ffmpeg"] = result["ffmpeg_vmhwm"] or result["ffmpeg_rusage"]
    return result


# --- the encoder floor ------------------------------------------------------------------
#
# The floor of a case is what the encoder alone takes for the very frames lossviz
# renders: they are rendered once beforehand into a raw file (untimed), then
# ``write_frames`` pipes them straight from it into the same writer lossviz uses
# (palette, ffmpeg, temporary file and rename). lossviz's overhead is its time
# above that floor: recording, figure set-up and drawing the frames.


def prerender(
    view: str, size: tuple[int, int], frames: int, steps: int, folder: Path
) -> tuple[Any, Any]:
    """lossviz's frames of a case in a memory-mapped raw file, and the animation."""
    anim = lossviz_animation(view, steps=steps, frames=frames, size=size)
    raw = folder / f"frames-{view}-{size[0]}x{size[1]}-{frames}.raw"
    shape: tuple[int, ...] = ()
    count = 0
    with raw.open("wb") as out:
        for frame in anim.frames():
            out.write(frame.tobytes())
            shape = frame.shape
            count += 1
    return np.memmap(raw, np.uint8, "r", shape=(count, *shape)), anim


def encoder_save(frames: Any, anim: Any, path: Path) -> Path:
    """``anim.save(path)`` with its frames already rendered: the encoder floor.

    The same animation (holds, palette, writers), whose ``frames()`` hands out
    the pre-rendered frames instead of drawing them.
    """
    from dataclasses import fields

    class Prerendered(type(anim)):  # type: ignore[misc]
        def frames(self) -> Any:
            return iter(frames)

    kept = {f.name: getattr(anim, f.name) for f in fields(anim) if f.init}
    return Prerendered(**kept).save(path)


# --- whole processes: as a user runs them -------------------------------------------------
#
# ``lossviz ...`` as a user types it (the console script next to this Python), and
# the FuncAnimation recipe as a script of its own (this file with ``--recipe-child``:
# it imports pyplot, records the same runs and saves), each timed from start to exit.


def lossviz_command() -> list[str]:
    """The ``lossviz`` console script of this environment (``python -m visualizer`` without)."""
    script = Path(sys.executable).with_name("lossviz")
    return [str(script)] if script.exists() else [sys.executable, "-m", "visualizer"]


def recipe_child(view: str, out: Path, orbit: bool) -> None:
    """The FuncAnimation recipe as a user's script: the default ravine runs, one frame a step."""
    rec = record_reference(steps=None)
    baseline_save(view, rec, out, n_frames=rec.steps + 1, orbit=orbit)


def recipe_command(view: str, out: Path, *, orbit: bool = False) -> list[str]:
    cmd = [sys.executable, os.path.abspath(__file__), "--recipe-child", view, str(out)]
    return [*cmd, "--orbit"] if orbit else cmd


def run_process(cmd: list[str], out: Path | None, reps: int, *, ok: int = 0) -> Timing:
    """Best-of-``reps`` wall-clock time of a whole process (and CPU, its children included)."""
    timing = Timing()
    env = {**os.environ, "MPLBACKEND": "Agg"}
    for _ in range(reps):
        if out is not None:
            out.unlink(missing_ok=True)
        kids = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        done = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
        timing.samples.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        timing.cpu_samples.append(after.ru_utime + after.ru_stime - kids.ru_utime - kids.ru_stime)
        if done.returncode != ok:
            raise RuntimeError(f"{' '.join(cmd)} exited {done.returncode}:\n{done.stderr}")
        if out is not None:
            timing.bytes = out.stat().st_size
    return timing


#: ``lossviz render`` flags for one frame per step at 20 steps (frames) per second.
ONE_FRAME_PER_STEP = ["--motion", "steps", "--fps", "20", "--steps-per-second", "20"]
#: Case 10's scene (issue 20): smooth motion against one frame per step.
MOTION_SCENE = ["-s", "ravine:kappa=100", "-O", "gd", "-O", "momentum", "--steps", "30"]
MOTION_BYTES_TARGET, MOTION_TIME_TARGET = 2.5, 3.0


def motion_cases(
    folder: Path, reps: int, summary: list[tuple[bool, str]], results: dict[str, Any]
) -> list[list[str]]:
    """Case 10: smooth motion (the default) against ``--motion steps``, whole processes."""
    print("  running 10 smooth vs one frame per step ...", file=sys.stderr, flush=True)
    rows = []
    render = [*lossviz_command(), "render", *MOTION_SCENE, "-q"]
    for suffix in (".gif", ".mp4"):
        smooth_path, steps_path = folder / f"smooth{suffix}", folder / f"steps{suffix}"
        smooth = run_process([*render, "-o", str(smooth_path)], smooth_path, reps)
        steps = run_process([*render, "--motion", "steps", "-o", str(steps_path)], steps_path, reps)
        frames = count_frames(smooth_path), count_frames(steps_path)
        byte_ratio, time_ratio = smooth.bytes / steps.bytes, smooth.best / steps.best
        cpu_ratio = smooth.best_cpu / steps.best_cpu
        fmt = suffix[1:].upper()
        gif = suffix == ".gif"
        ok = byte_ratio <= MOTION_BYTES_TARGET and time_ratio <= MOTION_TIME_TARGET
        target = f"<= {MOTION_BYTES_TARGET:g}x B, <= {MOTION_TIME_TARGET:g}x s" if gif else ""
        rows.append(
            [
                f"10 {fmt}",
                f"{frames[1]} / {frames[0]}",
                f"{_s(steps.best)} / {_s(smooth.best)}",
                f"{time_ratio:.2f}x (CPU {cpu_ratio:.2f}x)",
                f"{fmt_bytes(steps.bytes)} / {fmt_bytes(smooth.bytes)}",
                f"{byte_ratio:.2f}x",
                target,
                verdict(ok) if gif else "",
            ]
        )
        if gif:
            summary.append(
                (
                    ok,
                    f"10 smooth GIF vs one frame per step: {byte_ratio:.2f}x the bytes,"
                    f" {time_ratio:.2f}x the time (targets <= {MOTION_BYTES_TARGET:g}x,"
                    f" <= {MOTION_TIME_TARGET:g}x)",
                )
            )
        results["cases"][f"motion_{fmt.lower()}"] = {
            "frames_steps": frames[1],
            "frames_smooth": frames[0],
            "seconds_steps": steps.samples,
            "seconds_smooth": smooth.samples,
            "bytes_steps": steps.bytes,
            "bytes_smooth": smooth.bytes,
            "time_ratio": time_ratio,
            "byte_ratio": byte_ratio,
        }
    return rows


def print_motion(rows: list[list[str]]) -> None:
    """Case 10's table."""
    print("10 smooth motion (default) vs --motion steps: " + " ".join(MOTION_SCENE) + ", 1280x720")
    print_table(
        [
            "case",
            "frames steps / smooth",
            "s steps / smooth",
            "time ratio",
            "B steps / smooth",
            "byte ratio",
            "target",
            "result",
        ],
        rows,
        "lrrrrrll",
    )
    print()


def floor_of(
    view: str, size: tuple[int, int], frames: int, steps: int, path: Path, reps: int
) -> Timing:
    """The encoder floor of a case: best-of-``reps`` time to encode its pre-rendered frames."""
    raw, anim = prerender(view, size, frames, steps, path.parent)
    try:
        return measure(lambda p: encoder_save(raw, anim, p), path, reps)
    finally:
        Path(raw.filename).unlink()


def _s(t: float) -> str:
    return f"{t:.2f} s"


def issue_cases(
    folder: Path,
    reps_lossviz: int,
    reps_baseline: int,
    gallery: bool,
    summary: list[tuple[bool, str]],
    results: dict[str, Any],
) -> list[list[str]]:
    """Cases 6-8 (the floor at 1280x720, whole processes, big frames); rows of the issue table."""
    issue: list[list[str]] = []

    # 6. the encoder floor at 1280x720
    print("  running 6 the encoder floor at 1280x720 ...", file=sys.stderr, flush=True)
    w, h = FLOOR_SIZE
    rows = []
    n = STEPS + 1
    for letter, suffix in (("a", ".gif"), ("b", ".mp4")):
        lv = measure(
            lambda p: lossviz_save("contour", p, steps=STEPS, frames=n, size=FLOOR_SIZE),
            folder / f"hd{suffix}",
            reps_lossviz,
        )
        fl = floor_of("contour", FLOOR_SIZE, n, STEPS, folder / f"hd-floor{suffix}", reps_lossviz)
        over = lv.best - fl.best
        ok = over <= fl.best
        fmt = suffix[1:].upper()
        rows.append(
            [
                f"6{letter} 2D {fmt}",
                _s(lv.best),
                _s(fl.best),
                _s(over),
                f"{over / fl.best:.2f}",
                "<= 1",
                verdict(ok),
            ]
        )
        summary.append(
            (
                ok,
                f"6{letter} 2D {fmt} at {w}x{h}, {n} frames: lossviz {lv.best:.2f} s, encoder"
                f" alone {fl.best:.2f} s, overhead {over:.2f} s = {over / fl.best:.2f}x the"
                " encoder's time (target <= 1x)",
            )
        )
        issue.append(
            [
                f"overhead above the encoder, 2D {fmt} {w}x{h}",
                _s(over),
                _s(fl.best),
                f"{over / fl.best:.2f}x",
                "<= 1x the encoder",
                verdict(ok),
            ]
        )
        results["cases"][f"floor_{fmt.lower()}_{w}x{h}"] = {
            "lossviz_seconds": lv.samples,
            "floor_seconds": fl.samples,
            "overhead_seconds": over,
            "pass": ok,
        }
    print(f"6 the encoder floor: 2D contour, {w}x{h}, {STEPS + 1} frames, in-process")
    print_table(
        ["case", "lossviz", "encoder alone", "overhead", "overhead/encoder", "target", "result"],
        rows,
        "lrrrrll",
    )
    print()

    # 7. whole processes
    print("  running 7 whole processes ...", file=sys.stderr, flush=True)
    # one frame per step, as the recipe draws it (and as lossviz did before smooth motion)
    lossviz = [*lossviz_command(), "render", *ONE_FRAME_PER_STEP]
    out = folder / "whole-d.gif"
    default = run_process([*lossviz, "-o", str(out)], out, reps_lossviz)
    ok = default.best <= DEFAULT_TARGET_S
    issue.append(
        [
            "`lossviz render -o d.gif` (ravine, 1280x720, 121 frames)",
            _s(default.best),
            "",
            "",
            f"<= {DEFAULT_TARGET_S:g} s",
            verdict(ok),
        ]
    )
    summary.append(
        (ok, f"7a `lossviz render -o d.gif`: {default.best:.2f} s (target <= {DEFAULT_TARGET_S} s)")
    )
    whole: dict[str, Any] = {"default_seconds": default.samples, "default_cpu": default.cpu_samples}
    compared = [
        ("b", "2D GIF, 800x600, 121 frames", "contour", ".gif", [], WHOLE_GIF_TARGET),
        ("c", "2D MP4, same scene", "contour", ".mp4", [], WHOLE_MP4_TARGET),
        (
            "d",
            "--view surface --orbit, 800x600, 121 frames, GIF",
            "surface",
            ".gif",
            ["--view", "surface", "--orbit"],
            ORBIT_TARGET,
        ),
    ]
    for letter, name, view, suffix, flags, goal in compared:
        orbit = "--orbit" in flags
        mine, theirs = folder / f"whole-lv{suffix}", folder / f"whole-recipe{suffix}"
        lv = run_process(
            [*lossviz, *flags, "--size", "800x600", "-o", str(mine)], mine, reps_lossviz
        )
        # one repetition of the orbiting recipe: it takes the best part of a minute
        base = run_process(
            recipe_command(view, theirs, orbit=orbit), theirs, 1 if orbit else reps_baseline
        )
        ratio = base.best / lv.best
        ok = ratio >= goal
        text = f"{ratio:.1f}x (target >= {goal:g}x)"
        shown, result = _s(lv.best), verdict(ok)
        if orbit:
            small = lv.bytes <= ORBIT_GIF_BYTES
            shown += f", {lv.bytes / MB:.1f} MB"
            result = f"{verdict(ok)} / {verdict(small)}"
            summary.append(
                (
                    small,
                    f"7{letter}' orbit GIF size: {lv.bytes / MB:.2f} MB"
                    f" (target <= {ORBIT_GIF_BYTES / MB:g} MB)",
                )
            )
        summary.append(
            (
                ok,
                f"7{letter} whole process, {name}: {lv.best:.2f} s vs the recipe"
                f" {base.best:.2f} s = {text}",
            )
        )
        goal_text = f">= {goal:g}x" + (f"; <= {ORBIT_GIF_BYTES / MB:g} MB" if orbit else "")
        cpu_ratio = base.best_cpu / lv.best_cpu
        ratio_text = f"{ratio:.1f}x (cpu {cpu_ratio:.1f}x)"
        issue.append([name, shown, _s(base.best), ratio_text, goal_text, result])
        whole[name] = {
            "lossviz": lv.samples,
            "recipe": base.samples,
            "lossviz_cpu": lv.cpu_samples,
            "recipe_cpu": base.cpu_samples,
            "cpu_ratio": cpu_ratio,
            "bytes": lv.bytes,
            "recipe_bytes": base.bytes,
            "ratio": ratio,
        }
    listing = run_process([*lossviz_command(), "list"], None, max(3, reps_lossviz))
    error = run_process(
        [*lossviz, "-s", "nope", "-o", str(folder / "x.gif")], None, max(3, reps_lossviz), ok=2
    )
    ok_list, ok_error = listing.best <= STARTUP_TARGET_S, error.best <= STARTUP_TARGET_S
    issue.append(
        [
            "`lossviz list` / an input error",
            f"{_s(listing.best)} / {_s(error.best)}",
            "",
            "",
            f"<= {STARTUP_TARGET_S:g} s / <= {STARTUP_TARGET_S:g} s",
            f"{verdict(ok_list)} / {verdict(ok_error)}",
        ]
    )
    summary.append(
        (ok_list, f"7e `lossviz list`: {listing.best:.2f} s (target <= {STARTUP_TARGET_S} s)")
    )
    summary.append(
        (ok_error, f"7f an input error: {error.best:.2f} s (target <= {STARTUP_TARGET_S} s)")
    )
    whole["list_seconds"], whole["error_seconds"] = listing.samples, error.samples
    if gallery:
        print("  running 7g lossviz gallery ...", file=sys.stderr, flush=True)
        g = run_process([*lossviz_command(), "gallery", "-o", str(folder / "gallery")], None, 1)
        ok = g.best <= GALLERY_TARGET_S
        issue.append(
            ["`lossviz gallery`", _s(g.best), "", "", f"<= {GALLERY_TARGET_S:g} s", verdict(ok)]
        )
        summary.append(
            (ok, f"7g `lossviz gallery`: {g.best:.1f} s (target <= {GALLERY_TARGET_S:g} s)")
        )
        whole["gallery_seconds"] = g.samples
    else:
        issue.append(
            ["`lossviz gallery`", "not run (--gallery)", "", "", f"<= {GALLERY_TARGET_S:g} s", ""]
        )
    results["cases"]["whole_process"] = whole

    # 8. big frames
    print("  running 8 big frames ...", file=sys.stderr, flush=True)
    n = STEPS + 1
    hd = measure_memory(n, folder, size=FLOOR_SIZE, steps=STEPS)
    big = measure_memory(n, folder, size=BIG_SIZE, steps=STEPS)
    peak_hd, peak_big = hd["python"] + hd["ffmpeg"], big["python"] + big["ffmpeg"]
    growth = (peak_big - peak_hd) / MB
    ok = growth <= BIG_TARGET_MB
    bw, bh = BIG_SIZE
    print(f"8 big frames: lossviz 2D GIF, {n} frames, fresh subprocesses")
    print_table(
        ["size", "seconds", "python MB", "ffmpeg MB", "python+ffmpeg MB", "bytes"],
        [
            [
                f"{d['size'][0]}x{d['size'][1]}",
                f"{d['seconds']:.2f}",
                f"{d['python'] / MB:.1f}",
                f"{d['ffmpeg'] / MB:.1f}",
                f"{(d['python'] + d['ffmpeg']) / MB:.1f}",
                fmt_bytes(d["bytes"]),
            ]
            for d in (hd, big)
        ],
        "lrrrrr",
    )
    print()
    issue.append(
        [
            f"{bw}x{bh}, {n} frames: time; peak vs {w}x{h}",
            f"{big['seconds']:.1f} s; {peak_big / MB:.0f} MB",
            f"{hd['seconds']:.1f} s; {peak_hd / MB:.0f} MB",
            f"{growth:+.0f} MB",
            f"<= +{BIG_TARGET_MB:g} MB",
            verdict(ok),
        ]
    )
    summary.append(
        (
            ok,
            f"8  {bw}x{bh}, {n} frames: {big['seconds']:.1f} s, peak python+ffmpeg"
            f" {peak_big / MB:.0f} MB vs {peak_hd / MB:.0f} MB at {w}x{h}:"
            f" {growth:+.0f} MB (target <= +{BIG_TARGET_MB:g} MB)",
        )
    )
    results["cases"]["big_frames"] = {"small": hd, "big": big, "growth_mb": growth, "pass": ok}
    return issue


# --- reporting ------------------------------------------------------------------------------


def measure_model(folder: Path, reps: int) -> dict[str, Any]:
    """Case 6: the default model scene end to end, and its loss lattice batched vs looped."""
    from visualizer.frontends.animation import animate

    whole = measure(lambda p: animate(MODEL_SCENE).save(p), folder / "mlp.gif", reps)
    start = time.perf_counter()
    rec = animate(MODEL_SCENE).recording
    record_s = time.perf_counter() - start
    problem, grid = rec.model.model.problem, rec.model.model.grid
    amin, amax, bmin, bmax = rec.surface.window
    A, B = np.meshgrid(np.linspace(amin, amax, grid), np.linspace(bmin, bmax, grid))
    coords = np.stack([A.ravel(), B.ravel()], axis=1)
    center, directions = rec.plane.center, rec.plane.directions
    batched = []
    for _ in range(reps):
        start = time.perf_counter()
        values = problem.plane_losses(center, directions, coords)
        batched.append(time.perf_counter() - start)
    start = time.perf_counter()
    looped = [problem.loss(p) for p in rec.plane.lift(coords)]
    loop_s = time.perf_counter() - start
    if not np.allclose(values, looped, rtol=1e-10):
        raise SystemExit("the batched lattice differs from the point-by-point losses")
    return {
        "scene": MODEL_SCENE,
        "frames": rec.steps + 1,
        "parameters": problem.net.size,
        "seconds": whole.samples,
        "cpu_seconds": whole.cpu_samples,
        "bytes": whole.bytes,
        "record_seconds": record_s,
        "lattice_points": len(coords),
        "lattice_batched_seconds": min(batched),
        "lattice_looped_seconds": loop_s,
        "explained": rec.plane.explained,
        "max_off_plane": {r.label: float(np.nanmax(r.off_plane)) for r in rec.runs},
        "final_off_plane": {r.label: float(r.off_plane[r.last_step]) for r in rec.runs},
        "target_seconds": TARGET_MODEL_SECONDS,
        "pass": whole.best < TARGET_MODEL_SECONDS,
    }


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def fmt_bytes(n: int) -> str:
    return f"{n:,}"


def print_table(headers: list[str], rows: list[list[str]], align: str) -> None:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]

    def line(cells: list[str]) -> str:
        parts = [
            c.ljust(w) if a == "l" else c.rjust(w)
            for c, w, a in zip(cells, widths, align, strict=True)
        ]
        return "  ".join(parts).rstrip()

    print(line(headers))
    print("  ".join("-" * w for w in widths))
    for r in rows:
        print(line(r))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one repetition of each timing")
    parser.add_argument("--json", metavar="FILE", help="also write results as JSON ('-': stdout)")
    parser.add_argument(
        "--frames-dir", metavar="DIR", help="save first/middle/last frames of both sides as PNG"
    )
    parser.add_argument(
        "--gallery", action="store_true", help="also time `lossviz gallery` (about a minute)"
    )
    parser.add_argument(
        "--motion-only", action="store_true", help="run only case 10 (smooth vs one frame a step)"
    )
    parser.add_argument("--memory-child", nargs=4, help=argparse.SUPPRESS)
    parser.add_argument("--recipe-child", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--orbit", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.memory_child:
        steps, frames, size, out = args.memory_child
        w, h = (int(v) for v in size.split("x"))
        memory_child(int(steps), int(frames), (w, h), Path(out))
        return 0
    if args.recipe_child:
        import imageio_ffmpeg

        matplotlib.rcParams["animation.ffmpeg_path"] = imageio_ffmpeg.get_ffmpeg_exe()
        recipe_child(args.recipe_child[0], Path(args.recipe_child[1]), args.orbit)
        return 0

    import imageio_ffmpeg

    # No system ffmpeg: FFMpegWriter uses the one lossviz uses, from imageio-ffmpeg.
    matplotlib.rcParams["animation.ffmpeg_path"] = imageio_ffmpeg.get_ffmpeg_exe()
    reps_lossviz, reps_baseline = (1, 1) if args.quick else (3, 2)
    if args.motion_only:
        folder = Path(tempfile.mkdtemp(prefix="lossviz-bench-"))
        summary_only: list[tuple[bool, str]] = []
        try:
            print(f"load average (1 min) at start: {os.getloadavg()[0]:.2f}")
            print_motion(motion_cases(folder, reps_lossviz, summary_only, {"cases": {}}))
            print(f"load average (1 min) at end: {os.getloadavg()[0]:.2f}")
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        for ok, line in summary_only:
            print(f"{verdict(ok)}  {line}")
        return 0
    total_start = time.perf_counter()
    rec = record_reference()
    check = lossviz_animation("contour").recording
    same = all(
        np.array_equal(a.positions, b.positions, equal_nan=True)
        for a, b in zip(rec.runs, check.runs, strict=True)
    )
    if not same:
        raise SystemExit("lossviz recorded different trajectories than Scene.record()")

    import PIL

    print(f"lossviz render benchmark: surface {SURFACE!r} ({', '.join(r.label for r in rec.runs)})")
    print(
        f"scene: {STEPS} steps, {FRAMES} frames, {SIZE[0]}x{SIZE[1]} px, {FPS} fps;"
        " the same recorded trajectories on both sides"
    )
    print(
        f"python {platform.python_version()}, matplotlib {matplotlib.__version__},"
        f" numpy {np.__version__}, Pillow {PIL.__version__}, {os.cpu_count()} CPUs"
    )
    print(
        "timing: wall clock (time.perf_counter), best of"
        f" {reps_lossviz} (lossviz) / best of {reps_baseline} (baseline)"
        f"{' [--quick]' if args.quick else ''}; imports and fonts warmed up first;"
        " each run = figure set-up + every frame + encoding, to a file"
    )
    load_start = os.getloadavg()[0]
    print(f"load average (1 min) at start: {load_start:.2f}")
    print()

    results: dict[str, Any] = {
        "scene": {"surface": SURFACE, "steps": STEPS, "frames": FRAMES, "size": SIZE, "fps": FPS},
        "repetitions": {"lossviz": reps_lossviz, "baseline": reps_baseline},
        "cases": {},
    }
    summary: list[tuple[bool, str]] = []
    folder = Path(tempfile.mkdtemp(prefix="lossviz-bench-"))
    try:
        warm_up(rec, folder)

        cases = [
            ("2d_gif", "1 2D contour GIF", "contour", ".gif", "PillowWriter"),
            ("3d_gif", "2 3D surface GIF", "surface", ".gif", "PillowWriter"),
            ("2d_mp4", "3 2D MP4", "contour", ".mp4", "FFMpegWriter"),
        ]
        rows = []
        for key, name, view, suffix, writer in cases:
            print(f"  running {name} ...", file=sys.stderr, flush=True)
            base_path = folder / f"baseline-{key}{suffix}"
            lv_path = folder / f"lossviz-{key}{suffix}"
            base = measure(lambda p, v=view: baseline_save(v, rec, p), base_path, reps_baseline)
            lv = measure(lambda p, v=view: lossviz_save(v, p), lv_path, reps_lossviz)
            fl = floor_of(view, SIZE, FRAMES, STEPS, folder / f"floor-{key}{suffix}", reps_lossviz)
            speed = base.best / lv.best
            size_ratio = base.bytes / lv.bytes
            frames = {"baseline": count_frames(base_path), "lossviz": count_frames(lv_path)}
            if key == "2d_gif":
                speed_ok = speed >= TARGET_2D_SPEED
                size_ok = size_ratio >= TARGET_2D_SIZE
                target = f">={TARGET_2D_SPEED:g}x faster, <=1/{TARGET_2D_SIZE:g} bytes"
                status = f"{verdict(speed_ok)} / {verdict(size_ok)}"
                summary.append(
                    (
                        speed_ok,
                        f"1a 2D contour GIF speed: {speed:.1f}x faster than FuncAnimation+"
                        f"PillowWriter (target >= {TARGET_2D_SPEED:g}x)",
                    )
                )
                summary.append(
                    (
                        size_ok,
                        f"1b 2D contour GIF size: {fmt_bytes(lv.bytes)} B = 1/{size_ratio:.1f}"
                        f" of PillowWriter's {fmt_bytes(base.bytes)} B"
                        f" (target <= 1/{TARGET_2D_SIZE:g})",
                    )
                )
            else:
                goal = TARGET_3D_SPEED if key == "3d_gif" else TARGET_MP4_SPEED
                speed_ok = size_ok = speed >= goal
                target = f">={goal:g}x faster"
                status = verdict(speed_ok)
                label = "2  3D surface GIF" if key == "3d_gif" else "3  2D MP4"
                summary.append(
                    (
                        speed_ok,
                        f"{label} speed: {speed:.1f}x faster than FuncAnimation+{writer}"
                        f" (target >= {goal:g}x)",
                    )
                )
            rows.append(
                [
                    name,
                    f"{base.best:.2f}",
                    f"{lv.best:.3f}",
                    f"{fl.best:.3f}",
                    f"{lv.best - fl.best:.3f}",
                    f"{speed:.1f}x",
                    f"{base.best_cpu / lv.best_cpu:.1f}x",
                    fmt_bytes(base.bytes),
                    fmt_bytes(lv.bytes),
                    f"{size_ratio:.1f}x",
                    target,
                    status,
                ]
            )
            results["cases"][key] = {
                "baseline": {
                    "writer": writer,
                    "seconds": base.samples,
                    "cpu_seconds": base.cpu_samples,
                    "bytes": base.bytes,
                },
                "lossviz": {
                    "seconds": lv.samples,
                    "cpu_seconds": lv.cpu_samples,
                    "bytes": lv.bytes,
                },
                "encoder_floor": {"seconds": fl.samples, "cpu_seconds": fl.cpu_samples},
                "overhead_seconds": lv.best - fl.best,
                "frames_in_file": frames,
                "speedup": speed,
                "size_ratio": size_ratio,
                "target": target,
                "pass": bool(speed_ok and size_ok),
            }
            if frames["baseline"] != FRAMES or frames["lossviz"] != FRAMES:
                print(f"  note: {name}: frames in files {frames}", file=sys.stderr)

        # 4. linearity
        print("  running 4 linearity ...", file=sys.stderr, flush=True)
        short = measure(lambda p: lossviz_save("contour", p), folder / "lin-120.gif", reps_lossviz)
        long = measure(
            lambda p: lossviz_save("contour", p, steps=LINEAR_STEPS, frames=LINEAR_STEPS),
            folder / "lin-600.gif",
            reps_lossviz,
        )
        lin_ratio = long.best / short.best
        lin_ok = lin_ratio <= LINEAR_TARGET
        results["cases"]["linearity"] = {
            "seconds_120": short.samples,
            "seconds_600": long.samples,
            "bytes_120": short.bytes,
            "bytes_600": long.bytes,
            "ratio": lin_ratio,
            "target": LINEAR_TARGET,
            "pass": lin_ok,
        }
        summary.append(
            (
                lin_ok,
                f"4  linearity: 600 frames {long.best:.2f} s / 120 frames {short.best:.2f} s"
                f" = {lin_ratio:.2f} (target <= {LINEAR_TARGET:g})",
            )
        )

        # 5. memory
        print("  running 5 memory ...", file=sys.stderr, flush=True)
        small = measure_memory(MEMORY_SMALL, folder)
        large = measure_memory(MEMORY_LARGE, folder)
        peak_small = small["python"] + small["ffmpeg"]
        peak_large = large["python"] + large["ffmpeg"]
        growth_mb = (peak_large - peak_small) / MB
        mem_ok = growth_mb <= MEMORY_TARGET_MB
        results["cases"]["memory"] = {
            "size": MEMORY_SIZE,
            "small": small,
            "large": large,
            "growth_mb": growth_mb,
            "target_mb": MEMORY_TARGET_MB,
            "pass": mem_ok,
        }
        summary.append(
            (
                mem_ok,
                f"5  memory: {MEMORY_LARGE} vs {MEMORY_SMALL} frames at"
                f" {MEMORY_SIZE[0]}x{MEMORY_SIZE[1]}: peak python+ffmpeg"
                f" {peak_large / MB:.1f} MB vs {peak_small / MB:.1f} MB,"
                f" difference {growth_mb:+.1f} MB (target <= {MEMORY_TARGET_MB:g} MB)",
            )
        )

        print_table(
            [
                "case",
                "baseline s",
                "lossviz s",
                "floor s",
                "overhead s",
                "speed-up",
                "cpu speed-up",
                "baseline B",
                "lossviz B",
                "size ratio",
                "target",
                "result",
            ],
            rows,
            "lrrrrrrrrrll",
        )
        print(
            "  floor: the encoder alone (lossviz's writer fed the same frames, pre-rendered);"
            " overhead = lossviz - floor\n"
            "  cpu speed-up: CPU seconds (python + the ffmpeg it waited for), for reference;"
            " targets use wall clock"
        )
        print()
        print_table(
            ["lossviz 2D GIF", "120 frames s", "600 frames s", "ratio", "target", "result"],
            [
                [
                    "4 linearity",
                    f"{short.best:.3f}",
                    f"{long.best:.3f}",
                    f"{lin_ratio:.2f}",
                    f"<={LINEAR_TARGET:g}",
                    verdict(lin_ok),
                ]
            ],
            "lrrrll",
        )
        print()
        mem_rows = [
            [
                f"{d['frames']} frames",
                f"{d['python'] / MB:.1f}",
                f"{d['python_vmhwm'] / MB:.1f}",
                f"{d['ffmpeg_rusage'] / MB:.1f}",
                f"{d['ffmpeg_vmhwm'] / MB:.1f}",
                f"{(d['python'] + d['ffmpeg']) / MB:.1f}",
                f"{d['seconds']:.2f}",
                fmt_bytes(d["bytes"]),
            ]
            for d in (small, large)
        ]
        print(f"5 memory: lossviz 2D GIF at {MEMORY_SIZE[0]}x{MEMORY_SIZE[1]}, fresh subprocesses")
        print_table(
            [
                "run",
                "python RUSAGE_SELF",
                "python VmHWM",
                "RUSAGE_CHILDREN",
                "ffmpeg VmHWM",
                "python+ffmpeg",
                "seconds",
                "bytes",
            ],
            mem_rows,
            "lrrrrrrr",
        )
        print(
            f"  difference of peaks (python+ffmpeg): {growth_mb:+.1f} MB"
            f" (python {(large['python'] - small['python']) / MB:+.1f},"
            f" ffmpeg {(large['ffmpeg'] - small['ffmpeg']) / MB:+.1f});"
            f" target <= {MEMORY_TARGET_MB:g} MB: {verdict(mem_ok)}"
        )
        print(
            "  peaks in MB (10^6 bytes). python = getrusage(RUSAGE_SELF).ru_maxrss of a child"
            " forked via /bin/sh;\n  RUSAGE_CHILDREN = ffmpeg's ru_maxrss, which on Linux"
            " includes python's RSS when it spawned ffmpeg\n  (an upper bound); ffmpeg ="
            " its own VmHWM polled from /proc, used in python+ffmpeg."
        )

        print()
        issue_rows = issue_cases(
            folder, reps_lossviz, reps_baseline, args.gallery, summary, results
        )
        motion_rows = motion_cases(folder, reps_lossviz, summary, results)
        print_motion(motion_rows)

        # 9. model surface
        print("  running 9 model surface ...", file=sys.stderr, flush=True)
        model = measure_model(folder, reps_lossviz)
        results["cases"]["model"] = model
        best = min(model["seconds"])
        speedup = model["lattice_looped_seconds"] / model["lattice_batched_seconds"]
        summary.append(
            (
                model["pass"],
                f"9  model: default {MODEL_SCENE!r} scene ({model['parameters']} parameters,"
                f" {model['frames']} frames, GIF) {best:.2f} s"
                f" (target < {TARGET_MODEL_SECONDS:g} s)",
            )
        )
        print()
        print(
            f"9 model surface {MODEL_SCENE!r}: {best:.2f} s wall, {min(model['cpu_seconds']):.2f} s"
            f" CPU, {fmt_bytes(model['bytes'])}; recording (training + plane + lattice)"
            f" {model['record_seconds']:.2f} s"
        )
        print(
            f"  {model['lattice_points']}-point loss lattice: batched"
            f" {model['lattice_batched_seconds']:.3f} s, point by point"
            f" {model['lattice_looped_seconds']:.3f} s ({speedup:.1f}x)"
        )
        offs = ", ".join(
            f"{k} {model['max_off_plane'][k]:.3f} / {model['final_off_plane'][k]:.3f}"
            for k in model["max_off_plane"]
        )
        print(
            f"  plane holds {model['explained']:.1%} of the paths; off-plane distance"
            f" (max / final): {offs}"
        )

        if args.frames_dir:
            written = save_comparison_frames(rec, Path(args.frames_dir))
            print()
            print(f"saved {len(written)} comparison frames to {args.frames_dir}")
    finally:
        shutil.rmtree(folder, ignore_errors=True)

    print()
    print(
        "the table of issue 11 (whole processes, as a user runs them; ratios from this run;"
        " cpu: CPU seconds of all processes, which other load hardly moves):"
    )
    print_table(
        ["what the user runs", "lossviz", "recipe", "ratio", "goal", "result"], issue_rows, "lrrrll"
    )
    print()
    print("summary:")
    for ok, text in summary:
        print(f"  [{verdict(ok)}] {text}")
    passed = sum(ok for ok, _ in summary)
    total = time.perf_counter() - total_start
    load_end = os.getloadavg()[0]
    print(f"{passed}/{len(summary)} targets met; benchmark took {total:.0f} s")
    if max(load_start, load_end) > 0.5:
        print(
            f"note: load average {load_start:.2f} at start, {load_end:.2f} at end: other"
            " processes were using the CPUs, so timings are noisier than on an idle machine"
        )
    results["summary"] = [{"pass": ok, "text": text} for ok, text in summary]
    results["total_seconds"] = total
    results["load_average"] = {"start": load_start, "end": load_end}
    if args.json:
        text = json.dumps(results, indent=2)
        if args.json == "-":
            print(text)
        else:
            Path(args.json).write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
