"""``wms import DIR``: loading an existing backlog from CSV files, all or nothing.

A clean set of files loads in one transaction, with stock ``committed``
computed from the imported lines (DESIGN.md §3, §6.1); the audit then sees
exactly the imported backordered commitments and ``--apply`` releases exactly
them (§6.4).  Bad files give one ``Error:`` line naming the file, the line and
the reason, exit 2, and leave the database as it was (§6.6).
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from tests.catalogue import assert_documented_error
from tests.conftest import Run
from tests.helpers import (
    AUDIT,
    as_json,
    assert_one_line_error,
    levels,
    log_rows,
    order_json,
    release_json,
    stock_json,
)

DIRECTORY = object()
"""In a Files mapping: make a directory under the file's name."""

Files = Mapping[str, str | bytes | object | None]
Snapshot = Callable[[], dict[str, list[tuple[Any, ...]]]]

WAREHOUSES = "warehouses.csv"
PRODUCTS = "products.csv"
STOCK = "stock.csv"
ORDERS = "orders.csv"
LINES = "order_lines.csv"


def write_files(directory: Path, files: Files) -> Path:
    """Write each file as given: text as UTF-8, bytes untouched, None left out,
    DIRECTORY as a directory."""
    directory.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        if content is None:
            continue
        if content is DIRECTORY:
            (directory / name).mkdir()
            continue
        assert isinstance(content, str | bytes)
        data = content if isinstance(content, bytes) else content.encode("utf-8")
        (directory / name).write_bytes(data)
    return directory


def write_csv(
    directory: Path,
    name: str,
    rows: Sequence[Sequence[str]],
    *,
    encoding: str = "utf-8",
) -> None:
    """A properly quoted CSV file (csv.writer quotes commas, quotes and newlines)."""
    directory.mkdir(parents=True, exist_ok=True)
    with (directory / name).open("w", encoding=encoding, newline="") as handle:
        csv.writer(handle).writerows(rows)


def stock_table(run: Run) -> dict[tuple[str, str], dict[str, int]]:
    """Every stock row keyed by (warehouse, sku), independent of collation order."""
    return {
        (r["warehouse"], r["sku"]): {
            k: r[k] for k in ("on_hand", "committed", "available", "backordered")
        }
        for r in stock_json(run)
    }


def audit_json(run: Run, *args: str) -> dict[str, Any]:
    return as_json(run(AUDIT, "--format", "json", *args))


def lines_of(run: Run, number: str) -> list[tuple[str, int, int, int]]:
    """(sku, ordered, shipped, committed) of each line of an order, in line order."""
    return [
        (line["sku"], line["ordered"], line["shipped"], line["committed"])
        for line in order_json(run, number)["lines"]
    ]


# --- a valid backlog ------------------------------------------------------------

BACKLOG: dict[str, str] = {
    WAREHOUSES: "code,name\nMAIN,Main DC\nEAST,\n",
    PRODUCTS: "sku,name\nA,Anchor\nB,Bracket\nC,Clamp\n",
    # committed is never read from a file: this column must be ignored
    STOCK: "warehouse,sku,on_hand,committed\nMAIN,A,5,99\nMAIN,B,3,99\nEAST,A,1,99\n",
    ORDERS: (
        "number,warehouse,status\n"
        "O1,MAIN,partially_shipped\n"
        "O2,MAIN,backordered\n"
        "O3,MAIN,placed\n"
        "O4,EAST,backordered\n"
        "O5,MAIN,shipped\n"
        "O6,EAST,cancelled\n"
    ),
    LINES: (
        "order,sku,ordered,shipped,committed\n"
        "O1,A,8,5,3\n"
        "O2,A,2,0,2\n"
        "O2,B,4,0,4\n"
        "O3,B,1,0,1\n"
        "O3,C,2,0,2\n"
        "O4,A,6,0,6\n"
        "O5,B,2,2,0\n"
        "O6,C,3,0,0\n"
    ),
}
"""MAIN/A: O1 partially shipped (3 left), O2 backordered (2): 5 releasable.
MAIN/B: O2 backordered (4, releasable), O3 placed (1, stays).
MAIN/C: only on lines (O3 placed, 2): no stock.csv row, so one is created.
EAST/A: O4 backordered (6), 1 on hand.  O5 shipped, O6 cancelled: nothing held.
"""

