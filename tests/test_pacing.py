"""Tests for visualizer/pacing.py: frame holds, slow steps and posters, in every format."""

from __future__ import annotations

import subprocess

import imageio_ffmpeg
import numpy as np
import pytest
from helpers import gif_frames, needs_encoder, run_main
from PIL import Image

from surfaces import SpecError
from visualizer.encoding.pacing import frame_repeats, periods, poster_index
from visualizer.frontends.animation import animate
from visualizer.frontends.gallery import load_gallery
from visualizer.scene.scene import scene_from_mapping

SIZE = (160, 90)


def test_repeats_hold_the_ends_and_slow_the_key_steps():
    steps = np.arange(0, 21, 2)  # 11 frames
    repeats = frame_repeats(
        steps, fps=20, hold_first_ms=1500, hold_last_ms=3000, slow=(4, 8), slowdown=4
    )
    assert repeats[0] == 30 and repeats[-1] == 60
    assert repeats.tolist()[1:-1] == [1, 4, 4, 4, 1, 1, 1, 1, 1]


def test_a_single_frame_gets_the_longer_hold():
    assert frame_repeats(np.array([5]), fps=10, hold_first_ms=1500, hold_last_ms=3000)[0] == 30


def test_holds_never_drop_below_one_period():
    assert periods(0, 20) == 1 and periods(10, 20) == 1 and periods(1500, 20) == 30


def test_poster_index_is_the_first_frame_at_or_after_the_step():
    steps = np.array([0, 3, 6, 9])
    assert [poster_index(steps, s) for s in (0, 1, 3, 4, 9, 500, None)] == [0, 1, 1, 2, 3, 3, 3]


@pytest.mark.parametrize(
    ("value", "words"),
    [("5,2", "FIRST <= LAST"), ("1,2,3", "FIRST,LAST"), ("a,b", "integer"), ("-1,4", "0..")],
)
def test_bad_slow_ranges_are_one_line_errors(value, words):
    with pytest.raises(SpecError, match=words):
        scene_from_mapping({"slow": value})


def test_bad_slow_flag_is_a_usage_error(capsys, tmp_path):
    code, _, err = run_main(capsys, "render", "--slow", "9,3", "-o", str(tmp_path / "a.gif"))
    assert code == 2 and err.startswith("lossviz: error: ") and "FIRST <= LAST" in err
    assert list(tmp_path.iterdir()) == []


@needs_encoder("gif")
def test_gif_holds_first_and_last_and_slows_the_key_steps(tmp_path):
    anim = animate(
        "bowl", ["gd:lr=0.2"], steps=8, size=SIZE, fps=20, slow=(3, 4), slowdown=3,
        hold_first_ms=1000, hold_last_ms=2000,
    )  # fmt: skip
    _, durations, _ = gif_frames(anim.save(tmp_path / "a.gif"))
    assert durations == [1000, 50, 50, 150, 150, 50, 50, 50, 2000]


@needs_encoder("libx264")
def test_video_lasts_as_long_as_the_gif(tmp_path):
    anim = animate("bowl", ["gd:lr=0.2"], steps=6, size=SIZE, fps=20, slow=(2, 3))
    gif, mp4 = anim.save_all([tmp_path / "a.gif", tmp_path / "a.mp4"])
    _, durations, _ = gif_frames(gif)
    exe = imageio_ffmpeg.get_ffmpeg_exe()
    done = subprocess.run([exe, "-i", str(mp4), "-f", "null", "-"], capture_output=True, text=True)
    frames = int(done.stderr.rsplit("frame=", 1)[1].split()[0])
    assert frames == int(anim.frame_repeats().sum()) == sum(durations) // 50
    assert sum(durations) == 1500 + 3 * 50 + 2 * 4 * 50 + 3000  # steps 1, 4, 5 play normally


def test_poster_is_the_frame_of_poster_step(tmp_path):
    anim = animate("bowl", ["gd:lr=0.2"], steps=8, size=SIZE, poster_step=3)
    poster = np.asarray(Image.open(anim.save(tmp_path / "a.png")).convert("RGB"))
    frames = [f[..., :3] for f in anim.frames()]
    assert np.array_equal(poster, frames[3])
    assert not np.array_equal(poster, frames[-1])


#: Scenes of the network chapter: their owner picks their posters (until then, the last frame).
CHOSEN_ELSEWHERE = {"mlp-moons", "mlp-batch"}


@pytest.mark.parametrize(
    "item",
    [g for g in load_gallery() if g.name not in CHOSEN_ELSEWHERE],
    ids=lambda item: item.name,
)
def test_every_gallery_scene_chooses_its_poster_and_its_slow_steps(item):
    scene = item.scene
    steps = scene.steps if scene.steps is not None else scene.build_surface().preset.steps
    assert scene.poster_step is not None and 0 < scene.poster_step <= steps, item.name
    if scene.slow is not None:
        assert scene.slow[1] <= steps, item.name
