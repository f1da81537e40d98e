"""The writers that encode with ffmpeg: GIF, MP4 (H.264) and WebM (VP9).

Public names are re-exported by :mod:`visualizer.encoding.writers`.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from typing import ClassVar

import numpy as np

from visualizer.encoding import files
from visualizer.encoding._base import MAX_REPEAT, FrameWriter
from visualizer.encoding._ffmpeg import FFMPEG_THREADS, Encoder, ffmpeg_exe, frames_inside_ffmpeg
from visualizer.encoding.errors import WriterError
from visualizer.encoding.gif import (
    GIF_PALETTE_SIDE,
    gif_delays_at_stride_cs,
    gif_frame_delays_cs,
    gif_frame_duration_ms,
    gif_palette,
    set_gif_delays,
)
from visualizer.encoding.pacing import gif_stride

MAX_PLANNED_HOLDS = 500  # held frames a video's timing expression names at most


class FFmpegWriter(FrameWriter):
    """Raw ``rgb24`` or ``rgba`` frames to ffmpeg, which writes the temporary file.

    A subclass names its codec and output pixel format and adds its output
    options; :class:`Encoder` runs ffmpeg.
    """

    codec: ClassVar[str] = ""
    pix_fmt_out: ClassVar[str] = ""
    muxer: ClassVar[str] = ""
    _encoder: Encoder | None = None

    def setup(self) -> None:
        ffmpeg_exe()  # a missing ffmpeg fails before the temporary file exists
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
            self._encoder = Encoder(
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


class GifWriter(FFmpegWriter):
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


class VideoWriter(FFmpegWriter):
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


class Mp4Writer(VideoWriter):
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


class WebmWriter(VideoWriter):
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
