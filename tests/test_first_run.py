"""The first ten minutes (issue 10): what a new user types, and what lossviz says back."""

from __future__ import annotations

import dataclasses
import importlib.metadata
import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import TINY, run_main, write_scenes

from visualizer.frontends.animation import Animation
from visualizer.frontends.cli import (
    EXAMPLES,
    build_parser,
    join_negative_values,
    main,
    scene_from_args,
)
from visualizer.frontends.gallery import GALLERY_SUFFIXES, load_gallery

# --- usage, version, help ---------------------------------------------------------------------


def test_bare_lossviz_prints_usage_and_the_commands(capsys):
    code, out, err = run_main(capsys)
    assert code == 2 and out == ""
    assert err.startswith("usage: lossviz")
    for command in ("list", "render", "gallery", "trace"):
        assert re.search(rf"^\s+{command}\s+\S", err, flags=re.M), command


@pytest.mark.parametrize("flag", ["--version", "-V"])
def test_version_is_the_package_metadata(capsys, flag):
    code, out, err = run_main(capsys, flag)
    assert (code, err) == (0, "")
    assert out == f"lossviz {importlib.metadata.version('lossviz')}\n"


@pytest.mark.parametrize("command", list(EXAMPLES))
def test_help_ends_with_three_examples_that_parse(capsys, command):
    code, out, _ = run_main(capsys, command, "--help")
    assert code == 0
    tail = out.rstrip("\n").splitlines()[-4:]
    assert tail[0] == "examples:"
    assert [line.strip() for line in tail[1:]] == EXAMPLES[command]
    parser = build_parser()
    for example in EXAMPLES[command]:
        words = shlex.split(example.split(" | ")[0].split(" > ")[0])
        assert words[:2] == ["lossviz", command]
        parser.parse_args(join_negative_values(words[1:], parser))  # a usage error raises


# --- did you mean -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "suggestion"),
    [
        (["trace", "-s", "ravene"], "'ravine'"),
        (["trace", "-s", "Ravine"], "'ravine'"),
        (["trace", "-s", "ravine:kapa=50"], "'kappa'"),
        (["trace", "-O", "momentom"], "'momentum'"),
        (["trace", "-O", "ADAM"], "'adam'"),
        (["render", "--view", "Surface", "-o", "a.gif"], "'surface'"),
        (["render", "--theme", "drak", "-o", "a.gif"], "'dark'"),
        (["render", "--scene", "ravine3d", "-o", "a.gif"], "'ravine-3d'"),
        (["rendr"], "'render'"),
        (["render", "--lospanel", "-o", "a.gif"], "'--loss-panel'"),
        (["trace", "-s", "sine(x) + y**2"], "'sin'"),
    ],
)
def test_unknown_names_get_a_suggestion(capsys, tmp_path, monkeypatch, argv, suggestion):
    monkeypatch.chdir(tmp_path)
    code, out, err = run_main(capsys, *argv)
    assert code == 2 and out == ""
    assert len(err.splitlines()) == 1
    assert f"(did you mean {suggestion}?)" in err
    assert list(tmp_path.iterdir()) == []


def test_a_flag_of_another_command_says_whose_it_is(capsys):
    code, out, err = run_main(capsys, "trace", "--loss-panel")
    assert (code, out) == (2, "")
    assert err == (
        "lossviz: error: unrecognized arguments: --loss-panel"
        " (--loss-panel is an option of render)\n"
    )
    code, out, err = run_main(capsys, "trace", "--title", "-x")
    assert err.endswith("(--title is an option of render and explore)\n")


def test_unknown_scene_key_gets_a_suggestion(capsys, tmp_path):
    config = tmp_path / "scene.toml"
    config.write_text("loss_pannel = true\n")
    code, _, err = run_main(capsys, "trace", "--config", str(config))
    assert code == 2 and "(did you mean 'loss_panel'?)" in err


# --- values that look like flags ----------------------------------------------------------------


def test_negative_start_needs_no_equals_sign(capsys):
    code, out, err = run_main(capsys, "trace", "-s", "bowl", "-O", "gd", "--start", "-3,1")
    assert (code, err) == (0, "")
    assert out.splitlines()[1].startswith("gd,0,-3.0,1.0,5.0,")


def test_expression_starting_with_a_minus(capsys):
    code, out, _ = run_main(capsys, "trace", "-s", "-x**2 + 2*y**2", "-O", "gd", "--steps", "1")
    assert code == 0 and out.startswith("optimizer,step")


def test_a_flag_after_a_flag_is_still_a_missing_value(capsys):
    code, _, err = run_main(capsys, "trace", "--steps", "-O", "gd")
    assert code == 2 and "expected one argument" in err


