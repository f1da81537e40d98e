"""Tests for :mod:`visualizer.encoding.writers`: formats read back, atomicity, determinism."""

from __future__ import annotations

import os
import struct
import subprocess
from pathlib import Path

import numpy as np
import pytest
from helpers import ALL_SUFFIXES, GIF, gif_frames, needs_encoder
from PIL import Image

from visualizer.encoding import _ffmpeg, _ffmpeg_writers, writers
from visualizer.encoding.writers import (
    OutputPathError,
    WriterError,
    check_output_path,
    gif_frame_duration_ms,
    gif_palette,
    saving,
    write_frames,
)

imageio_ffmpeg = pytest.importorskip("imageio_ffmpeg", reason="encoding needs imageio-ffmpeg")

HEIGHT, WIDTH = 64, 96
BANDS = np.array([[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]])
BALLS = np.array([[228, 26, 28], [55, 126, 184], [255, 127, 0]])
LATE_COLOR = (255, 0, 255)  # appears only from frame 5 on


def make_frames(n: int = 10, height: int = HEIGHT, width: int = WIDTH) -> list[np.ndarray]:
    """Flat colour bands, a legend patch per ball, balls that move, then stop."""
    rows = np.arange(height) * len(BANDS) // height
    background = np.repeat(BANDS[rows][:, np.newaxis], width, axis=1).astype(np.uint8)
    for i, color in enumerate(BALLS):
        background[2 + 4 * i : 4 + 4 * i, width - 12 : width - 2] = color
    frames = []
    for k in range(n):
        frame = background.copy()
        step = min(k, n - 3)  # the last frames repeat: unchanged frames must work
        for i, color in enumerate(BALLS):
            y, x = 8 + 16 * i, 4 + 6 * step
            frame[y : y + 6, x : x + 6] = color
        if k >= 5:
            frame[height - 8 : height - 2, 2 + 3 * k : 8 + 3 * k] = LATE_COLOR
        frames.append(frame)
    return frames


def video_stream(path: Path) -> str:
    """The ``Video:`` line of ``ffmpeg -i path``."""
    exe = imageio_ffmpeg.get_ffmpeg_exe()
    stderr = subprocess.run([exe, "-hide_banner", "-i", str(path)], capture_output=True, text=True)
    return next(line for line in stderr.stderr.splitlines() if "Video:" in line)


def gif_structure(data: bytes) -> dict:
    """Parse a GIF's blocks: global palette size, loop count, and per frame its
    delay, transparency flag, rectangle and whether it has a local palette."""
    assert data[:6] == b"GIF89a"
    flags = data[10]
    pos = 13
    global_size = 0
    if flags & 0x80:
        global_size = 2 ** ((flags & 7) + 1)
        pos += 3 * global_size

    def skip_sub_blocks(pos: int) -> int:
        while data[pos]:
            pos += data[pos] + 1
        return pos + 1

    frames, loop, control = [], None, {}
    while data[pos] != 0x3B:
        if data[pos] == 0x21:  # extension
            label = data[pos + 1]
            if label == 0xF9:
                packed, delay_cs = struct.unpack("<BH", data[pos + 3 : pos + 6])
                control = {"delay_cs": delay_cs, "transparent": bool(packed & 1)}
            elif label == 0xFF and data[pos + 3 : pos + 14] == b"NETSCAPE2.0":
                loop = struct.unpack("<H", data[pos + 16 : pos + 18])[0]
            pos = skip_sub_blocks(pos + 2)
        elif data[pos] == 0x2C:  # image descriptor
            rect = struct.unpack("<HHHH", data[pos + 1 : pos + 9])
            local = bool(data[pos + 9] & 0x80)
            pos += 10 + (3 * 2 ** ((data[pos + 9] & 7) + 1) if local else 0)
            pos = skip_sub_blocks(pos + 1)  # after the LZW code size
            frames.append({**control, "rect": rect, "local_palette": local})
        else:
            raise AssertionError(f"unexpected GIF block 0x{data[pos]:02x}")
    return {"global_palette_size": global_size, "loop": loop, "frames": frames}


