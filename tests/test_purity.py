"""The maths (surfaces, optimizers, recorder) must not pull in plotting, I/O or the extras.

torch and optax are imported only when a torch:… or optax:… spec is run."""

import subprocess
import sys

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