BACKLOG_STOCK = {
    ("EAST", "A"): levels(1, 6),
    ("EAST", "C"): levels(0, 0),
    ("MAIN", "A"): levels(5, 5),
    ("MAIN", "B"): levels(3, 5),
    ("MAIN", "C"): levels(0, 2),
}

BACKLOG_AUDIT_ROWS = [
    {
        "warehouse": "EAST",
        "sku": "A",
        "on_hand": 1,
        "committed": 6,
        "available": -5,
        "releasable": 6,
        "available_after": 1,
        "orders": 1,
        "flag": "WOULD_MAKE_AVAILABLE",
    },
    {
        "warehouse": "MAIN",
        "sku": "A",
        "on_hand": 5,
        "committed": 5,
        "available": 0,
        "releasable": 5,
        "available_after": 5,
        "orders": 2,
        "flag": "WOULD_MAKE_AVAILABLE",
    },
    {
        "warehouse": "MAIN",
        "sku": "B",
        "on_hand": 3,
        "committed": 5,
        "available": -2,
        "releasable": 4,
        "available_after": 2,
        "orders": 1,
        "flag": "WOULD_MAKE_AVAILABLE",
    },
]


@pytest.fixture
def imported(wms: Run, tmp_path: Path, check: Callable[[], None]) -> Run:
    directory = write_files(tmp_path / "backlog", BACKLOG)
    result = wms("import", str(directory))
    assert (
        result.stdout
        == "imported 2 warehouses, 3 products, 3 stock, 6 orders, 8 order lines\n"
    )
    check()
    return wms


def test_import_loads_exact_stock(imported: Run) -> None:
    assert stock_table(imported) == BACKLOG_STOCK


def test_stock_committed_is_the_sum_of_the_lines_not_the_file(imported: Run) -> None:
    table = stock_table(imported)

    assert (
        table[("MAIN", "A")]["committed"] == 3 + 2
    )  # O1 + O2, not the 99 in stock.csv
    assert table[("MAIN", "B")]["committed"] == 4 + 1  # O2 + O3
    assert table[("EAST", "A")]["committed"] == 6


def test_stock_row_is_created_for_a_sku_only_on_lines(imported: Run) -> None:
    rows = [r for r in stock_json(imported) if r["sku"] == "C"]

    assert rows == [
        {
            "warehouse": "EAST",
            "sku": "C",
            "on_hand": 0,
            "committed": 0,
            "available": 0,
            "backordered": 0,
        },
        {
            "warehouse": "MAIN",
            "sku": "C",
            "on_hand": 0,
            "committed": 2,
            "available": -2,
            "backordered": 2,
        },
    ]


@pytest.mark.parametrize(
    ("number", "warehouse", "status", "lines"),
    [
        pytest.param(
            "O1", "MAIN", "partially_shipped", [("A", 8, 5, 3)], id="partially-shipped"
        ),
        pytest.param(
            "O2",
            "MAIN",
            "backordered",
            [("A", 2, 0, 2), ("B", 4, 0, 4)],
            id="backordered",
        ),
        pytest.param(
            "O3", "MAIN", "placed", [("B", 1, 0, 1), ("C", 2, 0, 2)], id="placed"
        ),
        pytest.param(
            "O4", "EAST", "backordered", [("A", 6, 0, 6)], id="other-warehouse"
        ),
        pytest.param("O5", "MAIN", "shipped", [("B", 2, 2, 0)], id="shipped"),
        pytest.param("O6", "EAST", "cancelled", [("C", 3, 0, 0)], id="cancelled"),
    ],
)
def test_import_loads_exact_orders(
    imported: Run,
    number: str,
    warehouse: str,
    status: str,
    lines: list[tuple[str, int, int, int]],
) -> None:
    order = order_json(imported, number)

    assert (order["number"], order["warehouse"], order["status"]) == (
        number,
        warehouse,
        status,
    )
    assert lines_of(imported, number) == lines
    assert [line["outstanding"] for line in order["lines"]] == [
        o - s for _, o, s, _ in lines
    ]


