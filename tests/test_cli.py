"""Tests for visualizer/frontends/cli.py: ``lossviz list`` and ``lossviz trace``."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import ROOT, run_main

from surfaces import SURFACES, get_surface
from visualizer.maths.specs import OPTIMIZERS


def rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


# --- list ---------------------------------------------------------------------------------


def test_list_names_every_surface_and_optimizer(capsys):
    code, out, err = run_main(capsys, "list")
    assert code == 0 and err == ""
    for name in SURFACES:
        assert f"  {name} " in out
    for name in OPTIMIZERS:
        assert f"  {name} " in out
    assert "kappa=100" in out


def test_list_json(capsys):
    code, out, err = run_main(capsys, "list", "--json")
    assert code == 0 and err == ""
    data = json.loads(out)
    surfaces = {s["name"]: s for s in data["surfaces"]}
    assert list(surfaces) == list(SURFACES)
    for name, entry in surfaces.items():
        s = get_surface(name)
        assert entry["formula"] == s.formula
        assert entry["window"] == list(s.window)
        assert entry["minima"] == [list(m) for m in s.minima]
        assert entry["preset"]["optimizers"] == list(s.preset.optimizers)
        assert entry["preset"]["steps"] == s.preset.steps
        assert isinstance(entry["preset"]["note"], str) and entry["preset"]["note"]
    assert surfaces["ravine"]["params"] == {"kappa": 100.0}
    optimizers = {o["name"]: o for o in data["optimizers"]}
    assert list(optimizers) == list(OPTIMIZERS)
    assert optimizers["momentum"]["hyperparameters"] == {"lr": 0.01, "beta": 0.9}
    assert optimizers["momentum"]["ranges"]["beta"] == "in [0, 1)"


def _python(*args: str) -> subprocess.CompletedProcess[str]:
    """``python ARGS`` from the repository root, without a screen."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "MPLBACKEND": "Agg"}
    return subprocess.run(
        [sys.executable, *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=60,
        check=False,
    )


def test_module_entry_point_runs():
    done = _python("-m", "visualizer", "list")
    assert done.returncode == 0, done.stderr
    assert "ravine" in done.stdout and "momentum" in done.stdout


def test_the_command_runs_exit_handlers_and_flushes_at_its_ordinary_exit():
    code = (
        "import atexit, sys\n"
        "from visualizer.frontends.cli import run\n"
        "atexit.register(lambda: print('handler ran', file=sys.stderr))\n"
        "sys.argv[1:] = ['list', '--json']\n"
        "run()\n"
    )
    done = _python("-c", code)
    assert done.returncode == 0, done.stderr
    assert done.stderr == "handler ran\n"
    assert json.loads(done.stdout)["surfaces"]  # all of it, flushed
    failed = _python("-c", code.replace("'list', '--json'", "'list', '--nope'"))
    assert failed.returncode == 2
    assert failed.stderr.endswith("handler ran\n")


def test_a_quiet_render_loads_no_progress_bar_and_leaves_kwdoc_alone(tmp_path):
    """``import_plotting`` imports matplotlib as it is: its docstrings are its own."""
    out = tmp_path / "a.gif"
    code = (
        "import sys\n"
        "from visualizer.frontends.cli import main\n"
        "status = main(['render', '-q', '--frames', '3', '--size', '96x64', '-o', sys.argv[1]])\n"
        "import matplotlib.artist, matplotlib.lines\n"
        "print(status, 'tqdm' in sys.modules, matplotlib.artist.kwdoc.__module__,\n"
        "      'linewidth' in matplotlib.artist.kwdoc(matplotlib.lines.Line2D))\n"
    )
    done = _python("-c", code, str(out))
    assert done.stdout.split() == ["0", "False", "matplotlib.artist", "True"], done.stderr
    assert out.stat().st_size > 0


# --- trace ----------------------------------------------------------------------------------


def test_trace_default_is_the_ravine_preset(capsys):
    code, out, err = run_main(capsys, "trace")
    assert code == 0
    assert err == (
        "lossviz: note: gd lr=0.041 left the picture at step 1, diverged at step 5;"
        " its rows stop at step 4\n"
    )
    assert out.splitlines()[0] == "optimizer,step,x,y,loss,lr,spec,f_evals,grad_evals,hess_evals"
    table = rows(out)
    steps = get_surface("ravine").preset.steps
    labels = [r["optimizer"] for r in table]
    tuned = ["gd lr=0.0195", "sgd", "momentum"]
    # the last run is the control, gd at momentum's lr/(1 − β): it diverges, so its rows stop
    assert list(dict.fromkeys(labels)) == [*tuned, "gd lr=0.041"]
    for label in tuned:
        assert [int(r["step"]) for r in table if r["optimizer"] == label] == list(range(steps + 1))
    first = table[0]
    assert (float(first["x"]), float(first["y"])) == get_surface("ravine").start
    for r in table:
        x, y, loss = float(r["x"]), float(r["y"]), float(r["loss"])
        assert loss == pytest.approx(0.5 * (x**2 + 100 * y**2), rel=1e-12)


def test_trace_flags(capsys):
    code, out, _ = run_main(
        capsys,
        "trace",
        "-s",
        "bowl",
        "-O",
        "gd:lr=0.5",
        "-O",
        "gd:lr=0.25",
        "--start=2,0",
        "--steps",
        "3",
    )
    assert code == 0
    table = rows(out)
    assert [(r["optimizer"], r["x"]) for r in table] == [
        ("gd lr=0.5", "2.0"),
        ("gd lr=0.5", "1.0"),
        ("gd lr=0.5", "0.5"),
        ("gd lr=0.5", "0.25"),
        ("gd lr=0.25", "2.0"),
        ("gd lr=0.25", "1.5"),
        ("gd lr=0.25", "1.125"),
        ("gd lr=0.25", "0.84375"),
    ]


def test_trace_seed_changes_only_sgd(capsys):
    args = ("trace", "-s", "bowl", "--steps", "10")
    _, a, _ = run_main(capsys, *args, "--seed", "1")
    _, b, _ = run_main(capsys, *args, "--seed", "2")
    _, c, _ = run_main(capsys, *args, "--seed", "1")
    assert a == c
    ra, rb = rows(a), rows(b)
    for x, y in zip(ra, rb, strict=True):
        spec_a, spec_b = x.pop("spec"), y.pop("spec")  # the scene, with its seed, on step 0
        assert x["step"] != "0" or (spec_a.endswith("--seed 1") and spec_b.endswith("--seed 2"))
        assert (x == y) == (x["optimizer"] != "sgd" or x["step"] == "0")


def test_output_file_equals_stdout(capsys, tmp_path):
    args = ("trace", "-s", "saddle", "--steps", "30")
    code, out, _ = run_main(capsys, *args)
    assert code == 0
    target = tmp_path / "out.csv"
    code, out_file, err = run_main(capsys, *args, "-o", str(target))
    assert code == 0 and out_file == "" and "diverged" in err  # the preset's control run
    runs = {line.split(",")[0] for line in out.splitlines()[1:]}
    rows = len(out.splitlines()) - 1
    assert err.splitlines()[-1] == f"wrote {target} ({rows} rows, {len(runs)} runs)"
    assert target.read_bytes() == out.encode("utf-8")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv"]  # no temp files left


def test_config_file_with_a_flag_override(capsys, tmp_path):
    config = tmp_path / "scene.toml"
    config.write_text(
        'surface = "bowl"\noptimizers = ["gd:lr=0.5"]\nstart = [2.0, 0.0]\nsteps = 10\n',
        encoding="utf-8",
    )
    code, out, err = run_main(capsys, "trace", "--config", str(config))
    assert code == 0, err
    table = rows(out)
    assert {r["optimizer"] for r in table} == {"gd"}
    assert [int(r["step"]) for r in table] == list(range(11))
    code, out, err = run_main(
        capsys, "trace", "--config", str(config), "--steps", "3", "--start=4,0"
    )
    assert code == 0, err
    table = rows(out)
    assert [int(r["step"]) for r in table] == [0, 1, 2, 3]
    assert [float(r["x"]) for r in table] == [4.0, 2.0, 1.0, 0.5]


def test_diverged_run_has_a_note_and_its_rows_stop(capsys):
    code, out, err = run_main(
        capsys, "trace", "-s", "bowl", "-O", "gd:lr=10", "-O", "momentum:lr=0.1", "--steps", "20"
    )
    assert code == 0
    notes = err.splitlines()
    assert len(notes) == 1
    assert notes[0].startswith("lossviz: note: gd left the picture at step ")
    diverged_at = int(notes[0].split("diverged at step ")[1].split(";")[0])
    assert 1 <= diverged_at <= 20
    table = rows(out)
    gd_steps = [int(r["step"]) for r in table if r["optimizer"] == "gd"]
    assert gd_steps == list(range(diverged_at))
    assert f"rows stop at step {diverged_at - 1}" in notes[0]
    assert [int(r["step"]) for r in table if r["optimizer"] == "momentum"] == list(range(21))
    assert all(r["x"] not in ("nan", "inf", "-inf") for r in table)


# --- errors ---------------------------------------------------------------------------------


@pytest.fixture
def configs(tmp_path):
    invalid = tmp_path / "invalid.toml"
    invalid.write_text('surface = "bowl\n', encoding="utf-8")
    unknown = tmp_path / "unknown.toml"
    unknown.write_text('surface = "bowl"\nspeed = 3\n', encoding="utf-8")
    return {"invalid": str(invalid), "unknown": str(unknown), "missing": str(tmp_path / "no.toml")}


ERRORS = {
    "unknown surface": (["-s", "volcano"], "volcano"),
    "unknown optimizer": (["-O", "adamw"], "adamw"),
    "unknown key": (["-O", "gd:gamma=1"], "gamma"),
    "lr zero": (["-O", "gd:lr=0"], "lr"),
    "beta one": (["-O", "momentum:beta=1"], "beta"),
    "steps zero": (["--steps", "0"], "steps"),
    "steps abc": (["--steps", "abc"], "steps"),
    "start one number": (["--start=1"], "start"),
    "window reversed": (["--window=1,0,0,1"], "window"),
    "malformed expression": (["-s", "x+"], ""),
    "missing config": (["--config", "{missing}"], "no.toml"),
    "invalid config": (["--config", "{invalid}"], "invalid.toml"),
    "config unknown key": (["--config", "{unknown}"], "speed"),
    "batch on analytic": (["-s", "bowl", "-O", "sgd:batch=8"], "batch"),
    "unknown option": (["--bogus"], "--bogus"),
    "steps without value": (["--steps"], "steps"),
}


@pytest.mark.parametrize("case", ERRORS)
def test_errors_are_one_line_exit_2_and_write_nothing(capsys, tmp_path, configs, case):
    argv, word = ERRORS[case]
    argv = [a.format(**configs) for a in argv]
    target = tmp_path / "out.csv"
    code, out, err = run_main(capsys, "trace", *argv, "-o", str(target))
    assert code == 2
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("lossviz: error: ")
    assert "Traceback" not in err
    assert word in lines[0]
    assert out == ""
    assert not target.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        Path(p).name for p in configs.values() if Path(p).exists()
    )


