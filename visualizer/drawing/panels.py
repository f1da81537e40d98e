"""Panels around the views: the title, the legend with live losses, the loss plot."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.transforms import Bbox

from visualizer.drawing.geometry import ArrowScales, minimum_value, shown_steps
from visualizer.drawing.layer import Layer
from visualizer.drawing.layout import (
    FULL_SIZE_TEXT_PX,
    MIN_TEXT_PX,
    Layout,
    Rect,
    label_axes,
    text_pt,
)
from visualizer.drawing.stamps import TextStamp
from visualizer.drawing.theme import DIVERGED_COLOR, Theme, run_styles
from visualizer.maths.recorder import Recording, Run
from visualizer.maths.specs import matches_preset


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
        headline: str | None = None,
        arrows: bool = False,
    ) -> None:
        self.figure, self.rec, self.theme = figure, rec, theme
        surface = rec.surface
        self.left_at = {id(run): run.left_at(surface.window) for run in rec.runs}
        dpi = figure.dpi
        self._draw_heading(layout, title, headline)
        # the note compares optimizers ("same lr for every optimizer"): it describes
        # the runs only when there are several, all with the preset's values
        note = (
            surface.preset.note
            if len(rec.runs) > 1
            and matches_preset([r.spec for r in rec.runs], surface.preset.optimizers)
            else ""
        )
        # a network's start is a point on a plane chosen afterwards: it means nothing
        # to a class, the plane's note (rec.note) says what the picture is instead
        network = getattr(rec, "model", None) is not None
        parts = [] if network else [f"start ({rec.start[0]:.4g}, {rec.start[1]:.4g})"]
        sub = "  ·  ".join([*parts, note] if note else parts)
        if any(r.spec.stochastic for r in rec.runs):
            sub += f"  ·  seed {rec.seed}"
        sub += f"  ·  {rec.note}" if rec.note else ""
        sub = sub.removeprefix("  ·  ")
        sub_pt = text_pt(11, dpi)
        if sub_pt is not None:
            figure.text(
                0.02,
                layout.heading_y - 0.058,
                sub,
                fontsize=sub_pt,
                color=theme.muted,
                va="top",
                ha="left",
            )
        self.arrow_key = ArrowScales.of(rec.runs, surface.window).legend_text() if arrows else ""
        self.loss_stamps: list[TextStamp] = []
        # extra live lines under each entry (a model run's readouts), one stamp per line
        self.readout_lines = max((len(r.readout(0).splitlines()) for r in rec.runs), default=0)
        self.readout_stamps: list[list[TextStamp]] = []
        self._place_entries(layout)

    def _draw_heading(self, layout: Layout, title: str | None, headline: str | None) -> None:
        """The headline (the takeaway), then the surface's name and its formula.

        Without a headline the surface's name is the title. An expression surface's
        name is its raw text: the typeset formula stands in for it, once.
        """
        fig, theme, surface, dpi = self.figure, self.theme, self.rec.surface, self.figure.dpi
        raw = surface.title.startswith("f(x, y) = ") and surface.formula.startswith("$f(x,y)")
        name = title if title is not None else (surface.formula if raw else surface.title)
        formula = "" if name == surface.formula else surface.formula
        if headline:
            fig.text(
                0.02,
                layout.title_y,
                headline,
                fontsize=text_pt(18, dpi, primary=True),
                fontweight="bold",
                color=theme.text,
                va="top",
                ha="left",
            )
        name_pt = text_pt(15, dpi) if headline else text_pt(18, dpi, primary=True)
        if name_pt is not None:
            fig.text(
                0.02,
                layout.heading_y,
                name,
                fontsize=name_pt,
                fontweight="normal" if headline else "bold",
                color=theme.text,
                va="top",
                ha="left",
            )
        formula_pt = text_pt(15, dpi)
        if formula_pt is not None and formula:
            fig.text(
                0.98,
                layout.heading_y,
                formula,
                fontsize=formula_pt,
                color=theme.text,
                va="top",
                ha="right",
            )

    def _place_entries(self, layout: Layout) -> None:
        fig, theme, rec = self.figure, self.theme, self.rec
        rect: Rect = layout.legend
        n = len(rec.runs)
        cols = layout.legend_columns
        rows = int(np.ceil(n / cols))
        W, H = fig.bbox.width, fig.bbox.height
        dpi = fig.dpi
        col_w = rect.w / cols
        renderer = fig.canvas.get_renderer()
        label_pt = text_pt(13, dpi, primary=True)
        loss_pt = text_pt(12.5, dpi, primary=True)
        small_pt = text_pt(10.5, dpi)  # hyperparameters, readouts and the arrow key
        assert label_pt is not None and loss_pt is not None
        labels = [
            fig.text(0, 0, run.label, fontsize=label_pt, fontweight="bold", color=theme.text)
            for run in rec.runs
        ]
        for t in labels:
            t.set_verticalalignment("top")
        label_w = max(t.get_window_extent(renderer).width for t in labels) / W
        font = TextStamp((0, 0), size_pt=loss_pt, dpi=dpi).font
        self.beside = True  # right-aligned beside the label: no padding (measured so)
        loss_w = max(font.getlength(text) for text in self._loss_texts()) / W
        swatch = 0.042 * label_pt / 13

        def fits_beside(scale: float) -> bool:
            # the loss is right-aligned at the column's edge less 0.008 (see below)
            return scale * (swatch + label_w + 0.012 + loss_w) <= col_w - 0.012 - 0.008

        # the live loss goes beside the label when it fits, else on a line of its own;
        # when the entries would not fit the height, everything shrinks together, but no
        # text below the full-size floor (14 px at 100 dpi) nor below MIN_TEXT_PX: the
        # hyperparameter lines go first
        base_line = label_pt * dpi / 72.0 / H
        least_px = max(MIN_TEXT_PX, FULL_SIZE_TEXT_PX * dpi / 100.0)
        small = small_pt is not None

        def entry_lines(scale: float, small: bool, loss: bool) -> float:
            beside = fits_beside(scale)
            lines = 2.55 if beside or not loss else 3.55  # label, hyperparameters, loss
            return lines - (0 if small else 1.0) + (1.05 * self.readout_lines if small else 0.0)

        def layout_scale(small: bool, loss: bool) -> tuple[float, bool]:
            smallest = (small_pt if small else loss_pt) * dpi / 72.0
            floor = min(1.0, least_px / smallest)
            scale = 1.0
            key = 1.0 + 1.1 * self.arrow_key.count("\n") + 0.4 if self.arrow_key else 0.0
            for _ in range(3):
                needed = (1.9 + rows * entry_lines(scale, small, loss) + key) * base_line
                scale = min(1.0, (rect.h - 0.02) / needed)
            return max(scale, floor), scale >= floor

        # what gives way when the entries do not fit: first the hyperparameters, then
        # (only on frames too small for anything else) the live losses
        self.show_loss = True
        scale, fits = layout_scale(small, True)
        if small and not fits:
            small = False
            scale, fits = layout_scale(small, True)
        if not fits:
            candidate, fits_without = layout_scale(False, False)
            if fits_without and least_px <= MIN_TEXT_PX:
                self.show_loss, scale = False, candidate
        beside = self.beside = fits_beside(scale) and self.show_loss
        line = base_line * scale
        readouts = self.readout_lines if small else 0
        row_h = entry_lines(scale, small, self.show_loss) * line
        for t in labels:
            t.set_fontsize(label_pt * scale)
        top = rect.y + rect.h - 0.01
        self.step_stamp = TextStamp(
            ((rect.x + 0.012) * W, (1.0 - top) * H),
            size_pt=label_pt * scale,
            dpi=dpi,
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
            swatch_w = 0.03 * scale * label_pt / 13
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
                    markersize=10 * scale * label_pt / 13,
                    markerfacecolor=color,
                    markeredgecolor=theme.ball_edge,
                    markeredgewidth=1.4,
                )
            )
            text_x = x0 + swatch * scale
            labels[i].set_position((text_x, y0))
            if small:
                assert small_pt is not None
                hyper = fig.text(
                    text_x,
                    y0 - 1.15 * line,
                    run.spec.hyper_text(data=rec.surface.dataset is not None),
                    fontsize=small_pt * scale,
                    color=theme.muted,
                    va="top",
                    ha="left",
                )
                room = (x0 + col_w - 0.012 - text_x) * W
                words = hyper.get_text().split(" ")
                # too wide for its column: whole words only, then an ellipsis
                while len(words) > 1 and hyper.get_window_extent(renderer).width > room:
                    words.pop()
                    hyper.set_text(" ".join(words) + " …")
            if beside:
                xy = ((x0 + col_w - 0.02) * W, (1.0 - y0) * H)
                anchor = "ra"
            else:
                below = 2.15 if small else 1.15
                xy = (text_x * W, (1.0 - (y0 - below * line)) * H)
                anchor = "la"
            self.loss_stamps.append(
                TextStamp(xy, size_pt=loss_pt * scale, dpi=dpi, anchor=anchor, color=theme.text)
            )
            first = y0 - (2.2 if beside else 3.2) * line
            self.readout_stamps.append(
                [
                    TextStamp(
                        (text_x * W, (1.0 - (first - k * 1.05 * line)) * H),
                        size_pt=(small_pt or 0) * scale,
                        dpi=dpi,
                        anchor="la",
                        color=theme.text,
                        family="DejaVu Sans",
                    )
                    for k in range(readouts)
                ]
            )
        if self.arrow_key and small:
            assert small_pt is not None
            fig.text(
                rect.x + 0.012,
                top - rows * row_h - 0.2 * line,
                self.arrow_key,
                fontsize=small_pt * scale,
                color=theme.muted,
                va="top",
                ha="left",
                linespacing=1.3,
            )

    def _ended(self, run: Run, step: int) -> str:
        """What the legend says of a run that left the picture or diverged by ``step``.

        The definition is :meth:`~visualizer.maths.recorder.Run.left_at`: from the step
        a run leaves the picture for good, "left at step N" (the picture, as the mark
        where it left says); a run stopped without leaving it, "diverged at step N";
        ``""`` otherwise.
        """
        left = self.left_at[id(run)]
        if left is not None and step >= left:
            return f"left at step {left}"
        if left is None and run.diverged_at is not None and step >= run.diverged_at:
            return f"diverged at step {run.diverged_at}"
        return ""

    def _loss_text(self, run: Run, step: int) -> str:
        """The live loss of ``run`` at ``step``; padded to align the digits when left-aligned."""
        ended = self._ended(run, step)
        if ended:
            return ended
        return f"loss {format_loss(float(run.losses[step])):>{0 if self.beside else 9}}"

    def _loss_texts(self) -> list[str]:
        """Every live loss text the legend will show (to reserve its width)."""
        texts = ["loss 0.0000"]
        for run in self.rec.runs:
            texts += [self._loss_text(run, s) for s in range(self.rec.steps + 1)]
        return texts

    def stamp(self, frame: np.ndarray, step: int) -> None:
        """Blend the step counter and the live losses into ``frame``."""
        unit = "evaluation" if self.rec.pace == "evaluations" else "step"
        self.step_stamp.draw(frame, f"{unit} {step} / {self.rec.steps}")
        for run, stamp in zip(self.rec.runs, self.loss_stamps, strict=True):
            if not self.show_loss:
                break
            ended = bool(self._ended(run, step))
            stamp.draw(frame, self._loss_text(run, step), DIVERGED_COLOR if ended else None)
        for run, stamps in zip(self.rec.runs, self.readout_stamps, strict=True):
            for stamp, text in zip(stamps, run.readout(step).splitlines(), strict=False):
                stamp.draw(frame, text)


class LossPanel(Layer):
    """Loss gap ``f − f*`` versus step on a log scale, growing with the animation.

    ``f*`` is the surface's known minimum value (see
    :func:`~visualizer.drawing.geometry.minimum_value`), not the least value on a grid,
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
        title = "loss gap f − f* (log)" if rec.loss_floor != 0.0 else "training loss (log)"
        title_pt = text_pt(10.5, figure.dpi)
        if title_pt is not None:
            ax.set_title(title, color=theme.muted, fontsize=title_pt, loc="left", pad=4)
        label_axes(ax, ("step", ""), color=theme.muted, label_pt=10.5)
        ax.xaxis.labelpad = 1
        ax.tick_params(length=2.5)
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
        scheduled = [
            (run, style)
            for run, style in zip(rec.runs, run_styles(rec, theme), strict=True)
            if run.lrs is not None and not run.spec.schedule.is_constant
        ]
        self.lr_ax = None
        if scheduled:  # the learning rates of scheduled runs, dotted, on a right-hand log axis
            self.lr_ax = lr_ax = ax.twinx()
            for run, style in scheduled:
                lrs = np.where(run.lrs > 0, run.lrs, np.nan)  # cosine ends at 0
                lr_ax.plot(lrs, color=style.color, linestyle=":", linewidth=1.4)
            lr_ax.set_yscale("log")
            ax.set_title(
                f"{title}, lr dotted (right)", color=theme.muted, fontsize=10.5, loc="left"
            )
            lr_ax.tick_params(colors=theme.muted, labelsize=8, length=2.5)
            for spine in lr_ax.spines.values():
                spine.set_color(theme.grid)

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
