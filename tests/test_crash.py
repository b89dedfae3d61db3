"""Killing the cleanup mid-run loses at most the batch in flight, and never doubles a release.

A backlog of thousands of backordered lines is loaded with ``wms import``;
``wms ... --apply`` (the real console script) is started and killed with
SIGKILL at random moments, again and again, then run to the end.  The final
state must equal the state one uninterrupted run produces.
"""

from __future__ import annotations

import csv
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import func, select
from wms.models import Order, OrderLine, Stock

from backorder_release.models import ReleaseLog
from tests import databases, invariants
from tests.conftest import Run

ORDERS = 3000
KILLS = 20
WMS = str(Path(sys.executable).with_name("wms"))
APPLY = ["inventory:release-backorder-commitments", "--apply", "--batch-size", "2"]


def write_backlog(directory: Path, rng: random.Random) -> None:
    """3,000 orders with 2-3 lines each, most of them backordered or partially shipped."""
    directory.mkdir()
    skus = [f"K{n:03d}" for n in range(60)]
    (directory / "warehouses.csv").write_text("code,name\nC1,Crash one\nC2,Crash two\n")
    (directory / "products.csv").write_text(
        "sku,name\n" + "".join(f"{s},{s}\n" for s in skus)
    )
    with (directory / "stock.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["warehouse", "sku", "on_hand"])
        for warehouse in ("C1", "C2"):
            for sku in skus:
                writer.writerow([warehouse, sku, rng.randint(0, 40)])
    with (
        (directory / "orders.csv").open("w", newline="") as orders,
        (directory / "order_lines.csv").open("w", newline="") as lines,
    ):
        order_writer, line_writer = csv.writer(orders), csv.writer(lines)
        order_writer.writerow(["number", "warehouse", "status"])
        line_writer.writerow(["order", "sku", "ordered", "shipped", "committed"])
        for n in range(ORDERS):
            status = rng.choice(
                ["backordered", "partially_shipped", "partially_shipped", "placed"]
            )
            number = f"K-{n:05d}"
            order_writer.writerow([number, rng.choice(["C1", "C2"]), status])
            for sku in rng.sample(skus, k=rng.randint(2, 3)):
                ordered = rng.randint(2, 9)
                shipped = (
                    rng.randint(1, ordered - 1) if status == "partially_shipped" else 0
                )
                line_writer.writerow([number, sku, ordered, shipped, ordered - shipped])


def expected_after_release(
    url: str,
) -> tuple[dict[int, int], dict[int, int], dict[int, int]]:
    """(line committed, stock committed, units per released line) after one full apply."""
    with databases.connect(url) as conn:
        lines = conn.execute(
            select(
                OrderLine.id,
                OrderLine.committed,
                Order.status,
                Order.warehouse_id,
                OrderLine.product_id,
            ).join(Order, Order.id == OrderLine.order_id)
        ).all()
        stock = {
            (w, p): (sid, c)
            for sid, w, p, c in conn.execute(
                select(Stock.id, Stock.warehouse_id, Stock.product_id, Stock.committed)
            )
        }
    released = {
        line_id: committed
        for line_id, committed, status, _, _ in lines
        if status in ("backordered", "partially_shipped") and committed > 0
    }
    stock_committed = {sid: c for sid, c in stock.values()}
    for line_id, _, _, warehouse_id, product_id in lines:
        if line_id in released:
            stock_committed[stock[(warehouse_id, product_id)][0]] -= released[line_id]
    line_committed = {
        line_id: (0 if line_id in released else c) for line_id, c, *_ in lines
    }
    return line_committed, stock_committed, released


def actual_state(
    url: str,
) -> tuple[dict[int, int], dict[int, int], list[tuple[int, int]]]:
    with databases.connect(url) as conn:
        lines = dict(conn.execute(select(OrderLine.id, OrderLine.committed)).all())
        stock = dict(conn.execute(select(Stock.id, Stock.committed)).all())
        log = conn.execute(select(ReleaseLog.line_id, ReleaseLog.units)).all()
    return lines, stock, [tuple(row) for row in log]


def released_count(url: str) -> int:
    with databases.connect(url) as conn:
        return conn.scalar(select(func.count()).select_from(ReleaseLog)) or 0


def kill_apply_repeatedly(url: str, rng: random.Random) -> tuple[int, int]:
    """Start --apply, SIGKILL it at a random moment once it is releasing; (kills, runs)."""
    kills = runs = 0
    while kills < KILLS and runs < KILLS * 3:
        runs += 1
        before = released_count(url)
        process = subprocess.Popen(
            [WMS, "--database-url", url, *APPLY],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        while process.poll() is None and released_count(url) == before:
            time.sleep(0.01)
        time.sleep(rng.uniform(0, 0.05))
        if process.poll() is not None:
            break  # it finished: the backlog is released
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
        kills += 1
    return kills, runs


def test_sigkill_during_apply_then_rerun_equals_one_clean_run(
    wms: Run, db_url: str, backend: str, tmp_path: Path
) -> None:
    rng = random.Random(20261204)
    write_backlog(tmp_path / "backlog", rng)
    wms("import", str(tmp_path / "backlog"))
    expected_lines, expected_stock, expected_released = expected_after_release(db_url)

    kills, attempts = kill_apply_repeatedly(db_url, rng)
    released_by_killed_runs = released_count(db_url)
    final = subprocess.run(
        [WMS, "--database-url", db_url, *APPLY], capture_output=True, text=True
    )

    print(
        f"\n{backend}: {len(expected_released)} releasable lines, {kills} kills "
        f"mid-release in {attempts} runs, {released_by_killed_runs} lines released "
        "before the final run"
    )
    assert final.returncode == 0, final.stderr
    assert kills >= KILLS
    lines, stock, log = actual_state(db_url)
    assert lines == expected_lines
    assert stock == expected_stock
    assert sorted(log) == sorted(expected_released.items())
    invariants.check(db_url)
