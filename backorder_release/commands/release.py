"""``wms inventory:release-backorder-commitments``: dry-run first, idempotent apply."""

from __future__ import annotations

from collections import Counter
from typing import Any

import click
from sqlalchemy import select
from sqlalchemy.orm import Session
from wms.catalog import get_warehouse
from wms.errors import NotFound
from wms.models import Order
from wms.output import echo_json, echo_table, format_option, limit_option
from wms.runtime import Runtime, pass_runtime

from backorder_release.models import Trigger
from backorder_release.release import (
    PLANNED,
    RELEASED,
    SKIPPED,
    LineRelease,
    new_run_id,
    plan_release,
    release_orders,
)

COLUMNS = ["order", "warehouse", "sku", "units", "status", "reason"]
DEFAULT_BATCH_SIZE = 500


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

    def make_plan(session: Session) -> list[LineRelease]:
        warehouse_id = (
            get_warehouse(session, warehouse_code).id if warehouse_code else None
        )
        order_ids = None
        if order_number is not None:
            order_id = session.scalar(
                select(Order.id).where(Order.number == order_number)
            )
            if order_id is None:
                raise NotFound(f"unknown order {order_number!r}")
            order_ids = [order_id]
        return plan_release(session, warehouse_id=warehouse_id, order_ids=order_ids)

    plan = runtime.read(make_plan)
    run_id = None
    lines = plan
    if apply_:
        run_id = new_run_id()
        lines = _apply(runtime, plan, run_id, batch_size)

    report = {
        "applied": apply_,
        "run_id": run_id,
        "lines": [line.as_dict() for line in lines],
        "totals": _totals(lines),
    }
    if output_format == "json":
        echo_json(report)
        return
    _echo_report(report, limit)


def _apply(
    runtime: Runtime, plan: list[LineRelease], run_id: str, batch_size: int
) -> list[LineRelease]:
    """Release the planned orders in batches, one transaction per batch."""
    done = [line for line in plan if line.status == SKIPPED]
    order_ids = sorted({line.order_id for line in plan if line.status == PLANNED})
    for start in range(0, len(order_ids), batch_size):
        batch = order_ids[start : start + batch_size]
        done.extend(
            runtime.write(
                lambda s, batch=batch: release_orders(
                    s,
                    batch,
                    trigger=Trigger.BACKFILL,
                    run_id=run_id,
                    actor=runtime.actor,
                )
            )
        )
    done.sort(key=lambda line: (line.order_id, line.line_id))
    return done


def _totals(lines: list[LineRelease]) -> dict[str, Any]:
    counts: Counter[str] = Counter()
    units: Counter[str] = Counter()
    orders: dict[str, set[str]] = {}
    for line in lines:
        counts[line.status] += 1
        units[line.status] += line.units
        orders.setdefault(line.status, set()).add(line.order)
    return {
        status: {
            "lines": counts[status],
            "units": units[status],
            "orders": len(orders.get(status, ())),
        }
        for status in (PLANNED, RELEASED, SKIPPED)
    }


def _echo_report(report: dict[str, Any], limit: int) -> None:
    echo_table(
        report["lines"], COLUMNS, empty="no backordered lines found", limit=limit
    )
    click.echo("")
    for status, total in report["totals"].items():
        if total["lines"]:
            click.echo(
                f"{status}: {total['units']} units on {total['lines']} lines "
                f"of {total['orders']} orders"
            )
    if report["applied"]:
        click.echo(f"run {report['run_id']} by {click.get_current_context().obj.actor}")
        click.echo(
            "next: switch the setting on with "
            "'wms settings set inventory.release_backorder_commitments true'"
        )
    elif report["totals"][PLANNED]["lines"]:
        click.echo(
            "dry-run: nothing was changed. next: run again with --apply to release"
        )
    else:
        click.echo("nothing to release; the setting can be switched on")
