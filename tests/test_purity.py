"""The maths (surfaces, optimizers, recorder) must not pull in plotting or I/O libraries."""

import subprocess
import sys

MATHS = [
    "surfaces",
    "surfaces.analytic",
    "surfaces.expression",
    "surfaces.mlp",
    "surfaces.model",
    "surfaces.plane",
    "surfaces.regression",
    "surfaces.tuning",
    "visualizer.geometry",
    "visualizer.landscape",
    "visualizer.optimizers",
    "visualizer.recorder",
    "visualizer.specs",
    "visualizer.scene",
    "visualizer.options",
]


def test_maths_modules_import_numpy_only():
    code = (
        "import sys\n"
        + "".join(f"import {m}\n" for m in MATHS)
        + "bad = sorted(m for m in ('matplotlib', 'PIL', 'imageio', 'imageio_ffmpeg', 'tqdm')"
        " if m in sys.modules)\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"maths modules imported {out.stdout.strip()}"
