"""The explore page's maths and page in headless Chromium, against Python.

One browser for the module (Playwright, driving /usr/bin/chromium). The maths module
(``explore_maths.js``) is checked rule by rule against ``visualizer/maths`` and
``surfaces``, then whole recordings against :func:`record` (what ``lossviz trace``
writes) to 1e-9 relative, for every built-in optimizer, every schedule and every
kind of surface the page explores. Skipped, with the reason, without Playwright or
Chromium.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from surfaces import get_surface
from visualizer.encoding.explore_model import explore_model
from visualizer.maths import optimizers as opt
from visualizer.maths.recorder import record
from visualizer.maths.schedules import parse_schedule

sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright")
CHROMIUM = shutil.which("chromium") or (
    "/usr/bin/chromium" if os.access("/usr/bin/chromium", os.X_OK) else None
)
pytestmark = [
    pytest.mark.skipif(CHROMIUM is None, reason="no chromium (apt-get install chromium)"),
    pytest.mark.xdist_group("explore-chromium"),  # one worker, so one browser per run
]
MATHS_JS = (
    Path(__file__).resolve().parents[1] / "visualizer" / "encoding" / "explore_maths.js"
).read_text()
#: The promise: the page's numbers equal Python's to this relative tolerance (with an
#: absolute floor far below it, for values that cancel to about zero, like a loss of 1e-20).
RTOL, ATOL = 1e-9, 1e-14


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as p:
        chromium = p.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
        )
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def maths(browser: Any) -> Any:
    page = browser.new_page()
    page.set_content(f"<script>{MATHS_JS}</script>")
    return page


def _array(values: list[Any]) -> np.ndarray:
    return np.array([np.nan if v is None else v for v in values], dtype=float)


# --- rule by rule -------------------------------------------------------------------------

RULES = {
    "gd": ({"lr": 0.1}, opt.gd(0.1)),
    "momentum": ({"lr": 0.1, "beta": 0.9}, opt.momentum(0.1, 0.9)),
    "nesterov": ({"lr": 0.1, "beta": 0.8}, opt.nesterov(0.1, 0.8)),
    "adagrad": ({"lr": 0.3, "eps": 1e-8}, opt.adagrad(0.3, 1e-8)),
    "rmsprop": ({"lr": 0.03, "rho": 0.9, "eps": 1e-8}, opt.rmsprop(0.03, 0.9, 1e-8)),
    "adam": ({"lr": 0.1, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8}, opt.adam(0.1)),
}


@pytest.mark.parametrize("name", list(RULES))
def test_each_update_rule_equals_python(maths: Any, name: str) -> None:
    hyper, python = RULES[name]
    grads = np.random.default_rng(3).standard_normal((6, 2)) * [1.0, 30.0]
    js = maths.evaluate(
        """([name, h, grads]) => {
          const o = LossvizMaths.optimizers[name](h);
          let p = [1.5, -2.0], s = o.init(p);
          const out = [];
          for (const g of grads) {
            const at = o.lookahead(s, p);
            [p, s] = o.update(g, s, p);
            out.push([at[0], at[1], p[0], p[1]]);
          }
          return out;
        }""",
        [name, hyper, grads.tolist()],
    )
    p = np.array([1.5, -2.0])
    state = python.init(p)
    want = []
    for g in grads:
        at = python.lookahead(state, p)
        p, state = python.update(g, state, p)
        want.append([*at, *p])
    np.testing.assert_allclose(np.array(js), np.array(want), rtol=1e-15, atol=0)


@pytest.mark.parametrize(
    "raw",
    [
        {},
        {"schedule": "exponential", "gamma": "0.93"},
        {"schedule": "step", "gamma": "0.5", "every": "7"},
        {"schedule": "cosine"},
        {"schedule": "cosine", "warmup": "5"},
    ],
)
def test_schedule_factors_equal_python(maths: Any, raw: dict[str, str]) -> None:
    s = parse_schedule(raw, owner="gd")
    spec = {"kind": s.kind, "gamma": s.gamma, "every": s.every, "warmup": s.warmup}
    js = maths.evaluate("([s, n]) => Array.from(LossvizMaths.scheduleFactors(s, n))", [spec, 40])
    np.testing.assert_allclose(js, s.factors(40), rtol=1e-15, atol=1e-300)


def test_pcg64_permutations_equal_numpy(maths: Any) -> None:
    rng = np.random.default_rng([7, 2])
    state = rng.bit_generator.state
    init = {
        "state": hex(state["state"]["state"]),
        "inc": hex(state["state"]["inc"]),
        "has_uint32": state["has_uint32"],
        "uinteger": state["uinteger"],
    }
    js = maths.evaluate(
        """(init) => { const g = LossvizMaths.pcg64(init);
           return [5, 1024, 3, 700].map((n) => Array.from(g.permutation(n))); }""",
        init,
    )
    assert [list(rng.permutation(n)) for n in (5, 1024, 3, 700)] == js


def test_pairwise_sum_equals_numpy_bit_for_bit(maths: Any) -> None:
    rng = np.random.default_rng(0)
    arrays = [
        rng.standard_normal(n) * 10.0 ** rng.uniform(-3, 3, n)
        for n in (1, 7, 8, 9, 100, 129, 1024, 777)
    ]
    js = maths.evaluate(
        "(arrays) => arrays.map((a) =>"
        " LossvizMaths.pairwiseSum(Float64Array.from(a), 0, a.length))",
        [a.tolist() for a in arrays],
    )
    assert js == [float(np.sum(a)) for a in arrays]


@pytest.mark.parametrize(
    "text",
    [
        "bowl",
        "ravine:kappa=30",
        "saddle",
        "local-minimum",
        "plateau",
        "rosenbrock",
        "beale",
        "himmelblau",
        "rastrigin",
        "sin(x)*cos(y) + 0.1*(x**2+y**2)",
        "exp(x/3) + log1p(y**2) + x**3/30 + sqrt(x**2+1) + tanh(y) + arctan(x) - 2**y",
        "abs(x) + max(x, y) + cbrt(x) + arctan2(y, x+9)",
        "regression",
        "logistic",
    ],
)
def test_each_surface_value_and_gradient_equal_python(maths: Any, text: str) -> None:
    surface = get_surface(text)
    xmin, xmax, ymin, ymax = surface.window
    rng = np.random.default_rng(1)
    points = np.stack([rng.uniform(xmin, xmax, 12), rng.uniform(ymin, ymax, 12)], axis=1)
    rec = record(surface, ["gd"], steps=1)
    js = maths.evaluate(
        """([spec, points]) => { const s = LossvizMaths.makeSurface(spec);
           return points.map(([x, y]) => [s.f(x, y), ...s.grad(x, y)]); }""",
        [explore_model(rec)["surface"], points.tolist()],
    )
    want = [[surface.loss(p), *surface.grad(p)] for p in points]
    np.testing.assert_allclose(np.array(js), np.array(want), rtol=1e-12, atol=1e-13)


# --- whole recordings, as lossviz trace writes them --------------------------------------

ALL = ["gd:lr=0.1", "sgd:lr=0.1,noise=1", "momentum:lr=0.1", "nesterov:lr=0.1"]
ALL += ["adagrad:lr=0.5", "rmsprop:lr=0.05", "adam:lr=0.1"]
SCHEDULED = [
    "gd:lr=0.0009,schedule=exponential,gamma=0.995",
    "momentum:lr=0.0004,schedule=cosine",
    "adam:lr=0.084,schedule=step,gamma=0.5,every=30",
    "rmsprop:lr=0.031,schedule=exponential,gamma=0.99,warmup=10",
    "nesterov:lr=0.0005,warmup=20",
    "sgd:lr=0.0009,noise=5,schedule=cosine",
    "adagrad:lr=0.11",
]
RECORDINGS = {
    "every optimizer on the bowl": ("bowl", ALL, 60),
    "the ravine's preset": ("ravine", [], 120),
    "schedules on rosenbrock": ("rosenbrock", SCHEDULED, 300),
    "saddle": ("saddle", [], 120),
    "local-minimum": ("local-minimum", [], 150),
    "plateau (momentum)": ("plateau", ["gd:lr=0.3", "momentum:lr=0.3,beta=0.9"], 160),
    "beale": ("beale", [], 300),
    "himmelblau": ("himmelblau", [], 150),
    "rastrigin": ("rastrigin", [], 150),
    "an expression": (
        "sin(x)*cos(y) + 0.1*(x**2+y**2)",
        ["gd:lr=0.1", "sgd:lr=0.1,noise=0.3", "nesterov:lr=0.05"],
        150,
    ),
    "an expression with kinks": (
        "abs(x) + y**2 + max(x, y)",
        ["gd:lr=0.05", "momentum:lr=0.02"],
        100,
    ),
    "regression's preset": ("regression", [], 80),
    "regression, any batch": (
        "regression",
        ["sgd:lr=0.3,batch=1000", "momentum:lr=0.1,batch=8", "adam:lr=0.2,batch=100"],
        60,
    ),
    "logistic": ("logistic", ["gd:lr=1", "sgd:lr=1,batch=16", "rmsprop:lr=0.05,batch=100"], 100),
}


@pytest.mark.parametrize("case", list(RECORDINGS))
def test_recording_equals_trace(maths: Any, case: str) -> None:
    text, specs, steps = RECORDINGS[case]
    surface = get_surface(text)
    rec = record(surface, specs or list(surface.preset.optimizers), steps=steps, seed=3)
    js = maths.evaluate(
        """(m) => LossvizMaths.record(m).map((r) => ({positions: Array.from(r.positions),
             losses: Array.from(r.losses), diverged: r.diverged}))""",
        explore_model(rec),
    )
    for run, got in zip(rec.runs, js, strict=True):
        assert got["diverged"] == run.diverged_at, run.label
        rows = run.last_step + 1
        positions = _array(got["positions"]).reshape(-1, 2)[:rows]
        np.testing.assert_allclose(positions, run.positions[:rows], rtol=RTOL, atol=ATOL)
        np.testing.assert_allclose(
            _array(got["losses"])[:rows], run.losses[:rows], rtol=RTOL, atol=ATOL
        )


# --- the page -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Explore pages written by ``lossviz explore``: the ravine's preset, and minibatches."""
    from visualizer.frontends.cli import main

    folder = tmp_path_factory.mktemp("explore")
    out = {
        "ravine": folder / "ravine.html",
        "minibatch": folder / "minibatch.html",
    }
    assert main(["explore", "-s", "ravine", "-q", "-o", str(out["ravine"])]) == 0
    assert main(["explore", "--scene", "minibatch", "-q", "-o", str(out["minibatch"])]) == 0
    return out


