"""The maths (surfaces, optimizers, recorder) must not pull in plotting, I/O or the extras,
and imports point one way between the packages, with no cycle.

torch and optax are imported only when a torch:… or optax:… spec is run."""

import ast
import subprocess
import sys
from pathlib import Path

MATHS = [
    "surfaces",
    "surfaces.analytic",
    "surfaces.expression",
    "surfaces.logistic",
    "surfaces.mlp",
    "surfaces.model",
    "surfaces.plane",
    "surfaces.regression",
    "surfaces.tuning",
    "visualizer.drawing.geometry",
    "visualizer.maths.bridges",
    "visualizer.maths.landscape",
    "visualizer.maths.optimizers",
    "visualizer.maths.recorder",
    "visualizer.maths.recording",
    "visualizer.maths.schedules",
    "visualizer.maths.specs",
    "visualizer.scene.scene",
    "visualizer.scene.options",
    "visualizer.maths.tune",
]


def test_maths_modules_import_numpy_only():
    code = (
        "import sys\n"
        + "".join(f"import {m}\n" for m in MATHS)
        + "bad = sorted(m for m in ('matplotlib', 'PIL', 'imageio', 'imageio_ffmpeg', 'tqdm',"
        " 'torch', 'jax', 'optax')"
        " if m in sys.modules)\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"maths modules imported {out.stdout.strip()}"


# --- the direction of imports ------------------------------------------------------------

ROOT = Path(__file__).resolve().parents[1]
#: Each package and its layer: a module imports only from lower layers or its own package
#: (``frontends -> drawing, encoding -> scene -> maths -> surfaces``).
LAYERS = {
    "surfaces": 0,
    "visualizer.maths": 1,
    "visualizer.scene": 2,
    "visualizer.drawing": 3,
    "visualizer.encoding": 3,
    "visualizer.frontends": 4,
    "visualizer": 5,  # the package itself (animate, python -m visualizer)
}
#: Imports that still point the wrong way, each with why; the test fails on any other,
#: and on one of these that is gone (so the list only shrinks).
KNOWN = {
    ("surfaces.tuning", "visualizer.maths.optimizers"): "the ravine preset's brute force"
    " runs the momentum optimizer (to move up into the maths, or take the loop injected)",
    ("visualizer.scene.options", "visualizer.drawing.theme"): "the theme names",
    ("visualizer.encoding.player", "visualizer.drawing.theme"): "the page's colours",
    ("visualizer.encoding.explore", "visualizer.drawing.theme"): "the page's colours",
    ("visualizer.encoding.explore", "visualizer.drawing.backdrop"): "the page's backdrop",
    ("visualizer.drawing.render", "visualizer.encoding.files"): "an orbit worker's signals",
    ("visualizer.drawing.render", "visualizer.encoding.processes"): "an orbit pool's cores",
    ("visualizer.drawing.render", "visualizer.encoding.pacing"): "frame timing (to scene?)",
}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {
    _module_name(p): p
    for folder in ("surfaces", "visualizer")
    for p in (ROOT / folder).rglob("*.py")
}


def _imports(path: Path) -> set[str]:
    """The project modules ``path`` imports, lazy (inside functions) ones included;
    imports only for type checkers (``if TYPE_CHECKING:``) are not run and not counted."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    typing_only = {
        id(inner)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
        for inner in ast.walk(node)
    }
    found = set()
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found |= {f"{node.module}.{a.name}" for a in node.names}
    return {name for name in found if name in MODULES}


GRAPH = {name: _imports(path) - {name} for name, path in MODULES.items()}


def _package(name: str) -> str:
    return max((p for p in LAYERS if name == p or name.startswith(p + ".")), key=len)


def test_imports_point_one_way():
    wrong = {
        (name, target)
        for name, targets in GRAPH.items()
        for target in targets
        if _package(target) != _package(name) and LAYERS[_package(target)] >= LAYERS[_package(name)]
    }
    assert wrong - set(KNOWN) == set(), "imports that point up or sideways"
    assert set(KNOWN) - wrong == set(), "fixed: take these out of KNOWN"


def test_surfaces_import_nothing_of_the_app_but_the_known_preset():
    upward = {(n, t) for n, ts in GRAPH.items() if n.startswith("surfaces") for t in ts}
    upward = {(n, t) for n, t in upward if t.startswith("visualizer")}
    assert upward == {("surfaces.tuning", "visualizer.maths.optimizers")}


def test_no_import_cycle_lazy_imports_included():
    # Tarjan's strongly connected components over every module's imports
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in GRAPH[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for v in sorted(GRAPH):
        if v not in index:
            visit(v)
    assert cycles == []


def test_the_scan_sees_lazy_imports_and_a_cycle():
    assert "visualizer.maths.landscape" in GRAPH["visualizer.maths.recorder"]
    assert "visualizer.frontends.animation" in GRAPH["visualizer"]  # inside __getattr__
    assert "visualizer.maths.recorder" not in GRAPH["visualizer.maths.landscape"]  # not any more


def test_package_inits_are_light():
    code = (
        "import sys\n"
        "import visualizer, visualizer.maths, visualizer.scene, visualizer.encoding\n"
        "import visualizer.drawing, visualizer.frontends, visualizer.encoding.formats\n"
        "print(','.join(m for m in ('matplotlib', 'PIL', 'imageio') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
