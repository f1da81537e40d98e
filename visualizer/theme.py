"""Themes: colours and sizes for light and dark slides.

The optimizer colours are the Okabe–Ito palette, which stays distinct for the
common forms of colour blindness. ``THEMES`` is the one list of theme names
(the ``theme`` option's choices). matplotlib is imported only when a colour is
converted, so the option table can read the names without it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matplotlib.colors import LinearSegmentedColormap

#: Colour of "diverged" in the legend, in every theme.
DIVERGED_COLOR = "#d62728"


@dataclass(frozen=True)
class Theme:
    """Colours of one theme."""

    name: str
    background: str
    panel: str
    text: str
    muted: str
    grid: str
    contour_line: str
    surface_colors: tuple[str, ...]
    optimizer_colors: tuple[str, ...]
    minimum_marker: str
    ball_edge: str

    def cmap(self) -> LinearSegmentedColormap:
        """Colormap of the loss, low to high."""
        from matplotlib.colors import LinearSegmentedColormap

        return LinearSegmentedColormap.from_list(f"lossviz-{self.name}", self.surface_colors)

    def color(self, i: int) -> str:
        """Colour of the ``i``-th optimizer."""
        return self.optimizer_colors[i % len(self.optimizer_colors)]

    def palette_colors(self, n_runs: int) -> list[tuple[int, int, int]]:
        """Colours an indexed-colour (GIF) palette must hold exactly, as 0..255 RGB."""
        from matplotlib.colors import to_rgb

        colors = [self.color(i) for i in range(n_runs)]
        colors += [self.text, self.muted, self.background, self.panel, self.ball_edge]
        colors += ["#ffffff", DIVERGED_COLOR]
        return [tuple(round(255 * c) for c in to_rgb(color)) for color in colors]  # type: ignore[misc]


LIGHT = Theme(
    name="light",
    background="#ffffff",
    panel="#f6f7f9",
    text="#1f2430",
    muted="#5b6475",
    grid="#d9dde5",
    contour_line="#5b6475",
    # pale at the bottom of the bowl, a cool grey up the walls: every optimizer colour
    # keeps its contrast on it
    surface_colors=("#ffffff", "#f1f3f6", "#dde2e9", "#c5ccd6", "#aab3c0", "#8d97a6"),
    # Okabe–Ito: vermillion, blue, bluish green, reddish purple, orange, sky blue, yellow
    optimizer_colors=(
        "#d55e00",
        "#0072b2",
        "#009e73",
        "#cc79a7",
        "#e69f00",
        "#56b4e9",
        "#1f2430",
    ),
    minimum_marker="#1f2430",
    ball_edge="#ffffff",
)

DARK = Theme(
    name="dark",
    background="#10141c",
    panel="#171c26",
    text="#e8ebf1",
    muted="#9aa3b5",
    grid="#2b3342",
    contour_line="#9fb3d1",
    surface_colors=("#0f1a2e", "#15264a", "#1f3763", "#2e4c7d", "#446596", "#5f80ad"),
    optimizer_colors=(
        "#ff8a3d",
        "#56b4e9",
        "#2ed3a0",
        "#f0a3d0",
        "#f0e442",
        "#e69f00",
        "#ffffff",
    ),
    minimum_marker="#f0f3f8",
    ball_edge="#10141c",
)

THEMES = {"light": LIGHT, "dark": DARK}
