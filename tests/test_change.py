"""Tests for visualizer/drawing/change.py (the changed-region measure) and the number it
gives issue 20: a smooth render of the kappa=100 ravine (GD and momentum, 30 steps,
defaults, 1280x720) changes no region wider than 90 px between frames at the 95th
percentile, and its GIF costs at most 2.5x the bytes of one frame per step."""

from __future__ import annotations

import itertools

import numpy as np
from helpers import needs_encoder

from visualizer.drawing.change import changed_boxes, changed_extent
from visualizer.drawing.render import FrameRenderer
from visualizer.frontends.animation import animate


def test_regions_far_apart_are_measured_apart():
    a = np.zeros((100, 200, 3), np.uint8)
    b = a.copy()
    b[10:20, 10:30] = 200
    b[80:90, 150:190] = 200
    assert sorted(changed_boxes(a, b)) == [(10, 10, 30, 20), (150, 80, 190, 90)]
    assert changed_extent(a, b) == 40


def test_pixels_within_a_block_join_and_small_wobbles_do_not_count():
    a = np.zeros((64, 64, 3), np.uint8)
    b = a.copy()
    b[5, 5] = b[5, 12] = 255  # 7 px apart: neighbouring cells, one region
    assert changed_extent(a, b) == 8
    b[40, 40] = 4  # an anti-aliasing wobble of 4 levels
    assert changed_extent(a, b) == 8
    assert changed_extent(a, b, tolerance=0) == 8 and len(changed_boxes(a, b, tolerance=0)) == 2


def test_within_leaves_out_what_lies_outside_the_box():
    a = np.zeros((50, 50), np.uint8)
    b = a.copy()
    b[0:5, 0:45] = 9
    b[30, 30] = 9
    assert changed_extent(a, b) == 45 and changed_extent(a, b, within=(20, 20, 50, 50)) == 1


def ravine(**kw):
    return animate("ravine:kappa=100", ["gd", "momentum"], steps=30, **kw)


def view_box(anim, times) -> tuple[int, int, int, int]:
    """The contour view's axes in pixels from the top left: outside them are the stamps."""
    renderer = FrameRenderer(anim.recording, anim.options, times)
    x0, y0, x1, y1 = renderer.layers[0].ax.bbox.extents
    height = anim.options.size[1]
    return int(x0), int(height - y1), int(np.ceil(x1)), int(np.ceil(height - y0))


def test_smooth_gif_of_the_ravine_changes_no_region_wider_than_90_px_at_p95():
    anim = ravine()
    schedule = anim.schedule(".gif")
    within = view_box(anim, schedule.times)
    frames = anim.frames(".gif")
    before = next(frames)[..., :3]
    extents = []
    for frame in frames:
        frame = frame[..., :3]
        extents.append(changed_extent(before, frame, within=within))
        before = frame
    p95 = float(np.percentile(extents, 95))
    assert len(extents) == len(schedule.times) - 1 > 100
    assert p95 <= 90, p95  # 86 when written; one frame per step: 265
    steps = ravine(motion="steps", fps=20, steps_per_second=20)
    frames = list(steps.frames(".gif"))
    jumps = [
        changed_extent(a[..., :3], b[..., :3], within=within) for a, b in itertools.pairwise(frames)
    ]
    assert float(np.percentile(jumps, 95)) > 2 * p95  # the measure sees teleporting balls


@needs_encoder("gif")
def test_smooth_gif_costs_at_most_2_5_times_the_bytes_of_one_frame_per_step():
    smooth = len(ravine().to_bytes(".gif"))
    steps = len(ravine(motion="steps").to_bytes(".gif"))
    assert smooth <= 2.5 * steps, smooth / steps
