"""Users' data for data surfaces: a CSV of two numeric columns (``-s regression:data=FILE``).

This module owns reading and checking the file; the surfaces (``surfaces/``)
only ever see arrays. A first row with no number in it is a header. Every
problem is one line naming the file, and the row and column where it applies:
a missing or unreadable file, a folder, FIFO or device, a row without exactly
two cells, a cell that is not a finite number or is too large for the loss's
squares to fit a float, fewer than two rows, more rows than the bound.

What a file costs is bounded before it is all read: its bytes
(:data:`MAX_BYTES`) and its rows (:data:`MAX_ROWS`, the ``samples`` bound of the
generated data; every row costs memory and time in every optimizer's step).
Rows are parsed one at a time into a float array, so reading costs little more
than the file's text.
"""

from __future__ import annotations

import array
import csv
import errno
import io
import math
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from surfaces.errors import SpecError
from surfaces.params import show, show_path

#: The largest data file read, in bytes (a million rows of two numbers is about 20 MB).
MAX_BYTES = 64 * 1024 * 1024
#: The most data rows read: the bound of the generated data's ``samples``.
MAX_ROWS = 1_000_000
#: The largest magnitude of a value: the loss squares values and multiplies them by the
#: window's weights, all of which must stay finite floats.
MAX_VALUE = 1e100


def _number(cell: str) -> float | None:
    try:
        return float(cell)
    except ValueError:
        return None


def read_columns(path: str | Path) -> np.ndarray:
    """The two columns of a CSV file as a float array of shape ``(N, 2)``.

    Raises
    ------
    SpecError
        The file is missing, not a regular file, unreadable, too large or
        malformed (one line).

    Examples
    --------
    >>> read_columns("/dev/null")
    Traceback (most recent call last):
    ...
    surfaces.errors.SpecError: data file '/dev/null': not a regular file (a device, FIFO or socket)
    """
    where = f"data file {show_path(path)}"
    if "\0" in str(path):
        raise SpecError(f"{where}: the path contains a NUL byte")
    with _open(Path(path), where) as file:
        reader = csv.reader(_lines(file, where))
        values = array.array("d")
        n = 0
        header = True
        try:
            for row in reader:
                if not any(c.strip() for c in row):
                    continue
                if header:
                    header = False
                    if all(_number(c) is None for c in row):
                        continue
                n += 1
                if n > MAX_ROWS:
                    raise SpecError(
                        f"{where}: more than {MAX_ROWS} data rows; at most {MAX_ROWS}"
                        " (the bound of samples=): use a sample of the rows"
                    )
                values.extend(_row(row, n, where))
        except csv.Error as error:
            detail = str(error)
            if "field limit" in detail:
                detail = f"a cell is longer than {csv.field_size_limit()} characters, not a number"
            raise SpecError(f"{where}: line {reader.line_num}: {detail}") from None
    if n < 2:
        raise SpecError(f"{where}: {n} data row(s); at least 2 are needed")
    return np.frombuffer(values, dtype=float).reshape(n, 2).copy()


def _row(row: list[str], n: int, where: str) -> tuple[float, float]:
    """A data row's two values, checked."""
    if len(row) != 2:
        raise SpecError(f"{where}: row {n} has {len(row)} cells, expected 2 (feature, target)")
    pair = []
    for column, cell in enumerate(row, start=1):
        value = _number(cell.strip())
        if value is None or not math.isfinite(value):
            shown = show(cell.strip())
            raise SpecError(f"{where}: row {n}, column {column} is {shown}, not a finite number")
        if abs(value) > MAX_VALUE:
            raise SpecError(
                f"{where}: row {n}, column {column} is {value:.3g}; the loss squares the data,"
                f" so values must lie within ±{MAX_VALUE:.0e}: rescale the data"
            )
        pair.append(value)
    return pair[0], pair[1]


def _open(path: Path, where: str) -> io.TextIOWrapper:
    """The file, as UTF-8 text: a regular file of at most :data:`MAX_BYTES`.

    Opened without blocking, so a FIFO is refused rather than waited on, and a
    device such as ``/dev/zero`` rather than read until memory runs out.
    """
    try:
        handle = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise SpecError(f"{where}: {_why(exc)}") from None
    info = os.fstat(handle)
    if not stat.S_ISREG(info.st_mode):
        os.close(handle)
        if stat.S_ISDIR(info.st_mode):
            raise SpecError(f"{where}: is a folder, not a file")
        raise SpecError(f"{where}: not a regular file (a device, FIFO or socket)")
    if info.st_size > MAX_BYTES:
        os.close(handle)
        raise SpecError(f"{where}: larger than {MAX_BYTES // 2**20} MiB")
    return io.TextIOWrapper(os.fdopen(handle, "rb"), encoding="utf-8-sig", newline="")


def _lines(file: io.TextIOWrapper, where: str) -> Iterator[str]:
    """The file's lines, one at a time, up to :data:`MAX_BYTES` characters in all."""
    total = 0
    try:
        for line in file:
            total += len(line)
            if total > MAX_BYTES:  # it grew since it was opened
                raise SpecError(f"{where}: larger than {MAX_BYTES // 2**20} MiB")
            yield line
    except UnicodeDecodeError:
        raise SpecError(f"{where}: not UTF-8 text") from None
    except OSError as exc:
        raise SpecError(f"{where}: cannot read it ({exc.strerror or exc})") from None


def _why(error: OSError) -> str:
    """Why a data file cannot be opened, in words."""
    if error.errno == errno.ENOENT:
        return "no such file"
    if error.errno == errno.ENAMETOOLONG:
        return "the path is longer than the system allows"
    if error.errno == errno.EISDIR:
        return "is a folder, not a file"
    return f"cannot read it ({error.strerror or error})"
