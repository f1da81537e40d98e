"""Stream rendered frames to a GIF, MP4, WebM or PNG file: the encoders.

Renderers yield frames: ``numpy.uint8`` arrays of shape ``(H, W, 3)`` (RGB) or
``(H, W, 4)`` (opaque RGBA, as matplotlib's Agg canvas gives; alpha is ignored),
all the same size. Writers follow ``matplotlib.animation``: ``setup`` /
``grab_frame`` / ``finish`` (plus ``abort``), and :func:`saving` wraps them in a
context manager. File safety (checks, temporary files, renames, signals) is
:mod:`visualizer.files`; the GIF palette and delay maths is :mod:`visualizer.gif`.

- **Streaming.** Frames are never collected. GIF, MP4 and WebM frames are piped
  raw to the ffmpeg that ``imageio-ffmpeg`` ships, which encodes in its own
  process (so on a second core) while the next frame renders; a PNG poster keeps
  only the last frame. A frame can be held: ``grab_frame(frame, repeat=n)``
  shows it for ``n`` frame periods (in a GIF, one frame with a longer delay).
- **Atomic.** Frames go to a hidden temporary file next to the target, which
  replaces the target only after the encoder succeeded; several files written
  from the same frames are replaced together or not at all. On any error,
  Ctrl-C, SIGTERM or SIGHUP the temporary files are removed and existing files
  are left untouched. A bad output path fails in ``setup``, before any frame is
  rendered.
- **Deterministic.** The same frames give byte-identical files: bit-exact
  flags, no metadata or timestamps, fixed thread counts.

Why not ``imageio_ffmpeg.write_frames``: it never reads ffmpeg's exit status (an
encoder that fails after the last frame leaves a broken file that looks
written), it sends ffmpeg's messages to the user's terminal rather than to one
line of error, and it waits by polling. Here imageio-ffmpeg provides the ffmpeg
executable; the process is run with the standard library.

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

import base64
import contextlib
import io
import os
import re
import subprocess
import tempfile
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import IO, ClassVar

import numpy as np
from PIL import Image

from surfaces.errors import OutputPathError, SpecError, WriterError
from visualizer import files
from visualizer.files import check_output_folder, write_text_atomic
from visualizer.formats import SUFFIXES
from visualizer.gif import (
    GIF_PALETTE_SIZE,
    MAX_FPS,
    MAX_HOLD_LAST_MS,
    MIN_FPS,
    check_colors,
    check_fps,
    gif_frame_delays_cs,
    gif_frame_duration_ms,
    gif_palette,
    rgb_channels,
    set_gif_delays,
)

try:  # pipe buffer sizes are a Linux feature
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

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

MAX_REPEAT = 10_000  # frame periods one frame may be held
PIPE_BUFFER_BYTES = 8 << 20  # asked for; the kernel caps it at /proc/sys/fs/pipe-max-size
PIPE_QUEUE_FRAMES = 4  # frames waiting for the pipe at most: bounded memory
PIPE_QUEUE_BYTES = 16 << 20  # and no more bytes than this, unless a single frame is larger
FFMPEG_THREADS = 2  # fixed, never "auto": output must not depend on the machine
#: Memory a render holds per pixel of a frame, measured (peak python + ffmpeg, at 1920x1080
#: and 3840x2160): the renderer's canvas, background and frame copies, plus each encoder's
#: frames in flight (x264's look-ahead is the largest), on top of a fixed base.
RENDER_BYTES_PER_PIXEL = 50
ENCODER_BYTES_PER_PIXEL = {".gif": 20, ".mp4": 80, ".webm": 80, ".png": 4, ".html": 80}
BASE_MEMORY_BYTES = 150_000_000
_FFMPEG_LOG_PREFIX = re.compile(r"^(\[[^\]]* @ 0x[0-9a-f]+\] *)+")  # "[libx264 @ 0x55d0] "

RGB = tuple[int, int, int]
PathLike = str | os.PathLike[str]


def check_output_path(path: PathLike, *, suffixes: Sequence[str] = SUFFIXES) -> Path:
    """Check that a file can be written to ``path``, before any work starts.

    :func:`visualizer.files.check_output_path`, with the animation formats,
    :data:`SUFFIXES`, as the default suffixes.

    Examples
    --------
    >>> str(check_output_path("anim.gif"))
    'anim.gif'
    >>> check_output_path("anim.avi")
    Traceback (most recent call last):
    ...
    surfaces.errors.OutputPathError: 'anim.avi' must end with .gif, .mp4, .webm, .png or .html
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

    def grab_frame(self, frame: np.ndarray, *, repeat: int = 1) -> None:
        """Write one frame, shown for ``repeat`` frame periods.

        Parameters
        ----------
        frame
            ``uint8`` array of shape ``(H, W, 3)`` or ``(H, W, 4)`` (alpha is
            ignored), the same size as the first frame.
        repeat
            How many frame periods the frame shows, from 1 to 10000 (a hold).

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
        :func:`visualizer.files.commit`. On failure the writer aborts.

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
    """A poster: only the last frame, written with Pillow."""

    suffix = ".png"
    _last: np.ndarray | None = None

    def _start(self, frame: np.ndarray) -> None:
        self._last = np.empty_like(frame)

    def _write(self, frame: np.ndarray, repeat: int) -> None:
        np.copyto(self._last, frame)  # a copy: renderers may reuse their buffer

    def _close(self) -> None:
        try:
            Image.fromarray(rgb_channels(self._last)).save(self._temp_path, format="PNG")
        except OSError as error:
            raise WriterError(f"cannot write '{self.path}': {error.strerror or error}") from None
        self._last = None

    def _kill(self) -> None:
        self._last = None


class _FFmpegWriter(FrameWriter):
    """Pipe raw ``rgb24`` or ``rgba`` frames to an ffmpeg process writing the temporary file."""

    muxer: ClassVar[str] = ""
    _ffmpeg: str = ""
    _encoder: _FFmpeg | None = None

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
        self._encoder = _FFmpeg(args)

    def _pad(self, frame: np.ndarray) -> np.ndarray:
        return frame

    def _write(self, frame: np.ndarray, repeat: int) -> None:
        data = np.array(self._pad(frame))  # a copy: the pipe thread owns it
        for _ in range(repeat):
            if not self._encoder.write(data):
                self._raise_failure()  # ffmpeg exited early

    def _close(self) -> None:
        if not self._encoder.close():
            self._raise_failure()
        self._encoder = None

    def _kill(self) -> None:
        if self._encoder is not None:
            self._encoder.kill()
            self._encoder = None

    def _raise_failure(self) -> None:
        reason = self._encoder.failure()
        raise WriterError(f"ffmpeg could not write '{self.path}': {reason}")


class GifWriter(_FFmpegWriter):
    """Looping GIF with one shared palette and frame differencing.

    The palette comes from the first frame plus ``extra_colors``
    (:func:`~visualizer.gif.gif_palette`), without dithering; it is handed to
    ffmpeg inline, so no palette file is ever written. ffmpeg's ``paletteuse``
    maps only the rectangle that changed (``diff_mode=rectangle``) and the GIF
    encoder stores only that rectangle, with unchanged pixels transparent, so
    frames where a few markers move cost a few hundred bytes. A held frame is
    one GIF frame with a longer delay.
    """

    suffix = ".gif"
    muxer = "gif"
    _repeats: list[int]

    def _input_rate(self) -> str:
        # Time stamps on a 1/100 s grid, so every GIF delay is the same.
        return f"100/{gif_frame_duration_ms(self.fps) // 10}"

    def _codec_args(self, frame: np.ndarray) -> list[str]:
        palette = gif_palette(frame, extra_colors=self.extra_colors)
        png = io.BytesIO()
        Image.fromarray(palette.reshape(16, 16, 3)).save(png, format="PNG")
        inline = "data:image/png;base64," + base64.b64encode(png.getvalue()).decode("ascii")
        last_cs = gif_frame_delays_cs([1], fps=self.fps, hold_last_ms=self.hold_last_ms)[-1]
        return [
            *("-f", "png_pipe", "-i", inline),
            *("-filter_complex", "[0:v][1:v]paletteuse=dither=none:diff_mode=rectangle[gif]"),
            *("-filter_complex_threads", "1", "-map", "[gif]"),
            *("-c:v", "gif", "-gifflags", "+offsetting+transdiff"),
            *("-loop", "0", "-final_delay", str(last_cs)),
        ]

    def _start(self, frame: np.ndarray) -> None:
        self._repeats = []
        super()._start(frame)

    def _write(self, frame: np.ndarray, repeat: int) -> None:
        self._repeats.append(repeat)
        super()._write(frame, 1)

    def _close(self) -> None:
        super()._close()
        if any(repeat != 1 for repeat in self._repeats):
            hold_ms = self.hold_last_ms
            delays = gif_frame_delays_cs(self._repeats, fps=self.fps, hold_last_ms=hold_ms)
            try:
                data = bytearray(self._temp_path.read_bytes())
                set_gif_delays(data, delays)
                self._temp_path.write_bytes(data)
            except (ValueError, OSError) as error:
                reason = getattr(error, "strerror", None) or error
                raise WriterError(f"cannot write '{self.path}': {reason}") from None


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
    writer_type = _WRITERS.get(path.suffix.lower())
    if writer_type is None:  # .html: the page needs the recording, not only frames
        raise WriterError(f"'{path.name}': write a player page with Animation.save")
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
    (:func:`visualizer.files.cleanup_on_signals`), it aborts and removes its
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

    Returns
    -------
    list of Path
        The files written, in the order of ``paths``.
    """
    if frame_size is not None:
        targets = [p.path if isinstance(p, FrameWriter) else Path(p) for p in paths]
        check_memory(frame_size, [t.suffix.lower() for t in targets])
    with _writing(paths, fps=fps, hold_last_ms=hold_last_ms, extra_colors=extra_colors) as writers:
        for index, item in enumerate(frames):
            frame, repeat = item if isinstance(item, tuple) else (item, 1)
            for writer in writers:
                if poster_index is not None and writer.suffix == ".png" and index != poster_index:
                    continue  # a poster keeps only its frame
                writer.grab_frame(frame, repeat=repeat)
            if on_frame is not None:
                on_frame(index)
    return [writer.path for writer in writers]


