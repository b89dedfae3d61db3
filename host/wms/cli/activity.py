"""``wms activity``: the activity feed."""

from __future__ import annotations

from typing import Any

import click
from sqlalchemy import select
from sqlalchemy.orm import Session

from wms import orders
from wms.models import Activity, Order, Warehouse
from wms.output import echo_json, echo_table, format_option
from wms.runtime import Runtime, pass_runtime


@click.command("activity")
@click.option("--order", "order_number", help="Only this order's activity.")
@click.option(
    "--limit",
    type=click.IntRange(min=0),
    default=50,
    show_default=True,
    help="Newest rows to show (0: all).",
)
@format_option
@pass_runtime
def activity_command(
    runtime: Runtime, order_number: str | None, limit: int, output_format: str
) -> None:
    """Show the activity feed, newest last."""

    def work(session: Session) -> list[dict[str, Any]]:
        stmt = (
            select(Activity, Warehouse.code, Order.number)
            .outerjoin(Warehouse, Warehouse.id == Activity.warehouse_id)
            .outerjoin(Order, Order.id == Activity.order_id)
            .order_by(Activity.id.desc())
            .limit(limit or None)
        )
        if order_number is not None:
            stmt = stmt.where(
                Activity.order_id == orders.get_order(session, order_number).id
            )
        rows = [
            {
                "at": entry.at.isoformat(sep=" ", timespec="seconds"),
                "kind": entry.kind,
                "warehouse": code,
                "order": number,
                "actor": entry.actor,
                "message": entry.message,
            }
            for entry, code, number in session.execute(stmt)
        ]
        return rows[::-1]

    rows = runtime.read(work)
    if output_format == "json":
        echo_json(rows)
    else:
        echo_table(
            rows,
            ["at", "kind", "warehouse", "order", "actor", "message"],
            empty="no activity yet",
        )


def register(cli: click.Group) -> None:
    cli.add_command(activity_command)
