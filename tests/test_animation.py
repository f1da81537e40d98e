"""Tests for visualizer/animation.py: the Python entry point, files read back, Jupyter."""

from __future__ import annotations

import base64
import html
import re
import sys

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
from helpers import GIF, MP4, WEBM, gif_frames, needs_encoder, video_stream
from PIL import Image

from surfaces.errors import SpecError
from visualizer.drawing.render import render_frames
from visualizer.drawing.theme import THEMES
from visualizer.encoding.pacing import periods
from visualizer.encoding.writers import gif_frame_duration_ms
from visualizer.frontends.animation import Animation, animate

imageio_ffmpeg = pytest.importorskip("imageio_ffmpeg", reason="encoding needs imageio-ffmpeg")

SIZE = (160, 90)


def small(**kw) -> Animation:
    args = {"steps": 10, "frames": 6, "size": SIZE, "fps": 25}
    args.update(kw)
    return animate("bowl", ["gd:lr=0.2", "momentum:lr=0.05", "gd:lr=5"], **args)


# --- the object ----------------------------------------------------------------------------


def test_animate_records_and_holds_options():
    anim = small(theme="dark", view="both", loss_panel=True)
    assert [run.label for run in anim.recording.runs] == ["gd lr=0.2", "momentum", "gd lr=5"]
    assert anim.recording.steps == 10
    assert anim.options.view == "both" and anim.options.theme == "dark"
    assert anim.options.loss_panel and anim.options.size == SIZE
    assert anim.fps == 25


@pytest.mark.parametrize(("steps", "frames", "n"), [(10, 6, 6), (10, None, 11), (10, 1, 1)])
def test_n_frames_is_what_frames_yields(steps, frames, n):
    anim = animate("bowl", ["gd:lr=0.2"], steps=steps, frames=frames, size=SIZE, motion="steps")
    assert anim.n_frames == n
    assert sum(1 for _ in anim.frames()) == n


def test_frames_are_the_renderers_frames():
    anim = small()
    ours = list(anim.frames())
    theirs = list(render_frames(anim.recording, anim.options))
    assert all(np.array_equal(a, b) for a, b in zip(ours, theirs, strict=True))


def test_palette_colors_are_the_theme_colours():
    anim = small(theme="dark")
    assert anim.palette_colors() == THEMES["dark"].palette_colors(
        [r.spec.name for r in anim.recording.runs]
    )


@pytest.mark.parametrize(
    "kw", [{"view": "x"}, {"theme": "x"}, {"fps": 0}, {"frames": 0}, {"size": (10, 10)}]
)
def test_bad_options_are_spec_errors(kw):
    with pytest.raises(SpecError):
        small(**kw)


# --- files ---------------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [GIF, MP4, WEBM, ".png"])
def test_same_scene_gives_identical_files(tmp_path, suffix):
    a = small().save(tmp_path / f"a{suffix}")
    b = small().save(tmp_path / f"b{suffix}")
    assert a == tmp_path / f"a{suffix}"
    assert a.read_bytes() == b.read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"a{suffix}", f"b{suffix}"]


@needs_encoder("gif")
@pytest.mark.parametrize("fps", [25, 30])
def test_gif_reads_back_with_frames_size_loop_and_delays(tmp_path, fps):
    anim = small(fps=fps)
    path = anim.save(tmp_path / "a.gif")
    decoded, durations, image = gif_frames(path.read_bytes())
    assert len(decoded) == anim.n_frames == 6
    assert image.size == SIZE
    assert image.info["loop"] == 0
    frame_ms = gif_frame_duration_ms(fps)
    # the first frame holds about 1 s and the last about 3 s by default, in whole frame
    # periods (a GIF period is a whole number of centiseconds); see tests/test_pacing.py
    assert durations[0] == periods(1000, fps) * frame_ms == pytest.approx(1000, rel=0.1)
    assert durations[1:-1] == [frame_ms] * 4
    assert durations[-1] == periods(3000, fps) * frame_ms == pytest.approx(3000, rel=0.1)


@needs_encoder("gif")
def test_gif_keeps_repeated_frames(tmp_path):
    # more frames than steps: some steps are shown twice, and every frame is still stored
    anim = animate("bowl", ["gd:lr=0.2"], steps=3, frames=8, size=SIZE, fps=20)
    decoded, durations, _ = gif_frames(anim.save(tmp_path / "a.gif").read_bytes())
    assert len(decoded) == anim.n_frames == 8
    assert durations[1:-1] == [gif_frame_duration_ms(20)] * 6  # the first and last hold


@needs_encoder("gif")
def test_gif_keeps_optimizer_and_diverged_colours_exact(tmp_path):
    anim = small()
    rendered = [f[..., :3] for f in anim.frames()]
    decoded, _, _ = gif_frames(anim.save(tmp_path / "a.gif").read_bytes())
    exact = [np.array(c, np.uint8) for c in anim.palette_colors()]
    checked = 0
    for want, got in zip(rendered, decoded, strict=True):
        assert np.abs(want.astype(int) - got).mean() < 4
        for color in exact:
            where = np.all(want == color, axis=2)
            if where.any():
                assert np.all(got[where] == color), color
                checked += 1
    assert checked > 10


