"""Spreadsheet-safe CSV: UTF-8, RFC 4180 quoting, written atomically.

A text cell that a spreadsheet would run as a formula (starting with =, +,
-, @, tab or carriage return) is prefixed with a quote, so it shows as text;
numbers, negative ones included, stay numbers.
"""

from __future__ import annotations

import csv
import os
import stat
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
    try:
        path, mode = _target(path)
        fd, tmp_name = tempfile.mkstemp(
            prefix=f".{path.name}.", suffix=".tmp", dir=path.parent
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


def _target(path: Path) -> tuple[Path, int]:
    """The file to replace (a symlink's target) and the permissions to give it.

    OSError when the path cannot be used: a name too long, a symlink loop, a
    parent that is not a directory.
    """
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return Path(os.path.realpath(path)), 0o644
    if not stat.S_ISREG(mode):
        raise ExportFailed(f"cannot write CSV to {path}: it is not a regular file")
    return Path(os.path.realpath(path)), stat.S_IMODE(mode)
