"""Test helpers: which ffmpeg encoders this machine has, as pytest parameters.

A format whose encoder is missing is skipped with the reason, as
matplotlib's own animation tests do.
"""

import functools
import re
import subprocess

import imageio_ffmpeg
import pytest


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
ALL_SUFFIXES = [GIF, MP4, WEBM, ".png"]
