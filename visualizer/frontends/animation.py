"""The Python entry point: :func:`animate` a scene, then save or display it.

This module owns :class:`Animation` (a recording and how to draw it, rendered on
demand and saved through the writers), :func:`animate` (whose keywords are the
option table's) and the last input check before drawing, :func:`check_text`.

Examples
--------
>>> import tempfile, pathlib
>>> anim = animate("bowl", ["gd:lr=0.2", "momentum:lr=0.05"], steps=20, size=(320, 180))
>>> [run.label for run in anim.recording.runs]
['gd', 'momentum']
>>> with tempfile.TemporaryDirectory() as folder:
...     path = anim.save(pathlib.Path(folder) / "bowl.gif")
...     path.name, path.stat().st_size > 0
('bowl.gif', True)
"""

from __future__ import annotations

import base64
import html
import inspect
import math
import os
import re
import tempfile
import textwrap
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from surfaces.errors import SpecError, did_you_mean
from surfaces.params import show
from visualizer.drawing.render import (
    FrameRenderer,
    RenderOptions,
    orbit_turns,
    render_frames,
)
from visualizer.drawing.theme import THEMES
from visualizer.encoding._memory import check_frame_work
from visualizer.encoding.formats import FORMATS, formats_for, writer_class
from visualizer.encoding.pacing import (
    GIF_FPS,
    VIDEO_FPS,
    Schedule,
    gif_stride,
    merge_schedules,
    poster_index,
    schedule_for,
)
from visualizer.encoding.player import PlayerWriter, player_page
from visualizer.encoding.writers import FrameWriter, write_frames_to_all
from visualizer.maths.motion import playback_seconds
from visualizer.maths.recorder import Recording
from visualizer.scene.options import MAX_FRAMES, options, options_doc
from visualizer.scene.scene import Scene, scene_from_mapping

#: The format an animation shows in inline (a notebook) unless told: H.264 video.
INLINE_FORMAT = "mp4"


