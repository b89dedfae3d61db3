"""The audit and the release command (DESIGN.md §5, §6 invariants 2-4)."""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from wms.plugins import Plugins, make_plugin_manager

from tests import invariants
from tests.conftest import Run, make_runner
from tests.helpers import (
    AUDIT,
    RELEASE,
    as_json,
    line_of,
    log_details,
    log_rows,
    release_json,
    stock_json,
)

FLAG = "WOULD_MAKE_AVAILABLE"


def build_backlog(run: Run) -> None:
    """Backordered lines in two warehouses, the setting off (the historical backlog).

    MAIN/A: O1 partially shipped (3 left committed), O2 backordered (2).
    MAIN/B: O2 backordered (4), O3 placed (1, not releasable), 3 on hand.
    EAST/A: O4 backordered (6), 1 on hand.
    """
    run("warehouse", "add", "MAIN")
    run("warehouse", "add", "EAST")
    run("product", "add", "A")
    run("product", "add", "B")
    run("stock", "receive", "--warehouse", "MAIN", "--sku", "A", "--qty", "5")
    run("order", "place", "O1", "--warehouse", "MAIN", "--line", "A=8")
    run("order", "pick", "O1", "--line", "A=5")
    run("order", "qc", "O1", "--line", "A=5", "--confirm-partial")
    run("order", "place", "O2", "--warehouse", "MAIN", "--line", "A=2", "--line", "B=4")
    run("order", "pick", "O2")
    run("order", "place", "O3", "--warehouse", "MAIN", "--line", "B=1")
    run("stock", "receive", "--warehouse", "MAIN", "--sku", "B", "--qty", "3")
    run("stock", "receive", "--warehouse", "EAST", "--sku", "A", "--qty", "1")
    run("order", "place", "O4", "--warehouse", "EAST", "--line", "A=6")
    run("order", "pick", "O4", "--line", "A=0")


@pytest.fixture
def backlog(wms: Run, check: Callable[[], None]) -> Run:
    build_backlog(wms)
    check()
    return wms


def audit_json(run: Run, *args: str) -> dict[str, Any]:
    return as_json(run(AUDIT, "--format", "json", *args))


def committed_by_stock(run: Run) -> dict[tuple[str, str], int]:
    return {(r["warehouse"], r["sku"]): r["committed"] for r in stock_json(run)}


BACKLOG_ROWS = [
    {
        "warehouse": "EAST",
        "sku": "A",
        "on_hand": 1,
        "committed": 6,
        "available": -5,
        "releasable": 6,
        "available_after": 1,
        "orders": 1,
        "flag": FLAG,
    },
    {
        "warehouse": "MAIN",
        "sku": "A",
        "on_hand": 0,
        "committed": 5,
        "available": -5,
        "releasable": 5,
        "available_after": 0,
        "orders": 2,
        "flag": "",
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
        "flag": FLAG,
    },
]


# --- audit numbers ------------------------------------------------------------


def test_audit_rows_and_totals(backlog: Run) -> None:
    report = audit_json(backlog)

    assert report["rows"] == BACKLOG_ROWS
    assert report["totals"] == {
        "products": 3,
        "releasable": 15,
        "would_make_available": 2,
    }
    assert "lines" not in report


@pytest.mark.parametrize(
    ("on_hand", "available_after", "flag"),
    [
        pytest.param(2, -1, "", id="after-below-zero-no-flag"),
        pytest.param(3, 0, "", id="after-exactly-zero-no-flag"),
        pytest.param(4, 1, FLAG, id="after-above-zero-flag"),
    ],
)
def test_would_make_available_boundary(
    wms: Run, check: Callable[[], None], on_hand: int, available_after: int, flag: str
) -> None:
    wms("warehouse", "add", "MAIN")
    wms("product", "add", "A")
    wms("stock", "receive", "--warehouse", "MAIN", "--sku", "A", "--qty", str(on_hand))
    wms("order", "place", "P1", "--warehouse", "MAIN", "--line", "A=3")  # stays placed
    wms("order", "place", "B1", "--warehouse", "MAIN", "--line", "A=5")
    wms("order", "pick", "B1", "--line", "A=0")  # backordered, 5 releasable
    check()

    report = audit_json(wms)

    assert report["rows"] == [
        {
            "warehouse": "MAIN",
            "sku": "A",
            "on_hand": on_hand,
            "committed": 8,
            "available": on_hand - 8,
            "releasable": 5,
            "available_after": available_after,
            "orders": 1,
            "flag": flag,
        }
    ]
    assert report["totals"]["would_make_available"] == (1 if flag else 0)


