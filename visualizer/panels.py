"""Panels around the views: the title, the legend with live losses, the loss plot."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.transforms import Bbox

from visualizer.geometry import minimum_value, shown_steps
from visualizer.layer import Layer
from visualizer.layout import Layout, Rect
from visualizer.recorder import Recording
from visualizer.specs import matches_preset
from visualizer.stamps import TextStamp
from visualizer.theme import DIVERGED_COLOR, Theme, run_styles


def format_loss(value: float) -> str:
    """Loss for the legend: fixed point for ordinary values, scientific otherwise.

    Examples
    --------
    >>> format_loss(12.3456), format_loss(0.000123), format_loss(-0.25)
    ('12.35', '1.23e-04', '-0.2500')
    """
    value = float(f"{value:.4g}")  # round first, so 9.99996 becomes 10.00, not 10.000
    a = abs(value)
    if a == 0:
        return "0"
    if 1e-3 <= a < 1e4:
        digits = max(0, 3 - int(np.floor(np.log10(a))))
        return f"{value:.{digits}f}"
    return f"{value:.2e}"


class LegendPanel(Layer):
    """Title, subtitle, legend entries with live losses, and the step counter.

    Static text (title, labels, hyperparameters) is drawn with the background;
    the loss of each run and the step counter are redrawn every frame.
    """

    def __init__(
        self,
        figure: Figure,
        layout: Layout,
        rec: Recording,
        theme: Theme,
        *,
        title: str | None = None,
    ) -> None:
        self.figure, self.rec, self.theme = figure, rec, theme
        surface = rec.surface
        heading = title if title is not None else surface.title
        figure.text(
            0.02,
            layout.title_y,
            heading,
            fontsize=18,
            fontweight="bold",
            color=theme.text,
            va="top",
            ha="left",
        )
        figure.text(
            0.98,
            layout.title_y,
            surface.formula,
            fontsize=15,
            color=theme.text,
            va="top",
            ha="right",
        )
        note = (
            surface.preset.note
            if matches_preset([r.spec for r in rec.runs], surface.preset.optimizers)
            else ""
        )
        sub = f"start ({rec.start[0]:.4g}, {rec.start[1]:.4g})"
        sub += f"  ·  {note}" if note else ""
        if any(r.spec.info.stochastic for r in rec.runs):
            sub += f"  ·  seed {rec.seed}"
        sub += f"  ·  {rec.note}" if rec.note else ""
        figure.text(
            0.02,
            layout.title_y - 0.058,
            sub,
            fontsize=11,
            color=theme.muted,
            va="top",
            ha="left",
        )
        self.loss_stamps: list[TextStamp] = []
        # extra live lines under each entry (a model run's readouts), one stamp per line
        self.readout_lines = max((len(r.readout(0).splitlines()) for r in rec.runs), default=0)
        self.readout_stamps: list[list[TextStamp]] = []
        self._place_entries(layout)

    def _place_entries(self, layout: Layout) -> None:
        fig, theme, rec = self.figure, self.theme, self.rec
        rect: Rect = layout.legend
        n = len(rec.runs)
        cols = layout.legend_columns
        rows = int(np.ceil(n / cols))
        W, H = fig.bbox.width, fig.bbox.height
        col_w = rect.w / cols
        renderer = fig.canvas.get_renderer()
        labels = [
            fig.text(0, 0, run.label, fontsize=13, fontweight="bold", color=theme.text, va="top")
            for run in rec.runs
        ]
        label_w = max(t.get_window_extent(renderer).width for t in labels) / W
        loss_w = TextStamp((0, 0), size_pt=12.5, dpi=fig.dpi).font.getlength("loss -0.0000e+00") / W

        def fits_beside(scale: float) -> bool:
            return scale * (0.042 + label_w + 0.015 + loss_w) <= col_w - 0.015

        # the live loss goes beside the label when it fits, else on a line of its own;
        # everything shrinks together when the entries would not fit the height
        base_line = 13 * fig.dpi / 72.0 / H
        scale = 1.0
        extra = 1.05 * self.readout_lines
        for _ in range(3):
            per_entry = (2.55 if fits_beside(scale) else 3.55) + extra
            needed = (1.9 + rows * per_entry) * base_line
            scale = min(1.0, (rect.h - 0.02) / needed)
        beside = fits_beside(scale)
        line = base_line * scale
        row_h = ((2.55 if beside else 3.55) + extra) * line
        for t in labels:
            t.set_fontsize(13 * scale)
        top = rect.y + rect.h - 0.01
        self.step_stamp = TextStamp(
            ((rect.x + 0.012) * W, (1.0 - top) * H),
            size_pt=13 * scale,
            dpi=fig.dpi,
            color=theme.muted,
            family="DejaVu Sans",
        )
        top -= 1.9 * line
        styles = run_styles(rec, theme)
        for i, run in enumerate(rec.runs):
            c, r = divmod(i, rows)
            x0 = rect.x + c * col_w + 0.012
            y0 = top - r * row_h
            color, marker = styles[i].color, styles[i].marker
            swatch_y = [y0 - 0.3 * line] * 2
            swatch_w = 0.03 * scale
            fig.add_artist(
                Line2D(
                    [x0, x0 + swatch_w],
                    swatch_y,
                    transform=fig.transFigure,
                    color=color,
                    linewidth=2.6 * scale,
                )
            )
            fig.add_artist(
                Line2D(
                    [x0 + swatch_w],
                    swatch_y[:1],
                    transform=fig.transFigure,
                    marker=marker,
                    markersize=10 * scale,
                    markerfacecolor=color,
                    markeredgecolor=theme.ball_edge,
                    markeredgewidth=1.4,
                )
            )
            text_x = x0 + 0.042 * scale
            labels[i].set_position((text_x, y0))
            fig.text(
                text_x,
                y0 - 1.15 * line,
                run.spec.hyper_text(data=rec.surface.dataset is not None),
                fontsize=10.5 * scale,
                color=theme.muted,
                va="top",
                ha="left",
            )
            if beside:
                xy = ((x0 + col_w - 0.02) * W, (1.0 - y0) * H)
                anchor = "ra"
            else:
                xy = (text_x * W, (1.0 - (y0 - 2.15 * line)) * H)
                anchor = "la"
            self.loss_stamps.append(
                TextStamp(xy, size_pt=12.5 * scale, dpi=fig.dpi, anchor=anchor, color=theme.text)
            )
            first = y0 - (2.2 if beside else 3.2) * line
            self.readout_stamps.append(
                [
                    TextStamp(
                        (text_x * W, (1.0 - (first - k * 1.05 * line)) * H),
                        size_pt=10.5 * scale,
                        dpi=fig.dpi,
                        anchor="la",
                        color=theme.text,
                        family="DejaVu Sans",
                    )
                    for k in range(self.readout_lines)
                ]
            )

    def stamp(self, frame: np.ndarray, step: int) -> None:
        """Blend the step counter and the live losses into ``frame``."""
        self.step_stamp.draw(frame, f"step {step} / {self.rec.steps}")
        for run, stamp in zip(self.rec.runs, self.loss_stamps, strict=True):
            if run.diverged_at is not None and step >= run.diverged_at:
                stamp.draw(frame, f"diverged at step {run.diverged_at}", color=DIVERGED_COLOR)
            else:
                stamp.draw(frame, f"loss {format_loss(float(run.losses[step])):>9}")
        for run, stamps in zip(self.rec.runs, self.readout_stamps, strict=True):
            for stamp, text in zip(stamps, run.readout(step).splitlines(), strict=False):
                stamp.draw(frame, text)


class LossPanel(Layer):
    """Loss gap ``f − f*`` versus step on a log scale, growing with the animation.

    ``f*`` is the surface's known minimum value (see
    :func:`~visualizer.geometry.minimum_value`), not the least value on a grid,
    so a linearly converging run is a straight line to the end.
    """

    def __init__(self, figure: Figure, rect: Rect, rec: Recording, theme: Theme) -> None:
        self.figure, self.rec, self.theme = figure, rec, theme
        ax = figure.add_axes(rect.bounds)
        self.ax = ax
        finite = [r.losses[: r.last_step + 1] for r in rec.runs]
        if rec.loss_floor is not None:  # a known floor (a cross-entropy's 0): plot f − floor
            self.f_star = rec.loss_floor
        else:
            lows = [float(np.min(v)) for v in finite if v.size]
            self.f_star = minimum_value(rec.surface, lows)
        gaps = np.concatenate([v - self.f_star for v in finite]) if finite else np.ones(1)
        gaps = np.clip(gaps[np.isfinite(gaps)], 0.0, 1e300)
        hi = float(np.max(gaps)) if gaps.size else 1.0
        hi = hi if hi > 0 else 1.0
        positive = gaps[gaps > 0]
        lo = float(np.min(positive)) if positive.size else hi * 1e-6
        lo = max(lo, hi * 1e-10)
        self.floor = lo
        ax.set_yscale("log")
        ax.set_xlim(0, rec.steps)
        ax.set_ylim(lo / 2, hi * 2)
        ax.set_facecolor(theme.panel)
        ax.set_xlabel("step", color=theme.muted, fontsize=10, labelpad=1)
        title = "loss gap f − f* (log)" if rec.loss_floor != 0.0 else "training loss (log)"
        ax.set_title(title, color=theme.muted, fontsize=10.5, loc="left", pad=4)
        ax.tick_params(colors=theme.muted, labelsize=8.5, length=2.5)
        ax.grid(True, color=theme.grid, linewidth=0.6)
        for spine in ax.spines.values():
            spine.set_color(theme.grid)
        self.lines = []
        self.dots = []
        for style in run_styles(rec, theme):
            color = style.color
            line = Line2D([], [], color=color, linewidth=1.8, animated=True)
            dot = Line2D(
                [],
                [],
                marker=style.marker,
                markersize=6,
                color=color,
                markeredgecolor=theme.ball_edge,
                linestyle="none",
                animated=True,
            )
            ax.add_line(line)
            ax.add_line(dot)
            self.lines.append(line)
            self.dots.append(dot)

    def _gap(self, values: np.ndarray) -> np.ndarray:
        return np.maximum(values - self.f_star, self.floor)

    def draw_trail(self, start: int, stop: int) -> None:
        """Extend each loss curve from ``start`` to ``stop``."""
        for run, line in zip(self.rec.runs, self.lines, strict=True):
            rows = shown_steps(run, start, stop)
            if rows is None:
                continue
            steps = np.arange(rows.start, rows.stop)
            line.set_data(steps, self._gap(run.losses[rows]))
            self.ax.draw_artist(line)

    def drawing_box(self) -> Bbox:
        """The axes: the curves and dots are clipped to them."""
        return self.ax.bbox

    def draw_dynamic(self, step: int) -> None:
        """Mark the current loss of each run."""
        for run, dot in zip(self.rec.runs, self.dots, strict=True):
            if step > run.last_step:
                continue
            dot.set_data([step], [self._gap(run.losses[step : step + 1])[0]])
            self.ax.draw_artist(dot)
