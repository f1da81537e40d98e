"""The gallery page in a real browser: every GIF shows and every MP4 plays in Chromium.

Chromium runs headless and is driven over the DevTools protocol on
``--remote-debugging-pipe`` (NUL-separated JSON on file descriptors 3 and 4),
so no extra package and no network port are needed. ``--dump-dom`` with
``--virtual-time-budget`` is not used: virtual time runs the page's timers far
ahead of the media clock, so videos were often dumped before they had played.

The tests skip only when no Chromium binary is found; if Chromium is there,
any failure to start it or to load the media fails the test.
"""

from __future__ import annotations

import base64
import contextlib
import csv
import fcntl
import io
import json
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from helpers import OUTPUTS, TINY, TINY_SIZES, write_scenes
from PIL import Image

from visualizer.encoding.writers import write_frames_to_all
from visualizer.frontends.animation import animate
from visualizer.frontends.cli import main

CHROMIUM_NAMES = ("chromium", "chromium-browser")
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
    "--mute-audio",
)
#: Real-time limits (seconds): one DevTools command, and the whole page check.
COMMAND_TIMEOUT = 20.0
PAGE_TIMEOUT = 45.0
#: Per-element limit inside the page (milliseconds).
ELEMENT_TIMEOUT_MS = 15_000


def find_chromium() -> str | None:
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return "/usr/bin/chromium" if os.access("/usr/bin/chromium", os.X_OK) else None


CHROMIUM = find_chromium()
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="no chromium binary (apt-get install chromium)"
)

# Runs in the page once it has loaded; returns a JSON string (NaN and Infinity kept as text).
CHECK_MEDIA_JS = """
(async (timeoutMs) => {
  const until = (target, ok, events) => new Promise((resolve) => {
    if (ok()) return resolve(true);
    const finish = (value) => {
      clearTimeout(timer);
      for (const e of events) target.removeEventListener(e, check);
      resolve(value);
    };
    const check = () => { if (ok()) finish(true); };
    const timer = setTimeout(() => finish(ok()), timeoutMs);
    for (const e of events) target.addEventListener(e, check);
  });
  const size = (el) => [Number(el.getAttribute('width')), Number(el.getAttribute('height'))];
  const mediaError = (el) => el.error ? `${el.error.code} ${el.error.message}` : null;
  const images = [];
  for (const img of document.querySelectorAll('img')) {
    await until(img, () => img.complete, ['load', 'error']);
    images.push({
      src: img.getAttribute('src'), size: size(img), complete: img.complete,
      natural: [img.naturalWidth, img.naturalHeight],
    });
  }
  const videos = [];
  for (const v of document.querySelectorAll('video')) {
    const r = {src: v.getAttribute('src'), poster: v.getAttribute('poster'), size: size(v)};
    r.metadata = await until(v, () => v.readyState >= 1 || v.error !== null,
                             ['loadedmetadata', 'error']);
    r.duration = String(v.duration);
    r.natural = [v.videoWidth, v.videoHeight];
    try { await v.play(); r.played = true; }
    catch (e) { r.played = false; r.playError = String(e); }
    const advanced = () => v.currentTime > 0 || (v.played.length > 0 && v.played.end(0) > 0);
    if (r.played) await until(v, () => advanced() || v.error !== null, ['timeupdate', 'error']);
    r.advanced = advanced();
    r.currentTime = v.currentTime;
    r.readyState = v.readyState;
    r.error = mediaError(v);
    v.pause();
    const poster = new Image();
    poster.src = v.poster;
    r.posterLoaded = await poster.decode().then(() => true, () => false);
    r.posterNatural = [poster.naturalWidth, poster.naturalHeight];
    videos.push(r);
  }
  return JSON.stringify({url: location.href, images, videos});
})
"""


# Moves the pipe ends given as argv[1:3] to fds 3 and 4, then runs argv[3:].
_LAUNCHER = (
    "import os, sys; r, w = int(sys.argv[1]), int(sys.argv[2]); "
    "os.dup2(r, 3); os.dup2(w, 4); os.close(r); os.close(w); os.execv(sys.argv[3], sys.argv[3:])"
)


