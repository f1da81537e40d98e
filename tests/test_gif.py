"""Tests for :mod:`visualizer.encoding.gif`: delays and their patching."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from visualizer.encoding.gif import MAX_DELAY_CS, gif_frame_delays_cs, set_gif_delays


def pillow_gif(n: int) -> bytes:
    frames = [Image.fromarray(np.full((4, 4, 3), 40 * k, np.uint8)) for k in range(n)]
    out = io.BytesIO()
    frames[0].save(out, format="GIF", save_all=True, append_images=frames[1:], duration=50)
    return out.getvalue()


def test_delays_hold_frames_and_the_last_one():
    assert gif_frame_delays_cs([1, 1], fps=20, hold_last_ms=1000) == [5, 100]
    assert gif_frame_delays_cs([4, 1], fps=30, hold_last_ms=0) == [12, 3]
    assert gif_frame_delays_cs([5, 2], fps=20, hold_last_ms=50) == [25, 10]
    assert gif_frame_delays_cs([100_000], fps=1, hold_last_ms=0) == [MAX_DELAY_CS]


def test_set_gif_delays_rewrites_every_frame():
    data = bytearray(pillow_gif(3))
    set_gif_delays(data, [7, 300, 12])
    image = Image.open(io.BytesIO(bytes(data)))
    durations = []
    for index in range(image.n_frames):
        image.seek(index)
        durations.append(image.info["duration"])
    assert durations == [70, 3000, 120]


def test_set_gif_delays_refuses_a_frame_count_mismatch_and_non_gifs():
    with pytest.raises(ValueError, match="3 frames, 2 delays"):
        set_gif_delays(bytearray(pillow_gif(3)), [1, 2])
    with pytest.raises(ValueError, match="not a GIF"):
        set_gif_delays(bytearray(b"\x89PNG...."), [1])
