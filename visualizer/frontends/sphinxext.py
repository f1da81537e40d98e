"""Sphinx extension: a ``lossviz`` directive that renders a scene when the docs are built.

In ``conf.py``::

    extensions = ["visualizer.frontends.sphinxext"]

In a page::

    .. lossviz:: -s ravine -O gd -O momentum --steps 80 --size 640x360
       :format: mp4
       :caption: Momentum settles in the ravine while GD zig-zags.

The argument is what ``lossviz render`` takes, without ``-o``. ``:format:`` is ``mp4``
(the default: an H.264 video with a poster), ``gif``, ``explore`` (the explorable
page, :mod:`visualizer.frontends.explore`, in a frame) or ``html`` (the scrubbable
player of :mod:`visualizer.encoding.player`, in a frame). The media go to the build's static
files, ``_static/lossviz/``, named by a hash of the scene (every option, after any
``--config`` file is read, and the content of a ``data=FILE``) and the format, so an
unchanged scene is not rendered again.
A bad scene (``-h`` and a bad option included) is a build error at the page's line,
``index.rst:6: ERROR: lossviz: unknown surface ...``: no traceback, the build's status
fails, and ``-W`` stops it.

This module owns the directive, its node and the node's HTML; rendering is
:meth:`visualizer.frontends.animation.Animation.save_all`.
"""

from __future__ import annotations

import hashlib
import html
import importlib.metadata
import json
import posixpath
import shlex
from pathlib import Path
from typing import Any, ClassVar

try:
    from docutils import nodes
    from docutils.parsers.rst import directives
    from sphinx.util import logging
    from sphinx.util.docutils import SphinxDirective
except ImportError:  # pragma: no cover - depends on the environment
    raise ImportError(
        "visualizer.frontends.sphinxext needs Sphinx: pip install 'lossviz[sphinx]'"
    ) from None

from surfaces.errors import SpecError
from visualizer.encoding.errors import WriterError
from visualizer.encoding.formats import formats_for

logger = logging.getLogger(__name__)

#: Formats of the directive, and the files each writes (the first one is shown).
FORMATS = {
    f.name: (f.suffix, *(s.suffix for s in formats_for("render") if f.poster and s.still))
    for f in formats_for("sphinx")
}
#: The explore page (:mod:`visualizer.frontends.explore`): one .html, no frames rendered.
FORMATS["explore"] = (".html",)
#: Height of the explore page's frame: the plot, its controls and the loss panel.
EXPLORE_HEIGHT_PX = 920
#: Where the media go, relative to the HTML output folder.
STATIC = "_static/lossviz"
#: Height of the player's controls and readout below the video, for its frame.
PLAYER_EXTRA_PX = 260


class lossviz_media(nodes.General, nodes.Element):
    """A rendered scene: ``format``, ``uris`` (under the output folder), ``size``, ``alt``."""


def scene_key(command: list[str], format: str) -> str:
    """A short hash of a scene's full command and the format: the name of its media.

    Examples
    --------
    >>> scene_key(["-s", "bowl"], "mp4") == scene_key(["-s", "bowl"], "mp4")
    True
    >>> scene_key(["-s", "bowl"], "mp4") == scene_key(["-s", "bowl"], "gif")
    False
    """
    text = json.dumps([_version(), format, command])
    return hashlib.sha256(text.encode()).hexdigest()[:20]


def data_file(surface: object) -> Path | None:
    """The ``data=FILE`` a surface spec reads (``regression:data=points.csv``), if any.

    Examples
    --------
    >>> data_file("regression:data=points.csv"), data_file("mlp:data=moons")
    (PosixPath('points.csv'), None)
    """
    from surfaces import SURFACES
    from surfaces.params import split_spec

    if not isinstance(surface, str) or surface.partition(":")[0].strip() not in SURFACES:
        return None
    name, raw = split_spec(surface, kind="surface")
    return Path(raw["data"]) if SURFACES[name].data_file and "data" in raw else None


def render_media(scene: Any, paths: list[Path]) -> None:
    """Render ``scene`` once into every one of ``paths``."""
    from visualizer.frontends.animation import animation_from_scene

    animation_from_scene(scene).save_all(paths)


def _write_explore(scene: Any, path: Path) -> None:
    """Write the explore page of ``scene`` (``:format: explore``)."""
    from visualizer.encoding.files import write_text_atomic
    from visualizer.frontends.explore import explore_scene

    page, _ = explore_scene(scene)
    write_text_atomic(path, page)