class BrowserError(AssertionError):
    """Chromium failed, timed out or answered with an error."""


class Chromium:
    """Headless Chromium driven over ``--remote-debugging-pipe``.

    A context manager: on exit Chromium is asked to close, then its process
    group is killed, and its fresh profile folder is removed.
    """

    def __init__(self, binary: str) -> None:
        self.binary = binary
        self._next_id = 0
        self._buffer = b""
        self._messages: list[dict[str, Any]] = []
        self._stack = contextlib.ExitStack()

    def __enter__(self) -> Chromium:
        try:
            self._start()
        except BaseException:
            self._stack.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self._stack.close()

    def _start(self) -> None:
        folder = Path(
            self._stack.enter_context(tempfile.TemporaryDirectory(prefix="lossviz-chromium-"))
        )
        self.log_path = folder / "chromium.log"
        # Chromium reads commands from fd 3 and writes replies to fd 4. Its ends of the
        # pipes go above 10, so that moving them to 3 and 4 cannot clobber one another.
        cmd_r, cmd_w = os.pipe()
        rep_r, rep_w = os.pipe()
        high = [fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10) for fd in (cmd_r, rep_w)]
        for fd in (cmd_r, rep_w):
            os.close(fd)
        child_r, child_w = high
        self._w, self._r = cmd_w, rep_r
        self._stack.callback(os.close, rep_r)
        self._stack.callback(_close_quietly, cmd_w)
        argv = [
            sys.executable,
            "-c",
            _LAUNCHER,
            str(child_r),
            str(child_w),
            self.binary,
            *CHROMIUM_FLAGS,
            f"--user-data-dir={folder / 'profile'}",
            "--remote-debugging-pipe",
            "about:blank",
        ]
        try:
            with open(self.log_path, "wb") as log:
                self.proc = subprocess.Popen(
                    argv,
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    pass_fds=(child_r, child_w),
                    start_new_session=True,  # its own process group, killed as a whole
                    # Crash reports and caches go to the temporary folder too, not ~/.config.
                    env={
                        **os.environ,
                        "XDG_CONFIG_HOME": str(folder),
                        "XDG_CACHE_HOME": str(folder),
                    },
                )
        finally:
            os.close(child_r)
            os.close(child_w)
        # Registered after the profile folder, so it runs before the folder is removed.
        self._stack.callback(self._stop)
        self.send("Browser.getVersion")

    def _stop(self) -> None:
        if self.proc.poll() is None:
            with contextlib.suppress(BrowserError, OSError):
                self.send("Browser.close", timeout=5)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout=5)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGKILL)  # the browser and every helper left
        self.proc.wait(timeout=10)

    def log_tail(self, lines: int = 15) -> str:
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def _fail(self, message: str) -> BrowserError:
        return BrowserError(f"{message}\n--- chromium log (tail) ---\n{self.log_tail()}")

    def send(
        self,
        method: str,
        params: dict[str, Any] | None = None,
        *,
        session: str | None = None,
        timeout: float = COMMAND_TIMEOUT,
    ) -> dict[str, Any]:
        """Send one DevTools command and return its result."""
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if session is not None:
            message["sessionId"] = session
        data = json.dumps(message).encode() + b"\0"
        try:
            while data:
                data = data[os.write(self._w, data) :]
        except BrokenPipeError:
            raise self._fail(f"chromium exited before {method}") from None
        number = self._next_id
        reply = self.wait_for(lambda m: m.get("id") == number, timeout=timeout, what=method)
        if "error" in reply:
            raise self._fail(f"{method} failed: {reply['error']}")
        return reply.get("result", {})

    def wait_for(self, match: Any, *, timeout: float, what: str) -> dict[str, Any]:
        """The first message (reply or event) for which ``match(message)`` is true."""
        deadline = time.monotonic() + timeout
        while True:
            for i, message in enumerate(self._messages):
                if match(message):
                    return self._messages.pop(i)
            left = deadline - time.monotonic()
            if left <= 0:
                raise self._fail(f"no answer to {what} within {timeout:g} s")
            ready, _, _ = select.select([self._r], [], [], left)
            if not ready:
                continue
            chunk = os.read(self._r, 1 << 16)
            if not chunk:
                with contextlib.suppress(subprocess.TimeoutExpired):
                    self.proc.wait(timeout=5)
                raise self._fail(f"chromium exited (status {self.proc.poll()}) during {what}")
            self._buffer += chunk
            *complete, self._buffer = self._buffer.split(b"\0")
            self._messages += [json.loads(m) for m in complete if m]

    @contextlib.contextmanager
    def tab(self, url: str) -> Iterator[Tab]:
        """Open ``url`` in a new tab, wait for its load event, close the tab afterwards.

        The tab records the URL of every network request the page makes.
        """
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})[
            "sessionId"
        ]
        try:
            self.send("Page.enable", session=session)
            self.send("Network.enable", session=session)
            nav = self.send("Page.navigate", {"url": url}, session=session)
            if nav.get("errorText"):
                raise self._fail(f"cannot open {url}: {nav['errorText']}")
            self.wait_for(
                lambda m: (
                    m.get("method") == "Page.loadEventFired" and m.get("sessionId") == session
                ),
                timeout=COMMAND_TIMEOUT,
                what=f"the load event of {url}",
            )
            yield Tab(self, session)
        finally:
            with contextlib.suppress(BrowserError):
                self.send("Target.closeTarget", {"targetId": target})
            self._messages = [m for m in self._messages if m.get("sessionId") != session]

    def check_page(self, url: str) -> dict[str, Any]:
        """Open ``url`` and check its media (:data:`CHECK_MEDIA_JS`)."""
        with self.tab(url) as tab:
            return json.loads(tab.evaluate(f"{CHECK_MEDIA_JS}({ELEMENT_TIMEOUT_MS})"))


