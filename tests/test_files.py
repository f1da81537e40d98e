"""Tests for :mod:`visualizer.encoding.files`: checks, temporary files, commits, stale files."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from surfaces.errors import LossvizError, SpecError
from visualizer.encoding import files
from visualizer.encoding.errors import OutputPathError, WriterError
from visualizer.encoding.files import (
    check_output_path,
    commit,
    create_temp_file,
    remove_stale_temp_files,
    write_text_atomic,
)


def names(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir())


def test_error_hierarchy_is_one_tree():
    assert issubclass(SpecError, LossvizError) and issubclass(SpecError, ValueError)
    assert issubclass(OutputPathError, SpecError)
    assert issubclass(WriterError, LossvizError) and issubclass(WriterError, RuntimeError)
    assert not issubclass(OutputPathError, WriterError)  # bad input is not an encoder fault


@pytest.mark.parametrize("length", [241, 250, 255])
def test_long_names_that_fit_the_folder_are_written(tmp_path, length):
    path = tmp_path / ("n" * (length - 4) + ".csv")
    assert len(path.name) == length
    check_output_path(path, suffixes=(".csv",))
    write_text_atomic(path, "a,b\n")
    assert names(tmp_path) == [path.name]


def test_a_name_too_long_is_bad_input(tmp_path):
    path = tmp_path / ("n" * 300 + ".csv")
    with pytest.raises(OutputPathError, match=r"is 304 bytes long; at most 255 fit") as caught:
        check_output_path(path, suffixes=(".csv",))
    assert len(str(caught.value)) < 200


def test_temp_names_hold_the_pid_and_fit(tmp_path):
    target = tmp_path / ("é" * 120 + ".gif")  # 240 bytes in UTF-8
    temp = create_temp_file(target)
    try:
        assert temp.parent == tmp_path
        assert temp.name.startswith(".")
        assert f".lossviz-{os.getpid()}-" in temp.name
        assert temp.name.endswith(".tmp.gif")
        assert len(os.fsencode(temp.name)) <= 255
    finally:
        files.discard(temp)
    assert names(tmp_path) == []


def test_replacing_keeps_the_permission_bits(tmp_path):
    path = tmp_path / "runs.csv"
    path.write_text("old")
    path.chmod(0o600)
    write_text_atomic(path, "new")
    assert path.read_text() == "new"
    assert path.stat().st_mode & 0o777 == 0o600


def test_new_files_get_the_usual_permission_bits(tmp_path):
    umask = os.umask(0o022)
    try:
        path = write_text_atomic(tmp_path / "a.md", "x")
    finally:
        os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o644


def test_commit_of_several_files_is_all_or_nothing(tmp_path):
    old = {name: f"old {name}" for name in ("a.gif", "b.mp4")}
    for name, text in old.items():
        (tmp_path / name).write_text(text)
    pairs = []
    for name in ("a.gif", "b.mp4", "c.png"):
        temp = create_temp_file(tmp_path / name)
        temp.write_text(f"new {name}")
        pairs.append((temp, tmp_path / name))
    (tmp_path / "c.png").mkdir()  # the last rename fails: a folder is in the way
    with pytest.raises(WriterError, match=r"cannot replace '.*c\.png'"):
        commit(pairs)
    assert names(tmp_path) == ["a.gif", "b.mp4", "c.png"]
    for name, text in old.items():
        assert (tmp_path / name).read_text() == text
    (tmp_path / "c.png").rmdir()
    pairs = []
    for name in ("a.gif", "b.mp4", "c.png"):
        temp = create_temp_file(tmp_path / name)
        temp.write_text(f"new {name}")
        pairs.append((temp, tmp_path / name))
    assert commit(pairs) == [tmp_path / n for n in ("a.gif", "b.mp4", "c.png")]
    assert [(tmp_path / n).read_text() for n in names(tmp_path)] == [
        "new a.gif",
        "new b.mp4",
        "new c.png",
    ]


def test_stale_temp_files_of_dead_processes_are_removed(tmp_path):
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        text=True,
        capture_output=True,
        check=True,
    ).stdout.strip()
    stale = tmp_path / f".movie.lossviz-{dead}-0123abcd.tmp.mp4"
    mine = tmp_path / f".movie.lossviz-{os.getpid()}-0123abcd.tmp.mp4"
    other = tmp_path / f".movie.lossviz-{dead}-0123abcd.tmp.mp4.keep"  # not our pattern
    for path in (stale, mine, other):
        path.write_bytes(b"partial")
    assert remove_stale_temp_files(tmp_path) == [stale]
    assert names(tmp_path) == sorted([mine.name, other.name])


def test_write_text_atomic_failure_keeps_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "gallery.md"
    path.write_text("old")

    def full_disk(self, *args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Path, "write_text", full_disk)
    with pytest.raises(
        WriterError, match=r"^cannot write '.*gallery\.md': No space left on device$"
    ):
        write_text_atomic(path, "new")
    monkeypatch.undo()
    assert path.read_text() == "old"
    assert names(tmp_path) == ["gallery.md"]


def test_a_signal_raised_where_python_cannot_pass_it_on_is_not_printed(capsys):
    """A signal's exception in a weakref callback (matplotlib's transforms) is not
    printed as "Exception ignored" inside cleanup_on_signals; others still are."""
    import sys
    import weakref

    class Node:
        pass

    def raise_in_callback(error: BaseException) -> None:
        node = Node()

        def callback(_ref: object) -> None:
            raise error

        ref = weakref.ref(node, callback)
        del node
        assert ref() is None

    before = sys.unraisablehook
    with files.cleanup_on_signals():
        raise_in_callback(files.Terminated(15))
        raise_in_callback(KeyboardInterrupt())
        quiet = capsys.readouterr().err
        raise_in_callback(ValueError("shown"))
        shown = capsys.readouterr().err
    assert quiet == ""
    assert "ValueError: shown" in shown
    assert sys.unraisablehook is before
