"""The Northwind example end to end: real data, the real ``wms`` CLI, the plugin.

The expected figures are not copied from the script's output: a small
simulation below replays the same backlog straight from the CSVs (pick
min(ordered, on the shelf), ship it), and the test checks the host and the
plugin against it.  A few figures were also worked out by hand from the CSVs
and are asserted as plain numbers, so a shared mistake in the simulation and
the script cannot pass unnoticed.

The data lives outside the repository (``../shared/data/northwind``, else
``/work/shared/data/northwind``, or the folder named by ``NORTHWIND_DATA``).  A missing data folder fails the test:
skipping would let the example rot silently.
"""

from __future__ import annotations

import contextlib
import csv
import functools
import importlib.util
import io
import json
import os
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from wms.plugins import Plugins, make_plugin_manager

from tests import invariants
from tests.conftest import dump, make_runner

REPO = Path(__file__).resolve().parents[1]
SCRIPT = REPO / "examples" / "northwind" / "run.py"
# Beside the repository in the workplace; a clone elsewhere on the same
# machine finds it at the workplace's own path.
DEFAULT_DATA = (
    REPO.parent / "shared" / "data" / "northwind",
    Path("/work/shared/data/northwind"),
)
SETTING = "inventory.release_backorder_commitments"


def northwind_data() -> Path:
    if "NORTHWIND_DATA" in os.environ:
        path = Path(os.environ["NORTHWIND_DATA"])
    else:
        path = next((p for p in DEFAULT_DATA if p.is_dir()), DEFAULT_DATA[0])
    missing = [
        name
        for name in ("products.csv", "orders.csv", "order_details.csv")
        if not (path / name).is_file()
    ]
    if missing:
        pytest.fail(
            f"Northwind data not found: {path} lacks {', '.join(missing)}; set "
            "NORTHWIND_DATA to the folder holding products.csv, orders.csv and "
            "order_details.csv"
        )
    return path


@functools.cache
def load_script() -> ModuleType:
    """Import examples/northwind/run.py from its path (examples/ is not a package).

    It is registered in ``sys.modules`` first: its dataclasses look their
    module up there while the class is being built.
    """
    spec = importlib.util.spec_from_file_location("northwind_run", SCRIPT)
    assert spec is not None and spec.loader is not None, f"cannot load {SCRIPT}"
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


# --------------------------------------------------------------------------
# The independent simulation


@dataclass(frozen=True)
class Expected:
    products: int
    units_in_stock: dict[str, int]
    statuses: dict[str, str]
    releasable_by_sku: dict[str, int]
    orders_by_sku: dict[str, int]
    on_hand_after: dict[str, int]

    @property
    def releasable(self) -> int:
        return sum(self.releasable_by_sku.values())


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def sku(product_id: str) -> str:
    return f"NW-{int(product_id):02d}"


def simulate(data: Path) -> Expected:
    """Replay the unshipped orders with a plain shelf count, no wms involved."""
    stock = {
        sku(r["product_id"]): int(r["units_in_stock"])
        for r in rows(data / "products.csv")
    }
    shelf = dict(stock)
    lines: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for r in rows(data / "order_details.csv"):
        lines[r["order_id"]].append((sku(r["product_id"]), int(r["quantity"])))
    open_orders = sorted(
        (r for r in rows(data / "orders.csv") if not r["shipped_date"]),
        key=lambda r: (r["order_date"], int(r["order_id"])),
    )

    statuses: dict[str, str] = {}
    short: dict[str, list[tuple[str, int]]] = {}
    for order in open_orders:
        number = order["order_id"]
        found = []
        for line_sku, qty in lines[number]:
            took = min(qty, shelf[line_sku])
            shelf[line_sku] -= took
            found.append((line_sku, qty, took))
        if all(took == qty for _, qty, took in found):
            statuses[number] = "shipped"
            continue
        nothing = all(took == 0 for *_, took in found)
        statuses[number] = "backordered" if nothing else "partially_shipped"
        short[number] = [(s, qty - took) for s, qty, took in found if took < qty]

    releasable: Counter[str] = Counter()
    orders: Counter[str] = Counter()
    for order_lines in short.values():
        for line_sku, units in order_lines:
            releasable[line_sku] += units
            orders[line_sku] += 1
    return Expected(
        products=len(stock),
        units_in_stock=stock,
        statuses=statuses,
        releasable_by_sku=dict(releasable),
        orders_by_sku=dict(orders),
        on_hand_after=shelf,
    )


