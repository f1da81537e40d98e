"""Tests for :mod:`visualizer.scene.options`: each kind exposes what a control needs.

A front end builds a menu, a slider or a check box from an option's kind alone
(:attr:`Kind.choices`, :attr:`Kind.low`, :attr:`Kind.high`, :attr:`Kind.log`,
:attr:`Kind.widget`). These tests hold every option of the table to that: what the
kind exposes is exactly what its check accepts.
"""

from __future__ import annotations

import pytest

from surfaces.errors import SpecError
from visualizer.scene.options import FLAG, Kind, RenderOptions, choice, integer, options
from visualizer.scene.scene import Scene

ALL = options(Scene)  # the record and the render options


def _tuple_length(kind: Kind) -> int:
    return kind.type_doc.count(",") + 1


def test_every_option_of_a_scene_has_a_widget():
    widgets = {opt.name: opt.kind.widget for opt in ALL}
    assert widgets["view"] == widgets["theme"] == "menu"
    assert widgets["fps"] == widgets["steps"] == widgets["slow_steps_per_second"] == "slider"
    assert widgets["steps_per_second"] == "slider" and widgets["motion"] == "menu"
    assert widgets["loss_panel"] == widgets["orbit"] == widgets["tune"] == "checkbox"
    assert widgets["size"] == widgets["start"] == widgets["window"] == "numbers"
    assert widgets["title"] == widgets["surface"] == "text"


@pytest.mark.parametrize("opt", [o for o in ALL if o.kind.choices], ids=lambda o: o.name)
def test_a_menu_offers_exactly_what_the_check_accepts(opt):
    assert opt.default in opt.kind.choices
    for value in opt.kind.choices:
        assert opt.parse(value) == value
    with pytest.raises(SpecError, match="must be one of"):
        opt.parse("".join(opt.kind.choices))  # no choice is all of them run together


@pytest.mark.parametrize("opt", [o for o in ALL if o.kind.widget == "slider"], ids=lambda o: o.name)
def test_a_slider_spans_exactly_what_the_check_accepts(opt):
    low, high = opt.kind.low, opt.kind.high  # whole numbers, or floats (steps per second)
    assert low < high
    assert opt.parse(low) == low and opt.parse(high) == high
    assert opt.parse(str(high), text=True) == high
    for outside in (low - 1, high + 1):
        with pytest.raises(SpecError):
            opt.parse(outside)
    if opt.kind.log:
        assert low > 0  # a logarithmic slider cannot start at 0
    if opt.default is not None:
        assert low <= opt.default <= high


@pytest.mark.parametrize(
    "opt", [o for o in ALL if o.kind.widget == "numbers"], ids=lambda o: o.name
)
def test_numbers_within_the_bounds_are_accepted_and_beyond_them_refused(opt):
    n = _tuple_length(opt.kind)
    low, high = opt.kind.low, opt.kind.high
    inside = [low, high] * (n // 2)  # x from low to high (and y too, for a window)
    assert list(opt.parse(inside)) == inside
    below = [low - 1, *inside[1:]] if low else [-1, *inside[1:]]
    above = [*inside[:-1], high + 1 if high < 1e6 else high * 1.01]
    for values in (below, above):
        with pytest.raises(SpecError):
            opt.parse([type(low)(v) if isinstance(low, int) else v for v in values])


def test_log_hints_go_to_ranges_that_span_orders_of_magnitude():
    logs = {opt.name for opt in ALL if opt.kind.log}
    assert {"steps", "frames", "dpi", "size"} <= logs
    assert "fps" not in logs and "steps_per_second" in logs
    for opt in ALL:
        if opt.kind.log and opt.kind.low is not None:
            assert opt.kind.high / opt.kind.low >= 10, opt.name


def test_kinds_made_by_hand():
    kind = integer(2, 9, log=True)
    assert (kind.low, kind.high, kind.log, kind.widget) == (2, 9, True, "slider")
    assert choice(["a", "b"]).choices == ("a", "b")
    assert FLAG.choices is None and FLAG.low is None and FLAG.widget == "checkbox"
    with pytest.raises(ValueError, match="above 0"):
        integer(0, 10, log=True)


def test_render_options_alone_are_a_table_too():
    names = [o.name for o in options(RenderOptions)]
    assert names[:4] == ["view", "frames", "fps", "motion"]
    assert all(o.kind.widget in ("menu", "checkbox", "slider", "numbers", "text") for o in ALL)