def memory_needed(frame_size: tuple[int, int], suffixes: Sequence[str]) -> int:
    """Bytes of memory a render of ``frame_size`` frames to files of ``suffixes`` needs.

    Examples
    --------
    >>> round(memory_needed((1920, 1080), [".gif", ".mp4", ".png"]) / 1e6)
    469
    """
    width, height = frame_size
    per_pixel = RENDER_BYTES_PER_PIXEL + sum(ENCODER_BYTES_PER_PIXEL.get(s, 0) for s in suffixes)
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
    available = _available_memory() if available is None else available
    needed = memory_needed(frame_size, suffixes)
    if available is not None and needed > available:
        width, height = frame_size
        raise SpecError(
            f"a {width}x{height} render to {', '.join(suffixes)} needs about"
            f" {needed / 1e9:.1f} GB of memory; this machine has {available / 1e9:.1f} GB"
            " available: use a smaller size"
        )


def _available_memory() -> int | None:
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


@contextmanager
def _writing(
    paths: Sequence[PathLike | FrameWriter],
    *,
    fps: int,
    hold_last_ms: int,
    extra_colors: Sequence[RGB],
) -> Iterator[list[FrameWriter]]:
    """Set up a writer per path; on success commit all files together, else abort all."""
    writers = [
        p
        if isinstance(p, FrameWriter)
        else writer_for(p, fps=fps, hold_last_ms=hold_last_ms, extra_colors=extra_colors)
        for p in paths
    ]
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


