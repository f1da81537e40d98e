"""The gallery: the source article's story as a set of scenes, rendered in one go.

This module owns the gallery's scene folder, the rendering of every scene and
the page and Markdown that show them with their commands.

Each scene is a TOML scene file (the same format as ``lossviz render --config``)
in a folder, by default the ``scenes`` folder shipped inside this package. A
scene file may add ``order`` (its place in the gallery) besides ``title`` and
``caption``. The gallery renders every scene to ``NAME.gif``, ``NAME.mp4``, a
poster ``NAME.png`` and a player page ``NAME.html`` (frames are rendered once and
streamed to all four), one scene per process on every core, then writes
``index.html`` and ``gallery.md``, which link each scene's player. Each scene drawn
in 2D on a surface the browser can recompute also gets an explore page
``NAME-explore.html`` (:mod:`visualizer.frontends.explore`), linked there too.

Reading the scenes needs no plotting library; rendering imports it.
"""

from __future__ import annotations

import dataclasses
import html
import os
import re
import shlex
import signal
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from surfaces.errors import SpecError
from visualizer.encoding.formats import formats_for
from visualizer.scene.options import command_args
from visualizer.scene.scene import Scene, load_scene_file

#: The scene files shipped with lossviz.
DEFAULT_SCENES = Path(__file__).parent.parent / "scene" / "gallery"
#: Scene names whose files would overwrite the gallery's page (index.html).
PAGE_NAMES = ("index",)
#: Formats written for every scene.
GALLERY_SUFFIXES = tuple(f.suffix for f in formats_for("gallery"))


@dataclass(frozen=True)
class GalleryScene:
    """One scene of the gallery: its name (the file's stem), file and scene."""

    name: str
    path: Path
    scene: Scene
    order: int

    @property
    def title(self) -> str:
        """The scene's title, or its name."""
        return self.scene.title or self.name

    @property
    def rendered(self) -> Scene:
        """The scene as the gallery renders it: its title is the page's heading, not
        part of the frame."""
        return dataclasses.replace(self.scene, title=None)

    @property
    def command(self) -> str:
        """The ``lossviz render`` command of the GIF the gallery shows."""
        return scene_command(self.rendered, f"{self.name}.gif")


def load_gallery(folder: str | Path = DEFAULT_SCENES) -> list[GalleryScene]:
    """Read every ``*.toml`` scene in ``folder``, sorted by ``order`` then name.

    Raises
    ------
    SpecError
        A missing folder, a folder without scenes, or a bad scene file.
    """
    if "\0" in str(folder):
        raise SpecError("scene folder path contains a NUL byte")
    root = Path(folder)
    if not root.is_dir():
        raise SpecError(f"scene folder '{root}' does not exist")
    scenes = []
    for path in sorted(root.glob("*.toml")):
        if path.stem.lower() in PAGE_NAMES:
            raise SpecError(
                f"scene file '{path}': its player would be {path.stem}.html, the gallery's"
                " page: rename the file"
            )
        scene = load_scene_file(path, allowed_extra=("order",))
        order = scene.extras.get("order", 1000)
        if type(order) is not int:
            raise SpecError(f"config '{path}': order must be an integer, got {order!r}")
        scenes.append(GalleryScene(path.stem, path, scene, order))
    if not scenes:
        raise SpecError(f"no scene files (*.toml) in '{root}'")
    return sorted(scenes, key=lambda s: (s.order, s.name))


def scene_command(scene: Scene, output: str) -> str:
    """The ``lossviz render`` command that reproduces ``scene`` into ``output``.

    Every option with a flag that is not at its default is written (the surface
    always); the caption, which has no flag, is not.

    Examples
    --------
    >>> scene_command(Scene(surface="ravine", view="surface"), "ravine.gif")
    'lossviz render -s ravine --view surface -o ravine.gif'
    """
    args = ["lossviz", "render", *command_args(scene, always=("surface",)), "-o", output]
    return shlex.join(args)