def test_import_loads_names_and_defaults_an_empty_name_to_the_code(
    imported: Run,
) -> None:
    warehouses = as_json(imported("warehouse", "list", "--format", "json"))
    products = as_json(imported("product", "list", "--format", "json"))

    assert {(w["code"], w["name"]) for w in warehouses} == {
        ("MAIN", "Main DC"),
        ("EAST", "EAST"),
    }
    assert [(p["sku"], p["name"]) for p in products] == [
        ("A", "Anchor"),
        ("B", "Bracket"),
        ("C", "Clamp"),
    ]


def test_audit_reports_exactly_the_imported_backorders(imported: Run) -> None:
    report = audit_json(imported)

    assert report["rows"] == BACKLOG_AUDIT_ROWS
    assert report["totals"] == {
        "products": 3,
        "releasable": 15,
        "would_make_available": 3,
    }


def test_audit_drills_down_to_the_imported_lines(imported: Run) -> None:
    report = audit_json(imported, "--sku", "A")

    assert report["lines"] == [
        {"order": "O1", "warehouse": "MAIN", "sku": "A", "committed": 3},
        {"order": "O2", "warehouse": "MAIN", "sku": "A", "committed": 2},
        {"order": "O4", "warehouse": "EAST", "sku": "A", "committed": 6},
    ]


def test_apply_releases_exactly_the_imported_backorders(
    imported: Run, db_url: str, check: Callable[[], None]
) -> None:
    report = release_json(imported, "--apply")
    check()

    assert report["totals"]["released"] == {"lines": 4, "units": 15, "orders": 3}
    assert log_rows(db_url) == [
        ("backfill", "MAIN", "O1", "A", 3),
        ("backfill", "MAIN", "O2", "A", 2),
        ("backfill", "MAIN", "O2", "B", 4),
        ("backfill", "EAST", "O4", "A", 6),
    ]
    assert stock_table(imported) == {
        ("EAST", "A"): levels(1, 0),
        ("EAST", "C"): levels(0, 0),
        ("MAIN", "A"): levels(5, 0),
        ("MAIN", "B"): levels(3, 1),
        ("MAIN", "C"): levels(0, 2),
    }
    assert lines_of(imported, "O3") == [("B", 1, 0, 1), ("C", 2, 0, 2)]  # placed: kept
    assert audit_json(imported)["rows"] == []


def test_import_is_recorded_in_the_activity_feed(imported: Run) -> None:
    feed = as_json(imported("activity", "--format", "json"))

    assert [row["kind"] for row in feed] == ["imported"]
    assert "6 orders" in feed[0]["message"] and "8 order_lines" in feed[0]["message"]


# --- importing next to existing data --------------------------------------------


@pytest.fixture
def existing(wms: Run, check: Callable[[], None]) -> Run:
    """MAIN with A (5 on hand) and B; P1 placed for 2 A; P2 backordered for 1 B."""
    wms("warehouse", "add", "MAIN")
    wms("product", "add", "A")
    wms("product", "add", "B")
    wms("stock", "receive", "--warehouse", "MAIN", "--sku", "A", "--qty", "5")
    wms("order", "place", "P1", "--warehouse", "MAIN", "--line", "A=2")
    wms("order", "place", "P2", "--warehouse", "MAIN", "--line", "B=1")
    wms("order", "pick", "P2")
    check()
    return wms


def test_import_next_to_existing_data(
    existing: Run, tmp_path: Path, check: Callable[[], None]
) -> None:
    directory = write_files(
        tmp_path / "more",
        {
            WAREHOUSES: "code,name\nWEST,West DC\n",
            PRODUCTS: "sku,name\nX,Xylo\n",
            STOCK: "warehouse,sku,on_hand\nWEST,A,7\nMAIN,X,1\n",
            ORDERS: "number,warehouse,status\nN1,MAIN,backordered\nN2,WEST,placed\n",
            LINES: "order,sku,ordered,shipped,committed\nN1,A,3,0,3\nN1,X,4,0,4\nN2,A,2,0,2\n",
        },
    )

    existing("import", str(directory))
    check()

    assert stock_table(existing) == {
        ("MAIN", "A"): levels(5, 2 + 3),  # existing P1 + imported N1
        ("MAIN", "B"): levels(0, 1),
        ("MAIN", "X"): levels(1, 4),
        ("WEST", "A"): levels(7, 2),
    }
    assert lines_of(existing, "P1") == [("A", 2, 0, 2)]
    assert lines_of(existing, "N1") == [("A", 3, 0, 3), ("X", 4, 0, 4)]
    assert [
        (r["warehouse"], r["sku"], r["releasable"], r["orders"])
        for r in audit_json(existing)["rows"]
    ] == [
        ("MAIN", "A", 3, 1),
        ("MAIN", "B", 1, 1),
        ("MAIN", "X", 4, 1),
    ]


