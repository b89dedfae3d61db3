"""Killing the cleanup mid-run loses at most the batch in flight, and never doubles a release.

A backlog of thousands of backordered lines is loaded with ``wms import``;
``wms ... --apply`` (the real console script) is started and killed with
SIGKILL at random moments, again and again, then run to the end.  The final
state must equal the state one uninterrupted run produces.

A run stopped in a way it can see (Ctrl-C, a database error) also says on
stderr what it had committed, with its run id.
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

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError
from wms.models import Order, OrderLine, Stock

from backorder_release.commands import release as release_command
from backorder_release.models import ReleaseLog
from tests import databases, invariants
from tests.conftest import Run
from tests.helpers import RELEASE, log_details, release_json
from tests.test_audit_release import build_backlog

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


# --- a run that sees itself stopped ---------------------------------------------


def stop_on_call(
    monkeypatch: pytest.MonkeyPatch, name: str, call: int, error: BaseException
) -> None:
    """Make the command's ``name`` raise ``error`` on its ``call``-th call."""
    real = getattr(release_command, name)
    calls = 0

    def stopping(*args: object, **kwargs: object) -> object:
        nonlocal calls
        calls += 1
        if calls == call:
            raise error
        return real(*args, **kwargs)

    monkeypatch.setattr(release_command, name, stopping)


def lost_database() -> OperationalError:
    return OperationalError(
        "UPDATE stock", {}, Exception("server closed the connection")
    )


@pytest.mark.parametrize(
    ("error", "last_lines"),
    [
        # Click ends the ^C line on the terminal before it says "Aborted.".
        (KeyboardInterrupt(), ["", "Aborted."]),
        (
            lost_database(),
            [
                "Error: cannot use the database: server closed the connection; "
                "check --database-url and that the server is running"
            ],
        ),
    ],
)
def test_a_stopped_apply_says_what_it_released_and_its_run_id(
    wms: Run,
    db_url: str,
    monkeypatch: pytest.MonkeyPatch,
    error: BaseException,
    last_lines: list[str],
) -> None:
    build_backlog(wms)
    stop_on_call(monkeypatch, "release_orders", 2, error)

    result = wms(RELEASE, "--apply", "--batch-size", "1", ok=False)

    released = log_details(db_url)
    run_id = released[0]["run_id"]
    assert [(d["order_number"], d["units"]) for d in released] == [("O1", 3)]
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"stopped: run {run_id} had already released 3 units on 1 line of 1 order; "
        "they stay released. next: run the same command again to release the "
        f"rest, or re-commit them with --revert {run_id} --apply",
        *last_lines,
    ]


def test_a_stopped_revert_says_what_it_re_committed(
    wms: Run, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    build_backlog(wms)
    run_id = release_json(wms, "--apply")["run_id"]
    stop_on_call(monkeypatch, "revert_orders", 3, KeyboardInterrupt())

    result = wms(RELEASE, "--revert", run_id, "--apply", "--batch-size", "1", ok=False)

    reverts = [d for d in log_details(db_url) if d["trigger"] == "revert"]
    assert [(d["order_number"], d["units"]) for d in reverts] == [
        ("O1", -3),
        ("O2", -2),
        ("O2", -4),
    ]
    revert_id = reverts[0]["run_id"]
    assert result.stderr.splitlines() == [
        f"stopped: run {revert_id} had already re-committed 9 units on 3 lines of "
        "2 orders; they stay re-committed. next: run the same --revert again to "
        "finish",
        "",
        "Aborted.",
    ]


def test_a_dry_run_or_a_run_that_committed_nothing_adds_no_note(
    wms: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    build_backlog(wms)
    stop_on_call(monkeypatch, "release_orders", 1, KeyboardInterrupt())
    applied = wms(RELEASE, "--apply", ok=False)
    stop_on_call(monkeypatch, "plan_release", 1, KeyboardInterrupt())
    dry_run = wms(RELEASE, ok=False)

    assert applied.stderr.splitlines() == ["", "Aborted."]
    assert dry_run.stderr.splitlines() == ["", "Aborted."]


@pytest.mark.parametrize(
    ("stop", "last_lines"),
    [
        (signal.SIGINT, ["", "Aborted."]),
        (signal.SIGTERM, ["Stopped by SIGTERM."]),
        (signal.SIGHUP, ["Stopped by SIGHUP."]),
    ],
    ids=["SIGINT", "SIGTERM", "SIGHUP"],
)
def test_a_signal_during_a_real_apply_names_the_run_and_what_it_released(
    wms: Run, db_url: str, tmp_path: Path, stop: signal.Signals, last_lines: list[str]
) -> None:
    write_backlog(tmp_path / "backlog", random.Random(4))
    wms("import", str(tmp_path / "backlog"))
    process = subprocess.Popen(
        [WMS, "--database-url", db_url, *APPLY],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    while process.poll() is None and released_count(db_url) < 50:
        time.sleep(0.01)
    process.send_signal(stop)
    _, stderr = process.communicate()

    assert process.returncode == 1, stderr
    log = log_details(db_url)
    assert log, "the run finished before it could be stopped"
    run_id = log[0]["run_id"]
    units = sum(d["units"] for d in log)
    orders = len({d["order_number"] for d in log})
    lines = stderr.splitlines()
    note = lines[-1 - len(last_lines)]
    assert note.startswith(
        f"stopped: run {run_id} had already released {units} units on "
        f"{len(log)} lines of {orders} orders; they stay released."
    )
    assert lines[-len(last_lines) :] == last_lines
    invariants.check(db_url)
