"""Tests for visualizer/player.py: the page's data, its self-containment and its size.

The page in a real browser (controls, readout, picture) is tested in test_browser.py.
"""

from __future__ import annotations

import base64
import html
import json
import re

import numpy as np
import pytest
from helpers import needs_encoder, rec_of, video_frame_count

from visualizer.encoding import _ffmpeg
from visualizer.encoding.errors import WriterError
from visualizer.encoding.pacing import schedule_for
from visualizer.encoding.player import loss_text, player_data, player_page, room_rem
from visualizer.encoding.writers import write_frames_to_all, writer_for
from visualizer.frontends.animation import animate
from visualizer.maths.recorder import record
from visualizer.scene.scene import scene_from_mapping

FAKE_MP4 = b"\x00\x00\x00\x20ftypisom" + bytes(range(256)) * 40


def page_data(page: str) -> dict:
    (text,) = re.findall(r'<script type="application/json" id="lv-data">(.*?)</script>', page)
    return json.loads(text)


def test_data_has_each_frames_step_and_every_runs_loss():
    rec = rec_of("bowl", "gd:lr=0.1", "gd:lr=5", steps=12)
    steps = [0, 2, 4, 6, 8, 10, 12]
    data = player_data(rec, steps, fps=20)
    assert data["steps"] == [0, 2, 4, 6, 8, 10, 12] and data["total"] == 12
    assert data["labels"] == [run.label for run in rec.runs]
    calm, wild = rec.runs
    every = range(13)  # losses are per step: a step shows in several frames
    assert data["losses"][0] == [repr(float(calm.losses[s])) for s in every]
    # the diverged run has losses up to its last finite step, then None (trace has no row)
    assert wild.diverged_at is not None
    assert data["losses"][1] == [
        repr(float(wild.losses[s])) if s <= wild.last_step else None for s in every
    ]
    assert data["losses"][1][-1] is None


@pytest.mark.parametrize("value", [0.1, 1e-20, 3, 2.0614849600976726, 1e300])
def test_loss_text_reads_back_exactly(value):
    assert float(loss_text(value)) == value


def test_page_embeds_the_video_and_the_data():
    rec = rec_of("bowl", "gd:lr=0.1", "momentum:lr=0.05", steps=6)
    page = player_page(rec, [0, 3, 6], FAKE_MP4, fps=12, size=(160, 90))
    (video,) = re.findall(r'src="data:video/mp4;base64,([A-Za-z0-9+/=]+)"', page)
    assert base64.b64decode(video) == FAKE_MP4
    assert page_data(page) == player_data(rec, [0, 3, 6], fps=12)
    assert 'width="160" height="90"' in page
    assert 'max="2"' in page  # the scrub bar goes over the three frames


def test_page_loads_nothing_from_elsewhere():
    rec = rec_of("bowl", "gd:lr=0.1", steps=3)
    page = player_page(rec, [0, 1, 2, 3], FAKE_MP4, fps=20, size=(64, 64))
    assert not re.search(r"https?:|//[a-z]|@import|url\(", page, flags=re.I)
    for attribute in re.findall(r'\b(?:src|href)="([^"]*)"', page):
        assert attribute.startswith("data:"), attribute
    assert "<script src" not in page and '<link rel="stylesheet"' not in page


def test_user_text_cannot_break_out_of_the_page():
    rec = rec_of("bowl", "gd:lr=0.1,label=</script><b>x</b>", steps=2)
    page = player_page(rec, [0, 1, 2], FAKE_MP4, fps=20, size=(64, 64), title="a <i>&</i>")
    assert page.count("</script>") == 2  # the data's and the code's, nothing more
    assert "<b>x</b>" not in page and "<i>" not in page
    assert "<title>a &lt;i&gt;&amp;&lt;/i&gt;</title>" in page
    assert page_data(page)["labels"] == ["</script><b>x</b>"]


def test_dark_scene_gives_a_dark_page():
    rec = rec_of("bowl", "gd:lr=0.1", steps=2)
    dark = player_page(rec, [0, 1, 2], FAKE_MP4, fps=20, size=(64, 64), theme="dark")
    assert "background: #10141c" in dark


def test_page_beyond_the_video_is_small_at_the_default_scene():
    """The page is at most 1.5x the MP4 plus 30 KB at the default scene.

    base64 makes the video 4/3 of its size, so that holds for any MP4 when everything
    else on the page (markup, script, and the default scene's readout data) is at most
    30 KB. The real default scene's sizes are measured in bench/render_bench.py.
    """
    scene = scene_from_mapping({})
    surface = scene.build_surface()
    rec = record(surface, scene.optimizer_specs(surface), start=scene.start, steps=scene.steps)
    steps = schedule_for(rec.steps, scene.render_options()).steps.tolist()
    page = player_page(rec, steps, FAKE_MP4, fps=60, size=scene.size)
    beyond_video = len(page.encode()) - len(base64.b64encode(FAKE_MP4))
    assert beyond_video <= 30_000, beyond_video


