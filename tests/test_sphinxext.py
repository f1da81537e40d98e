"""Tests for visualizer/sphinxext.py: a small Sphinx project built with the directive.

One build renders an MP4 with its poster, a GIF and a player page; the HTML must refer
to media that exist and decode. A second build of the unchanged pages renders nothing.
A bad scene (``-h`` too) is an error in Sphinx's log at the page and line; the build goes
on, and ``-W`` makes it fail.
"""

from __future__ import annotations

import importlib
import io
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from helpers import gif_frames, needs_encoder, video_frame_count, video_stream
from PIL import Image

sphinx_application = pytest.importorskip(
    "sphinx.application", reason="needs Sphinx: pip install 'lossviz[sphinx]'"
)
sphinxext = pytest.importorskip("visualizer.frontends.sphinxext")
docutils_namespace = pytest.importorskip("sphinx.util.docutils").docutils_namespace

pytestmark = [needs_encoder("libx264"), needs_encoder("gif")]

SCENE = "-s bowl -O gd:lr=0.1 -O momentum:lr=0.05 --steps 4 --size 96x64"
PAGES = {
    "index.rst": f"""\
        Scenes
        ======

        .. toctree::

           sub/page

        .. lossviz:: {SCENE}
           :caption: GD and *momentum* in a bowl.
        """,
    "sub/page.rst": f"""\
        Deeper
        ======

        .. lossviz:: {SCENE} --theme dark
           :format: gif

        .. lossviz:: {SCENE}
           :format: html
           :caption: Step through it.

        .. lossviz:: {SCENE}
           :format: explore
        """,
}


def write_project(folder: Path, pages: dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "conf.py").write_text(
        'extensions = ["visualizer.frontends.sphinxext"]\n', encoding="utf-8"
    )
    for name, text in pages.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return folder


def build(src: Path, out: Path, *, fresh: bool = True) -> str:
    """Build ``src`` to HTML in ``out`` (from a fresh environment); returns the warnings."""
    warnings = io.StringIO()
    with docutils_namespace():  # one process, several builds: their own node registries
        app = sphinx_application.Sphinx(
            str(src), str(src), str(out), str(out / ".doctrees"), "html",
            status=None, warning=warnings, freshenv=fresh,
        )  # fmt: skip
        app.build()
    return re.sub(r"\x1b\[[0-9;]*m", "", warnings.getvalue())  # without colours


def media(page: Path) -> dict[str, list[Path]]:
    """The media a built page refers to, as files."""
    text = page.read_text(encoding="utf-8")
    found = {
        "video": re.findall(r'<video src="([^"]+)" poster="([^"]+)"', text),
        "img": re.findall(r'<img src="([^"]*_static/lossviz/[^"]+)"', text),
        "iframe": re.findall(r'<iframe src="([^"]+)"', text),
    }
    flat = {kind: [u for item in items for u in ([item] if isinstance(item, str) else item)]
            for kind, items in found.items()}  # fmt: skip
    return {kind: [(page.parent / u).resolve() for u in uris] for kind, uris in flat.items()}


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("sphinx")
    src = write_project(base / "src", PAGES)
    out = base / "out"
    warnings = build(src, out)
    assert warnings == "", warnings
    return {"src": src, "out": out}


def test_pages_refer_to_media_that_exist_and_play(built):
    out = built["out"]
    top, sub = media(out / "index.html"), media(out / "sub" / "page.html")
    (mp4, poster) = top["video"]
    (gif,) = sub["img"]
    (player, explore) = sub["iframe"]
    assert "window.lossviz" in explore.read_text(encoding="utf-8")  # :format: explore
    for path in (mp4, poster, gif, player, explore):
        assert path.is_file(), path
        assert path.parent == (out / "_static" / "lossviz").resolve()
    # 5 frames; the first holds 1.5 s (30 periods at 20 fps), the last 3 s (60)
    assert "h264" in video_stream(mp4) and video_frame_count(mp4) == 30 + 3 + 60
    with Image.open(poster) as image:
        assert image.size == (96, 64)
    frames, _, image = gif_frames(gif)
    assert len(frames) == 5 and image.size == (96, 64)
    assert "data:video/mp4;base64," in player.read_text(encoding="utf-8")
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "<em>momentum</em>" in index  # the caption is reStructuredText
    assert "controls" in index and 'width="96" height="64"' in index


