"""``wms product``: the SKUs the warehouse handles."""

from __future__ import annotations

import click
from sqlalchemy import select

from wms import catalog
from wms.models import Product
from wms.output import echo_json, echo_table, format_option
from wms.runtime import Runtime, pass_runtime


@click.group("product")
def product_group() -> None:
    """Add and list products."""


@product_group.command("add")
@click.argument("sku")
@click.option("--name", default="", help="Display name (default: the SKU).")
@pass_runtime
def add(runtime: Runtime, sku: str, name: str) -> None:
    """Add product SKU."""
    runtime.write(lambda s: catalog.add_product(s, sku, name))
    click.echo(f"product {sku} added")


@product_group.command("list")
@format_option
@pass_runtime
def list_(runtime: Runtime, output_format: str) -> None:
    """List products."""
    rows = runtime.read(
        lambda s: [
            {"sku": p.sku, "name": p.name}
            for p in s.scalars(select(Product).order_by(Product.sku))
        ]
    )
    if output_format == "json":
        echo_json(rows)
    else:
        echo_table(rows, ["sku", "name"], empty="no products yet")


def register(cli: click.Group) -> None:
    cli.add_command(product_group)
