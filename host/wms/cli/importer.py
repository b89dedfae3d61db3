"""``wms import``: load an existing warehouse from CSV files."""

from __future__ import annotations

from pathlib import Path

import click

from wms.importer import import_directory
from wms.runtime import Runtime, pass_runtime


@click.command("import")
@click.argument("directory", type=click.Path(path_type=Path))
@pass_runtime
def import_command(runtime: Runtime, directory: Path) -> None:
    """Load warehouses, products, stock, orders and order lines from DIRECTORY.

    Files (each optional, UTF-8 CSV with a header row): warehouses.csv
    (code, name), products.csv (sku, name), stock.csv (warehouse, sku,
    on_hand), orders.csv (number, warehouse, status), order_lines.csv (order,
    sku, ordered, shipped, committed).  All or nothing: one bad row and
    nothing is loaded.
    """
    counts = runtime.write(
        lambda s: import_directory(s, directory, actor=runtime.actor)
    )
    click.echo(
        "imported "
        + ", ".join(f"{n} {kind.replace('_', ' ')}" for kind, n in counts.items())
    )


def register(cli: click.Group) -> None:
    cli.add_command(import_command)
