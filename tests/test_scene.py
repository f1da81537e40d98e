"""Tests for visualizer/scene.py: TOML scene files, value checks and errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from surfaces import SpecError
from visualizer.scene.options import parse_pair, parse_size, parse_window
from visualizer.scene.scene import (
    SCENE_KEYS,
    Scene,
    coerce,
    load_scene_file,
    scene_from_mapping,
)

FULL = """\
surface = "ravine:kappa=50"
optimizers = ["gd", "sgd:noise=2", "momentum:lr=0.004,beta=0.9"]
start = [-4.0, 1.5]
steps = 120
seed = 3
window = [-5, 5, -2, 2]
tune = true
pace = "evaluations"
view = "both"
frames = 60
fps = 25
size = "1920x1080"
dpi = 120
theme = "dark"
loss_panel = true
arrows = true
orbit = false
field = true
labels = true
title = "Ravine"
headline = "Momentum glides"
hold_first_ms = 1000
hold_last_ms = 2500
slow = [2, 9]
slowdown = 3
poster_step = 40
caption = "GD zig-zags; momentum rolls"
"""


def write(tmp_path: Path, text: str, name: str = "scene.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def load_error(tmp_path: Path, text: str) -> str:
    with pytest.raises(SpecError) as info:
        load_scene_file(write(tmp_path, text))
    message = str(info.value)
    assert message and "\n" not in message
    return message


# --- round trip -------------------------------------------------------------------------


def test_full_scene_file_round_trip(tmp_path):
    scene = load_scene_file(write(tmp_path, FULL))
    assert scene == Scene(
        surface="ravine:kappa=50",
        optimizers=("gd", "sgd:noise=2", "momentum:lr=0.004,beta=0.9"),
        start=(-4.0, 1.5),
        steps=120,
        seed=3,
        window=(-5.0, 5.0, -2.0, 2.0),
        tune=True,
        pace="evaluations",
        view="both",
        frames=60,
        fps=25,
        size=(1920, 1080),
        dpi=120,
        theme="dark",
        loss_panel=True,
        arrows=True,
        orbit=False,
        field=True,
        labels=True,
        title="Ravine",
        headline="Momentum glides",
        hold_first_ms=1000,
        hold_last_ms=2500,
        slow=(2, 9),
        slowdown=3,
        poster_step=40,
        caption="GD zig-zags; momentum rolls",
    )
    assert set(SCENE_KEYS) == {line.split(" = ")[0] for line in FULL.splitlines()}


def test_scene_written_back_as_toml_loads_identically(tmp_path):
    scene = load_scene_file(write(tmp_path, FULL))
    lines = []
    for key in SCENE_KEYS:
        value = getattr(scene, key)
        if isinstance(value, bool):
            lines.append(f"{key} = {str(value).lower()}")
        elif isinstance(value, str):
            lines.append(f'{key} = "{value}"')
        elif isinstance(value, tuple):
            items = ", ".join(f'"{v}"' if isinstance(v, str) else repr(v) for v in value)
            lines.append(f"{key} = [{items}]")
        elif value is not None:
            lines.append(f"{key} = {value!r}")
    again = load_scene_file(write(tmp_path, "\n".join(lines) + "\n", "again.toml"))
    assert again == scene


def test_empty_file_gives_the_default_scene(tmp_path):
    assert load_scene_file(write(tmp_path, "")) == Scene()


def test_partial_file_keeps_defaults(tmp_path):
    scene = load_scene_file(write(tmp_path, 'surface = "bowl"\nsteps = 10\n'))
    assert scene == Scene(surface="bowl", steps=10)
    assert scene.start is None and scene.fps == 20 and scene.size == (1280, 720)


def test_alternative_value_forms(tmp_path):
    scene = load_scene_file(
        write(
            tmp_path,
            'optimizers = "adam"\nstart = "1, 2"\nwindow = "-1,1,-2,2"\nsize = [640, 360]\n',
        )
    )
    assert scene.optimizers == ("adam",)
    assert scene.start == (1.0, 2.0)
    assert scene.window == (-1.0, 1.0, -2.0, 2.0)
    assert scene.size == (640, 360)


def test_extra_keys_allowed_by_the_caller_are_kept(tmp_path):
    path = write(tmp_path, 'surface = "bowl"\noutput = "bowl.gif"\n')
    scene = load_scene_file(path, allowed_extra=["output"])
    assert scene.extras == {"output": "bowl.gif"}
    with pytest.raises(SpecError, match="'output'"):
        load_scene_file(path)


def test_mapping_overrides_a_base_scene():
    base = Scene(surface="bowl", steps=10, fps=30)
    scene = scene_from_mapping({"steps": 5}, base=base)
    assert scene == Scene(surface="bowl", steps=5, fps=30)


def test_build_surface_applies_the_window_override():
    scene = Scene(surface="bowl", window=(-1.0, 1.0, -2.0, 2.0))
    assert scene.build_surface().window == (-1.0, 1.0, -2.0, 2.0)
    assert Scene(surface="bowl").build_surface().window != (-1.0, 1.0, -2.0, 2.0)


# --- errors ---------------------------------------------------------------------------------


def test_unknown_key_is_named(tmp_path):
    message = load_error(tmp_path, 'surface = "bowl"\nspeed = 3\n')
    assert "'speed'" in message
    assert "scene.toml" in message
    assert "surface" in message  # lists the valid keys


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ('size = "10x10"', ["size", "10x10"]),
        ('size = "1280by720"', ["size"]),
        ("size = [1280]", ["size"]),
        ("size = [1280.5, 720]", ["size"]),
        ("fps = 0", ["fps", "0"]),
        ("fps = 101", ["fps", "101"]),
        ("fps = 2.5", ["fps"]),
        ("fps = true", ["fps"]),
        ('view = "x"', ["view", "'x'", "contour"]),
        ('theme = "blue"', ["theme", "light", "dark"]),
        ('start = "a,b"', ["start", "'a,b'"]),
        ("start = [1, 2, 3]", ["start"]),
        ("start = [true, 1]", ["start"]),
        ('start = ["1", 2]', ["start", "two numbers"]),
        ('window = [-1, 1, -1, "1"]', ["window", "four numbers"]),
        ('slow = ["0", 5]', ["slow", "two steps"]),
        ("window = [1, 0, 0, 1]", ["window", "XMIN < XMAX"]),
        ("window = [0, 1, 1, 1]", ["window", "YMIN < YMAX"]),
        ("window = [0, 1, 0]", ["window"]),
        ("steps = 0", ["steps"]),
        ('steps = "abc"', ["steps", "abc"]),
        ("seed = -1", ["seed"]),
        ("surface = 3", ["surface"]),
        ('surface = "  "', ["surface"]),
        ("optimizers = [1, 2]", ["optimizers"]),
        ('loss_panel = "yes"', ["loss_panel"]),
        ("title = 3", ["title"]),
        ("dpi = 10", ["dpi"]),
    ],
)
def test_bad_values_are_one_line_errors(tmp_path, text, words):
    message = load_error(tmp_path, text + "\n")
    assert message.startswith("config ")
    for word in words:
        assert word in message, message


def test_invalid_toml(tmp_path):
    message = load_error(tmp_path, 'surface = "bowl\nsteps = = 3\n')
    assert message.startswith("invalid config")
    assert "scene.toml" in message


def test_non_utf8_file(tmp_path):
    path = tmp_path / "latin1.toml"
    path.write_bytes('title = "caf\xe9"\n'.encode("latin-1"))
    with pytest.raises(SpecError, match="invalid config"):
        load_scene_file(path)


def test_missing_file(tmp_path):
    with pytest.raises(SpecError) as info:
        load_scene_file(tmp_path / "nope.toml")
    message = str(info.value)
    assert message.startswith("cannot read config") and "nope.toml" in message
    assert "\n" not in message


def test_folder_instead_of_file(tmp_path):
    with pytest.raises(SpecError, match="cannot read config"):
        load_scene_file(tmp_path)


# --- value parsers -------------------------------------------------------------------------


def test_parsers():
    assert parse_pair("1, -2.5", what="start") == (1.0, -2.5)
    assert parse_pair([1, 2], what="start") == (1.0, 2.0)
    assert parse_window("-1,1,-2,2") == (-1.0, 1.0, -2.0, 2.0)
    assert parse_size("640x360") == (640, 360)
    assert parse_size("640X360") == (640, 360)
    for bad in ("1", "1,2,3", "inf,1", "nan,1", ""):
        with pytest.raises(SpecError, match="start"):
            parse_pair(bad, what="start")
    for bad in ("0,1,0", "0,0,0,1", "a,1,0,1"):
        with pytest.raises(SpecError, match="window"):
            parse_window(bad)
    for bad in ("63x100", "100x7681", "x100", "100x"):
        with pytest.raises(SpecError, match="size"):
            parse_size(bad)


def test_coerce_unknown_key():
    with pytest.raises(SpecError, match="'bogus'"):
        coerce("bogus", 1)