def test_audit_warehouse_filter(backlog: Run) -> None:
    report = audit_json(backlog, "--warehouse", "MAIN")

    assert report["rows"] == BACKLOG_ROWS[1:]
    assert report["totals"] == {
        "products": 2,
        "releasable": 9,
        "would_make_available": 1,
    }


def test_audit_sku_drills_down_to_lines(backlog: Run) -> None:
    report = audit_json(backlog, "--sku", "A")

    assert report["rows"] == BACKLOG_ROWS[:2]
    assert report["lines"] == [
        {"order": "O1", "warehouse": "MAIN", "sku": "A", "committed": 3},
        {"order": "O2", "warehouse": "MAIN", "sku": "A", "committed": 2},
        {"order": "O4", "warehouse": "EAST", "sku": "A", "committed": 6},
    ]
    assert report["totals"]["releasable"] == 11


def test_audit_sku_and_warehouse(backlog: Run) -> None:
    report = audit_json(backlog, "--sku", "A", "--warehouse", "EAST")

    assert report["rows"] == BACKLOG_ROWS[:1]
    assert report["lines"] == [
        {"order": "O4", "warehouse": "EAST", "sku": "A", "committed": 6}
    ]


def test_audit_with_nothing_backordered(wms: Run) -> None:
    wms("warehouse", "add", "MAIN")
    wms("product", "add", "A")
    wms("order", "place", "O1", "--warehouse", "MAIN", "--line", "A=3")

    report = audit_json(wms)

    assert report == {
        "rows": [],
        "totals": {"products": 0, "releasable": 0, "would_make_available": 0},
    }


# --- read-only ----------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        pytest.param((AUDIT,), id="audit-table"),
        pytest.param((AUDIT, "--format", "json"), id="audit-json"),
        pytest.param((AUDIT, "--sku", "A"), id="audit-sku"),
        pytest.param((AUDIT, "--warehouse", "EAST"), id="audit-warehouse"),
        pytest.param((RELEASE,), id="dry-run-table"),
        pytest.param((RELEASE, "--format", "json"), id="dry-run-json"),
        pytest.param((RELEASE, "--order", "O2"), id="dry-run-order"),
        pytest.param((RELEASE, "--warehouse", "MAIN"), id="dry-run-warehouse"),
    ],
)
def test_audit_and_dry_run_change_nothing(
    backlog: Run, snapshot: Callable[[], Any], args: tuple[str, ...]
) -> None:
    before = snapshot()

    backlog(*args)

    assert snapshot() == before


def test_audit_csv_changes_nothing_in_the_database(
    backlog: Run, snapshot: Callable[[], Any], tmp_path: Path
) -> None:
    before = snapshot()

    backlog(AUDIT, "--csv", str(tmp_path / "audit.csv"))

    assert snapshot() == before


def test_dry_run_plan(backlog: Run) -> None:
    report = release_json(backlog)

    assert report["applied"] is False
    assert report["run_id"] is None
    assert report["lines"] == [
        {
            "order": "O1",
            "warehouse": "MAIN",
            "sku": "A",
            "units": 3,
            "status": "planned",
            "reason": "",
        },
        {
            "order": "O2",
            "warehouse": "MAIN",
            "sku": "A",
            "units": 2,
            "status": "planned",
            "reason": "",
        },
        {
            "order": "O2",
            "warehouse": "MAIN",
            "sku": "B",
            "units": 4,
            "status": "planned",
            "reason": "",
        },
        {
            "order": "O4",
            "warehouse": "EAST",
            "sku": "A",
            "units": 6,
            "status": "planned",
            "reason": "",
        },
    ]
    assert report["totals"] == {
        "planned": {"lines": 4, "units": 15, "orders": 3},
        "released": {"lines": 0, "units": 0, "orders": 0},
        "reverted": {"lines": 0, "units": 0, "orders": 0},
        "skipped": {"lines": 0, "units": 0, "orders": 0},
        "drifted": {"lines": 0, "units": 0, "orders": 0},
    }


