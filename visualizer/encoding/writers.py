"""Stream rendered frames to a GIF, MP4, WebM or PNG file: the encoders.

Renderers yield frames: ``numpy.uint8`` arrays of shape ``(H, W, 3)`` (RGB) or
``(H, W, 4)`` (opaque RGBA, as matplotlib's Agg canvas gives; alpha is ignored),
all the same size. Writers follow ``matplotlib.animation``: ``setup`` /
``grab_frame`` / ``finish`` (plus ``abort``), and :func:`saving` wraps them in a
context manager. File safety (checks, temporary files, renames, signals) is
:mod:`visualizer.encoding.files`; the GIF palette and delay maths is :mod:`visualizer.encoding.gif`.

- **Streaming.** Frames are never collected. GIF, MP4 and WebM frames go to
  ffmpeg through ``imageio_ffmpeg.write_frames`` (the encoder imageio itself
  uses), fed from a thread so that ffmpeg encodes, in its own process and so on
  a second core, while the next frame renders; a PNG poster keeps only its
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

What imageio-ffmpeg does not do is added here: the temporary file and its
rename, the shared GIF palette (sent as an extra first frame that the filter
graph turns into the palette), the held frames' GIF delays, and a one-line
reason when ffmpeg fails (its messages, at level ``error``, go to a temporary
file instead of the user's terminal).

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
import re
import subprocess
import sys
import tempfile
import time
from collections import deque
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from fractions import Fraction
from pathlib import Path
from typing import IO, Any, ClassVar

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None  # type: ignore[assignment]

import numpy as np

from surfaces.errors import OutputPathError, SpecError, WriterError
from visualizer.encoding import files
from visualizer.encoding.files import check_output_folder, write_text_atomic
from visualizer.encoding.formats import SUFFIXES
from visualizer.encoding.pacing import gif_stride
from visualizer.encoding.gif import (
    GIF_PALETTE_SIDE,
    GIF_PALETTE_SIZE,
    MAX_FPS,
    MAX_HOLD_LAST_MS,
    MIN_FPS,
    check_colors,
    check_fps,
    gif_delays_at_stride_cs,
    gif_frame_delays_cs,
    gif_frame_duration_ms,
    gif_palette,
    rgb_channels,
    set_gif_delays,
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

MAX_REPEAT = 10_000  # frame periods one frame may be held
PIPE_QUEUE_FRAMES = 4  # frames waiting for ffmpeg at most: bounded memory
MAX_PLANNED_HOLDS = 500  # held frames a video's timing expression names at most
PIPE_BYTES = 1 << 20  # the pipe to ffmpeg holds this much (Linux's default maximum)
PIPE_QUEUE_BYTES = 16 << 20  # and no more bytes than this, unless a single frame is larger
INSIDE_FFMPEG_BYTES = 64 << 20  # frames inside a GIF's ffmpeg, not yet written out, at most
INSIDE_FFMPEG_FRAMES = (3, 24)  # and never fewer or more frames than these
PROGRESS_PERIOD_S = 0.02  # how often ffmpeg reports the frames it has written, when bounded
STALL_S = 2.0  # no report for this long: send the next frame anyway (never a deadlock)
FFMPEG_THREADS = 2  # fixed, never "auto": output must not depend on the machine
#: Memory a render holds per pixel of a frame, measured (peak python + ffmpeg, at 1920x1080
#: and 3840x2160): the renderer's canvas, background and frame copies, plus each encoder's
#: frames in flight (x264's look-ahead is the largest), on top of a fixed base.
RENDER_BYTES_PER_PIXEL = 50
ENCODER_BYTES_PER_PIXEL = {".gif": 20, ".mp4": 80, ".webm": 80, ".png": 4, ".html": 80}
BASE_MEMORY_BYTES = 150_000_000
_FFMPEG_LOG_PREFIX = re.compile(r"^(\[[^\]]* @ 0x[0-9a-f]+\] *)+")  # "[libx264 @ 0x55d0] "
_FFMPEG_PROGRESS = re.compile(r"^[a-z0-9_]+=")  # "frame=12", ..., "progress=end"

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


class _FFmpegWriter(FrameWriter):
    """Raw ``rgb24`` or ``rgba`` frames to ffmpeg, which writes the temporary file.

    A subclass names its codec and output pixel format and adds its output
    options; :class:`_Encoder` runs ffmpeg through imageio-ffmpeg.
    """

    codec: ClassVar[str] = ""
    pix_fmt_out: ClassVar[str] = ""
    muxer: ClassVar[str] = ""
    _encoder: _Encoder | None = None

    def setup(self) -> None:
        _ffmpeg_exe()  # a missing ffmpeg fails before the temporary file exists
        super().setup()

    def _input_rate(self) -> Fraction:
        return Fraction(self.fps)

    def _output_params(self) -> list[str]:
        raise NotImplementedError

    def _start(self, frame: np.ndarray) -> None:
        height, width = self._pad(frame).shape[:2]
        # A signal that comes while ffmpeg starts is raised once the encoder is ours (and
        # standard error is back), so that the abort stops that ffmpeg. Not masked: a
        # child process would inherit the mask.
        with files.signals_held(mask=False):
            self._encoder = _Encoder(
                self._temp_path,
                size=(width, height),
                pix_fmt_in="rgba" if frame.shape[2] == 4 else "rgb24",
                fps=self._input_rate(),
                codec=self.codec,
                pix_fmt_out=self.pix_fmt_out,
                output_params=[
                    *self._output_params(),
                    *("-threads", str(FFMPEG_THREADS)),
                    *("-map_metadata", "-1", "-fflags", "+bitexact", "-flags:v", "+bitexact"),
                    *("-f", self.muxer),
                ],
                inside=self._frames_inside(frame.nbytes),
            )

    def _frames_inside(self, frame_bytes: int) -> tuple[int, int] | None:
        """``(frames, unwritten)``: how many frames may be inside ffmpeg beyond those it
        has written out, and how many it is sent that it never writes; ``None``: no bound."""
        return None

    def _pad(self, frame: np.ndarray) -> np.ndarray:
        return frame

    def _write(self, frame: np.ndarray, repeat: int) -> None:
        data = self._pad(frame)
        if data is frame and not self._frame_is_new:
            data = frame.copy()  # the feeding thread reads it while the caller goes on
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
    (:func:`~visualizer.encoding.gif.gif_palette`), without dithering. It reaches ffmpeg
    as an extra first frame whose top-left 16x16 pixels are its 256 colours (in
    frames smaller than that, a few frames tiled together); the filter graph
    crops it into ``paletteuse``'s palette and drops it from the animation, so no
    palette file is ever written. ``paletteuse`` maps
    only the rectangle that changed (``diff_mode=rectangle``) and the GIF
    encoder stores only that rectangle, with unchanged pixels transparent, so
    frames where a few markers move cost a few hundred bytes. A held frame is
    one GIF frame with a longer delay.
    """

    suffix = ".gif"
    codec = "gif"
    pix_fmt_out = "pal8"
    muxer = "gif"
    _repeats: list[int]
    _carriers: tuple[int, int] = (1, 1)  # frames across and down that carry the palette
    _period = 0  # frame periods given so far (above 50 fps, where only some are kept)

    def grab_frame(self, frame: np.ndarray, *, repeat: int = 1, copy: bool = True) -> None:
        """Write one frame, shown for ``repeat`` frame periods.

        Above 50 fps (browsers slow shorter GIF delays down) the GIF keeps every
        :func:`~visualizer.encoding.pacing.gif_stride`-th period: a frame is
        written if one of its periods is kept, shown for as many kept periods.
        """
        stride = gif_stride(self.fps)
        if stride > 1 and isinstance(repeat, int | np.integer) and not isinstance(repeat, bool):
            start = self._period
            self._period = start + int(repeat)
            kept = -(-self._period // stride) - -(-start // stride)
            if kept == 0:
                return
            repeat = kept
        super().grab_frame(frame, repeat=repeat, copy=copy)

    def _input_rate(self) -> Fraction:
        # Time stamps on a 1/100 s grid, so every GIF delay is the same.
        return Fraction(100, gif_frame_duration_ms(self.fps) // 10)

    def _output_params(self) -> list[str]:
        last_cs = gif_frame_delays_cs([1], fps=self.fps, hold_last_ms=self.hold_last_ms)[-1]
        side = GIF_PALETTE_SIDE
        across, down = self._carriers
        count = across * down
        tile = f",tile={across}x{down}" if count > 1 else ""
        graph = (
            "[0:v]split[frames][first];"
            f"[first]trim=end_frame={count}{tile},crop={side}:{side}:0:0[palette];"
            f"[frames]trim=start_frame={count},setpts=PTS-STARTPTS[animation];"
            "[animation][palette]paletteuse=dither=none:diff_mode=rectangle[gif]"
        )
        return [
            *("-filter_complex", graph, "-filter_complex_threads", "1", "-map", "[gif]"),
            *("-gifflags", "+offsetting+transdiff", "-loop", "0", "-final_delay", str(last_cs)),
        ]

    def _frames_inside(self, frame_bytes: int) -> tuple[int, int] | None:
        # ffmpeg queues up to some 24 frames between its threads when its filter and
        # encoder are slower than the renderer (big frames): 800 MB at 3840x2160
        across, down = self._carriers
        return frames_inside_ffmpeg(frame_bytes), across * down

    def _start(self, frame: np.ndarray) -> None:
        self._repeats = []
        height, width, channels = frame.shape
        side = GIF_PALETTE_SIDE
        # Frames smaller than the palette carry it in pieces, tiled together again by ffmpeg.
        self._carriers = (-(-side // width), -(-side // height))
        super()._start(frame)
        across, down = self._carriers
        sheet = np.zeros((down * height, across * width, channels), np.uint8)
        sheet[:side, :side, :3] = gif_palette(frame, extra_colors=self.extra_colors).reshape(
            side, side, 3
        )
        if channels == 4:  # opaque where the palette is; the rest is cropped away, and
            sheet[:side, :side, 3] = 255  # its zero pages are never touched: no memory
        for row in range(down):
            for column in range(across):
                piece = sheet[
                    row * height : (row + 1) * height, column * width : (column + 1) * width
                ]
                self._encoder.write(np.ascontiguousarray(piece))

    def _write(self, frame: np.ndarray, repeat: int) -> None:
        self._repeats.append(repeat)
        super()._write(frame, 1)

    def _close(self) -> None:
        super()._close()
        stride = gif_stride(self.fps)
        if stride > 1 or any(repeat != 1 for repeat in self._repeats):
            hold_ms = self.hold_last_ms
            delays = (
                gif_delays_at_stride_cs(
                    self._repeats, fps=self.fps, stride=stride, hold_last_ms=hold_ms
                )
                if stride > 1
                else gif_frame_delays_cs(self._repeats, fps=self.fps, hold_last_ms=hold_ms)
            )
            try:
                data = bytearray(self._temp_path.read_bytes())
                set_gif_delays(data, delays)
                self._temp_path.write_bytes(data)
            except (ValueError, OSError) as error:
                reason = getattr(error, "strerror", None) or error
                raise WriterError(f"cannot write '{self.path}': {reason}") from None


class _VideoWriter(_FFmpegWriter):
    """A yuv420p video: BT.709 colours, odd sizes padded by one pixel.

    A held frame is the same picture ``repeat`` times in the video. With a plan
    (:meth:`plan_repeats`) it crosses the pipe once: ``setpts`` gives each frame
    the time it starts at, ffmpeg's ``fps`` filter fills the gaps with copies
    after the colour conversion, and a held last frame is sent a second time to
    mark where the video ends. The encoder sees the same frames at the same
    times, so the file has the same bytes.
    """

    pix_fmt_out = "yuv420p"
    _plan: list[int] | None = None

    def plan_repeats(self, repeats: Sequence[int]) -> None:
        plan = [int(r) for r in repeats]
        if any(not 1 <= r <= MAX_REPEAT for r in plan):
            raise ValueError(f"repeats must be from 1 to {MAX_REPEAT}")
        # one term of the timing expression per hold: beyond a few hundred, send copies
        self._plan = plan if sum(r != 1 for r in plan) <= MAX_PLANNED_HOLDS else None

    def _write(self, frame: np.ndarray, repeat: int) -> None:
        if self._plan is None:
            super()._write(frame, repeat)
            return
        index = self.frame_count
        if index >= len(self._plan) or repeat != self._plan[index]:
            planned = self._plan[index] if index < len(self._plan) else "no frame"
            raise WriterError(
                f"frame {index} comes with repeat {repeat}, but {planned} was planned"
            )
        last = index == len(self._plan) - 1
        super()._write(frame, 2 if last and repeat > 1 else 1)

    def _close(self) -> None:
        if self._plan is not None and self.frame_count != len(self._plan):
            raise WriterError(
                f"cannot write '{self.path}': {len(self._plan)} frames were planned,"
                f" {self.frame_count} came"
            )
        super()._close()

    def _timing(self) -> str:
        """The filters that place each sent frame at its start and fill the holds."""
        if self._plan is None:
            return ""
        # sent frame n starts at n + offset(n) frame periods; the copy of a held last
        # frame at the video's last period
        offsets, offset = [], 0
        for repeat in self._plan:
            offsets.append(offset)
            offset += repeat - 1
        if self._plan[-1] > 1:
            offsets.append(offset - 1)
        terms, previous = [], 0
        for n, value in enumerate(offsets):
            if value != previous:
                terms.append(f"+{value - previous}*gte(N\\,{n})")
                previous = value
        return f"setpts=N{''.join(terms)},"

    def _pad(self, frame: np.ndarray) -> np.ndarray:
        height, width = frame.shape[:2]
        if height % 2 == 0 and width % 2 == 0:
            return frame
        return np.pad(frame, ((0, height % 2), (0, width % 2), (0, 0)), mode="edge")

    def _color_params(self) -> list[str]:
        to_yuv = "scale=out_color_matrix=bt709:out_range=tv:flags=bicubic+accurate_rnd"
        tags = "setparams=color_primaries=bt709:color_trc=bt709:colorspace=bt709:range=tv"
        fill = f",fps={self.fps}" if self._plan is not None else ""
        graph = f"{self._timing()}{to_yuv},format=yuv420p,{tags}{fill}"
        return ["-vf", graph, "-filter_threads", "1"]


class Mp4Writer(_VideoWriter):
    """H.264 (libx264) MP4 that plays in browsers: yuv420p, index up front."""

    suffix = ".mp4"
    codec = "libx264"
    muxer = "mp4"

    def _output_params(self) -> list[str]:
        return [
            *self._color_params(),
            *("-preset", "veryfast", "-tune", "animation", "-crf", "20"),
            *("-movflags", "+faststart"),
        ]


class WebmWriter(_VideoWriter):
    """VP9 (libvpx-vp9) WebM, yuv420p, tuned for speed."""

    suffix = ".webm"
    codec = "libvpx-vp9"
    muxer = "webm"

    def _output_params(self) -> list[str]:
        return [
            *self._color_params(),
            *("-crf", "32", "-b:v", "0"),
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
        for index, item in enumerate(frames):
            frame, repeat = item if isinstance(item, tuple) else (item, 1)
            for column, writer in enumerate(writers):
                shown = repeat[column] if isinstance(repeat, tuple) else repeat
                if shown == 0:
                    continue  # not a frame of this file
                if poster_index is not None and writer.suffix == ".png" and index != poster_index:
                    continue  # a poster keeps only its frame
                writer.grab_frame(frame, repeat=shown, copy=copy)
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


class _Abort(BaseException):
    """Thrown into imageio-ffmpeg's generator: its policy for these is to kill ffmpeg."""


class _Encoder:
    """An ffmpeg process run by ``imageio_ffmpeg.write_frames``, fed from a thread.

    Frames are sent to the generator from one worker thread (writing to the
    pipe releases the GIL), so the caller renders the next frame while ffmpeg
    reads this one; at most :func:`queued_frames` frames wait (a few, fewer for
    big frames). ffmpeg is started without imageio-ffmpeg's ``preexec_fn``
    (:func:`_ffmpeg_starting`), safe beside other threads. ffmpeg's messages (level
    ``error``: any message is a failure) go to an anonymous temporary file,
    whose first line becomes the one-line reason of a failure.
    """

    def __init__(
        self,
        path: Path,
        *,
        size: tuple[int, int],
        pix_fmt_in: str,
        fps: Fraction,
        codec: str,
        pix_fmt_out: str,
        output_params: list[str],
        inside: tuple[int, int] | None = None,
    ) -> None:
        import imageio_ffmpeg

        self._inside = inside
        self._sent = 0  # frames handed to ffmpeg's pipe (by the feeding thread)
        self._written_out = 0  # frames ffmpeg says it has written, as last read
        self._read_to = 0  # how far the feeding thread has read the log
        if inside is not None:
            output_params = [*output_params, "-stats_period", str(PROGRESS_PERIOD_S)]
        self._log: IO[bytes] = tempfile.TemporaryFile()
        self._frames: Generator[None, Any, None] = imageio_ffmpeg.write_frames(
            str(path),
            size,
            pix_fmt_in=pix_fmt_in,
            pix_fmt_out=pix_fmt_out,
            fps=fps,
            codec=codec,
            quality=None,  # the codec's own quality options are in output_params
            macro_block_size=1,  # sizes are the writers' business (videos are padded to even)
            ffmpeg_log_level="error",
            # on its standard error, beside the errors: "key=value" progress lines, the
            # last "progress=end" once the file is complete (write_frames hides the exit status)
            output_params=["-hide_banner", "-nostats", "-progress", "pipe:2", *output_params],
        )
        self._process: subprocess.Popen[bytes] | None = None
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="lossviz-ffmpeg")
        self._pending: deque[Future[object]] = deque()
        self._failed = False
        try:
            # big frames: ffmpeg's glibc maps each buffer of 1 MiB or more on its own, and
            # unmaps it when freed, instead of keeping freed frames in its heap (-100 MB at 4K)
            big = inside is not None and inside[0] <= INSIDE_FFMPEG_FRAMES[0]
            env = {"MALLOC_MMAP_THRESHOLD_": str(1 << 20)} if big else {}
            with _ffmpeg_starting(self._log, env):
                self._frames.send(None)  # starts ffmpeg, its stderr now the log
        except OSError as error:
            self.kill()
            raise WriterError(f"cannot run ffmpeg: {error.strerror or error}") from None
        self._process = _generator_process(self._frames)
        if self._process is not None and self._process.stdin is not None:
            _widen_pipe(self._process.stdin.fileno())

    def write(self, frame: np.ndarray) -> bool:
        """Queue a contiguous frame; ``False`` once ffmpeg has stopped reading."""
        if self._failed:
            return False
        data = memoryview(frame).cast("B")
        self._pending.append(self._thread.submit(self._send, data))
        limit = queued_frames(data.nbytes)
        while self._pending and (len(self._pending) > limit or self._pending[0].done()):
            if self._pending.popleft().exception() is not None:
                self._failed = True
        return not self._failed

    def _send(self, data: memoryview) -> None:
        """Pipe one frame, first waiting (when bounded) until ffmpeg holds few enough."""
        if self._inside is not None:
            frames, unwritten = self._inside
            stalled = time.monotonic() + STALL_S
            while self._inside and self._sent - unwritten - self._written_out >= frames:
                if not self._read_progress():
                    if (
                        time.monotonic() > stalled
                        or self._process is None
                        or self._process.poll() is not None
                    ):
                        break  # ffmpeg says nothing (or has exited): the pipe decides
                    time.sleep(PROGRESS_PERIOD_S / 4)
                else:
                    stalled = time.monotonic() + STALL_S
        self._frames.send(data)
        self._sent += 1

    def _read_progress(self) -> bool:
        """Read ffmpeg's new ``frame=`` reports; ``True`` if the count went up.

        A line that is not a report is an error: ffmpeg may then never write another
        frame (nor exit while its input is open), so the bound is lifted and the
        pipe and :meth:`close` decide.
        """
        fd = self._log.fileno()
        new = os.pread(fd, 1 << 16, self._read_to)
        end = new.rfind(b"\n") + 1  # whole lines only
        self._read_to += end
        lines = new[:end].decode(errors="replace").splitlines()
        if _first_error(lines):
            self._inside = None
            return True
        counts = [line[6:] for line in lines if line.startswith("frame=")]
        if counts and int(counts[-1]) > self._written_out:
            self._written_out = int(counts[-1])
            return True
        return False

    def close(self) -> bool:
        """Send what is queued, let ffmpeg finish; ``True`` if all went well."""
        self._drain()
        try:
            self._frames.close()  # closes ffmpeg's input and waits for it
        except Exception:
            self._failed = True
        lines = self._lines()
        self._failed |= _first_error(lines) != "" or not _completed(lines)
        if self._process is not None:
            self._failed |= self._process.wait() != 0
        if not self._failed:
            self._log.close()
        return not self._failed

    def failure(self) -> str:
        """Stop ffmpeg if it still runs and return the first line of its complaint."""
        self._stop()
        return _first_error(self._lines()) or "ffmpeg stopped without saying why"

    def kill(self) -> None:
        """Stop ffmpeg at once and release everything."""
        self._stop()
        self._log.close()

    def _drain(self) -> None:
        # Every queued write ends: ffmpeg either reads it or has exited (a broken pipe).
        while self._pending:
            self._failed |= self._pending.popleft().exception() is not None
        self._thread.shutdown()

    def _stop(self) -> None:
        self._drain()
        with contextlib.suppress(_Abort, StopIteration, OSError, ValueError):
            self._frames.throw(_Abort())  # imageio-ffmpeg kills ffmpeg (without waiting)
        if self._process is not None:
            # gone before the temporary file is removed: a dying ffmpeg that was still
            # opening its output would otherwise create the file again
            self._process.wait()

    def _lines(self) -> list[str]:
        if self._log.closed:
            return []
        self._log.seek(0)
        return self._log.read().decode(errors="replace").splitlines()


def _completed(lines: list[str]) -> bool:
    """Whether ffmpeg's log says it completed the file (a killed ffmpeg says nothing)."""
    progress = [line for line in lines if _FFMPEG_PROGRESS.match(line)]
    return bool(progress) and progress[-1].strip() == "progress=end"


def _first_error(lines: list[str]) -> str:
    """The first error in ffmpeg's log, without its ``[codec @ 0x..]`` prefixes, or ``""``."""
    # The first error names the cause; later ones ("Error opening output files",
    # "Conversion failed!") only repeat that something failed.
    for line in lines:
        text = _FFMPEG_LOG_PREFIX.sub("", line).strip()
        if text and not _FFMPEG_PROGRESS.match(line):
            return text
    return ""


def _generator_process(frames: Generator[None, Any, None]) -> subprocess.Popen[bytes] | None:
    """The ffmpeg process of an ``imageio_ffmpeg.write_frames`` generator, if it can be found.

    imageio-ffmpeg keeps the process to itself; the generator's suspended frame
    holds it as ``p``. With it, a killed ffmpeg is waited for and the exit status
    is checked; without it (another imageio-ffmpeg), ``progress=end`` alone
    tells that the file is complete.
    """
    frame = getattr(frames, "gi_frame", None)
    process = frame.f_locals.get("p") if frame is not None else None
    return process if isinstance(process, subprocess.Popen) else None


def _widen_pipe(fd: int) -> None:
    """Let the pipe to ffmpeg hold :data:`PIPE_BYTES` (Linux), so a frame crosses in a
    few writes instead of one per 64 KiB: fewer wake-ups of both processes."""
    setter = getattr(fcntl, "F_SETPIPE_SZ", None) if fcntl is not None else None
    if setter is None:
        return
    with contextlib.suppress(OSError):  # above /proc/sys/fs/pipe-max-size: keep the default
        fcntl.fcntl(fd, setter, PIPE_BYTES)


@contextmanager
def _ffmpeg_starting(log: IO[bytes], env: dict[str, str] | None = None) -> Iterator[None]:
    """How ffmpeg is started: standard error into ``log``, and no Python code before exec.

    imageio-ffmpeg leaves ffmpeg's standard error to the parent's; this makes
    ``log`` file descriptor 2 while the process starts, so ffmpeg inherits it.
    imageio-ffmpeg also starts ffmpeg through a ``preexec_fn`` (a process group of
    its own, away from Ctrl-C), which forks the whole process and runs Python in
    the child: with other threads alive (an orbit's process pool, another
    writer) the child can hang on a lock before exec, as imageio-ffmpeg's own
    ``IMAGEIO_FFMPEG_NO_PREVENT_SIGINT`` switch says; it is set while ffmpeg
    starts. ffmpeg then shares our process group: Ctrl-C stops it too, which
    is what the abort that follows does anyway. ``env``: more environment
    variables for ffmpeg. Only the start runs inside, in the main thread.
    """
    variables = {"IMAGEIO_FFMPEG_NO_PREVENT_SIGINT": "1", **(env or {})}
    previous = {name: os.environ.get(name) for name in variables}
    os.environ.update(variables)
    try:
        if log.fileno() == 2:  # standard error was closed, and the log took its number
            yield
            return
        if sys.stderr is not None:
            sys.stderr.flush()
        try:
            saved: int | None = os.dup(2)
        except OSError:  # standard error is closed: restore that afterwards
            saved = None
        os.dup2(log.fileno(), 2)
        try:
            yield
        finally:
            if saved is None:
                os.close(2)
            else:
                os.dup2(saved, 2)
                os.close(saved)
    finally:
        for name, value in previous.items():
            if value is None:
                del os.environ[name]
            else:
                os.environ[name] = value


def frames_inside_ffmpeg(frame_bytes: int) -> int:
    """How many frames of ``frame_bytes`` a GIF's ffmpeg may hold that it has not written.

    Examples
    --------
    >>> frames_inside_ffmpeg(1280 * 720 * 4), frames_inside_ffmpeg(3840 * 2160 * 4)
    (18, 3)
    """
    low, high = INSIDE_FFMPEG_FRAMES
    return max(low, min(high, INSIDE_FFMPEG_BYTES // max(1, frame_bytes)))


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


def _ffmpeg_exe() -> str:
    try:
        import imageio_ffmpeg
    except ImportError:
        raise WriterError("writing .gif, .mp4 or .webm needs the imageio-ffmpeg package") from None
    try:
        return imageio_ffmpeg.get_ffmpeg_exe()
    except RuntimeError as error:
        raise WriterError(f"ffmpeg not found: {error}".splitlines()[0]) from None
