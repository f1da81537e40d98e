"""The ffmpeg process of a writer: started, fed from a thread, its log read.

:class:`Encoder` is what the GIF, MP4 and WebM writers
(:mod:`visualizer.encoding._ffmpeg_writers`) hand their frames to.
"""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import tempfile
import time
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from fractions import Fraction
from pathlib import Path
from typing import IO

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None  # type: ignore[assignment]

import numpy as np

from visualizer.encoding.errors import WriterError
from visualizer.encoding.processes import die_with_parent_command

PIPE_QUEUE_FRAMES = 4  # frames waiting for ffmpeg at most: bounded memory
PIPE_BYTES = 1 << 20  # the pipe to ffmpeg holds this much (Linux's default maximum)
PIPE_QUEUE_BYTES = 16 << 20  # and no more bytes than this, unless a single frame is larger
INSIDE_FFMPEG_BYTES = 64 << 20  # frames inside a GIF's ffmpeg, not yet written out, at most
INSIDE_FFMPEG_FRAMES = (3, 24)  # and never fewer or more frames than these
PROGRESS_PERIOD_S = 0.02  # how often ffmpeg reports the frames it has written, when bounded
STALL_S = 2.0  # no report for this long: send the next frame anyway (never a deadlock)
FFMPEG_THREADS = 2  # fixed, never "auto": output must not depend on the machine
_FFMPEG_LOG_PREFIX = re.compile(r"^(\[[^\]]* @ 0x[0-9a-f]+\] *)+")  # "[libx264 @ 0x55d0] "
_FFMPEG_PROGRESS = re.compile(r"^[a-z0-9_]+=")  # "frame=12", ..., "progress=end"


