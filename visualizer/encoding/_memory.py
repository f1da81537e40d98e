"""How much memory and work a render needs, and a refusal before one beyond the bounds.

Two bounds on a command's total work, checked before any frame is drawn:

- **frames × pixels** (:data:`MAX_FRAME_PIXELS`), holds and slow steps included, as
  every one of them is drawn or encoded; ``LOSSVIZ_MAX_FRAME_PIXELS`` raises it;
- **memory** across every process a command starts (an orbit's workers, the
  gallery's), against what the machine has available (``MemAvailable``);
  ``LOSSVIZ_MAX_MEMORY`` (bytes) sets another bound.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING

from surfaces.errors import SpecError
from surfaces.params import show
from visualizer.encoding.formats import FORMATS

if TYPE_CHECKING:
    from visualizer.scene.scene import Scene

#: Frames × pixels of one render, holds and slow steps included: about two minutes of
#: drawing and encoding (21,700 frames at 1280x720, 600 at 7680x4320).
MAX_FRAME_PIXELS = 2 * 10**10
#: Memory an orbit's worker holds per pixel and in all (its own figure and canvas, beyond
#: the pages it shares with the parent), and the frame slots it shares with the parent
#: (two per worker, 4 bytes a pixel). Measured: 1920x1080, 2 workers, 140 MB of PSS more
#: than the same render without an orbit (this model: 218 MB); the issue's 8K render,
#: 2.2 GB more than the render's own estimate (this model, 2 workers: 2.6 GB).
ORBIT_WORKER_BYTES_PER_PIXEL = 30
ORBIT_WORKER_BYTES = 30_000_000
ORBIT_SLOT_BYTES_PER_PIXEL = 2 * 4

#: Memory a render holds per pixel of a frame, measured (peak python + ffmpeg, at 1920x1080
#: and 3840x2160): the renderer's canvas, background and frame copies, plus each encoder's
#: frames in flight (x264's look-ahead is the largest: ``Format.encoder_bytes_per_pixel``),
#: on top of a fixed base.
RENDER_BYTES_PER_PIXEL = 50
BASE_MEMORY_BYTES = 150_000_000


def memory_needed(frame_size: tuple[int, int], suffixes: Sequence[str]) -> int:
    """Bytes of memory a render of ``frame_size`` frames to files of ``suffixes`` needs.

    Examples
    --------
    >>> round(memory_needed((1920, 1080), [".gif", ".mp4", ".png"]) / 1e6)
    469
    """
    width, height = frame_size
    encoders = sum(FORMATS[s].encoder_bytes_per_pixel for s in suffixes if s in FORMATS)
    per_pixel = RENDER_BYTES_PER_PIXEL + encoders
    return BASE_MEMORY_BYTES + width * height * per_pixel


def orbit_memory(frame_size: tuple[int, int], workers: int) -> int:
    """Bytes an orbit's ``workers`` processes need beside the render's own.

    Examples
    --------
    >>> round(orbit_memory((1920, 1080), 2) / 1e6)
    218
    """
    width, height = frame_size
    per_worker = ORBIT_WORKER_BYTES + width * height * ORBIT_WORKER_BYTES_PER_PIXEL
    return workers * (per_worker + width * height * ORBIT_SLOT_BYTES_PER_PIXEL)


def limit(name: str, default: float) -> float:
    """A bound: ``default``, or the value of the environment variable ``name``.

    Raises
    ------
    SpecError
        If the variable is set to something other than a positive number.
    """
    text = os.environ.get(name)
    if text is None:
        return default
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not value > 0:
        raise SpecError(f"{name}={show(text)} is not a positive number")
    return value


def check_frame_work(frames: int, frame_size: tuple[int, int]) -> None:
    """Refuse a render of more than :data:`MAX_FRAME_PIXELS` frames × pixels.

    Parameters
    ----------
    frames
        Frame periods the render shows (holds and slow steps included).
    frame_size
        ``(width, height)`` in pixels.

    Raises
    ------
    SpecError
        Naming the numbers, the bound and how to raise it.

    Examples
    --------
    >>> check_frame_work(209, (1280, 720))
    >>> check_frame_work(100_094, (7680, 4320))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    surfaces.errors.SpecError: 100094 frames of 7680x4320 ... is 3.32e+12 pixels; at most 2e+10 ...
    """
    width, height = frame_size
    bound = limit("LOSSVIZ_MAX_FRAME_PIXELS", MAX_FRAME_PIXELS)
    work = frames * width * height
    if work > bound:
        raise SpecError(
            f"{frames} frames of {width}x{height} (holds and slow steps included) is"
            f" {work:.3g} pixels; at most {bound:.3g} (minutes of work): use fewer steps or"
            " --frames, a smaller --size, shorter holds or --slowdown, or raise the bound"
            " with LOSSVIZ_MAX_FRAME_PIXELS"
        )


def check_scene_work(scene: Scene) -> None:
    """Refuse a scene whose frames × pixels are beyond the bound, before recording it
    (:func:`check_frame_work`)."""
    from visualizer.encoding.pacing import frames_shown

    steps = scene.steps if scene.steps is not None else scene.build_surface().preset.steps
    check_frame_work(frames_shown(steps, scene), scene.size)


def check_memory(
    frame_size: tuple[int, int],
    suffixes: Sequence[str],
    *,
    available: int | None = None,
    orbit_workers: int = 0,
) -> None:
    """Refuse a render that needs more memory than this machine has available.

    Parameters
    ----------
    frame_size
        ``(width, height)`` in pixels.
    suffixes
        The formats written from the same frames.
    available
        Bytes available; by default ``LOSSVIZ_MAX_MEMORY`` if set, else
        ``MemAvailable`` of ``/proc/meminfo`` (no check where that is unknown).
    orbit_workers
        Processes that draw an orbit's frames beside the render.

    Raises
    ------
    SpecError
        If :func:`memory_needed` (and :func:`orbit_memory`) exceeds ``available``.
    """
    needed = memory_needed(frame_size, suffixes) + orbit_memory(frame_size, orbit_workers)
    width, height = frame_size
    what = f"a {width}x{height} render to {', '.join(suffixes)}"
    if orbit_workers:
        what += f" with {orbit_workers} orbit processes"
    check_memory_total(needed, what, available=available)


def check_memory_total(needed: int, what: str, *, available: int | None = None) -> None:
    """Refuse ``what`` (the work of every process of a command) if it needs more memory
    than is available (see :func:`check_memory`).

    Raises
    ------
    SpecError
        Naming the numbers and how to raise the bound.
    """
    if available is None:
        bound = os.environ.get("LOSSVIZ_MAX_MEMORY")
        available = int(limit("LOSSVIZ_MAX_MEMORY", 1)) if bound else available_memory()
    if available is not None and needed > available:
        raise SpecError(
            f"{what} needs about {needed / 1e9:.1f} GB of memory; this machine has"
            f" {available / 1e9:.1f} GB available: use a smaller size (LOSSVIZ_MAX_MEMORY=BYTES"
            " sets another bound)"
        )


def available_memory() -> int | None:
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None