@dataclass(frozen=True)
class Animation:
    """A recorded scene and how to draw it; frames are rendered on demand.

    Attributes
    ----------
    recording
        The optimizer runs.
    options
        How to draw them (``options.fps`` is the frame rate of saved files).
    workers
        Processes that render an orbiting camera's frames; ``None`` for every core.
    scene
        The scene it was made from, if known (:meth:`explore` needs it).
    """

    recording: Recording
    options: RenderOptions
    workers: int | None = None
    scene: Scene | None = field(default=None, compare=False, repr=False)

    @property
    def fps(self) -> int:
        """Frames per second of a saved video (:meth:`fps_for` a GIF)."""
        return self.fps_for(".mp4")

    def fps_for(self, suffix: str) -> int:
        """Frames per second of a file of ``suffix``: ``options.fps``, or by default 50 for
        a GIF (browsers honour GIF delays of 20 ms and more) and 60 for a video."""
        if self.options.fps is not None:
            return self.options.fps
        return GIF_FPS if suffix in (".gif", ".png") else VIDEO_FPS

    @property
    def n_frames(self) -> int:
        """Number of frames of a video."""
        return len(self.schedule().times)

    def schedule(self, suffix: str = ".mp4") -> Schedule:
        """When each frame of a ``suffix`` file shows, and what step-time it shows.

        See :mod:`visualizer.encoding.pacing`; a GIF above 50 fps keeps only the
        frames of every :func:`~visualizer.encoding.pacing.gif_stride`-th period.
        """
        fps = self.fps_for(suffix)
        full = schedule_for(self.recording.steps, self.options, fps=fps)
        return full.decimated(gif_stride(fps)) if suffix in (".gif", ".png") else full

    def frames(self, suffix: str = ".mp4") -> Iterator[np.ndarray]:
        """Yield the frames of a ``suffix`` file: ``uint8`` RGBA arrays of shape
        ``(H, W, 4)``, a new array each."""
        times = self.schedule(suffix).times
        return render_frames(self.recording, self.options, workers=self.workers, times=times)

    def frame_repeats(self, suffix: str = ".mp4") -> np.ndarray:
        """Frame periods each frame of a ``suffix`` file shows: the holds and the pace."""
        return self.schedule(suffix).repeats

    def frame(self, index: int) -> np.ndarray:
        """Frame ``index`` alone: random access to :meth:`frames`, the same pixels.

        ``index`` counts from 0, or from the end when negative. An orbit's frame is
        drawn on its own (as :meth:`frames` draws each); otherwise the trails are
        drawn the way :meth:`frames` draws them, step after step, up to ``index``.

        Examples
        --------
        >>> from visualizer import animate
        >>> anim = animate("bowl", ["gd:lr=0.2"], steps=4, size=(96, 64))
        >>> anim.frame(-1).shape
        (64, 96, 4)
        """
        n = self.n_frames
        if isinstance(index, bool) or not isinstance(index, int | np.integer):
            raise TypeError(f"index must be an integer, got {type(index).__name__}")
        if not -n <= index < n:
            raise IndexError(f"frame {index} of an animation of {n} frames")
        index = int(index) % n
        o = self.options
        renderer = FrameRenderer(self.recording, o)
        if o.orbit and o.view in ("surface", "both"):
            return renderer.frame_at(index, float(orbit_turns(n)[index]))
        for i, frame in enumerate(renderer.frames()):
            if i == index:
                return frame
        raise AssertionError("unreachable: frames() yields n_frames frames")

    @property
    def poster_index(self) -> int:
        """Index of the video frame a ``.png`` poster shows (``options.poster_step``, or the
        last)."""
        return poster_index(self.schedule().times, self.options.poster_step)

    def palette_colors(self) -> list[tuple[int, int, int]]:
        """Colours a GIF palette must hold exactly (optimizers and text)."""
        return THEMES[self.options.theme].palette_colors([r.spec.name for r in self.recording.runs])

    def __repr__(self) -> str:
        """One line: surface, runs, frames and size (the arrays are not shown)."""
        w, h = self.options.size
        runs = ", ".join(run.label for run in self.recording.runs)
        return (
            f"<Animation {self.recording.surface.name}: {runs}; "
            f"{self.n_frames} frames at {self.fps} fps, {w}x{h}>"
        )

    def save(
        self, path: str | os.PathLike[str], *, on_frame: Callable[[int], None] | None = None
    ) -> Path:
        """Write the animation; the suffix picks the format (.gif, .mp4, .webm, .png, .html).

        The file is written to a temporary file beside ``path`` and renamed into
        place when complete. ``.png`` writes the poster: the frame of
        ``options.poster_step``, or the last; ``.html`` a self-contained player
        page (:mod:`visualizer.encoding.player`). GIF, video and player hold the first and
        the last frame and play the slow steps slower (:mod:`visualizer.encoding.pacing`).
        """
        (written,) = self.save_all([path], on_frame=on_frame)
        return written

    def save_all(
        self,
        paths: Sequence[str | os.PathLike[str]],
        *,
        on_frame: Callable[[int], None] | None = None,
    ) -> list[Path]:
        """Render the frames once and write them to every one of ``paths``.

        Each file is written as :meth:`save` writes one; if any fails, none is.
        """
        suffixes = [_suffix(path) for path in paths]
        # GIFs (and a poster with them) follow the GIF's schedule, the rest the video's;
        # frames of both are rendered once, in order of step-time
        kinds = sorted({".gif" if s in (".gif", ".png") else ".mp4" for s in suffixes})
        if ".png" in suffixes and ".gif" not in suffixes and ".mp4" in kinds:
            kinds = [".mp4"]  # a poster beside a video: one schedule
        times, table = merge_schedules([self.schedule(kind) for kind in kinds])

        def column(suffix: str) -> np.ndarray:
            if suffix == ".png":
                return np.ones(len(times), dtype=int)  # a poster sees every frame
            return table[:, kinds.index(".gif" if suffix == ".gif" else ".mp4")]

        columns = [column(suffix) for suffix in suffixes]
        frames = render_frames(self.recording, self.options, workers=self.workers, times=times)
        rows = zip(*(c.tolist() for c in columns), strict=True)
        paced = zip(frames, rows, strict=True)
        # A player page embeds the MP4 written before it in ``paths``, if any (the gallery's):
        # the first writer of a format that a page embeds (Format.embeds) is kept for it.
        targets: list[str | os.PathLike[str] | FrameWriter] = []
        embedded = {f.embeds for f in FORMATS.values() if f.embeds}
        first: dict[str, FrameWriter] = {}
        colors = self.palette_colors()
        for path, suffix in zip(paths, suffixes, strict=True):
            fmt = FORMATS.get(suffix)  # None: the writers report the bad suffix
            if fmt is None:
                targets.append(path)
            elif fmt.needs_recording:
                targets.append(self._player_writer(path, mp4_from=first.get(fmt.embeds or "")))
            else:
                writer = writer_class(fmt)(
                    path, fps=self.fps_for(suffix), hold_last_ms=0, extra_colors=colors
                )
                if fmt.suffix in embedded and fmt.suffix not in first:
                    first[fmt.suffix] = writer
                targets.append(writer)
        return write_frames_to_all(
            targets,
            paced,
            fps=self.fps,
            hold_last_ms=0,  # the last frame's repeat holds it, in GIF and video alike
            poster_index=poster_index(times, self.options.poster_step),
            extra_colors=colors,
            on_frame=on_frame,
            frame_size=self.options.size,
            repeats=[c.tolist() for c in columns],
            copy=False,  # each frame is a new array (render_frames), read by the encoders only
        )

    def _player_writer(
        self, path: str | os.PathLike[str], *, mp4_from: FrameWriter | None = None
    ) -> PlayerWriter:
        steps = self.schedule().steps.tolist()

        def page(mp4: bytes, starts: list[int]) -> str:
            return player_page(
                self.recording,
                steps,
                mp4,
                fps=self.fps,
                size=self.options.size,
                title=self.options.title,
                theme=self.options.theme,
                starts=starts,
                caption=self.scene.caption if self.scene is not None else "",
            )

        return PlayerWriter(path, page=page, fps=self.fps, hold_last_ms=0, mp4_from=mp4_from)

    def to_bytes(self, suffix: str = ".gif") -> bytes:
        """The encoded file as bytes (rendered through a temporary file)."""
        with tempfile.TemporaryDirectory() as folder:
            return self.save(Path(folder) / f"animation{suffix}").read_bytes()

    def to_html(self, format: str = INLINE_FORMAT) -> str:
        """The animation as an HTML element to show inline (Jupyter, any page).

        Parameters
        ----------
        format
            ``"mp4"``: an H.264 ``<video>`` with controls that plays at once, muted,
            and loops; ``"gif"``: an ``<img>`` of the GIF. Either is embedded as a
            ``data:`` URL.
        """
        w, h = self.options.size
        runs = ", ".join(r.label for r in self.recording.runs)
        label = html.escape(f"{self.recording.surface.title}: {runs}")
        common = f'width="{w}" height="{h}" style="max-width:100%;height:auto"'
        inline = {f.name: f for f in formats_for("inline")}
        if format not in inline:
            names = sorted(inline, key=lambda name: name != INLINE_FORMAT)  # the default first
            raise ValueError(f"format must be {' or '.join(map(repr, names))}, got {format!r}")
        fmt = inline[format]
        data = base64.b64encode(self.to_bytes(fmt.suffix)).decode("ascii")
        if fmt.mime.startswith("video/"):
            return (
                f'<video src="data:{fmt.mime};base64,{data}" {common} aria-label="{label}" '
                "controls autoplay loop muted playsinline></video>"
            )
        return f'<img src="data:{fmt.mime};base64,{data}" {common} alt="{label}">'

    def show(self, format: str = INLINE_FORMAT) -> None:
        """Show the animation inline now, in Jupyter: ``"mp4"`` (a video) or ``"gif"``.

        Raises
        ------
        ImportError
            Without IPython (``pip install 'lossviz[jupyter]'``).
        """
        try:
            from IPython.display import HTML, display
        except ImportError:
            raise ImportError(
                "Animation.show needs IPython: pip install 'lossviz[jupyter]'"
            ) from None
        display(HTML(self.to_html(format)))

    def explore(self) -> Any:
        """The explore page of this scene as a notebook widget, its state readable in
        Python (``pip install 'lossviz[widget]'``); see :mod:`visualizer.frontends.widget`.

        Raises
        ------
        SpecError
            What the page cannot recompute (``mlp``, your own function or optimizer,
            torch or optax), with the reason.
        """
        from visualizer.encoding.explore_model import check_explorable

        if self.scene is None:
            raise SpecError("this animation was not made from a scene: use animate(...)")
        check_explorable(self.scene.surface, self.scene.optimizers)
        from visualizer.frontends.widget import explore_widget

        return explore_widget(self.scene, make_animation=animation_from_scene)

    def _repr_html_(self) -> str:
        """Jupyter display: an H.264 video with controls, playing and looping."""
        return self.to_html(INLINE_FORMAT)