@needs_encoder("libx264")
def test_mp4_is_h264_yuv420p(tmp_path):
    stream = video_stream(small().save(tmp_path / "a.mp4"))
    assert "h264" in stream and "yuv420p" in stream and "160x90" in stream


@needs_encoder("libvpx-vp9")
def test_webm_is_vp9(tmp_path):
    stream = video_stream(small().save(tmp_path / "a.webm"))
    assert "vp9" in stream and "yuv420p" in stream and "160x90" in stream


def test_png_is_the_last_frame(tmp_path):
    anim = small(view="both")
    path = anim.save(tmp_path / "poster.png")
    last = list(anim.frames())[-1]
    with Image.open(path) as image:
        assert image.size == SIZE
        poster = np.asarray(image.convert("RGB"))
    assert np.array_equal(poster, last[..., :3])


def test_save_reports_each_frame(tmp_path):
    seen: list[int] = []
    small().save(tmp_path / "a.png", on_frame=seen.append)
    assert seen == list(range(6))


def test_to_bytes_leaves_no_files(tmp_path, monkeypatch):
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)
    data = small().to_bytes(".png")
    assert data.startswith(b"\x89PNG")
    assert list(tmp_path.iterdir()) == []


# --- Jupyter -------------------------------------------------------------------------------


def test_repr_is_one_line():
    anim = small()
    assert (
        repr(anim) == "<Animation bowl: gd lr=0.2, momentum, gd lr=5; 6 frames at 25 fps, 160x90>"
    )
    assert "\n" not in repr(anim)


@needs_encoder("libx264")
def test_repr_html_is_an_inline_h264_video(tmp_path):
    anim = small()
    markup = anim._repr_html_()
    match = re.fullmatch(
        r'<video src="data:video/mp4;base64,([A-Za-z0-9+/=]+)"(.*)></video>', markup
    )
    assert match, markup[:80]
    attributes = match.group(2).split()
    for needed in ("controls", "autoplay", "loop", "muted", "playsinline"):
        assert needed in attributes, needed
    assert f'width="{SIZE[0]}"' in attributes and f'height="{SIZE[1]}"' in attributes
    video = tmp_path / "inline.mp4"
    video.write_bytes(base64.b64decode(match.group(1), validate=True))
    assert "h264" in video_stream(video) and "yuv420p" in video_stream(video)
    assert video.read_bytes() == anim.to_bytes(".mp4")
    # smaller than the GIF it replaces
    assert len(video.read_bytes()) < len(anim.to_bytes(".gif"))


@needs_encoder("gif")
def test_to_html_gif_is_an_inline_gif():
    anim = small()
    markup = anim.to_html("gif")
    match = re.fullmatch(r'<img src="data:image/gif;base64,([A-Za-z0-9+/=]+)"(.*)>', markup)
    assert match, markup[:80]
    data = base64.b64decode(match.group(1), validate=True)
    assert data.startswith(b"GIF89a")
    decoded, _, image = gif_frames(data)
    assert len(decoded) == anim.n_frames and image.size == SIZE
    assert f'width="{SIZE[0]}"' in match.group(2) and f'height="{SIZE[1]}"' in match.group(2)
    with pytest.raises(ValueError, match="'mp4' or 'gif'"):
        anim.to_html("webm")


@needs_encoder("gif")
@needs_encoder("libx264")
def test_inline_html_escapes_the_label():
    anim = animate("bowl", ['gd:lr=0.2,label=a<b & "c"'], steps=2, frames=2, size=SIZE, title="T")
    for markup, attribute in [(anim.to_html("gif"), "alt"), (anim._repr_html_(), "aria-label")]:
        label = re.search(rf'{attribute}="([^"]*)"', markup)
        assert label is not None
        assert html.unescape(label.group(1)) == 'Bowl: a<b & "c"'
        assert "<b" not in label.group(1)


def test_show_without_ipython_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "IPython.display", None)
    with pytest.raises(
        ImportError, match=r"^Animation.show needs IPython: pip install 'lossviz\[jupyter\]'$"
    ):
        small().show()


@pytest.mark.parametrize(
    "options",
    [{}, {"view": "surface", "arrows": True}, {"view": "surface", "orbit": True}],
    ids=["contour", "surface", "orbit"],
)
def test_frame_is_random_access_to_the_same_pixels(options):
    anim = animate(
        "ravine", ["gd:lr=0.02", "momentum:lr=0.004"], steps=6, size=(120, 68), **options
    )
    frames = list(anim.frames())
    assert len(frames) == anim.n_frames
    for index in (0, 3, len(frames) - 1):
        assert np.array_equal(anim.frame(index), frames[index])
    assert np.array_equal(anim.frame(-1), frames[-1])
    with pytest.raises(IndexError):
        anim.frame(len(frames))
    with pytest.raises(TypeError):
        anim.frame(1.0)
