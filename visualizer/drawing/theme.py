"""Themes: colours and sizes for light and dark slides.

Each optimizer has one colour and one marker, by name, in every scene whatever
the order of the runs, so a slide deck can keep a colour per optimizer; two runs
of one optimizer get shades of its colour. The colours were picked so that every
pair stays at least 25 apart (CIELAB ΔE) for normal vision and under simulated
deuteranopia and protanopia (Machado et al., 2009); ``tests/test_theme.py``
checks it. ``THEMES`` is the one list of theme names (the ``theme`` option's
choices). matplotlib is imported only when a colour is converted, so the option
table can read the names without it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matplotlib.colors import LinearSegmentedColormap

    from visualizer.maths.recorder import Recording

#: Colour of "diverged" in the legend, in every theme.
DIVERGED_COLOR = "#d62728"

#: The second cue of each optimizer (beside its colour): the marker of its iterates.
MARKERS = {
    "gd": "o",
    "sgd": "v",
    "momentum": "s",
    "nesterov": "D",
    "adagrad": "^",
    "rmsprop": "P",
    "adam": "X",
}
#: Markers for optimizers not in :data:`MARKERS`, by position in the recording.
SPARE_MARKERS = ("h", "p", "<", ">", "*", "d")


@dataclass(frozen=True)
class RunStyle:
    """How one run is drawn: its colour and the marker of its iterates."""

    color: str
    marker: str


def _mix(color: str, other: str, amount: float) -> str:
    from matplotlib.colors import to_rgb

    a, b = to_rgb(color), to_rgb(other)
    return "#" + "".join(
        f"{round(255 * (x + (y - x) * amount)):02x}" for x, y in zip(a, b, strict=True)
    )


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
    optimizer_colors: tuple[tuple[str, str], ...]
    spare_colors: tuple[str, ...]
    minimum_marker: str
    ball_edge: str
    surface3d_colors: tuple[str, ...]
    mesh_line: tuple[float, float, float, float]
    shadow: str

    def cmap(self) -> LinearSegmentedColormap:
        """Colormap of the loss, low to high."""
        from matplotlib.colors import LinearSegmentedColormap

        return LinearSegmentedColormap.from_list(f"lossviz-{self.name}", self.surface_colors)

    def surface_cmap(self) -> LinearSegmentedColormap:
        """Colormap of the 3D surface: darker than the panes behind it, low to high."""
        from matplotlib.colors import LinearSegmentedColormap

        return LinearSegmentedColormap.from_list(f"lossviz-3d-{self.name}", self.surface3d_colors)

    def styles(self, names: Sequence[str]) -> list[RunStyle]:
        """Style of each run, given its optimizer's name, in order.

        An optimizer's colour and marker depend on its name only; the second,
        third, ... run of one optimizer get darker and lighter shades of it.
        Names without a colour take spare colours in order of appearance.

        Examples
        --------
        >>> [s.color for s in LIGHT.styles(["momentum", "gd"])] == [
        ...     s.color for s in reversed(LIGHT.styles(["gd", "momentum"]))]
        True
        >>> a, b = LIGHT.styles(["gd", "gd"])
        >>> a.color != b.color and a.marker == b.marker
        True
        """
        colors = dict(self.optimizer_colors)
        spare = iter(self.spare_colors * (1 + len(names)))
        seen: dict[str, int] = {}
        base: dict[str, str] = {}
        out = []
        for i, name in enumerate(names):
            if name not in base:
                base[name] = colors[name] if name in colors else next(spare)
            k = seen.get(name, 0)
            seen[name] = k + 1
            color = base[name]
            if k:  # shades: darker, lighter, darker still, ...
                toward = "#000000" if k % 2 else "#ffffff"
                # white needs a larger share to stand apart from an already light colour
                share = 0.4 if k % 2 else 0.6
                color = _mix(color, toward, min(0.75, share * ((k + 1) // 2)))
            marker = MARKERS.get(name, SPARE_MARKERS[i % len(SPARE_MARKERS)])
            out.append(RunStyle(color, marker))
        return out

    def palette_colors(self, names: Sequence[str]) -> list[tuple[int, int, int]]:
        """Colours an indexed-colour (GIF) palette must hold exactly, as 0..255 RGB.

        ``names`` are the optimizers of the runs, in order.
        """
        from matplotlib.colors import to_rgb

        colors = [s.color for s in self.styles(names)]
        colors += [self.text, self.muted, self.background, self.panel, self.ball_edge]
        colors += ["#ffffff", DIVERGED_COLOR]
        return [tuple(round(255 * c) for c in to_rgb(color)) for color in colors]  # type: ignore[misc]


def run_styles(rec: Recording, theme: Theme) -> list[RunStyle]:
    """Colour and marker of each run of ``rec`` (by optimizer name; see :meth:`Theme.styles`)."""
    return theme.styles([run.spec.name for run in rec.runs])


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
    # vermillion, blue and bluish green (Okabe–Ito) for the three classics, then colours
    # chosen for their distance from these and each other under colour-vision deficiency
    optimizer_colors=(
        ("gd", "#d55e00"),
        ("sgd", "#0072b2"),
        ("momentum", "#009e73"),
        ("nesterov", "#5b2bd6"),
        ("adagrad", "#8b0000"),
        ("rmsprop", "#74b9d1"),
        ("adam", "#1f2430"),
    ),
    spare_colors=("#cc79a7", "#e69f00", "#999933", "#44aa99"),
    minimum_marker="#1f2430",
    ball_edge="#ffffff",
    surface3d_colors=("#e3e7ee", "#c9d0db", "#aab4c3", "#8f9bad"),
    mesh_line=(1.0, 1.0, 1.0, 0.35),
    shadow="#000000",
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
        ("gd", "#ff8a3d"),
        ("sgd", "#56b4e9"),
        ("momentum", "#2ed3a0"),
        ("nesterov", "#8c7cff"),
        ("adagrad", "#ffe800"),
        ("rmsprop", "#00ff8b"),
        ("adam", "#ffffff"),
    ),
    spare_colors=("#f0a3d0", "#e69f00", "#ddcc77", "#cc6677"),
    minimum_marker="#f0f3f8",
    ball_edge="#10141c",
    surface3d_colors=("#2b3d5c", "#3a5178", "#536d96", "#7089b0"),
    mesh_line=(0.0, 0.0, 0.0, 0.3),
    shadow="#000000",
)

THEMES = {"light": LIGHT, "dark": DARK}
