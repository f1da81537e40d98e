"""Tests for visualizer/gallery.py and ``lossviz gallery``: files, page, commands, errors."""

from __future__ import annotations

import dataclasses
import html
import re
import shlex
from pathlib import Path

import pytest
from helpers import OUTPUTS, TINY, TINY_ORDER, TINY_SIZES, run_main, write_scenes

from surfaces import SpecError
from visualizer.frontends.cli import build_parser, main, scene_from_args
from visualizer.frontends.gallery import DEFAULT_SCENES, load_gallery

SHIPPED = [
    *("gradient-field", "bowl", "learning-rate", "ravine", "ravine-3d", "newton-ravine"),
    *("momentum-beta", "saddle", "saddle-3d", "newton-saddle", "plateau", "local-minimum"),
    *("minibatch", "all-optimizers"),
    *("mlp-moons", "mlp-batch"),
]
#: Shipped scenes not yet in the committed outputs/ (the lead re-renders the gallery;
#: empty this set then).
PENDING_RENDER: set[str] = set()


def assert_usage_error(code: int, out: str, err: str, *needles: str) -> None:
    assert code == 2, err
    assert out == ""
    assert err.startswith("lossviz: error: ") and err.endswith("\n")
    assert err.count("\n") == 1, f"not one line: {err!r}"
    for needle in needles:
        assert needle in err


def page_commands(page: str) -> list[str]:
    return [html.unescape(c) for c in re.findall(r"<pre><code>(.*?)</code></pre>", page)]


@pytest.fixture(scope="module")
def gallery(tmp_path_factory) -> dict[str, Path]:
    """The tiny gallery, rendered once through ``lossviz gallery``."""
    base = tmp_path_factory.mktemp("gallery")
    scenes = write_scenes(base / "scenes", TINY)
    out = base / "out"
    out.mkdir()
    assert main(["gallery", "-o", str(out), "--scenes", str(scenes), "-q"]) == 0
    return {"scenes": scenes, "out": out}


# --- the rendered gallery ------------------------------------------------------------------