# --------------------------------------------------------------------------
# One run of the example, shared by the tests below


@dataclass(frozen=True)
class Run:
    url: str
    summary: Any
    stdout: str
    expected: Expected

    def wms(self, *args: str) -> Any:
        """``wms ARGS --format json`` against the example's database, parsed."""
        run = make_runner(self.url, Plugins(make_plugin_manager()))
        return json.loads(run(*args, "--format", "json").stdout)


@pytest.fixture(scope="module")
def northwind(tmp_path_factory: pytest.TempPathFactory) -> Run:
    data = northwind_data()
    url = f"sqlite:///{tmp_path_factory.mktemp('northwind') / 'northwind.db'}"
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        summary = load_script().run(data, url, "json")
    return Run(url, summary, out.getvalue(), simulate(data))


def test_products_and_stock_arrive_as_skus(northwind: Run) -> None:
    products = northwind.wms("product", "list")
    assert len(products) == northwind.expected.products == 77
    names = {p["sku"]: p["name"] for p in products}
    assert names["NW-01"] == "Chai"
    assert names["NW-28"] == "Rössle Sauerkraut"

    received = [s for s, qty in northwind.expected.units_in_stock.items() if qty > 0]
    assert northwind.summary.products_received == len(received) == 72  # 5 have none
    assert northwind.summary.units_received == 3119


def test_orders_end_qc_in_the_simulated_statuses(northwind: Run) -> None:
    statuses = northwind.summary.statuses
    assert statuses == northwind.expected.statuses
    assert len(statuses) == 21
    assert Counter(statuses.values()) == {
        "shipped": 5,
        "partially_shipped": 14,
        "backordered": 2,
    }
    # By hand: 11061 wants 15 Camembert (NW-60), but 11058 took all 19 in
    # stock; 11074 wants 14 Pavlova (NW-16), but 11070 took all 29.
    assert statuses["11061"] == statuses["11074"] == "backordered"
    assert northwind.wms("order", "show", "11008")["lines"][0] == {
        "sku": "NW-28",
        "ordered": 70,
        "shipped": 26,  # all 26 Rössle Sauerkraut on the shelf
        "committed": 0,  # released by --apply (it held 44)
        "picked": 0,
        "outstanding": 44,
    }


def test_audit_says_what_apply_then_releases(northwind: Run) -> None:
    reports = northwind.summary.reports
    expected = northwind.expected
    audit = reports["audit"]
    by_sku = {row["sku"]: row for row in audit["rows"]}

    assert {
        s: row["releasable"] for s, row in by_sku.items()
    } == expected.releasable_by_sku
    assert {s: row["orders"] for s, row in by_sku.items()} == expected.orders_by_sku
    assert {s: row["on_hand"] for s, row in by_sku.items()} == {
        s: expected.on_hand_after[s] for s in by_sku
    }
    assert audit["totals"]["releasable"] == expected.releasable
    assert reports["dry_run"]["totals"]["planned"]["units"] == expected.releasable
    assert reports["dry_run"]["applied"] is False

    apply = reports["apply"]
    assert apply["applied"] is True
    assert apply["totals"]["released"]["units"] == audit["totals"]["releasable"]
    assert apply["totals"]["released"]["orders"] == 16  # 14 partial + 2 backordered
    assert northwind.summary.units_released == audit["totals"]["releasable"]

    # By hand: NW-28 (26 in stock) is short 44 + 20 + 8 on 11008, 11039 and
    # 11068; NW-64 (22 in stock) is short 108 on 11072 and 2 on 11077.
    assert by_sku["NW-28"]["releasable"] == 72
    assert by_sku["NW-64"]["releasable"] == 110
    # Every short product ends with an empty shelf, so nothing is flagged.
    assert audit["totals"] == {
        "products": 17,
        "releasable": 471,
        "would_make_available": 0,
    }


