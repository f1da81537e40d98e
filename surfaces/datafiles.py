"""Users' data for data surfaces: a CSV of two numeric columns (``-s regression:data=FILE``).

This module owns reading and checking the file; the surfaces (``surfaces/``)
only ever see arrays. A first row with no number in it is a header. Every
problem is one line naming the file, and the row and column where it applies:
a missing or unreadable file, a row without exactly two cells, a cell that is
not a finite number, fewer than two rows.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np

from surfaces.errors import SpecError
from surfaces.params import show

#: The largest data file read, in bytes (a million rows of two numbers is about 20 MB).
MAX_BYTES = 64 * 1024 * 1024


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
        The file is missing, unreadable, too large or malformed (one line).
    """
    where = f"data file {show(str(path))}"
    if "\0" in str(path):
        raise SpecError(f"{where}: the path contains a NUL byte")
    p = Path(path)
    try:
        if not p.is_file():
            raise SpecError(f"{where}: no such file")
        if p.stat().st_size > MAX_BYTES:
            raise SpecError(f"{where}: larger than {MAX_BYTES // 2**20} MiB")
        text = p.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise SpecError(f"{where}: cannot read it ({exc.strerror or exc})") from None
    except UnicodeDecodeError:
        raise SpecError(f"{where}: not UTF-8 text") from None
    rows = [r for r in csv.reader(text.splitlines()) if any(c.strip() for c in r)]
    if rows and all(_number(c) is None for c in rows[0]):
        rows = rows[1:]  # a header
    values = []
    for n, row in enumerate(rows, start=1):
        if len(row) != 2:
            raise SpecError(f"{where}: row {n} has {len(row)} cells, expected 2 (feature, target)")
        pair = []
        for column, cell in enumerate(row, start=1):
            value = _number(cell.strip())
            if value is None or not math.isfinite(value):
                shown = show(cell.strip())
                raise SpecError(
                    f"{where}: row {n}, column {column} is {shown}, not a finite number"
                )
            pair.append(value)
        values.append(pair)
    if len(values) < 2:
        raise SpecError(f"{where}: {len(values)} data row(s); at least 2 are needed")
    return np.array(values, dtype=float)