# --- the writer ----------------------------------------------------------------------------


@needs_encoder("libx264")
def test_save_html_embeds_the_mp4_of_the_same_frames(tmp_path):
    anim = animate("bowl", ["gd:lr=0.1", "gd:lr=5"], steps=8, frames=5, size=(96, 64))
    page = anim.save(tmp_path / "anim.html").read_text(encoding="utf-8")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["anim.html"]  # no temporary left
    (video,) = re.findall(r'src="data:video/mp4;base64,([A-Za-z0-9+/=]+)"', page)
    assert base64.b64decode(video) == anim.to_bytes(".mp4")
    data = page_data(page)
    # held frames start later: the first frame holds 1 s (60 periods at 60 fps)
    starts = [0, 60, 61, 62, 63]
    assert starts == [0, *np.cumsum(anim.frame_repeats())[:-1].tolist()]
    assert data == player_data(anim.recording, [0, 2, 4, 6, 8], fps=anim.fps, starts=starts)


@needs_encoder("libx264")
def test_held_frames_start_later(tmp_path):
    """A frame held for k periods pushes the start of every later frame by k - 1."""
    anim = animate("bowl", ["gd:lr=0.1"], steps=3, frames=4, size=(64, 64))
    frames = list(anim.frames())
    path = tmp_path / "held.html"
    held = [(frames[0], 3), frames[1], (frames[2], 2), frames[3]]
    write_frames_to_all([anim._player_writer(path)], held, fps=anim.fps)
    page = path.read_text(encoding="utf-8")
    assert page_data(page)["starts"] == [0, 3, 4, 6]
    (video,) = re.findall(r'src="data:video/mp4;base64,([A-Za-z0-9+/=]+)"', page)
    mp4 = tmp_path / "held.mp4"
    mp4.write_bytes(base64.b64decode(video))
    assert video_frame_count(mp4) == 7  # 3 + 1 + 2 + 1 periods


def test_starts_must_increase_one_per_frame():
    rec = rec_of("bowl", "gd:lr=0.1", steps=2)
    with pytest.raises(ValueError, match="increasing"):
        player_data(rec, [0, 1, 2], fps=20, starts=[0, 2, 2])
    with pytest.raises(ValueError, match="one increasing start per frame"):
        player_data(rec, [0, 1, 2], fps=20, starts=[0, 1])


def test_a_frame_writer_for_html_is_refused():
    with pytest.raises(WriterError, match=r"Animation\.save"):
        writer_for("page.html", fps=20)


@needs_encoder("libx264")
def test_a_page_saved_with_its_mp4_embeds_that_file_without_encoding_again(tmp_path, monkeypatch):
    anim = animate("bowl", ["gd:lr=0.1"], steps=4, size=(64, 64))
    started = []
    real = _ffmpeg.Encoder.__init__

    def counting(self, path, **kw):
        started.append(path)
        real(self, path, **kw)

    monkeypatch.setattr(_ffmpeg.Encoder, "__init__", counting)
    mp4, page = anim.save_all([tmp_path / "a.mp4", tmp_path / "a.html"])
    assert len(started) == 1  # one H.264 encoding for both files
    (video,) = re.findall(r'src="data:video/mp4;base64,([A-Za-z0-9+/=]+)"', page.read_text())
    assert base64.b64decode(video) == mp4.read_bytes()
    alone = anim.save(tmp_path / "alone.html").read_text(encoding="utf-8")
    assert alone == page.read_text(encoding="utf-8")  # the same page as a page saved alone


def test_page_shows_the_caption_and_keeps_room_for_every_readout():
    rec = rec_of("bowl", "gd:lr=0.1", "gd:lr=0.2", steps=3)
    caption = "GD & momentum: " + "x" * 200
    page = player_page(rec, [0, 1, 2, 3], FAKE_MP4, fps=20, size=(1280, 720), caption=caption)
    assert f'<p class="caption">{html.escape(caption)}</p>' in page
    # the video is no taller than leaves the heading, caption, controls and readouts room
    room = room_rem(2, caption, 1280)
    assert f"calc((100vh - {room}rem) * 1.7778)" in page
    assert room > room_rem(2, "", 1280) > room_rem(1, "", 1280)


def test_a_recording_paced_by_evaluations_counts_evaluations():
    from visualizer.maths.recorder import by_evaluations

    rec = rec_of("bowl", "newton", "gd:lr=0.1", steps=4)
    assert "<p>step <output" in player_page(rec, [0, 4], FAKE_MP4, fps=20, size=(64, 64))
    paced = player_page(by_evaluations(rec), [0, 4], FAKE_MP4, fps=20, size=(64, 64))
    assert "<p>evaluation <output" in paced