# --- audit == apply -----------------------------------------------------------


def test_apply_releases_exactly_what_the_audit_says(
    backlog: Run, db_url: str, check: Callable[[], None]
) -> None:
    audit = audit_json(backlog)
    committed_before = committed_by_stock(backlog)

    report = release_json(backlog, "--apply")
    check()

    released_units = sum(
        line["units"] for line in report["lines"] if line["status"] == "released"
    )
    logged = log_rows(db_url)
    committed_after = committed_by_stock(backlog)
    assert audit["totals"]["releasable"] == 15
    assert released_units == 15
    assert report["totals"]["released"] == {"lines": 4, "units": 15, "orders": 3}
    assert sum(units for *_, units in logged) == 15
    assert sum(committed_before.values()) - sum(committed_after.values()) == 15
    # and per warehouse and SKU, not only in total
    per_stock: Counter[tuple[str, str]] = Counter()
    for _, warehouse, _, sku, units in logged:
        per_stock[(warehouse, sku)] += units
    assert per_stock == {
        (r["warehouse"], r["sku"]): r["releasable"] for r in audit["rows"]
    }
    for key, units in per_stock.items():
        assert committed_before[key] - committed_after[key] == units


def test_apply_report_and_log(backlog: Run, db_url: str) -> None:
    report = release_json(backlog, "--apply")

    assert report["applied"] is True
    assert [
        (line["order"], line["sku"], line["units"], line["status"])
        for line in report["lines"]
    ] == [
        ("O1", "A", 3, "released"),
        ("O2", "A", 2, "released"),
        ("O2", "B", 4, "released"),
        ("O4", "A", 6, "released"),
    ]
    assert log_rows(db_url) == [
        ("backfill", "MAIN", "O1", "A", 3),
        ("backfill", "MAIN", "O2", "A", 2),
        ("backfill", "MAIN", "O2", "B", 4),
        ("backfill", "EAST", "O4", "A", 6),
    ]
    details = log_details(db_url)
    assert {d["run_id"] for d in details} == {report["run_id"]}
    assert {d["actor"] for d in details} == {"tester"}


def test_apply_leaves_stock_with_only_open_commitments(backlog: Run) -> None:
    release_json(backlog, "--apply")

    assert stock_json(backlog) == [
        {
            "warehouse": "EAST",
            "sku": "A",
            "on_hand": 1,
            "committed": 0,
            "available": 1,
            "backordered": 0,
        },
        {
            "warehouse": "MAIN",
            "sku": "A",
            "on_hand": 0,
            "committed": 0,
            "available": 0,
            "backordered": 0,
        },
        {
            "warehouse": "MAIN",
            "sku": "B",
            "on_hand": 3,
            "committed": 1,
            "available": 2,
            "backordered": 0,
        },
    ]
    assert (
        line_of(backlog, "O3", "B")["committed"] == 1
    )  # a placed order keeps its units
    assert audit_json(backlog)["rows"] == []


def test_apply_twice_releases_nothing_the_second_time(
    backlog: Run, db_url: str, snapshot: Callable[[], Any]
) -> None:
    release_json(backlog, "--apply")
    before = snapshot()
    logged = log_rows(db_url)

    second = release_json(backlog, "--apply")

    assert second["totals"] == {
        "planned": {"lines": 0, "units": 0, "orders": 0},
        "released": {"lines": 0, "units": 0, "orders": 0},
        "reverted": {"lines": 0, "units": 0, "orders": 0},
        "skipped": {"lines": 4, "units": 0, "orders": 3},
        "drifted": {"lines": 0, "units": 0, "orders": 0},
    }
    assert {line["status"] for line in second["lines"]} == {"skipped"}
    assert log_rows(db_url) == logged
    assert snapshot() == before


