"""The hook and the cleanup racing on one order release it exactly once."""

from __future__ import annotations

import contextlib
import io
import multiprocessing
from typing import Any

from sqlalchemy import func, select

from backorder_release.models import ReleaseLog
from tests import databases, invariants
from tests.conftest import Run
from tests.helpers import SETTING, line_of, order_json

ORDERS = 8
RELEASE = "inventory:release-backorder-commitments"


def _run_command(url: str, args: list[str], barrier: Any) -> str:
    """Wait for the others, then run one ``wms`` command in this process."""
    from wms.cli import build_cli

    cli = build_cli()
    barrier.wait()
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            cli.main(["--database-url", url, *args], standalone_mode=False)
    except Exception as exc:  # the test asserts there is none
        return f"{args}: {exc!r}"
    return ""


def race(url: str, number: str) -> list[str]:
    """Two --apply runs and a pick that finds nothing, on one order, at once."""
    context = multiprocessing.get_context("spawn")
    commands = [
        [RELEASE, "--apply", "--order", number],
        [RELEASE, "--apply", "--order", number],
        ["order", "pick", number],
    ]
    with context.Manager() as manager:
        barrier = manager.Barrier(len(commands))
        with context.Pool(len(commands)) as pool:
            jobs = [pool.apply_async(_run_command, (url, c, barrier)) for c in commands]
            return [error for job in jobs if (error := job.get(timeout=120))]


def test_two_applies_and_a_picking_backorder_release_once(
    wms: Run, db_url: str
) -> None:
    wms("warehouse", "add", "MAIN")
    wms("product", "add", "A")
    numbers = [f"R{n}" for n in range(ORDERS)]
    for number in numbers:
        wms("stock", "receive", "--warehouse", "MAIN", "--sku", "A", "--qty", "2")
        wms("order", "place", number, "--warehouse", "MAIN", "--line", "A=7")
        wms("order", "pick", number, "--line", "A=2")
        wms("order", "qc", number, "--line", "A=2", "--confirm-partial")
    wms("settings", "set", SETTING, "true")

    errors = [error for number in numbers for error in race(db_url, number)]

    assert errors == []
    invariants.check(db_url)
    with databases.connect(db_url) as conn:
        released = conn.execute(
            select(ReleaseLog.order_number, func.count(), func.sum(ReleaseLog.units))
            .group_by(ReleaseLog.order_number)
            .order_by(ReleaseLog.order_number)
        ).all()
        winners = conn.execute(
            select(ReleaseLog.trigger, func.count()).group_by(ReleaseLog.trigger)
        ).all()
    print(f"\nreleases won by trigger: {dict(winners)}")
    assert [tuple(row) for row in released] == [
        (number, 1, 5) for number in sorted(numbers)
    ]
    for number in numbers:
        assert order_json(wms, number)["status"] == "backordered"
        assert line_of(wms, number, "A")["committed"] == 0
