"""The writer protocol (:class:`FrameWriter`) and the PNG poster writer.

Public names are re-exported by :mod:`visualizer.encoding.writers`.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import ClassVar

import numpy as np

from visualizer.encoding import files
from visualizer.encoding.errors import WriterError
from visualizer.encoding.formats import SUFFIXES
from visualizer.encoding.gif import (
    MAX_HOLD_LAST_MS,
    check_colors,
    check_fps,
    rgb_channels,
)

MAX_REPEAT = 10_000  # frame periods one frame may be held
RGB = tuple[int, int, int]
PathLike = str | os.PathLike[str]


def check_output_path(path: PathLike, *, suffixes: Sequence[str] = SUFFIXES) -> Path:
    """Check that a file can be written to ``path``, before any work starts.

    :func:`visualizer.encoding.files.check_output_path`, with the animation formats,
    :data:`SUFFIXES`, as the default suffixes.

    Examples
    --------
    >>> str(check_output_path("anim.gif"))
    'anim.gif'
    >>> try:
    ...     check_output_path("anim.avi")
    ... except ValueError as error:  # an OutputPathError
    ...     print(error)
    'anim.avi' must end with .gif, .mp4, .webm, .png or .html
    """
    return files.check_output_path(path, suffixes=suffixes)


class FrameWriter:
    """Write frames to one file, like a ``matplotlib.animation`` writer.

    Call :meth:`setup` once, :meth:`grab_frame` for each frame, then
    :meth:`finish`, or :meth:`abort` on any error; :func:`saving` does this for
    you. The frame size is taken from the first frame. Subclasses encode one
    format each; use :func:`writer_for` to pick one by suffix.

    Parameters
    ----------
    path
        Output file.
    fps
        Frames per second, from 1 to 100.
    hold_last_ms
        GIF only: how long the last frame shows before the animation loops,
        in milliseconds; never shorter than a normal frame.
    extra_colors
        GIF only: RGB colours that must be in the palette.

    Attributes
    ----------
    path : Path
        The output file.
    frame_count : int
        Frames written so far (a held frame counts once).
    frame_shape : tuple of int or None
        Shape of the first frame, once there is one.
    """

    suffix: ClassVar[str] = ""
    _frame_is_new = False  # the frame being written needs no copy (grab_frame's copy=False)

    def __init__(
        self,
        path: PathLike,
        *,
        fps: int,
        hold_last_ms: int = 1000,
        extra_colors: Sequence[RGB] = (),
    ) -> None:
        self.path = check_output_path(path)
        self.fps = check_fps(fps)
        self.hold_last_ms = _check_hold_last_ms(hold_last_ms)
        self.extra_colors = check_colors(extra_colors)
        self.frame_count = 0
        self.frame_shape: tuple[int, ...] | None = None
        self._temp_path: Path | None = None

    def setup(self) -> None:
        """Create the temporary output file, failing early if that is impossible.

        Raises
        ------
        OutputPathError
            If the output folder is missing or not writable.
        """
        if self._temp_path is not None:
            raise WriterError("setup() was already called")
        self.path = check_output_path(self.path)
        self._temp_path = files.create_temp_file(self.path)

    def grab_frame(self, frame: np.ndarray, *, repeat: int = 1, copy: bool = True) -> None:
        """Write one frame, shown for ``repeat`` frame periods.

        Parameters
        ----------
        frame
            ``uint8`` array of shape ``(H, W, 3)`` or ``(H, W, 4)`` (alpha is
            ignored), the same size as the first frame.
        repeat
            How many frame periods the frame shows, from 1 to 10000 (a hold).
        copy
            ``False`` if the caller never changes ``frame`` afterwards (a new
            array per frame, as a renderer gives): an encoder that reads frames
            in the background then keeps it as it is instead of a copy.

        Raises
        ------
        WriterError
            If the frame is malformed or of another size, or the encoder failed.
            Call :meth:`abort` afterwards (:func:`saving` does).
        """
        if self._temp_path is None:
            raise WriterError("call setup() before grab_frame()")
        frame = _check_frame_array(frame, f"frame {self.frame_count}")
        if isinstance(repeat, bool) or not isinstance(repeat, int | np.integer):
            raise ValueError(f"repeat must be a whole number, got {repeat!r}")
        if not 1 <= repeat <= MAX_REPEAT:
            raise ValueError(f"repeat must be from 1 to {MAX_REPEAT}, got {repeat}")
        if self.frame_shape is None:
            self.frame_shape = frame.shape
            self._start(frame)
        elif frame.shape != self.frame_shape:
            height, width = self.frame_shape[:2]
            raise WriterError(
                f"frame {self.frame_count} is {frame.shape[1]}x{frame.shape[0]} pixels,"
                f" but the first frame is {width}x{height}"
            )
        self._frame_is_new = not copy
        self._write(frame, int(repeat))
        self.frame_count += 1

    def finish(self) -> None:
        """Finish encoding and move the file into place.

        Raises
        ------
        WriterError
            If there were no frames or the encoder failed; the temporary file is
            removed and an existing file at :attr:`path` is left untouched.
        """
        files.commit([self.finish_temp()])
        self._temp_path = None

    def finish_temp(self) -> tuple[Path, Path]:
        """Finish encoding into the temporary file, without moving it into place.

        For writing several files together: pass the pairs of all writers to
        :func:`visualizer.encoding.files.commit`. On failure the writer aborts.

        Returns
        -------
        tuple of Path
            ``(temporary file, target)``.
        """
        if self._temp_path is None:
            raise WriterError("call setup() before finish()")
        try:
            if self.frame_count == 0:
                raise WriterError("no frames to write")
            self._close()
        except BaseException:
            self.abort()
            raise
        return self._temp_path, self.path

    def abort(self) -> None:
        """Stop the encoder and remove the temporary file. Safe to call twice."""
        try:
            self._kill()
        finally:
            files.discard(self._temp_path)
            self._temp_path = None

    def plan_repeats(self, repeats: Sequence[int]) -> None:
        """Announce, before :meth:`setup`, the ``repeat`` that each frame will come with.

        A video writer then sends each frame to ffmpeg once and lets ffmpeg hold
        it (the same bytes as sending it ``repeat`` times, with less to pipe and
        to convert); the frames must then come with exactly these repeats. Other
        writers ignore the plan.
        """

    # Subclasses encode: _start sees the first frame, _write every frame.
    def _start(self, frame: np.ndarray) -> None:
        raise NotImplementedError

    def _write(self, frame: np.ndarray, repeat: int) -> None:
        raise NotImplementedError

    def _close(self) -> None:
        """Finish writing the temporary file; raise WriterError on failure."""
        raise NotImplementedError

    def _kill(self) -> None:
        """Stop without finishing and release resources."""
        raise NotImplementedError


class PngWriter(FrameWriter):
    """A poster: only the last frame it is given, written with ``imageio.v3.imwrite``."""

    suffix = ".png"
    _last: np.ndarray | None = None

    def _start(self, frame: np.ndarray) -> None:
        self._last = np.empty_like(frame)

    def _write(self, frame: np.ndarray, repeat: int) -> None:
        np.copyto(self._last, frame)  # a copy: renderers may reuse their buffer

    def _close(self) -> None:
        import imageio.v3 as iio

        try:
            iio.imwrite(self._temp_path, rgb_channels(self._last), extension=".png")
        except OSError as error:
            raise WriterError(f"cannot write '{self.path}': {error.strerror or error}") from None
        self._last = None

    def _kill(self) -> None:
        self._last = None


def _check_hold_last_ms(hold_last_ms: int) -> int:
    if isinstance(hold_last_ms, bool) or not isinstance(hold_last_ms, int | np.integer):
        raise ValueError(f"hold_last_ms must be a whole number, got {hold_last_ms!r}")
    if not 0 <= hold_last_ms <= MAX_HOLD_LAST_MS:
        raise ValueError(f"hold_last_ms must be from 0 to {MAX_HOLD_LAST_MS}, got {hold_last_ms}")
    return int(hold_last_ms)


def _check_frame_array(frame: np.ndarray, name: str) -> np.ndarray:
    if not isinstance(frame, np.ndarray):
        raise WriterError(f"{name} must be a numpy array, got {type(frame).__name__}")
    if (
        frame.dtype != np.uint8
        or frame.ndim != 3
        or frame.shape[2] not in (3, 4)
        or 0 in frame.shape
    ):
        raise WriterError(
            f"{name} must be a uint8 array of shape (H, W, 3) or (H, W, 4),"
            f" got {frame.dtype} {frame.shape}"
        )
    # RGBA stays RGBA: ffmpeg reads it directly (pix_fmt rgba), which is cheaper than
    # dropping the alpha channel in Python
    return np.ascontiguousarray(frame)