def test_dry_run_after_apply_reports_lines_as_skipped(backlog: Run) -> None:
    release_json(backlog, "--apply")

    report = release_json(backlog)

    assert report["totals"]["planned"] == {"lines": 0, "units": 0, "orders": 0}
    assert report["totals"]["skipped"] == {"lines": 4, "units": 0, "orders": 3}


# --- filters ------------------------------------------------------------------


def test_apply_one_order_touches_only_that_order(backlog: Run, db_url: str) -> None:
    before = committed_by_stock(backlog)

    report = release_json(backlog, "--apply", "--order", "O2")

    assert report["totals"]["released"] == {"lines": 2, "units": 6, "orders": 1}
    assert {line["order"] for line in report["lines"]} == {"O2"}
    assert log_rows(db_url) == [
        ("backfill", "MAIN", "O2", "A", 2),
        ("backfill", "MAIN", "O2", "B", 4),
    ]
    assert committed_by_stock(backlog) == {
        ("EAST", "A"): before[("EAST", "A")],
        ("MAIN", "A"): before[("MAIN", "A")] - 2,
        ("MAIN", "B"): before[("MAIN", "B")] - 4,
    }
    assert line_of(backlog, "O1", "A")["committed"] == 3
    assert line_of(backlog, "O4", "A")["committed"] == 6
    assert line_of(backlog, "O3", "B")["committed"] == 1


def test_dry_run_one_order(backlog: Run) -> None:
    report = release_json(backlog, "--order", "O1")

    assert report["lines"] == [
        {
            "order": "O1",
            "warehouse": "MAIN",
            "sku": "A",
            "units": 3,
            "status": "planned",
            "reason": "",
        }
    ]


def test_apply_one_warehouse_touches_only_that_warehouse(
    backlog: Run, db_url: str
) -> None:
    before = committed_by_stock(backlog)

    report = release_json(backlog, "--apply", "--warehouse", "EAST")

    assert report["totals"]["released"] == {"lines": 1, "units": 6, "orders": 1}
    assert log_rows(db_url) == [("backfill", "EAST", "O4", "A", 6)]
    assert committed_by_stock(backlog) == {**before, ("EAST", "A"): 0}
    assert audit_json(backlog, "--warehouse", "EAST")["rows"] == []
    assert audit_json(backlog, "--warehouse", "MAIN")["rows"] == BACKLOG_ROWS[1:]


# --- CSV ----------------------------------------------------------------------


def test_audit_csv_exact_content(backlog: Run, tmp_path: Path) -> None:
    path = tmp_path / "audit.csv"

    backlog(AUDIT, "--csv", str(path))

    assert path.read_bytes().decode("utf-8") == (
        "warehouse,sku,on_hand,committed,available,releasable,available_after,orders,flag\r\n"
        "EAST,A,1,6,-5,6,1,1,WOULD_MAKE_AVAILABLE\r\n"
        "MAIN,A,0,5,-5,5,0,2,\r\n"
        "MAIN,B,3,5,-2,4,2,1,WOULD_MAKE_AVAILABLE\r\n"
    )


def test_audit_csv_with_nothing_to_release_has_only_the_header(
    wms: Run, tmp_path: Path
) -> None:
    wms("warehouse", "add", "MAIN")
    path = tmp_path / "audit.csv"

    wms(AUDIT, "--csv", str(path))

    assert path.read_bytes() == (
        b"warehouse,sku,on_hand,committed,available,releasable,available_after,orders,flag\r\n"
    )


FORMULA_SKU = '=HYPERLINK("x")'
ODD_SKU = 'Ünïcødé, "quoted" ß'


@pytest.fixture
def odd_skus(wms: Run) -> Run:
    wms("warehouse", "add", "MAIN")
    for sku in (FORMULA_SKU, ODD_SKU):
        wms("product", "add", sku)
        wms("stock", "receive", "--warehouse", "MAIN", "--sku", sku, "--qty", "1")
    wms("order", "place", "O1", "--warehouse", "MAIN", "--line", f"{FORMULA_SKU}=4")
    wms("order", "pick", "O1")
    wms("order", "place", "O2", "--warehouse", "MAIN", "--line", f"{ODD_SKU}=3")
    wms("order", "pick", "O2")
    return wms


