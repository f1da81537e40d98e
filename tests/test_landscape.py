"""Tests for model surfaces: surfaces/model.py and visualizer/landscape.py, end to end."""

from __future__ import annotations

import csv
import io
import sys
from functools import cache

import numpy as np
import pytest

from surfaces import SpecError, get_surface
from surfaces.model import AUTO_WINDOW, bilinear, fit_window
from visualizer.frontends.cli import main
from visualizer.maths.landscape import ModelRecording
from visualizer.maths.recorder import record
from visualizer.maths.specs import parse_optimizer

SMALL = "mlp:hidden=4,samples=48,grid=16"


def specs(*texts: str):
    return [parse_optimizer(t) for t in texts]


@cache
def recording(surface: str = SMALL) -> ModelRecording:
    rec = record(
        get_surface(surface),
        specs("gd:lr=0.5", "sgd:lr=0.5,batch=8", "momentum:lr=0.05"),
        steps=30,
        seed=1,
    )
    assert isinstance(rec, ModelRecording)
    return rec


def test_runs_train_in_full_dimension_and_report_true_losses():
    rec = recording()
    problem = rec.model.model.problem
    for run in rec.runs:
        assert run.params.shape == (31, problem.net.size)
        np.testing.assert_array_equal(run.params[0], problem.init)
        np.testing.assert_allclose(run.losses, [problem.loss(p) for p in run.params])
        np.testing.assert_allclose(run.accuracy[-1], problem.accuracy(run.params[-1]))
        assert run.losses[-1] < run.losses[0]


def test_positions_are_the_projection_and_off_plane_distances_are_what_it_drops():
    rec = recording()
    plane = rec.plane
    for run in rec.runs:
        np.testing.assert_allclose(run.positions, plane.coordinates(run.params))
        lifted = plane.lift(run.positions)
        np.testing.assert_allclose(run.off_plane, np.linalg.norm(run.params - lifted, axis=1))
        # the contour's value under the ball is the true loss at the projected point
        problem = rec.model.model.problem
        np.testing.assert_allclose(run.plane_losses, [problem.loss(p) for p in lifted])
    # the plane goes through the reference run's end, where nothing is dropped
    gd = rec.runs[0]
    assert rec.reference == "gd"
    np.testing.assert_allclose(gd.positions[-1], 0.0, atol=1e-12)
    assert gd.off_plane[-1] == pytest.approx(0.0, abs=1e-12)
    assert gd.plane_losses[-1] == pytest.approx(gd.losses[-1])
    assert 0.5 < rec.plane.explained <= 1.0


def test_the_plane_surface_is_the_true_loss_at_lattice_points():
    rec = recording()
    s = rec.surface
    amin, amax, bmin, bmax = s.window
    problem = rec.model.model.problem
    for a, b in [(amin, bmin), (amax, bmax), (np.linspace(amin, amax, 16)[5], bmin)]:
        exact = problem.loss(rec.plane.lift(np.array([a, b]))[0])
        assert float(s.f(np.array([a, b]))) == pytest.approx(exact, rel=1e-12)
    grid = s.f(np.stack(np.meshgrid(np.linspace(amin, amax, 7), np.linspace(bmin, bmax, 5))))
    assert grid.shape == (5, 7) and np.all(np.isfinite(grid))


def test_every_path_lies_inside_the_fitted_window():
    rec = recording()
    amin, amax, bmin, bmax = rec.surface.window
    for run in rec.runs:
        assert np.all((run.positions[:, 0] > amin) & (run.positions[:, 0] < amax))
        assert np.all((run.positions[:, 1] > bmin) & (run.positions[:, 1] < bmax))
    assert rec.start == tuple(rec.runs[0].positions[0])


def test_sgd_uses_real_minibatches():
    s = get_surface(SMALL)
    gd, full, small, again = (
        record(s, specs(t), steps=10, seed=seed).runs[0]
        for t, seed in (
            ("gd:lr=0.5", 0),
            ("sgd:lr=0.5,batch=48", 0),
            ("sgd:lr=0.5", 0),
            ("sgd:lr=0.5", 0),
        )
    )
    np.testing.assert_allclose(full.params, gd.params, atol=1e-12)  # one batch of every sample
    assert not np.allclose(small.params, gd.params)
    np.testing.assert_array_equal(small.params, again.params)  # seeded
    other = record(s, specs("sgd:lr=0.5"), steps=10, seed=1).runs[0]
    assert not np.allclose(other.params, small.params)