class Tab:
    """One open page of a :class:`Chromium`, attached over a flat session."""

    def __init__(self, browser: Chromium, session: str) -> None:
        self.browser = browser
        self.session = session

    def evaluate(self, expression: str, *, timeout: float = PAGE_TIMEOUT) -> Any:
        """The value of ``expression`` in the page (promises awaited)."""
        reply = self.browser.send(
            "Runtime.evaluate",
            {"expression": expression, "awaitPromise": True, "returnByValue": True},
            session=self.session,
            timeout=timeout,
        )
        if "exceptionDetails" in reply:
            raise self.browser._fail(f"the page script failed: {reply['exceptionDetails']}")
        return reply["result"].get("value")

    def press(self, key: str, code: int) -> None:
        """Press and release ``key`` (a DOM key name; ``code`` its Windows key code)."""
        for kind in ("rawKeyDown", "keyUp"):
            self.browser.send(
                "Input.dispatchKeyEvent",
                {"type": kind, "key": key, "code": key, "windowsVirtualKeyCode": code},
                session=self.session,
            )

    def requests(self) -> list[str]:
        """URLs of the requests the page has made so far."""
        return [
            m["params"]["request"]["url"]
            for m in self.browser._messages
            if m.get("sessionId") == self.session and m.get("method") == "Network.requestWillBeSent"
        ]


def _close_quietly(fd: int) -> None:
    with contextlib.suppress(OSError):
        os.close(fd)


