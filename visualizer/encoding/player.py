"""The HTML player: one self-contained page that plays, pauses and scrubs an animation.

Owns the page and nothing else: it takes the recording, the step each frame shows and
the encoded H.264 MP4, and returns the page's text. Rendering and encoding happen before
(:mod:`visualizer.drawing.render`, :mod:`visualizer.encoding.writers`); writing the file after.

The page makes no network request: the MP4 is embedded as a base64 ``data:`` URL, the
CSS and the script are inline, and the icon is an empty ``data:`` URL. The page knows
when each frame starts in the MP4 (``starts``, in frame periods: frame ``i`` at ``i``
unless earlier frames are held), so the script maps the time of the frame on screen to
its index (``requestVideoFrameCallback``'s ``mediaTime`` while playing, ``currentTime``
after a seek) and shows that frame's step and every run's loss, formatted as
``lossviz trace`` writes them. The readout therefore always matches the picture; a seek
asks for the middle of a frame's first period, never a boundary.

:class:`PlayerWriter` writes the page as one more format of
:func:`visualizer.encoding.writers.write_frames_to_all`: it encodes the frames to H.264 in its
temporary file, then replaces that file's content with the page, and the file is
renamed into place with the others (:mod:`visualizer.encoding.files`).

Controls: play/pause, a scrub bar over the frames, step back/forward buttons, the arrow
keys (and Home, End, space), a speed menu and a loop toggle.

Examples
--------
>>> from visualizer.maths.recorder import record
>>> from visualizer.maths.specs import parse_optimizer
>>> from surfaces import get_surface
>>> rec = record(get_surface("bowl"), [parse_optimizer("gd:lr=0.5")], start=(2.0, 0.0), steps=2)
>>> page = player_page(rec, [0, 1, 2], b"not really an mp4", fps=10, size=(64, 48))
>>> page.startswith("<!DOCTYPE html>"), "data:video/mp4;base64," in page
(True, True)
>>> player_data(rec, [0, 2], fps=10)["losses"]  # per step, whichever frames show them
[['2.0', '0.5', '0.125']]
"""

from __future__ import annotations

import base64
import html
import itertools
import json
import os
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from visualizer.drawing.theme import DIVERGED_COLOR, THEMES, run_styles
from visualizer.encoding.errors import WriterError
from visualizer.encoding.writers import RGB, Mp4Writer
from visualizer.maths.recorder import Recording

#: Playback speeds offered, as multiples of the scene's fps.
SPEEDS = (0.25, 0.5, 1.0, 2.0, 4.0)


def loss_text(value: float) -> str:
    """A loss as ``lossviz trace`` writes it: the shortest text that reads back exactly.

    Examples
    --------
    >>> loss_text(0.1), loss_text(1e-20), loss_text(3)
    ('0.1', '1e-20', '3.0')
    """
    return repr(float(value))


def player_data(
    recording: Recording,
    steps: Sequence[int],
    *,
    fps: int,
    starts: Sequence[int] | None = None,
) -> dict[str, Any]:
    """What the page's script needs: per frame, its step and start time; per step, each
    run's loss.

    Parameters
    ----------
    recording
        The runs.
    steps
        The step each frame shows (:attr:`visualizer.encoding.pacing.Schedule.steps`;
        frames between two iterates show the step they have reached).
    fps
        Frames per second of the embedded video.
    starts
        When each frame starts in the video, in frame periods (increasing); ``None``
        for ``0, 1, 2, ...`` (no frame held).

    Returns
    -------
    dict
        ``fps``, ``total`` (the recording's steps), ``steps`` and ``starts`` (one per
        frame), ``labels``, and ``losses``: per run, per step from 0 to ``total``, the
        loss text, or ``None`` once the run has diverged (``trace`` has no row there
        either). Losses are stored per step, not per frame: smooth motion shows each
        step in several frames.
    """
    steps = [int(s) for s in steps]
    starts = list(range(len(steps))) if starts is None else [int(t) for t in starts]
    if len(starts) != len(steps) or any(b <= a for a, b in itertools.pairwise(starts)):
        raise ValueError(f"need one increasing start per frame, got {starts!r}")
    losses = [
        [
            loss_text(run.losses[s]) if s <= run.last_step else None
            for s in range(recording.steps + 1)
        ]
        for run in recording.runs
    ]
    return {
        "fps": int(fps),
        "total": int(recording.steps),
        "steps": steps,
        "starts": starts,
        "labels": [run.label for run in recording.runs],
        "losses": losses,
    }