def test_csv_neutralises_formulas_but_keeps_negative_numbers(
    odd_skus: Run, tmp_path: Path
) -> None:
    path = tmp_path / "audit.csv"

    odd_skus(AUDIT, "--csv", str(path))

    lines = path.read_bytes().decode("utf-8").split("\r\n")
    assert lines[1] == 'MAIN,"\'=HYPERLINK(""x"")",1,4,-3,4,1,1,WOULD_MAKE_AVAILABLE'
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))
    assert rows[1] == ["MAIN", "'" + FORMULA_SKU, "1", "4", "-3", "4", "1", "1", FLAG]


def test_csv_round_trips_comma_quote_and_non_ascii(
    odd_skus: Run, tmp_path: Path
) -> None:
    path = tmp_path / "audit.csv"

    odd_skus(AUDIT, "--csv", str(path))

    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[2] == ["MAIN", ODD_SKU, "1", "3", "-2", "3", "1", "1", FLAG]
    assert len(rows) == 3


def test_csv_matches_the_json_rows(odd_skus: Run, tmp_path: Path) -> None:
    path = tmp_path / "audit.csv"

    report = audit_json(odd_skus, "--csv", str(path))

    with path.open(encoding="utf-8", newline="") as handle:
        records = list(csv.DictReader(handle))
    assert [r["sku"] for r in records] == ["'" + FORMULA_SKU, ODD_SKU]
    assert [r["sku"] for r in report["rows"]] == [FORMULA_SKU, ODD_SKU]
    for record, expected in zip(records, report["rows"], strict=True):
        for column in (
            "on_hand",
            "committed",
            "available",
            "releasable",
            "available_after",
            "orders",
        ):
            assert int(record[column]) == expected[column]


# --- batches ------------------------------------------------------------------


def test_batch_size_one_gives_the_same_result(
    backlog: Run, db_url: str, tmp_path: Path
) -> None:
    other_url = f"sqlite:///{tmp_path / 'other.db'}"
    other = make_runner(other_url, Plugins(make_plugin_manager()))
    build_backlog(other)

    default = release_json(backlog, "--apply")
    batched = release_json(other, "--apply", "--batch-size", "1")

    invariants.check(other_url)
    assert batched["lines"] == default["lines"]
    assert batched["totals"] == default["totals"]
    assert stock_json(other) == stock_json(backlog)
    assert log_rows(other_url) == log_rows(db_url)
    assert len({d["run_id"] for d in log_details(other_url)}) == 1


def released_activity(run: Run) -> list[tuple[str | None, str | None, str]]:
    feed = as_json(run("activity", "--limit", "0", "--format", "json"))
    return sorted(
        (row["warehouse"], row["order"], row["message"].split(" (")[0])
        for row in feed
        if row["kind"] == "commitment_released"
    )


def test_apply_writes_one_activity_summary_per_warehouse(backlog: Run) -> None:
    release_json(backlog, "--apply")

    assert released_activity(backlog) == [
        ("EAST", "O4", "released 6 committed units of backordered order O4"),
        ("MAIN", None, "released 9 committed units of 3 lines of 2 backordered orders"),
    ]


def test_one_released_unit_is_worded_as_one(wms: Run) -> None:
    wms("warehouse", "add", "MAIN")
    wms("product", "add", "A")
    wms("order", "place", "O1", "--warehouse", "MAIN", "--line", "A=1")
    wms("order", "pick", "O1")

    release_json(wms, "--apply")

    assert released_activity(wms) == [
        ("MAIN", "O1", "released 1 committed unit of backordered order O1")
    ]


def test_apply_one_order_per_batch_names_each_order(backlog: Run) -> None:
    release_json(backlog, "--apply", "--batch-size", "1")

    assert released_activity(backlog) == [
        ("EAST", "O4", "released 6 committed units of backordered order O4"),
        ("MAIN", "O1", "released 3 committed units of backordered order O1"),
        ("MAIN", "O2", "released 6 committed units of backordered order O2"),
    ]


