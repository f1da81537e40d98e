"""Tests for ``lossviz render`` (frontends/cli.py): files, options, errors, interrupts."""

from __future__ import annotations

import tempfile
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
from helpers import RENDER_SUFFIXES, needs_encoder, run_main
from PIL import Image

from surfaces.errors import SpecError
from visualizer.drawing.render import FrameRenderer
from visualizer.frontends.animation import Animation

imageio_ffmpeg = pytest.importorskip("imageio_ffmpeg", reason="encoding needs imageio-ffmpeg")

SMALL = ["-s", "bowl", "--steps", "10", "--size", "160x90"]


def run(capsys, *argv: str) -> tuple[int, str, str]:
    return run_main(capsys, "render", *argv)


def names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def assert_one_line_error(code: int, out: str, err: str) -> str:
    assert code == 2
    assert out == ""
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("lossviz: error: ")
    assert "Traceback" not in err
    return lines[0]


# --- success -------------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", RENDER_SUFFIXES)
def test_render_writes_each_format(capsys, tmp_path, suffix):
    path = tmp_path / f"anim{suffix}"
    code, out, err = run(capsys, *SMALL, "--frames", "4", "-q", "-o", str(path))
    assert code == 0, err
    assert out == "" and err == ""
    assert names(tmp_path) == [path.name]
    assert path.stat().st_size > 100
    if suffix == ".png":
        with Image.open(path) as image:
            assert image.size == (160, 90)
    if suffix == ".gif":
        with Image.open(path) as image:
            assert image.size == (160, 90) and image.n_frames == 4
    if suffix == ".html":
        page = path.read_text(encoding="utf-8")
        assert page.startswith("<!DOCTYPE html>") and "data:video/mp4;base64," in page


def test_render_reports_the_file_unless_quiet(capsys, tmp_path):
    path = tmp_path / "a.png"
    code, out, err = run(capsys, *SMALL, "--frames", "2", "-o", str(path))
    assert code == 0
    assert out == ""
    assert err.splitlines() == [f"wrote {path}"]


def test_render_notes_a_diverged_run(capsys, tmp_path):
    path = tmp_path / "a.png"
    code, _, err = run(capsys, *SMALL, "-O", "gd:lr=5", "-O", "gd:lr=0.2", "-q", "-o", str(path))
    assert code == 0
    assert err.splitlines() == [
        "lossviz: note: gd lr=5 left the picture at step 1, diverged at step 4"
    ]


def test_render_replaces_an_existing_file(capsys, tmp_path):
    path = tmp_path / "a.png"
    path.write_bytes(b"old")
    code, _, _ = run(capsys, *SMALL, "--frames", "2", "-q", "-o", str(path))
    assert code == 0
    assert path.read_bytes().startswith(b"\x89PNG")
    assert names(tmp_path) == ["a.png"]


@needs_encoder("gif")
def test_render_orbit_surface(capsys, tmp_path):
    path = tmp_path / "orbit.gif"
    argv = [*SMALL, "--view", "surface", "--orbit", "--frames", "6", "-q", "-o", str(path)]
    code, _, err = run(capsys, *argv)
    assert code == 0, err
    with Image.open(path) as image:
        assert image.n_frames == 6
        image.seek(0)
        first = np.asarray(image.convert("RGB"))
        image.seek(3)
        middle = np.asarray(image.convert("RGB"))
    assert np.mean(np.any(first != middle, axis=2)) > 0.05  # the camera turned


# --- flags reach the renderer --------------------------------------------------------------


@pytest.fixture
def captured(monkeypatch):
    """Replace Animation.save with one that records the animation and writes nothing."""
    seen: list[Animation] = []

    def fake_save(self, path, *, on_frame=None):
        seen.append(self)
        return Path(path)

    monkeypatch.setattr(Animation, "save", fake_save)
    return seen


def test_flags_become_render_options(capsys, tmp_path, captured):
    argv = [
        *SMALL,
        *("--view", "both", "--frames", "5", "--fps", "30", "--dpi", "40", "--theme", "dark"),
        *("--title", "Hello", "--loss-panel", "--arrows", "--orbit", "-q"),
        *("-o", str(tmp_path / "a.gif")),
    ]
    code, _, err = run(capsys, *argv)
    assert code == 0, err
    (anim,) = captured
    o = anim.options
    assert (o.view, o.frames, o.size, o.dpi, o.theme, o.title) == (
        "both",
        5,
        (160, 90),
        40,
        "dark",
        "Hello",
    )
    assert o.loss_panel and o.arrows and o.orbit
    assert anim.fps == 30
    assert anim.recording.steps == 10


def test_defaults_when_flags_are_absent(capsys, tmp_path, captured):
    code, _, _ = run(capsys, *SMALL, "-q", "-o", str(tmp_path / "a.gif"))
    assert code == 0
    o = captured[0].options
    assert (o.view, o.frames, o.theme, o.dpi, o.title) == ("contour", None, "light", None, None)
    assert not (o.loss_panel or o.arrows or o.orbit)
    assert o.fps is None and captured[0].fps == 60  # a video's rate; a GIF's is 50
    assert captured[0].fps_for(".gif") == 50 and o.motion == "smooth"