@pytest.fixture(scope="module")
def ravine_page(browser: Any, pages: dict[str, Path]) -> Any:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(pages["ravine"].as_uri())
    page.wait_for_function("document.body.dataset.ready === '1'")
    page.requests = requests
    return page


def _trace_runs(args: list[str]) -> Any:
    from visualizer.scene.scene import Scene, scene_from_mapping

    return scene_from_mapping(dict(args), base=Scene(), text=True).record()


def _assert_runs_equal(got: list[dict], rec: Any) -> None:
    assert [r["label"] for r in got] == [run.label for run in rec.runs]
    for run, js in zip(rec.runs, got, strict=True):
        assert js["diverged"] == run.diverged_at
        rows = run.last_step + 1
        np.testing.assert_allclose(
            np.array(js["positions"]), run.positions[:rows], rtol=RTOL, atol=ATOL
        )
        np.testing.assert_allclose(np.array(js["losses"]), run.losses[:rows], rtol=RTOL, atol=ATOL)


def test_page_runs_equal_trace_and_follow_set(ravine_page: Any) -> None:
    page = ravine_page
    rec = _trace_runs([("surface", "ravine")])
    _assert_runs_equal(page.evaluate("lossviz.runs()"), rec)
    state = page.evaluate(
        """lossviz.set({start: [-3.5, 1.25], steps: 90,
             optimizers: [{params: {lr: 0.015}}, null, {params: {lr: 0.006, beta: 0.8}}]})"""
    )
    assert state["start"] == [-3.5, 1.25] and state["steps"] == 90
    assert state["optimizers"][2] == {
        "name": "momentum",
        "label": "momentum",
        "params": {"lr": 0.006, "beta": 0.8},
        "on": True,
        "spec": "momentum:lr=0.006,beta=0.8",
    }
    specs = [
        f"{o['name']}:" + ",".join(f"{k}={v}" for k, v in o["params"].items())
        for o in state["optimizers"]
    ]
    rec = _trace_runs(
        [("surface", "ravine"), ("start", "-3.5,1.25"), ("steps", "90"), ("optimizers", specs)]
    )
    _assert_runs_equal(page.evaluate("lossviz.runs()"), rec)
    # the command to copy says the same
    command = page.evaluate("lossviz.command()")
    assert "-O momentum:lr=0.006,beta=0.8" in command and "--start=-3.5,1.25 --steps 90" in command