# --- hooks and the backfill together ------------------------------------------


def test_lines_released_by_the_hook_are_skipped_by_apply(
    wms: Run, db_url: str, check: Callable[[], None], snapshot: Callable[[], Any]
) -> None:
    wms("warehouse", "add", "MAIN")
    wms("product", "add", "A")
    wms("settings", "set", "inventory.release_backorder_commitments", "true")
    wms("stock", "receive", "--warehouse", "MAIN", "--sku", "A", "--qty", "5")
    wms("order", "place", "O1", "--warehouse", "MAIN", "--line", "A=8")
    wms("order", "pick", "O1", "--line", "A=5")
    wms("order", "qc", "O1", "--line", "A=5", "--confirm-partial")
    check()
    before = snapshot()

    report = release_json(wms, "--apply")

    assert report["lines"] == [
        {
            "order": "O1",
            "warehouse": "MAIN",
            "sku": "A",
            "units": 0,
            "status": "skipped",
            "reason": "nothing committed (already released)",
        }
    ]
    assert report["totals"]["released"] == {"lines": 0, "units": 0, "orders": 0}
    assert audit_json(wms)["rows"] == []
    assert log_rows(db_url) == [("qc_partial", "MAIN", "O1", "A", 3)]
    assert snapshot() == before


def test_fully_shipped_line_of_a_partial_order_is_not_backordered(
    wms: Run, check: Callable[[], None]
) -> None:
    wms("warehouse", "add", "MAIN")
    wms("product", "add", "A")
    wms("product", "add", "B")
    wms("stock", "receive", "--warehouse", "MAIN", "--sku", "A", "--qty", "4")
    wms("stock", "receive", "--warehouse", "MAIN", "--sku", "B", "--qty", "2")
    wms("order", "place", "O1", "--warehouse", "MAIN", "--line", "A=4", "--line", "B=6")
    wms("order", "pick", "O1", "--line", "A=4", "--line", "B=2")
    wms("order", "qc", "O1", "--line", "A=4", "--line", "B=2", "--confirm-partial")
    check()

    plan = release_json(wms)

    assert plan["lines"] == [
        {
            "order": "O1",
            "warehouse": "MAIN",
            "sku": "B",
            "units": 4,
            "status": "planned",
            "reason": "",
        }
    ]
    assert [r["sku"] for r in audit_json(wms)["rows"]] == ["B"]


def test_apply_that_changes_nothing_offers_no_run_to_revert(backlog: Run) -> None:
    backlog(RELEASE, "--apply")

    lines = backlog(RELEASE, "--apply").stdout.splitlines()

    assert lines[-2] == (
        "changed nothing and logged nothing (by tester): there is no run to revert"
    )


@pytest.mark.parametrize("batch_size", ["1", "10000"])
def test_apply_table_says_how_many_lines_it_did_not_show(
    backlog: Run, batch_size: str
) -> None:
    backlog(RELEASE, "--apply", "--order", "O1")

    lines = backlog(
        RELEASE, "--apply", "--limit", "2", "--batch-size", batch_size
    ).stdout.splitlines()

    rows = [line.split() for line in lines[2:4]]
    assert [(row[0], row[4]) for row in rows] == [("O1", "skipped"), ("O2", "released")]
    assert lines[4] == "... and 2 more lines (--limit 0 shows all)"
    assert lines[6:8] == [
        "released: 12 units on 3 lines of 2 orders",
        "skipped: 0 units on 1 line of 1 order",
    ]


def test_apply_with_the_setting_already_on_says_so(backlog: Run) -> None:
    backlog("settings", "set", "inventory.release_backorder_commitments", "true")

    one_order = backlog(RELEASE, "--apply", "--order", "O4").stdout.splitlines()

    assert one_order[-3] == "released: 6 units on 1 line of 1 order"
    assert one_order[-1] == (
        "the setting is already on here: new backorders release by themselves"
    )