@pytest.mark.parametrize(
    ("flags", "kinds"),
    [
        ([], ["ContourView", "LegendPanel"]),
        # (at 160x90 the legend would leave no room: a frame that small drops the loss panel)
        (["--loss-panel", "--size", "320x180"], ["ContourView", "LossPanel", "LegendPanel"]),
        (["--view", "both"], ["ContourView", "SurfaceView", "LegendPanel"]),
        (["--view", "surface", "--arrows"], ["SurfaceView", "LegendPanel"]),
    ],
)
def test_flags_choose_the_layers(capsys, tmp_path, captured, flags, kinds):
    code, _, _ = run(capsys, *SMALL, *flags, "-q", "-o", str(tmp_path / "a.gif"))
    assert code == 0
    anim = captured[0]
    renderer = FrameRenderer(anim.recording, anim.options)
    assert [type(layer).__name__ for layer in renderer.layers] == kinds


# --- errors --------------------------------------------------------------------------------


BAD = {
    "bad suffix": (["-o", "{dir}/a.txt"], "must end with .gif, .mp4, .webm, .png or .html"),
    "folder under a file": (["-o", "/dev/null/sub/a.gif"], "'/dev/null' is not a folder"),
    "tiny size": (["--size", "10x10", "-o", "{dir}/a.gif"], "size 10x10"),
    "huge size": (["--size", "8000x100", "-o", "{dir}/a.gif"], "size 8000x100"),
    "malformed size": (["--size", "abc", "-o", "{dir}/a.gif"], "size 'abc'"),
    "no frames": (["--frames", "0", "-o", "{dir}/a.gif"], "frames"),
    "fps 0": (["--fps", "0", "-o", "{dir}/a.gif"], "fps"),
    "fps 101": (["--fps", "101", "-o", "{dir}/a.gif"], "fps"),
    "view": (["--view", "x", "-o", "{dir}/a.gif"], "view"),
    "theme": (["--theme", "x", "-o", "{dir}/a.gif"], "theme"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_input_is_one_error_line_and_no_file(capsys, tmp_path, case):
    flags, needle = BAD[case]
    argv = ["-s", "bowl", "--steps", "10", *(f.format(dir=tmp_path) for f in flags)]
    line = assert_one_line_error(*run(capsys, *argv))
    assert needle in line
    assert names(tmp_path) == []


@pytest.mark.parametrize("case", ["fps 0", "view", "tiny size"])
def test_bad_input_leaves_an_existing_file_alone(capsys, tmp_path, case):
    flags, _ = BAD[case]
    target = tmp_path / "a.gif"
    target.write_bytes(b"precious")
    argv = ["-s", "bowl", "--steps", "10", *(f.format(dir=tmp_path) for f in flags)]
    assert_one_line_error(*run(capsys, *argv))
    assert target.read_bytes() == b"precious"
    assert names(tmp_path) == ["a.gif"]


@pytest.mark.parametrize(
    "flags",
    [
        ["--title", r"$\badcommand{$"],
        ["--title", "$x^$"],
        ["-O", "gd:lr=0.2,label=$x^$"],
    ],
)
def test_text_that_is_not_valid_mathtext_is_not_a_traceback(capsys, tmp_path, flags):
    # matplotlib parses $...$ as mathtext; a bad formula in a title or a label must be a
    # usage error (or be drawn as plain text), never an uncaught ValueError
    path = tmp_path / "a.png"
    code, out, err = run(capsys, *SMALL, "--frames", "2", *flags, "-q", "-o", str(path))
    if code == 0:
        assert path.exists()
    else:
        assert_one_line_error(code, out, err)
        assert names(tmp_path) == []


# --- interrupts ----------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", RENDER_SUFFIXES)
def test_interrupt_mid_render_leaves_no_partial_file(capsys, tmp_path, monkeypatch, suffix):
    real_frames = FrameRenderer.frames
    produced: list[int] = []

    def interrupted(self):
        for i, frame in enumerate(real_frames(self)):
            if i == 2:
                raise KeyboardInterrupt
            produced.append(i)
            yield frame

    monkeypatch.setattr(FrameRenderer, "frames", interrupted)
    scratch = tmp_path / "tmp"  # the system temporary folder, for the GIF palette
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    target = out_dir / f"anim{suffix}"
    target.write_bytes(b"keep me")
    code, out, err = run(capsys, *SMALL, "-q", "-o", str(target))
    assert code == 130
    assert produced == [0, 1]
    assert out == ""
    assert err.splitlines() == ["lossviz: interrupted"]
    assert target.read_bytes() == b"keep me"
    assert names(out_dir) == [target.name]
    assert names(scratch) == []


def test_interrupt_without_an_existing_file_leaves_nothing(capsys, tmp_path, monkeypatch):
    def interrupted(self):
        yield np.zeros((90, 160, 4), np.uint8)
        raise KeyboardInterrupt

    monkeypatch.setattr(FrameRenderer, "frames", interrupted)
    code, _, _ = run(capsys, *SMALL, "-q", "-o", str(tmp_path / "a.png"))
    assert code == 130
    assert names(tmp_path) == []


# --- friction (issue 20) -------------------------------------------------------------------


def test_render_without_output_writes_the_scene_gif_here_and_says_where(
    capsys, tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    code, _, err = run(capsys, "-s", "bowl", "--steps", "2", "--size", "64x64", "--motion", "steps")
    assert code == 0 and [p.name for p in tmp_path.iterdir()] == ["bowl.gif"]
    assert f"wrote bowl.gif ({tmp_path.resolve()}; no -o given)" in err


def test_view_3d_is_the_surface_view_and_orbit_implies_it():
    from visualizer.scene.scene import scene_from_mapping

    assert scene_from_mapping({"view": "3d"}).view == "surface"
    assert scene_from_mapping({"orbit": True}).render_options().view == "surface"
    assert scene_from_mapping({"orbit": True, "view": "both"}).view == "both"
    with pytest.raises(SpecError, match="did you mean 'surface'"):
        scene_from_mapping({"view": "surfce"})