def test_page_loads_nothing_and_updates_within_16_ms(ravine_page: Any, pages: dict) -> None:
    page = ravine_page
    assert page.requests == [pages["ravine"].as_uri()]  # the file itself, nothing else
    times = page.evaluate(
        """() => { const out = [];
          for (let k = 0; k < 15; k++) {
            lossviz.set({start: [-4 + k / 20, 1.5], optimizers: [{params: {lr: 0.019 + k / 1e4}}]});
            out.push(lossviz.timing().lastUpdateMs);
          }
          return out; }"""
    )
    # The fastest of 15: what an update costs when the page has the CPU (the suite runs on
    # every core, beside other work, so a median here measures the machine's load).
    assert min(times) <= 16.0, times


def test_url_hash_round_trip(browser: Any, ravine_page: Any) -> None:
    state = ravine_page.evaluate(
        """lossviz.set({start: [-2.25, 0.5], steps: 70, step: 33,
             optimizers: [null, {params: {noise: 0.5}}, {params: {beta: 0.75}}, {on: false}]})"""
    )
    url = ravine_page.url
    assert "#" in url and "start=-2.25%2C0.5" in url
    other = browser.new_page()
    other.goto(url)
    other.wait_for_function("document.body.dataset.ready === '1'")
    assert other.evaluate("lossviz.state()") == state
    assert other.evaluate("lossviz.runs()") == ravine_page.evaluate("lossviz.runs()")
    other.close()


