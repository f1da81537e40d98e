"""Stream rendered frames to a GIF, MP4, WebM or PNG file: the encoders.

Renderers yield frames: ``numpy.uint8`` arrays of shape ``(H, W, 3)`` (RGB) or
``(H, W, 4)`` (opaque RGBA, as matplotlib's Agg canvas gives; alpha is ignored),
all the same size. Writers follow ``matplotlib.animation``: ``setup`` /
``grab_frame`` / ``finish`` (plus ``abort``), and :func:`saving` wraps them in a
context manager. File safety (checks, temporary files, renames, signals) is
:mod:`visualizer.encoding.files`; the GIF palette and delay maths is :mod:`visualizer.encoding.gif`.

- **Streaming.** Frames are never collected. GIF, MP4 and WebM frames are piped
  to an ffmpeg process of our own (the ffmpeg that ``imageio-ffmpeg`` ships, as
  matplotlib's ``FFMpegWriter`` runs it; :mod:`visualizer.encoding._ffmpeg`), fed
  from a thread so that ffmpeg encodes, in its own process and so on a second core,
  while the next frame renders; a PNG poster keeps only its
  frame and is written with ``imageio.v3.imwrite``. A frame can be held:
  ``grab_frame(frame, repeat=n)`` shows it for ``n`` frame periods (in a GIF,
  one frame with a longer delay).
- **Atomic.** Frames go to a hidden temporary file next to the target, which
  replaces the target only after the encoder succeeded; several files written
  from the same frames are replaced together or not at all. On any error,
  Ctrl-C, SIGTERM or SIGHUP the temporary files are removed and existing files
  are left untouched. A bad output path fails in ``setup``, before any frame is
  rendered.
- **Deterministic.** The same frames give byte-identical files: bit-exact
  flags, no metadata or timestamps, fixed thread counts.

Around ffmpeg, lossviz adds: the temporary file and its rename, the shared GIF
palette (sent as an extra first frame that the filter graph turns into the palette),
the held frames' GIF delays, and a one-line reason when ffmpeg fails (its messages,
at level ``error``, go to a temporary file instead of the user's terminal).

Examples
--------
>>> import tempfile
>>> from pathlib import Path
>>> import numpy as np
>>> frames = (np.full((64, 96, 3), (20 * i, 90, 160), np.uint8) for i in range(10))
>>> with tempfile.TemporaryDirectory() as folder:
...     path = write_frames(Path(folder) / "demo.gif", frames, fps=20)
...     path.name, sorted(p.name for p in Path(folder).iterdir())
('demo.gif', ['demo.gif'])
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from visualizer.encoding import files
from visualizer.encoding._base import (
    RGB,
    FrameWriter,
    PathLike,
    PngWriter,
    check_output_path,
)
from visualizer.encoding._ffmpeg_writers import GifWriter, Mp4Writer, WebmWriter
from visualizer.encoding._memory import check_memory, memory_needed
from visualizer.encoding.errors import OutputPathError, WriterError
from visualizer.encoding.files import check_output_folder, write_text_atomic
from visualizer.encoding.formats import FORMATS, SUFFIXES, format_of, writer_class
from visualizer.encoding.gif import (
    GIF_PALETTE_SIZE,
    MAX_FPS,
    MAX_HOLD_LAST_MS,
    MIN_FPS,
    gif_frame_duration_ms,
    gif_palette,
)

__all__ = [
    "GIF_PALETTE_SIZE",
    "MAX_FPS",
    "MAX_HOLD_LAST_MS",
    "MIN_FPS",
    "SUFFIXES",
    "FrameWriter",
    "GifWriter",
    "Mp4Writer",
    "OutputPathError",
    "PngWriter",
    "WebmWriter",
    "WriterError",
    "check_memory",
    "check_output_folder",
    "check_output_path",
    "gif_frame_duration_ms",
    "gif_palette",
    "memory_needed",
    "saving",
    "write_frames",
    "write_frames_to_all",
    "write_text_atomic",
    "writer_for",
]


def writer_for(
    path: PathLike,
    *,
    fps: int,
    hold_last_ms: int = 1000,
    extra_colors: Sequence[RGB] = (),
) -> FrameWriter:
    """The writer for ``path``'s suffix, not yet set up.

    Parameters are those of :func:`saving`.

    Examples
    --------
    >>> type(writer_for("anim.mp4", fps=30)).__name__
    'Mp4Writer'
    """
    path = check_output_path(path)
    fmt = format_of(path)
    if fmt.needs_recording:  # the player page: made by Animation.save
        raise WriterError(f"'{path.name}': write a {fmt.description} with Animation.save")
    writer_type = writer_class(fmt)
    return writer_type(path, fps=fps, hold_last_ms=hold_last_ms, extra_colors=extra_colors)


@contextmanager
def saving(
    path: PathLike,
    *,
    fps: int,
    hold_last_ms: int = 1000,
    extra_colors: Sequence[RGB] = (),
) -> Iterator[FrameWriter]:
    """Context manager that writes frames to ``path``, atomically.

    The writer is set up on entry, so a bad path fails before rendering starts.
    On a normal exit it finishes and moves the file into place; on any
    exception, ``KeyboardInterrupt`` and SIGTERM/SIGHUP included
    (:func:`visualizer.encoding.files.cleanup_on_signals`), it aborts and removes its
    temporary file, leaving an existing file at ``path`` untouched.

    Parameters
    ----------
    path
        Output file, ending with one of :data:`SUFFIXES`.
    fps
        Frames per second, from 1 to 100.
    hold_last_ms
        GIF only: how long the last frame shows before the animation loops, in
        milliseconds; never shorter than a normal frame.
    extra_colors
        GIF only: RGB colours that must be in the palette, such as colours that
        are not in the first frame.

    Yields
    ------
    FrameWriter
        Call ``grab_frame(frame)`` for each frame.

    Raises
    ------
    OutputPathError
        On entry, for a bad suffix or a missing or unwritable folder.
    WriterError
        If a frame is malformed or of another size, there are no frames, or the
        encoder failed.
    ValueError
        If ``fps``, ``hold_last_ms`` or ``extra_colors`` is out of range.
    """
    with _writing([path], fps=fps, hold_last_ms=hold_last_ms, extra_colors=extra_colors) as (
        writer,
    ):
        yield writer


def write_frames(
    path: PathLike,
    frames: Iterable[np.ndarray | tuple[np.ndarray, int]],
    *,
    fps: int,
    hold_last_ms: int = 1000,
    extra_colors: Sequence[RGB] = (),
    on_frame: Callable[[int], None] | None = None,
) -> Path:
    """Write every frame of ``frames`` to ``path`` and return the path.

    ``frames`` is consumed lazily, one frame at a time; an item may be a
    ``(frame, repeat)`` pair to hold that frame for ``repeat`` frame periods.
    Other parameters and errors are those of :func:`saving`.

    Parameters
    ----------
    on_frame
        Called with the 0-based index of each frame once it is written, for
        progress bars.

    Returns
    -------
    Path
        The file written.
    """
    (written,) = write_frames_to_all(
        [path],
        frames,
        fps=fps,
        hold_last_ms=hold_last_ms,
        extra_colors=extra_colors,
        on_frame=on_frame,
    )
    return written


def write_frames_to_all(
    paths: Sequence[PathLike | FrameWriter],
    frames: Iterable[np.ndarray | tuple[np.ndarray, int]],
    *,
    fps: int,
    hold_last_ms: int = 1000,
    extra_colors: Sequence[RGB] = (),
    on_frame: Callable[[int], None] | None = None,
    frame_size: tuple[int, int] | None = None,
    poster_index: int | None = None,
    repeats: Sequence[int] | Sequence[Sequence[int]] | None = None,
    copy: bool = True,
) -> list[Path]:
    """Write every frame of ``frames`` to each of ``paths`` (say a GIF, an MP4 and a PNG).

    The frames are rendered once and handed to every writer; parameters are those
    of :func:`write_frames`. All files are encoded to temporary files first, then
    renamed into place together: if any writer fails, none of the files changes.
    An item of ``paths`` may be a :class:`FrameWriter` made by the caller (not set up).

    Parameters
    ----------
    frame_size
        ``(width, height)`` of the frames, if known: the memory the render will
        need is then checked (:func:`check_memory`) before any frame is rendered.
    poster_index
        Index of the frame a ``.png`` poster keeps; ``None`` for the last.
    repeats
        The repeat of every frame, if known before the first
        (:meth:`FrameWriter.plan_repeats`): videos then pipe each frame once. Or
        one such list per path, when the paths show different frames: an item of
        ``frames`` is then ``(frame, (repeat of path 0, repeat of path 1, ...))``,
        and a path whose repeat is 0 skips the frame (a GIF at 50 fps and a video
        at 60 fps rendered together, :func:`visualizer.encoding.pacing.merge_schedules`).
    copy
        ``False`` if every frame is a new array that the caller does not change
        afterwards (:meth:`FrameWriter.grab_frame`): encoders then read it as it is.

    Returns
    -------
    list of Path
        The files written, in the order of ``paths``.
    """
    if frame_size is not None:
        targets = [p.path if isinstance(p, FrameWriter) else Path(p) for p in paths]
        check_memory(frame_size, [t.suffix.lower() for t in targets])
    with _writing(
        paths, fps=fps, hold_last_ms=hold_last_ms, extra_colors=extra_colors, repeats=repeats
    ) as writers:
        stills = [FORMATS[writer.suffix].still for writer in writers]
        for index, item in enumerate(frames):
            frame, repeat = item if isinstance(item, tuple) else (item, 1)
            for column, (writer, still) in enumerate(zip(writers, stills, strict=True)):
                shown = repeat[column] if isinstance(repeat, tuple) else repeat
                if isinstance(repeat, tuple) and shown == 0:
                    continue  # not a frame of this file
                if poster_index is not None and still and index != poster_index:
                    continue  # a poster keeps only its frame
                writer.grab_frame(frame, repeat=shown, copy=copy)
            if on_frame is not None:
                on_frame(index)
    return [writer.path for writer in writers]


@contextmanager
def _writing(
    paths: Sequence[PathLike | FrameWriter],
    *,
    fps: int,
    hold_last_ms: int,
    extra_colors: Sequence[RGB],
    repeats: Sequence[int] | Sequence[Sequence[int]] | None = None,
) -> Iterator[list[FrameWriter]]:
    """Set up a writer per path; on success commit all files together, else abort all."""
    writers = [
        p
        if isinstance(p, FrameWriter)
        else writer_for(p, fps=fps, hold_last_ms=hold_last_ms, extra_colors=extra_colors)
        for p in paths
    ]
    if repeats is not None:
        per_writer = (
            [[int(r) for r in plan if r] for plan in repeats]  # type: ignore[union-attr]
            if len(repeats) and isinstance(repeats[0], Sequence | np.ndarray)
            else [repeats] * len(writers)
        )
        for writer, plan in zip(writers, per_writer, strict=True):
            writer.plan_repeats(plan)  # type: ignore[arg-type]
    with files.cleanup_on_signals():
        try:
            for writer in writers:
                writer.setup()
            yield writers
            files.commit([writer.finish_temp() for writer in writers])
        except BaseException:
            for writer in writers:
                writer.abort()
            raise
