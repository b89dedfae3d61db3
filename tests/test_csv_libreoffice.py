"""The audit CSV as LibreOffice Calc opens it, cell by cell.

The round-trip tests read the file back with Python's csv module; an operator
opens it in a spreadsheet. Here LibreOffice converts it headless to flat ODS
(plain XML), and the test reads what each cell became: text, a number or a
formula. The conversion takes a few seconds, so it runs once per backend.
"""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import pytest
from wms.plugins import Plugins, make_plugin_manager

from backorder_release.audit import COLUMNS
from tests import databases
from tests.conftest import BACKENDS, Run, make_runner
from tests.helpers import AUDIT

FLAG = "WOULD_MAKE_AVAILABLE"
INSTALL = "apt-get install libreoffice-calc-nogui"

# Tokens of LibreOffice's CSV import filter: comma (44), double quote (34),
# UTF-8 (76), from line 1, no column formats, English (US), quoted fields not
# forced to text, detect special numbers, four export-only tokens, then
# evaluate formulas. The most eager reader: whatever could run as a formula
# or turn into a number, does.
IMPORT_FILTER = (
    "Text - txt - csv (StarCalc):44,34,76,1,,1033,false,true,false,false,false,-1,true"
)

# warehouse, SKU, units received, units ordered per order. Every order is
# picked with nothing found, so it is backordered and keeps its commitment.
BACKLOG = [
    ("MAIN", 'Bolt, M8 "zinc"', 2, [5]),
    ("MAIN", "Café-Ü", 0, [4, 3]),
    ("MAIN", "倉庫-棚3", 10, [12]),
    ("MAIN", "=1+2", 1, [4]),
    ("MAIN", "+A1", 0, [2]),
    ("MAIN", "-2+3", 3, [3]),
    ("MAIN", "@SUM(A1)", 6, [1]),
    ("=W2", "Box  XL", 1, [9]),
    ("=W2", "-5", 0, [5]),
]

# What the operator sees: warehouse, SKU, then on_hand, committed, available,
# releasable, available_after, orders, flag. Codes a spreadsheet would run
# keep the apostrophe csv_export puts in front of them.
EXPECTED = {
    ("MAIN", 'Bolt, M8 "zinc"'): (2, 5, -3, 5, 2, 1, FLAG),
    ("MAIN", "Café-Ü"): (0, 7, -7, 7, 0, 2, ""),
    ("MAIN", "倉庫-棚3"): (10, 12, -2, 12, 10, 1, FLAG),
    ("MAIN", "'=1+2"): (1, 4, -3, 4, 1, 1, FLAG),
    ("MAIN", "'+A1"): (0, 2, -2, 2, 0, 1, ""),
    ("MAIN", "'-2+3"): (3, 3, 0, 3, 3, 1, FLAG),
    ("MAIN", "'@SUM(A1)"): (6, 1, 5, 1, 6, 1, FLAG),
    ("'=W2", "Box  XL"): (1, 9, -8, 9, 1, 1, FLAG),
    ("'=W2", "'-5"): (0, 5, -5, 5, 0, 1, ""),
}

TEXT_COLUMNS = ("warehouse", "sku", "flag")
NUMBER_COLUMNS = (
    "on_hand",
    "committed",
    "available",
    "releasable",
    "available_after",
    "orders",
)

OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"


@dataclass(frozen=True)
class Cell:
    """One spreadsheet cell: its type, stored value, formula and shown text."""

    value_type: str | None
    value: str | None
    formula: str | None
    text: str


EMPTY = Cell(None, None, None, "")


@dataclass(frozen=True)
class Export:
    """The audit CSV's rows and the same file as LibreOffice opened it."""

    csv_rows: list[list[str]]
    sheet: list[list[Cell]]

    def rows_by_code(self) -> dict[tuple[str, str], dict[str, Cell]]:
        """Data rows keyed by (warehouse, SKU) as shown: row order is collation's."""
        records = [dict(zip(COLUMNS, row, strict=True)) for row in self.sheet[1:]]
        return {(r["warehouse"].text, r["sku"].text): r for r in records}


def find_soffice() -> str:
    """The soffice binary; without it skip, or fail where CI requires it."""
    soffice = shutil.which("soffice")
    if soffice is None:
        reason = f"LibreOffice (soffice) is not installed: {INSTALL}"
        if os.environ.get("WMS_REQUIRE_LIBREOFFICE") == "1":
            pytest.fail(f"WMS_REQUIRE_LIBREOFFICE=1 but {reason}")
        pytest.skip(reason)
    return soffice


def build_backlog(wms: Run) -> None:
    for code in dict.fromkeys(code for code, *_ in BACKLOG):
        wms("warehouse", "add", "--", code)
    orders = 0
    for code, sku, received, ordered in BACKLOG:
        wms("product", "add", "--", sku)
        if received:
            wms(
                "stock",
                "receive",
                f"--warehouse={code}",
                f"--sku={sku}",
                f"--qty={received}",
            )
        for units in ordered:
            orders += 1
            number = f"SO-{orders}"
            wms(
                "order", "place", number, f"--warehouse={code}", f"--line={sku}={units}"
            )
            wms("order", "pick", number)


