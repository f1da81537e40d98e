"""Fast text for what changes every frame (live losses, the step counter).

matplotlib lays out and rasterises a text artist in about 2 ms; the live
numbers of a legend would cost more than everything else in a frame. A
:class:`TextStamp` draws the string with Pillow's FreeType binding, using the
same DejaVu font file matplotlib ships, into a small alpha mask, and blends it
into the frame array: about 0.1 ms.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from matplotlib import font_manager
from matplotlib.colors import to_rgb
from PIL import Image, ImageDraw, ImageFont


@lru_cache(maxsize=16)
def _font(family: str, weight: str, size_px: int) -> ImageFont.FreeTypeFont:
    path = font_manager.findfont(font_manager.FontProperties(family=family, weight=weight))
    return ImageFont.truetype(path, size_px)


class TextStamp:
    """A text position and style; :meth:`draw` blends a string into a frame.

    Parameters
    ----------
    xy_px
        Anchor point in pixels from the top-left corner of the frame.
    size_pt, dpi
        Font size in points at the figure's dpi.
    anchor
        Pillow anchor: ``"la"`` (left, top of ascender) or ``"ra"`` (right, ...).
    color
        Default colour.
    family, weight
        Font family and weight (found with matplotlib's font manager).
    """

    def __init__(
        self,
        xy_px: tuple[float, float],
        *,
        size_pt: float,
        dpi: float,
        anchor: str = "la",
        color: str = "#000000",
        family: str = "DejaVu Sans Mono",
        weight: str = "normal",
    ) -> None:
        self.xy = (float(xy_px[0]), float(xy_px[1]))
        self.font = _font(family, weight, max(4, round(size_pt * dpi / 72.0)))
        self.anchor = anchor
        self.color = np.array(to_rgb(color)) * 255.0
        self._cache: dict[str, tuple[int, int, np.ndarray] | None] = {}

    def _shape(self, text: str) -> tuple[int, int, np.ndarray] | None:
        """Top-left corner and alpha mask of ``text``; the last few are cached."""
        if text in self._cache:
            return self._cache[text]
        left, top, right, bottom = self.font.getbbox(text, anchor=self.anchor)
        w, h = right - left, bottom - top
        shaped = None
        if w > 0 and h > 0:
            mask = Image.new("L", (w, h), 0)
            draw = ImageDraw.Draw(mask)
            draw.text((-left, -top), text, fill=255, font=self.font, anchor=self.anchor)
            alpha = np.asarray(mask, dtype=np.float32) / 255.0
            shaped = (round(self.xy[0] + left), round(self.xy[1] + top), alpha)
        if len(self._cache) >= 8:  # readouts repeat for a frame or two, then move on
            self._cache.pop(next(iter(self._cache)))
        self._cache[text] = shaped
        return shaped

    def draw(self, frame: np.ndarray, text: str, color: str | None = None) -> None:
        """Blend ``text`` into ``frame`` (``H × W × 3`` or ``× 4``, uint8) in place."""
        if not text:
            return
        shaped = self._shape(text)
        if shaped is None:
            return
        x0, y0, alpha = shaped
        h, w = alpha.shape
        H, W = frame.shape[:2]
        fx0, fy0, fx1, fy1 = max(x0, 0), max(y0, 0), min(x0 + w, W), min(y0 + h, H)
        if fx0 >= fx1 or fy0 >= fy1:
            return
        a = alpha[fy0 - y0 : fy1 - y0, fx0 - x0 : fx1 - x0, None]
        rgb = self.color if color is None else np.array(to_rgb(color)) * 255.0
        region = frame[fy0:fy1, fx0:fx1, :3]
        region[...] = (region * (1.0 - a) + rgb * a + 0.5).astype(np.uint8)