def test_nothing_is_left_after_apply(northwind: Run) -> None:
    after = northwind.summary.reports["audit_after"]
    assert after["rows"] == []
    assert after["totals"]["releasable"] == 0
    assert northwind.wms("inventory:audit-backorder-commitments")["rows"] == []
    plan = northwind.wms("inventory:release-backorder-commitments")
    assert plan["totals"]["planned"]["units"] == 0


def test_the_release_log_accounts_for_every_unit(northwind: Run) -> None:
    engine = create_engine(northwind.url)
    try:
        with engine.connect() as conn:
            logged = conn.execute(
                text(
                    'SELECT "trigger", SUM(units), COUNT(*) FROM backorder_release_log '
                    'GROUP BY "trigger"'
                )
            ).all()
    finally:
        engine.dispose()
    assert [tuple(row) for row in logged] == [("backfill", 471, 31)]


def test_setting_is_on_and_invariants_hold(northwind: Run) -> None:
    assert northwind.wms("settings", "get", SETTING)["value"] is True
    invariants.check(northwind.url)
    stock = {
        row["sku"]: row for row in northwind.wms("stock", "show", "--warehouse", "NW")
    }
    assert sum(row["committed"] for row in stock.values()) == 0
    # NW-05 and NW-29: nothing in stock and never ordered, so no stock row.
    expected = northwind.expected.on_hand_after
    assert set(expected) - set(stock) == {"NW-05", "NW-29"}
    on_hand = {s: stock[s]["on_hand"] if s in stock else 0 for s in expected}
    assert on_hand == expected


def test_every_step_is_echoed(northwind: Run) -> None:
    out = northwind.stdout
    assert "$ wms order place 11008 --warehouse NW --line NW-28=70" in out
    assert (
        "$ wms order pick 11061 --line NW-60=0\norder 11061 is now backordered" in out
    )
    assert "$ wms inventory:release-backorder-commitments --apply --format json" in out
    assert f"$ wms settings set {SETTING} true" in out
    assert "$ wms order qc 11061" not in out  # nothing picked, so no QC


def test_refuses_a_database_that_holds_data(
    northwind: Run, capsys: pytest.CaptureFixture[str]
) -> None:
    before = dump(northwind.url)
    code = load_script().main([str(northwind_data()), "--database-url", northwind.url])
    assert code == 2
    err = capsys.readouterr().err
    assert err.startswith("Error: the database ") and "already holds data" in err
    assert err.count("\n") == 1
    assert dump(northwind.url) == before


def test_main_runs_the_table_version(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'northwind.db'}"
    assert load_script().main([str(northwind_data()), "--database-url", url]) == 0
    out = capsys.readouterr().out
    assert "471 units releasable across 17 warehouse/SKU rows" in out
    assert "released: 471 units on 31 lines of 16 orders" in out
    assert out.rstrip().endswith(
        "orders placed: 21\n  fully shipped: 5\n  partially shipped: 14\n"
        "  backordered: 2\n  units released: 471"
    )


def test_a_missing_data_folder_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'northwind.db'}"
    assert load_script().main([str(tmp_path / "nowhere"), "--database-url", url]) == 2
    err = capsys.readouterr().err
    assert err.startswith("Error: cannot read ") and err.count("\n") == 1
    assert not (tmp_path / "northwind.db").exists()  # refused before touching it
