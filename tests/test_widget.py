"""``animate(...).explore()``: the explore page as an anywidget widget, state back in Python.

The widget's script is run in Chromium with a stand-in for the notebook's model in
``test_explore_browser.py``; here, the Python side.
"""

from __future__ import annotations

import pytest

pytest.importorskip("anywidget", reason="pip install 'lossviz[widget]'")

from surfaces.errors import SpecError
from visualizer.frontends.animation import animate
from visualizer.frontends.widget import ExploreWidget


def test_explore_returns_a_widget_of_the_page() -> None:
    w = animate("bowl", ["gd:lr=0.1", "momentum:lr=0.05"], steps=6).explore()
    assert isinstance(w, ExploreWidget)
    assert "window.lossviz" in w.page and "lossviz-state" in w.page
    assert w.state == {} and w.scene().steps == 6  # the scene's own until the page reports


def test_the_state_the_page_reports_is_the_scene_to_render() -> None:
    w = animate("bowl", ["gd:lr=0.1", "momentum:lr=0.05"], steps=6, theme="dark").explore()
    w.state = {  # what the page posts after a change
        "surface": "bowl",
        "start": [1.5, -2.0],
        "steps": 9,
        "step": 9,
        "optimizers": [
            {"name": "gd", "spec": "gd:lr=0.2", "on": True},
            {"name": "momentum", "spec": "momentum:lr=0.05,beta=0.8", "on": False},
        ],
    }
    scene = w.scene()
    assert scene.optimizers == ("gd:lr=0.2",) and scene.start == (1.5, -2.0)
    assert scene.steps == 9 and scene.theme == "dark"
    anim = w.animate(size=(160, 90))
    assert anim.options.size == (160, 90)
    assert anim.recording.runs[0].positions[1].tolist() == [1.5 - 0.2 * 1.5, -2.0 - 0.2 * -2.0]


def test_what_cannot_be_explored_says_why() -> None:
    with pytest.raises(SpecError, match="cannot explore a Python function"):
        animate(lambda x, y: x**2 + y**2, ["gd"], steps=2).explore()
