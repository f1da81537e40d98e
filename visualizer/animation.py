"""The Python entry point: :func:`animate` a scene, then save or display it.

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
import os
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from surfaces import Surface
from visualizer.recorder import Recording, record
from visualizer.render import RenderOptions, frame_steps, render_frames
from visualizer.scene import Scene, scene_from_mapping
from visualizer.theme import THEMES
from visualizer.writers import write_frames_to_all

#: How long the last frame of a GIF holds before it loops.
HOLD_LAST_MS = 1000


@dataclass(frozen=True)
class Animation:
    """A recorded scene and how to draw it; frames are rendered on demand.

    Attributes
    ----------
    recording
        The optimizer runs.
    options
        How to draw them.
    fps
        Frames per second of saved files.
    """

    recording: Recording
    options: RenderOptions
    fps: int = 20

    @property
    def n_frames(self) -> int:
        """Number of frames."""
        return len(frame_steps(self.recording.steps, self.options.frames))

    def frames(self) -> Iterator[np.ndarray]:
        """Yield the frames: ``uint8`` RGBA arrays of shape ``(H, W, 4)``."""
        return render_frames(self.recording, self.options)

    def palette_colors(self) -> list[tuple[int, int, int]]:
        """Colours a GIF palette must hold exactly (optimizers and text)."""
        return THEMES[self.options.theme].palette_colors(len(self.recording.runs))

    def save(
        self, path: str | os.PathLike[str], *, on_frame: Callable[[int], None] | None = None
    ) -> Path:
        """Write the animation; the suffix picks the format (.gif, .mp4, .webm, .png).

        The file is written to a temporary file beside ``path`` and renamed into
        place when complete. ``.png`` writes the final frame as a poster.
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
        return write_frames_to_all(
            paths,
            self.frames(),
            fps=self.fps,
            hold_last_ms=HOLD_LAST_MS,
            extra_colors=self.palette_colors(),
            on_frame=on_frame,
        )

    def to_bytes(self, suffix: str = ".gif") -> bytes:
        """The encoded file as bytes (rendered through a temporary file)."""
        with tempfile.TemporaryDirectory() as folder:
            return self.save(Path(folder) / f"animation{suffix}").read_bytes()

    def _repr_html_(self) -> str:
        """Jupyter display: the animation inline as a looping GIF."""
        data = base64.b64encode(self.to_bytes(".gif")).decode("ascii")
        w, h = self.options.size
        alt = f"{self.recording.surface.title}: " + ", ".join(r.label for r in self.recording.runs)
        return (
            f'<img src="data:image/gif;base64,{data}" width="{w}" height="{h}" '
            f'alt="{_html_escape(alt)}" style="max-width:100%;height:auto"/>'
        )


def _html_escape(text: str) -> str:
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    )


def animation_from_scene(scene: Scene) -> Animation:
    """Record a :class:`~visualizer.scene.Scene` and wrap it as an :class:`Animation`."""
    surface: Surface = scene.build_surface()
    specs = scene.optimizer_specs(surface)
    rec = record(surface, specs, start=scene.start, steps=scene.steps, seed=scene.seed)
    options = RenderOptions(
        view=scene.view,
        frames=scene.frames,
        size=scene.size,
        dpi=scene.dpi,
        theme=scene.theme,
        loss_panel=scene.loss_panel,
        arrows=scene.arrows,
        orbit=scene.orbit,
        title=scene.title,
        fps=scene.fps,
    )
    return Animation(recording=rec, options=options, fps=scene.fps)


def animate(
    surface: str = "ravine",
    optimizers: Sequence[str] = (),
    *,
    start: tuple[float, float] | None = None,
    steps: int | None = None,
    seed: int = 0,
    window: tuple[float, float, float, float] | None = None,
    view: str = "contour",
    frames: int | None = None,
    fps: int = 20,
    size: tuple[int, int] = (1280, 720),
    dpi: int | None = None,
    theme: str = "light",
    loss_panel: bool = False,
    arrows: bool = False,
    orbit: bool = False,
    title: str | None = None,
) -> Animation:
    """Run optimizers on a surface and return the animation of their paths.

    Parameters
    ----------
    surface
        ``NAME``, ``NAME:key=value,...`` or an expression in ``x`` and ``y``.
    optimizers
        Optimizer specs such as ``"momentum:lr=0.01,beta=0.9"``; empty for the
        surface's preset.
    start, steps, seed, window
        Start point, number of steps, seed of stochastic gradients, view window;
        ``None`` for the surface's defaults.
    view, frames, fps, size, dpi, theme, loss_panel, arrows, orbit, title
        How to draw it; the same options as ``lossviz render``.

    Returns
    -------
    Animation
        Call :meth:`Animation.save`, or display it in Jupyter.

    Raises
    ------
    surfaces.errors.SpecError
        On any bad input, with a one-line message.

    Examples
    --------
    >>> anim = animate("ravine", ["gd", "momentum"], steps=30, size=(320, 180))
    >>> [run.label for run in anim.recording.runs], anim.n_frames
    (['gd', 'momentum'], 31)
    >>> html = anim._repr_html_()  # what Jupyter shows: the GIF inline
    >>> html.startswith('<img src="data:image/gif;base64,')
    True
    >>> animate("ravine", ["gd:lr=-1"])
    Traceback (most recent call last):
    ...
    surfaces.errors.SpecError: gd: lr must be > 0, got '-1'
    """
    given = {
        "surface": surface,
        "optimizers": list(optimizers),
        "start": start,
        "steps": steps,
        "seed": seed,
        "window": window,
        "view": view,
        "frames": frames,
        "fps": fps,
        "size": list(size),
        "dpi": dpi,
        "theme": theme,
        "loss_panel": loss_panel,
        "arrows": arrows,
        "orbit": orbit,
        "title": title,
    }
    scene = scene_from_mapping({k: v for k, v in given.items() if v is not None})
    return animation_from_scene(scene)