def _suffix(path: str | os.PathLike[str]) -> str:
    return Path(os.fspath(path)).suffix.lower()


def animation_from_scene(scene: Scene, *, recording: Recording | None = None) -> Animation:
    """Record a :class:`~visualizer.scene.scene.Scene` and wrap it as an :class:`Animation`.

    Every input check happens here, before anything is drawn: the scene's values
    (when it was built), the surface and optimizer specs, the text drawn as
    mathtext (the title and the legend's labels), and the total work, frames ×
    pixels (:func:`visualizer.encoding._memory.check_frame_work`).

    Parameters
    ----------
    scene
        The scene.
    recording
        ``scene.record()``, if the caller has it already.

    Raises
    ------
    surfaces.errors.SpecError
        On any bad input, with a one-line message.
    """
    rec = scene.record() if recording is None else recording
    check_text(scene.title if scene.title is not None else rec.surface.title, what="title")
    for run in rec.runs:
        check_text(run.label, what="label")
    anim = Animation(recording=rec, options=scene.render_options(), scene=scene)
    check_frame_count(anim)
    check_frame_work(int(anim.frame_repeats().sum()), anim.options.size)
    return anim


def check_frame_count(anim: Animation) -> None:
    """Refuse a pace that makes more than ``MAX_FRAMES`` frames (a video's, the most).

    Raises
    ------
    SpecError
        Saying how many frames the steps, the pace and the frame rate make.
    """
    o = anim.options
    if o.frames is not None:
        return
    pace = {"steps_per_second": o.steps_per_second, "slow": o.slow}
    seconds = float(
        playback_seconds(
            anim.recording.steps, **pace, slow_steps_per_second=o.slow_steps_per_second
        )
    )
    frames = math.ceil(seconds * anim.fps)
    if o.motion == "smooth" and frames > MAX_FRAMES:
        raise SpecError(
            f"{anim.recording.steps} steps at {o.steps_per_second:g} steps per second and"
            f" {anim.fps} fps make {frames} frames (at most {MAX_FRAMES}): raise"
            " --steps-per-second, or use --motion steps"
        )