def player_page(
    recording: Recording,
    steps: Sequence[int],
    mp4: bytes,
    *,
    fps: int,
    size: tuple[int, int],
    title: str | None = None,
    theme: str = "light",
    starts: Sequence[int] | None = None,
    caption: str = "",
) -> str:
    """The player page: ``mp4`` embedded, with controls and a readout of ``recording``.

    Parameters
    ----------
    recording
        The runs whose steps and losses the readout shows.
    steps
        The step each frame of ``mp4`` shows; one per frame.
    mp4
        The animation as an H.264 MP4, frame ``i`` starting at ``i / fps`` seconds.
    fps
        Its frame rate.
    size
        Width and height of the frames in pixels.
    title
        The page's heading; the surface's title by default.
    theme
        ``"light"`` or ``"dark"``: the page's colours follow the frames'.
    starts
        When each frame starts in ``mp4``, in frame periods; ``None`` for ``0, 1, 2, ...``.
    caption
        The scene's caption, shown under the heading.

    The video is as wide as the frames, but no taller than leaves room, in the
    window, for the heading, the caption, the controls and every readout
    (:func:`room_rem`), so that nothing is cut off on a laptop screen.

    Returns
    -------
    str
        A complete HTML document that loads nothing from anywhere else.
    """
    palette = THEMES[theme]
    data = player_data(recording, steps, fps=fps, starts=starts)
    heading = title if title else recording.surface.title
    styles = run_styles(recording, palette)
    rows = "\n".join(
        f'<tr><th scope="row"><span class="swatch" style="background:{styles[i].color}">'
        f'</span>{html.escape(run.label)}</th><td data-run="{i}">{_first(data, i)}</td></tr>'
        for i, run in enumerate(recording.runs)
    )
    speeds = "".join(
        f'<option value="{s:g}"{" selected" if s == 1 else ""}>{s:g}×</option>' for s in SPEEDS
    )
    width, height = size
    video = base64.b64encode(mp4).decode("ascii")
    # "</" cannot end the script element early once written as "<\/".
    data_json = json.dumps(data, separators=(",", ":")).replace("</", "<\\/")
    last = len(data["steps"]) - 1
    return _PAGE.format(
        title=html.escape(heading),
        caption=html.escape(caption),
        room=room_rem(len(recording.runs), caption, width),
        aspect=f"{width / height:.4f}",
        background=palette.background,
        panel=palette.panel,
        text=palette.text,
        muted=palette.muted,
        grid=palette.grid,
        diverged=DIVERGED_COLOR,
        width=width,
        height=height,
        video=video,
        last=last,
        step=data["steps"][0],
        unit="evaluation" if recording.pace == "evaluations" else "step",
        total=data["total"],
        rows=rows,
        speeds=speeds,
        data=data_json,
        script=_SCRIPT,
    )


