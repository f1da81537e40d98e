"""GIF maths: frame delays from ``fps``, the one shared palette, and delay patching.

Pure numpy (plus Pillow's quantizer): no files, no processes. The GIF encoder in
:mod:`visualizer.encoding.writers` uses these; they are public so that tests and docs can
show what a GIF will hold before any frame is encoded.

Examples
--------
>>> gif_frame_duration_ms(20)
50
>>> gif_palette(np.zeros((2, 2, 3), np.uint8)).shape
(256, 3)
"""

from __future__ import annotations

import struct
from collections.abc import Sequence

import numpy as np
from PIL import Image

__all__ = [
    "GIF_PALETTE_SIDE",
    "GIF_PALETTE_SIZE",
    "MAX_DELAY_CS",
    "MAX_FPS",
    "MAX_HOLD_LAST_MS",
    "MIN_FPS",
    "check_fps",
    "gif_delays_at_stride_cs",
    "gif_frame_delays_cs",
    "gif_frame_duration_ms",
    "gif_palette",
    "rgb_channels",
    "set_gif_delays",
]

MIN_FPS = 1
MAX_FPS = 100
MAX_DELAY_CS = 65_535  # GIF delays are 16-bit centiseconds
MAX_HOLD_LAST_MS = 10 * MAX_DELAY_CS
GIF_PALETTE_SIZE = 256
GIF_PALETTE_SIDE = 16  # the palette as an image: 16x16 pixels, one per colour
MIN_GIF_DELAY_CS = 2  # browsers slow delays of 0 or 1 cs down to 10 cs

RGB = tuple[int, int, int]


def check_fps(fps: int) -> int:
    """``fps`` as an ``int``, checked to be a whole number from 1 to 100.

    Raises
    ------
    ValueError
        If ``fps`` is not a whole number (``bool`` included) or out of range.
    """
    if isinstance(fps, bool) or not isinstance(fps, int | np.integer):
        raise ValueError(f"fps must be a whole number from {MIN_FPS} to {MAX_FPS}, got {fps!r}")
    if not MIN_FPS <= fps <= MAX_FPS:
        raise ValueError(f"fps must be from {MIN_FPS} to {MAX_FPS}, got {fps}")
    return int(fps)


