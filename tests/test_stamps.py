"""Tests for visualizer/stamps.py: fast text blended into frames."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
from matplotlib.colors import to_rgb

from visualizer.drawing.stamps import TextStamp

RED = "#d62728"
RED_RGB = np.round(np.array(to_rgb(RED)) * 255).astype(int)


def white(h: int = 60, w: int = 160, channels: int = 4) -> np.ndarray:
    return np.full((h, w, channels), 255, np.uint8)


def stamp(xy=(10.0, 10.0), anchor: str = "la", size_pt: float = 14) -> TextStamp:
    return TextStamp(xy, size_pt=size_pt, dpi=100, anchor=anchor, color=RED)


def test_draws_its_colour_near_the_anchor():
    frame = white()
    stamp().draw(frame, "loss 1.234")
    changed = np.any(frame[..., :3] != 255, axis=2)
    rows, cols = np.nonzero(changed)
    assert changed.sum() > 50
    # the ink starts at the anchor (left, top of the ascender) and goes right and down
    assert 9 <= cols.min() <= 13 and 9 <= rows.min() <= 14
    assert rows.max() < 10 + 14 * 100 / 72 * 1.3
    # fully covered pixels are exactly the colour; the rest blend towards it from white
    ink = frame[changed][:, :3].astype(int)
    assert np.any(np.all(np.abs(ink - RED_RGB) <= 1, axis=1))
    assert np.all(ink <= 255) and np.all(ink[:, 0] >= RED_RGB[0] - 1)


def test_right_anchor_ends_at_the_anchor():
    frame = white()
    stamp(xy=(150.0, 10.0), anchor="ra").draw(frame, "loss 1.234")
    cols = np.nonzero(np.any(frame[..., :3] != 255, axis=2))[1]
    assert 145 <= cols.max() <= 150


def test_colour_argument_overrides_the_default():
    a, b = white(), white()
    stamp().draw(a, "x", color="#0072b2")
    stamp().draw(b, "x")
    blue = np.round(np.array(to_rgb("#0072b2")) * 255).astype(int)
    assert np.any(np.all(np.abs(a[..., :3].astype(int) - blue) <= 1, axis=2))
    assert not np.any(np.all(np.abs(b[..., :3].astype(int) - blue) <= 1, axis=2))


def test_alpha_channel_is_left_alone_and_rgb_frames_work():
    rgba = white()
    rgba[..., 3] = 200
    stamp().draw(rgba, "step 3 / 10")
    assert np.all(rgba[..., 3] == 200)
    rgb = white(channels=3)
    stamp().draw(rgb, "step 3 / 10")
    assert np.array_equal(rgb, rgba[..., :3])


def test_empty_text_draws_nothing():
    frame = white()
    stamp().draw(frame, "")
    assert np.all(frame == 255)


def test_draws_the_same_glyphs_wherever_it_is_anchored():
    a, b = white(), white()
    stamp(xy=(10.0, 10.0)).draw(a, "0.1234")
    stamp(xy=(40.0, 25.0)).draw(b, "0.1234")
    assert np.array_equal(a[:30, :60], b[15:45, 30:90])


@pytest.mark.parametrize(
    "xy",
    [(-30.0, 10.0), (130.0, 10.0), (10.0, -8.0), (10.0, 50.0), (-30.0, -8.0), (140.0, 52.0)],
)
@pytest.mark.parametrize("anchor", ["la", "ra"])
def test_text_partly_outside_is_clipped_like_a_crop_of_a_larger_frame(xy, anchor):
    pad = 80
    small = white()
    big = white(60 + 2 * pad, 160 + 2 * pad)
    text = "diverged at step 12"
    stamp(xy=xy, anchor=anchor).draw(small, text)
    stamp(xy=(xy[0] + pad, xy[1] + pad), anchor=anchor).draw(big, text)
    assert np.array_equal(small, big[pad:-pad, pad:-pad])
    outside = big.copy()
    outside[pad:-pad, pad:-pad] = 255
    assert np.any(outside != 255)  # some of the text really was outside


@pytest.mark.parametrize("xy", [(-500.0, 10.0), (500.0, 10.0), (10.0, -500.0), (10.0, 500.0)])
def test_text_entirely_outside_draws_nothing(xy):
    frame = white()
    stamp(xy=xy).draw(frame, "loss 1.234")
    stamp(xy=xy, anchor="ra").draw(frame, "loss 1.234")
    assert np.all(frame == 255)


def test_font_size_follows_points_and_dpi():
    small = TextStamp((0, 0), size_pt=12, dpi=50)
    large = TextStamp((0, 0), size_pt=12, dpi=200)
    assert small.font.size == round(12 * 50 / 72)
    assert large.font.size == round(12 * 200 / 72)
    assert TextStamp((0, 0), size_pt=1, dpi=10).font.size >= 4  # never unreadably tiny
