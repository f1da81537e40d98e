"""The explore page: one self-contained HTML file that reruns the race in the browser.

Owns the page and nothing else. :func:`explore_page` takes a recording (what
``lossviz trace`` would write for the scene) and returns the page's text: the
contour backdrop drawn by matplotlib once (:mod:`visualizer.drawing.backdrop`,
embedded as a PNG ``data:`` URL, its pixels mapped exactly onto the window), the
model of the recording (:mod:`visualizer.encoding.explore_model`), the maths
module ``explore_maths.js`` and the page's script ``explore_page.js``, inline.

In the page, every control recomputes every run in JavaScript and redraws once:
a slider per hyperparameter (bounds from the optimizer's table,
:data:`visualizer.maths.specs.OPTIMIZERS`; ``lr`` and ``batch`` on a log scale),
the number of steps, play/pause and a scrub bar, a toggle per run, reset, and a
click or drag on the plot (or the arrow keys on the focused plot) moves the
start. The step readout shows each run's loss as ``lossviz trace`` writes it; the
``lossviz render`` command of the current view is ready to copy; the state lives
in the URL's hash; ``window.lossviz`` is a small API (``state``, ``set``, ``runs``,
``timing``, ``theory``). On a convex quadratic the page adds the theory: κ, the
optimal rates of gd and momentum and a map of momentum's rate over (lr, β).

The page loads nothing from anywhere: no network request, and it works from
``file://``.

Examples
--------
>>> from surfaces import get_surface
>>> from visualizer.maths.recorder import record
>>> rec = record(get_surface("bowl"), ["gd:lr=0.1", "momentum:lr=0.1"], steps=5)
>>> page = explore_page(rec, surface_spec="bowl", size=(240, 160))
>>> page.startswith("<!DOCTYPE html>"), "window.lossviz" in page
(True, True)
"""

from __future__ import annotations

import base64
import html
import json
import re
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from surfaces.params import Param
from visualizer.drawing.backdrop import contour_backdrop
from visualizer.drawing.theme import DIVERGED_COLOR, THEMES, run_styles
from visualizer.encoding.explore_model import explore_model, quadratic
from visualizer.maths.recorder import Recording
from visualizer.maths.specs import OPTIMIZERS, ORACLE_PARAMS

#: Size of the plot (the backdrop) in CSS pixels, and its margins for the ticks.
PLOT_SIZE = (720, 440)
PLOT_MARGINS = (58, 10, 10, 46)  # left, top, right, bottom
#: The hyperparameters that get a slider; ``eps`` does not.
SLIDER_KEYS = ("lr", "beta", "rho", "beta1", "beta2", "noise", "batch")
_MAP_COLORS = {
    "light": {
        "mapMonotone": [44, 123, 182],
        "mapRipple": [26, 152, 80],
        "mapSlow": [240, 242, 246],
        "mapDiverge": [215, 48, 39],
    },
    "dark": {
        "mapMonotone": [86, 160, 220],
        "mapRipple": [70, 190, 120],
        "mapSlow": [30, 36, 48],
        "mapDiverge": [200, 60, 50],
    },
}


def _script(name: str) -> str:
    return resources.files("visualizer.encoding").joinpath(name).read_text(encoding="utf-8")


def param_bounds(param: Param) -> dict[str, Any]:
    """A hyperparameter's allowed range, read from its rule (``"> 0"``, ``"in [0, 1)"``).

    Examples
    --------
    >>> from visualizer.maths.specs import OPTIMIZERS
    >>> param_bounds(OPTIMIZERS["momentum"].hyper("beta"))
    {'min': 0.0, 'minOpen': False, 'max': 1.0, 'maxOpen': True, 'integer': False}
    >>> param_bounds(OPTIMIZERS["gd"].hyper("lr"))["minOpen"]
    True
    """
    out: dict[str, Any] = {
        "min": None,
        "minOpen": False,
        "max": None,
        "maxOpen": False,
        "integer": bool(param.integer),
    }
    rule = param.rule.strip()
    interval = re.fullmatch(r"in ([\[(])\s*(\S+),\s*(\S+)\s*([\])])", rule)
    if interval:
        out.update(
            min=float(interval[2]),
            minOpen=interval[1] == "(",
            max=float(interval[3]),
            maxOpen=interval[4] == ")",
        )
    elif bound := re.fullmatch(r"(>=?)\s*(\S+)", rule):
        out.update(min=float(bound[2]), minOpen=bound[1] == ">")
    return out