def test_gallery_writes_every_file(gallery):
    expected = {f"{n}{s}" for n in TINY for s in (".gif", ".mp4", ".png", ".html")}
    expected |= {"index.html", "gallery.md", "a-contour-explore.html"}  # b-surface is 3D
    assert {p.name for p in gallery["out"].iterdir()} == expected  # no temp files left
    for name in TINY:
        player = (gallery["out"] / f"{name}.html").read_text(encoding="utf-8")
        assert player.startswith("<!DOCTYPE html>") and "data:video/mp4;base64," in player
        assert (gallery["out"] / f"{name}.gif").read_bytes()[:6] == b"GIF89a"
        assert (gallery["out"] / f"{name}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert (gallery["out"] / f"{name}.mp4").read_bytes()[4:8] == b"ftyp"


def test_gallery_is_quiet(tmp_path, capsys):
    write_scenes(tmp_path / "scenes", {"a-contour": TINY["a-contour"]})
    code, out, err = run_main(
        capsys, "gallery", "-o", str(tmp_path), "--scenes", str(tmp_path / "scenes"), "-q"
    )
    assert (code, out, err) == (0, "", "")


def test_index_html_shows_every_scene_in_order(gallery):
    page = (gallery["out"] / "index.html").read_text(encoding="utf-8")
    scenes = {s.name: s for s in load_gallery(gallery["scenes"])}
    positions = []
    for name in TINY_ORDER:
        scene = scenes[name].scene
        assert f"<h2>{html.escape(scene.title)}</h2>" in page
        assert f"<p>{html.escape(scene.caption)}</p>" in page
        w, h = TINY_SIZES[name]
        assert re.search(rf'<img src="{name}\.gif" width="{w}" height="{h}"', page)
        video = re.search(r"<video [^>]*>", page[page.index(f'<section id="{name}">') :])
        assert video, name
        assert f'src="{name}.mp4"' in video.group(0)
        assert f'poster="{name}.png"' in video.group(0)
        section = page[page.index(f'<section id="{name}">') :].split("</section>")[0]
        assert f'<a class="player" href="{name}.html">' in section
        positions.append(page.index(f'<section id="{name}">'))
    assert positions == sorted(positions)
    assert "<h2>Contour &amp; &lt;loss&gt; panel</h2>" in page  # escaped, not raw
    assert page_commands(page) == [
        "lossviz render -s ravine --steps 6 --view surface --size 191x107 -o b-surface.gif",
        "lossviz render -s bowl -O gd:lr=0.1 -O momentum:lr=0.05 --steps 6 --size 160x90 "
        "--loss-panel -o a-contour.gif",
    ]


def test_gallery_markdown_matches_the_page(gallery):
    md = (gallery["out"] / "gallery.md").read_text(encoding="utf-8")
    page = (gallery["out"] / "index.html").read_text(encoding="utf-8")
    scenes = {s.name: s for s in load_gallery(gallery["scenes"])}
    assert md.startswith("# lossviz gallery\n")
    titles = [html.escape(scenes[n].scene.title, quote=False) for n in TINY_ORDER]
    assert re.findall(r"^## (.*)$", md, flags=re.M) == titles  # text, not HTML
    assert "## Contour &amp; &lt;loss&gt; panel" in md
    assert re.findall(r"^```sh\n(.*)\n```$", md, flags=re.M) == page_commands(page)
    for name in TINY_ORDER:
        scene = scenes[name].scene
        assert f"\n{html.escape(scene.caption, quote=False)}\n" in md
        assert f"![{html.escape(scene.title, quote=False)}]({name}.gif)" in md
        assert f"[MP4]({name}.mp4) · [poster]({name}.png) · [player]({name}.html)" in md


@pytest.mark.parametrize("name", TINY_ORDER)
def test_page_command_reproduces_the_gif(gallery, tmp_path, name):
    page = (gallery["out"] / "index.html").read_text(encoding="utf-8")
    (command,) = [c for c in page_commands(page) if c.endswith(f" {name}.gif")]
    args = shlex.split(command)
    assert args[:2] == ["lossviz", "render"] and args[-2:] == ["-o", f"{name}.gif"]
    for suffix in (".gif", ".png"):
        target = tmp_path / f"{name}{suffix}"
        assert main([*args[1:-1], str(target), "-q"]) == 0
        assert target.read_bytes() == (gallery["out"] / target.name).read_bytes(), suffix


def test_only_renders_just_that_scene(gallery, tmp_path):
    scenes = str(gallery["scenes"])
    assert main(["gallery", "-o", str(tmp_path), "--scenes", scenes, "--only", "b-surface"]) == 0
    names = {p.name for p in tmp_path.iterdir()}
    assert {"b-surface.gif", "b-surface.mp4", "b-surface.png", "b-surface.html"} <= names
    assert {"index.html", "gallery.md"} <= names
    assert not any(n.startswith("a-contour") for n in names)
    assert (tmp_path / "b-surface.gif").read_bytes() == (
        gallery["out"] / "b-surface.gif"
    ).read_bytes()


# --- errors ----------------------------------------------------------------------------------


def test_unknown_only_is_a_usage_error(gallery, tmp_path, capsys):
    code, out, err = run_main(
        capsys, "gallery", "-o", str(tmp_path), "--scenes", str(gallery["scenes"]), "--only", "nope"
    )
    assert_usage_error(code, out, err, "'nope'", "a-contour", "b-surface")
    assert list(tmp_path.iterdir()) == []


def test_output_folder_under_a_file_is_a_usage_error(gallery, tmp_path, capsys):
    (tmp_path / "file").write_text("a file, not a folder")
    missing = tmp_path / "file" / "gallery"
    code, out, err = run_main(
        capsys, "gallery", "-o", str(missing), "--scenes", str(gallery["scenes"])
    )
    assert_usage_error(code, out, err, str(missing), "is not a folder")
    assert [p.name for p in tmp_path.iterdir()] == ["file"]


def test_scene_folder_without_scenes_is_a_usage_error(tmp_path, capsys):
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "notes.txt").write_text("not a scene\n")
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    code, out, err = run_main(capsys, "gallery", "-o", str(out_dir), "--scenes", str(empty))
    assert_usage_error(code, out, err, "no scene files", str(empty))
    code, out, err = run_main(
        capsys, "gallery", "-o", str(out_dir), "--scenes", str(tmp_path / "nope")
    )
    assert_usage_error(code, out, err, "does not exist")
    assert list(out_dir.iterdir()) == []


def test_unknown_scene_key_is_a_usage_error(tmp_path, capsys):
    scenes = write_scenes(tmp_path / "scenes", {"bad": TINY["b-surface"] + 'colour = "red"\n'})
    code, out, err = run_main(capsys, "gallery", "-o", str(tmp_path), "--scenes", str(scenes))
    assert_usage_error(code, out, err, "'colour'", "bad.toml")


def test_non_integer_order_is_a_usage_error(tmp_path, capsys):
    scenes = write_scenes(tmp_path / "scenes", {"bad": 'order = "first"\nsurface = "bowl"\n'})
    code, out, err = run_main(capsys, "gallery", "-o", str(tmp_path), "--scenes", str(scenes))
    assert_usage_error(code, out, err, "order", "bad.toml")


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ('surface = "nope"\n', "unknown surface 'nope'"),
        ('surface = "bowl"\noptimizers = ["gd:label=$x^$"]\n', "not valid mathtext"),
    ],
)
def test_a_scene_that_cannot_render_is_refused_before_any_folder_is_made(
    tmp_path, capsys, text, needle
):
    scenes = write_scenes(tmp_path / "scenes", {"bad": text})
    missing = tmp_path / "new" / "gallery"
    code, out, err = run_main(capsys, "gallery", "-o", str(missing), "--scenes", str(scenes))
    assert_usage_error(code, out, err, needle, "bad.toml")  # no "created folder" line
    assert [p.name for p in tmp_path.iterdir()] == ["scenes"]


# --- load_gallery ------------------------------------------------------------------------