def assert_media_ok(report: dict[str, Any], sizes: dict[str, tuple[int, int]]) -> None:
    """Every ``<img>`` and ``<video>`` of the page, one per scene, loaded at its size and plays."""
    images = {i["src"]: i for i in report["images"]}
    videos = {v["src"]: v for v in report["videos"]}
    assert sorted(images) == sorted(f"{n}.gif" for n in sizes), report
    assert sorted(videos) == sorted(f"{n}.mp4" for n in sizes), report
    problems = []
    for name, (w, h) in sizes.items():
        img, video = images[f"{name}.gif"], videos[f"{name}.mp4"]
        if img["size"] != [w, h]:
            problems.append(f"{name}.gif: <img> says {img['size']}, scene is {w}x{h}")
        if not (img["complete"] and img["natural"] == [w, h]):
            problems.append(f"{name}.gif did not load at {w}x{h}: {img}")
        duration = float(video["duration"])  # "NaN" and "Infinity" too
        checks = {
            "attributes": video["size"] == [w, h] and video["poster"] == f"{name}.png",
            "metadata": video["metadata"] and video["error"] is None,
            "duration": duration == duration and 0 < duration < float("inf"),
            # yuv420p needs even sides: the writer pads odd ones by a pixel
            "frame size": video["natural"] == [w + w % 2, h + h % 2],
            "play()": video["played"],
            "playback": video["advanced"] and video["readyState"] >= 2,
            "poster": video["posterLoaded"] and video["posterNatural"] == [w, h],
        }
        failed = [k for k, ok in checks.items() if not ok]
        if failed:
            problems.append(f"{name}.mp4 failed {', '.join(failed)}: {video}")
    assert not problems, "\n".join(problems)


@pytest.fixture(scope="module")
def browser():
    assert CHROMIUM is not None
    with Chromium(CHROMIUM) as chromium:
        yield chromium


@needs_chromium
def test_tiny_gallery_in_chromium(tmp_path, browser):
    scenes = write_scenes(tmp_path / "scenes", TINY)
    out = tmp_path / "out"
    out.mkdir()
    assert main(["gallery", "-o", str(out), "--scenes", str(scenes), "-q"]) == 0
    report = browser.check_page((out / "index.html").as_uri())
    assert_media_ok(report, TINY_SIZES)
    assert sorted(check_players(browser, out / "index.html")) == sorted(TINY)


@needs_chromium
def test_check_fails_on_broken_media(tmp_path, browser):
    """The check is not vacuous: a truncated MP4 and a missing GIF are caught."""
    page = tmp_path / "index.html"
    (tmp_path / "x.mp4").write_bytes(b"\0\0\0\x20ftypisom" + bytes(200))
    (tmp_path / "x.png").write_bytes(b"")
    page.write_text(
        '<img src="x.gif" width="160" height="90">'
        '<video src="x.mp4" poster="x.png" width="160" height="90" muted></video>',
        encoding="utf-8",
    )
    report = browser.check_page(page.as_uri())
    with pytest.raises(AssertionError) as failed:
        assert_media_ok(report, {"x": (160, 90)})
    message = str(failed.value)
    assert "x.gif did not load" in message
    assert "x.mp4 failed" in message and "playback" in message and "poster" in message


@needs_chromium
@pytest.mark.skipif(not (OUTPUTS / "index.html").is_file(), reason="no outputs/index.html")
def test_committed_gallery_in_chromium(browser):
    """The committed gallery page (outputs/index.html) as readers see it."""
    page = (OUTPUTS / "index.html").read_text(encoding="utf-8")
    sizes = {
        name: (int(w), int(h))
        for name, w, h in re.findall(r'<img src="([^"]+)\.gif" width="(\d+)" height="(\d+)"', page)
    }
    assert sizes, "no scenes in outputs/index.html"
    report = browser.check_page((OUTPUTS / "index.html").as_uri())
    assert_media_ok(report, sizes)
    players = check_players(browser, OUTPUTS / "index.html")  # each loads and reads out
    assert sorted(players) == sorted(sizes), "a scene without its player page"


# --- the HTML player ---------------------------------------------------------------------