def test_click_and_drag_move_the_start(ravine_page: Any) -> None:
    page = ravine_page
    page.evaluate("lossviz.set({steps: 120})")
    box = page.locator("#lv-plot").bounding_box()
    plot = page.evaluate("JSON.parse(document.getElementById('lv-data').textContent).plot")
    xmin, xmax, ymin, ymax = get_surface("ravine").window

    def pixel(x: float, y: float) -> tuple[float, float]:
        return (
            box["x"] + plot["left"] + (x - xmin) / (xmax - xmin) * plot["width"],
            box["y"] + plot["top"] + (ymax - y) / (ymax - ymin) * plot["height"],
        )

    page.mouse.click(*pixel(2.0, -1.0))
    start = page.evaluate("lossviz.state().start")
    assert start == pytest.approx([2.0, -1.0], abs=0.02)
    assert page.evaluate("lossviz.runs()[0].positions[0]") == start
    page.mouse.move(*pixel(-3.0, 1.0))
    page.mouse.down()
    page.mouse.move(*pixel(-1.0, 0.5), steps=4)
    page.mouse.up()
    assert page.evaluate("lossviz.state().start") == pytest.approx([-1.0, 0.5], abs=0.02)
    # the keyboard: the focused plot moves the start by 1% of the window per arrow
    before = page.evaluate("lossviz.state().start")
    page.focus("#lv-plot")
    page.keyboard.press("ArrowRight")
    after = page.evaluate("lossviz.state().start")
    assert after[0] == pytest.approx(before[0] + (xmax - xmin) / 100, abs=1e-3)


