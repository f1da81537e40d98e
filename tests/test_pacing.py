"""Tests for visualizer/encoding/pacing.py: the schedule of frames in time, holds, slow
sections in steps per second, posters, and the GIF's share of a video's frames."""

from __future__ import annotations

import subprocess

import imageio_ffmpeg
import numpy as np
import pytest
from helpers import gif_frames, needs_encoder, run_main
from PIL import Image

from surfaces import SpecError
from visualizer.encoding.pacing import (
    Schedule,
    decimate,
    frame_schedule,
    gif_stride,
    merge_schedules,
    periods,
    poster_index,
)
from visualizer.frontends.animation import animate
from visualizer.frontends.gallery import load_gallery
from visualizer.maths.motion import playback_seconds
from visualizer.scene.scene import scene_from_mapping

SIZE = (160, 90)


def schedule(steps=20, **kw) -> Schedule:
    args = {"fps": 60, "steps_per_second": 10, "hold_first_ms": 1000, "hold_last_ms": 2000}
    return frame_schedule(steps, **{**args, **kw})


# --- smooth motion ---------------------------------------------------------------------------


def test_smooth_frames_sample_the_motion_every_period_and_hold_the_ends():
    s = schedule(20)
    assert s.times[0] == 0.0 and s.times[-1] == 20.0
    assert np.all(np.diff(s.times) > 0)
    assert s.repeats[0] == 60 and s.repeats[-1] == 120  # 1 s and 2 s at 60 fps
    assert set(s.repeats[1:-1].tolist()) == {1}
    # 20 steps at 10 steps per second: 2 s of motion, a frame every 1/60 s
    assert len(s.times) == 2 * 60 + 1
    assert np.allclose(np.diff(s.times), 10 / 60)
    assert s.seconds() == pytest.approx(1 + 2 + 2 - 1 / 60, abs=1 / 60)


def test_slow_section_plays_at_its_own_pace_in_steps_per_second():
    s = schedule(30, slow=(5, 9), slow_steps_per_second=2)
    seconds = np.concatenate([[0], np.cumsum(s.repeats)]) / s.fps
    shown = np.diff(seconds)  # how long each frame shows
    inside = (s.times >= 5) & (s.times < 10)
    # steps 5..9 (step-time 5 to 10) last 5 / 2 = 2.5 s; the rest 25 / 10 = 2.5 s
    assert shown[inside].sum() == pytest.approx(2.5, abs=1.5 / 60)
    moving = ~inside
    moving[0] = moving[-1] = False  # the holds
    assert shown[moving].sum() == pytest.approx(2.5, abs=2 / 60)


def test_steps_motion_is_one_frame_per_step_held_while_the_step_is_current():
    s = schedule(12, motion="steps", hold_first_ms=0, hold_last_ms=0)
    assert s.times.tolist() == list(range(13))
    assert set(s.repeats[:-1].tolist()) == {6}  # 60 fps / 10 steps per second
    smooth = schedule(12, hold_first_ms=0, hold_last_ms=0)
    assert s.repeats.sum() == smooth.repeats.sum()  # the same duration


def test_a_recording_of_zero_steps_is_one_frame_holding_the_longer_hold():
    s = schedule(0)
    assert s.times.tolist() == [0.0] and s.repeats.tolist() == [120]


@pytest.mark.parametrize("steps", [1, 2, 3, 7, 10, 59, 120, 1000])
@pytest.mark.parametrize("frames", [1, 2, 3, 4, 5, 11, 50, 121, 2000])
def test_frames_n_in_steps_motion_are_evenly_spaced_whole_steps(steps, frames):
    shown = schedule(steps, motion="steps", frames=frames).steps
    assert len(shown) == frames
    assert shown[-1] == steps
    assert np.all(np.diff(shown) >= 0)
    if frames > 1:
        assert shown[0] == 0
    if 1 < frames <= steps + 1:
        gaps = np.diff(shown)
        assert len(set(shown.tolist())) == frames  # no step shown twice
        assert gaps.max() - gaps.min() <= 1
        assert np.max(np.abs(shown - np.linspace(0, steps, frames))) <= 0.5


def test_frames_n_above_the_step_count_interpolates():
    s = schedule(10, frames=41)
    assert len(s.times) == 41 and np.allclose(s.times, np.linspace(0, 10, 41))
    assert len(set(s.times.tolist())) == 41  # every frame differs: none is a held copy