def room_rem(runs: int, caption: str, width_px: int) -> float:
    """Height (rem) the page needs besides the video: padding, heading, caption lines
    (about 7.5 px a character across the page's width), controls, the step line, one
    row per run and the hint.

    Examples
    --------
    >>> room_rem(3, "", 1280), room_rem(3, "x" * 300, 1280)
    (15.9, 19.1)
    """
    lines = -(-len(caption) // max(1, int(min(width_px, 1280) / 7.5))) if caption else 0
    return 10.5 + 1.6 * lines + 1.8 * runs


def _first(data: dict[str, Any], run: int) -> str:
    text = data["losses"][run][data["steps"][0]]
    return html.escape(text) if text is not None else "diverged"


_PAGE = """\
<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<link rel="icon" href="data:,">
<style>
body {{ margin: 0; padding: 1rem; background: {background}; color: {text};
  font: 15px/1.4 system-ui, sans-serif; }}
main {{ max-width: min({width}px, max(20rem, calc((100vh - {room}rem) * {aspect})));
  margin: 0 auto; }}
h1 {{ font-size: 1.2rem; margin: 0 0 .3rem; }}
.caption {{ margin: 0 0 .6rem; color: {muted}; }}
.caption:empty {{ display: none; }}
video {{ display: block; width: 100%; height: auto; background: {panel}; }}
.controls {{ display: flex; flex-wrap: wrap; align-items: center; gap: .4rem; margin: .5rem 0; }}
.controls input[type=range] {{ flex: 1 1 12rem; min-width: 8rem; }}
button, select {{ font: inherit; color: inherit; background: {panel};
  border: 1px solid {grid}; border-radius: 4px; padding: .15rem .5rem; }}
label {{ display: inline-flex; align-items: center; gap: .2rem; }}
.readout {{ font-variant-numeric: tabular-nums; }}
.readout p {{ margin: .2rem 0; color: {muted}; }}
.readout table {{ border-collapse: collapse; }}
.readout th {{ text-align: left; font-weight: normal; padding: .1rem 1rem .1rem 0; }}
.readout td {{ font-family: ui-monospace, monospace; }}
.readout td.diverged {{ color: {diverged}; }}
.swatch {{ display: inline-block; width: .8em; height: .8em; border-radius: 50%;
  margin-right: .4em; vertical-align: -.05em; }}
.hint {{ color: {muted}; font-size: .85rem; }}
</style>
</head>
<body>
<main>
<h1>{title}</h1>
<p class="caption">{caption}</p>
<video id="lv-video" width="{width}" height="{height}" src="data:video/mp4;base64,{video}"
 muted playsinline preload="auto" loop></video>
<div class="controls">
<button type="button" id="lv-play" aria-label="Play">Play</button>
<button type="button" id="lv-prev" aria-label="Step back">&#9664;</button>
<input type="range" id="lv-scrub" min="0" max="{last}" step="1" value="0"
 aria-label="Frame" aria-valuetext="step {step}">
<button type="button" id="lv-next" aria-label="Step forward">&#9654;</button>
<label>speed <select id="lv-speed">{speeds}</select></label>
<label><input type="checkbox" id="lv-loop" checked> loop</label>
</div>
<div class="readout" aria-live="polite">
<p>{unit} <output id="lv-step">{step}</output> of {total}</p>
<table>
{rows}
</table>
</div>
<p class="hint">&#8592; &#8594; step &middot; space play/pause &middot; Home/End first/last</p>
</main>
<script type="application/json" id="lv-data">{data}</script>
<script>
{script}
</script>
</body>
</html>
"""

_SCRIPT = """\
(() => {
  'use strict';
  const data = JSON.parse(document.getElementById('lv-data').textContent);
  const $ = (id) => document.getElementById(id);
  const video = $('lv-video'), scrub = $('lv-scrub'), play = $('lv-play');
  const stepOut = $('lv-step'), speed = $('lv-speed'), loop = $('lv-loop');
  const cells = [...document.querySelectorAll('td[data-run]')];
  const last = data.steps.length - 1, fps = data.fps, starts = data.starts;
  let shown = 0;   // the frame on screen, and so in the readout
  let wanted = 0;  // the frame last asked for by a control

  const clamp = (i) => Math.min(last, Math.max(0, i));
  // Frame i is on screen from starts[i]/fps until the next frame starts; the epsilon
  // absorbs rounding of the time stamps.
  const frameAt = (t) => {
    const periods = t * fps + 1e-3;
    let lo = 0, hi = last;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid] <= periods) lo = mid; else hi = mid - 1;
    }
    return lo;
  };

  function show(i) {
    shown = i;
    stepOut.textContent = String(data.steps[i]);
    scrub.setAttribute('aria-valuetext', 'step ' + data.steps[i]);
    cells.forEach((cell, r) => {
      const loss = data.losses[r][data.steps[i]];
      cell.textContent = loss === null ? 'diverged' : loss;
      cell.classList.toggle('diverged', loss === null);
    });
    if (!video.paused) { scrub.value = String(i); wanted = i; }
    document.body.dataset.frame = String(i);
  }

  function seek(i) {
    wanted = clamp(i);
    video.pause();
    scrub.value = String(wanted);
    video.currentTime = (starts[wanted] + 0.5) / fps;  // mid-period, never an edge
  }

  function toggle() {
    if (video.paused) video.play().catch(() => {}); else video.pause();
  }

  // The readout follows the picture: each presented frame where the browser says which
  // one it is, and the frame at currentTime once a seek has finished.
  if ('requestVideoFrameCallback' in HTMLVideoElement.prototype) {
    const onFrame = (now, meta) => {
      show(frameAt(meta.mediaTime));
      video.requestVideoFrameCallback(onFrame);
    };
    video.requestVideoFrameCallback(onFrame);
  } else {
    video.addEventListener('timeupdate', () => show(frameAt(video.currentTime)));
  }
  video.addEventListener('seeked', () => show(frameAt(video.currentTime)));
  video.addEventListener('ended', () => show(last));
  video.addEventListener('play', () => { play.textContent = 'Pause'; play.ariaLabel = 'Pause'; });
  video.addEventListener('pause', () => {
    play.textContent = 'Play'; play.ariaLabel = 'Play';
    scrub.value = String(shown); wanted = shown;
  });

  play.addEventListener('click', toggle);
  $('lv-prev').addEventListener('click', () => seek((video.paused ? wanted : shown) - 1));
  $('lv-next').addEventListener('click', () => seek((video.paused ? wanted : shown) + 1));
  scrub.addEventListener('input', () => seek(Number(scrub.value)));
  speed.addEventListener('change', () => { video.playbackRate = Number(speed.value); });
  loop.addEventListener('change', () => { video.loop = loop.checked; });
  document.addEventListener('keydown', (event) => {
    const target = event.target;
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    if (target === scrub || target instanceof HTMLSelectElement) return;  // their own keys
    const base = video.paused ? wanted : shown;
    const moves = {ArrowLeft: base - 1, ArrowRight: base + 1, Home: 0, End: last};
    if (event.key in moves) { seek(moves[event.key]); event.preventDefault(); return; }
    if ((event.key === ' ' || event.key === 'k') && !(target instanceof HTMLButtonElement)) {
      toggle();
      event.preventDefault();
    }
  });
  video.loop = loop.checked;
  video.playbackRate = Number(speed.value);
})();"""


class PlayerWriter(Mp4Writer):
    """Write the player page: frames to H.264 in the temporary file, then the page there.

    A :class:`visualizer.encoding.writers.FrameWriter`, so it takes part in
    :func:`visualizer.encoding.writers.write_frames_to_all` like any format: set up early,
    one temporary file, committed with the others or removed.

    Parameters
    ----------
    path
        Output file, ending with ``.html``.
    page
        ``page(mp4, starts)``: the page's text from the finished MP4 and the start of
        each frame in frame periods (a held frame lasts several periods).
    fps, hold_last_ms, extra_colors
        As for every writer (:func:`visualizer.encoding.writers.saving`).
    mp4_from
        An MP4 writer of the same frames that finishes before this one (earlier in
        the list given to ``write_frames_to_all``): its file is embedded instead of
        encoding the frames a second time. The bytes are the same either way.
    """

    suffix = ".html"

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        page: Callable[[bytes, list[int]], str],
        fps: int,
        hold_last_ms: int = 1000,
        extra_colors: Sequence[RGB] = (),
        mp4_from: Mp4Writer | None = None,
    ) -> None:
        super().__init__(path, fps=fps, hold_last_ms=hold_last_ms, extra_colors=extra_colors)
        self._page = page
        self._mp4_from = mp4_from
        self._starts: list[int] = []
        self._periods = 0

    def _start(self, frame: np.ndarray) -> None:
        if self._mp4_from is None:
            super()._start(frame)

    def _write(self, frame: np.ndarray, repeat: int) -> None:
        self._starts.append(self._periods)
        self._periods += repeat
        if self._mp4_from is None:
            super()._write(frame, repeat)

    def _close(self) -> None:
        if self._mp4_from is None:
            super()._close()  # the MP4 is complete in the temporary file
            source = self._temp_path
        else:
            source = self._mp4_from._temp_path  # finished, not yet renamed into place
            if source is None or self._mp4_from.frame_count != self.frame_count:
                raise WriterError(f"cannot write '{self.path}': its MP4 was not written")
        try:
            mp4 = source.read_bytes()
            self._temp_path.write_text(self._page(mp4, self._starts), encoding="utf-8")
        except OSError as error:
            raise WriterError(f"cannot write '{self.path}': {error.strerror}") from None

    def _kill(self) -> None:
        if self._mp4_from is None:
            super()._kill()
