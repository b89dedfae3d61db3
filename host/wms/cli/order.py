"""``wms order``: the order lifecycle from the command line."""

from __future__ import annotations

import sys
from typing import Any

import click
from sqlalchemy.orm import Session

from wms import catalog, orders
from wms.cli.params import SkuQuantity, quantities_by_sku
from wms.errors import PartialNotConfirmed
from wms.models import Order
from wms.output import echo_json, echo_table, format_option
from wms.runtime import Runtime, pass_runtime

LINE_COLUMNS = ["sku", "ordered", "shipped", "committed", "picked", "outstanding"]

line_option = click.option(
    "--line",
    "lines",
    multiple=True,
    type=SkuQuantity(),
    help="SKU=QTY; repeat for each line.",
)


@click.group("order")
def order_group() -> None:
    """Place, pick, QC, cancel and show orders."""


@order_group.command("place")
@click.argument("number")
@click.option("--warehouse", "warehouse_code", required=True, help="Warehouse code.")
@line_option
@pass_runtime
def place(
    runtime: Runtime,
    number: str,
    warehouse_code: str,
    lines: tuple[tuple[str, int], ...],
) -> None:
    """Place order NUMBER; every line commits its full quantity."""
    wanted = quantities_by_sku(lines)

    def work(session: Session) -> dict[str, Any]:
        warehouse = catalog.get_warehouse(session, warehouse_code)
        products = [
            (catalog.get_product(session, sku), qty) for sku, qty in wanted.items()
        ]
        order = orders.place_order(
            session, number, warehouse, products, actor=runtime.actor
        )
        return order_summary(order)

    summary = runtime.write(work)
    count = len(summary["lines"])
    click.echo(
        f"order {number} placed in {warehouse_code} "
        f"({count} line{'' if count == 1 else 's'})"
    )


@order_group.command("pick")
@click.argument("number")
@line_option
@pass_runtime
def pick(runtime: Runtime, number: str, lines: tuple[tuple[str, int], ...]) -> None:
    """Record the units found for order NUMBER (unlisted lines: 0 found)."""
    found = quantities_by_sku(lines)
    summary = runtime.write(
        lambda s: order_summary(
            orders.pick_order(s, runtime.plugins, number, found, actor=runtime.actor)
        )
    )
    click.echo(f"order {number} is now {summary['status']}")


@order_group.command("qc")
@click.argument("number")
@line_option
@click.option(
    "--confirm-partial",
    is_flag=True,
    help="Ship a pack smaller than outstanding; the rest stays a backorder.",
)
@pass_runtime
def qc(
    runtime: Runtime,
    number: str,
    lines: tuple[tuple[str, int], ...],
    confirm_partial: bool,
) -> None:
    """Record what QC packed for order NUMBER and ship it (unlisted lines: 0)."""
    packed = quantities_by_sku(lines)

    def run(confirm: bool) -> dict[str, Any]:
        return runtime.write(
            lambda s: order_summary(
                orders.qc_order(
                    s,
                    runtime.plugins,
                    number,
                    packed,
                    confirm_partial=confirm,
                    actor=runtime.actor,
                )
            )
        )

    try:
        summary = run(confirm_partial)
    except PartialNotConfirmed:
        if not sys.stdin.isatty():
            raise
        click.confirm(
            f"QC packed less than outstanding on order {number}. Ship what was "
            "packed and keep the rest as a backorder?",
            abort=True,
        )
        summary = run(True)
    click.echo(f"order {number} is now {summary['status']}")


@order_group.command("cancel")
@click.argument("number")
@pass_runtime
def cancel(runtime: Runtime, number: str) -> None:
    """Cancel order NUMBER and release its remaining commitment."""
    runtime.write(lambda s: orders.cancel_order(s, number, actor=runtime.actor))
    click.echo(f"order {number} cancelled")


@order_group.command("show")
@click.argument("number")
@format_option
@pass_runtime
def show(runtime: Runtime, number: str, output_format: str) -> None:
    """Show order NUMBER with its lines."""
    summary = runtime.read(lambda s: order_summary(orders.get_order(s, number)))
    if output_format == "json":
        echo_json(summary)
        return
    click.echo(
        f"order {summary['number']}  warehouse {summary['warehouse']}  "
        f"status {summary['status']}"
    )
    echo_table(summary["lines"], LINE_COLUMNS)


def order_summary(order: Order) -> dict[str, Any]:
    return {
        "number": order.number,
        "warehouse": order.warehouse.code,
        "status": order.status,
        "lines": [
            {
                "sku": line.product.sku,
                "ordered": line.ordered,
                "shipped": line.shipped,
                "committed": line.committed,
                "picked": line.picked,
                "outstanding": line.outstanding,
            }
            for line in order.lines
        ],
    }


def register(cli: click.Group) -> None:
    cli.add_command(order_group)