def _all_bounds() -> dict[str, dict[str, Any]]:
    out = {}
    for info in OPTIMIZERS.values():
        for param in info.rule_params:
            out.setdefault(param.name, param_bounds(param))
    for param in ORACLE_PARAMS:
        out.setdefault(param.name, param_bounds(param))
    return out


def slider(key: str, value: float, bounds: dict[str, Any], *, samples: int | None) -> dict:
    """One slider: its scale and range in slider units (``log10`` of the value for log).

    ``lr`` spans a hundredth to a hundred times its value, on a log scale; ``batch``
    1 to the dataset's size, on a log scale; ``noise`` 0 to four times its value;
    the decay rates their table's range ``[0, 1)``, stopping short of 1.

    Examples
    --------
    >>> slider("lr", 0.01, {"min": 0.0, "minOpen": True, "max": None}, samples=None)
    {'key': 'lr', 'scale': 'log', 'min': -4.0, 'max': 0.0, 'step': 0.005, 'integer': False}
    """
    if key == "lr":
        centre = float(np.log10(value))
        lo, hi, step, scale = centre - 2, centre + 2, 0.005, "log"
    elif key == "batch":
        lo, hi, step, scale = 0.0, float(np.log10(max(samples or 1, 2))), 0.001, "log"
    elif key == "noise":
        lo, hi, step, scale = 0.0, max(4.0 * value, 1.0), max(4.0 * value, 1.0) / 400, "linear"
    else:  # a decay rate in [0, 1)
        fine = key == "beta2"
        top = 0.9999 if fine else 0.999
        lo = 0.0 if not fine else min(0.9, value)
        lo = max(lo, bounds.get("min") or 0.0)
        hi, step, scale = top, 0.0001 if fine else 0.001, "linear"
    return {
        "key": key,
        "scale": scale,
        "min": round(lo, 6),
        "max": round(hi, 6),
        "step": step,
        "integer": key == "batch",
    }


def _control_rows(i: int, controls: list[dict], params: dict[str, float]) -> str:
    rows = []
    for c in controls:
        key = c["key"]
        rows.append(
            f'<label class="param"><span class="key">{key}</span>'
            f'<input type="range" id="lv-p-{i}-{key}" min="{c["min"]}" max="{c["max"]}"'
            f' step="{c["step"]}" aria-label="{key} of run {i + 1}">'
            f'<output id="lv-v-{i}-{key}">{params[key]:g}</output></label>'
        )
    return "\n".join(rows)


