"""``wms warehouse``: the warehouses stock lives in."""

from __future__ import annotations

import click
from sqlalchemy import select

from wms import catalog
from wms.models import Warehouse
from wms.output import echo_json, echo_table, format_option
from wms.runtime import Runtime, pass_runtime


@click.group("warehouse")
def warehouse_group() -> None:
    """Add and list warehouses."""


@warehouse_group.command("add")
@click.argument("code")
@click.option("--name", default="", help="Display name (default: the code).")
@pass_runtime
def add(runtime: Runtime, code: str, name: str) -> None:
    """Add warehouse CODE."""
    runtime.write(lambda s: catalog.add_warehouse(s, code, name))
    click.echo(f"warehouse {code} added")


@warehouse_group.command("list")
@format_option
@pass_runtime
def list_(runtime: Runtime, output_format: str) -> None:
    """List warehouses."""
    rows = runtime.read(
        lambda s: [
            {"code": w.code, "name": w.name}
            for w in s.scalars(select(Warehouse).order_by(Warehouse.code))
        ]
    )
    if output_format == "json":
        echo_json(rows)
    else:
        echo_table(rows, ["code", "name"], empty="no warehouses yet")


def register(cli: click.Group) -> None:
    cli.add_command(warehouse_group)
