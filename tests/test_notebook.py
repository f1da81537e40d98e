"""A notebook executed in a real Jupyter kernel: ``animate(...)`` shows an H.264 video.

nbclient runs the notebook on ipykernel (both in the test extras); the cell's output
must be a ``<video>`` with controls, autoplay and loop, and its text form one line;
``anim.show("gif")`` shows the GIF.
"""

from __future__ import annotations

import base64
import re

import pytest
from helpers import needs_encoder, video_frame_count

nbformat = pytest.importorskip("nbformat", reason="needs nbformat: pip install 'lossviz[test]'")
nbclient = pytest.importorskip("nbclient", reason="needs nbclient: pip install 'lossviz[test]'")
pytest.importorskip("ipykernel", reason="needs ipykernel: pip install 'lossviz[jupyter]'")

CELLS = [
    """\
from visualizer import animate
anim = animate("bowl", ["gd:lr=0.1", "momentum:lr=0.05"], steps=3, size=(96, 64))
anim""",
    'anim.show("gif")',
]


@needs_encoder("libx264")
@needs_encoder("gif")
def test_notebook_shows_an_h264_video_and_a_one_line_repr(tmp_path):
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in CELLS])
    client = nbclient.NotebookClient(
        notebook, timeout=120, kernel_name="python3", resources={"metadata": {"path": tmp_path}}
    )
    client.execute()
    (output,) = notebook.cells[0].outputs
    assert output.output_type == "execute_result"
    text = output.data["text/plain"]
    assert text == "<Animation bowl: gd, momentum; 19 frames at 60 fps, 96x64>"
    markup = output.data["text/html"]
    match = re.fullmatch(
        r'<video src="data:video/mp4;base64,([A-Za-z0-9+/=]+)"(.*)></video>', markup
    )
    assert match, markup[:100]
    for attribute in ("controls", "autoplay", "loop", "muted"):
        assert attribute in match.group(2).split(), attribute
    video = tmp_path / "inline.mp4"
    video.write_bytes(base64.b64decode(match.group(1)))
    # 3 steps at 10 steps/s: 19 frames at 60 fps; the first holds 1 s (60 periods), 17
    # in-between frames, the last holds 3 s (180)
    assert video_frame_count(video) == 60 + 17 + 180
    assert "image/gif" not in output.data and "data:image/gif" not in markup
    # the GIF only where it is asked for
    (shown,) = notebook.cells[1].outputs
    assert shown.output_type == "display_data"
    assert shown.data["text/html"].startswith('<img src="data:image/gif;base64,R0lGOD')