def check_gallery(scenes: Sequence[GalleryScene], *, workers: int | None = None) -> list[Any]:
    """Record and check every scene before anything is written; their animations.

    Each scene's input (surface, optimizers, labels) and work are checked here,
    and the memory of the ``workers`` processes rendering at once (``None``: one
    per core this process may use), the largest scenes together
    (:func:`visualizer.encoding._memory.check_memory_total`).

    Raises
    ------
    SpecError
        On any bad input, naming the scene file.
    """
    recordings = []
    from visualizer.encoding._memory import check_scene_work

    for item in scenes:  # numpy only: most bad input is found before any plotting import
        try:
            check_scene_work(item.rendered)
            recordings.append(item.rendered.record())
        except SpecError as exc:
            raise SpecError(f"config '{item.path}': {exc}") from None
    from visualizer.encoding._memory import check_memory_total, memory_needed
    from visualizer.encoding.processes import usable_cores
    from visualizer.frontends.animation import animation_from_scene

    animations = []
    for item, rec in zip(scenes, recordings, strict=True):
        try:
            animations.append(animation_from_scene(item.rendered, recording=rec))
        except SpecError as exc:
            raise SpecError(f"config '{item.path}': {exc}") from None
    count = max(1, min(len(scenes), workers or usable_cores(), usable_cores()))
    needs = sorted((memory_needed(s.scene.size, GALLERY_SUFFIXES) for s in scenes), reverse=True)
    check_memory_total(
        sum(needs[:count]),
        f"rendering {count} scene{'s' if count > 1 else ''} at once (-j {count})",
    )
    return animations


def render_gallery(
    out_dir: str | Path,
    scenes: Sequence[GalleryScene],
    *,
    progress: Callable[[GalleryScene, int], None] | None = None,
    page_scenes: Sequence[GalleryScene] | None = None,
    workers: int | None = None,
    animations: Sequence[Any] | None = None,
) -> list[Path]:
    """Render every scene into ``out_dir`` and write ``index.html`` and ``gallery.md``.

    Every scene is recorded and checked before any file is written. The scenes
    then render in parallel, one per process (at most ``workers``, by default one
    per core), each streaming its frames to its three files, so memory stays that
    of one render per process; the files are the same bytes as a sequential run.

    Parameters
    ----------
    out_dir
        Existing folder for the files.
    scenes
        The scenes, in gallery order.
    progress
        ``progress(scene, done)`` is called as each scene is written (``done``
        scenes so far).
    page_scenes
        The scenes the page and the Markdown may list, when only some of them are
        rendered again; those not rendered now are listed only if their files are
        in ``out_dir`` already. ``None`` for ``scenes``.
    workers
        Number of processes; ``1`` renders in this process.
    animations
        :func:`check_gallery`'s result for ``scenes``, if the caller has it already.

    Returns
    -------
    list of Path
        Every file written.
    """
    from visualizer.encoding.files import check_output_path, write_text_atomic

    folder = Path(out_dir)
    if animations is None:
        animations = check_gallery(scenes)
    jobs = []
    for item, anim in zip(scenes, animations, strict=True):
        outputs = [
            check_output_path(folder / f"{item.name}{s}", suffixes=GALLERY_SUFFIXES)
            for s in GALLERY_SUFFIXES
        ]
        jobs.append((item, anim, outputs))
    written: list[Path] = []
    for done, (index, files) in enumerate(_render_jobs(jobs, workers), start=1):
        written += files
        if progress is not None:
            progress(jobs[index][0], done)
    written += _explore_pages(folder, scenes)
    rendered = {item.name for item in scenes}
    page = [
        item
        for item in (scenes if page_scenes is None else page_scenes)
        if item.name in rendered
        or all((folder / f"{item.name}{s}").is_file() for s in GALLERY_SUFFIXES)
    ]
    explore = {item.name for item in page if (folder / explore_name(item)).is_file()}
    written.append(write_text_atomic(folder / "index.html", index_html(page, explore=explore)))
    written.append(
        write_text_atomic(folder / "gallery.md", gallery_markdown(page, explore=explore))
    )
    return written