def test_a_slider_recomputes(ravine_page: Any) -> None:
    page = ravine_page
    page.evaluate("lossviz.set({optimizers: [{params: {lr: 0.0195}}]})")
    slider = page.locator("#lv-p-0-lr")
    slider.focus()
    page.keyboard.press("ArrowRight")  # one slider step: lr × 10^0.005, to 3 digits
    assert page.evaluate("lossviz.state().optimizers[0].params.lr") == 0.0197
    rec = _trace_runs(
        [
            ("surface", "ravine"),
            ("start", ",".join(map(str, page.evaluate("lossviz.state().start")))),
            ("optimizers", ["gd:lr=0.0197"]),
        ]
    )
    assert page.evaluate("lossviz.runs()[0].positions")[:5] == rec.runs[0].positions[:5].tolist()


def test_theory_and_set_optimal(ravine_page: Any) -> None:
    page = ravine_page
    theory = page.evaluate("lossviz.theory()")
    assert theory["kappa"] == pytest.approx(100)
    assert theory["gd"]["optimalLr"] == pytest.approx(2 / 101)
    assert theory["momentum"]["optimalBeta"] == pytest.approx((9 / 11) ** 2)
    page.click("#lv-optimal")
    params = [o["params"] for o in page.evaluate("lossviz.state().optimizers")]
    assert params[0]["lr"] == pytest.approx(2 / 101, rel=1e-3)
    assert params[2] == {
        "lr": pytest.approx(4 / 121, rel=1e-3),
        "beta": pytest.approx(0.6694, rel=1e-3),
    }


def test_minibatch_page_equals_trace(browser: Any, pages: dict[str, Path]) -> None:
    from visualizer.frontends.cli import gallery_scene

    page = browser.new_page()
    page.goto(pages["minibatch"].as_uri())
    page.wait_for_function("document.body.dataset.ready === '1'")
    scene = gallery_scene("minibatch").rendered
    _assert_runs_equal(page.evaluate("lossviz.runs()"), scene.record())
    assert page.evaluate("lossviz.theory()") is not None  # regression is a quadratic
    page.close()


def test_widget_script_passes_the_page_state_to_the_model(
    browser: Any, pages: dict[str, Path]
) -> None:
    widget = pytest.importorskip("visualizer.frontends.widget", reason="pip install anywidget")
    page = browser.new_page()
    page.set_content("<div id=el></div>")
    got = page.evaluate(
        """async ([esm, html]) => {
          const mod = await import("data:text/javascript," + encodeURIComponent(esm));
          const store = {page: html, height: 900, state: {}};
          let saved = 0;
          const model = {get: (k) => store[k], set: (k, v) => { store[k] = v; },
                         save_changes: () => { saved += 1; }};
          mod.default.render({model, el: document.getElementById("el")});
          for (let i = 0; i < 200 && !store.state.optimizers; i++)
            await new Promise((r) => setTimeout(r, 25));
          const frame = document.querySelector("iframe");
          frame.contentWindow.lossviz.set({steps: 33});
          await new Promise((r) => setTimeout(r, 100));
          return {state: store.state, saved};
        }""",
        [widget.ESM, pages["ravine"].read_text(encoding="utf-8")],
    )
    assert got["saved"] >= 2 and got["state"]["steps"] == 33
    assert [o["spec"] for o in got["state"]["optimizers"]][2] == "momentum:lr=0.0041,beta=0.9"
    page.close()


