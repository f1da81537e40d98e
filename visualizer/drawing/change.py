"""How far the picture jumps between two frames: the measure of smooth motion.

A ball that teleports leaves a large changed region between consecutive frames
(its old place, its new place and the trail between); a ball that rolls leaves a
small one. :func:`changed_extent` measures it: the pixels that differ, grouped
into connected regions (8-neighbour, on a grid of ``block``-pixel cells so that a
ball, its trail and its highlight join), and the longer side, in pixels, of the
largest region's bounding box. Regions are measured apart, so two balls far from
each other are two small regions, not one large box. Pure numpy.

Examples
--------
>>> a = np.zeros((90, 160, 3), np.uint8)
>>> b = a.copy()
>>> b[10:20, 10:50] = 255  # one region 40 px wide
>>> b[60:70, 120:130] = 255  # another, far away
>>> changed_extent(a, b)
40
>>> changed_extent(a, a)
0
"""

from __future__ import annotations

import numpy as np

#: Cell side, in pixels, of the grid on which changed pixels are grouped.
BLOCK_PX = 8
#: Channel levels (of 255) a pixel may move and still count as unchanged.
TOLERANCE = 8


def changed_boxes(
    before: np.ndarray,
    after: np.ndarray,
    *,
    within: tuple[int, int, int, int] | None = None,
    block: int = BLOCK_PX,
    tolerance: int = TOLERANCE,
) -> list[tuple[int, int, int, int]]:
    """Bounding boxes ``(x0, y0, x1, y1)`` (pixels, ends excluded) of the changed regions.

    Parameters
    ----------
    before, after
        Frames of one shape, ``(H, W)`` or ``(H, W, C)``.
    within
        Only pixels in this box ``(x0, y0, x1, y1)`` count (say a view's axes,
        leaving out the live-number stamps of the legend); ``None`` for all.
    block
        Cells of this many pixels a side join the changed pixels they hold into
        regions (cells that touch, diagonals included, are one region).
    tolerance
        A pixel has changed if a channel moved by more than this (0..255): a line
        redrawn a little longer shifts its anti-aliased edge by a level or two.
    """
    a, b = np.asarray(before), np.asarray(after)
    diff = np.abs(a.astype(np.int16) - b.astype(np.int16)) > tolerance
    if diff.ndim == 3:
        diff = diff.any(axis=2)
    if within is not None:
        x0, y0, x1, y1 = within
        mask = np.zeros_like(diff)
        mask[max(y0, 0) : max(y1, 0), max(x0, 0) : max(x1, 0)] = True
        diff &= mask
    rows, cols = np.nonzero(diff)
    if rows.size == 0:
        return []
    ys, xs = rows, cols
    cell_r, cell_c = ys // block, xs // block
    # each cell's pixel extent
    extent: dict[tuple[int, int], list[int]] = {}
    order = np.lexsort((cell_c, cell_r))
    key = cell_r[order] * (diff.shape[1] // block + 2) + cell_c[order]
    starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    ends = np.r_[starts[1:], len(order)]
    for s, e in zip(starts.tolist(), ends.tolist(), strict=True):
        idx = order[s:e]
        extent[(int(cell_r[idx[0]]), int(cell_c[idx[0]]))] = [
            int(xs[idx].min()),
            int(ys[idx].min()),
            int(xs[idx].max()) + 1,
            int(ys[idx].max()) + 1,
        ]
    boxes = []
    seen: set[tuple[int, int]] = set()
    for start in extent:
        if start in seen:
            continue
        seen.add(start)
        stack, box = [start], list(extent[start])
        while stack:
            r, c = stack.pop()
            x0, y0, x1, y1 = extent[(r, c)]
            box = [min(box[0], x0), min(box[1], y0), max(box[2], x1), max(box[3], y1)]
            for dr in (-1, 0, 1):
                for dc in (-1, 0, 1):
                    near = (r + dr, c + dc)
                    if near in extent and near not in seen:
                        seen.add(near)
                        stack.append(near)
        boxes.append((box[0], box[1], box[2], box[3]))
    return boxes


def changed_extent(
    before: np.ndarray,
    after: np.ndarray,
    *,
    within: tuple[int, int, int, int] | None = None,
    block: int = BLOCK_PX,
    tolerance: int = TOLERANCE,
) -> int:
    """The longer side, in pixels, of the largest changed region (0 if nothing changed).

    Parameters are those of :func:`changed_boxes`.
    """
    boxes = changed_boxes(before, after, within=within, block=block, tolerance=tolerance)
    return max((max(x1 - x0, y1 - y0) for x0, y0, x1, y1 in boxes), default=0)