def test_import_of_orders_only_uses_existing_warehouses_and_products(
    existing: Run, tmp_path: Path
) -> None:
    directory = write_files(
        tmp_path / "orders-only",
        {
            ORDERS: "number,warehouse,status\nN1,MAIN,partially_shipped\n",
            LINES: "order,sku,ordered,shipped,committed\nN1,B,6,2,4\n",
        },
    )

    result = existing("import", str(directory))

    assert (
        result.stdout
        == "imported 0 warehouses, 0 products, 0 stock, 1 orders, 1 order lines\n"
    )
    assert stock_table(existing)[("MAIN", "B")] == levels(0, 1 + 4)
    assert lines_of(existing, "N1") == [("B", 6, 2, 4)]


# --- encodings and awkward SKUs ----------------------------------------------------


def test_utf8_bom_files_import(
    wms: Run, tmp_path: Path, check: Callable[[], None]
) -> None:
    directory = tmp_path / "bom"
    for name, content in BACKLOG.items():
        write_files(directory, {name: b"\xef\xbb\xbf" + content.encode("utf-8")})

    wms("import", str(directory))
    check()

    assert stock_table(wms) == BACKLOG_STOCK
    assert audit_json(wms)["totals"]["releasable"] == 15


ODD_SKUS = ["comma, sku", 'say "hi"', 'Ünïcødé, "quoted" ß', "日本-ランプ"]


def test_skus_with_commas_quotes_and_non_ascii_import(
    wms: Run, tmp_path: Path, check: Callable[[], None]
) -> None:
    directory = tmp_path / "odd"
    write_csv(
        directory, WAREHOUSES, [["code", "name"], ["MAIN", 'Main, "the" big one']]
    )
    write_csv(
        directory,
        PRODUCTS,
        [["sku", "name"], *[[sku, f"name of {sku}"] for sku in ODD_SKUS]],
    )
    write_csv(
        directory,
        STOCK,
        [
            ["warehouse", "sku", "on_hand"],
            *[["MAIN", sku, str(i)] for i, sku in enumerate(ODD_SKUS, 1)],
        ],
    )
    write_csv(
        directory,
        ORDERS,
        [["number", "warehouse", "status"], ["O,1", "MAIN", "backordered"]],
    )
    write_csv(
        directory,
        LINES,
        [
            ["order", "sku", "ordered", "shipped", "committed"],
            *[["O,1", sku, "9", "0", "9"] for sku in ODD_SKUS],
        ],
    )

    wms("import", str(directory))
    check()

    assert stock_table(wms) == {
        ("MAIN", sku): levels(i, 9) for i, sku in enumerate(ODD_SKUS, 1)
    }
    assert lines_of(wms, "O,1") == [(sku, 9, 0, 9) for sku in ODD_SKUS]
    products = as_json(wms("product", "list", "--format", "json"))
    assert {(p["sku"], p["name"]) for p in products} == {
        (sku, f"name of {sku}") for sku in ODD_SKUS
    }
    warehouses = as_json(wms("warehouse", "list", "--format", "json"))
    assert [w["name"] for w in warehouses] == ['Main, "the" big one']
    drill = audit_json(wms, "--sku", 'Ünïcødé, "quoted" ß')
    assert drill["lines"] == [
        {
            "order": "O,1",
            "warehouse": "MAIN",
            "sku": 'Ünïcødé, "quoted" ß',
            "committed": 9,
        }
    ]


def test_skus_that_differ_only_in_case_are_different_skus_everywhere(
    wms: Run, tmp_path: Path
) -> None:
    """'lamp-1' and 'LAMP-1' are two SKUs on every backend (MariaDB included,
    whose default collation would have merged them)."""
    directory = write_files(
        tmp_path / "case", {PRODUCTS: "sku,name\nLAMP-1,upper\nlamp-1,lower\n"}
    )

    wms("import", str(directory))

    products = as_json(wms("product", "list", "--format", "json"))
    assert {p["sku"] for p in products} == {"LAMP-1", "lamp-1"}


