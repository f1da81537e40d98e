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
    x0 = y0 = 0
    if within is not None:  # only the box counts: crop first
        x0, y0, x1, y1 = (max(v, 0) for v in within)
        a, b = a[y0:y1, x0:x1], b[y0:y1, x0:x1]
    diff = np.abs(a.astype(np.int16) - b.astype(np.int16)) > tolerance
    if diff.ndim == 3:
        diff = diff.any(axis=2)
    if not diff.any():
        return []
    h, w = diff.shape
    padded = np.zeros((-(-h // block) * block, -(-w // block) * block), bool)
    padded[:h, :w] = diff
    cells = padded.reshape(padded.shape[0] // block, block, -1, block).any(axis=(1, 3))
    label = np.zeros(cells.shape, int)
    boxes = []
    for start in zip(*(v.tolist() for v in np.nonzero(cells)), strict=True):
        if label[start]:
            continue
        label[start] = len(boxes) + 1
        stack, members = [start], []
        while stack:  # the cells that touch, diagonals included
            r, c = stack.pop()
            members.append((r, c))
            for dr in (-1, 0, 1):
                for dc in (-1, 0, 1):
                    near = (r + dr, c + dc)
                    if (
                        0 <= near[0] < cells.shape[0]
                        and 0 <= near[1] < cells.shape[1]
                        and cells[near]
                        and not label[near]
                    ):
                        label[near] = label[start]
                        stack.append(near)
        rows, cols = zip(*members, strict=True)
        r0, r1, c0, c1 = min(rows), max(rows) + 1, min(cols), max(cols) + 1
        mine = np.kron(label[r0:r1, c0:c1] == label[start], np.ones((block, block), bool))
        ys, xs = np.nonzero(padded[r0 * block : r1 * block, c0 * block : c1 * block] & mine)
        boxes.append(
            (
                x0 + c0 * block + int(xs.min()),
                y0 + r0 * block + int(ys.min()),
                x0 + c0 * block + int(xs.max()) + 1,
                y0 + r0 * block + int(ys.max()) + 1,
            )
        )
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
    return int(max((max(x1 - x0, y1 - y0) for x0, y0, x1, y1 in boxes), default=0))