def gif_frame_duration_ms(fps: int) -> int:
    """Delay between GIF frames, in milliseconds, for a frame rate.

    This is the one place where ``fps`` becomes a delay. GIF stores delays in
    centiseconds (1/100 s), so the delay is ``100 / fps`` centiseconds rounded
    half up, and at least 2 cs because browsers slow delays of 0 or 1 cs down to
    10 cs. The GIF plays at exactly ``fps`` only when ``fps`` divides 100; else
    at the nearest rate it can store (``fps=30`` plays at 33.3 frames/s).

    Parameters
    ----------
    fps
        Frames per second, from 1 to 100.

    Returns
    -------
    int
        Delay in milliseconds, a multiple of 10.

    Examples
    --------
    >>> [gif_frame_duration_ms(fps) for fps in (1, 10, 20, 24, 25, 30, 40, 100)]
    [1000, 100, 50, 40, 40, 30, 30, 20]
    """
    fps = check_fps(fps)
    centiseconds = max(MIN_GIF_DELAY_CS, (200 + fps) // (2 * fps))  # round(100 / fps), half up
    return 10 * centiseconds


def gif_frame_delays_cs(repeats: Sequence[int], *, fps: int, hold_last_ms: int) -> list[int]:
    """Each GIF frame's delay in centiseconds, when frame ``k`` shows for ``repeats[k]`` periods.

    A frame shown ``r`` times lasts ``r`` frame periods; the last frame lasts at
    least ``hold_last_ms`` (rounded half up to centiseconds). Delays are capped
    at the GIF maximum, 655.35 s.

    Examples
    --------
    >>> gif_frame_delays_cs([1, 1, 1], fps=20, hold_last_ms=1000)
    [5, 5, 100]
    >>> gif_frame_delays_cs([20, 1, 3], fps=20, hold_last_ms=0)
    [100, 5, 15]
    """
    frame_cs = gif_frame_duration_ms(fps) // 10
    delays = [min(MAX_DELAY_CS, repeat * frame_cs) for repeat in repeats]
    if delays:
        delays[-1] = min(MAX_DELAY_CS, max(delays[-1], (hold_last_ms + 5) // 10))
    return delays


def gif_delays_at_stride_cs(
    slots: Sequence[int], *, fps: int, stride: int, hold_last_ms: int
) -> list[int]:
    """GIF delays (centiseconds) of frames shown for ``slots[k]`` slots of ``stride`` periods.

    A GIF of a ``fps`` animation that keeps every ``stride``-th period plays at
    ``fps / stride`` frames per second, which GIF's centiseconds may not hold
    exactly (60 / 2 = 30 fps is 3.33 cs a frame): each frame's start is rounded to
    the nearest centisecond, so delays alternate (3, 4, 3, ...) and the GIF lasts
    as long as the video. The last frame lasts at least ``hold_last_ms``.

    Examples
    --------
    >>> gif_delays_at_stride_cs([1, 1, 1, 1, 1, 1], fps=60, stride=2, hold_last_ms=0)
    [3, 4, 3, 3, 4, 3]
    >>> gif_delays_at_stride_cs([45, 1, 1], fps=60, stride=2, hold_last_ms=3000)
    [150, 3, 300]
    """
    ends = np.cumsum(np.asarray(slots, dtype=np.int64)) * stride
    starts = np.concatenate([[0], ends[:-1]])
    edges = np.floor(np.concatenate([starts, ends[-1:]]) * 100 / fps + 0.5).astype(int)
    delays = [max(MIN_GIF_DELAY_CS, min(MAX_DELAY_CS, int(d))) for d in np.diff(edges)]
    if delays:
        delays[-1] = min(MAX_DELAY_CS, max(delays[-1], (hold_last_ms + 5) // 10))
    return delays


def gif_palette(first_frame: np.ndarray, *, extra_colors: Sequence[RGB] = ()) -> np.ndarray:
    """The one palette shared by every frame of a GIF.

    The palette is built once from the first frame, which holds the static
    background, every optimizer colour and the legend text. ``extra_colors``
    come first and exactly. If everything fits in 256 colours the palette is
    exact; otherwise the most frequent colours (flat contour bands, lines,
    text) are kept exactly, up to half the palette, and the remaining entries
    come from Pillow's maximum-coverage quantization of the pixels left over,
    which are mostly anti-aliased edges and text. (On matplotlib contour plots
    that gave the smallest worst-case errors, against median cut, octree and
    ffmpeg's ``palettegen``.) Unused entries repeat the last colour.

    Parameters
    ----------
    first_frame
        ``uint8`` array of shape ``(H, W, 3)`` or ``(H, W, 4)`` (alpha is ignored).
    extra_colors
        RGB colours that must be in the palette, such as colours that appear
        only in later frames.

    Returns
    -------
    numpy.ndarray
        ``uint8`` array of shape ``(256, 3)``.

    Examples
    --------
    >>> frame = np.zeros((4, 4, 3), np.uint8)
    >>> palette = gif_palette(frame, extra_colors=[(255, 0, 0)])
    >>> palette.shape, palette[:2].tolist()
    ((256, 3), [[255, 0, 0], [0, 0, 0]])
    """
    if not (
        isinstance(first_frame, np.ndarray)
        and first_frame.dtype == np.uint8
        and first_frame.ndim == 3
        and first_frame.shape[2] in (3, 4)
    ):
        raise ValueError("first frame must be a uint8 array of shape (H, W, 3) or (H, W, 4)")
    pixels = first_frame.reshape(-1, first_frame.shape[2])  # a view: no copy of the frame
    extras = _pack(np.array(check_colors(extra_colors), np.uint8).reshape(-1, 3))
    extras = extras[np.sort(np.unique(extras, return_index=True)[1])]  # dedupe, keep order
    colors, counts = _color_counts(pixels)
    frequent = colors[np.argsort(-counts, kind="stable")]
    frequent = frequent[~np.isin(frequent, extras)]
    budget = GIF_PALETTE_SIZE - len(extras)
    if len(frequent) <= budget:
        chosen = np.concatenate([extras, frequent])
    else:
        exact = np.concatenate([extras, frequent[: budget // 2]])
        leftover = _pixels_not_among(pixels, exact)
        approximate = _quantize(leftover, GIF_PALETTE_SIZE - len(exact))
        chosen = np.concatenate([exact, approximate[~np.isin(approximate, exact)]])
    chosen = chosen[:GIF_PALETTE_SIZE]
    chosen = np.pad(chosen, (0, GIF_PALETTE_SIZE - len(chosen)), mode="edge")
    return _unpack(chosen)


def check_colors(colors: Sequence[RGB]) -> tuple[RGB, ...]:
    """``colors`` as a tuple of ``(r, g, b)`` ints from 0 to 255, at most 256 distinct.

    Raises
    ------
    ValueError
        If a colour is not 3 integers from 0 to 255, or there are too many.
    """
    checked = []
    for color in colors:
        values = tuple(color) if isinstance(color, Sequence | np.ndarray) else ()
        if len(values) != 3 or not all(
            isinstance(v, int | np.integer) and 0 <= v <= 255 for v in values
        ):
            raise ValueError(f"extra colour {color!r} must be 3 integers from 0 to 255")
        checked.append((int(values[0]), int(values[1]), int(values[2])))
    if len(set(checked)) > GIF_PALETTE_SIZE:
        raise ValueError(f"at most {GIF_PALETTE_SIZE} extra colours fit in a GIF palette")
    return tuple(checked)


def rgb_channels(frame: np.ndarray) -> np.ndarray:
    """The RGB channels of an ``(H, W, 3|4)`` ``uint8`` frame, contiguous.

    Examples
    --------
    >>> rgba = np.arange(2 * 2 * 4, dtype=np.uint8).reshape(2, 2, 4)
    >>> rgb_channels(rgba)[0, 1].tolist()
    [4, 5, 6]
    """
    if frame.shape[2] == 3:
        return frame
    rgb = np.empty((*frame.shape[:2], 3), np.uint8)
    for channel in range(3):  # one channel at a time: ~5x faster than frame[:, :, :3]
        rgb[:, :, channel] = frame[:, :, channel]
    return rgb


def set_gif_delays(data: bytearray, delays_cs: Sequence[int]) -> None:
    """Overwrite, in place, the delay of every frame of a GIF file's bytes.

    Parameters
    ----------
    data
        A whole GIF file whose frames each have a Graphic Control Extension
        (as ffmpeg writes them).
    delays_cs
        One delay per frame, in centiseconds.

    Raises
    ------
    ValueError
        If ``data`` is not such a GIF or has another number of frames.
    """
    if data[:6] not in (b"GIF87a", b"GIF89a"):
        raise ValueError("not a GIF file")
    pos = 13 + (3 * 2 ** ((data[10] & 7) + 1) if data[10] & 0x80 else 0)
    controls, images = [], 0
    while pos < len(data) and data[pos] != 0x3B:
        if data[pos] == 0x21:  # extension: label, then sub-blocks
            if data[pos + 1] == 0xF9:
                controls.append(pos + 4)  # the delay follows block size and flags
            pos += 2
        elif data[pos] == 0x2C:  # image: descriptor, local palette, LZW size, sub-blocks
            flags = data[pos + 9]
            pos += 10 + (3 * 2 ** ((flags & 7) + 1) if flags & 0x80 else 0) + 1
            images += 1
        else:
            raise ValueError(f"unexpected GIF block 0x{data[pos]:02x}")
        while pos < len(data) and data[pos]:
            pos += data[pos] + 1
        pos += 1
    if len(controls) != images or images != len(delays_cs):
        raise ValueError(f"GIF has {images} frames, {len(delays_cs)} delays given")
    for offset, delay in zip(controls, delays_cs, strict=True):
        struct.pack_into("<H", data, offset, delay)


_CHUNK = 1 << 20  # pixels at a time: the palette's work on a 3840x2160 frame stays small


def _pack(rgb: np.ndarray) -> np.ndarray:
    """``(N, 3)`` (or ``(N, 4)``, alpha ignored) uint8 colours as ``(N,)`` uint32 ``0xRRGGBB``.

    Built in place, one channel at a time: no ``(N, 3)`` uint32 copy (100 MB at 4K).
    """
    packed = rgb[:, 0].astype(np.uint32)
    for channel in (1, 2):
        packed <<= 8
        packed |= rgb[:, channel]
    return packed


def _color_counts(pixels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct packed colours of ``(N, 3|4)`` ``pixels``, ascending, and how often each
    comes: a chunk of pixels at a time, so the memory stays flat on big frames.

    Examples
    --------
    >>> pixels = np.array([[0, 0, 9], [0, 0, 1], [0, 0, 9]], np.uint8)
    >>> [a.tolist() for a in _color_counts(pixels)]
    [[1, 9], [1, 2]]
    """
    parts = [
        np.unique(_pack(pixels[start : start + _CHUNK]), return_counts=True)
        for start in range(0, len(pixels), _CHUNK)
    ]
    if len(parts) == 1:
        return parts[0]
    colors, where = np.unique(np.concatenate([c for c, _ in parts]), return_inverse=True)
    counts = np.zeros(len(colors), np.int64)
    np.add.at(counts, where, np.concatenate([n for _, n in parts]))
    return colors, counts


def _pixels_not_among(pixels: np.ndarray, colors: np.ndarray) -> np.ndarray:
    """The ``(M, 3)`` pixels whose colour is not one of the packed ``colors``, in order.

    Examples
    --------
    >>> pixels = np.array([[0, 0, 5], [0, 0, 7], [0, 0, 9]], np.uint8)
    >>> _pixels_not_among(pixels, np.array([9, 5], np.uint32)).tolist()
    [[0, 0, 7]]
    """
    parts = []
    for start in range(0, len(pixels), _CHUNK):
        part = pixels[start : start + _CHUNK]
        parts.append(part[~np.isin(_pack(part), colors, kind="table"), :3])
    return np.concatenate(parts) if parts else np.empty((0, 3), np.uint8)


def _unpack(packed: np.ndarray) -> np.ndarray:
    shifts = np.array([16, 8, 0], np.uint32)
    return ((packed[:, np.newaxis] >> shifts) & 0xFF).astype(np.uint8)


def _quantize(pixels: np.ndarray, colors: int) -> np.ndarray:
    """At most ``colors`` packed colours representing ``(N, 3)`` ``pixels``."""
    if colors < 1 or len(pixels) == 0:
        return np.empty(0, np.uint32)
    image = Image.fromarray(pixels[np.newaxis])
    quantized = image.quantize(colors, method=Image.Quantize.MAXCOVERAGE, dither=Image.Dither.NONE)
    used = np.unique(np.asarray(quantized))
    return _pack(np.array(quantized.getpalette(), np.uint8).reshape(-1, 3)[used])
