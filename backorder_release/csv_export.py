"""Spreadsheet-safe CSV: UTF-8, RFC 4180 quoting, written atomically.

A text cell that a spreadsheet would run as a formula (starting with =, +,
-, @, tab or carriage return) is prefixed with a quote, so it shows as text;
numbers, negative ones included, stay numbers.

Known gap: text that only looks like a number or a date (a SKU ``00123`` or
``2024-01-02``) is written as is, so a spreadsheet shows 123 or a date. A
quote in front would keep it text, but would also change the SKU for every
other reader of the file.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TextIO

from backorder_release.files import write_atomically

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> object:
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def write_csv(
    path: Path,
    columns: Sequence[str],
    rows: Iterable[Mapping[str, object]],
    *,
    protected: Iterable[Path] = (),
) -> None:
    """Write the rows to ``path`` atomically (see ``files.write_atomically``)."""

    def write(handle: TextIO) -> None:
        writer = csv.writer(handle)
        writer.writerow(columns)
        for row in rows:
            writer.writerow([neutralise(row[c]) for c in columns])

    write_atomically(path, "CSV", write, protected=protected)
