"""File safety: every file lossviz writes goes through here.

- **Checked up front.** :func:`check_output_path` refuses a bad suffix, a name too
  long for the file system, a folder that is missing or not writable, before any
  work starts.
- **Atomic.** Content goes to a hidden temporary file beside the target
  (:func:`create_temp_file`), which :func:`commit` renames into place. A file
  being replaced keeps its permission bits. Several files (a gallery scene's GIF,
  MP4 and PNG) are committed together: all are replaced or none is.
- **No leftovers.** Within :func:`cleanup_on_signals` (every writer enters it),
  SIGTERM and SIGHUP raise :class:`Terminated` as Ctrl-C raises
  ``KeyboardInterrupt``, so the same cleanup runs; further signals during that
  cleanup are held back, and on the way out every temporary file this write made
  and did not commit is removed. SIGKILL cannot be caught: temporary names hold
  the process id, and the next write in that folder removes the temporary files
  of processes that no longer run (:func:`remove_stale_temp_files`).

Examples
--------
>>> import tempfile
>>> with tempfile.TemporaryDirectory() as folder:
...     path = write_text_atomic(Path(folder) / "notes.md", "# hello\\n")
...     path.read_text(), [p.name for p in Path(folder).iterdir()]
('# hello\\n', ['notes.md'])
"""

from __future__ import annotations

import atexit
import contextlib
import errno
import os
import re
import secrets
import signal
import stat
import sys
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from visualizer.encoding.errors import OutputPathError, WriterError

__all__ = [
    "SIGNALS",
    "Terminated",
    "check_output_folder",
    "check_output_path",
    "cleanup_on_signals",
    "commit",
    "create_temp_file",
    "discard",
    "remove_stale_temp_files",
    "signals_held",
    "signals_of_a_worker",
    "write_text_atomic",
]

PathLike = str | os.PathLike[str]

#: Signals that stop a write cleanly; the first one raises, later ones wait for the cleanup.
SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)
)
_DEFAULT_HANDLERS = (signal.default_int_handler, signal.SIG_DFL)
_TEMP_TAG = "lossviz"
#: ``.{stem}.lossviz-{pid}-{random}.tmp{suffix}``; the stem is shortened to fit.
_TEMP_NAME = re.compile(rf"^\..*\.{_TEMP_TAG}-(?P<pid>[0-9]+)-[0-9a-f]{{8}}\.tmp(\.[^.]*)?$", re.S)
_TEMP_EXTRA = len(f"..{_TEMP_TAG}--12345678.tmp") + 10  # beside stem and suffix; pid <= 10 digits
_NAME_MAX = 255
_PATH_MAX = 4096  # PATH_MAX of Linux (with its final NUL byte); what other systems allow


class Terminated(SystemExit):
    """SIGTERM or SIGHUP arrived during a write: exit with status ``128 + signum``.

    A :class:`SystemExit`, so ``except Exception`` does not swallow it and Python
    exits quietly with that status once cleanups have run.
    """

    def __init__(self, signum: int) -> None:
        super().__init__(128 + signum)
        self.signum = signum


def check_output_folder(folder: PathLike) -> Path:
    """Check that ``folder`` exists and files can be created in it.

    Raises
    ------
    OutputPathError
        If the folder is missing, not a folder, or not writable.
    """
    if "\0" in os.fspath(folder):
        raise OutputPathError("output path contains a NUL byte")
    check_path_length(folder)
    folder = Path(folder)
    if not folder.exists():
        raise OutputPathError(f"output folder '{folder}' does not exist")
    if not folder.is_dir():
        raise OutputPathError(f"output folder '{folder}' is not a folder")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OutputPathError(f"output folder '{folder}' is not writable")
    return folder


def check_output_path(path: PathLike, *, suffixes: Sequence[str]) -> Path:
    """Check that a file can be written to ``path``, before any work starts.

    Parameters
    ----------
    path
        Output file; its suffix must be one of ``suffixes`` (any case).
    suffixes
        The accepted suffixes, such as ``(".csv",)``.

    Returns
    -------
    Path
        ``path`` as a :class:`~pathlib.Path`.

    Raises
    ------
    OutputPathError
        If the suffix is not accepted, the name is too long, ``path`` is a
        folder, or its folder is missing or not writable.

    Examples
    --------
    >>> str(check_output_path("runs.csv", suffixes=(".csv",)))
    'runs.csv'
    >>> check_output_path("anim.avi", suffixes=(".gif", ".mp4", ".png"))
    Traceback (most recent call last):
    ...
    visualizer.encoding.errors.OutputPathError: 'anim.avi' must end with .gif, .mp4 or .png
    """
    if "\0" in os.fspath(path):
        raise OutputPathError("output path contains a NUL byte")
    check_path_length(path)
    path = Path(path)
    if not path.suffix and path.name.lower() in suffixes:
        raise OutputPathError(f"'{_short(path)}' has no name before its suffix {path.name}")
    if path.suffix.lower() not in suffixes:
        choices = suffixes[-1] if len(suffixes) == 1 else ", ".join(suffixes[:-1])
        choices += "" if len(suffixes) == 1 else " or " + suffixes[-1]
        raise OutputPathError(f"'{_short(path)}' must end with {choices}")
    size = len(os.fsencode(path.name))
    if size > _name_max(path.parent):
        raise OutputPathError(
            f"file name '{_short(path.name)}' is {size} bytes long;"
            f" at most {_name_max(path.parent)} fit in a folder"
        )
    if path.is_dir():
        raise OutputPathError(f"'{path}' is a folder, not a file")
    check_output_folder(path.parent)
    return path


