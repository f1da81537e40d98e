"""Helpers shared by the test modules: one copy of each, imported as ``from helpers import ...``.

- ``TINY`` / ``TINY_SIZES`` / :func:`write_scenes`: two tiny gallery scenes and a writer for
  scene folders (the gallery, browser and player tests render them).
- :func:`run_main`: call ``visualizer.frontends.cli.main`` in-process and capture its output.
- :func:`rec_of`: a recording from a surface name and optimizer specs.
- :func:`gif_frames`: a GIF's decoded frames and delays, read with Pillow.
- :func:`examples`: how many examples a hypothesis test tries: a quick count for the README's
  test command, a deeper one when ``LOSSVIZ_FUZZ=deep`` (CI runs ``pytest -m fuzz`` so).
- :func:`needs_encoder`, ``GIF``/``MP4``/``WEBM``/``HTML``/``ALL_SUFFIXES``/
  ``RENDER_SUFFIXES``: skip a format whose ffmpeg
  encoder is missing, with the reason, as matplotlib's own animation tests do.
"""

from __future__ import annotations

import functools
import io
import os
import re
import subprocess
from pathlib import Path

import imageio_ffmpeg
import numpy as np
import pytest
from PIL import Image

from surfaces import get_surface
from visualizer.maths.recorder import Recording, record
from visualizer.maths.specs import parse_optimizer

ROOT = Path(__file__).resolve().parents[1]
OUTPUTS = ROOT / "outputs"

# --- scenes ----------------------------------------------------------------------------------

#: Two tiny gallery scenes. The file names sort the other way round from ``order``; the title
#: and caption hold characters HTML must escape; ``b-surface`` has odd sides (the MP4 is padded).
TINY = {
    "a-contour": """\
order = 2
title = "Contour & <loss> panel"
caption = "GD in a bowl; the loss panel's curve falls & flattens."
surface = "bowl"
optimizers = ["gd:lr=0.1", "momentum:lr=0.05"]
steps = 6
size = "160x90"
loss_panel = true
""",
    "b-surface": """\
order = 1
title = "The ravine in 3D"
caption = "The same runs, drawn on the surface."
surface = "ravine"
view = "surface"
steps = 6
size = "191x107"  # odd: the MP4 is padded to 192x108
""",
}
#: ``TINY``'s scenes in gallery order, and their frame sizes.
TINY_ORDER = ["b-surface", "a-contour"]
TINY_SIZES = {"a-contour": (160, 90), "b-surface": (191, 107)}


def write_scenes(folder: Path, scenes: dict[str, str]) -> Path:
    """Write ``{name: toml_text}`` as ``folder/name.toml`` files; returns ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in scenes.items():
        (folder / f"{name}.toml").write_text(text, encoding="utf-8")
    return folder


# --- running things --------------------------------------------------------------------------


def run_main(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """``main(argv)`` in-process: its exit status, stdout and stderr."""
    from visualizer.frontends.cli import main  # here: the numpy-only tests import no plotting

    capsys.readouterr()
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def rec_of(surface: str, *specs: str, steps: int = 3, start=None) -> Recording:
    """The recording of optimizers ``specs`` on ``surface`` for ``steps`` steps."""
    return record(
        get_surface(surface), [parse_optimizer(s) for s in specs], start=start, steps=steps
    )


# --- reading media ---------------------------------------------------------------------------


def gif_frames(source: bytes | Path) -> tuple[list[np.ndarray], list[int], Image.Image]:
    """Decoded RGB frames and their durations in ms, read with Pillow, and the image."""
    image = Image.open(io.BytesIO(source) if isinstance(source, bytes) else source)
    frames, durations = [], []
    for index in range(image.n_frames):
        image.seek(index)
        durations.append(image.info["duration"])
        frames.append(np.asarray(image.convert("RGB")))
    return frames, durations, image


def video_stream(path: Path) -> str:
    """The ``Video:`` line of ``ffmpeg -i path``."""
    exe = imageio_ffmpeg.get_ffmpeg_exe()
    done = subprocess.run([exe, "-hide_banner", "-i", str(path)], capture_output=True, text=True)
    return next(line for line in done.stderr.splitlines() if "Video:" in line)


def video_frame_count(path: Path) -> int:
    """How many frames ffmpeg decodes from the video at ``path``."""
    exe = imageio_ffmpeg.get_ffmpeg_exe()
    args = [exe, "-hide_banner", "-nostats", "-i", str(path), "-map", "0:v:0", "-f", "null", "-"]
    done = subprocess.run(args, capture_output=True, text=True)
    counts = re.findall(r"frame=\s*(\d+)", done.stderr)
    assert counts, done.stderr[-300:]
    return int(counts[-1])


# --- fuzzing ---------------------------------------------------------------------------------

#: ``LOSSVIZ_FUZZ=deep`` asks every fuzz test for its deep example count (CI's extra run).
DEEP_FUZZ = os.environ.get("LOSSVIZ_FUZZ", "").strip().lower() == "deep"


def examples(quick: int, deep: int) -> int:
    """``deep`` under ``LOSSVIZ_FUZZ=deep``, else ``quick`` (a test's hypothesis example count)."""
    return deep if DEEP_FUZZ else quick


# --- encoders --------------------------------------------------------------------------------


@functools.cache
def ffmpeg_encoders() -> str:
    """The ``ffmpeg -encoders`` listing of the bundled ffmpeg."""
    exe = imageio_ffmpeg.get_ffmpeg_exe()
    done = subprocess.run([exe, "-hide_banner", "-encoders"], capture_output=True, text=True)
    return done.stdout


def needs_encoder(name: str) -> pytest.MarkDecorator:
    """Skip unless the bundled ffmpeg has encoder ``name``."""
    return pytest.mark.skipif(
        re.search(rf"\s{re.escape(name)}\s", ffmpeg_encoders()) is None,
        reason=f"this ffmpeg has no {name} encoder",
    )


GIF = pytest.param(".gif", marks=needs_encoder("gif"))
MP4 = pytest.param(".mp4", marks=needs_encoder("libx264"))
WEBM = pytest.param(".webm", marks=needs_encoder("libvpx-vp9"))
#: What a frame writer (:func:`visualizer.encoding.writers.writer_for`) writes.
ALL_SUFFIXES = [GIF, MP4, WEBM, ".png"]
#: What ``lossviz render`` and ``Animation.save`` write: those and the player page.
HTML = pytest.param(".html", marks=needs_encoder("libx264"))
RENDER_SUFFIXES = [*ALL_SUFFIXES, HTML]
