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

from visualizer.render import frame_steps  # the same step per frame as lossviz

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


# --- the scene ------------------------------------------------------------------------


def record_reference() -> Any:
    """The recorded runs both sides draw: ravine, preset optimizers, 120 steps."""
    from visualizer.scene import Scene

    return Scene(surface=SURFACE, steps=STEPS).record()


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


def baseline_surface(rec: Any, n_frames: int) -> tuple[Any, Callable[[int], list[Any]]]:
    """The 3D tutorial figure and its ``update(frame)`` function."""
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
        return [*lines, *balls, title]

    return fig, update


def baseline_save(view: str, rec: Any, path: Path, n_frames: int = FRAMES) -> Path:
    """Build the tutorial figure and save it with FuncAnimation; the timed unit."""
    import matplotlib.pyplot as plt
    from matplotlib.animation import FFMpegWriter, FuncAnimation, PillowWriter

    if view == "contour":
        fig, update = baseline_contour(rec, n_frames)
        blit = True
    else:
        fig, update = baseline_surface(rec, n_frames)
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
    from visualizer.animation import animate

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


def memory_child(n: int, out: Path) -> None:
    """Render an n-step, n-frame 2D GIF at 1280x720 and print peak memory as JSON."""
    stop, peaks = threading.Event(), {}
    watcher = threading.Thread(target=_watch_children, args=(stop, peaks), daemon=True)
    watcher.start()
    start = time.perf_counter()
    lossviz_save("contour", out, steps=n, frames=n, size=MEMORY_SIZE)
    seconds = time.perf_counter() - start
    stop.set()
    watcher.join()
    kib = 1024  # ru_maxrss is in KiB on Linux
    result = {
        "frames": n,
        "seconds": seconds,
        "python": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * kib,
        "python_vmhwm": _status("self")[1],
        "ffmpeg_rusage": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * kib,
        "ffmpeg_vmhwm": max(peaks.values(), default=0),
    }
    print(json.dumps(result))


def measure_memory(n: int, folder: Path) -> dict[str, Any]:
    """Run :func:`memory_child` in a fresh process; its JSON result plus the file size."""
    out = folder / f"memory-{n}.gif"
    cmd = [sys.executable, os.path.abspath(__file__), "--memory-child", str(n), str(out)]
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


# --- reporting ------------------------------------------------------------------------------


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
    parser.add_argument("--memory-child", nargs=2, metavar=("N", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.memory_child:
        memory_child(int(args.memory_child[0]), Path(args.memory_child[1]))
        return 0

    import imageio_ffmpeg

    # No system ffmpeg: FFMpegWriter uses the one lossviz uses, from imageio-ffmpeg.
    matplotlib.rcParams["animation.ffmpeg_path"] = imageio_ffmpeg.get_ffmpeg_exe()
    reps_lossviz, reps_baseline = (1, 1) if args.quick else (3, 2)
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
                "speed-up",
                "cpu speed-up",
                "baseline B",
                "lossviz B",
                "size ratio",
                "target",
                "result",
            ],
            rows,
            "lrrrrrrrll",
        )
        print(
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

        if args.frames_dir:
            written = save_comparison_frames(rec, Path(args.frames_dir))
            print()
            print(f"saved {len(written)} comparison frames to {args.frames_dir}")
    finally:
        shutil.rmtree(folder, ignore_errors=True)

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
