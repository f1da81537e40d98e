"""Tests for :mod:`visualizer.encoding.formats`: one table that every front end reads."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from visualizer.encoding import _memory, writers
from visualizer.encoding.errors import WriterError
from visualizer.encoding.formats import (
    FORMATS,
    FRONT_ENDS,
    SUFFIXES,
    format_of,
    formats_for,
    writer_class,
)
from visualizer.frontends import gallery

ROOT = Path(__file__).resolve().parents[1]


def test_every_row_names_its_writer_and_the_writer_agrees():
    for suffix, fmt in FORMATS.items():
        assert fmt.suffix == suffix == suffix.lower() and suffix.startswith(".")
        cls = writer_class(fmt)
        assert issubclass(cls, writers.FrameWriter)
        assert cls.suffix == suffix  # the class the table names writes that suffix
        assert re.fullmatch(r"(image|video|text)/[a-z0-9]+", fmt.mime)
        assert set(fmt.front_ends) <= set(FRONT_ENDS) and "render" in fmt.front_ends
        assert fmt.embeds is None or fmt.embeds in FORMATS


def test_writer_for_picks_from_the_table_and_refuses_what_needs_a_recording(tmp_path):
    for fmt in FORMATS.values():
        path = tmp_path / f"anim{fmt.suffix.upper()}"  # any case
        if fmt.needs_recording:
            with pytest.raises(WriterError, match=f"write a {fmt.description} with Animation"):
                writers.writer_for(path, fps=10)
        else:
            assert type(writers.writer_for(path, fps=10)) is writer_class(fmt)


def test_the_front_ends_read_the_table(capsys):
    from visualizer.frontends import sphinxext
    from visualizer.frontends.cli import main

    assert gallery.GALLERY_SUFFIXES == tuple(f.suffix for f in formats_for("gallery"))
    # and the explore page, which is not frames (visualizer.frontends.explore)
    assert list(sphinxext.FORMATS) == [f.name for f in formats_for("sphinx")] + ["explore"]
    assert sphinxext.FORMATS["mp4"] == (".mp4", ".png")  # a video shows a poster frame
    assert main(["render", "--help"]) == 0
    help_text = " ".join(capsys.readouterr().out.split())
    for fmt in formats_for("render"):
        assert f"{fmt.suffix} ({fmt.description})" in help_text
    assert SUFFIXES == tuple(FORMATS)


def test_memory_per_format_comes_from_the_table():
    base = _memory.memory_needed((100, 100), [])
    for fmt in FORMATS.values():
        extra = _memory.memory_needed((100, 100), [fmt.suffix]) - base
        assert extra == 100 * 100 * fmt.encoder_bytes_per_pixel
    assert _memory.memory_needed((100, 100), [".csv"]) == base


def test_inline_formats_have_their_mime_in_the_data_url():
    from visualizer import animate

    anim = animate("bowl", ["gd:lr=0.2"], steps=2, size=(64, 64))
    pytest.importorskip("imageio_ffmpeg")
    gif = anim.to_html("gif")
    assert gif.startswith(f'<img src="data:{FORMATS[".gif"].mime};base64,')
    with pytest.raises(ValueError, match="'mp4' or 'gif'"):
        anim.to_html("webm")


def test_format_of_any_case_and_a_bad_suffix():
    assert format_of("a/b.GIF") is FORMATS[".gif"]
    with pytest.raises(KeyError):
        format_of("a.avi")
    with pytest.raises(ValueError, match="front_end"):
        formats_for("email")


def test_no_format_is_special_cased_outside_the_table():
    # the player page is a row of the table: no code compares a path with ".html"
    # (the explore page, another kind of file, may still name its own suffix)
    compare = re.compile(r"""[=!]=\s*["']\.html["']|["']\.html["']\s*[=!]=""")
    named = [
        path.relative_to(ROOT).as_posix()
        for path in (ROOT / "visualizer").rglob("*.py")
        if compare.search(path.read_text(encoding="utf-8"))
    ]
    assert named == []
    assert compare.search('if _suffix(path) == ".html":')  # what it looks for