def test_random_plane_holds_less_of_the_paths_than_pca():
    rec = recording(SMALL + ",plane=random")
    assert rec.plane.kind == "random"
    assert rec.plane.explained < recording().plane.explained
    assert "random plane" in rec.note


def test_readouts_and_trace_columns():
    run = recording().runs[1]
    lines = run.readout(30).splitlines()
    assert lines[0].startswith("test acc ") and "off-plane" in lines[0]
    gap = run.losses[30] - run.plane_losses[30]
    assert lines[1] == f"loss − contour {gap:+.3f}"
    assert set(run.trace_columns()) == {"plane_loss", "off_plane", "test_accuracy"}
    assert recording().loss_floor == 0.0


def test_fit_window_keeps_equal_scales_and_a_drawable_aspect():
    lo_x, hi_x, lo_y, hi_y = fit_window(np.array([[-10.0, -0.01], [0.0, 0.01]]))
    assert (hi_y - lo_y) / (hi_x - lo_x) == pytest.approx(0.5)
    lo_x, hi_x, lo_y, hi_y = fit_window(np.array([[-0.1, -5.0], [0.0, 5.0]]))
    assert (hi_y - lo_y) / (hi_x - lo_x) == pytest.approx(1.0)


def test_bilinear_is_exact_at_nodes_and_its_gradient_matches_differences():
    xs, ys = np.linspace(0, 1, 4), np.linspace(-1, 1, 5)
    Z = np.random.default_rng(0).standard_normal((5, 4))
    f, grad = bilinear(xs, ys, Z)
    X, Y = np.meshgrid(xs, ys)
    np.testing.assert_allclose(f(np.stack([X, Y])), Z)
    p, h = np.array([0.4, 0.3]), 1e-6
    fd = [(f(p + e) - f(p - e)) / (2 * h) for e in (np.array([h, 0]), np.array([0, h]))]
    np.testing.assert_allclose(grad(p), fd, rtol=1e-6)


def test_a_given_window_is_the_plane_window():
    s = get_surface(SMALL)
    assert s.window == AUTO_WINDOW
    import dataclasses

    window = (-3.0, 1.0, -2.0, 2.0)
    rec = record(dataclasses.replace(s, window=window), specs("gd:lr=0.5"), steps=5)
    assert rec.surface.window == window


def test_start_does_not_apply():
    with pytest.raises(SpecError, match="start does not apply to mlp"):
        record(get_surface(SMALL), specs("gd"), start=(0.0, 0.0), steps=3)


# --- command line ---------------------------------------------------------------------


def test_trace_writes_projected_coordinates_and_true_losses(capsys):
    code = main(["trace", "-s", SMALL, "-O", "gd:lr=0.5", "--steps", "4"])
    out = capsys.readouterr().out
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert len(rows) == 5
    assert list(rows[0]) == [
        *("optimizer", "step", "x", "y", "loss", "lr", "spec"),
        *("plane_loss", "off_plane", "test_accuracy"),
    ]
    assert float(rows[-1]["x"]) == 0.0 and float(rows[-1]["off_plane"]) == 0.0


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["-s", "mlp:data=iris"], "data must be one of moons, circles, digits, got 'iris'"),
        (["-s", "mlp:hidden=0"], "hidden must be in [1, 256], got '0'"),
        (["-s", "mlp:plane=pcaa"], "plane must be one of pca, random"),
        (["-s", "mlp:depth=2"], "unknown key 'depth'"),
        (["-s", "mlp", "--start", "1,2"], "start does not apply to mlp"),
        (["-s", "mlp", "-O", "sgd:noise=1"], "noise applies to analytic surfaces"),
        (["-s", "mlp:samples=20", "-O", "sgd:batch=32"], "batch must be <= the dataset size 20"),
    ],
)
def test_bad_input_is_a_one_line_error(capsys, tmp_path, argv, message):
    out = tmp_path / "x.csv"
    code = main(["trace", *argv, "--steps", "2", "-o", str(out)])
    err = capsys.readouterr().err
    assert code == 2 and not out.exists()
    assert err.count("\n") == 1 and err.startswith("lossviz: error: ") and message in err


