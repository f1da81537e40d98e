"""``lossviz explore``, its model and its page, without a browser.

What the page does in Chromium is tested in ``test_explore_browser.py``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
from helpers import run_main

from surfaces import get_surface
from surfaces.errors import SpecError
from visualizer.encoding.explore import explore_page, param_bounds, slider
from visualizer.encoding.explore_model import (
    check_explorable,
    explore_model,
    float64_text,
    quadratic,
)
from visualizer.frontends.explore import explore_scene
from visualizer.maths import optimizers as opt
from visualizer.maths.recorder import record
from visualizer.maths.specs import OPTIMIZERS, parse_optimizer
from visualizer.scene.scene import Scene

#: The page budget for the gallery's 2D scenes (the README quotes the sizes).
MAX_PAGE_BYTES = 600 * 1024


def _data(page: str) -> dict:
    text = re.search(r'<script type="application/json" id="lv-data">(.*?)</script>', page, re.S)
    assert text is not None
    return json.loads(text.group(1).replace("<\\/", "</"))


def test_explore_writes_one_self_contained_page(tmp_path: Path, capsys) -> None:
    out = tmp_path / "new" / "ravine.html"
    code, _, err = run_main(capsys, "explore", "-s", "ravine", "-o", str(out))
    assert code == 0, err
    page = out.read_text()
    assert f"wrote {out}" in err and "KB)" in err
    # nothing to fetch: no src/href but data: URLs, no http(s) anywhere in an attribute
    refs = re.findall(r'(?:src|href)="([^"]*)"', page)
    assert refs and all(ref.startswith("data:") for ref in refs)
    assert "http://" not in page and "https://" not in page
    assert len(page.encode()) <= MAX_PAGE_BYTES
    data = _data(page)
    assert data["model"]["steps"] == 120 and len(data["runs"]) == 4
    assert data["theory"] == {"eigenvalues": [1.0, 100.0], "minimum": [0.0, 0.0]}


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (["-s", "mlp"], "cannot explore surface mlp: a network is trained in Python"),
        (["-s", "ravine", "-O", "torch:SGD:lr=0.1"], "torch runs in Python only"),
        (["-s", "ravine", "-O", "optax:sgd:learning_rate=0.1"], "optax runs in Python only"),
        (["-s", "ravine", "-O", "gd", "-O", "newton"], "cannot explore optimizer 'newton'"),
        (["-s", "ravine", "-O", "scipy:BFGS"], "scipy runs in Python only"),
        (["-s", "ravine", "-o", "x.gif"], "must end with .html"),
        (["-s", "ravene"], "unknown surface 'ravene'"),
    ],
)
def test_what_cannot_be_explored_is_one_line_exit_2(
    tmp_path: Path, capsys, args: list[str], reason: str
) -> None:
    out = tmp_path / "out.html"
    argv = ["explore", *args] + ([] if "-o" in args else ["-o", str(out)])
    code, _, err = run_main(capsys, *argv)
    assert code == 2 and reason in err and len(err.strip().splitlines()) == 1, err
    assert err.startswith("lossviz: error: ")
    assert not out.exists()


def test_python_objects_are_refused_with_a_reason() -> None:
    with pytest.raises(SpecError, match="cannot explore a Python function"):
        check_explorable(lambda x, y: x * y)
    with pytest.raises(SpecError, match="your own Optimizer object: it runs in Python only"):
        check_explorable("bowl", [parse_optimizer("gd"), _own()])


def _own():
    from visualizer.maths.specs import from_optimizer

    return from_optimizer(opt.sign_sgd(0.1))


def test_model_embeds_each_runs_seeded_draws() -> None:
    rec = record(get_surface("bowl"), ["gd", "sgd:lr=0.1,noise=0.5", "momentum"], steps=10, seed=4)
    runs = explore_model(rec)["runs"]
    assert runs[0]["normals"] is None and runs[0]["rng"] is None
    want = np.random.default_rng([4, 1]).standard_normal(2 * 200)
    assert runs[1]["normals"] == float64_text(want) and runs[1]["params"]["noise"] == 0.5
    data = explore_model(record(get_surface("regression"), ["sgd:lr=0.1,batch=8"], steps=3))
    state = np.random.default_rng([0, 0]).bit_generator.state["state"]
    assert data["runs"][0]["rng"]["state"] == hex(state["state"])
    assert data["runs"][0]["oracle"] == "batch" and data["runs"][0]["params"]["batch"] == 8


def test_theory_only_for_convex_quadratics() -> None:
    assert quadratic(get_surface("bowl")) == {"eigenvalues": [1.0, 1.0], "minimum": [0.0, 0.0]}
    reg = quadratic(get_surface("regression"))
    assert reg is not None and reg["eigenvalues"][0] > 0
    w, b = get_surface("regression").minima[0]
    assert reg["minimum"] == pytest.approx([w, b])
    assert quadratic(get_surface("2*(x - 1)**2 + 8*(y + 0.5)**2"))["minimum"] == pytest.approx(
        [1.0, -0.5]
    )
    for text in ("saddle", "logistic", "x**2 - y**2", "abs(x) + y**2", "x**4 + y**2"):
        assert quadratic(get_surface(text)) is None, text


def test_slider_bounds_come_from_the_optimizer_table() -> None:
    for info in OPTIMIZERS.values():
        for param in info.rule_params:
            bounds = param_bounds(param)
            assert bounds["min"] == 0.0
            assert param.check(bounds["min"]) == (not bounds["minOpen"])
            if bounds["max"] is not None:
                assert param.check(bounds["max"]) == (not bounds["maxOpen"])
    beta = slider("beta", 0.9, param_bounds(OPTIMIZERS["momentum"].hyper("beta")), samples=None)
    assert beta["min"] == 0.0 and beta["max"] < 1.0
    batch = slider("batch", 32, {}, samples=1024)
    assert batch["scale"] == "log" and 10 ** batch["max"] == pytest.approx(1024)


def test_page_of_every_kind_of_surface(tmp_path: Path) -> None:
    for text in ("sin(x)*cos(y) + 0.1*(x**2 + y**2)", "logistic", "regression"):
        rec = record(get_surface(text), ["gd", "sgd"] if text != "logistic" else ["gd"], steps=5)
        page = explore_page(rec, surface_spec=text, size=(120, 80))
        data = _data(page)
        assert data["model"]["surface"]["kind"] in ("expression", "logistic", "regression")
        assert data["surfaceSpec"] == text


def test_explore_scene_keeps_window_and_theme() -> None:
    scene = Scene(surface="bowl", optimizers=("gd:lr=0.2",), steps=5, window=(-2, 2, -1, 1))
    page, rec = explore_scene(Scene(**{**scene.__dict__, "theme": "dark"}))
    data = _data(page)
    assert data["extraArgs"] == ["--window=-2,2,-1,1", "--theme", "dark"]
    assert data["model"]["window"] == [-2.0, 2.0, -1.0, 1.0] and rec.steps == 5


def test_a_bridged_optimizer_is_refused_before_its_library_loads() -> None:
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from visualizer.frontends.cli import main\n"
        "status = main(['explore', '-s', 'bowl', '-O', 'torch:SGD:lr=0.1', '-o', 'x.html'])\n"
        "print(status, 'torch' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.split() == ["2", "False"], out.stderr
    assert "torch runs in Python only" in out.stderr


def test_the_gallery_explores_what_it_can_and_by_iterations() -> None:
    from visualizer.frontends.explore import explorable
    from visualizer.frontends.gallery import load_gallery

    scenes = {item.name: item.scene for item in load_gallery()}
    chosen = sorted(name for name, scene in scenes.items() if explorable(scene))
    assert "ravine" in chosen and "minibatch" in chosen
    for name in ("mlp-moons", "ravine-3d", "newton-ravine"):
        assert name not in chosen
    paced = Scene(surface="bowl", optimizers=("gd:lr=0.3",), steps=4, pace="evaluations")
    _, rec = explore_scene(paced)
    assert rec.steps == 4 and rec.runs[0].positions.shape == (5, 2)