def check_path_length(path: PathLike) -> None:
    """Refuse a path longer than the system's limit (``PATH_MAX``, 4096 bytes on Linux).

    Examples
    --------
    >>> try:
    ...     check_path_length("a/" * 3000 + "x.gif")
    ... except OutputPathError as error:
    ...     print(error)  # doctest: +ELLIPSIS
    output path 'a/a/a/...' is 6005 bytes long; at most 4096
    """
    size = len(os.fsencode(os.fspath(path)))
    if size >= _PATH_MAX:
        raise OutputPathError(
            f"output path '{_short(path)}' is {size} bytes long; at most {_PATH_MAX}"
        )


def create_temp_file(target: Path) -> Path:
    """Create an empty hidden temporary file beside ``target``, for this process.

    Its name, ``.{stem}.lossviz-{pid}-{random}.tmp{suffix}``, fits the folder's
    name limit whatever the length of ``target``'s name. If ``target`` exists,
    the temporary file gets its permission bits plus the owner's write (a
    read-only target is replaced as ``mv`` replaces it: :func:`commit` gives
    the new file the target's bits); otherwise the usual ones (``0o666`` less
    the umask). Stale temporary files of dead processes in the
    folder are removed first (once per folder and process).

    Raises
    ------
    OutputPathError
        If the folder does not let us create a file.
    WriterError
        If creating the file failed for another reason (such as a full disk).
    """
    folder = target.parent
    if folder not in _CLEANED_FOLDERS:
        _CLEANED_FOLDERS.add(folder)
        remove_stale_temp_files(folder)
    stem, suffix = os.fsencode(target.stem), os.fsencode(target.suffix)[:16]
    room = _name_max(folder) - _TEMP_EXTRA - len(suffix)
    stem = os.fsdecode(stem[: max(room, 1)])
    for _ in range(100):
        name = f".{stem}.{_TEMP_TAG}-{os.getpid()}-{secrets.token_hex(4)}.tmp{os.fsdecode(suffix)}"
        temp = folder / name
        try:
            handle = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o666)
        except FileExistsError:
            continue
        except OSError as error:
            if error.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
                raise OutputPathError(
                    f"cannot write to output folder '{folder}': {error.strerror}"
                ) from None
            raise WriterError(f"cannot write to '{folder}': {error.strerror}") from None
        _register(temp)
        try:
            mode = _target_mode(target)
            if mode is not None:  # no wider than the target's, and writable while written
                os.fchmod(handle, mode | stat.S_IWUSR)
        finally:
            os.close(handle)
        return temp
    raise OutputPathError(f"cannot create a temporary file in '{folder}'")


def discard(temp: Path | None) -> None:
    """Remove a temporary file made by :func:`create_temp_file`; no error if it is gone."""
    if temp is None:
        return
    with contextlib.suppress(FileNotFoundError):
        temp.unlink()
    _LIVE_TEMPS.discard(temp)
    for scope in getattr(_local, "scopes", ()):
        scope.discard(temp)


