"""No private API of Python or of a dependency in lossviz's sources.

What used to be here, and why it went: reading ffmpeg's process out of
imageio-ffmpeg's generator frame (``gi_frame``/``f_locals``; ffmpeg is now our own
``subprocess.Popen``), ending the command with ``atexit._run_exitfuncs`` and
``os._exit`` (it exits normally), patching ``matplotlib.artist.kwdoc`` during
import, and walking argparse's ``_actions``/``_SubParsersAction`` or parsing its
English messages (the parser records its own flags and suggests with
``did_you_mean``). A 3D grid's colour, which matplotlib only reads from
``rcParams`` when the axes is made, is given that way
(``tests/test_views.py`` fails if matplotlib stops reading it).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SOURCES = sorted(
    p for folder in ("visualizer", "surfaces", "bench") for p in (ROOT / folder).rglob("*.py")
)

#: pattern: what it is
FORBIDDEN = {
    r"\bgi_frame\b|\bf_locals\b|\b_getframe\b": "reading a frame's locals",
    r"\bos\._exit\b": "os._exit (skips threading's exit hooks)",
    r"\b_run_exitfuncs\b": "atexit's private runner",
    r"\bkwdoc\b": "patching matplotlib's docstring writer",
    r"\._actions\b|\b_SubParsersAction\b|\._print_message\b": "argparse's internals",
    r"""re\.\w+\(\s*r?["'](invalid choice|unrecognized arguments)""": "argparse's messages",
    r"\._axinfo\b": "matplotlib's 3D axis internals",
    r"\bimageio_ffmpeg\._|\bimageio_ffmpeg\.write_frames\b": "imageio-ffmpeg's insides",
    r"IMAGEIO_FFMPEG_NO_PREVENT_SIGINT": "imageio-ffmpeg's start-up switch",
}


def test_the_sources_are_found():
    names = {p.relative_to(ROOT).as_posix() for p in SOURCES}
    assert "visualizer/frontends/cli.py" in names and "surfaces/base.py" in names


@pytest.mark.parametrize("pattern", FORBIDDEN, ids=list(FORBIDDEN.values()))
def test_no_private_api(pattern):
    found = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in SOURCES
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if re.search(pattern, line)
    ]
    assert found == [], f"{FORBIDDEN[pattern]}:\n" + "\n".join(found)


@pytest.mark.parametrize(
    "line",
    [
        'process = frames.gi_frame.f_locals["p"]',
        "os._exit(status)",
        "atexit._run_exitfuncs()",
        "artist.kwdoc = lambda _: ''",
        "for action in parser._actions:",
        "isinstance(action, argparse._SubParsersAction)",
        """choice = re.search(r"invalid choice: '([^']*)'", line)""",
        'axis._axinfo["grid"]["color"] = rgba',
        "monkeypatch.setattr(imageio_ffmpeg._io.subprocess, 'Popen', Spy)",
    ],
)
def test_the_scan_finds_what_it_looks_for(line):
    assert any(re.search(pattern, line) for pattern in FORBIDDEN)