# Installs window.lvSnap(): once the video has settled on a frame, the readout, the scrub
# bar and the picture (the video's current frame as a PNG data URL).
PLAYER_SNAP_JS = """
window.lvSnap = async (timeoutMs) => {
  const $ = (id) => document.getElementById(id);
  const video = $('lv-video');
  const settled = () => video.error !== null || (!video.seeking && video.readyState >= 2);
  if (!settled()) {
    await new Promise((resolve) => {
      const check = () => { if (settled()) { clearTimeout(timer); resolve(); } };
      const timer = setTimeout(resolve, timeoutMs);
      for (const e of ['seeked', 'loadeddata', 'canplay', 'error']) {
        video.addEventListener(e, check);
      }
    });
  }
  await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
  const canvas = document.createElement('canvas');
  canvas.width = video.videoWidth;
  canvas.height = video.videoHeight;
  let picture = null;
  if (canvas.width > 0) {
    canvas.getContext('2d').drawImage(video, 0, 0);
    picture = canvas.toDataURL('image/png');
  }
  return JSON.stringify({
    error: video.error ? String(video.error.code) : null,
    paused: video.paused,
    scrub: $('lv-scrub').value,
    label: $('lv-play').textContent,
    step: $('lv-step').textContent,
    losses: [...document.querySelectorAll('td[data-run]')].map((td) => td.textContent),
    picture,
  });
};
"""

#: The player's scene: three runs, one of which diverges; seven frames over twelve steps.
PLAYER_SCENE = [
    *("-s", "bowl", "-O", "gd:lr=0.1", "-O", "momentum:lr=0.05", "-O", "gd:lr=5"),
    *("--steps", "12"),
]
PLAYER_DRAWING = ["--frames", "7", "--size", "160x90", "--fps", "20"]  # x264 at 20 fps: crisp


def trace_losses(scene: list[str], folder: Path) -> dict[tuple[str, int], str]:
    """``(optimizer, step) -> loss`` as ``lossviz trace`` writes it for ``scene``."""
    out = folder / "trace.csv"
    assert main(["trace", *scene, "-o", str(out)]) == 0
    with out.open(encoding="utf-8", newline="") as handle:
        return {(row["optimizer"], int(row["step"])): row["loss"] for row in csv.DictReader(handle)}


def decode_png(data_url: str) -> np.ndarray:
    head, _, body = data_url.partition(",")
    assert head == "data:image/png;base64", head
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(body))).convert("RGB"), dtype=float)


#: BT.709 luma of RGB: H.264 stores it at full resolution (colour at half), so a frame
#: decoded from the MP4 matches its rendered frame in luma to within a few levels.
LUMA = np.array([0.2126, 0.7152, 0.0722])


def closest_frame(picture: np.ndarray, frames: list[np.ndarray]) -> tuple[int, int]:
    """The rendered frame the picture shows, and how many pixels' luma differ from it."""
    h, w = frames[0].shape[:2]
    luma = picture[:h, :w] @ LUMA
    counts = [int((np.abs(luma - frame @ LUMA) > 32).sum()) for frame in frames]
    best = int(np.argmin(counts))
    return best, counts[best]


def play_through_controls(tab: Tab) -> list[tuple[str, dict[str, Any]]]:
    """Drive the player with its own controls; a snapshot after each action."""
    tab.evaluate(PLAYER_SNAP_JS)
    snap = lambda: json.loads(tab.evaluate(f"window.lvSnap({ELEMENT_TIMEOUT_MS})"))  # noqa: E731
    scrub = (
        "{{ const s = document.getElementById('lv-scrub'); s.value = '{}';"
        " s.dispatchEvent(new Event('input', {{bubbles: true}})); }}"
    )
    click = "document.getElementById('{}').click();"
    snaps = [("load", snap())]
    for action, script in [
        ("scrub to 5", scrub.format(5)),
        ("step back", click.format("lv-prev")),
        ("scrub to 1", scrub.format(1)),
        ("step forward", click.format("lv-next")),
    ]:
        tab.evaluate(script)
        snaps.append((action, snap()))
    for action, key, code in [("ArrowRight", "ArrowRight", 39), ("End", "End", 35)]:
        tab.press(key, code)
        snaps.append((action, snap()))
    tab.press("Home", 36)
    tab.press("ArrowRight", 39)  # frame 1: the first frame is held (pacing)
    snap()
    settings = json.loads(tab.evaluate(PLAY_AND_PAUSE_JS))
    snaps.append(("play, then pause", {**settings, **snap()}))
    return snaps