def explore_name(item: GalleryScene) -> str:
    """The file name of a scene's explore page."""
    return f"{item.name}-explore.html"


def _explore_pages(folder: Path, scenes: Sequence[GalleryScene]) -> list[Path]:
    """An explore page for every scene that has one (see :func:`explorable`)."""
    from visualizer.encoding.files import write_text_atomic
    from visualizer.frontends.explore import explorable, explore_scene

    written = []
    for item in scenes:
        if explorable(item.scene):
            scene = dataclasses.replace(item.rendered, title=item.title)
            page, _ = explore_scene(scene, output_name=f"{item.name}.gif")
            written.append(write_text_atomic(folder / explore_name(item), page))
    return written


#: The jobs of a parallel gallery, inherited by the forked workers.
_JOBS: list[tuple[GalleryScene, Any, list[Path]]] = []


def _render_job(index: int) -> tuple[int, list[Path]]:
    _item, anim, outputs = _JOBS[index]
    return index, dataclasses.replace(anim, workers=1).save_all(outputs)


def _worker_init(parent: int) -> None:
    """Workers leave Ctrl-C and SIGHUP to the parent, which stops them with SIGTERM: each
    writer then removes its temporary files (see :mod:`visualizer.encoding.files`).
    They get SIGTERM too when the parent dies, however it dies (SIGKILL included)."""
    from visualizer.encoding.files import signals_of_a_worker

    signals_of_a_worker(parent)


def _terminated(signum: int, frame: object) -> None:
    from visualizer.encoding.files import Terminated

    raise Terminated(signum)


def _render_jobs(jobs: list[tuple[GalleryScene, Any, list[Path]]], workers: int | None) -> Any:
    """Yield ``(index, files written)`` for every job, in the order they finish.

    On Ctrl-C, SIGTERM or SIGHUP the parent stops the workers (``Pool.terminate``
    sends them SIGTERM and waits for them) and the exception goes on: no worker
    writes anything after the command ends. A parent killed outright takes its
    workers with it (:func:`visualizer.encoding.processes.die_with_parent`).
    """
    import multiprocessing as mp

    from visualizer.encoding.processes import usable_cores

    count = min(len(jobs), workers if workers is not None else usable_cores(), usable_cores())
    # forking a process with other threads can deadlock the child on a lock one of
    # them held: render in this process then
    threaded = threading.active_count() > 1
    if count <= 1 or threaded or "fork" not in mp.get_all_start_methods():
        for index, (_item, anim, outputs) in enumerate(jobs):
            yield index, anim.save_all(outputs)
        return
    _JOBS[:] = jobs
    in_main = threading.current_thread() is threading.main_thread()
    stops = [getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name)]
    # handled here only where nobody else handles or ignores them (nohup ignores SIGHUP)
    ours = [s for s in stops if in_main and signal.getsignal(s) == signal.SIG_DFL]
    try:
        for signum in ours:
            signal.signal(signum, _terminated)
        with mp.get_context("fork").Pool(
            count, initializer=_worker_init, initargs=(os.getpid(),)
        ) as pool:
            yield from pool.imap_unordered(_render_job, longest_first(jobs), chunksize=1)
    finally:
        for signum in ours:
            signal.signal(signum, signal.SIG_DFL)
        _JOBS.clear()


def longest_first(jobs: Sequence[tuple[Any, Any, Sequence[Path]]]) -> list[int]:
    """Job indices, the longest renders first (most frames, then most pixels; ties in
    gallery order): the cores do not wait at the end for one long scene started last.

    Examples
    --------
    >>> from types import SimpleNamespace as N
    >>> anim = lambda frames, size: N(n_frames=frames, options=N(size=size))
    >>> longest_first([(0, anim(41, (640, 360)), []), (1, anim(121, (640, 360)), []),
    ...                (2, anim(41, (1280, 720)), [])])
    [1, 2, 0]
    """

    def work(index: int) -> tuple[int, int, int]:
        anim = jobs[index][1]
        width, height = anim.options.size
        return (-anim.n_frames, -width * height, index)

    return sorted(range(len(jobs)), key=work)


