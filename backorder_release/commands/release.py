"""``wms inventory:release-backorder-commitments``: dry-run first, idempotent apply."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import click
from sqlalchemy import select
from sqlalchemy.orm import Session
from wms.catalog import get_warehouse
from wms.errors import NotFound
from wms.models import Order
from wms.output import format_option, limit_option
from wms.runtime import Runtime, pass_runtime

from backorder_release.models import Trigger
from backorder_release.release import (
    OrderRange,
    Released,
    count_releasable_orders,
    new_run_id,
    plan_release,
    releasable_order_ids,
    release_orders,
    released_lines,
)
from backorder_release.report import ReleaseReport

DEFAULT_BATCH_SIZE = 10_000


@click.command("inventory:release-backorder-commitments")
@click.option(
    "--apply", "apply_", is_flag=True, help="Release for real (default: dry-run)."
)
@click.option("--order", "order_number", help="Only this order.")
@click.option("--warehouse", "warehouse_code", help="Only this warehouse.")
@click.option(
    "--batch-size",
    type=click.IntRange(min=1),
    default=DEFAULT_BATCH_SIZE,
    show_default=True,
    help="Orders per transaction with --apply.",
)
@limit_option
@format_option
@pass_runtime
def release_command(
    runtime: Runtime,
    apply_: bool,
    order_number: str | None,
    warehouse_code: str | None,
    batch_size: int,
    limit: int,
    output_format: str,
) -> None:
    """Release the commitments of backordered lines (a dry-run unless --apply)."""
    report = ReleaseReport(output_format=output_format, applied=apply_, limit=limit)
    scope = runtime.read(lambda s: _scope(s, warehouse_code, order_number))

    if not apply_:
        report.start(None)
        runtime.read(lambda s: report.add(plan_release(s, **scope)), retry=False)
        report.finish(runtime.actor)
        return

    report.start(new_run_id())
    runtime.read(
        lambda s: report.add(plan_release(s, releasable=False, **scope)), retry=False
    )

    def count() -> int:
        return runtime.read(lambda s: count_releasable_orders(s, **scope))

    with progress(count) as bar:
        for orders, released, done in _release_in_batches(
            runtime, report, scope, batch_size
        ):
            _report_batch(runtime, report, orders, released)
            bar.update(done)
    report.finish(runtime.actor)


def _scope(
    session: Session, warehouse_code: str | None, order_number: str | None
) -> dict[str, Any]:
    """The --warehouse and --order filters as ids, checked to exist."""
    scope: dict[str, Any] = {"warehouse_id": None, "order_ids": None}
    if warehouse_code is not None:
        scope["warehouse_id"] = get_warehouse(session, warehouse_code).id
    if order_number is not None:
        order_id = session.scalar(select(Order.id).where(Order.number == order_number))
        if order_id is None:
            raise NotFound(
                f"unknown order {order_number!r}; "
                "check the number with 'wms order show'"
            )
        scope["order_ids"] = [order_id]
    return scope


def _release_in_batches(
    runtime: Runtime, report: ReleaseReport, scope: dict[str, Any], batch_size: int
) -> Iterator[tuple[OrderRange, list[Released], int]]:
    """Release ``batch_size`` orders per transaction, walking order ids upwards.

    A crash loses at most the batch in flight; rerunning finds only what is
    still releasable, so nothing is released twice.
    """
    run_id = report.run_id
    assert run_id is not None
    after = 0

    def batch(session: Session) -> tuple[list[int], list[Released]]:
        ids = releasable_order_ids(session, after=after, limit=batch_size, **scope)
        if not ids:
            return ids, []
        released = release_orders(
            session,
            _range(ids),
            trigger=Trigger.BACKFILL,
            run_id=run_id,
            actor=runtime.actor,
        )
        return ids, released

    def _range(ids: list[int]) -> OrderRange:
        return OrderRange(ids[0], ids[-1], warehouse_id=scope["warehouse_id"])

    while True:
        ids, released = runtime.write(batch)
        if not ids:
            return
        after = ids[-1]
        yield _range(ids), released, len(ids)


def _report_batch(
    runtime: Runtime,
    report: ReleaseReport,
    orders: OrderRange,
    released: list[Released],
) -> None:
    """Count a committed batch and show its lines, read back from the log."""
    room = report.room()
    if room == 0 or not released:
        report.add_released(released, [])
        return
    assert report.run_id is not None
    run_id = report.run_id
    runtime.read(
        lambda s: report.add_released(
            released, released_lines(s, run_id, orders, limit=room)
        ),
        retry=False,
    )


@contextmanager
def progress(count: Callable[[], int]) -> Iterator[_Progress]:
    """A progress bar with rate and ETA on a terminal's stderr; nothing otherwise.

    ``count`` is only called for a terminal: counting the backlog costs a query.
    """
    total = count() if sys.stderr.isatty() else 0
    if not total:
        yield _Progress(None)
        return
    started = time.monotonic()

    def rate(done: int | None) -> str | None:
        if done is None:
            return None
        return f"{done / max(time.monotonic() - started, 1e-6):,.0f} orders/s"

    with click.progressbar(
        length=total,
        label="releasing",
        file=sys.stderr,
        show_eta=True,
        show_pos=True,
        item_show_func=rate,
    ) as bar:
        yield _Progress(bar)


class _Progress:
    """Counts released orders and moves the bar, if there is one."""

    def __init__(self, bar: Any) -> None:
        self.bar = bar
        self.done = 0

    def update(self, orders: int) -> None:
        self.done += orders
        if self.bar is not None:
            self.bar.update(orders, current_item=self.done)