# Half speed and no loop through the page's controls, then play from frame 1 until the
# scrub bar moves on, and pause.
PLAY_AND_PAUSE_JS = """
(async () => {
  const $ = (id) => document.getElementById(id);
  const video = $('lv-video'), speed = $('lv-speed'), loop = $('lv-loop');
  speed.value = '0.5';
  speed.dispatchEvent(new Event('change', {bubbles: true}));
  loop.click();
  const out = {rate: video.playbackRate, loop: video.loop};
  $('lv-play').click();
  out.playing = await new Promise((resolve) => {
    const started = performance.now();
    const poll = () => {
      const moved = Number($('lv-scrub').value) > 1;
      if (moved || video.ended) return resolve(!video.paused || video.ended);
      if (performance.now() - started > 10000) return resolve(false);
      requestAnimationFrame(poll);
    };
    poll();
  });
  $('lv-play').click();
  return JSON.stringify(out);
})()
"""


#: The frame each snapshot of :func:`play_through_controls` must show (``None``: wherever
#: playback from frame 1 stopped, past it).
PLAYER_EXPECTED_FRAMES = [0, 5, 4, 1, 2, 3, 6, None]


def player_problems(
    snaps: list[tuple[str, dict[str, Any]]],
    *,
    steps: list[int],
    labels: list[str],
    trace: dict[tuple[str, int], str],
    frames: list[np.ndarray],
) -> list[str]:
    """Where the page's scrub bar, readout or picture disagree with the expected frame."""
    problems = []
    pictures = []
    for (action, got), expected in zip(snaps, PLAYER_EXPECTED_FRAMES, strict=True):
        want = expected if expected is not None else int(got["scrub"])
        if expected is None:
            if not (got["playing"] and got["paused"] and got["label"] == "Play" and want > 1):
                problems.append(f"{action}: did not play, then pause: {_no_picture(got)}")
            if got["rate"] != 0.5 or got["loop"] is not False:
                problems.append(f"{action}: speed or loop control ignored: {_no_picture(got)}")
        step = steps[want]
        losses = [trace.get((label, step), "diverged") for label in labels]
        if got["error"] is not None or got["picture"] is None:
            problems.append(f"{action}: the video did not load ({got['error']})")
            continue
        if got["scrub"] != str(want):
            problems.append(f"{action}: scrub bar at {got['scrub']}, expected {want}")
        if got["step"] != str(step) or got["losses"] != losses:
            problems.append(
                f"{action}: readout step {got['step']} {got['losses']}, "
                f"expected step {step} {losses}"
            )
        picture = decode_png(got["picture"])
        shown, off = closest_frame(picture, frames)
        if shown != want or off > 8:
            problems.append(
                f"{action}: the picture is frame {shown} ({off} pixels off), expected {want}"
            )
        pictures.append(picture)
    if len(pictures) > 1 and all(np.array_equal(pictures[0], p) for p in pictures[1:]):
        problems.append("the picture never changed")
    return problems


#: Frames held for several frame periods in the "held" page: {frame: periods}.
HELD = {0: 3, 3: 2}


