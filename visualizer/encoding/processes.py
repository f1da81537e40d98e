"""Child processes: the cores they may use, and dying with their parent.

A gallery's workers, an orbit's workers and every ffmpeg are children of the
``lossviz`` process. However that process ends (a handled signal, or SIGKILL,
which it cannot handle), none of them may go on working or writing:

- **Workers** (forked Python processes) call :func:`die_with_parent` first: on
  Linux the kernel sends them SIGTERM when their parent dies
  (``prctl(PR_SET_PDEATHSIG)``, a documented system call, through ctypes), which
  ends a worker between writes at once and inside a write through the write's
  own cleanup (:func:`visualizer.encoding.files.cleanup_on_signals`): temporary
  files removed, ffmpeg stopped.
- **ffmpeg** runs no Python code of ours, so it gets the same death signal
  (SIGKILL) from util-linux's ``setpriv --pdeathsig`` when that is installed:
  :func:`die_with_parent_command` is the prefix of its command line. Without it,
  ffmpeg still stops on its own when its parent dies, as its input pipe closes.

Both arm the signal for the *thread* that starts the child: children are started
from the main thread, which lives as long as the process.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import os
import shutil
import signal
import subprocess
import sys
import threading

__all__ = ["die_with_parent", "die_with_parent_command", "usable_cores"]

_PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def usable_cores() -> int:
    """The cores this process may run on (its CPU affinity), at least 1.

    Examples
    --------
    >>> 1 <= usable_cores() <= (os.cpu_count() or 1)
    True
    """
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def die_with_parent(parent: int, signum: int = signal.SIGTERM) -> bool:
    """Ask the kernel to send ``signum`` to this process when ``parent`` dies (Linux).

    Call it first thing in a forked worker, with the parent's process id taken
    before the fork: if the parent died before the call, the worker ends at once.

    Returns
    -------
    bool
        Whether the kernel will send the signal (``False`` off Linux).
    """
    if not sys.platform.startswith("linux"):
        return False
    prctl = _prctl()
    armed = prctl is not None and prctl(_PR_SET_PDEATHSIG, int(signum), 0, 0, 0) == 0
    if os.getppid() != parent:  # the parent died before the call: the signal never comes
        os.kill(os.getpid(), signum)
    return armed


def die_with_parent_command() -> list[str]:
    """The prefix of a command line that makes the program die with this process.

    ``["setpriv", "--pdeathsig", "KILL", "--"]`` where util-linux's ``setpriv``
    supports it and the caller is the main thread (the death signal follows the
    thread that starts the child); otherwise nothing.

    Examples
    --------
    >>> die_with_parent_command() in ([], [shutil.which("setpriv"), "--pdeathsig", "KILL", "--"])
    True
    """
    if threading.current_thread() is not threading.main_thread():
        return []
    setpriv = _setpriv()
    return [setpriv, "--pdeathsig", "KILL", "--"] if setpriv else []


@functools.lru_cache(maxsize=1)
def _prctl() -> object | None:
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name, use_errno=True)
        return libc.prctl
    except (OSError, AttributeError):  # pragma: no cover - no libc or no prctl
        return None


@functools.lru_cache(maxsize=1)
def _setpriv() -> str | None:
    """``setpriv``'s path if it runs a program with ``--pdeathsig`` here (checked once)."""
    if not sys.platform.startswith("linux"):
        return None
    path = shutil.which("setpriv")
    if path is None:
        return None
    try:
        done = subprocess.run(
            [path, "--pdeathsig", "KILL", "--", "true"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return path if done.returncode == 0 else None