def commit(pairs: Sequence[tuple[Path, Path]]) -> list[Path]:
    """Rename each temporary file onto its target: all of them, or none.

    Signals are held back while renaming (they arrive just after). With several
    pairs, a target being replaced is first hard-linked to a backup name, so that
    a rename failing half-way (say, a target turned into a folder) puts back the
    old files; on failure every temporary file is removed.

    Parameters
    ----------
    pairs
        ``(temporary file, target)`` pairs, targets in one or more folders.

    Returns
    -------
    list of Path
        The targets, in order.

    Raises
    ------
    WriterError
        If a rename failed; no target has changed then.
    KeyboardInterrupt, Terminated
        If a signal came during this write and its exception was swallowed on the
        way (see :func:`cleanup_on_signals`): nothing is renamed then.
    """
    in_write = (
        getattr(_local, "scopes", None) and threading.current_thread() is threading.main_thread()
    )
    if in_write and _state["caught"] is not None:
        for temp, _ in pairs:
            discard(temp)
        raise _signal_exception(_state["caught"])
    with signals_held():
        backups: list[tuple[Path, Path | None]] = []
        try:
            for temp, target in pairs:
                backup = _backup(target) if len(pairs) > 1 else None
                try:
                    mode = _target_mode(target)
                    if mode is not None:  # a read-only target stays read-only, as with mv
                        os.chmod(temp, mode)
                    os.replace(temp, target)
                except OSError as error:
                    discard(backup)
                    raise WriterError(f"cannot replace '{target}': {error.strerror}") from None
                _LIVE_TEMPS.discard(temp)
                backups.append((target, backup))
        except BaseException:
            for target, backup in reversed(backups):
                with contextlib.suppress(OSError):
                    if backup is None:
                        target.unlink()
                    else:
                        os.replace(backup, target)
                discard(backup)
            for temp, _ in pairs:
                discard(temp)
            raise
        for _, backup in backups:
            discard(backup)
    return [target for _, target in pairs]


def write_text_atomic(path: PathLike, text: str) -> Path:
    """Write ``text`` (UTF-8) to a temporary file beside ``path``, then rename it into place.

    Raises
    ------
    OutputPathError
        If the folder is missing or not writable.
    WriterError
        If writing failed (such as a full disk); an existing file is kept.
    """
    target = Path(path)
    check_output_folder(target.parent)
    with cleanup_on_signals():
        temp = create_temp_file(target)
        try:
            temp.write_text(text, encoding="utf-8", newline="")
        except OSError as error:
            discard(temp)
            raise WriterError(f"cannot write '{target}': {error.strerror}") from None
        commit([(temp, target)])
    return target


@contextmanager
def cleanup_on_signals() -> Iterator[None]:
    """Within this block, SIGTERM/SIGHUP raise :class:`Terminated`; clean up on the way out.

    The first of SIGINT, SIGTERM or SIGHUP raises (``KeyboardInterrupt`` or
    :class:`Terminated`) in the main thread; later ones are held until the block
    ends, so that a second Ctrl-C cannot cut the cleanup short. On leaving the
    block, every temporary file created inside it and not committed is removed.
    Handlers are only installed in the main thread and only over the default
    ones: a signal the application handles or ignores (``nohup``) stays so.
    Blocks nest; the outermost one does the work.

    A signal's exception can be swallowed or replaced on its way out: a C
    extension that calls back into Python turns it into an error of its own
    (matplotlib's Agg renderer: ``ValueError: Invalid affine transformation
    matrix``). The outermost block then raises the signal's exception in its
    place, so that the process still stops as the signal asked.
    """
    scopes: list[set[Path]] = _local.__dict__.setdefault("scopes", [])
    scope: set[Path] = set()
    scopes.append(scope)
    installed: dict[int, object] = {}
    if len(scopes) == 1 and threading.current_thread() is threading.main_thread():
        _state.update(caught=None, pending=None)
        for signum in SIGNALS:
            handler = signal.getsignal(signum)
            if handler in _DEFAULT_HANDLERS:
                with contextlib.suppress(ValueError, OSError):
                    signal.signal(signum, _on_signal)
                    installed[signum] = handler
    previous_hook = sys.unraisablehook
    if installed:
        sys.unraisablehook = _quiet_signal_unraisable
    try:
        yield
    except BaseException as error:
        caught = _state["caught"] if installed else None
        if caught is not None and not isinstance(error, (KeyboardInterrupt, Terminated)):
            raise _signal_exception(caught) from error
        raise
    else:
        caught = _state["caught"] if installed else None
        if caught is not None:  # the signal's exception was swallowed: stop all the same
            raise _signal_exception(caught)
    finally:
        try:
            with signals_held():
                for temp in list(scope):
                    discard(temp)
                scopes.remove(scope)
        finally:
            for signum, handler in installed.items():
                signal.signal(signum, handler)  # type: ignore[arg-type]
            if installed:
                sys.unraisablehook = previous_hook


def _quiet_signal_unraisable(unraisable: Any) -> None:
    """``sys.unraisablehook`` within :func:`cleanup_on_signals`: a signal's exception
    raised where Python cannot pass it on (a weakref callback in matplotlib) is not
    printed as "Exception ignored"; the block raises it again on its way out. Any
    other unraisable exception goes to Python's own hook."""
    if isinstance(unraisable.exc_value, (KeyboardInterrupt, Terminated)):
        return
    sys.__unraisablehook__(unraisable)