# --- output folders -------------------------------------------------------------------------------


def test_trace_creates_missing_folders_and_says_what_it_wrote(capsys, tmp_path):
    target = tmp_path / "new" / "deeper" / "runs.csv"
    code, out, err = run_main(capsys, "trace", "-s", "bowl", "--steps", "2", "-o", str(target))
    assert code == 0 and out == ""
    assert target.is_file()
    assert err.splitlines() == [
        f"created folder {target.parent}/",
        f"wrote {target} (9 rows, 3 runs)",
    ]


def test_bad_input_creates_no_folder(capsys, tmp_path):
    target = tmp_path / "new" / "a.png"
    code, _, _ = run_main(capsys, "render", "-s", "volcano", "-o", str(target))
    assert code == 2
    assert list(tmp_path.iterdir()) == []


def test_render_creates_missing_folders(capsys, tmp_path):
    target = tmp_path / "new" / "a.png"
    argv = ["render", "-s", "bowl", "--steps", "2", "--size", "64x64", "-o", str(target)]
    code, _, err = run_main(capsys, *argv)
    assert code == 0 and target.is_file()
    assert f"created folder {target.parent}/" in err


def test_gallery_only_into_a_fresh_folder_links_only_what_it_rendered(tmp_path):
    scenes = write_scenes(tmp_path / "scenes", TINY)
    fresh = tmp_path / "fresh" / "media"
    argv = ["gallery", "-o", str(fresh), "--scenes", str(scenes), "--only", "b-surface", "-q"]
    assert main(argv) == 0
    page = (fresh / "index.html").read_text(encoding="utf-8")
    md = (fresh / "gallery.md").read_text(encoding="utf-8")
    assert re.findall(r'<section id="([^"]+)">', page) == ["b-surface"]
    assert "a-contour" not in page and "a-contour" not in md
    for link in re.findall(r'(?:src|poster)="([^"]+)"', page):
        assert (fresh / link).is_file(), link


def test_gallery_only_keeps_scenes_already_in_the_folder(tmp_path):
    scenes = write_scenes(tmp_path / "scenes", TINY)
    out = tmp_path / "out"
    out.mkdir()
    for suffix in GALLERY_SUFFIXES:
        (out / f"a-contour{suffix}").write_bytes(b"rendered earlier")
    argv = ["gallery", "-o", str(out), "--scenes", str(scenes), "--only", "b-surface", "-q"]
    assert main(argv) == 0
    page = (out / "index.html").read_text(encoding="utf-8")
    assert re.findall(r'<section id="([^"]+)">', page) == ["b-surface", "a-contour"]


# --- gallery scenes by name, list -----------------------------------------------------------------


@pytest.mark.parametrize("item", load_gallery(), ids=lambda s: s.name)
def test_render_scene_is_the_gallery_pages_command(item):
    parser = build_parser()
    by_name = scene_from_args(parser.parse_args(["render", "--scene", item.name, "-o", "a.gif"]))
    by_command = scene_from_args(parser.parse_args(shlex.split(item.command)[1:]))
    assert dataclasses.replace(by_name, caption="", extras={}) == by_command


def test_scene_flags_override_the_gallery_scene():
    args = build_parser().parse_args(["render", "--scene", "ravine", "--theme", "dark", "-o", "a"])
    scene = scene_from_args(args)
    ravine = next(s for s in load_gallery() if s.name == "ravine")
    assert scene.theme == "dark" and scene.surface == ravine.scene.surface


def test_list_shows_scenes_and_plain_formulas(capsys):
    code, out, _ = run_main(capsys, "list")
    assert code == 0
    formulas = [line.split("formula", 1)[1] for line in out.splitlines() if " formula " in line]
    assert formulas and not any("$" in f or "\\" in f for f in formulas), formulas
    commands = re.compile(r"\b(tilde|frac|sqrt|mathrm|operatorname|left|right)\b")
    assert not any(commands.search(f) for f in formulas), formulas  # no LaTeX, even unslashed
    assert "f(x,y) = ½(x² + 100y²)" in out
    assert "log(1 + e^(-\u1ef9ᵢ (w xᵢ + b)))" in out  # ỹ, one character
    for item in load_gallery():
        assert re.search(rf"^  {re.escape(item.name)}\s+{re.escape(item.title)}$", out, re.M)
    code, out, _ = run_main(capsys, "list", "--json")
    scenes = json.loads(out)["scenes"]
    assert [s["name"] for s in scenes] == [s.name for s in load_gallery()]


# --- the orbit note, scene-file types -----------------------------------------------------------


@pytest.fixture
def no_rendering(monkeypatch):
    monkeypatch.setattr(Animation, "save", lambda self, path, *, on_frame=None: Path(path))


