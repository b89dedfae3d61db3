"""``wms stock``: receiving and the stock table."""

from __future__ import annotations

import click
from sqlalchemy.orm import Session

from wms import activity, catalog
from wms.cli.params import Quantity
from wms.output import echo_json, echo_table, format_option
from wms.runtime import Runtime, pass_runtime
from wms.stock import StockLevel, receive, stock_levels

COLUMNS = ["warehouse", "sku", "on_hand", "committed", "available", "backordered"]


@click.group("stock")
def stock_group() -> None:
    """Receive stock and show quantities."""


@stock_group.command("receive")
@click.option("--warehouse", "warehouse_code", required=True, help="Warehouse code.")
@click.option("--sku", required=True, help="Product SKU.")
@click.option("--qty", required=True, type=Quantity(), help="Units received.")
@pass_runtime
def receive_(runtime: Runtime, warehouse_code: str, sku: str, qty: int) -> None:
    """Put received units on hand."""

    def work(session: Session) -> StockLevel:
        warehouse = catalog.get_warehouse(session, warehouse_code)
        product = catalog.get_product(session, sku)
        receive(session, warehouse, product, qty)
        activity.record(
            session,
            "stock_received",
            f"received {qty} of {sku} into {warehouse_code}",
            actor=runtime.actor,
            warehouse_id=warehouse.id,
        )
        return stock_levels(session, warehouse_code, sku)[0]

    level = runtime.write(work)
    click.echo(
        f"received {qty} of {sku} into {warehouse_code}: on hand {level.on_hand}, "
        f"available {level.available}"
    )


@stock_group.command("show")
@click.option("--warehouse", "warehouse_code", help="Only this warehouse.")
@click.option("--sku", help="Only this SKU.")
@format_option
@pass_runtime
def show(
    runtime: Runtime, warehouse_code: str | None, sku: str | None, output_format: str
) -> None:
    """Show on hand, committed, available (signed) and backordered per SKU."""

    def work(session: Session) -> list[StockLevel]:
        if warehouse_code is not None:
            catalog.get_warehouse(session, warehouse_code)
        if sku is not None:
            catalog.get_product(session, sku)
        return stock_levels(session, warehouse_code, sku)

    rows = [level.as_dict() for level in runtime.read(work)]
    if output_format == "json":
        echo_json(rows)
    else:
        echo_table(rows, COLUMNS, empty="no stock recorded")


def register(cli: click.Group) -> None:
    cli.add_command(stock_group)