def files_in(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir())


# fps -> delay


@pytest.mark.parametrize(
    ("fps", "expected_ms"),
    [(1, 1000), (10, 100), (20, 50), (24, 40), (25, 40), (30, 30), (40, 30), (50, 20), (100, 20)],
)
def test_gif_frame_duration_ms_rounds_to_centiseconds(fps, expected_ms):
    assert gif_frame_duration_ms(fps) == expected_ms


@pytest.mark.parametrize("fps", [0, 101, -5, 2.5, True, "30"])
def test_fps_out_of_range_is_a_value_error(fps, tmp_path):
    with pytest.raises(ValueError, match="fps must"):
        gif_frame_duration_ms(fps)
    with pytest.raises(ValueError, match="fps must"):
        write_frames(tmp_path / "a.gif", make_frames(2), fps=fps)
    assert files_in(tmp_path) == []


# Paths


@pytest.mark.parametrize("name", ["anim.avi", "anim", "anim.gif.bak", "anim.jpg"])
def test_bad_suffix_is_a_one_line_value_error(name, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = Path(name)  # short: a long path is shortened in the message
    with pytest.raises(ValueError) as caught:
        check_output_path(path)
    assert str(caught.value) == f"'{path}' must end with .gif, .mp4, .webm, .png or .html"
    assert writers.SUFFIXES == (".gif", ".mp4", ".webm", ".png", ".html")


def test_suffix_is_case_insensitive(tmp_path):
    assert check_output_path(tmp_path / "A.GIF") == tmp_path / "A.GIF"


def test_missing_folder_fails_before_rendering(tmp_path):
    rendered = []

    def frames():
        rendered.append(True)
        yield from make_frames(2)

    with pytest.raises(OutputPathError, match=r"output folder '.*nope' does not exist"):
        write_frames(tmp_path / "nope" / "a.gif", frames(), fps=10)
    assert rendered == []
    assert files_in(tmp_path) == []
    with pytest.raises(ValueError), saving(tmp_path / "nope" / "a.mp4", fps=10):  # bad input
        pytest.fail("the body must not run")


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root can write anywhere")
def test_unwritable_folder_fails_early(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir(mode=0o500)
    with pytest.raises(OutputPathError, match="not writable"), saving(folder / "a.gif", fps=10):
        pytest.fail("the body must not run")


# GIF


@needs_encoder("gif")
def test_gif_reads_back_exactly(tmp_path):
    frames = make_frames()
    path = write_frames(tmp_path / "a.gif", frames, fps=20, extra_colors=[LATE_COLOR])
    decoded, durations, image = gif_frames(path)
    assert image.size == (WIDTH, HEIGHT)
    assert image.info["loop"] == 0
    assert len(decoded) == len(frames)
    assert durations == [50] * 9 + [1000]
    for got, expected in zip(decoded, frames, strict=True):
        np.testing.assert_array_equal(got, expected)


@needs_encoder("gif")
def test_gif_has_one_global_palette_and_stores_only_changes(tmp_path):
    path = write_frames(tmp_path / "a.gif", make_frames(), fps=20, hold_last_ms=1500)
    gif = gif_structure(path.read_bytes())
    assert gif["loop"] == 0
    assert gif["global_palette_size"] == 256
    assert not any(frame["local_palette"] for frame in gif["frames"])
    assert [frame["delay_cs"] for frame in gif["frames"]] == [5] * 9 + [150]
    assert gif["frames"][0]["rect"] == (0, 0, WIDTH, HEIGHT)
    for frame in gif["frames"][1:]:  # only the rectangle around the moving balls
        _, _, width, height = frame["rect"]
        assert width * height < WIDTH * HEIGHT / 2
    assert any(frame["transparent"] for frame in gif["frames"][1:])


@needs_encoder("gif")
@pytest.mark.parametrize(("fps", "hold_last_ms", "last_ms"), [(30, 1000, 1000), (30, 0, 30)])
def test_gif_delays_when_fps_does_not_divide_100(tmp_path, fps, hold_last_ms, last_ms):
    path = write_frames(tmp_path / "a.gif", make_frames(4), fps=fps, hold_last_ms=hold_last_ms)
    _, durations, _ = gif_frames(path)
    assert durations == [gif_frame_duration_ms(fps)] * 3 + [last_ms]


@needs_encoder("gif")
def test_gif_extra_colors_are_exact_in_later_frames(tmp_path):
    frames = make_frames()
    path = write_frames(tmp_path / "a.gif", frames, fps=10, extra_colors=[LATE_COLOR])
    decoded, _, _ = gif_frames(path)
    mask = (frames[-1] == LATE_COLOR).all(axis=-1)
    assert mask.any()
    assert (decoded[-1][mask] == LATE_COLOR).all()


def test_gif_palette_keeps_extras_first_and_flat_colours_exactly():
    rng = np.random.default_rng(0)
    frame = make_frames(1)[0]
    noisy = frame.copy()  # > 256 colours: sprinkle anti-aliasing-like noise
    noisy[::3, ::2] = rng.integers(0, 256, noisy[::3, ::2].shape, dtype=np.uint8)
    palette = gif_palette(noisy, extra_colors=[LATE_COLOR, (1, 2, 3), LATE_COLOR])
    assert palette.shape == (256, 3)
    assert palette.dtype == np.uint8
    assert palette[:2].tolist() == [list(LATE_COLOR), [1, 2, 3]]
    colors = {tuple(color) for color in palette.tolist()}
    assert {tuple(color) for color in BANDS.tolist()} <= colors
    assert {tuple(color) for color in BALLS.tolist()} <= colors


def test_gif_palette_of_few_colours_is_exact():
    frame = make_frames(1)[0]
    palette = gif_palette(frame)
    distinct = {tuple(color) for color in frame.reshape(-1, 3).tolist()}
    assert {tuple(color) for color in palette.tolist()} == distinct


@needs_encoder("gif")
def test_gif_of_many_colours_is_close(tmp_path):
    y, x = np.mgrid[0:HEIGHT, 0:WIDTH]
    gradient = np.stack([x * 255 // WIDTH, y * 255 // HEIGHT, (x + y) % 256], axis=-1)
    frames = [np.roll(gradient, 3 * k, axis=1).astype(np.uint8) for k in range(3)]
    decoded, _, _ = gif_frames(write_frames(tmp_path / "a.gif", frames, fps=10))
    for got, expected in zip(decoded, frames, strict=True):
        assert np.abs(got.astype(int) - expected).mean() < 12


# Video and poster


@needs_encoder("libx264")
def test_mp4_is_browser_friendly_h264(tmp_path):
    path = write_frames(tmp_path / "a.mp4", make_frames(), fps=20)
    stream = video_stream(path)
    assert "h264" in stream
    assert "yuv420p" in stream
    assert f"{WIDTH}x{HEIGHT}" in stream
    assert imageio_ffmpeg.count_frames_and_secs(str(path))[0] == 10
    data = path.read_bytes()
    assert data.index(b"moov") < data.index(b"mdat")  # +faststart


@needs_encoder("libx264")
def test_mp4_odd_size_is_padded_to_even(tmp_path):
    frames = make_frames(3, height=HEIGHT - 1, width=WIDTH - 1)
    path = write_frames(tmp_path / "a.mp4", frames, fps=10)
    assert f"{WIDTH}x{HEIGHT}" in video_stream(path)


@needs_encoder("libvpx-vp9")
def test_webm_is_vp9(tmp_path):
    path = write_frames(tmp_path / "a.webm", make_frames(), fps=20)
    stream = video_stream(path)
    assert "vp9" in stream
    assert "yuv420p" in stream
    assert imageio_ffmpeg.count_frames_and_secs(str(path))[0] == 10


@pytest.mark.parametrize("suffix", ALL_SUFFIXES)
def test_opaque_rgba_frames_give_the_same_file_as_rgb(tmp_path, suffix):
    frames = make_frames(4)
    rgba = [np.dstack([frame, np.full(frame.shape[:2], 255, np.uint8)]) for frame in frames]
    from_rgb = write_frames(tmp_path / f"rgb{suffix}", frames, fps=10)
    from_rgba = write_frames(tmp_path / f"rgba{suffix}", rgba, fps=10)
    assert from_rgb.read_bytes() == from_rgba.read_bytes()


def test_png_is_the_last_frame(tmp_path):
    frames = make_frames()
    consumed = []

    def render():
        for frame in frames:
            consumed.append(1)
            yield frame

    path = write_frames(tmp_path / "poster.png", render(), fps=20)
    assert len(consumed) == len(frames)
    np.testing.assert_array_equal(np.asarray(Image.open(path).convert("RGB")), frames[-1])


def test_png_copies_frames_that_the_renderer_reuses(tmp_path):
    buffer = np.zeros((HEIGHT, WIDTH, 3), np.uint8)
    with saving(tmp_path / "poster.png", fps=10) as writer:
        for value in (10, 20, 30):
            buffer[:] = value
            writer.grab_frame(buffer)
        buffer[:] = 99
    assert (np.asarray(Image.open(tmp_path / "poster.png")) == 30).all()


# Determinism and streaming


@pytest.mark.parametrize("suffix", ALL_SUFFIXES)
def test_same_frames_give_identical_bytes(tmp_path, suffix):
    frames = make_frames()
    first = write_frames(tmp_path / f"a{suffix}", frames, fps=20)
    second = write_frames(tmp_path / f"b{suffix}", frames, fps=20)
    assert first.read_bytes() == second.read_bytes()


@pytest.mark.parametrize("suffix", ALL_SUFFIXES)
def test_frames_are_streamed_not_collected(tmp_path, suffix):
    events = []

    def render():
        for index, frame in enumerate(make_frames(5)):
            events.append(("render", index))
            yield frame

    path = write_frames(
        tmp_path / f"a{suffix}", render(), fps=10, on_frame=lambda i: events.append(("wrote", i))
    )
    assert path == tmp_path / f"a{suffix}"
    assert events == [(event, i) for i in range(5) for event in ("render", "wrote")]


# Atomicity and errors


@pytest.mark.parametrize("suffix", ALL_SUFFIXES)
@pytest.mark.parametrize("error", [RuntimeError, KeyboardInterrupt])
def test_exception_inside_saving_leaves_no_file(tmp_path, suffix, error):
    with pytest.raises(error), saving(tmp_path / f"a{suffix}", fps=10) as writer:
        for frame in make_frames(3):
            writer.grab_frame(frame)
        assert len(files_in(tmp_path)) == 1  # the hidden temporary file
        raise error("stop")
    assert files_in(tmp_path) == []


@pytest.mark.parametrize("suffix", [GIF, ".png"])
def test_existing_file_is_untouched_on_failure_and_replaced_on_success(tmp_path, suffix):
    path = tmp_path / f"a{suffix}"
    path.write_bytes(b"old")
    with pytest.raises(ZeroDivisionError), saving(path, fps=10) as writer:
        writer.grab_frame(make_frames(1)[0])
        1 / 0  # noqa: B018
    assert path.read_bytes() == b"old"
    write_frames(path, make_frames(2), fps=10)
    assert path.read_bytes() != b"old"
    assert files_in(tmp_path) == [path.name]


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_output_has_ordinary_permissions(tmp_path):
    umask = os.umask(0)
    os.umask(umask)
    path = write_frames(tmp_path / "a.png", make_frames(1), fps=10)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask


@pytest.mark.parametrize("suffix", ALL_SUFFIXES)
def test_zero_frames_is_an_error_and_no_file(tmp_path, suffix):
    with pytest.raises(WriterError, match=r"^no frames to write$"):
        write_frames(tmp_path / f"a{suffix}", [], fps=10)
    assert files_in(tmp_path) == []


@pytest.mark.parametrize("suffix", ALL_SUFFIXES)
def test_frame_of_another_size_is_an_error(tmp_path, suffix):
    frames = [make_frames(1)[0], make_frames(1, height=HEIGHT + 2)[0]]
    with pytest.raises(WriterError, match="frame 1 is 96x66 pixels, but the first frame is 96x64"):
        write_frames(tmp_path / f"a{suffix}", frames, fps=10)
    assert files_in(tmp_path) == []


@pytest.mark.parametrize(
    "frame",
    [np.zeros((8, 8, 3), np.float32), np.zeros((8, 8, 2), np.uint8), np.zeros((8, 8), np.uint8)],
)
def test_malformed_frame_is_an_error(tmp_path, frame):
    with pytest.raises(WriterError, match=r"must be a uint8 array of shape \(H, W, 3\) or"):
        write_frames(tmp_path / "a.gif", [frame], fps=10)
    assert files_in(tmp_path) == []


@needs_encoder("libx264")
@pytest.mark.parametrize("size", [(8, 8), (256, 256)])  # fails in finish / while writing
def test_encoder_failure_is_a_one_line_writer_error(tmp_path, monkeypatch, size):
    monkeypatch.setattr(writers.Mp4Writer, "_output_params", lambda self: ["-crf", "banana"])
    path = tmp_path / "a.mp4"
    path.write_bytes(b"old")
    frames = (np.zeros((*size, 3), np.uint8) for _ in range(20))
    with pytest.raises(WriterError) as caught:
        write_frames(path, frames, fps=10)
    message = str(caught.value)
    assert message.startswith(f"ffmpeg could not write '{path}': ")
    assert "banana" in message
    assert "\n" not in message
    assert path.read_bytes() == b"old"
    assert files_in(tmp_path) == ["a.mp4"]


def test_missing_ffmpeg_fails_early(tmp_path, monkeypatch):
    def no_ffmpeg():
        raise RuntimeError("No ffmpeg exe could be found.\nInstall ffmpeg on your system.")

    monkeypatch.setattr(imageio_ffmpeg, "get_ffmpeg_exe", no_ffmpeg)
    expected = r"^ffmpeg not found: No ffmpeg exe could be found\.$"
    with pytest.raises(WriterError, match=expected), saving(tmp_path / "a.mp4", fps=10):
        pytest.fail("the body must not run")
    assert files_in(tmp_path) == []


@pytest.mark.parametrize(
    "options",
    [{"hold_last_ms": -1}, {"extra_colors": [(256, 0, 0)]}, {"extra_colors": [(1, 2)]}],
)
def test_bad_options_are_value_errors(tmp_path, options):
    with pytest.raises(ValueError):
        write_frames(tmp_path / "a.gif", make_frames(1), fps=10, **options)
    assert files_in(tmp_path) == []


# Held frames


@needs_encoder("gif")
def test_gif_held_frames_are_one_frame_with_a_longer_delay(tmp_path):
    frames = make_frames(4)
    held = [(frames[0], 20), frames[1], frames[2], (frames[3], 3)]
    path = write_frames(tmp_path / "a.gif", held, fps=20, hold_last_ms=0)
    decoded, durations, _ = gif_frames(path)
    assert durations == [1000, 50, 50, 150]
    for got, expected in zip(decoded, frames, strict=True):
        np.testing.assert_array_equal(got, expected)
    plain = write_frames(tmp_path / "b.gif", frames, fps=20, hold_last_ms=0).read_bytes()
    assert len(path.read_bytes()) == len(plain)  # only the delays differ


@needs_encoder("libx264")
def test_video_held_frames_are_repeated(tmp_path):
    frames = make_frames(3)
    path = write_frames(tmp_path / "a.mp4", [(frames[0], 5), frames[1], frames[2]], fps=10)
    assert imageio_ffmpeg.count_frames_and_secs(str(path))[0] == 7


PLANS = {
    "holds at both ends": [5, 1, 1, 1, 1, 1, 1, 3],
    "a slow middle": [1, 1, 4, 4, 1, 1, 1, 1],
    "held last only": [1, 1, 1, 1, 1, 1, 1, 6],
    "no holds": [1] * 8,
}


@pytest.mark.parametrize("suffix", [".mp4", ".webm"])
@pytest.mark.parametrize("plan", PLANS.values(), ids=PLANS.keys())
def test_a_video_with_a_plan_pipes_each_frame_once_and_has_the_same_bytes(
    tmp_path, monkeypatch, suffix, plan
):
    frames = make_frames(len(plan))
    held = list(zip(frames, plan, strict=True))
    copies = writers.write_frames_to_all([tmp_path / f"copies{suffix}"], held, fps=10)[0]
    sent = []
    write = _ffmpeg.Encoder.write
    monkeypatch.setattr(_ffmpeg.Encoder, "write", lambda self, f: sent.append(1) or write(self, f))
    planned = writers.write_frames_to_all(
        [tmp_path / f"planned{suffix}"], held, fps=10, repeats=plan
    )[0]
    assert planned.read_bytes() == copies.read_bytes()
    assert len(sent) == len(plan) + (plan[-1] > 1)  # a held last frame marks the end
    assert imageio_ffmpeg.count_frames_and_secs(str(planned))[0] == sum(plan)


def test_a_video_refuses_frames_that_break_its_plan(tmp_path):
    frames = make_frames(3)
    with pytest.raises(WriterError, match="frame 1 comes with repeat 1, but 2 was planned"):
        writers.write_frames_to_all([tmp_path / "a.mp4"], frames, fps=10, repeats=[1, 2, 1])
    with pytest.raises(WriterError, match="4 frames were planned, 3 came"):
        writers.write_frames_to_all([tmp_path / "a.mp4"], frames, fps=10, repeats=[1] * 4)
    with pytest.raises(WriterError, match="repeat 1, but no frame was planned"):
        writers.write_frames_to_all([tmp_path / "a.mp4"], frames, fps=10, repeats=[1, 1])
    assert files_in(tmp_path) == []


def test_a_plan_of_very_many_holds_sends_copies_with_the_same_bytes(tmp_path, monkeypatch):
    monkeypatch.setattr(_ffmpeg_writers, "MAX_PLANNED_HOLDS", 2)
    frames = make_frames(4)
    plan = [2, 2, 2, 1]
    held = list(zip(frames, plan, strict=True))
    planned = writers.write_frames_to_all([tmp_path / "p.mp4"], held, fps=10, repeats=plan)[0]
    copies = writers.write_frames_to_all([tmp_path / "c.mp4"], held, fps=10)[0]
    assert planned.read_bytes() == copies.read_bytes()


def test_a_gif_keeps_few_unwritten_frames_inside_ffmpeg(tmp_path, monkeypatch):
    """Big frames wait for ffmpeg's progress reports: its queues never fill (800 MB at 4K)."""
    frames = make_frames(24)
    plain = write_frames(tmp_path / "plain.gif", frames, fps=10).read_bytes()
    monkeypatch.setattr(_ffmpeg, "INSIDE_FFMPEG_BYTES", 1)  # every size is "big": 3 frames
    inside, send = [], _ffmpeg.Encoder._send

    def counting(self, data):
        send(self, data)
        _, unwritten = self._inside
        inside.append(self._sent - unwritten - self._written_out)

    monkeypatch.setattr(_ffmpeg.Encoder, "_send", counting)
    bounded = write_frames(tmp_path / "bounded.gif", frames, fps=10).read_bytes()
    assert bounded == plain
    assert max(inside) <= _ffmpeg.INSIDE_FFMPEG_FRAMES[0]  # sent, not yet reported written
    assert len(inside) == len(frames) + 1  # and the palette's carrier


@pytest.mark.parametrize("big", [False, True])
def test_ffmpeg_of_big_frames_returns_freed_frames_to_the_system(tmp_path, monkeypatch, big):
    if big:
        monkeypatch.setattr(_ffmpeg, "INSIDE_FFMPEG_BYTES", 1)  # every size is "big"
    seen = []

    class Starting(subprocess.Popen):  # ffmpeg starts with our environment and this one
        def __init__(self, *args, **kwargs):
            seen.append((kwargs.get("env") or os.environ).get("MALLOC_MMAP_THRESHOLD_"))
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(subprocess, "Popen", Starting)
    write_frames(tmp_path / "a.gif", make_frames(3), fps=10)
    assert seen == (["1048576"] if big else [None])
    assert "MALLOC_MMAP_THRESHOLD_" not in os.environ  # for ffmpeg only


def test_a_bounded_gif_whose_ffmpeg_fails_fails_at_once(tmp_path, monkeypatch):
    monkeypatch.setattr(_ffmpeg, "INSIDE_FFMPEG_BYTES", 1)
    monkeypatch.setattr(_ffmpeg, "STALL_S", 600.0)  # waiting for reports would hang the test
    graph = writers.GifWriter._output_params
    monkeypatch.setattr(
        writers.GifWriter, "_output_params", lambda self: [*graph(self), "-loop", "banana"]
    )
    with pytest.raises(WriterError, match="banana"):
        write_frames(tmp_path / "a.gif", make_frames(30), fps=10)
    assert files_in(tmp_path) == []


def test_a_gif_whose_ffmpeg_reports_nothing_is_still_written(tmp_path, monkeypatch):
    frames = make_frames(8)
    plain = write_frames(tmp_path / "plain.gif", frames, fps=10).read_bytes()
    monkeypatch.setattr(_ffmpeg, "INSIDE_FFMPEG_BYTES", 1)
    monkeypatch.setattr(_ffmpeg, "STALL_S", 0.01)
    monkeypatch.setattr(_ffmpeg.Encoder, "_read_progress", lambda self: False)
    assert write_frames(tmp_path / "quiet.gif", frames, fps=10).read_bytes() == plain


@pytest.mark.parametrize("repeat", [0, -1, 2.0, True, 10_001])
def test_bad_repeat_is_a_value_error(tmp_path, repeat):
    with pytest.raises(ValueError, match="repeat must"):
        write_frames(tmp_path / "a.gif", [(make_frames(1)[0], repeat)], fps=10)
    assert files_in(tmp_path) == []


@needs_encoder("gif")
def test_gif_palette_is_never_a_file(tmp_path, monkeypatch):
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)
    write_frames(tmp_path / "a.gif", make_frames(3), fps=10)
    assert files_in(tmp_path) == ["a.gif"]


@needs_encoder("gif")
@needs_encoder("libx264")
@needs_encoder("libvpx-vp9")
def test_encoders_run_through_imageio_ffmpegs_ffmpeg_and_imageio(tmp_path, monkeypatch):
    import imageio.v3 as iio

    from visualizer.encoding.processes import die_with_parent_command

    prefix = die_with_parent_command()  # setpriv --pdeathsig where installed (checked once)
    calls = []
    real_imwrite = iio.imwrite

    class Spy(subprocess.Popen):  # our own process of imageio-ffmpeg's ffmpeg
        def __init__(self, command, **kw):
            if command[len(prefix) :][:1] != [imageio_ffmpeg.get_ffmpeg_exe()]:
                super().__init__(command, **kw)  # not an encoder (setpriv's own check)
                return
            args = command[len(prefix) :]
            codec = args[args.index("-vcodec", args.index("-i")) + 1]
            pix_fmt_out = args[args.index("-pix_fmt", args.index("-i")) + 1]
            calls.append((Path(args[-1]).suffix, codec, pix_fmt_out))
            super().__init__(command, **kw)

    def spy_imwrite(path, image, **kw):
        calls.append((Path(path).suffix, "imwrite", kw.get("extension")))
        return real_imwrite(path, image, **kw)

    monkeypatch.setattr(subprocess, "Popen", Spy)
    monkeypatch.setattr(iio, "imwrite", spy_imwrite)
    stripes = np.array([(30 * i, 90, 160) for i in range(8)], np.uint8)[np.arange(64) // 8]
    # every frame holds the first frame's colours (the shared palette's), rolled along
    frames = [np.broadcast_to(np.roll(stripes, 8 * i, axis=0), (36, 64, 3)) for i in range(5)]
    names = ["a.gif", "a.mp4", "a.webm", "a.png"]
    writers.write_frames_to_all([tmp_path / n for n in names], frames, fps=10)
    assert calls == [
        (".gif", "gif", "pal8"),
        (".mp4", "libx264", "yuv420p"),
        (".webm", "libvpx-vp9", "yuv420p"),
        (".png", "imwrite", ".png"),
    ]
    decoded, _, _ = gif_frames(tmp_path / "a.gif")
    assert len(decoded) == 5  # the carrier of the palette is not a frame
    assert all(np.array_equal(d, f) for d, f in zip(decoded, frames, strict=True))


@needs_encoder("libx264")
def test_abort_waits_for_the_killed_ffmpeg_before_removing_the_file(tmp_path):
    writer = writers.writer_for(tmp_path / "a.mp4", fps=10)
    writer.setup()
    writer.grab_frame(np.zeros((64, 64, 3), np.uint8))
    process = writer._encoder._process
    assert process is not None and process.poll() is None  # our own process
    writer.abort()
    assert process.returncode is not None  # reaped: it cannot create the file again
    assert sorted(p.name for p in tmp_path.iterdir()) == []


@needs_encoder("gif")
def test_ffmpeg_starts_without_python_code_in_the_forked_child(tmp_path, monkeypatch):
    # a preexec_fn runs Python between fork and exec, which can hang when other threads
    # hold locks (an orbit's process pool); and the user's own setting is left as it was
    monkeypatch.delenv("IMAGEIO_FFMPEG_NO_PREVENT_SIGINT", raising=False)
    seen = []
    real_init = subprocess.Popen.__init__

    def spy(self, args, *rest, **kw):
        seen.append(kw.get("preexec_fn"))
        real_init(self, args, *rest, **kw)

    monkeypatch.setattr(subprocess.Popen, "__init__", spy)
    writers.write_frames(tmp_path / "a.gif", [np.zeros((8, 8, 3), np.uint8)], fps=10)
    assert seen == [None]
    assert "IMAGEIO_FFMPEG_NO_PREVENT_SIGINT" not in os.environ


@needs_encoder("gif")
@pytest.mark.parametrize("size", [(1, 1), (8, 8), (3, 100), (100, 3), (15, 17), (16, 16)])
def test_gif_of_frames_smaller_than_the_palette(tmp_path, size):
    rng = np.random.default_rng(0)
    colours = rng.integers(0, 256, (6, 3), dtype=np.uint8)
    first = colours[rng.integers(0, 6, size)]
    frames = [first, *(np.roll(first, i, axis=1) for i in range(1, 4))]
    path = writers.write_frames(tmp_path / "small.gif", frames, fps=10)
    decoded, _, _ = gif_frames(path)
    assert len(decoded) == 4
    assert all(np.array_equal(d, f) for d, f in zip(decoded, frames, strict=True))


def test_our_ffmpeg_command_is_the_one_imageio_ffmpeg_would_run(tmp_path, monkeypatch):
    # the same arguments, so the same bytes as when imageio-ffmpeg started ffmpeg
    from fractions import Fraction

    seen = []

    class Recording(subprocess.Popen):
        def __init__(self, args, **kw):
            seen.append(list(args))
            raise OSError("not started")

    monkeypatch.setattr(subprocess, "Popen", Recording)
    params = ["-hide_banner", "-filter_complex", "[0:v]split", "-f", "gif"]
    for fps in (Fraction(20), Fraction(100, 7)):
        frames = imageio_ffmpeg.write_frames(
            str(tmp_path / "a.gif"),
            (96, 64),
            pix_fmt_in="rgba",
            pix_fmt_out="pal8",
            fps=fps,
            codec="gif",
            quality=None,
            macro_block_size=1,
            ffmpeg_log_level="error",
            output_params=params,
        )
        with pytest.raises(OSError, match="not started"):
            frames.send(None)
        ours = _ffmpeg.ffmpeg_command(
            tmp_path / "a.gif",
            size=(96, 64),
            pix_fmt_in="rgba",
            fps=fps,
            codec="gif",
            pix_fmt_out="pal8",
            output_params=params,
        )
        assert ours == seen[-1]