def check_text(text: str, *, what: str) -> str:
    """Refuse user text that matplotlib would fail to draw as mathtext.

    Text with a pair of unescaped ``$`` is drawn as mathtext; a malformed formula
    would only fail mid-render, so it is checked with the other input. matplotlib's
    mathtext parser is loaded only for such text.

    Raises
    ------
    SpecError
        With a one-line message naming ``what``.

    Examples
    --------
    >>> check_text(r"$\\beta$ = 0.9", what="label")
    '$\\\\beta$ = 0.9'
    >>> check_text("$x^$", what="title")
    Traceback (most recent call last):
    ...
    surfaces.errors.SpecError: title '$x^$' is not valid mathtext (at char 2)
    """
    if text.replace(r"\$", "").count("$") < 2:
        return text
    from matplotlib.mathtext import MathTextParser

    try:
        MathTextParser("path").parse(text)
    except RecursionError:
        raise SpecError(f"{what} {show(text)} is nested too deeply to typeset") from None
    except ValueError as exc:
        where = re.search(r"\(at char \d+\)", str(exc))
        detail = f" {where.group(0)}" if where else ""
        raise SpecError(f"{what} {text!r} is not valid mathtext{detail}") from None
    return text


def animate(surface: str = "ravine", optimizers: Sequence[str] = (), **options: Any) -> Animation:
    """Run optimizers on a surface and return the animation of their paths.

    Every option of ``lossviz render`` is a keyword (``None`` for its default).

    Parameters
    ----------
    {options}

    Returns
    -------
    Animation
        Call :meth:`Animation.save`, or display it in Jupyter.

    Raises
    ------
    surfaces.errors.SpecError
        On any bad input, with a one-line message.
    TypeError
        On an unknown keyword.

    Examples
    --------
    >>> anim = animate("ravine", ["gd", "momentum"], steps=30, size=(320, 180))
    >>> [run.label for run in anim.recording.runs], anim.n_frames
    (['gd', 'momentum'], 181)
    >>> anim  # one line; in Jupyter, an H.264 video inline (anim.to_html("gif") for a GIF)
    <Animation ravine: gd, momentum; 181 frames at 60 fps, 320x180>
    >>> animate("ravine", ["gd:lr=-1"])
    Traceback (most recent call last):
    ...
    surfaces.errors.SpecError: gd: lr must be > 0, got '-1'
    """
    known = _KEYWORDS[2:]
    for key in options:
        if key not in known:
            hint = did_you_mean(key, known)
            raise TypeError(f"animate() got an unexpected keyword argument {key!r}{hint}")
    given = {"surface": surface, "optimizers": optimizers, **options}
    scene = scene_from_mapping({k: v for k, v in given.items() if v is not None})
    return animation_from_scene(scene)


#: ``animate``'s keywords: the scene's options that have a flag (not the gallery's caption).
_KEYWORDS = tuple(o.name for o in options(Scene) if o.flag is not None)
animate.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
    [
        inspect.Parameter(
            name,
            inspect.Parameter.POSITIONAL_OR_KEYWORD if i < 2 else inspect.Parameter.KEYWORD_ONLY,
            default=getattr(Scene(), name),
        )
        for i, name in enumerate(_KEYWORDS)
    ],
    return_annotation=Animation,
)
animate.__doc__ = (animate.__doc__ or "").replace(
    "    {options}", textwrap.indent(options_doc(Scene, _KEYWORDS), "    ")
)