def open_in_libreoffice(soffice: str, csv_path: Path, workdir: Path) -> Path:
    """Convert the CSV to flat ODS with a private profile, so runs don't clash."""
    outdir = workdir / "fods"
    result = subprocess.run(
        [
            soffice,
            f"-env:UserInstallation={(workdir / 'profile').as_uri()}",
            "--headless",
            f"--infilter={IMPORT_FILTER}",
            "--convert-to",
            "fods",
            "--outdir",
            str(outdir),
            str(csv_path),
        ],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    converted = outdir / f"{csv_path.stem}.fods"
    if result.returncode != 0 or not converted.is_file():
        pytest.fail(
            f"soffice could not convert {csv_path} (exit {result.returncode}): "
            f"{result.stdout}{result.stderr}"
        )
    return converted


def read_sheet(path: Path) -> list[list[Cell]]:
    """The first sheet's rows, repeated cells expanded, padded to the columns."""
    table = ET.parse(path).getroot().find(f".//{{{TABLE}}}table")
    assert table is not None, f"no sheet in {path}"
    rows = []
    for row in table.iter(f"{{{TABLE}}}table-row"):
        cells: list[Cell] = []
        for element in row:
            repeated = int(element.get(f"{{{TABLE}}}number-columns-repeated", "1"))
            cells.extend([read_cell(element)] * repeated)
        while cells and cells[-1] == EMPTY:
            cells.pop()
        if cells:
            repeated = int(row.get(f"{{{TABLE}}}number-rows-repeated", "1"))
            rows.extend([cells] * repeated)
    return [row + [EMPTY] * (len(COLUMNS) - len(row)) for row in rows]


def read_cell(element: ET.Element) -> Cell:
    return Cell(
        value_type=element.get(f"{{{OFFICE}}}value-type"),
        value=element.get(f"{{{OFFICE}}}value"),
        formula=element.get(f"{{{TABLE}}}formula"),
        text="\n".join(shown_text(p) for p in element.iter(f"{{{TEXT}}}p")),
    )


def shown_text(element: ET.Element) -> str:
    """A paragraph's text; ODF stores a run of spaces as <text:s text:c="N"/>."""
    parts = [element.text or ""]
    for child in element:
        if child.tag == f"{{{TEXT}}}s":
            parts.append(" " * int(child.get(f"{{{TEXT}}}c", "1")))
        else:
            parts.append(shown_text(child))
        parts.append(child.tail or "")
    return "".join(parts)


def number(cell: Cell) -> float | None:
    """A number cell's value; None for any other cell, so a comparison shows it."""
    return float(cell.value) if cell.value_type == "float" and cell.value else None


@pytest.fixture(scope="module", params=BACKENDS)
def export(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Export:
    soffice = find_soffice()
    workdir = tmp_path_factory.mktemp("libreoffice")
    url = databases.fresh_database(request.param, workdir)
    wms = make_runner(url, Plugins(make_plugin_manager()))
    build_backlog(wms)
    csv_path = workdir / "audit.csv"

    wms(AUDIT, "--csv", str(csv_path))

    with csv_path.open(encoding="utf-8", newline="") as handle:
        csv_rows = list(csv.reader(handle))
    return Export(csv_rows, read_sheet(open_in_libreoffice(soffice, csv_path, workdir)))


def test_every_row_and_column_arrives(export: Export) -> None:
    assert len(export.csv_rows) == len(EXPECTED) + 1
    assert len(export.sheet) == len(export.csv_rows)
    assert export.sheet[0] == [Cell("string", None, None, c) for c in COLUMNS]


def test_text_cells_show_exactly_what_the_csv_holds(export: Export) -> None:
    for sheet_row, csv_row in zip(export.sheet[1:], export.csv_rows[1:], strict=True):
        for column, cell, field in zip(COLUMNS, sheet_row, csv_row, strict=True):
            if column in TEXT_COLUMNS:
                expected = Cell("string", None, None, field) if field else EMPTY
                assert cell == expected, f"{column} {field!r}"


def test_numbers_stay_numbers_with_their_signs(export: Export) -> None:
    for sheet_row, csv_row in zip(export.sheet[1:], export.csv_rows[1:], strict=True):
        for column, cell, field in zip(COLUMNS, sheet_row, csv_row, strict=True):
            if column in NUMBER_COLUMNS:
                assert cell == Cell("float", field, None, field), f"{column} {field!r}"


def test_no_cell_runs_as_a_formula(export: Export) -> None:
    formulas = [cell for row in export.sheet for cell in row if cell.formula]
    assert formulas == []


def test_each_row_shows_what_the_audit_computed(export: Export) -> None:
    """Keyed by the codes as shown, so the neutralised ones carry their apostrophe."""
    shown = {
        code: (
            *(number(record[c]) for c in NUMBER_COLUMNS),
            record["flag"].text,
        )
        for code, record in export.rows_by_code().items()
    }
    assert shown == EXPECTED
