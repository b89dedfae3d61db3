"""``wms demo``: a generated backlog, then audit, dry-run, apply, setting on, live events.

Small ``--orders`` keep it fast; the numbers the demo's backfill releases are
checked against the same backlog generated separately and audited there.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from sqlalchemy import select
from wms.demo import generate_backlog
from wms.models import Order, OrderLine, Product, Stock, Warehouse
from wms.plugins import Plugins, make_plugin_manager
from wms.runtime import Runtime

from tests import databases
from tests.conftest import Run, make_runner
from tests.helpers import (
    AUDIT,
    RELEASE,
    SETTING,
    as_json,
    assert_one_line_error,
    levels,
    line_of,
    log_rows,
    order_json,
    stock_of,
)

ORDERS = 60
SEED = 3
Snapshot = Callable[[], dict[str, list[tuple[Any, ...]]]]

STEPS = [
    f"$ wms {AUDIT}",
    f"$ wms {RELEASE}",
    f"$ wms {RELEASE} --apply",
    f"$ wms {AUDIT}",
    f"$ wms settings set {SETTING} true",
    "$ wms product add DEMO-LAMP",
    "$ wms product add DEMO-DESK",
    "$ wms stock receive --warehouse AMS --sku DEMO-LAMP --qty 10",
    "$ wms order place DEMO-1 --warehouse AMS --line DEMO-LAMP=6 --line DEMO-DESK=4",
    "$ wms order pick DEMO-1 --line DEMO-LAMP=6",
    "$ wms order qc DEMO-1 --line DEMO-LAMP=6 --confirm-partial",
    "$ wms order show DEMO-1",
    "$ wms order place DEMO-2 --warehouse AMS --line DEMO-DESK=2",
    "$ wms order pick DEMO-2",
    "$ wms stock show --warehouse AMS --sku DEMO-DESK",
    "$ wms activity --order DEMO-2",
]


def run_demo(run: Run, *args: str, ok: bool = True) -> Result:
    return run("demo", "--orders", str(ORDERS), "--seed", str(SEED), *args, ok=ok)


@pytest.fixture
def demo(wms: Run) -> Result:
    """The demo, run once on this test's fresh database."""
    return run_demo(wms)


def generate(url: str, *, seed: int = SEED, orders: int = ORDERS) -> None:
    """The demo's backlog alone, through the real lifecycle, on its own database."""
    runtime = Runtime(Plugins(make_plugin_manager()), url)
    try:
        generate_backlog(
            runtime.write,
            runtime.plugins,
            orders_count=orders,
            seed=seed,
            actor="tester",
        )
    finally:
        runtime.close()


