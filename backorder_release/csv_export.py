"""Spreadsheet-safe CSV: UTF-8, RFC 4180 quoting, written atomically.

A text cell that a spreadsheet would run as a formula (starting with =, +,
-, @, tab or carriage return) is prefixed with a quote, so it shows as text;
numbers, negative ones included, stay numbers.

XXX: text that only looks like a number or a date (a SKU ``00123`` or
``2024-01-02``) is written as is, so a spreadsheet shows 123 or a date. A
quote in front would keep it text, but would also change the SKU for every
other reader of the file.
"""

from __future__ import annotations

import csv
import os
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from wms.errors import WmsError

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class ExportFailed(WmsError):
    """The CSV file could not be written where the operator asked."""


def neutralise(value: object) -> object:
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def write_csv(
    path: Path, columns: Sequence[str], rows: Iterable[Mapping[str, object]]
) -> None:
    """Write the rows to ``path`` through a temporary file and a rename.

    A symlink is followed (its target is replaced); anything else that is not
    a regular file (a device, a FIFO) is refused, and an existing file keeps
    its permissions.
    """
    path = path.resolve() if path.is_symlink() else path
    if path.exists() and not path.is_file():
        raise ExportFailed(f"cannot write CSV to {path}: it is not a regular file")
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o644
    directory = path.parent if str(path.parent) else Path(".")
    try:
        fd, tmp_name = tempfile.mkstemp(
            prefix=f".{path.name}.", suffix=".tmp", dir=directory
        )
    except OSError as exc:
        raise ExportFailed(f"cannot write CSV to {path}: {exc.strerror}") from exc
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(columns)
            for row in rows:
                writer.writerow([neutralise(row[c]) for c in columns])
        os.replace(tmp_name, path)
    except OSError as exc:
        Path(tmp_name).unlink(missing_ok=True)
        raise ExportFailed(f"cannot write CSV to {path}: {exc.strerror}") from exc