def test_frames_n_slows_the_slow_section_by_the_ratio_of_the_paces():
    s = schedule(10, frames=11, slow=(3, 4), slow_steps_per_second=2.5)
    assert s.repeats[1:-1].tolist() == [1, 1, 4, 4, 4, 1, 1, 1, 1]


def test_holds_never_drop_below_one_period():
    assert periods(0, 20) == 1 and periods(10, 20) == 1 and periods(1500, 20) == 30


def test_poster_index_is_the_first_frame_at_or_after_the_step():
    times = np.array([0.0, 2.5, 3.0, 6.0, 9.0])
    assert [poster_index(times, s) for s in (0, 1, 3, 4, 9, 500, None)] == [0, 1, 2, 3, 4, 4, 4]


# --- a GIF's share of the frames -------------------------------------------------------------


def test_gif_stride_keeps_gifs_at_50_fps_or_below():
    for fps in range(1, 101):
        assert fps / gif_stride(fps) <= 50
    assert gif_stride(50) == 1 and gif_stride(60) == 2


def test_decimating_keeps_the_frame_shown_at_each_kept_period():
    rng = np.random.default_rng(0)
    repeats = rng.integers(1, 5, size=40)
    kept, slots = decimate(repeats, 3)
    shown = np.repeat(np.arange(40), repeats)  # the frame shown at each period
    want = shown[::3]
    assert np.repeat(kept, slots).tolist() == want.tolist()


def test_merged_schedules_render_each_frame_once_for_both():
    gif, video = schedule(20, fps=50), schedule(20, fps=60)
    times, table = merge_schedules([gif, video])
    assert np.all(np.diff(times) > 0)
    for column, s in enumerate((gif, video)):
        assert table[table[:, column] > 0, column].tolist() == s.repeats.tolist()
        assert times[table[:, column] > 0].tolist() == s.times.tolist()
    assert np.all(table.sum(axis=1) > 0)


# --- key events: every gallery scene ---------------------------------------------------------


def key_event_seconds(scene) -> tuple[float, float]:
    """When a scene's slow section starts playing (s from the start of playback) and how
    long it lasts, from its pacing."""
    opts = scene.render_options()
    pace = {
        "steps_per_second": opts.steps_per_second,
        "slow": opts.slow,
        "slow_steps_per_second": opts.slow_steps_per_second,
    }
    first, last = opts.slow
    start = opts.hold_first_ms / 1000 + float(playback_seconds(first, **pace))
    end = opts.hold_first_ms / 1000 + float(playback_seconds(last + 1, **pace))
    return start, end - start


@pytest.mark.parametrize("item", load_gallery(), ids=lambda item: item.name)
def test_every_gallery_key_event_starts_within_3_s_and_plays_slowed_for_2_s(item):
    scene = item.scene
    steps = scene.steps if scene.steps is not None else scene.build_surface().preset.steps
    assert scene.slow is not None, f"{item.name} marks no key event (slow = [FIRST, LAST])"
    assert scene.slow[1] <= steps, item.name
    start, lasts = key_event_seconds(scene)
    assert start <= 3.0, f"{item.name}: the key event starts at {start:.2f} s"
    assert lasts >= 2.0, f"{item.name}: the key event plays for {lasts:.2f} s"
    opts = scene.render_options()
    assert opts.slow_steps_per_second < opts.steps_per_second, item.name  # slowed


#: Scenes of the network chapter: their owner picks their posters (until then, the last frame).
CHOSEN_ELSEWHERE = {"mlp-moons", "mlp-batch"}


@pytest.mark.parametrize(
    "item",
    [g for g in load_gallery() if g.name not in CHOSEN_ELSEWHERE],
    ids=lambda item: item.name,
)
def test_every_gallery_scene_chooses_its_poster(item):
    scene = item.scene
    steps = scene.steps if scene.steps is not None else scene.build_surface().preset.steps
    assert scene.poster_step is not None and 0 < scene.poster_step <= steps, item.name


# --- options ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "words"),
    [("5,2", "FIRST <= LAST"), ("1,2,3", "FIRST,LAST"), ("a,b", "integer"), ("-1,4", "0..")],
)
def test_bad_slow_ranges_are_one_line_errors(value, words):
    with pytest.raises(SpecError, match=words):
        scene_from_mapping({"slow": value})