def test_scenes_are_sorted_by_order_then_name(tmp_path):
    folder = write_scenes(
        tmp_path,
        {
            "zeta": "order = 1\n",
            "alpha": "order = 3\n",
            "beta": "order = 1\n",
            "default": 'surface = "bowl"\n',  # no order: after the numbered ones
            "early": "order = -5\n",
        },
    )
    scenes = load_gallery(folder)
    assert [s.name for s in scenes] == ["early", "beta", "zeta", "alpha", "default"]
    assert [s.order for s in scenes] == [-5, 1, 1, 3, 1000]
    assert scenes[0].title == "early"  # no title: the name
    assert scenes[0].path == folder / "early.toml"


def test_load_gallery_errors(tmp_path):
    with pytest.raises(SpecError, match="does not exist"):
        load_gallery(tmp_path / "missing")
    with pytest.raises(SpecError, match="no scene files"):
        load_gallery(tmp_path)


def test_shipped_scenes():
    scenes = load_gallery()
    assert [s.name for s in scenes] == SHIPPED
    assert [s.order for s in scenes] == sorted(s.order for s in scenes)
    for item in scenes:
        assert item.path.parent == DEFAULT_SCENES
        assert item.scene.title and item.scene.title.strip(), item.name
        assert item.scene.caption.strip(), item.name


@pytest.mark.parametrize("item", load_gallery(), ids=lambda s: s.name)
def test_shipped_scene_commands_parse_back_to_the_scene(item):
    """The page's command is the scene, minus the title and caption (no rendering needed)."""
    command = item.command
    args = build_parser().parse_args(shlex.split(command)[1:])
    assert args.output == f"{item.name}.gif"
    expected = dataclasses.replace(item.scene, title=None, caption="", extras={})
    assert scene_from_args(args) == expected


# --- the committed gallery -----------------------------------------------------------------


@pytest.mark.skipif(not OUTPUTS.is_dir(), reason="no outputs/ folder")
def test_committed_gifs_are_small():
    gifs = sorted(OUTPUTS.glob("*.gif"))
    assert gifs
    for gif in gifs:
        assert gif.stat().st_size < 2_000_000, f"{gif.name}: {gif.stat().st_size} bytes"


@pytest.mark.skipif(not (OUTPUTS / "index.html").is_file(), reason="no outputs/index.html")
def test_committed_gallery_is_complete():
    """outputs/ holds every shipped scene, and its page and Markdown list them all."""
    page = (OUTPUTS / "index.html").read_text(encoding="utf-8")
    md = (OUTPUTS / "gallery.md").read_text(encoding="utf-8")
    if "--poster-step" not in page:
        pytest.skip("outputs/ predates frame holds and posters (every command changed): rerender")
    scenes = [s for s in load_gallery() if s.name not in PENDING_RENDER]
    for item in scenes:
        for suffix in (".gif", ".mp4", ".png"):
            assert (OUTPUTS / f"{item.name}{suffix}").is_file(), f"{item.name}{suffix}"
    for player in re.findall(r'<a class="player" href="([^"]+)"', page):  # once re-rendered
        assert (OUTPUTS / player).is_file(), player
    rendered = [name for name in SHIPPED if name not in PENDING_RENDER]
    assert re.findall(r'<section id="([^"]+)">', page) == rendered, "rerun `lossviz gallery`"
    assert re.findall(r"^## (.*)$", md, flags=re.M) == [s.title for s in scenes]
    assert page_commands(page) == [s.command for s in scenes], "rerun `lossviz gallery`"


# --- parallel ------------------------------------------------------------------------------

ORBIT = """\
title = "Orbit"
caption = "The camera turns."
surface = "bowl"
view = "surface"
orbit = true
steps = 3
size = "64x64"
"""


def test_parallel_gallery_is_byte_identical_to_sequential(tmp_path):
    """Scenes render one per process; the files are those of a run in one process.

    An orbiting scene is among them: its frames render in its own process then (a
    pool's workers cannot start pools of their own).
    """
    scenes = write_scenes(tmp_path / "scenes", {**TINY, "c-orbit": ORBIT})
    files = {}
    for jobs in ("1", "3"):
        out = tmp_path / f"jobs{jobs}"
        argv = ["gallery", "-o", str(out), "--scenes", str(scenes), "-j", jobs, "-q"]
        assert main(argv) == 0
        files[jobs] = {p.name: p.read_bytes() for p in sorted(out.iterdir())}
    assert len(files["1"]) == 3 * 4 + 2 + 1  # and a-contour's explore page
    assert files["1"] == files["3"]


def test_index_links_the_explore_page_of_each_2d_scene(gallery):
    page = (gallery["out"] / "index.html").read_text(encoding="utf-8")
    md = (gallery["out"] / "gallery.md").read_text(encoding="utf-8")
    assert re.findall(r'<a class="explore" href="([^"]+)"', page) == ["a-contour-explore.html"]
    assert "[explore](a-contour-explore.html)" in md and "b-surface-explore" not in md
    explore = (gallery["out"] / "a-contour-explore.html").read_text(encoding="utf-8")
    assert "window.lossviz" in explore and "<title>Contour &amp; &lt;loss&gt; panel" in explore