class _FFmpeg:
    """An ffmpeg process reading raw frames on its standard input.

    Frames are written to the pipe from a thread (writing releases the GIL), so
    the caller renders the next frame while ffmpeg reads this one; at most
    :func:`queued_frames` frames wait (a few, fewer for big frames). ffmpeg runs
    in a session of its own (Ctrl-C reaches Python only, which then stops it)
    with its messages going to
    an anonymous temporary file, so a chatty ffmpeg never blocks and the first
    error becomes the one-line reason of a failure.
    """

    def __init__(self, args: list[str]) -> None:
        self._stderr: IO[bytes] = tempfile.TemporaryFile()
        try:
            self._process = subprocess.Popen(
                args,
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=self._stderr,
                start_new_session=True,
            )
        except OSError as error:
            self._stderr.close()
            raise WriterError(f"cannot run ffmpeg '{args[0]}': {error.strerror}") from None
        _grow_pipe(self._process.stdin)
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="lossviz-ffmpeg")
        self._pending: deque[Future[object]] = deque()
        self._failed = False

    def write(self, frame: np.ndarray) -> bool:
        """Queue a contiguous frame for the pipe; ``False`` once ffmpeg has stopped reading."""
        if self._failed:
            return False
        data = memoryview(frame).cast("B")
        self._pending.append(self._thread.submit(self._process.stdin.write, data))
        limit = queued_frames(data.nbytes)
        while self._pending and (len(self._pending) > limit or self._pending[0].done()):
            if self._pending.popleft().exception() is not None:
                self._failed = True
        return not self._failed

    def close(self) -> bool:
        """Write what is queued, close the pipe, wait for ffmpeg; ``True`` if all went well."""
        for future in self._pending:
            self._failed |= future.exception() is not None
        self._pending.clear()
        self._thread.shutdown()
        with contextlib.suppress(OSError, ValueError):
            self._process.stdin.close()
        status = self._process.wait()
        if status == 0 and not self._failed:
            self._stderr.close()
            return True
        self._failed = True
        return False

    def failure(self) -> str:
        """Stop ffmpeg if it still runs and return the first line of its complaint."""
        with contextlib.suppress(OSError, ValueError):
            self._process.stdin.close()
        status = self._process.wait()
        self._stderr.seek(0)
        text = self._stderr.read().decode(errors="replace")
        # The first error names the cause; later ones ("Error opening output files",
        # "Conversion failed!") only repeat that something failed.
        lines = [_FFMPEG_LOG_PREFIX.sub("", line).strip() for line in text.splitlines()]
        return next((line for line in lines if line), f"exit status {status}")

    def kill(self) -> None:
        """Stop ffmpeg at once and release everything."""
        if self._process.poll() is None:
            self._process.kill()
        for future in self._pending:
            future.cancel()
        self._thread.shutdown()  # a write blocked on the pipe fails now that ffmpeg is gone
        with contextlib.suppress(OSError, ValueError):
            self._process.stdin.close()
        self._process.wait()
        self._stderr.close()


def queued_frames(frame_bytes: int) -> int:
    """How many frames of ``frame_bytes`` may wait for ffmpeg's pipe: memory stays flat.

    Examples
    --------
    >>> queued_frames(1280 * 720 * 4), queued_frames(3840 * 2160 * 4)
    (4, 1)
    """
    return max(1, min(PIPE_QUEUE_FRAMES, PIPE_QUEUE_BYTES // max(1, frame_bytes)))


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


def _ffmpeg_exe() -> str:
    try:
        import imageio_ffmpeg
    except ImportError:
        raise WriterError("writing .gif, .mp4 or .webm needs the imageio-ffmpeg package") from None
    try:
        return imageio_ffmpeg.get_ffmpeg_exe()
    except RuntimeError as error:
        raise WriterError(f"ffmpeg not found: {error}".splitlines()[0]) from None