def signals_of_a_worker(parent: int | None = None) -> None:
    """In a forked worker process: Ctrl-C and SIGHUP are the parent's, SIGTERM ends the
    worker at once, and the worker gets SIGTERM when ``parent`` dies.

    The parent stops its workers with SIGTERM (a pool's ``terminate``); the
    handler the fork copied from the parent's write would raise inside the
    pool's queues instead, where the exit can hang. A worker that writes files
    itself gets :func:`cleanup_on_signals` again around each write. A closed
    terminal sends SIGHUP to every process of its group: the workers leave it to
    the parent, which stops them as it stops for SIGTERM. ``parent``: the parent's
    process id, taken before the fork (:func:`visualizer.encoding.processes.die_with_parent`).
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if hasattr(signal, "SIGHUP"):
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if parent is not None:
        from visualizer.encoding.processes import die_with_parent

        die_with_parent(parent)


def remove_stale_temp_files(folder: Path) -> list[Path]:
    """Remove the temporary files that dead lossviz processes left in ``folder``.

    Only regular files named like ours, owned by this user, whose process id no
    longer runs on this machine are removed.

    Returns
    -------
    list of Path
        The files removed.
    """
    removed: list[Path] = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        match = _TEMP_NAME.match(entry.name)
        if match is None or _alive(int(match["pid"])):
            continue
        with contextlib.suppress(OSError):
            info = entry.stat(follow_symlinks=False)
            if stat.S_ISREG(info.st_mode) and info.st_uid == os.getuid():
                os.unlink(entry.path)
                removed.append(Path(entry.path))
    return removed


# --- internals -------------------------------------------------------------------------

_local = threading.local()
#: Signal state of :func:`cleanup_on_signals`: the signal being handled, one held back, and
#: how deep in :func:`signals_held` we are. Signal handlers run in the main thread.
_state: dict[str, int | None] = {"caught": None, "pending": None, "held": 0}
_LIVE_TEMPS: set[Path] = set()  # every temporary file of this process not yet committed
_CLEANED_FOLDERS: set[Path] = set()


def _register(temp: Path) -> None:
    if not _LIVE_TEMPS:
        atexit.register(_remove_live_temps)
    _LIVE_TEMPS.add(temp)
    scopes = getattr(_local, "scopes", ())
    if scopes:
        scopes[-1].add(temp)


def _remove_live_temps() -> None:
    for temp in list(_LIVE_TEMPS):
        discard(temp)


def _on_signal(signum: int, frame: object) -> None:
    """The handler within :func:`cleanup_on_signals`; runs in the main thread."""
    if _state["caught"] is not None:
        return  # already stopping: let the cleanup finish
    if _state["held"]:
        _state["pending"] = _state["pending"] or signum  # raised when the renames are done
        return
    _state["caught"] = signum
    raise _signal_exception(signum)


def _signal_exception(signum: int) -> BaseException:
    """What a signal raises: ``KeyboardInterrupt`` for SIGINT, else :class:`Terminated`."""
    return KeyboardInterrupt() if signum == signal.SIGINT else Terminated(signum)


@contextmanager
def signals_held(*, mask: bool = True) -> Iterator[None]:
    """Hold back :data:`SIGNALS` in this block; one that came is raised when it ends.

    Our handler records a signal while held (whichever thread the kernel picked);
    with ``mask``, blocking them in this thread also covers handlers that are not
    ours. Without it, only our handler holds them: for a block that starts a
    child process, which would inherit the blocked mask.
    """
    block = getattr(signal, "pthread_sigmask", None) if mask else None
    previous = block(signal.SIG_BLOCK, SIGNALS) if block is not None else None
    _state["held"] += 1
    try:
        yield
    finally:
        _state["held"] -= 1
        if block is not None:
            block(signal.SIG_SETMASK, previous)
        signum = _state["pending"]
        if not _state["held"] and signum is not None:
            _state["pending"] = None
            _on_signal(signum, None)


def _backup(target: Path) -> Path | None:
    """Hard-link ``target`` to a temporary name, if it exists and links work there."""
    if not target.exists():
        return None
    backup = create_temp_file(target)
    try:
        backup.unlink()
        os.link(target, backup)
    except OSError:
        discard(backup)
        return None
    return backup


def _target_mode(target: Path) -> int | None:
    """The permission bits of ``target`` if it is a regular file, else ``None``."""
    try:
        mode = os.lstat(target).st_mode
    except OSError:
        return None
    return stat.S_IMODE(mode) if stat.S_ISREG(mode) else None


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, OSError):
        return True  # someone else's process, or we cannot tell: keep the file
    return True


def _name_max(folder: Path) -> int:
    try:
        return os.pathconf(folder, "PC_NAME_MAX")
    except (OSError, ValueError, AttributeError):
        return _NAME_MAX


def _short(text: object, limit: int = 80) -> str:
    """``text`` cut to ``limit`` characters for an error message."""
    text = str(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"