def index_html(scenes: Sequence[GalleryScene], *, explore: Sequence[str] = ()) -> str:
    """The gallery page: every scene's title, caption, GIF, MP4 and command, and a link
    to the explore page of the scenes named in ``explore``."""
    parts = [
        "<!doctype html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        "<title>lossviz gallery</title>",
        "<style>",
        "body{font-family:system-ui,sans-serif;max-width:1320px;margin:2rem auto;"
        "padding:0 1rem;color:#1f2430;line-height:1.5}",
        "img,video{max-width:100%;height:auto;border:1px solid #d9dde5;border-radius:6px}",
        ".media{display:grid;grid-template-columns:1fr 1fr;gap:1rem}",
        "@media (max-width:900px){.media{grid-template-columns:1fr}}",
        "pre{background:#f6f7f9;padding:.6rem .8rem;border-radius:6px;overflow-x:auto}",
        "section{margin:2.5rem 0}",
        "</style>",
        "</head>",
        "<body>",
        "<h1>lossviz gallery</h1>",
        "<p>Gradient descent, SGD and momentum on the surfaces of the source article. "
        "Each scene: a looping GIF for slides, an MP4 with a poster for docs, and a player "
        "to step through it.</p>",
    ]
    for item in scenes:
        w, h = item.scene.size
        name = html.escape(quote(item.name))
        title = html.escape(item.title)
        parts += [
            f'<section id="{name}">',
            f"<h2>{title}</h2>",
            f"<p>{html.escape(item.scene.caption)}</p>",
            '<div class="media">',
            f'<img src="{name}.gif" width="{w}" height="{h}" alt="{title} (GIF)">',
            f'<video src="{name}.mp4" poster="{name}.png" width="{w}" height="{h}" '
            'controls loop muted playsinline preload="metadata"></video>',
            "</div>",
            f'<p><a class="player" href="{name}.html">Step through it in the player</a> '
            "(scrub bar, step buttons, each run's loss)</p>",
            *(
                [
                    f'<p><a class="explore" href="{html.escape(quote(explore_name(item)))}">'
                    "Explore it</a>: move the sliders and the start, every run recomputed "
                    "in the page</p>"
                ]
                if item.name in explore
                else []
            ),
            f"<pre><code>{html.escape(item.command)}</code></pre>",
            "</section>",
        ]
    parts += ["</body>", "</html>", ""]
    return "\n".join(parts)


def gallery_markdown(scenes: Sequence[GalleryScene], *, explore: Sequence[str] = ()) -> str:
    """The gallery as Markdown, to paste into docs (``explore``: as :func:`index_html`).

    Titles and captions are text, not HTML: ``&``, ``<`` and ``>`` are escaped
    (Markdown passes HTML through), and brackets in the image's alt text too.

    Examples
    --------
    >>> print(_markdown_text("a <b> & [c]", alt=True))
    a &lt;b&gt; &amp; \\[c\\]
    """
    lines = ["# lossviz gallery", ""]
    for item in scenes:
        title = _markdown_text(item.title)
        lines += [
            f"## {title}",
            "",
            _markdown_text(item.scene.caption),
            "",
            f"![{_markdown_text(item.title, alt=True)}]({quote(item.name)}.gif)",
            "",
            f"[MP4]({quote(item.name)}.mp4) · [poster]({quote(item.name)}.png)"
            f" · [player]({quote(item.name)}.html)"
            + (f" · [explore]({quote(explore_name(item))})" if item.name in explore else ""),
            "",
            "```sh",
            item.command,
            "```",
            "",
        ]
    return "\n".join(lines)


def _markdown_text(text: str, *, alt: bool = False) -> str:
    """``text`` as literal Markdown text (``alt``: inside ``![...]``)."""
    text = html.escape(text, quote=False)
    if alt:
        text = re.sub(r"([\\\[\]])", r"\\\1", text)
    return text