def test_digits_without_the_extra_is_a_one_line_error(capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "sklearn", None)
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)
    code = main(["trace", "-s", "mlp:data=digits", "--steps", "2"])
    err = capsys.readouterr().err
    assert code == 2
    assert err == "lossviz: error: data=digits needs scikit-learn: pip install 'lossviz[digits]'\n"


def test_rendered_frames_carry_the_live_readouts():
    from visualizer.drawing.render import FrameRenderer, RenderOptions

    renderer = FrameRenderer(recording(), RenderOptions(size=(480, 270), frames=2, loss_panel=True))
    assert renderer.legend.readout_lines == 2
    first, last = list(renderer.frames())
    assert first.shape == (270, 480, 4) and not np.array_equal(first, last)
    plain = record(get_surface("bowl"), specs("gd"), steps=2)
    assert FrameRenderer(plain, RenderOptions(size=(320, 180))).legend.readout_lines == 0


@pytest.mark.parametrize("view", ["contour", "both"])
@pytest.mark.parametrize("labels", [("gd", "sgd", "momentum"), ("gd", "sgd batch=64", "sgd 8")])
def test_the_loss_panel_leaves_room_for_the_live_readouts(view, labels):
    """At 1280x720 every entry keeps its hyperparameters and both readout lines."""
    import dataclasses

    from visualizer.drawing.render import FrameRenderer, RenderOptions

    rec = recording()  # long labels put the loss on a line of its own
    runs = [dataclasses.replace(r, label=t) for r, t in zip(rec.runs, labels, strict=True)]
    rec = dataclasses.replace(rec, runs=tuple(runs))
    renderer = FrameRenderer(rec, RenderOptions(view=view, loss_panel=True, frames=1))
    assert renderer.layout.loss is not None
    assert [len(stamps) for stamps in renderer.legend.readout_stamps] == [2, 2, 2]


# --- the gallery's claims ---------------------------------------------------------------


def gallery_recording(name: str) -> ModelRecording:
    """A shipped scene's runs; a coarse lattice, since no claim reads the drawn surface."""
    from visualizer.frontends.gallery import load_gallery

    (item,) = [s for s in load_gallery() if s.name == name]
    s = get_surface(item.scene.surface + (",grid=10" if ":" in item.scene.surface else ":grid=10"))
    steps = item.scene.steps
    rec = record(s, item.scene.optimizer_specs(s), steps=steps, seed=item.scene.seed)
    assert isinstance(rec, ModelRecording)
    return rec


def test_mlp_moons_shows_what_its_caption_says():
    rec = gallery_recording("mlp-moons")
    assert [r.label for r in rec.runs] == ["gd", "sgd", "momentum"]
    assert f"{rec.plane.explained:.1%}" == "99.0%"
    first = rec.runs[0]
    assert f"{first.off_plane[0]:.2f}" == "0.68"
    assert f"{first.losses[0] - first.plane_losses[0]:.2f}" == "0.25"
    # the README's account of the first step: the loss falls off the plane
    assert [f"{v:.2f}" for v in (first.losses[0], first.plane_losses[0])] == ["0.56", "0.31"]
    assert [f"{v:.2f}" for v in (first.losses[1], first.plane_losses[1])] == ["0.33", "0.30"]
    # momentum's own route: it ends furthest from the others on the plane's second axis
    ends = [abs(r.positions[r.last_step, 1]) for r in rec.runs]
    assert ends[2] > 3 * max(ends[:2])


def test_mlp_batch_shows_what_its_caption_says():
    rec = gallery_recording("mlp-batch")
    gd, b64, b8 = rec.runs
    assert (b64.spec.hyper["batch"], b8.spec.hyper["batch"]) == (64, 8)
    assert f"{b8.off_plane[-1]:.2f}" == "0.59" and f"{b64.off_plane[-1]:.2f}" == "0.35"
    assert f"{b8.losses[-1]:.2f}" == "0.22" and f"{gd.losses[-1]:.2f}" == "0.16"

    def roughness(run):  # how much the loss goes up and down along the way
        return float(np.sum(np.abs(np.diff(run.losses))) - (run.losses[0] - run.losses[-1]))

    assert roughness(gd) < roughness(b64) < roughness(b8)


def test_the_readme_random_plane_share():
    s = get_surface("mlp:plane=random,grid=10")
    rec = record(s, specs(*s.preset.optimizers))
    assert f"{rec.plane.explained:.1%}" == "7.6%"