# --- bad input: one line, exit 2, nothing changed -------------------------------------

VALID: dict[str, str] = {
    WAREHOUSES: "code,name\nWEST,West DC\n",
    PRODUCTS: "sku,name\nX,Xylo\n",
    STOCK: "warehouse,sku,on_hand\nWEST,X,4\n",
    ORDERS: "number,warehouse,status\nN1,WEST,backordered\n",
    LINES: "order,sku,ordered,shipped,committed\nN1,X,5,0,5\n",
}
"""A clean import next to the ``existing`` data; every bad case changes one file."""


def bad(id_: str, changes: Files, *expected: str) -> Any:
    return pytest.param(id_, {**VALID, **changes}, expected, id=id_)


BAD_FILES = [
    # header and shape
    bad(
        "missing-column",
        {STOCK: "warehouse,sku\nWEST,X\n"},
        "stock.csv",
        "missing column",
        "on_hand",
    ),
    bad(
        "missing-column-lines",
        {ORDERS: None, LINES: "order,sku,ordered,shipped\nN1,X,5,0\n"},
        "order_lines.csv",
        "missing column",
        "committed",
    ),
    bad(
        "more-fields-than-header",
        {STOCK: "warehouse,sku,on_hand\nWEST,X,4,9\n"},
        "stock.csv line 2",
        "more fields",
    ),
    bad(
        "fewer-fields-than-header",
        {LINES: "order,sku,ordered,shipped,committed\nN1,X,5,0,5\nN1,A,5,0\n"},
        "order_lines.csv line 3",
        "committed",
    ),
    bad(
        "not-utf8-latin1",
        {STOCK: b"warehouse,sku,on_hand\nWEST,X,4\nWEST,CAF\xe9,1\n"},
        "stock.csv",
        "UTF-8",
    ),
    bad(
        "not-utf8-utf16",
        {STOCK: "warehouse,sku,on_hand\nWEST,X,4\n".encode("utf-16")},
        "stock.csv line 1",
        "UTF-8",
    ),
    bad("empty-file", {STOCK: ""}, "stock.csv", "missing column", "on_hand"),
    bad(
        "header-wrong-case",
        {STOCK: "Warehouse,SKU,On_Hand\nWEST,X,4\n"},
        "stock.csv",
        "missing column",
        "sku",
    ),
    bad(
        "semicolon-separated",
        {STOCK: "warehouse;sku;on_hand\nWEST;X;4\n"},
        "stock.csv",
        "missing column",
    ),
    bad(
        "column-twice-in-header",
        {STOCK: "warehouse,sku,on_hand,on_hand\nWEST,X,4,5\n"},
        "stock.csv",
        "on_hand",
        "more than once",
    ),
    bad(
        "quote-never-closed",
        {PRODUCTS: 'sku,name\nX,Xylo\n"Y,Why\n'},
        "products.csv line 3",
        "not valid CSV",
    ),
    bad(
        "text-after-closing-quote",
        {PRODUCTS: 'sku,name\nX,Xylo\n"Y"es,Why\n'},
        "products.csv line 3",
        "not valid CSV",
    ),
    bad(
        "import-file-is-a-directory",
        {STOCK: DIRECTORY},
        "stock.csv",
        "cannot read",
    ),
    # duplicate keys
    bad(
        "duplicate-warehouse-in-file",
        {WAREHOUSES: "code,name\nWEST,West DC\nWEST,Again\n"},
        "warehouses.csv line 3",
        "WEST",
        "already defined",
    ),
    bad(
        "duplicate-warehouse-existing",
        {WAREHOUSES: "code,name\nWEST,West DC\nMAIN,Main\n"},
        "warehouses.csv line 3",
        "MAIN",
        "already defined",
    ),
    bad(
        "duplicate-sku-in-file",
        {PRODUCTS: "sku,name\nX,Xylo\nX,Again\n"},
        "products.csv line 3",
        "X",
        "already defined",
    ),
    bad(
        "duplicate-sku-existing",
        {PRODUCTS: "sku,name\nX,Xylo\nA,Anchor\n"},
        "products.csv line 3",
        "A",
        "already defined",
    ),
    bad(
        "duplicate-stock-in-file",
        {STOCK: "warehouse,sku,on_hand\nWEST,X,4\nWEST,X,6\n"},
        "stock.csv line 3",
        "already defined",
    ),
    bad(
        "duplicate-stock-existing",
        {STOCK: "warehouse,sku,on_hand\nWEST,X,4\nMAIN,A,1\n"},
        "stock.csv line 3",
        "already defined",
    ),
    bad(
        "duplicate-order-in-file",
        {ORDERS: "number,warehouse,status\nN1,WEST,backordered\nN1,WEST,placed\n"},
        "orders.csv line 3",
        "N1",
        "already defined",
    ),
    bad(
        "duplicate-order-existing",
        {ORDERS: "number,warehouse,status\nN1,WEST,backordered\nP1,MAIN,placed\n"},
        "orders.csv line 3",
        "P1",
        "already defined",
    ),
    bad(
        "sku-twice-on-one-order",
        {LINES: "order,sku,ordered,shipped,committed\nN1,X,5,0,5\nN1,X,1,0,1\n"},
        "order_lines.csv line 3",
        "twice",
        "N1",
    ),
    # wrong types
    bad(
        "on-hand-not-a-number",
        {STOCK: "warehouse,sku,on_hand\nWEST,X,four\n"},
        "stock.csv line 2",
        "on_hand",
        "whole number",
    ),
    bad(
        "on-hand-fraction",
        {STOCK: "warehouse,sku,on_hand\nWEST,X,1.5\n"},
        "stock.csv line 2",
        "on_hand",
        "whole number",
    ),
    bad(
        "on-hand-empty",
        {STOCK: "warehouse,sku,on_hand\nWEST,X,\n"},
        "stock.csv line 2",
        "on_hand",
        "whole number",
    ),
    bad(
        "on-hand-negative",
        {STOCK: "warehouse,sku,on_hand\nWEST,X,-1\n"},
        "stock.csv line 2",
        "on_hand",
        "negative",
    ),
    bad(
        "on-hand-with-underscore",
        {STOCK: "warehouse,sku,on_hand\nWEST,X,1_0\n"},
        "stock.csv line 2",
        "on_hand",
    ),
    bad(
        "on-hand-beyond-integer-range",
        {STOCK: "warehouse,sku,on_hand\nWEST,X,3000000000\n"},
        "stock.csv line 2",
        "on_hand",
    ),
    bad(
        "ordered-beyond-64-bit",
        {
            LINES: f"order,sku,ordered,shipped,committed\nN1,X,5,0,5\nN1,A,{10**20},0,5\n"
        },
        "order_lines.csv line 3",
        "ordered",
    ),
    bad(
        "ordered-not-a-number",
        {LINES: "order,sku,ordered,shipped,committed\nN1,X,5,0,5\nN1,A,five,0,5\n"},
        "order_lines.csv line 3",
        "ordered",
        "whole number",
    ),
    bad(
        "shipped-negative",
        {LINES: "order,sku,ordered,shipped,committed\nN1,X,5,0,5\nN1,A,5,-1,5\n"},
        "order_lines.csv line 3",
        "shipped",
        "negative",
    ),
    bad(
        "committed-negative",
        {LINES: "order,sku,ordered,shipped,committed\nN1,X,5,0,5\nN1,A,5,0,-5\n"},
        "order_lines.csv line 3",
        "committed",
        "negative",
    ),
    bad(
        "ordered-zero",
        {LINES: "order,sku,ordered,shipped,committed\nN1,X,5,0,5\nN1,A,0,0,0\n"},
        "order_lines.csv line 3",
        "ordered",
    ),
    bad(
        "name-too-long",
        {PRODUCTS: "sku,name\nX," + "n" * 201 + "\n"},
        "products.csv line 2",
        "name",
    ),
    # references
    bad(
        "unknown-warehouse-in-stock",
        {STOCK: "warehouse,sku,on_hand\nWEST,X,4\nNOWHERE,X,1\n"},
        "stock.csv line 3",
        "unknown warehouse",
        "NOWHERE",
    ),
    bad(
        "unknown-sku-in-stock",
        {STOCK: "warehouse,sku,on_hand\nWEST,X,4\nWEST,NOSUCH,1\n"},
        "stock.csv line 3",
        "unknown SKU",
        "NOSUCH",
    ),
    bad(
        "unknown-warehouse-in-orders",
        {ORDERS: "number,warehouse,status\nN1,WEST,backordered\nN2,NOWHERE,placed\n"},
        "orders.csv line 3",
        "unknown warehouse",
        "NOWHERE",
    ),
    bad(
        "unknown-sku-in-lines",
        {LINES: "order,sku,ordered,shipped,committed\nN1,X,5,0,5\nN1,NOSUCH,1,0,1\n"},
        "order_lines.csv line 3",
        "unknown SKU",
        "NOSUCH",
    ),
    bad(
        "unknown-order-in-lines",
        {LINES: "order,sku,ordered,shipped,committed\nN1,X,5,0,5\nN9,X,1,0,1\n"},
        "order_lines.csv line 3",
        "N9",
    ),
    bad(
        "line-for-existing-order-not-in-file",
        {LINES: "order,sku,ordered,shipped,committed\nN1,X,5,0,5\nP1,A,1,0,1\n"},
        "order_lines.csv line 3",
        "P1",
    ),
    # quantities and statuses that break the lifecycle's rules
    bad(
        "shipped-plus-committed-exceed-ordered",
        {LINES: "order,sku,ordered,shipped,committed\nN1,X,5,0,5\nN1,A,5,2,4\n"},
        "order_lines.csv line 3",
        "exceeds ordered",
    ),
    bad(
        "committed-on-shipped-order",
        {
            ORDERS: "number,warehouse,status\nN1,WEST,backordered\nN2,WEST,shipped\n",
            LINES: "order,sku,ordered,shipped,committed\nN1,X,5,0,5\nN2,X,2,2,0\nN2,A,5,4,1\n",
        },
        "order_lines.csv line 4",
        "shipped",
        "committed",
    ),
    bad(
        "committed-on-cancelled-order",
        {
            ORDERS: "number,warehouse,status\nN1,WEST,backordered\nN2,WEST,cancelled\n",
            LINES: "order,sku,ordered,shipped,committed\nN1,X,5,0,5\nN2,X,3,0,0\nN2,A,5,0,5\n",
        },
        "order_lines.csv line 4",
        "cancelled",
        "committed",
    ),
    bad(
        "shipped-order-not-fully-shipped",
        {
            ORDERS: "number,warehouse,status\nN1,WEST,backordered\nN2,WEST,shipped\n",
            LINES: "order,sku,ordered,shipped,committed\nN1,X,5,0,5\nN2,X,2,2,0\nN2,A,5,3,0\n",
        },
        "order_lines.csv line 4",
        "shipped all 5",
    ),
    bad(
        "unknown-status",
        {ORDERS: "number,warehouse,status\nN1,WEST,backordered\nN2,WEST,open\n"},
        "orders.csv line 3",
        "unknown status",
        "open",
    ),
    bad(
        "status-wrong-case",
        {ORDERS: "number,warehouse,status\nN1,WEST,backordered\nN2,WEST,Backordered\n"},
        "orders.csv line 3",
        "unknown status",
        "Backordered",
    ),
    bad(
        "order-with-no-lines",
        {ORDERS: "number,warehouse,status\nN1,WEST,backordered\nN2,WEST,placed\n"},
        "orders.csv line 3",
        "N2",
        "no lines",
    ),
    # codes
    bad(
        "sku-too-long",
        {PRODUCTS: "sku,name\nX,Xylo\n" + "Y" * 65 + ",Why\n"},
        "products.csv line 3",
        "SKU",
    ),
    bad(
        "empty-order-number",
        {ORDERS: "number,warehouse,status\nN1,WEST,backordered\n,WEST,placed\n"},
        "orders.csv line 3",
        "order number",
    ),
    bad(
        "nul-byte-in-sku",
        {PRODUCTS: "sku,name\nX,Xylo\nY\x00,Why\n"},
        "products.csv line 3",
        "SKU",
    ),
]


