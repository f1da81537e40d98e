"""Tests for users' data: visualizer/datafiles.py and the data surfaces it feeds.

``-s regression:data=points.csv`` and ``-s logistic:data=labels.csv``: the minimum
is the least-squares fit (numpy.polyfit), minibatches are real, bad data is one
line and exit 2.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from helpers import run_main

from surfaces import SpecError, get_surface
from surfaces.datafiles import read_columns
from visualizer.maths.recorder import record

RNG = np.random.default_rng(7)


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def points(tmp_path: Path) -> tuple[Path, np.ndarray, np.ndarray]:
    x = RNG.uniform(-2.0, 8.0, size=60)
    y = -1.5 * x + 4.0 + RNG.normal(0.0, 2.0, size=60)
    lines = ["feature,target", *(f"{float(a)!r},{float(b)!r}" for a, b in zip(x, y, strict=True))]
    return write(tmp_path, "points.csv", "\n".join(lines) + "\n"), x, y


def test_the_regression_minimum_is_numpys_least_squares_fit(points):
    path, x, y = points
    s = get_surface(f"regression:data={path}")
    (minimum,) = s.minima
    np.testing.assert_allclose(minimum, np.polyfit(x, y, 1), rtol=0, atol=1e-6)
    assert s.dataset is not None and s.dataset.n_samples == 60
    assert "N = 60 (points.csv)" in s.title
    xmin, xmax, ymin, ymax = s.window
    assert xmin < minimum[0] < xmax and ymin < minimum[1] < ymax
    assert xmin < s.start[0] < xmax and ymin < s.start[1] < ymax
    np.testing.assert_allclose(s.grad(np.array(minimum)), 0.0, atol=1e-9)


def test_real_minibatches_on_users_data(points):
    path, x, y = points
    s = get_surface(f"regression:data={path}")
    rec = record(s, ["gd:lr=0.01", "sgd:lr=0.01,batch=8"], steps=30)
    gd, sgd = rec.runs
    assert not np.array_equal(gd.positions, sgd.positions)
    # a batch's gradient is the mean over its samples, here checked for one batch
    w, b = 0.5, -0.25
    idx = np.arange(8)
    r = w * x[idx] + b - y[idx]
    np.testing.assert_allclose(
        s.dataset.batch_grad(np.array([w, b]), idx), [np.mean(r * x[idx]), np.mean(r)]
    )


def test_logistic_loss_is_the_issues_formula(tmp_path):
    x = RNG.normal(size=40)
    labels = (RNG.uniform(size=40) < 1 / (1 + np.exp(-(2 * x - 0.5)))).astype(int)
    path = write(
        tmp_path,
        "labels.csv",
        "".join(f"{float(a)!r},{c}\n" for a, c in zip(x, labels, strict=True)),
    )
    s = get_surface(f"logistic:data={path}")
    t = 2 * labels - 1
    for w, b in [(0.0, 0.0), (1.5, -0.3), (-2.0, 4.0)]:
        expected = np.mean(np.log1p(np.exp(-t * (w * x + b))))
        assert s.loss(np.array([w, b])) == pytest.approx(expected, rel=1e-12)
    # broadcasting over a grid gives the same numbers
    W, B = np.meshgrid(np.linspace(-1, 3, 4), np.linspace(-2, 2, 3))
    grid = s.f(np.stack([W, B]))
    assert grid[1, 2] == pytest.approx(s.loss(np.array([W[1, 2], B[1, 2]])), rel=1e-12)
    (minimum,) = s.minima
    np.testing.assert_allclose(s.grad(np.array(minimum)), 0.0, atol=1e-9)
    rec = record(s, s.preset.optimizers)
    assert all(r.diverged_at is None and r.losses[-1] < r.losses[0] for r in rec.runs)


def test_the_default_logistic_surface_has_seeded_data():
    a, b = get_surface("logistic"), get_surface("logistic:seed=0")
    assert a.loss(np.array([1.0, 0.0])) == b.loss(np.array([1.0, 0.0]))
    assert a.dataset is not None and a.dataset.n_samples == 512
    assert get_surface("logistic:seed=1").loss(np.array([1.0, 0.0])) != a.loss(np.array([1, 0]))


def test_separable_classes_have_no_minimum(tmp_path):
    path = write(tmp_path, "sep.csv", "-2,0\n-1,0\n1,1\n2,1\n")
    assert get_surface(f"logistic:data={path}").minima == ()


@pytest.mark.parametrize(
    ("name", "text", "words"),
    [
        ("missing.csv", None, ["no such file"]),
        ("cell.csv", "1,2\n3,abc\n", ["row 2, column 2", "'abc'"]),
        ("one.csv", "x,y\n1,2\n", ["1 data row", "at least 2"]),
        ("nan.csv", "1,2\n3,nan\n", ["row 2, column 2", "'nan'"]),
        ("three.csv", "1,2,3\n4,5,6\n", ["row 1 has 3 cells"]),
        ("labels.csv", "1,0\n2,1\n3,2\n", ["labels must be 0 or 1", "row 3"]),
    ],
)
def test_bad_data_is_one_line_and_exit_2(capsys, tmp_path, name, text, words):
    path = tmp_path / name if text is None else write(tmp_path, name, text)
    surface = "logistic" if name == "labels.csv" else "regression"
    code, out, err = run_main(capsys, "trace", "-s", f"{surface}:data={path}", "--steps", "3")
    assert code == 2 and out == ""
    assert err.startswith("lossviz: error: ") and err.count("\n") == 1
    for word in words:
        assert word in err


def test_data_replaces_the_generated_data(tmp_path):
    path = write(tmp_path, "p.csv", "1,2\n2,3\n")
    with pytest.raises(SpecError, match="data= replaces the generated data; drop samples="):
        get_surface(f"regression:data={path},samples=10")
    assert read_columns(path).tolist() == [[1.0, 2.0], [2.0, 3.0]]
