"""Tests for visualizer/bridges.py: torch.optim and optax optimizers as lossviz runs.

The checks that need torch or optax are in ``bridge_checks.py`` and run in one
child process per library (a process that has imported them has threads and must
not fork, and the render tests fork). They skip, with the reason, when the extra
is not installed; CI installs both (see .ci/run).
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest
from bridge_checks import CHECKS

from visualizer.frontends import cli
from visualizer.maths import bridges


@cache
def results(library: str) -> dict[str, str]:
    out = subprocess.run(
        [sys.executable, str(Path(__file__).with_name("bridge_checks.py")), library],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout)


@pytest.mark.parametrize(
    ("library", "name"),
    [(library, f.__name__) for library, checks in CHECKS.items() for f in checks],
)
def test_bridge(library, name):
    if importlib.util.find_spec(library) is None:  # found, not imported: see above
        pytest.skip(f"{library} (lossviz[{bridges.EXTRAS[library]}]) is not installed")
    outcome = results(library)[name]
    assert outcome == "ok", outcome


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


def test_values_are_parsed_and_written_back():
    texts = ("0.9", "3", "true", "none", "(0.9,0.99)", "strong_wolfe", "1e-08")
    values = [bridges.parse_value(t) for t in texts]
    assert values == [0.9, 3, True, None, (0.9, 0.99), "strong_wolfe", 1e-08]
    assert [bridges.format_value(v) for v in values] == [
        *("0.9", "3", "true", "none", "(0.9,0.99)", "strong_wolfe", "1e-08")
    ]