@pytest.fixture(scope="module")
def player(tmp_path_factory) -> dict[str, Any]:
    """The player pages of :data:`PLAYER_SCENE`, and what they must show.

    ``pages["plain"]`` is ``lossviz render ... -o player.html``; ``pages["held"]`` the
    same frames with some held for several periods (as pacing holds them).
    """
    folder = tmp_path_factory.mktemp("player")
    plain = folder / "player.html"
    assert main(["render", *PLAYER_SCENE, *PLAYER_DRAWING, "-q", "-o", str(plain)]) == 0
    anim = animate(
        "bowl",
        ["gd:lr=0.1", "momentum:lr=0.05", "gd:lr=5"],
        steps=12,
        frames=7,
        size=(160, 90),
        fps=20,
    )
    frames = list(anim.frames())
    held = folder / "held.html"
    writer = anim._player_writer(held)
    held_frames = [(f, HELD.get(i, 1)) for i, f in enumerate(frames)]
    write_frames_to_all([writer], held_frames, fps=anim.fps)
    return {
        "pages": {"plain": plain, "held": held},
        "steps": anim.schedule().steps.tolist(),
        "labels": [run.label for run in anim.recording.runs],
        "trace": trace_losses(PLAYER_SCENE, folder),
        "frames": [f[..., :3].astype(float) for f in frames],
    }


def _no_picture(snap: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in snap.items() if k != "picture"}


def check_player(browser: Chromium, page: Path, player: dict[str, Any]) -> list[str]:
    with browser.tab(page.as_uri()) as tab:
        snaps = play_through_controls(tab)
        foreign = [u for u in tab.requests() if not u.startswith(("file:", "data:"))]
    problems = player_problems(
        snaps,
        steps=player["steps"],
        labels=player["labels"],
        trace=player["trace"],
        frames=player["frames"],
    )
    return problems + [f"network request: {u}" for u in foreign]


@needs_chromium
@pytest.mark.parametrize("kind", ["plain", "held"])
def test_player_scrubs_and_reads_out_in_chromium(browser, player, kind):
    """Scrub bar, step buttons and keys move the picture; the readout is trace's numbers."""
    assert "diverged" in [
        player["trace"].get((label, player["steps"][-1]), "diverged") for label in player["labels"]
    ], "the scene should have a diverged run, to check its readout"
    assert check_player(browser, player["pages"][kind], player) == []


@needs_chromium
@pytest.mark.parametrize(
    ("broken", "original", "replacement"),
    [
        ("scrub bar", ["scrub.addEventListener('input'"], ["scrub.addEventListener('change'"]),
        (
            "readout",  # the step one frame ahead, the losses stuck at the first frame
            ["String(data.steps[i])", "data.losses[r][data.steps[i]]"],
            ["String(data.steps[clamp(i + 1)])", "data.losses[r][0]"],
        ),
    ],
    ids=["dead-scrub-bar", "readout-off"],
)
def test_player_check_fails_on_a_broken_page(
    browser, player, tmp_path, broken, original, replacement
):
    """The check is not vacuous: a dead scrub bar or a readout one frame off is caught."""
    text = player["pages"]["plain"].read_text(encoding="utf-8")
    for before, after in zip(original, replacement, strict=True):
        assert text.count(before) == 1, before
        text = text.replace(before, after)
    page = tmp_path / "broken.html"
    page.write_text(text, encoding="utf-8")
    problems = check_player(browser, page, player)
    assert any(broken in p for p in problems), problems


def check_players(browser: Chromium, index: Path) -> list[str]:
    """Open every player page the gallery page links; each must load its video and readout.

    Returns the names of the scenes whose players were checked.
    """
    page = index.read_text(encoding="utf-8")
    names = re.findall(r'<a class="player" href="([^"]+)\.html"', page)
    problems = []
    for name in names:
        with browser.tab((index.parent / f"{name}.html").as_uri()) as tab:
            tab.evaluate(PLAYER_SNAP_JS)
            snap = json.loads(tab.evaluate(f"window.lvSnap({ELEMENT_TIMEOUT_MS})"))
            foreign = [u for u in tab.requests() if not u.startswith(("file:", "data:"))]
        if snap["error"] is not None or snap["picture"] is None:
            problems.append(f"{name}.html: the video did not load ({snap['error']})")
        elif snap["step"] != "0" or not snap["losses"] or "" in snap["losses"]:
            problems.append(f"{name}.html: readout {snap['step']} {snap['losses']}")
        if foreign:
            problems.append(f"{name}.html: network requests {foreign}")
    assert not problems, "\n".join(problems)
    return names
