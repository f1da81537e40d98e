"""Tests for visualizer/specs.py: optimizer specs, labels and presets."""

from __future__ import annotations

import pytest

from surfaces import SpecError, get_surface
from surfaces.params import split_spec
from visualizer.maths.specs import (
    OPTIMIZERS,
    labels_for,
    optimizer_names,
    parse_optimizer,
    resolve_optimizers,
)


def error(text: str) -> str:
    with pytest.raises(SpecError) as info:
        parse_optimizer(text)
    message = str(info.value)
    assert message and "\n" not in message
    return message


# --- valid specs ---------------------------------------------------------------------


def test_registry_has_every_optimizer_of_the_issue():
    assert optimizer_names() == [
        "gd",
        "sgd",
        "momentum",
        "nesterov",
        "adagrad",
        "rmsprop",
        "adam",
        "newton",
    ]


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_bare_name_gives_defaults(name):
    spec = parse_optimizer(name)
    assert spec.name == name
    assert spec.given == frozenset()
    assert spec.label is None
    assert dict(spec.hyper) == {h.name: h.default for h in OPTIMIZERS[name].hypers}


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_build_passes_the_rule_params_and_the_oracle_keeps_noise_and_batch(name):
    import inspect

    from visualizer.maths.specs import ORACLE_PARAMS

    info = OPTIMIZERS[name]
    factory_keys = set(inspect.signature(info.factory).parameters)
    assert factory_keys == {h.name for h in info.rule_params} | (
        {"hess"} if info.second_order else set()
    )
    oracle = {h.name for h in ORACLE_PARAMS}
    assert not oracle & factory_keys
    if info.stochastic:
        assert oracle <= {h.name for h in info.hypers}
    from surfaces import get_surface

    parse_optimizer(name).build(surface=get_surface("bowl"))  # no unexpected keyword


def test_values_are_parsed_and_marked_given():
    spec = parse_optimizer(" momentum : lr = 0.02 , beta = 0.5 ")
    assert spec.name == "momentum"
    assert spec.hyper == {"lr": 0.02, "beta": 0.5}
    assert spec.given == {"lr", "beta"}
    spec = parse_optimizer("sgd:batch=64")
    assert spec.hyper["batch"] == 64 and isinstance(spec.hyper["batch"], int)
    assert parse_optimizer("sgd:batch=64.0").hyper["batch"] == 64
    assert parse_optimizer("momentum:beta=0").hyper["beta"] == 0.0
    assert parse_optimizer("adam:lr=1e-3").hyper["lr"] == 1e-3


def test_label_sets_the_label_and_is_not_a_hyperparameter():
    spec = parse_optimizer("gd:lr=0.1,label=plain GD")
    assert spec.label == "plain GD"
    assert "label" not in spec.hyper
    assert spec.given == {"lr"}
    assert labels_for([spec]) == ["plain GD"]


@pytest.mark.parametrize(
    "text",
    ["gd", "gd:lr=0.5", "momentum:beta=0.5,lr=0.25", "sgd:batch=8,label=small", "adam:eps=1e-06"],
)
def test_text_round_trips(text):
    spec = parse_optimizer(text)
    assert parse_optimizer(spec.text()) == spec


# --- invalid specs ---------------------------------------------------------------------


def test_unknown_optimizer_lists_valid_names():
    message = error("adamw:lr=0.1")
    assert "'adamw'" in message
    for name in OPTIMIZERS:
        assert name in message


def test_unknown_key_lists_valid_keys():
    message = error("momentum:lr=0.1,kappa=0.9")
    assert "'kappa'" in message
    for key in ("lr", "beta", "label"):
        assert key in message
    message = error("gd:beta=0.9")
    assert "'beta'" in message and "lr" in message


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("gd:lr=0", ["lr", "> 0"]),
        ("gd:lr=-0.1", ["lr"]),
        ("gd:lr=abc", ["lr", "abc"]),
        ("gd:lr=inf", ["lr"]),
        ("gd:lr=nan", ["lr"]),
        ("momentum:beta=1", ["beta", "[0, 1)"]),
        ("momentum:beta=1.5", ["beta"]),
        ("momentum:beta=-0.1", ["beta"]),
        ("nesterov:beta=1", ["beta"]),
        ("adam:beta1=1", ["beta1"]),
        ("adam:beta2=1", ["beta2"]),
        ("rmsprop:rho=1", ["rho"]),
        ("adam:eps=0", ["eps"]),
        ("sgd:batch=1.5", ["batch", "integer"]),
        ("sgd:batch=abc", ["batch"]),
        ("sgd:batch=0", ["batch"]),
        ("sgd:noise=-1", ["noise"]),
        ("gd:", ["gd:"]),
        ("gd:lr", ["'lr'", "key=value"]),
        ("gd:lr=", ["key=value"]),
        ("gd:=1", ["key=value"]),
        ("gd:lr=1,lr=2", ["'lr'", "twice"]),
        ("gd:lr=1,,", ["key=value"]),
        ("", ["malformed"]),
        (":lr=1", ["malformed"]),
        ("gd:label=a,label=b", ["label"]),
    ],
)
def test_invalid_specs_raise_one_line_errors(text, words):
    message = error(text)
    for word in words:
        assert word in message, message