@pytest.mark.parametrize(("case_id", "files", "expected"), BAD_FILES)
def test_bad_import_is_refused_and_changes_nothing(
    existing: Run,
    tmp_path: Path,
    snapshot: Snapshot,
    case_id: str,
    files: Files,
    expected: tuple[str, ...],
) -> None:
    directory = write_files(tmp_path / "bad", files)
    before = snapshot()

    result = existing("import", str(directory), ok=False)

    assert_documented_error(result, case_id, 2)
    assert "1 problem)" in result.stderr, result.stderr
    for fragment in expected:
        assert fragment in result.stderr, f"{fragment!r} not in {result.stderr!r}"
    assert snapshot() == before


def test_the_valid_files_behind_the_bad_cases_import(
    existing: Run, tmp_path: Path
) -> None:
    """Each bad case differs from these files only by its own fault."""
    directory = write_files(tmp_path / "good", VALID)

    existing("import", str(directory))

    assert stock_table(existing)[("WEST", "X")] == levels(4, 5)


def test_five_bad_rows_are_all_reported_in_one_line(
    existing: Run, tmp_path: Path, snapshot: Snapshot
) -> None:
    directory = write_files(
        tmp_path / "five",
        {
            WAREHOUSES: "code,name\nWEST,West DC\n",
            PRODUCTS: "sku,name\nX,Xylo\nX,Again\n",
            STOCK: "warehouse,sku,on_hand\nWEST,X,x\nNOWHERE,X,1\n",
            ORDERS: "number,warehouse,status\nN1,WEST,backordered\nN2,WEST,open\n",
            LINES: "order,sku,ordered,shipped,committed\nN1,X,5,0,5\nN1,A,2,1,2\n",
        },
    )
    before = snapshot()

    result = existing("import", str(directory), ok=False)

    assert_one_line_error(result, 2)
    assert "(5 problems)" in result.stderr
    for where in (
        "products.csv line 3",
        "stock.csv line 2",
        "stock.csv line 3",
        "orders.csv line 3",
        "order_lines.csv line 3",
    ):
        assert where in result.stderr, f"{where!r} not in {result.stderr!r}"
    assert snapshot() == before