class Encoder:
    """An ffmpeg process of our own (``subprocess.Popen``), fed raw frames from a thread.

    As matplotlib's ``FFMpegWriter`` does: ffmpeg is found with
    ``imageio_ffmpeg.get_ffmpeg_exe()`` and started here, so its process, its standard
    error and its environment are ours. Frames are written to its standard input from
    one worker thread (writing to the pipe releases the GIL), so the caller renders the
    next frame while ffmpeg reads this one; at most :func:`queued_frames` frames wait
    (a few, fewer for big frames). ffmpeg starts without a ``preexec_fn`` (no Python
    code runs between fork and exec: safe beside other threads) and in our process
    group, so Ctrl-C stops it too, as the abort that follows would; the kernel kills it
    if our process dies (:func:`~visualizer.encoding.processes.die_with_parent_command`,
    where util-linux's ``setpriv`` is installed). Its messages
    (level ``error``: any message is a failure) go to an anonymous temporary file,
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
        self._inside = inside
        self._sent = 0  # frames handed to ffmpeg's pipe (by the feeding thread)
        self._written_out = 0  # frames ffmpeg says it has written, as last read
        self._read_to = 0  # how far the feeding thread has read the log
        if inside is not None:
            output_params = [*output_params, "-stats_period", str(PROGRESS_PERIOD_S)]
        command = ffmpeg_command(
            path,
            size=size,
            pix_fmt_in=pix_fmt_in,
            fps=fps,
            codec=codec,
            pix_fmt_out=pix_fmt_out,
            # on its standard error, beside the errors: "key=value" progress lines, the
            # last "progress=end" once the file is complete
            output_params=["-hide_banner", "-nostats", "-progress", "pipe:2", *output_params],
        )
        self._log: IO[bytes] = tempfile.TemporaryFile()
        self._process: subprocess.Popen[bytes] | None = None
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="lossviz-ffmpeg")
        self._pending: deque[Future[object]] = deque()
        self._failed = False
        # big frames: ffmpeg's glibc maps each buffer of 1 MiB or more on its own, and
        # unmaps it when freed, instead of keeping freed frames in its heap (-100 MB at 4K)
        big = inside is not None and inside[0] <= INSIDE_FFMPEG_FRAMES[0]
        env = {**os.environ, "MALLOC_MMAP_THRESHOLD_": str(1 << 20)} if big else None
        try:
            self._process = subprocess.Popen(
                [*die_with_parent_command(), *command],  # dies with us, even by SIGKILL
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=self._log,
                env=env,
            )
        except OSError as error:
            self.kill()
            raise WriterError(f"cannot run ffmpeg: {error.strerror or error}") from None
        assert self._process.stdin is not None
        self._stdin: IO[bytes] = self._process.stdin
        _widen_pipe(self._stdin.fileno())

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
        self._stdin.write(data)
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
        assert self._process is not None
        try:
            self._stdin.close()  # ffmpeg reads the end of its input and finishes the file
        except OSError:  # it had exited: what was left in the buffer could not go
            self._failed = True
        try:
            status = self._process.wait()
        except BaseException:  # interrupted while waiting: do not leave ffmpeg running
            self._stop()
            raise
        lines = self._lines()
        self._failed |= status != 0 or _first_error(lines) != "" or not _completed(lines)
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
        process = self._process
        if process is not None and process.poll() is None:
            process.kill()  # a write blocked on its full pipe now ends (a broken pipe)
        self._drain()
        if process is not None:
            with contextlib.suppress(OSError, ValueError):
                self._stdin.close()
            # gone before the temporary file is removed: a dying ffmpeg that was still
            # opening its output would otherwise create the file again
            process.wait()

    def _lines(self) -> list[str]:
        if self._log.closed:
            return []
        self._log.seek(0)
        return self._log.read().decode(errors="replace").splitlines()


def ffmpeg_command(
    path: Path,
    *,
    size: tuple[int, int],
    pix_fmt_in: str,
    fps: Fraction,
    codec: str,
    pix_fmt_out: str,
    output_params: list[str],
) -> list[str]:
    """The ffmpeg command that reads raw frames on its standard input and writes ``path``.

    Examples
    --------
    >>> command = ffmpeg_command(Path("a.gif"), size=(64, 36), pix_fmt_in="rgb24",
    ...     fps=Fraction(20), codec="gif", pix_fmt_out="pal8", output_params=["-f", "gif"])
    >>> command[1:]  # doctest: +NORMALIZE_WHITESPACE
    ['-y', '-f', 'rawvideo', '-vcodec', 'rawvideo', '-s', '64x36', '-pix_fmt', 'rgb24',
     '-r', '20', '-i', '-', '-an', '-vcodec', 'gif', '-pix_fmt', 'pal8', '-v', 'error',
     '-f', 'gif', 'a.gif']
    """
    width, height = size
    return [
        ffmpeg_exe(),
        *("-y", "-f", "rawvideo", "-vcodec", "rawvideo", "-s", f"{width:d}x{height:d}"),
        *("-pix_fmt", pix_fmt_in, "-r", str(Fraction(fps))),
        *("-i", "-", "-an"),
        *("-vcodec", codec, "-pix_fmt", pix_fmt_out),
        *("-v", "error"),
        *output_params,
        str(path),
    ]


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


def _widen_pipe(fd: int) -> None:
    """Let the pipe to ffmpeg hold :data:`PIPE_BYTES` (Linux), so a frame crosses in a
    few writes instead of one per 64 KiB: fewer wake-ups of both processes."""
    setter = getattr(fcntl, "F_SETPIPE_SZ", None) if fcntl is not None else None
    if setter is None:
        return
    with contextlib.suppress(OSError):  # above /proc/sys/fs/pipe-max-size: keep the default
        fcntl.fcntl(fd, setter, PIPE_BYTES)


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


def ffmpeg_exe() -> str:
    try:
        import imageio_ffmpeg
    except ImportError:
        raise WriterError("writing .gif, .mp4 or .webm needs the imageio-ffmpeg package") from None
    try:
        return imageio_ffmpeg.get_ffmpeg_exe()
    except RuntimeError as error:
        raise WriterError(f"ffmpeg not found: {error}".splitlines()[0]) from None