def test_split_spec_example():
    assert split_spec("momentum:lr=0.01,beta=0.9", kind="optimizer") == (
        "momentum",
        {"lr": "0.01", "beta": "0.9"},
    )


# --- labels -------------------------------------------------------------------------------


def labels(*texts: str) -> list[str]:
    return labels_for([parse_optimizer(t) for t in texts])


def test_labels_show_what_differs():
    assert labels("gd:lr=0.01", "gd:lr=0.05", "momentum") == [
        "gd lr=0.01",
        "gd lr=0.05",
        "momentum",
    ]
    assert labels("gd", "sgd", "momentum") == ["gd", "sgd", "momentum"]
    assert labels("momentum:beta=0.5", "momentum:beta=0.9") == [
        "momentum beta=0.5",
        "momentum beta=0.9",
    ]
    assert labels("sgd:lr=0.3,batch=256", "sgd:lr=0.3,batch=32") == [
        "sgd batch=256",
        "sgd batch=32",
    ]
    assert labels("momentum:lr=0.1,beta=0.5", "momentum:lr=0.2,beta=0.9") == [
        "momentum lr=0.1 beta=0.5",
        "momentum lr=0.2 beta=0.9",
    ]


@pytest.mark.parametrize(
    "texts",
    [
        ("gd", "gd"),
        ("gd", "gd", "gd"),
        ("gd:lr=0.1", "gd:lr=0.1", "gd:lr=0.2"),
        ("gd:label=a", "momentum:label=a"),
        ("gd:label=gd", "gd:lr=0.5"),
        ("gd", "gd", "gd:label=gd #2"),
        ("gd:label=gd #2", "gd", "gd"),
        ("gd:label=sgd", "sgd"),
    ],
)
def test_labels_are_unique(texts):
    got = labels(*texts)
    assert len(got) == len(texts)
    assert len(set(got)) == len(got), got


def test_duplicate_specs_are_numbered():
    assert labels("gd", "gd") == ["gd", "gd #2"]


# --- presets -------------------------------------------------------------------------------

PRESET = ("gd:lr=0.0195", "sgd:lr=0.0195,noise=2", "momentum:lr=0.0041,beta=0.9")


def test_no_user_specs_gives_the_preset():
    specs = resolve_optimizers([], PRESET)
    assert [s.name for s in specs] == ["gd", "sgd", "momentum"]
    assert specs[2].hyper == {"lr": 0.0041, "beta": 0.9}


def test_spec_without_keys_takes_the_preset_values():
    (mom,) = resolve_optimizers(["momentum"], PRESET)
    assert mom.hyper == {"lr": 0.0041, "beta": 0.9}
    (sgd,) = resolve_optimizers(["sgd"], PRESET)
    assert sgd.hyper["lr"] == 0.0195 and sgd.hyper["noise"] == 2.0


def test_user_keys_override_the_preset():
    (mom,) = resolve_optimizers(["momentum:beta=0.5"], PRESET)
    assert mom.hyper == {"lr": 0.0041, "beta": 0.5}
    (mom,) = resolve_optimizers(["momentum:lr=0.1,label=fast"], PRESET)
    assert mom.hyper == {"lr": 0.1, "beta": 0.9}
    assert mom.label == "fast"


def test_optimizer_not_in_the_preset_gets_defaults():
    (adam,) = resolve_optimizers(["adam"], PRESET)
    assert dict(adam.hyper) == {h.name: h.default for h in OPTIMIZERS["adam"].hypers}


def test_first_preset_entry_of_a_name_is_used():
    preset = ("gd:lr=0.3", "sgd:lr=0.3,batch=256", "sgd:lr=0.3,batch=32")
    (sgd,) = resolve_optimizers(["sgd"], preset)
    assert sgd.hyper["batch"] == 256


def test_ravine_preset_flows_into_a_bare_momentum():
    surface = get_surface("ravine:kappa=50")
    (mom,) = resolve_optimizers(["momentum"], surface.preset.optimizers)
    preset_mom = next(p for p in surface.preset.optimizers if p.startswith("momentum"))
    assert mom.hyper == parse_optimizer(preset_mom).hyper


def test_resolve_reports_user_errors():
    with pytest.raises(SpecError, match="unknown optimizer"):
        resolve_optimizers(["nope"], PRESET)
    with pytest.raises(SpecError, match="beta"):
        resolve_optimizers(["momentum:beta=1"], PRESET)


def test_control_key_marks_a_control_run_and_round_trips():
    spec = parse_optimizer("gd:lr=0.041,control=true")
    assert spec.control and parse_optimizer(spec.text()).control
    assert not parse_optimizer("gd:lr=0.041").control
    assert not parse_optimizer("gd:control=false").control
    with pytest.raises(SpecError, match="control must be true or false"):
        parse_optimizer("gd:control=1")
    # a spec taking the preset's values does not become a control by it
    (gd,) = resolve_optimizers(["gd"], ["gd:lr=0.5,control=true"])
    assert not gd.control and gd.hyper["lr"] == 0.5
