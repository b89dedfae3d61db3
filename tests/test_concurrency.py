"""Concurrent warehouse work and the cleanup, on one database (DESIGN.md §6-7).

Four processes place, pick, QC, receive and cancel at random for
WMS_STRESS_SECONDS (default 20) while a fifth runs ``--apply`` again and
again.  Then every invariant must hold, every released unit must be
accounted for, and no database error may have reached a user.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import Counter

import pytest
from sqlalchemy import func, select
from wms.models import OrderLine

from backorder_release.models import ReleaseLog
from tests import databases, invariants, stress
from tests.conftest import Run
from tests.helpers import SETTING

SECONDS = float(os.environ.get("WMS_STRESS_SECONDS", "20"))
LIFECYCLE_WORKERS = 4


@pytest.fixture
def stress_ledger(db_url: str):  # type: ignore[no-untyped-def]
    with databases.connect(db_url, begin=True) as conn:
        stress.ledger_metadata.create_all(conn)
    yield
    with databases.connect(db_url, begin=True) as conn:
        stress.ledger_metadata.drop_all(conn)


def seed_warehouse(wms: Run) -> None:
    for code in stress.WAREHOUSES:
        wms("warehouse", "add", code)
    for sku in stress.SKUS:
        wms("product", "add", sku)
        for code in stress.WAREHOUSES:
            wms("stock", "receive", "--warehouse", code, "--sku", sku, "--qty", "20")
    wms("settings", "set", SETTING, "false")
    wms("settings", "set", SETTING, "true", "--warehouse", "W1")


def run_workers(url: str) -> list[dict]:  # type: ignore[type-arg]
    context = multiprocessing.get_context("spawn")
    with context.Pool(LIFECYCLE_WORKERS + 1) as pool:
        jobs = [
            pool.apply_async(stress.lifecycle_worker, (url, n, SECONDS, 1000 + n))
            for n in range(LIFECYCLE_WORKERS)
        ]
        jobs.append(pool.apply_async(stress.apply_worker, (url, SECONDS)))
        return [job.get(timeout=SECONDS + 300) for job in jobs]


def unaccounted_lines(url: str) -> list[tuple[int, int, int, int]]:
    """Lines where host-booked commitment minus released units differs from committed."""
    with databases.connect(url) as conn:
        booked = dict(
            conn.execute(
                select(
                    stress.ledger.c.line_id, func.sum(stress.ledger.c.delta)
                ).group_by(stress.ledger.c.line_id)
            ).all()
        )
        released = dict(
            conn.execute(
                select(ReleaseLog.line_id, func.sum(ReleaseLog.units)).group_by(
                    ReleaseLog.line_id
                )
            ).all()
        )
        committed = dict(conn.execute(select(OrderLine.id, OrderLine.committed)).all())
    return [
        (line_id, int(booked.get(line_id, 0)), int(released.get(line_id, 0)), units)
        for line_id, units in committed.items()
        if int(booked.get(line_id, 0)) - int(released.get(line_id, 0)) != units
    ]


def test_concurrent_lifecycle_and_cleanup_keep_every_invariant(
    wms: Run, db_url: str, backend: str, stress_ledger: None
) -> None:
    seed_warehouse(wms)

    results = run_workers(db_url)

    counts: Counter[str] = Counter()
    for result in results:
        counts.update(result["counts"])
    failures = [f for result in results for f in result["failures"]]
    with databases.connect(db_url) as conn:
        triggers = dict(
            conn.execute(
                select(ReleaseLog.trigger, func.count()).group_by(ReleaseLog.trigger)
            ).all()
        )
    print(
        f"\n{backend}: {SECONDS:.0f} s, operations {dict(sorted(counts.items()))}, "
        f"releases by trigger {triggers}"
    )

    assert failures == [], f"database errors reached a user: {failures[:5]}"
    invariants.check(db_url)
    assert unaccounted_lines(db_url) == []
    assert counts["place"] > 0 and counts["pick"] > 0 and counts["qc"] > 0
    assert counts["apply_runs"] > 0
    assert triggers.get("qc_partial", 0) + triggers.get("picking_backorder", 0) > 0
