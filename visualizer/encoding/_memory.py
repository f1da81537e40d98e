"""How much memory a render needs, and a refusal before one that would not fit."""

from __future__ import annotations

from collections.abc import Sequence

from surfaces.errors import SpecError
from visualizer.encoding.formats import FORMATS

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


def check_memory(
    frame_size: tuple[int, int], suffixes: Sequence[str], *, available: int | None = None
) -> None:
    """Refuse a render that needs more memory than this machine has available.

    Parameters
    ----------
    frame_size
        ``(width, height)`` in pixels.
    suffixes
        The formats written from the same frames.
    available
        Bytes available; by default ``MemAvailable`` of ``/proc/meminfo`` (no check
        where that is unknown).

    Raises
    ------
    SpecError
        If :func:`memory_needed` exceeds ``available``.
    """
    available = available_memory() if available is None else available
    needed = memory_needed(frame_size, suffixes)
    if available is not None and needed > available:
        width, height = frame_size
        raise SpecError(
            f"a {width}x{height} render to {', '.join(suffixes)} needs about"
            f" {needed / 1e9:.1f} GB of memory; this machine has {available / 1e9:.1f} GB"
            " available: use a smaller size"
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