def test_unchanged_scenes_are_not_rendered_again(built, monkeypatch):
    folder = built["out"] / "_static" / "lossviz"
    before = {p.name: p.stat().st_mtime_ns for p in folder.iterdir()}

    def no_render(*args, **kwargs):
        raise AssertionError("an unchanged scene was rendered again")

    monkeypatch.setattr(sphinxext, "render_media", no_render)
    assert build(built["src"], built["out"]) == ""
    assert {p.name: p.stat().st_mtime_ns for p in folder.iterdir()} == before


def test_a_changed_data_file_is_rendered_again(tmp_path, monkeypatch):
    """The data file is part of the scene: an incremental build re-reads the page."""
    data = tmp_path / "points.csv"
    data.write_text("1,2\n2,3\n3,5\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)  # data= is read as lossviz render reads it
    directive = ".. lossviz:: -s regression:data=points.csv -O gd --steps 2 --size 64x64"
    src = write_project(tmp_path / "src", {"index.rst": f"Title\n=====\n\n{directive}\n"})
    out = tmp_path / "out"
    assert build(src, out, fresh=False) == ""
    (before, _) = media(out / "index.html")["video"]
    data.write_text("1,2\n2,3\n3,7\n", encoding="utf-8")
    assert build(src, out, fresh=False) == ""
    (after, _) = media(out / "index.html")["video"]
    assert after != before and after.is_file()


@pytest.mark.parametrize(
    ("directive", "message"),
    [
        (".. lossviz:: -s no-such-surface", "unknown surface 'no-such-surface'"),
        (".. lossviz:: -s bowl --size 10x10", "size 10x10"),
        (".. lossviz:: -s bowl -o x.mp4", "leave out -o"),
        (".. lossviz:: -s bowl --frobnicate", "--frobnicate"),
        (".. lossviz:: -s bowl -h", "leave out -h: the directive renders a scene"),
        (".. lossviz:: --version", "leave out --version"),
        (".. lossviz:: -s bowl --steps", "--steps: expected one argument"),
    ],
)
def test_bad_scene_is_an_error_at_the_page_and_line(tmp_path, directive, message):
    """An error line in Sphinx's log (no traceback, no "report this"); the build goes on."""
    pages = {"index.rst": f"Title\n=====\n\ntext\n\n{directive}\n\nAfter it.\n"}
    src = write_project(tmp_path / "src", pages)
    warnings = build(src, tmp_path / "out")
    assert warnings.startswith(f"{src / 'index.rst'}:6: ERROR: lossviz: "), warnings
    assert message in warnings and warnings.count("\n") == 1, warnings
    assert "Traceback" not in warnings and "report" not in warnings
    assert "After it." in (tmp_path / "out" / "index.html").read_text(encoding="utf-8")


def test_a_bad_scene_fails_a_strict_build(tmp_path):
    """``-W``: the status is an error; never an exit 0 over an incomplete site."""
    src = write_project(tmp_path / "src", {"index.rst": "Title\n=====\n\n.. lossviz:: -h\n"})
    done = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "-q", "-b", "html", str(src), str(tmp_path / "o")],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 1, done.stderr
    assert f"{src / 'index.rst'}:4: ERROR: lossviz: leave out -h" in done.stderr
    assert "Traceback" not in done.stderr and "report" not in done.stderr


def test_the_directive_reads_its_line_as_the_command_does(tmp_path):
    """Negative values after a flag, as ``lossviz render --start -3,1`` takes them."""
    directive = ".. lossviz:: -s bowl -O gd --start -3,1 --window -4,4,-2,2 --steps 2 --size 64x64"
    src = write_project(tmp_path / "src", {"index.rst": f"T\n=\n\n{directive}\n   :format: gif\n"})
    assert build(src, tmp_path / "out") == ""
    (gif,) = media(tmp_path / "out" / "index.html")["img"]
    assert gif.read_bytes().startswith(b"GIF89a")


def test_without_sphinx_the_import_error_names_the_extra(monkeypatch):
    monkeypatch.delitem(sys.modules, "visualizer.frontends.sphinxext")
    monkeypatch.setitem(sys.modules, "sphinx.util.docutils", None)
    with pytest.raises(ImportError) as caught:
        importlib.import_module("visualizer.frontends.sphinxext")
    assert (
        str(caught.value)
        == "visualizer.frontends.sphinxext needs Sphinx: pip install 'lossviz[sphinx]'"
    )
