"""A released line's JSON, written by the database, reads as Python writes it.

The apply's report has the database write each released line's JSON object
(``backorder_release.json_text``); planned and skipped lines are encoded in
Python.  Codes with quotes, backslashes and non-ASCII text must come out the
same byte for byte from both, on every backend.
"""

from __future__ import annotations

import json

from tests.conftest import Run
from tests.helpers import RELEASE

SKU = 'Ünïcødé, "quoted" \\ back\\slash / 🚚'
ORDER = 'O-"1"\\Ω'
WAREHOUSE = "NÖRD"


def object_texts(output: str) -> list[str]:
    """The report's line objects, as printed (one per line, indented)."""
    return [
        line.strip().removesuffix(",")
        for line in output.splitlines()
        if line.startswith("  {")
    ]


def test_database_written_json_matches_python_written_json(wms: Run) -> None:
    wms("warehouse", "add", WAREHOUSE)
    wms("product", "add", SKU)
    wms("product", "add", "PLAIN")
    wms("order", "place", ORDER, "--warehouse", WAREHOUSE, "--line", f"{SKU}=3")
    wms("order", "place", "O2", "--warehouse", WAREHOUSE, "--line", "PLAIN=12")
    wms("order", "pick", ORDER)
    wms("order", "pick", "O2")

    planned = object_texts(wms(RELEASE, "--format", "json").stdout)
    applied = wms(RELEASE, "--apply", "--format", "json").stdout

    released = object_texts(applied)
    assert released == [
        text.replace('"status": "planned"', '"status": "released"') for text in planned
    ]
    assert [json.loads(text) for text in released] == [
        {
            "order": ORDER,
            "warehouse": WAREHOUSE,
            "sku": SKU,
            "units": 3,
            "status": "released",
            "reason": "",
        },
        {
            "order": "O2",
            "warehouse": WAREHOUSE,
            "sku": "PLAIN",
            "units": 12,
            "status": "released",
            "reason": "",
        },
    ]
    assert json.loads(applied)["totals"]["released"] == {
        "lines": 2,
        "units": 15,
        "orders": 2,
    }