@pytest.mark.parametrize(
    ("key", "value", "words"),
    [
        ("steps_per_second", 0, "0.05..1000"),
        ("steps_per_second", "fast", "must be a number"),
        ("slow_steps_per_second", float("nan"), "must be a number"),
        ("motion", "smoth", "did you mean 'smooth'"),
    ],
)
def test_bad_pacing_values_are_one_line_errors(key, value, words):
    with pytest.raises(SpecError, match=words):
        scene_from_mapping({key: value})


def test_bad_slow_flag_is_a_usage_error(capsys, tmp_path):
    code, _, err = run_main(capsys, "render", "--slow", "9,3", "-o", str(tmp_path / "a.gif"))
    assert code == 2 and err.startswith("lossviz: error: ") and "FIRST <= LAST" in err
    assert list(tmp_path.iterdir()) == []


# --- in every format ---------------------------------------------------------------------------


@needs_encoder("gif")
def test_gif_holds_first_and_last_and_slows_the_key_steps(tmp_path):
    anim = animate(
        "bowl", ["gd:lr=0.2"], steps=8, size=SIZE, fps=20, motion="steps", steps_per_second=20,
        slow=(3, 4), slow_steps_per_second=20 / 3, hold_first_ms=1000, hold_last_ms=2000,
    )  # fmt: skip
    _, durations, _ = gif_frames(anim.save(tmp_path / "a.gif"))
    assert durations == [1000, 50, 50, 150, 150, 50, 50, 50, 2000]


@needs_encoder("gif")
def test_a_gif_above_50_fps_keeps_every_other_frame_and_lasts_as_long(tmp_path):
    anim = animate("bowl", ["gd:lr=0.2"], steps=4, size=SIZE, fps=60, hold_first_ms=0)
    frames, durations, _ = gif_frames(anim.save(tmp_path / "a.gif"))
    video = anim.schedule(".mp4")
    assert len(frames) == len(anim.schedule(".gif").times) < len(video.times)
    assert set(durations[:-1]) <= {30, 40}  # 30 fps in centiseconds: 3, 4, 3, ...
    assert sum(durations) == pytest.approx(1000 * video.seconds(), abs=20)


@needs_encoder("libx264")
def test_video_at_60_fps_lasts_as_long_as_the_gif_at_50(tmp_path):
    anim = animate("bowl", ["gd:lr=0.2"], steps=6, size=SIZE, slow=(2, 3), hold_last_ms=1000)
    gif, mp4 = anim.save_all([tmp_path / "a.gif", tmp_path / "a.mp4"])
    _, durations, _ = gif_frames(gif)
    exe = imageio_ffmpeg.get_ffmpeg_exe()
    done = subprocess.run([exe, "-i", str(mp4), "-f", "null", "-"], capture_output=True, text=True)
    frames = int(done.stderr.rsplit("frame=", 1)[1].split()[0])
    assert frames == int(anim.frame_repeats().sum())
    assert frames / 60 == pytest.approx(sum(durations) / 1000, abs=0.03)
    # 1 s hold, steps 0, 1 and 4, 5 at 10 steps/s, steps 2, 3 at 2.5 steps/s, 1 s hold
    assert sum(durations) / 1000 == pytest.approx(1.0 + 0.4 + 0.8 + 1.0, abs=0.03)


def test_poster_is_the_frame_of_poster_step(tmp_path):
    anim = animate("bowl", ["gd:lr=0.2"], steps=8, size=SIZE, poster_step=3)
    poster = np.asarray(Image.open(anim.save(tmp_path / "a.png")).convert("RGB"))
    s = anim.schedule(".png")
    frames = [f[..., :3] for f in anim.frames(".png")]
    assert np.array_equal(poster, frames[poster_index(s.times, 3)])
    assert s.times[poster_index(s.times, 3)] == 3.0
    assert not np.array_equal(poster, frames[-1])


def test_a_pace_that_makes_too_many_frames_is_a_one_line_error():
    with pytest.raises(SpecError, match=r"make 120000 frames .* --motion steps"):
        animate("bowl", ["gd:lr=0.1"], steps=2000, steps_per_second=1, size=(64, 64))
    assert animate(
        "bowl", ["gd:lr=0.1"], steps=2000, steps_per_second=1, motion="steps", size=(64, 64)
    )
