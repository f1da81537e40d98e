"""Stream rendered frames to a GIF, MP4, WebM or PNG file.

Renderers yield frames: ``numpy.uint8`` arrays of shape ``(H, W, 3)`` (RGB) or
``(H, W, 4)`` (opaque RGBA, as matplotlib's Agg canvas gives; alpha is ignored),
all the same size. This module is the only one that knows about files, codecs,
palettes and the conversion from ``fps`` to frame delays.

Writers follow ``matplotlib.animation``: ``setup`` / ``grab_frame`` /
``finish`` (plus ``abort``), and :func:`saving` wraps them in a context manager.

- **Streaming.** Frames are never collected. GIF, MP4 and WebM frames are piped
  as raw RGB to the ffmpeg executable shipped with ``imageio-ffmpeg``, which
  encodes in its own process (so on a second core); a PNG poster keeps only the
  last frame.
- **Atomic.** Frames go to a hidden temporary file next to the target, which
  replaces the target only after the encoder succeeded. On any error, or
  ``KeyboardInterrupt``, the temporary file is removed and an existing target
  is left untouched. A missing or unwritable folder fails in ``setup``, before
  any frame is rendered.
- **Deterministic.** The same frames give byte-identical files: bit-exact
  flags, no metadata or timestamps, fixed thread counts.

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

import contextlib
import os
import queue
import re
import secrets
import subprocess
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO, ClassVar

import numpy as np
from PIL import Image

from surfaces.errors import SpecError

try:  # pipe buffer sizes are a Linux feature
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

__all__ = [
    "SUFFIXES",
    "FrameWriter",
    "GifWriter",
    "Mp4Writer",
    "OutputPathError",
    "PngWriter",
    "WebmWriter",
    "WriterError",
    "check_output_folder",
    "check_output_path",
    "gif_frame_duration_ms",
    "gif_palette",
    "saving",
    "write_frames",
    "write_frames_to_all",
    "write_text_atomic",
    "writer_for",
]

SUFFIXES = (".gif", ".mp4", ".webm", ".png")
MIN_FPS = 1
MAX_FPS = 100
MAX_HOLD_LAST_MS = 655_350  # GIF delays are 16-bit centiseconds
GIF_PALETTE_SIZE = 256
MIN_GIF_DELAY_CS = 2  # browsers slow delays of 0 or 1 cs down to 10 cs
PIPE_BUFFER_BYTES = 8 << 20  # asked for; the kernel caps it at /proc/sys/fs/pipe-max-size
FFMPEG_THREADS = 2  # fixed, never "auto": output must not depend on the machine
_FFMPEG_LOG_PREFIX = re.compile(r"^(\[[^\]]* @ 0x[0-9a-f]+\] *)+")  # "[libx264 @ 0x55d0] "

RGB = tuple[int, int, int]
PathLike = str | os.PathLike[str]


class WriterError(RuntimeError):
    """Writing frames failed: a bad frame, no frames, or the encoder failed.

    The message is one line, suitable for ``lossviz: error: <message>``.
    """


class OutputPathError(WriterError, SpecError):
    """The output path cannot be written: bad suffix, missing or unwritable folder.

    Both a :class:`WriterError` and a :class:`~surfaces.errors.SpecError` (bad user
    input, a :class:`ValueError`).
    """


def check_output_folder(folder: PathLike) -> Path:
    """Check that ``folder`` exists and files can be created in it.

    Raises
    ------
    OutputPathError
        If the folder is missing, not a folder, or not writable.
    """
    if "\0" in os.fspath(folder):
        raise OutputPathError("output path contains a NUL byte")
    folder = Path(folder)
    if not folder.exists():
        raise OutputPathError(f"output folder '{folder}' does not exist")
    if not folder.is_dir():
        raise OutputPathError(f"output folder '{folder}' is not a folder")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OutputPathError(f"output folder '{folder}' is not writable")
    return folder


def check_output_path(path: PathLike, *, suffixes: Sequence[str] = SUFFIXES) -> Path:
    """Check that a file can be written to ``path``, before any work starts.

    Parameters
    ----------
    path
        Output file; its suffix (one of ``suffixes``, any case) picks the format.
    suffixes
        The accepted suffixes; by default the animation formats, :data:`SUFFIXES`.

    Returns
    -------
    Path
        ``path`` as a :class:`~pathlib.Path`.

    Raises
    ------
    OutputPathError
        If the suffix is not accepted, ``path`` is a folder, or its folder is
        missing or not writable.

    Examples
    --------
    >>> str(check_output_path("anim.gif"))
    'anim.gif'
    >>> check_output_path("anim.avi")
    Traceback (most recent call last):
    ...
    visualizer.writers.OutputPathError: 'anim.avi' must end with .gif, .mp4, .webm or .png
    >>> check_output_path("runs.txt", suffixes=(".csv",))
    Traceback (most recent call last):
    ...
    visualizer.writers.OutputPathError: 'runs.txt' must end with .csv
    """
    if "\0" in os.fspath(path):
        raise OutputPathError("output path contains a NUL byte")
    path = Path(path)
    if path.suffix.lower() not in suffixes:
        choices = suffixes[-1] if len(suffixes) == 1 else ", ".join(suffixes[:-1])
        choices += "" if len(suffixes) == 1 else " or " + suffixes[-1]
        raise OutputPathError(f"'{path}' must end with {choices}")
    if path.is_dir():
        raise OutputPathError(f"'{path}' is a folder, not a file")
    check_output_folder(path.parent)
    return path


def gif_frame_duration_ms(fps: int) -> int:
    """Delay between GIF frames, in milliseconds, for a frame rate.

    This is the one place where ``fps`` becomes a delay. GIF stores delays in
    centiseconds (1/100 s), so the delay is ``100 / fps`` centiseconds rounded
    half up, and at least 2 cs because browsers slow delays of 0 or 1 cs down to
    10 cs. The GIF plays at exactly ``fps`` only when ``fps`` divides 100; else
    at the nearest rate it can store (``fps=30`` plays at 33.3 frames/s).

    Parameters
    ----------
    fps
        Frames per second, from 1 to 100.

    Returns
    -------
    int
        Delay in milliseconds, a multiple of 10.

    Examples
    --------
    >>> [gif_frame_duration_ms(fps) for fps in (1, 10, 20, 24, 25, 30, 40, 100)]
    [1000, 100, 50, 40, 40, 30, 30, 20]
    """
    fps = _check_fps(fps)
    centiseconds = max(MIN_GIF_DELAY_CS, (200 + fps) // (2 * fps))  # round(100 / fps), half up
    return 10 * centiseconds


def gif_palette(first_frame: np.ndarray, *, extra_colors: Sequence[RGB] = ()) -> np.ndarray:
    """The one palette shared by every frame of a GIF.

    The palette is built once from the first frame, which holds the static
    background, every optimizer colour and the legend text. ``extra_colors``
    come first and exactly. If everything fits in 256 colours the palette is
    exact; otherwise the most frequent colours (flat contour bands, lines,
    text) are kept exactly, up to half the palette, and the remaining entries
    come from Pillow's maximum-coverage quantization of the pixels left over,
    which are mostly anti-aliased edges and text. (On matplotlib contour plots
    that gave the smallest worst-case errors, against median cut, octree and
    ffmpeg's ``palettegen``.) Unused entries repeat the last colour.

    Parameters
    ----------
    first_frame
        ``uint8`` array of shape ``(H, W, 3)`` or ``(H, W, 4)`` (alpha is ignored).
    extra_colors
        RGB colours that must be in the palette, such as colours that appear
        only in later frames.

    Returns
    -------
    numpy.ndarray
        ``uint8`` array of shape ``(256, 3)``.

    Examples
    --------
    >>> frame = np.zeros((4, 4, 3), np.uint8)
    >>> palette = gif_palette(frame, extra_colors=[(255, 0, 0)])
    >>> palette.shape, palette[:2].tolist()
    ((256, 3), [[255, 0, 0], [0, 0, 0]])
    """
    pixels = _rgb(_check_frame_array(first_frame, "first frame")).reshape(-1, 3)
    extras = _pack(np.array(_check_colors(extra_colors), np.uint8).reshape(-1, 3))
    extras = extras[np.sort(np.unique(extras, return_index=True)[1])]  # dedupe, keep order
    packed = _pack(pixels)
    colors, counts = np.unique(packed, return_counts=True)
    frequent = colors[np.argsort(-counts, kind="stable")]
    frequent = frequent[~np.isin(frequent, extras)]
    budget = GIF_PALETTE_SIZE - len(extras)
    if len(frequent) <= budget:
        chosen = np.concatenate([extras, frequent])
    else:
        exact = np.concatenate([extras, frequent[: budget // 2]])
        leftover = pixels[~np.isin(packed, exact)]
        approximate = _quantize(leftover, GIF_PALETTE_SIZE - len(exact))
        chosen = np.concatenate([exact, approximate[~np.isin(approximate, exact)]])
    chosen = chosen[:GIF_PALETTE_SIZE]
    chosen = np.pad(chosen, (0, GIF_PALETTE_SIZE - len(chosen)), mode="edge")
    return _unpack(chosen)


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
        Frames written so far.
    frame_shape : tuple of int or None
        ``(H, W, 3)`` of the first frame (RGB), once there is one.
    """

    suffix: ClassVar[str] = ""

    def __init__(
        self,
        path: PathLike,
        *,
        fps: int,
        hold_last_ms: int = 1000,
        extra_colors: Sequence[RGB] = (),
    ) -> None:
        self.path = check_output_path(path)
        self.fps = _check_fps(fps)
        self.hold_last_ms = _check_hold_last_ms(hold_last_ms)
        self.extra_colors = _check_colors(extra_colors)
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
        self._temp_path = _create_temp_file(self.path)

    def grab_frame(self, frame: np.ndarray) -> None:
        """Write one frame.

        Parameters
        ----------
        frame
            ``uint8`` array of shape ``(H, W, 3)`` or ``(H, W, 4)`` (alpha is
            ignored), the same size as the first frame.

        Raises
        ------
        WriterError
            If the frame is malformed or of another size, or the encoder failed.
            Call :meth:`abort` afterwards (:func:`saving` does).
        """
        if self._temp_path is None:
            raise WriterError("call setup() before grab_frame()")
        frame = _check_frame_array(frame, f"frame {self.frame_count}")
        if self.frame_shape is None:
            self.frame_shape = frame.shape
            self._start(frame)
        elif frame.shape != self.frame_shape:
            height, width = self.frame_shape[:2]
            raise WriterError(
                f"frame {self.frame_count} is {frame.shape[1]}x{frame.shape[0]} pixels,"
                f" but the first frame is {width}x{height}"
            )
        self._write(frame)
        self.frame_count += 1

    def finish(self) -> None:
        """Finish encoding and move the file into place.

        Raises
        ------
        WriterError
            If there were no frames or the encoder failed; the temporary file is
            removed and an existing file at :attr:`path` is left untouched.
        """
        if self._temp_path is None:
            raise WriterError("call setup() before finish()")
        try:
            if self.frame_count == 0:
                raise WriterError("no frames to write")
            self._close()
            try:
                os.replace(self._temp_path, self.path)
            except OSError as error:
                raise WriterError(f"cannot replace '{self.path}': {error.strerror}") from None
        except BaseException:
            self.abort()
            raise
        self._temp_path = None

    def abort(self) -> None:
        """Stop the encoder and remove the temporary file. Safe to call twice."""
        self._kill()
        if self._temp_path is not None:
            with contextlib.suppress(FileNotFoundError):
                self._temp_path.unlink()
            self._temp_path = None

    # Subclasses encode: _start sees the first frame, _write every frame.
    def _start(self, frame: np.ndarray) -> None:
        raise NotImplementedError

    def _write(self, frame: np.ndarray) -> None:
        raise NotImplementedError

    def _close(self) -> None:
        """Finish writing the temporary file; raise WriterError on failure."""
        raise NotImplementedError

    def _kill(self) -> None:
        """Stop without finishing and release resources."""
        raise NotImplementedError


class PngWriter(FrameWriter):
    """A poster: only the last frame, written with Pillow."""

    suffix = ".png"
    _last: np.ndarray | None = None

    def _start(self, frame: np.ndarray) -> None:
        self._last = np.empty_like(frame)

    def _write(self, frame: np.ndarray) -> None:
        np.copyto(self._last, frame)  # a copy: renderers may reuse their buffer

    def _close(self) -> None:
        Image.fromarray(_rgb(self._last)).save(self._temp_path, format="PNG")
        self._last = None

    def _kill(self) -> None:
        self._last = None


class _FFmpegWriter(FrameWriter):
    """Pipe raw ``rgb24`` or ``rgba`` frames to an ffmpeg process writing the temporary file."""

    muxer: ClassVar[str] = ""
    _ffmpeg: str = ""
    _process: subprocess.Popen[bytes] | None = None
    _stderr: IO[bytes] | None = None
    _pump: _PipePump | None = None

    def setup(self) -> None:
        self._ffmpeg = _ffmpeg_exe()
        super().setup()

    def _input_rate(self) -> str:
        return str(self.fps)

    def _codec_args(self, frame: np.ndarray) -> list[str]:
        raise NotImplementedError

    def _start(self, frame: np.ndarray) -> None:
        height, width = self._pad(frame).shape[:2]
        args = [
            self._ffmpeg,
            *("-hide_banner", "-nostdin", "-nostats", "-loglevel", "error"),
            *("-f", "rawvideo", "-pix_fmt", "rgba" if frame.shape[2] == 4 else "rgb24"),
            *("-video_size", f"{width}x{height}"),
            *("-framerate", self._input_rate(), "-i", "pipe:0"),
            *self._codec_args(frame),
            *("-threads", str(FFMPEG_THREADS)),
            *("-map_metadata", "-1", "-fflags", "+bitexact", "-flags:v", "+bitexact"),
            *("-f", self.muxer, "-y", str(self._temp_path)),
        ]
        # stderr goes to a file, so a chatty ffmpeg can never block on a full pipe.
        self._stderr = tempfile.TemporaryFile()  # closed in _release
        try:
            # A session of its own: Ctrl-C reaches Python only, which then kills ffmpeg.
            self._process = subprocess.Popen(
                args,
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=self._stderr,
                start_new_session=True,
            )
        except OSError as error:
            raise WriterError(f"cannot run ffmpeg '{self._ffmpeg}': {error.strerror}") from None
        _grow_pipe(self._process.stdin)
        self._pump = _PipePump(self._process.stdin)

    def _pad(self, frame: np.ndarray) -> np.ndarray:
        return frame

    def _write(self, frame: np.ndarray) -> None:
        if not self._pump.put(np.array(self._pad(frame))):  # a copy: the pump owns it
            self._raise_failure()  # ffmpeg exited early

    def _close(self) -> None:
        failed = not self._pump.close()
        with contextlib.suppress(BrokenPipeError):
            self._process.stdin.close()
        if self._process.wait() != 0 or failed:
            self._raise_failure()
        self._release()

    def _kill(self) -> None:
        if self._process is not None:
            if self._process.poll() is None:
                self._process.kill()
            if self._pump is not None:
                self._pump.close()
            with contextlib.suppress(OSError, ValueError):
                self._process.stdin.close()
            self._process.wait()
        self._release()

    def _release(self) -> None:
        self._process = None
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None

    def _raise_failure(self) -> None:
        with contextlib.suppress(OSError, ValueError):
            self._process.stdin.close()
        status = self._process.wait()
        self._stderr.seek(0)
        text = self._stderr.read().decode(errors="replace")
        # The first error names the cause; later ones ("Error opening output files",
        # "Conversion failed!") only repeat that something failed.
        lines = [_FFMPEG_LOG_PREFIX.sub("", line).strip() for line in text.splitlines()]
        reason = next((line for line in lines if line), f"exit status {status}")
        raise WriterError(f"ffmpeg could not write '{self.path}': {reason}")


class GifWriter(_FFmpegWriter):
    """Looping GIF with one shared palette and frame differencing.

    The palette comes from the first frame plus ``extra_colors``
    (:func:`gif_palette`), without dithering. ffmpeg's ``paletteuse`` maps only
    the rectangle that changed (``diff_mode=rectangle``) and the GIF encoder
    stores only that rectangle, with unchanged pixels transparent, so frames
    where a few markers move cost a few hundred bytes.
    """

    suffix = ".gif"
    muxer = "gif"
    _palette_path: Path | None = None

    def _input_rate(self) -> str:
        # Time stamps on a 1/100 s grid, so every GIF delay is the same.
        return f"100/{gif_frame_duration_ms(self.fps) // 10}"

    def _codec_args(self, frame: np.ndarray) -> list[str]:
        palette = gif_palette(frame, extra_colors=self.extra_colors)
        handle, name = tempfile.mkstemp(prefix="lossviz-palette-", suffix=".png")
        os.close(handle)
        self._palette_path = Path(name)
        Image.fromarray(palette.reshape(16, 16, 3)).save(self._palette_path, format="PNG")
        frame_cs = gif_frame_duration_ms(self.fps) // 10
        last_cs = max(frame_cs, (self.hold_last_ms + 5) // 10)
        return [
            *("-i", str(self._palette_path)),
            *("-filter_complex", "[0:v][1:v]paletteuse=dither=none:diff_mode=rectangle[gif]"),
            *("-filter_complex_threads", "1", "-map", "[gif]"),
            *("-c:v", "gif", "-gifflags", "+offsetting+transdiff"),
            *("-loop", "0", "-final_delay", str(last_cs)),
        ]

    def _release(self) -> None:
        super()._release()
        if self._palette_path is not None:
            with contextlib.suppress(FileNotFoundError):
                self._palette_path.unlink()
            self._palette_path = None


class _VideoWriter(_FFmpegWriter):
    """A yuv420p video: BT.709 colours, odd sizes padded by one pixel."""

    def _pad(self, frame: np.ndarray) -> np.ndarray:
        height, width = frame.shape[:2]
        if height % 2 == 0 and width % 2 == 0:
            return frame
        return np.pad(frame, ((0, height % 2), (0, width % 2), (0, 0)), mode="edge")

    def _color_args(self) -> list[str]:
        to_yuv = "scale=out_color_matrix=bt709:out_range=tv:flags=bicubic+accurate_rnd"
        tags = "setparams=color_primaries=bt709:color_trc=bt709:colorspace=bt709:range=tv"
        return ["-vf", f"{to_yuv},format=yuv420p,{tags}", "-filter_threads", "1"]


class Mp4Writer(_VideoWriter):
    """H.264 (libx264) MP4 that plays in browsers: yuv420p, index up front."""

    suffix = ".mp4"
    muxer = "mp4"

    def _codec_args(self, frame: np.ndarray) -> list[str]:
        return [
            *self._color_args(),
            *("-c:v", "libx264", "-preset", "veryfast", "-tune", "animation", "-crf", "20"),
            *("-movflags", "+faststart"),
        ]


class WebmWriter(_VideoWriter):
    """VP9 (libvpx-vp9) WebM, yuv420p, tuned for speed."""

    suffix = ".webm"
    muxer = "webm"

    def _codec_args(self, frame: np.ndarray) -> list[str]:
        return [
            *self._color_args(),
            *("-c:v", "libvpx-vp9", "-crf", "32", "-b:v", "0"),
            *("-deadline", "realtime", "-cpu-used", "6", "-row-mt", "1"),
        ]


_WRITERS: dict[str, type[FrameWriter]] = {
    writer.suffix: writer for writer in (GifWriter, Mp4Writer, WebmWriter, PngWriter)
}


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
    writer_type = _WRITERS[path.suffix.lower()]
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
    exception, ``KeyboardInterrupt`` included, it aborts and removes its
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
    writer = writer_for(path, fps=fps, hold_last_ms=hold_last_ms, extra_colors=extra_colors)
    writer.setup()
    try:
        yield writer
    except BaseException:
        writer.abort()
        raise
    writer.finish()


def write_frames(
    path: PathLike,
    frames: Iterable[np.ndarray],
    *,
    fps: int,
    hold_last_ms: int = 1000,
    extra_colors: Sequence[RGB] = (),
    on_frame: Callable[[int], None] | None = None,
) -> Path:
    """Write every frame of ``frames`` to ``path`` and return the path.

    ``frames`` is consumed lazily, one frame at a time. Other parameters and
    errors are those of :func:`saving`.

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
    paths: Sequence[PathLike],
    frames: Iterable[np.ndarray],
    *,
    fps: int,
    hold_last_ms: int = 1000,
    extra_colors: Sequence[RGB] = (),
    on_frame: Callable[[int], None] | None = None,
) -> list[Path]:
    """Write every frame of ``frames`` to each of ``paths`` (say a GIF, an MP4 and a PNG).

    The frames are rendered once and handed to every writer; parameters are those
    of :func:`write_frames`. If any writer fails, none of the files is written.

    Returns
    -------
    list of Path
        The files written, in the order of ``paths``.
    """
    with contextlib.ExitStack() as stack:
        writers = [
            stack.enter_context(
                saving(p, fps=fps, hold_last_ms=hold_last_ms, extra_colors=extra_colors)
            )
            for p in paths
        ]
        for index, frame in enumerate(frames):
            for writer in writers:
                writer.grab_frame(frame)
            if on_frame is not None:
                on_frame(index)
    return [writer.path for writer in writers]


def _check_fps(fps: int) -> int:
    if isinstance(fps, bool) or not isinstance(fps, int | np.integer):
        raise ValueError(f"fps must be a whole number from {MIN_FPS} to {MAX_FPS}, got {fps!r}")
    if not MIN_FPS <= fps <= MAX_FPS:
        raise ValueError(f"fps must be from {MIN_FPS} to {MAX_FPS}, got {fps}")
    return int(fps)


def _check_hold_last_ms(hold_last_ms: int) -> int:
    if isinstance(hold_last_ms, bool) or not isinstance(hold_last_ms, int | np.integer):
        raise ValueError(f"hold_last_ms must be a whole number, got {hold_last_ms!r}")
    if not 0 <= hold_last_ms <= MAX_HOLD_LAST_MS:
        raise ValueError(f"hold_last_ms must be from 0 to {MAX_HOLD_LAST_MS}, got {hold_last_ms}")
    return int(hold_last_ms)


def _check_colors(colors: Sequence[RGB]) -> tuple[RGB, ...]:
    checked = []
    for color in colors:
        values = tuple(color) if isinstance(color, Sequence | np.ndarray) else ()
        if len(values) != 3 or not all(
            isinstance(v, int | np.integer) and 0 <= v <= 255 for v in values
        ):
            raise ValueError(f"extra colour {color!r} must be 3 integers from 0 to 255")
        checked.append((int(values[0]), int(values[1]), int(values[2])))
    if len(set(checked)) > GIF_PALETTE_SIZE:
        raise ValueError(f"at most {GIF_PALETTE_SIZE} extra colours fit in a GIF palette")
    return tuple(checked)


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


def _rgb(frame: np.ndarray) -> np.ndarray:
    """The RGB channels of an ``(H, W, 3|4)`` frame, contiguous."""
    if frame.shape[2] == 3:
        return frame
    rgb = np.empty((*frame.shape[:2], 3), np.uint8)
    for channel in range(3):  # one channel at a time: ~5x faster than frame[:, :, :3]
        rgb[:, :, channel] = frame[:, :, channel]
    return rgb


def _pack(rgb: np.ndarray) -> np.ndarray:
    """``(N, 3)`` uint8 colours as ``(N,)`` uint32 ``0xRRGGBB``."""
    rgb = rgb.astype(np.uint32)
    return (rgb[:, 0] << 16) | (rgb[:, 1] << 8) | rgb[:, 2]


def _unpack(packed: np.ndarray) -> np.ndarray:
    shifts = np.array([16, 8, 0], np.uint32)
    return ((packed[:, np.newaxis] >> shifts) & 0xFF).astype(np.uint8)


def _quantize(pixels: np.ndarray, colors: int) -> np.ndarray:
    """At most ``colors`` packed colours representing ``(N, 3)`` ``pixels``."""
    if colors < 1 or len(pixels) == 0:
        return np.empty(0, np.uint32)
    image = Image.fromarray(pixels[np.newaxis])
    quantized = image.quantize(colors, method=Image.Quantize.MAXCOVERAGE, dither=Image.Dither.NONE)
    used = np.unique(np.asarray(quantized))
    return _pack(np.array(quantized.getpalette(), np.uint8).reshape(-1, 3)[used])


class _PipePump:
    """Writes frames to a pipe from a thread of its own, a few frames behind.

    Writing to a pipe releases the GIL, so the renderer goes on drawing the next
    frame while the previous one is copied to ffmpeg. At most ``depth`` frames
    wait in the queue, so memory stays bounded.
    """

    def __init__(self, pipe: IO[bytes], depth: int = 3) -> None:
        self._pipe = pipe
        self._queue: queue.Queue[np.ndarray | None] = queue.Queue(maxsize=depth)
        self.failed = False
        self._thread = threading.Thread(target=self._run, name="lossviz-pipe", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            if self.failed:
                continue  # keep draining, so put() never blocks on a dead pipe
            try:
                self._pipe.write(memoryview(item).cast("B"))
            except (OSError, ValueError):  # BrokenPipeError: ffmpeg exited early
                self.failed = True

    def put(self, frame: np.ndarray) -> bool:
        """Queue a frame; ``False`` once writing has failed."""
        if self.failed:
            return False
        self._queue.put(frame)
        return True

    def close(self) -> bool:
        """Write what is queued and stop; ``True`` if every write succeeded."""
        if self._thread.is_alive():
            self._queue.put(None)
            self._thread.join()
        return not self.failed


def _grow_pipe(pipe: IO[bytes] | None) -> None:
    """Enlarge a pipe's kernel buffer (Linux) so a whole frame fits in it.

    With the default 64 KiB, every frame is handed over in dozens of round trips
    and Python waits for ffmpeg on each; with a larger buffer Python drops the
    frame and goes on rendering while ffmpeg encodes it.
    """
    set_size = getattr(fcntl, "F_SETPIPE_SZ", None) if fcntl is not None else None
    if pipe is None or set_size is None:
        return
    try:
        limit = int(Path("/proc/sys/fs/pipe-max-size").read_text())
    except (OSError, ValueError):
        limit = 1 << 20
    with contextlib.suppress(OSError):
        fcntl.fcntl(pipe.fileno(), set_size, min(limit, PIPE_BUFFER_BYTES))


def _create_temp_file(path: Path) -> Path:
    """Create ``.{stem}.{random}.tmp{suffix}`` next to ``path``, usual permissions."""
    for _ in range(100):
        temp = path.with_name(f".{path.stem}.{secrets.token_hex(4)}.tmp{path.suffix}")
        try:
            handle = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        except FileExistsError:
            continue
        except OSError as error:
            raise OutputPathError(
                f"cannot write to output folder '{path.parent}': {error.strerror}"
            ) from None
        os.close(handle)
        return temp
    raise OutputPathError(f"cannot create a temporary file in '{path.parent}'")


def _ffmpeg_exe() -> str:
    try:
        import imageio_ffmpeg
    except ImportError:
        raise WriterError("writing .gif, .mp4 or .webm needs the imageio-ffmpeg package") from None
    try:
        return imageio_ffmpeg.get_ffmpeg_exe()
    except RuntimeError as error:
        raise WriterError(f"ffmpeg not found: {error}".splitlines()[0]) from None


def write_text_atomic(path: PathLike, text: str) -> Path:
    """Write ``text`` (UTF-8) to a temporary file beside ``path``, then rename it into place.

    Raises
    ------
    OutputPathError
        If the folder is missing or not writable.
    """
    target = Path(path)
    check_output_folder(target.parent)
    temp = _create_temp_file(target)
    try:
        temp.write_text(text, encoding="utf-8", newline="")
        os.replace(temp, target)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return target