def test_bad_byte_deep_in_a_large_file_is_located(
    existing: Run, tmp_path: Path, snapshot: Snapshot
) -> None:
    """The error must point at the bad byte: its line, or its offset in the file
    (a large file is decoded in chunks, so a chunk-relative offset misleads)."""
    rows = [b"sku,name"] + [
        f"SKU-{i:04d},Product number {i}".encode() for i in range(1, 1000)
    ]
    rows[700] = b"CAF\xe9,Caf\xe9"  # line 701
    data = b"\n".join(rows) + b"\n"
    directory = write_files(tmp_path / "large", {PRODUCTS: data})
    before = snapshot()

    result = existing("import", str(directory), ok=False)

    assert_one_line_error(result, 2)
    offset = data.index(b"\xe9")
    located = (
        "products.csv line 701" in result.stderr or f"byte {offset})" in result.stderr
    )
    assert located, result.stderr
    assert snapshot() == before


def empty_directory(path: Path) -> Path:
    path.mkdir()
    return path


def directory_of_unrelated_files(path: Path) -> Path:
    path.mkdir()
    (path / "notes.txt").write_text("not an import file\n")
    (path / "Products.CSV").write_text("sku,name\nZ,Zed\n")  # names are exact
    return path


def regular_file(path: Path) -> Path:
    path.write_text("sku,name\nX,Xylo\n")
    return path


def missing_path(path: Path) -> Path:
    return path


IMPORT_PATHS = [
    pytest.param(
        "import-empty-directory",
        empty_directory,
        "no import files",
        id="import-empty-directory",
    ),
    pytest.param(
        "import-only-unrelated-files",
        directory_of_unrelated_files,
        "no import files",
        id="import-only-unrelated-files",
    ),
    pytest.param(
        "import-path-is-a-file",
        regular_file,
        "not a directory",
        id="import-path-is-a-file",
    ),
    pytest.param(
        "import-path-does-not-exist",
        missing_path,
        "not a directory",
        id="import-path-does-not-exist",
    ),
]


@pytest.mark.parametrize(("case_id", "make_target", "expected"), IMPORT_PATHS)
def test_import_path_without_files_is_refused(
    existing: Run,
    tmp_path: Path,
    snapshot: Snapshot,
    case_id: str,
    make_target: Callable[[Path], Path],
    expected: str,
) -> None:
    target = make_target(tmp_path / "target")
    before = snapshot()

    result = existing("import", str(target), ok=False)

    assert_documented_error(result, case_id, 2)
    assert expected in result.stderr and str(target) in result.stderr
    assert snapshot() == before