# --- a sweep (CI's deep fuzz run tries many more) -------------------------------------------

SWEEP_SURFACES = ("bowl", "ravine:kappa=30", "regression", "x**2 + 3*y**2 + x*y + 2*x")


def _random_spec(rng: np.random.Generator, data: bool) -> str:
    name = str(rng.choice(["gd", "sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam"]))
    items = [f"lr={10 ** rng.uniform(-3, -0.5):.4g}"]
    if name in ("momentum", "nesterov"):
        items.append(f"beta={rng.uniform(0, 0.99):.3g}")
    if name == "rmsprop":
        items.append(f"rho={rng.uniform(0, 0.99):.3g}")
    if name == "adam":
        items += [f"beta1={rng.uniform(0, 0.99):.3g}", f"beta2={rng.uniform(0.9, 0.9999):.5g}"]
    if name == "sgd" or rng.uniform() < 0.2:
        items.append(f"batch={rng.integers(1, 1024)}" if data else f"noise={rng.uniform(0, 3):.3g}")
    kind = str(rng.choice(["constant", "exponential", "step", "cosine"]))
    if kind == "exponential":
        items += ["schedule=exponential", f"gamma={rng.uniform(0.9, 1):.4g}"]
    elif kind == "step":
        items += [
            "schedule=step",
            f"gamma={rng.uniform(0.1, 0.9):.3g}",
            f"every={rng.integers(1, 30)}",
        ]
    elif kind == "cosine":
        items.append("schedule=cosine")
    if rng.uniform() < 0.3:
        items.append(f"warmup={rng.integers(0, 20)}")
    return f"{name}:{','.join(items)}"


@pytest.mark.fuzz
def test_random_settings_equal_trace(maths: Any) -> None:
    from helpers import examples

    rng = np.random.default_rng(2026)
    for _ in range(examples(3, 60)):
        text = str(rng.choice(SWEEP_SURFACES))
        surface = get_surface(text)
        xmin, xmax, ymin, ymax = surface.window
        start = (float(rng.uniform(xmin, xmax)), float(rng.uniform(ymin, ymax)))
        specs = [_random_spec(rng, surface.dataset is not None) for _ in range(3)]
        rec = record(
            surface, specs, start=start, steps=int(rng.integers(5, 150)), seed=int(rng.integers(99))
        )
        js = maths.evaluate(
            """(m) => LossvizMaths.record(m).map((r) => ({positions: Array.from(r.positions),
                 losses: Array.from(r.losses), diverged: r.diverged}))""",
            explore_model(rec),
        )
        for run, got in zip(rec.runs, js, strict=True):
            assert got["diverged"] == run.diverged_at, (text, run.spec.text())
            rows = run.last_step + 1
            positions = _array(got["positions"]).reshape(-1, 2)[:rows]
            np.testing.assert_allclose(
                positions, run.positions[:rows], rtol=RTOL, atol=ATOL, err_msg=run.spec.text()
            )


def test_dragging_a_slider_recomputes(ravine_page: Any) -> None:
    page = ravine_page
    page.evaluate(
        "lossviz.set({start: [-4, 1.5], steps: 120,"
        " optimizers: [null, null, {params: {lr: 0.0041, beta: 0.9}}]})"
    )
    box = page.locator("#lv-p-2-beta").bounding_box()
    y = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + box["width"] * 0.9, y)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.5, y, steps=5)
    page.mouse.up()
    state = page.evaluate("lossviz.state()")
    beta = state["optimizers"][2]["params"]["beta"]
    assert 0.4 < beta < 0.6
    rec = _trace_runs(
        [
            ("surface", "ravine"),
            ("start", "-4,1.5"),
            ("optimizers", [state["optimizers"][2]["spec"]]),
        ]
    )
    got = page.evaluate("lossviz.runs()[2]")
    np.testing.assert_allclose(got["positions"], rec.runs[0].positions, rtol=RTOL, atol=ATOL)