@pytest.mark.parametrize(
    ("output", "word"),
    [("file.txt/out.csv", "file.txt' is not a folder"), ("out.txt", "must end with .csv")],
)
def test_bad_output_paths(capsys, tmp_path, output, word):
    (tmp_path / "file.txt").write_text("a file, not a folder")
    target = tmp_path / output
    code, out, err = run_main(capsys, "trace", "-s", "bowl", "-o", str(target))
    assert code == 2
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("lossviz: error: ")
    assert word in lines[0]
    assert out == ""
    assert not target.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["file.txt"]


def test_output_into_a_folder_is_an_error(capsys, tmp_path):
    folder = tmp_path / "dir.csv"
    folder.mkdir()
    code, _, err = run_main(capsys, "trace", "-s", "bowl", "-o", str(folder))
    assert code == 2 and err.startswith("lossviz: error: ") and len(err.splitlines()) == 1


@pytest.mark.parametrize("argv", [["frobnicate"], ["list", "--bogus"]])
def test_usage_errors(capsys, argv):
    code, out, err = run_main(capsys, *argv)
    assert code == 2
    assert out == ""
    assert len(err.splitlines()) == 1 and err.startswith("lossviz: error: ")


def test_errors_without_output_flag_print_nothing_on_stdout(capsys):
    code, out, err = run_main(capsys, "trace", "-s", "bowl", "-O", "gd:lr=-1")
    assert code == 2 and out == ""
    assert err == "lossviz: error: gd: lr must be > 0, got '-1'\n"


def test_list_says_how_each_hessian_is_computed_and_names_scipy(capsys):
    import json

    code, out, _ = run_main(capsys, "list")
    assert code == 0
    assert "Hessian  analytic" in out and "newton" in out and "scipy:METHOD" in out
    assert "Nelder-Mead" in out and "lossviz[scipy]" in out
    code, out, _ = run_main(capsys, "list", "--json")
    hessians = {s["name"]: s["hessian"] for s in json.loads(out)["surfaces"]}
    assert hessians["saddle"] == "analytic"
    assert hessians["logistic"] == "central differences of the gradient"