@pytest.mark.parametrize(
    ("flags", "note"),
    [
        (["--view", "surface", "-o", "a.gif"], "MP4 is the format for it (-o a.mp4)"),
        (["--view", "surface", "-o", "a.mp4"], None),
        (["-o", "a.gif"], "it does nothing with --view contour"),
    ],
)
def test_orbit_says_what_to_expect(capsys, no_rendering, flags, note):
    code, _, err = run_main(capsys, "render", "-s", "bowl", "--steps", "2", "--orbit", *flags)
    assert code == 0
    notes = [line for line in err.splitlines() if line.startswith("lossviz: note:")]
    assert notes == ([] if note is None else [notes[0]])
    assert note is None or note in notes[0]


@pytest.mark.parametrize(
    "line", ['steps = "50"', "steps = 50.0", 'fps = "20"', 'seed = "1"', "frames = true"]
)
def test_scene_file_type_errors_are_errors(capsys, tmp_path, line):
    config = tmp_path / "scene.toml"
    config.write_text(line + "\n")
    code, out, err = run_main(capsys, "trace", "--config", str(config))
    assert code == 2 and out == ""
    assert "must be an integer" in err


# --- start-up: nothing heavy before the input is checked -----------------------------------------

HEAVY = ("matplotlib", "PIL", "imageio", "imageio_ffmpeg", "tqdm")


def test_list_and_input_errors_import_no_plotting_or_encoding(tmp_path):
    """``lossviz list`` and bad input never load matplotlib, Pillow or an encoder.

    One subprocess runs them all (a clean ``sys.modules``); each error must be a
    usage error (exit 2), so it was the input check that stopped it.
    """
    bad_scene = tmp_path / "bad.toml"
    bad_scene.write_text('steps = "50"\n')
    bad_gallery = tmp_path / "scenes"
    bad_gallery.mkdir()
    (bad_gallery / "nope.toml").write_text('surface = "nope"\n')
    runs = [
        (["list"], 0),
        (["list", "--json"], 0),
        (["render", "-s", "ravene", "-o", str(tmp_path / "a.gif")], 2),
        (["render", "-o", str(tmp_path / "a.avi")], 2),
        (["render", "--start", "1", "-o", str(tmp_path / "a.gif")], 2),
        (["render", "-O", "gd:lr=-1", "-o", str(tmp_path / "new" / "a.mp4")], 2),
        (["render", "--scene", "ravine3d", "-o", str(tmp_path / "a.gif")], 2),
        (["render", "--config", str(bad_scene), "-o", str(tmp_path / "a.gif")], 2),
        (["trace", "-s", "x**", "-o", str(tmp_path / "a.csv")], 2),
        (["gallery", "--only", "ravene", "-o", str(tmp_path / "g")], 2),
        (["gallery", "--scenes", str(bad_gallery), "-o", str(tmp_path / "g")], 2),
        (["trace", "-s", "mlp", "--steps", "100000"], 2),
        (["trace", "-s", "log(x*0)"], 2),
        (["--version"], 0),
        ([], 2),
    ]
    code = (
        "import contextlib, io, json, sys\n"
        "from visualizer.frontends.cli import main\n"
        f"runs = {runs!r}\n"
        "codes = []\n"
        "for argv, _ in runs:\n"
        "    with contextlib.redirect_stdout(io.StringIO()), "
        "contextlib.redirect_stderr(io.StringIO()):\n"
        "        codes.append(main(argv))\n"
        f"heavy = sorted(m for m in {HEAVY!r} if m in sys.modules)\n"
        "print(json.dumps({'codes': codes, 'heavy': heavy}))\n"
    )
    env = {**os.environ, "MPLBACKEND": "Agg"}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    result = json.loads(done.stdout)
    assert result["codes"] == [expected for _, expected in runs], done.stderr
    assert result["heavy"] == [], "imported before the input was checked"
    assert sorted(tmp_path.iterdir()) == [bad_scene, bad_gallery]


def test_the_readme_shows_each_gallery_image_with_the_command_that_made_it():
    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    scenes = {item.name: item for item in load_gallery()}
    shown = re.findall(r"\]\(outputs/([\w-]+)\.gif\)\n\n```sh\n([^\n]+)\n```", readme)
    assert shown, "no gallery image with its command"
    for name, command in shown:
        made_it = (f"lossviz render --scene {name} -o {name}.gif", scenes[name].command)
        assert command in made_it, (name, command)


def test_the_readme_says_how_long_the_last_frame_is_held():
    from visualizer.scene.options import RenderOptions

    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    assert RenderOptions().hold_last_ms == 3000
    assert "hold the last frame for three seconds" in readme
    assert "(`--hold-last-ms`, default 3000)" in readme