def backlog_rows(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Orders, lines and stock by business keys (no ids, no timestamps)."""
    with databases.connect(url) as conn:
        orders = conn.execute(
            select(Order.number, Warehouse.code, Order.status)
            .join(Warehouse, Warehouse.id == Order.warehouse_id)
            .order_by(Order.number)
        ).all()
        lines = conn.execute(
            select(
                Order.number,
                Product.sku,
                OrderLine.ordered,
                OrderLine.shipped,
                OrderLine.committed,
                OrderLine.picked,
            )
            .join(Order, Order.id == OrderLine.order_id)
            .join(Product, Product.id == OrderLine.product_id)
            .order_by(Order.number, OrderLine.id)
        ).all()
        stock = conn.execute(
            select(Warehouse.code, Product.sku, Stock.on_hand, Stock.committed)
            .join(Warehouse, Warehouse.id == Stock.warehouse_id)
            .join(Product, Product.id == Stock.product_id)
            .order_by(Warehouse.code, Product.sku)
        ).all()
    return {
        "orders": [tuple(r) for r in orders],
        "lines": [tuple(r) for r in lines],
        "stock": [tuple(r) for r in stock],
    }


def releasable_by_stock(url: str) -> dict[tuple[str, str], int]:
    """What the audit says is releasable, per (warehouse, sku), on a database."""
    run = make_runner(url, Plugins(make_plugin_manager()))
    report = as_json(run(AUDIT, "--format", "json"))
    return {(r["warehouse"], r["sku"]): r["releasable"] for r in report["rows"]}


# --- the run and its output -------------------------------------------------------


def test_demo_succeeds(demo: Result) -> None:
    assert demo.exit_code == 0
    assert demo.stderr == ""
    assert demo.stdout.startswith(
        f"Generating a backlog of {ORDERS} orders (seed {SEED})"
    )


def test_demo_shows_each_step_command_in_order(demo: Result) -> None:
    commands = [line for line in demo.stdout.splitlines() if line.startswith("$ ")]

    assert commands == STEPS


def test_demo_summary_counts_the_generated_orders(demo: Result, db_url: str) -> None:
    statuses = Counter(
        status
        for number, _, status in backlog_rows(db_url)["orders"]
        if number.startswith("SO-")
    )

    assert sum(statuses.values()) == ORDERS
    assert demo.stdout.splitlines()[
        1
    ] == f"3 warehouses, 320 SKUs, {ORDERS} orders: " + ", ".join(
        f"{n} {status}" for status, n in sorted(statuses.items())
    )


# --- the state it leaves ------------------------------------------------------------


def test_after_the_demo_nothing_is_left_to_release(demo: Result, wms: Run) -> None:
    report = as_json(wms(AUDIT, "--format", "json"))

    assert report == {
        "rows": [],
        "totals": {"products": 0, "releasable": 0, "would_make_available": 0},
    }


def test_after_the_demo_the_setting_is_on(demo: Result, wms: Run) -> None:
    value = as_json(wms("settings", "get", SETTING, "--format", "json"))

    assert value == {"key": SETTING, "warehouse": None, "value": True}


def test_demo_1_is_partially_shipped_and_holds_no_desks(demo: Result, wms: Run) -> None:
    order = order_json(wms, "DEMO-1")

    assert (order["warehouse"], order["status"]) == ("AMS", "partially_shipped")
    assert line_of(wms, "DEMO-1", "DEMO-DESK") == {
        "sku": "DEMO-DESK",
        "ordered": 4,
        "shipped": 0,
        "committed": 0,
        "picked": 0,
        "outstanding": 4,
    }
    assert line_of(wms, "DEMO-1", "DEMO-LAMP") == {
        "sku": "DEMO-LAMP",
        "ordered": 6,
        "shipped": 6,
        "committed": 0,
        "picked": 0,
        "outstanding": 0,
    }


def test_demo_2_is_backordered_and_holds_no_desks(demo: Result, wms: Run) -> None:
    order = order_json(wms, "DEMO-2")

    assert (order["warehouse"], order["status"]) == ("AMS", "backordered")
    assert line_of(wms, "DEMO-2", "DEMO-DESK")["committed"] == 0
    assert stock_of(wms, "DEMO-DESK", "AMS") == levels(0, 0)
    assert stock_of(wms, "DEMO-LAMP", "AMS") == levels(4, 0)


def test_release_log_holds_backfill_then_one_row_per_live_event(
    demo: Result, db_url: str
) -> None:
    rows = log_rows(db_url)
    backfill = [r for r in rows if r[0] == "backfill"]

    assert backfill, "the generated backlog should hold releasable commitments"
    assert rows == [
        *backfill,
        ("qc_partial", "AMS", "DEMO-1", "DEMO-DESK", 4),
        ("picking_backorder", "AMS", "DEMO-2", "DEMO-DESK", 2),
    ]
    assert all(
        units > 0 and order.startswith("SO-") for _, _, order, _, units in backfill
    )


def test_backfill_released_what_the_first_audit_said(
    demo: Result, db_url: str, tmp_path: Path
) -> None:
    twin_url = f"sqlite:///{tmp_path / 'twin.db'}"
    generate(twin_url)
    expected = releasable_by_stock(twin_url)

    released: Counter[tuple[str, str]] = Counter()
    for trigger, warehouse, _, sku, units in log_rows(db_url):
        if trigger == "backfill":
            released[(warehouse, sku)] += units

    assert sum(expected.values()) > 0
    assert sum(released.values()) == sum(expected.values())
    assert dict(released) == expected


def test_demo_keeps_the_invariants(demo: Result, check: Callable[[], None]) -> None:
    check()


# --- determinism ---------------------------------------------------------------------


def test_same_seed_gives_the_same_backlog(tmp_path: Path) -> None:
    first, second = f"sqlite:///{tmp_path / 'a.db'}", f"sqlite:///{tmp_path / 'b.db'}"
    generate(first)
    generate(second)

    one, two = backlog_rows(first), backlog_rows(second)

    assert len(one["orders"]) == ORDERS
    assert one == two


def test_another_seed_gives_another_backlog(tmp_path: Path) -> None:
    first, other = f"sqlite:///{tmp_path / 'a.db'}", f"sqlite:///{tmp_path / 'b.db'}"
    generate(first)
    generate(other, seed=SEED + 1)

    assert backlog_rows(first)["lines"] != backlog_rows(other)["lines"]


def test_demo_backlog_matches_the_generated_one(
    demo: Result, db_url: str, tmp_path: Path
) -> None:
    """On every backend the demo's orders are the seed's orders (before the release)."""
    twin_url = f"sqlite:///{tmp_path / 'twin.db'}"
    generate(twin_url)
    twin = backlog_rows(twin_url)

    here = backlog_rows(db_url)
    demo_orders = [row for row in here["orders"] if row[0].startswith("SO-")]
    demo_lines = [row[:4] for row in here["lines"] if row[0].startswith("SO-")]

    demo_on_hand = [row[:3] for row in here["stock"] if not row[1].startswith("DEMO-")]
    assert demo_orders == twin["orders"]
    assert demo_lines == [row[:4] for row in twin["lines"]]
    assert demo_on_hand == [row[:3] for row in twin["stock"]]


# --- refusals -------------------------------------------------------------------------


def add_warehouse(run: Run) -> None:
    run("warehouse", "add", "MAIN")


def add_product(run: Run) -> None:
    run("product", "add", "A")


def turn_setting_on(run: Run) -> None:
    run("settings", "set", SETTING, "true")


def add_backlog(run: Run) -> None:
    run("warehouse", "add", "AMS")
    run("product", "add", "DEMO-LAMP")
    run("order", "place", "SO-000001", "--warehouse", "AMS", "--line", "DEMO-LAMP=3")
    run("order", "pick", "SO-000001")


@pytest.mark.parametrize(
    "arrange",
    [
        pytest.param(add_warehouse, id="a-warehouse"),
        pytest.param(add_product, id="only-a-product"),
        pytest.param(turn_setting_on, id="only-a-setting"),
        pytest.param(add_backlog, id="a-backlog"),
    ],
)
def test_demo_refuses_a_database_that_holds_data(
    wms: Run, snapshot: Snapshot, arrange: Callable[[Run], None]
) -> None:
    arrange(wms)
    before = snapshot()

    result = run_demo(wms, ok=False)

    assert_one_line_error(result, 2)
    assert snapshot() == before


def test_demo_refusal_says_what_to_do(wms: Run) -> None:
    wms("warehouse", "add", "MAIN")

    result = run_demo(wms, ok=False)

    assert "already holds data" in result.stderr and "new database" in result.stderr


@pytest.mark.parametrize(
    "orders",
    [
        pytest.param("0", id="zero"),
        pytest.param("-5", id="negative"),
        pytest.param("many", id="not-a-number"),
    ],
)
def test_demo_bad_orders_count_is_a_usage_error(
    wms: Run, snapshot: Snapshot, orders: str
) -> None:
    before = snapshot()

    result = wms("demo", "--orders", orders, ok=False)

    assert_one_line_error(result, 2)
    assert "--orders" in result.stderr
    assert snapshot() == before
