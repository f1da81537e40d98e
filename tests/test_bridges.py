"""Tests for visualizer/bridges.py: torch.optim and optax optimizers as lossviz runs.

The equivalence tests need the extras; they skip, with the reason, when one is
not installed (CI installs both: see .ci/run).
"""

from __future__ import annotations

import importlib

import numpy as np
import pytest

from surfaces import SpecError, get_surface
from visualizer import bridges, cli
from visualizer.recorder import record
from visualizer.specs import parse_optimizer

STEPS = 100


def needs(library: str):
    extra = bridges.EXTRAS[library]
    return pytest.importorskip(library, reason=f"{library} (lossviz[{extra}]) is not installed")


def max_gap(surface: str, a: str, b: str, steps: int = STEPS) -> float:
    """Largest coordinate gap between two runs, each recorded alone (so with the same rng)."""
    (ra,) = record(get_surface(surface), [a], steps=steps).runs
    (rb,) = record(get_surface(surface), [b], steps=steps).runs
    assert ra.diverged_at is None and rb.diverged_at is None
    return float(np.max(np.abs(ra.positions - rb.positions)))


# --- the same paths as the built-ins ---------------------------------------------------


@pytest.mark.parametrize(
    ("surface", "lr", "beta"), [("ravine", 0.004, 0.9), ("rosenbrock", 0.0004, 0.9)]
)
def test_torch_sgd_with_momentum_is_the_heavy_ball(surface, lr, beta):
    needs("torch")
    builtin = f"momentum:lr={lr},beta={beta}"
    assert max_gap(surface, builtin, f"torch:SGD:lr={lr},momentum={beta}") <= 1e-9


@pytest.mark.parametrize(
    "bridged", ["torch:Adam:lr=0.05", "optax:adam:learning_rate=0.05"], ids=["torch", "optax"]
)
@pytest.mark.parametrize("surface", ["rosenbrock", "himmelblau"])
def test_torch_and_optax_adam_are_the_builtin_adam(bridged, surface):
    needs(bridged.partition(":")[0])
    assert max_gap(surface, "adam:lr=0.05", bridged) <= 1e-9


def test_bridged_optimizers_take_schedules_and_minibatches():
    needs("torch")
    needs("optax")
    s = get_surface("rosenbrock")
    scheduled = ",schedule=step,gamma=0.5,every=20"
    assert (
        max_gap("rosenbrock", "adam:lr=0.05" + scheduled, "torch:Adam:lr=0.05" + scheduled) < 1e-9
    )
    rec = record(s, ["optax:adam:learning_rate=0.05,schedule=cosine"], steps=10)
    assert rec.runs[0].lrs[0] == 0.05 and rec.runs[0].lrs[-1] == 0.0
    # real minibatches: the same batches as the built-in for the same seed
    gap = max_gap(
        "regression:samples=256",
        "momentum:lr=0.1,beta=0.9,batch=16",
        "torch:SGD:lr=0.1,momentum=0.9,batch=16",
        steps=40,
    )
    assert gap <= 1e-9
    rec = record(get_surface("regression:samples=256"), ["optax:sgd:learning_rate=0.3,batch=8"])
    full = record(get_surface("regression:samples=256"), ["optax:sgd:learning_rate=0.3"])
    assert not np.array_equal(rec.runs[0].positions, full.runs[0].positions)


def test_values_keys_and_labels():
    needs("torch")
    spec = parse_optimizer("torch:Adam:lr=0.1,betas=(0.8,0.99),amsgrad=true,label=mine")
    assert spec.hyper["betas"] == (0.8, 0.99) and spec.hyper["amsgrad"] is True
    assert parse_optimizer(spec.text()) == spec
    assert spec.hyper_text() == "lr=0.1 betas=(0.8,0.99) amsgrad=true"
    assert parse_optimizer("torch:SGD").hyper["lr"] == 0.001  # torch's default, shown


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("torch:SDG:lr=0.1", ["unknown torch optimizer 'SDG'", "SGD"]),
        ("torch:SGD:lr=0.1,momentun=0.9", ["torch:SGD", "'momentun'", "momentum"]),
        ("torch:SGD:lr=-1", ["torch:SGD", "learning rate"]),
        ("torch:LBFGS:lr=0.1", ["torch:LBFGS"]),
        ("optax:adamm:learning_rate=0.1", ["'adamm'", "'adam'"]),
        ("optax:adam", ["optax:adam", "learning_rate is required"]),
        ("optax:adam:learning_rate=0.1,b3=1", ["'b3'", "b1"]),
    ],
)
def test_bad_bridged_specs_are_one_line_errors(text, words):
    needs(text.partition(":")[0])
    with pytest.raises(SpecError) as info:
        parse_optimizer(text)
    message = str(info.value)
    assert "\n" not in message
    for word in words:
        assert word in message


@pytest.mark.parametrize(("library", "spec"), [("torch", "torch:SGD"), ("optax", "optax:adam")])
def test_a_missing_extra_is_one_line_naming_it(monkeypatch, capsys, library, spec):
    real = importlib.import_module

    def refuse(name: str, *args: object):
        if name == library:
            raise ImportError(f"No module named {name!r}")
        return real(name, *args)

    monkeypatch.setattr(importlib, "import_module", refuse)
    assert cli.main(["trace", "-s", "bowl", "-O", spec, "--steps", "3"]) == 2
    err = capsys.readouterr().err
    assert err == f"lossviz: error: {spec} needs {library}: pip install 'lossviz[{library}]'\n"


def test_the_cli_runs_a_torch_optimizer(capsys):
    needs("torch")
    code = cli.main(
        ["trace", "-s", "ravine", "-O", "torch:SGD:lr=0.004,momentum=0.9", "--steps", "5"]
    )
    assert code == 0
    rows = capsys.readouterr().out.splitlines()
    assert rows[1].startswith("torch:SGD,0,") and len(rows) == 1 + 6