class LossvizDirective(SphinxDirective):
    """``.. lossviz:: ARGS`` with ``:format:`` and ``:caption:``."""

    has_content = False
    required_arguments = 0
    optional_arguments = 1
    final_argument_whitespace = True
    option_spec: ClassVar[dict[str, Any]] = {
        "format": lambda text: directives.choice(text, tuple(FORMATS)),
        "caption": directives.unchanged,
    }

    def run(self) -> list[nodes.Node]:
        """The directive's figure; a bad scene is an error at its line, and no figure.

        The error goes to Sphinx's log with the page and line
        (``index.rst:6: ERROR: lossviz: unknown surface ...``), as reStructuredText's
        own errors do: the build goes on with the other pages, fails its status
        at the end, and stops at once under ``-W``. No traceback.
        """
        try:
            return self._run()
        except (SpecError, WriterError, OSError, ValueError) as error:
            text = str(error).strip()
            message = text.splitlines()[0] if text else type(error).__name__
            logger.error(
                "lossviz: %s",
                _short(message),
                location=self.get_location(),
            )
            return []

    def _run(self) -> list[nodes.Node]:
        from visualizer.frontends.cli import UsageError, parse_command, scene_from_args
        from visualizer.scene.options import command_args

        format = self.options.get("format", "mp4")
        suffixes = FORMATS[format]
        try:
            argv = shlex.split(self.arguments[0] if self.arguments else "")
        except ValueError as error:
            raise SpecError(f"cannot split the arguments: {error}") from None
        if any(a in ("-o", "--output") or a.startswith("--output=") for a in argv):
            raise SpecError("leave out -o: the directive chooses the file")
        shown = [a for a in argv if a in ("-h", "--help", "-V", "--version")]
        if shown:
            raise SpecError(
                f"leave out {shown[0]}: the directive renders a scene"
                " (lossviz render --help lists the options)"
            )
        try:  # exactly as the command reads it (--start -3,1 included)
            args = parse_command(["render", *argv, "-o", f"scene{suffixes[0]}"])
        except UsageError as error:
            raise SpecError(str(error)) from None
        except SystemExit:  # never end a build early
            raise SpecError("the arguments asked to exit instead of rendering") from None
        if args.config:
            self.env.note_dependency(str(Path(args.config).resolve()))
        scene = scene_from_args(args)
        command = command_args(scene, always=("surface",))
        data = data_file(scene.surface)
        if data is not None and data.is_file():  # its content is part of the scene
            self.env.note_dependency(str(data.resolve()))
            command.append(hashlib.sha256(data.read_bytes()).hexdigest())
        key = scene_key(command, format)
        folder = Path(self.env.lossviz_outdir) / STATIC
        paths = [folder / f"{key}{suffix}" for suffix in suffixes]
        if not all(p.is_file() for p in paths):
            folder.mkdir(parents=True, exist_ok=True)
            if format == "explore":
                _write_explore(scene, paths[0])
            else:
                render_media(scene, paths)
        caption = self.options.get("caption", "")
        node = lossviz_media(
            format=format,
            uris=[f"{STATIC}/{p.name}" for p in paths],
            size=scene.size,
            alt=caption or scene.title or "lossviz animation",
        )
        self.set_source_info(node)
        figure = nodes.figure("", node, classes=["lossviz"])
        self.set_source_info(figure)
        if caption:
            parsed, _ = self.state.inline_text(caption, self.lineno)
            figure += nodes.caption(caption, "", *parsed)
        return [figure]


def visit_media_html(translator: Any, node: lossviz_media) -> None:
    """The media as HTML, with paths relative to the page being written."""
    here = posixpath.dirname(translator.builder.get_target_uri(translator.builder.current_docname))
    uris = [html.escape(posixpath.relpath(u, here or ".")) for u in node["uris"]]
    w, h = node["size"]
    alt = html.escape(node["alt"])
    style = 'style="max-width:100%;height:auto"'
    if node["format"] == "mp4":
        translator.body.append(
            f'<video src="{uris[0]}" poster="{uris[1]}" width="{w}" height="{h}" {style} '
            f'aria-label="{alt}" controls loop muted playsinline preload="metadata"></video>'
        )
    elif node["format"] == "gif":
        translator.body.append(
            f'<img src="{uris[0]}" width="{w}" height="{h}" alt="{alt}" {style}>'
        )
    elif node["format"] == "explore":
        translator.body.append(
            f'<iframe src="{uris[0]}" width="100%" height="{EXPLORE_HEIGHT_PX}" '
            f'title="{alt}" loading="lazy" style="border:0"></iframe>'
            f'<p><a href="{uris[0]}">Open the explorable page</a></p>'
        )
    else:
        translator.body.append(
            f'<iframe src="{uris[0]}" width="{w + 40}" height="{h + PLAYER_EXTRA_PX}" '
            f'title="{alt}" loading="lazy" style="max-width:100%;border:0"></iframe>'
            f'<p><a href="{uris[0]}">Open the player</a></p>'
        )
    raise nodes.SkipNode


def skip_media(translator: Any, node: lossviz_media) -> None:
    """Builders other than HTML show the caption only."""
    raise nodes.SkipNode


def setup(app: Any) -> dict[str, Any]:
    """Register the directive and its node (Sphinx calls this)."""
    skip = (skip_media, None)
    app.add_node(
        lossviz_media,
        html=(visit_media_html, None),
        latex=skip,
        text=skip,
        man=skip,
        texinfo=skip,
    )
    app.add_directive("lossviz", LossvizDirective)
    app.connect("builder-inited", _note_outdir)
    return {"version": _version(), "parallel_read_safe": True, "parallel_write_safe": True}


def _note_outdir(app: Any) -> None:
    """Tell the directives where this build writes (the environment outlives builds)."""
    app.env.lossviz_outdir = str(app.outdir)


def _short(text: str, limit: int = 300) -> str:
    """``text`` cut to ``limit`` characters for a log line."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _version() -> str:
    try:
        return importlib.metadata.version("lossviz")
    except importlib.metadata.PackageNotFoundError:  # pragma: no cover - not installed
        return "unknown"