def explore_page(
    recording: Recording,
    *,
    surface_spec: str,
    theme: str = "light",
    title: str | None = None,
    extra_args: list[str] | tuple[str, ...] = (),
    output_name: str = "explore.gif",
    size: tuple[int, int] = PLOT_SIZE,
) -> str:
    """The explore page of ``recording``, as one HTML document.

    Parameters
    ----------
    recording
        What the page starts from (its surface, start, steps, seed and runs).
    surface_spec
        The surface as ``-s`` takes it, for the page's ``lossviz render`` command.
    theme
        ``"light"`` or ``"dark"``.
    title
        The heading; the surface's title by default.
    extra_args
        More ``lossviz render`` arguments for the command (``--window=...``).
    output_name
        The ``-o`` of the command.
    size
        The plot's size in CSS pixels (and the backdrop's in pixels).

    Raises
    ------
    SpecError
        When the recording cannot be explored (``mlp``, your own function or
        optimizer, torch or optax).
    """
    model = explore_model(recording)
    palette = THEMES[theme]
    styles = run_styles(recording, palette)
    surface = recording.surface
    n_samples = surface.dataset.n_samples if surface.dataset is not None else None
    bounds = _all_bounds()
    runs, controls = [], []
    for i, run in enumerate(recording.runs):
        params = model["runs"][i]["params"]
        keys = [k for k in SLIDER_KEYS if k in params]
        controls.append([slider(k, params[k], bounds[k], samples=n_samples) for k in keys])
        if "eps" in params and "eps" in run.spec.given:
            keys.append("eps")
        runs.append(
            {
                "name": run.spec.name,
                "label": run.spec.label,
                "legend": run.label,
                "color": styles[i].color,
                "marker": styles[i].marker,
                "keys": keys,
                "schedule": {k: _text(v) for k, v in run.spec.schedule.items().items()},
            }
        )
    width, height = size
    left, top, right, bottom = PLOT_MARGINS
    with np.errstate(all="ignore"):
        floors = [surface.loss(np.array(m)) for m in surface.minima]
    floor = min(floors) if floors and all(np.isfinite(floors)) else None
    data = {
        "model": model,
        "runs": runs,
        "controls": controls,
        "bounds": bounds,
        "plot": {"left": left, "top": top, "width": width, "height": height},
        "surfaceSpec": surface_spec,
        "axisLabels": list(surface.labels),
        "lossFloor": floor,
        "theory": quadratic(surface),
        "extraArgs": list(extra_args),
        "outputName": output_name,
        "theme": {
            "text": palette.text,
            "muted": palette.muted,
            "grid": palette.grid,
            "ballEdge": palette.ball_edge,
            **_MAP_COLORS[theme],
        },
    }
    png = contour_backdrop(surface, theme, size)
    rows = "\n".join(
        f'<div class="run" id="lv-run-{i}"><div class="run-head">'
        f'<label><input type="checkbox" id="lv-on-{i}" checked>'
        f'<span class="swatch" style="background:{r["color"]}"></span>'
        f'<span id="lv-name-{i}">{html.escape(r["legend"])}</span></label>'
        f'<output class="loss" id="lv-loss-{i}" aria-live="off"></output></div>'
        f"{_control_rows(i, controls[i], model['runs'][i]['params'])}</div>"
        for i, r in enumerate(runs)
    )
    theory = ""
    if data["theory"] is not None:
        theory = _THEORY
    text = json.dumps(data, separators=(",", ":"), allow_nan=False).replace("</", "<\\/")
    return _PAGE.format(
        title=html.escape(title or surface.title),
        background=palette.background,
        panel=palette.panel,
        text=palette.text,
        muted=palette.muted,
        grid=palette.grid,
        diverged=DIVERGED_COLOR,
        canvas_w=left + width + right,
        canvas_h=top + height + bottom,
        plot_w=width,
        plot_h=height,
        backdrop=base64.b64encode(png).decode("ascii"),
        steps=model["steps"],
        max_steps=model["maxSteps"],
        rows=rows,
        theory=theory,
        data=text,
        maths=_script("explore_maths.js"),
        script=_script("explore_page.js"),
        scheme="dark" if theme == "dark" else "light",
    )


def _text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return f"{value:g}" if isinstance(value, float) else str(value)


def write_explore(path: str | Path, page: str) -> Path:
    """Write the page atomically (a temporary file renamed into place)."""
    from visualizer.encoding.files import write_text_atomic

    return write_text_atomic(Path(path), page)  # type: ignore[no-any-return]


_THEORY = """\
<section class="theory" aria-labelledby="lv-theory-h">
<h2 id="lv-theory-h">Theory (a quadratic: the Hessian is constant)</h2>
<p id="lv-theory-numbers"></p>
<canvas id="lv-map" width="420" height="210"
 aria-label="momentum's convergence rate over learning rate and beta"></canvas>
<p class="hint">Momentum's rate per step over (lr, β): blue converges monotonically, green
ripples, red diverges, paler is slower; the ring is the optimum, the markers the runs
(gd at β = 0).</p>
<table class="rates"><thead><tr><th></th><th>predicted rate</th><th>measured</th></tr></thead>
<tbody id="lv-rates"></tbody></table>
<button type="button" id="lv-optimal">Set optimal lr and β</button>
</section>"""

