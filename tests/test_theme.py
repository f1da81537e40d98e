"""Tests for visualizer/theme.py: one colour and marker per optimizer, told apart by everyone."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from matplotlib.colors import to_rgb

from visualizer.drawing.theme import MARKERS, THEMES
from visualizer.frontends.gallery import load_gallery

# Machado, Oliveira & Fernandes (2009), severity 1.0, applied to linear sRGB
PROTANOPIA = np.array(
    [
        [0.152286, 1.052583, -0.204868],
        [0.114503, 0.786281, 0.099216],
        [-0.003882, -0.048116, 1.051998],
    ]
)
DEUTERANOPIA = np.array(
    [
        [0.367322, 0.860646, -0.227968],
        [0.280085, 0.672501, 0.047413],
        [-0.011820, 0.042940, 0.968881],
    ]
)
#: Least CIELAB ΔE76 between two runs' colours, for every kind of vision simulated.
LEAST_DISTANCE = 25.0
NAMES = ["gd", "sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam"]


def linear(color: str) -> np.ndarray:
    c = np.array(to_rgb(color))
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def lab(rgb: np.ndarray) -> np.ndarray:
    M = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]])
    xyz = M @ np.clip(rgb, 0, 1) / np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > 0.008856, np.cbrt(xyz), 7.787 * xyz + 16 / 116)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def distance(a: str, b: str, vision: np.ndarray | None) -> float:
    A, B = linear(a), linear(b)
    if vision is not None:
        A, B = vision @ A, vision @ B
    return float(np.linalg.norm(lab(A) - lab(B)))


def test_simulation_is_sane():
    # red and green collapse under both deficiencies, blue and orange do not
    assert distance("#ff0000", "#00b000", DEUTERANOPIA) < 0.5 * distance("#ff0000", "#00b000", None)
    assert distance("#0072b2", "#e69f00", PROTANOPIA) > 50


@pytest.mark.parametrize("theme", ["light", "dark"])
@pytest.mark.parametrize("vision", [None, DEUTERANOPIA, PROTANOPIA], ids=["normal", "deut", "prot"])
def test_every_optimizer_pair_is_distinguishable(theme, vision):
    colors = [s.color for s in THEMES[theme].styles(NAMES)]
    worst = min(distance(a, b, vision) for a, b in itertools.combinations(colors, 2))
    assert worst >= LEAST_DISTANCE, worst


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_gallery_runs_are_distinguishable_under_colour_vision_deficiency(theme):
    for g in load_gallery():
        surface = g.scene.build_surface()
        names = [s.name for s in g.scene.optimizer_specs(surface)]
        styles = THEMES[theme].styles(names)
        for (a, sa), (b, sb) in itertools.combinations(zip(names, styles, strict=True), 2):
            for vision in (None, DEUTERANOPIA, PROTANOPIA):
                d = distance(sa.color, sb.color, vision)
                assert d >= 15.0 or sa.marker != sb.marker, (g.name, a, b, d)
                assert d >= 15.0, (g.name, a, b, d)


def test_colour_and_marker_follow_the_name_not_the_order():
    a = THEMES["light"].styles(["momentum", "gd", "adam"])
    b = THEMES["light"].styles(["adam", "gd", "momentum"])
    assert a[0] == b[2] and a[1] == b[1] and a[2] == b[0]
    assert {s.marker for s in THEMES["light"].styles(NAMES)} == set(MARKERS.values())


def test_repeated_optimizer_gets_shades_of_its_colour():
    base, darker, lighter = THEMES["light"].styles(["gd", "gd", "gd"])
    assert len({base.color, darker.color, lighter.color}) == 3
    assert base.marker == darker.marker == lighter.marker
    luminance = [sum(to_rgb(s.color)) for s in (base, darker, lighter)]
    assert luminance[1] < luminance[0] < luminance[2]
    # shades of one colour are told apart too, for every kind of vision
    for vision in (None, DEUTERANOPIA, PROTANOPIA):
        assert distance(base.color, darker.color, vision) >= 15
        assert distance(base.color, lighter.color, vision) >= 15


def test_unknown_names_take_spare_colours():
    styles = THEMES["dark"].styles(["lion", "gd", "lion"])
    assert styles[0].color == THEMES["dark"].spare_colors[0]
    assert styles[2].color != styles[0].color
