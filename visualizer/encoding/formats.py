"""The output formats lossviz writes: one table, :data:`FORMATS`, by suffix.

Every place that needs to know about a format reads this table: the writers
(:func:`visualizer.encoding.writers.writer_for` picks the writer class here), the
memory check, ``lossviz render``'s ``-o`` check, the gallery (the files of a scene),
the Sphinx directive (its ``:format:`` choices and the files each writes) and
:meth:`visualizer.Animation.save` / ``to_html``. It imports nothing heavy, so an
output path is checked before Pillow or an encoder loads.

Adding a format is one row here and its writer class.

Examples
--------
>>> SUFFIXES
('.gif', '.mp4', '.webm', '.png', '.html')
>>> FORMATS[".gif"].mime, FORMATS[".mp4"].writer
('image/gif', 'visualizer.encoding._ffmpeg_writers:Mp4Writer')
>>> [f.suffix for f in formats_for("gallery")]
['.gif', '.mp4', '.png', '.html']
>>> format_of("talk/ravine.MP4").name
'mp4'
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import PurePath
from types import MappingProxyType

#: The front ends that write files, as :attr:`Format.front_ends` names them.
FRONT_ENDS = ("render", "gallery", "sphinx", "inline")


@dataclass(frozen=True)
class Format:
    """One output format.

    Attributes
    ----------
    suffix
        The file suffix that picks it (``".gif"``), lower case.
    description
        A few words for help texts.
    mime
        The media type, for ``data:`` URLs and pages.
    writer
        The writer class, as ``"module:Class"`` (imported only when a file is written).
    front_ends
        Where it can be asked for: ``"render"`` (``lossviz render -o`` and
        :meth:`visualizer.Animation.save`), ``"gallery"`` (a file of every gallery
        scene), ``"sphinx"`` (a ``:format:`` of the directive), ``"inline"``
        (:meth:`visualizer.Animation.to_html` in a notebook).
    encoder_bytes_per_pixel
        Memory its encoder holds per pixel of a frame (frames in flight), measured.
    ffmpeg
        Whether writing it needs ffmpeg.
    still
        One frame only (the poster): it keeps the frame it is told to keep.
    needs_recording
        Its writer needs the recording as well as frames (the player page):
        :meth:`visualizer.Animation.save` makes it, :func:`writer_for` cannot.
    embeds
        The suffix of a file of the same frames that it embeds when one is written
        before it in the same pass (the player page embeds the MP4), or ``None``.
    poster
        Shown in a page with a poster frame (a PNG written beside it).
    """

    suffix: str
    description: str
    mime: str
    writer: str
    front_ends: tuple[str, ...]
    encoder_bytes_per_pixel: int
    ffmpeg: bool = True
    still: bool = False
    needs_recording: bool = False
    embeds: str | None = None
    poster: bool = False

    @property
    def name(self) -> str:
        """The suffix without its dot (``"gif"``): the Sphinx directive's ``:format:``."""
        return self.suffix[1:]


_TABLE = (
    Format(
        ".gif",
        "looping GIF",
        "image/gif",
        "visualizer.encoding._ffmpeg_writers:GifWriter",
        ("render", "gallery", "sphinx", "inline"),
        encoder_bytes_per_pixel=20,
    ),
    Format(
        ".mp4",
        "H.264 video",
        "video/mp4",
        "visualizer.encoding._ffmpeg_writers:Mp4Writer",
        ("render", "gallery", "sphinx", "inline"),
        encoder_bytes_per_pixel=80,
        poster=True,
    ),
    Format(
        ".webm",
        "VP9 video",
        "video/webm",
        "visualizer.encoding._ffmpeg_writers:WebmWriter",
        ("render",),
        encoder_bytes_per_pixel=80,
    ),
    Format(
        ".png",
        "poster frame",
        "image/png",
        "visualizer.encoding._base:PngWriter",
        ("render", "gallery"),
        encoder_bytes_per_pixel=4,
        ffmpeg=False,
        still=True,
    ),
    Format(
        ".html",
        "player page",
        "text/html",
        "visualizer.encoding.player:PlayerWriter",
        ("render", "gallery", "sphinx"),
        encoder_bytes_per_pixel=80,
        needs_recording=True,
        embeds=".mp4",
    ),
)

#: Every format lossviz writes, by suffix, in the order help texts list them.
FORMATS = MappingProxyType({f.suffix: f for f in _TABLE})
#: Their suffixes.
SUFFIXES = tuple(FORMATS)


def formats_for(front_end: str) -> tuple[Format, ...]:
    """The formats ``front_end`` (one of :data:`FRONT_ENDS`) accepts, in table order."""
    if front_end not in FRONT_ENDS:
        raise ValueError(f"front_end must be one of {', '.join(FRONT_ENDS)}, got {front_end!r}")
    return tuple(f for f in _TABLE if front_end in f.front_ends)


def format_of(path: str | os.PathLike[str]) -> Format:
    """The format a path's suffix picks (any case).

    Raises
    ------
    KeyError
        For a suffix that is not in :data:`FORMATS` (check paths first with
        :func:`visualizer.encoding.files.check_output_path`).
    """
    return FORMATS[PurePath(path).suffix.lower()]


def writer_class(fmt: Format) -> type:
    """The writer class of ``fmt``, imported now."""
    from importlib import import_module

    module, _, name = fmt.writer.partition(":")
    return getattr(import_module(module), name)  # type: ignore[no-any-return]