_PAGE = """\
<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="{scheme}">
<title>{title} · lossviz explore</title>
<link rel="icon" href="data:,">
<style>
body {{ margin: 0; padding: .8rem 1rem; background: {background}; color: {text};
  font: 14px/1.35 system-ui, sans-serif; }}
main {{ display: flex; flex-wrap: wrap; gap: 1rem; align-items: flex-start; }}
h1 {{ font-size: 1.15rem; margin: 0 0 .4rem; width: 100%; }}
h2 {{ font-size: 1rem; margin: .6rem 0 .3rem; }}
canvas {{ display: block; }}
#lv-plot {{ cursor: crosshair; touch-action: none; border-radius: 3px; }}
#lv-plot:focus-visible {{ outline: 2px solid {muted}; outline-offset: 2px; }}
.controls {{ display: flex; flex-wrap: wrap; align-items: center; gap: .5rem; margin: .4rem 0; }}
.controls input[type=range] {{ flex: 1 1 12rem; }}
button {{ font: inherit; color: inherit; background: {panel};
  border: 1px solid {grid}; border-radius: 4px; padding: .2rem .7rem; cursor: pointer; }}
button:focus-visible, input:focus-visible {{ outline: 2px solid {muted}; outline-offset: 1px; }}
.side {{ flex: 1 1 380px; max-width: 460px; }}
.run {{ background: {panel}; border: 1px solid {grid}; border-radius: 6px; padding: .3rem .5rem;
  margin-bottom: .35rem; }}
.run.off {{ opacity: .55; }}
.run-head {{ display: flex; justify-content: space-between; gap: .5rem; }}
.run-head label {{ font-weight: 600; display: inline-flex; align-items: center; gap: .3rem; }}
.loss {{ font-family: ui-monospace, monospace; font-variant-numeric: tabular-nums; }}
.loss.diverged {{ color: {diverged}; }}
.param {{ display: grid; grid-template-columns: 3.2rem 1fr 4.8rem; align-items: center;
  gap: .4rem; font-size: .9rem; }}
.param .key {{ color: {muted}; }}
.param output {{ font-family: ui-monospace, monospace; text-align: right; }}
.swatch {{ display: inline-block; width: .8em; height: .8em; border-radius: 50%; }}
.readout {{ font-variant-numeric: tabular-nums; }}
.hint {{ color: {muted}; font-size: .82rem; margin: .25rem 0; }}
.command {{ display: flex; gap: .4rem; margin-top: .4rem; }}
.command input {{ flex: 1; font: 12px ui-monospace, monospace; color: inherit;
  background: {panel}; border: 1px solid {grid}; border-radius: 4px; padding: .25rem; }}
.rates {{ border-collapse: collapse; font-size: .88rem; margin: .3rem 0; }}
.rates th, .rates td {{ padding: 0 .8rem 0 0; text-align: left; font-weight: normal; }}
.rates td {{ font-family: ui-monospace, monospace; }}
#lv-theory-numbers {{ font-size: .88rem; margin: .2rem 0 .4rem; }}
</style>
</head>
<body>
<main>
<h1>{title}</h1>
<div class="left">
<img id="lv-backdrop" alt="" hidden width="{plot_w}" height="{plot_h}"
 src="data:image/png;base64,{backdrop}">
<canvas id="lv-plot" width="{canvas_w}" height="{canvas_h}" tabindex="0"
 aria-label="the loss surface and the runs; click, drag or use the arrow keys to move the start">
</canvas>
<div class="controls">
<button type="button" id="lv-play" aria-label="Play">Play</button>
<input type="range" id="lv-scrub" min="0" max="{steps}" step="1" value="{steps}"
 aria-label="step shown">
<span class="readout">step <output id="lv-step">{steps}</output> of
 <output id="lv-total">{steps}</output></span>
</div>
<div class="controls">
<label for="lv-steps">steps</label>
<input type="range" id="lv-steps" min="1" max="{max_steps}" step="1" value="{steps}">
<output id="lv-steps-out">{steps}</output>
<button type="button" id="lv-reset">Reset</button>
<span class="hint">update <output id="lv-timing"></output></span>
</div>
<p class="hint">Click or drag on the plot to move the start (or focus it and use the arrow
keys); space plays and pauses, &#8592; &#8594; step.</p>
<div class="command"><input id="lv-command" readonly aria-label="lossviz render command">
<button type="button" id="lv-copy">Copy</button></div>
<canvas id="lv-loss" width="{canvas_w}" height="170" aria-label="loss over steps"></canvas>
</div>
<div class="side">
{rows}
{theory}
</div>
</main>
<script type="application/json" id="lv-data">{data}</script>
<script>
{maths}
</script>
<script>
{script}
</script>
</body>
</html>
"""
