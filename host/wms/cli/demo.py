"""``wms demo``: a generated backlog, then the recommended sequence, step by step."""

from __future__ import annotations

import shlex

import click

from wms import demo
from wms.runtime import Runtime

LIVE_EVENTS: list[tuple[str, list[str]]] = [
    ("A new order arrives for a lamp and a desk", ["product", "add", "DEMO-LAMP"]),
    ("", ["product", "add", "DEMO-DESK"]),
    (
        "",
        ["stock", "receive", "--warehouse", "AMS", "--sku", "DEMO-LAMP", "--qty", "10"],
    ),
    (
        "",
        [
            "order",
            "place",
            "DEMO-1",
            "--warehouse",
            "AMS",
            "--line",
            "DEMO-LAMP=6",
            "--line",
            "DEMO-DESK=4",
        ],
    ),
    (
        "The picker finds the lamps but no desks",
        ["order", "pick", "DEMO-1", "--line", "DEMO-LAMP=6"],
    ),
    (
        "QC confirms the partial shipment",
        ["order", "qc", "DEMO-1", "--line", "DEMO-LAMP=6", "--confirm-partial"],
    ),
    ("", ["order", "show", "DEMO-1"]),
    (
        "Another order for desks: picking finds nothing",
        ["order", "place", "DEMO-2", "--warehouse", "AMS", "--line", "DEMO-DESK=2"],
    ),
    ("", ["order", "pick", "DEMO-2"]),
    (
        "The desks are backordered, and hold no stock",
        ["stock", "show", "--warehouse", "AMS", "--sku", "DEMO-DESK"],
    ),
    ("", ["activity", "--order", "DEMO-2"]),
]


@click.command("demo")
@click.option(
    "--orders",
    "orders_count",
    type=click.IntRange(min=1, max=200_000),
    default=2000,
    show_default=True,
    help="Orders to generate.",
)
@click.option(
    "--seed",
    default=7,
    show_default=True,
    help="Random seed: the same seed gives the same backlog.",
)
@click.pass_context
def demo_command(ctx: click.Context, orders_count: int, seed: int) -> None:
    """Generate a backlog on a NEW database and walk through the cleanup."""
    runtime: Runtime = ctx.obj
    if not runtime.read(demo.database_is_empty):
        raise demo.DemoRefused(
            f"{runtime.database_url} already holds data and the demo never touches "
            "existing data; run it on a new database, e.g. "
            "wms --database-url sqlite:///demo.db demo"
        )

    click.echo(
        f"Generating a backlog of {orders_count} orders (seed {seed}) "
        "through the real lifecycle..."
    )
    demo.generate_backlog(
        runtime.write,
        runtime.plugins,
        orders_count=orders_count,
        seed=seed,
        actor=runtime.actor,
    )
    summary = runtime.read(demo.summarise)
    click.echo(
        f"{summary.warehouses} warehouses, {summary.products} SKUs, "
        f"{summary.orders} orders: "
        + ", ".join(f"{n} {status}" for status, n in sorted(summary.by_status.items()))
    )

    root = ctx.find_root().command
    steps = [*runtime.plugins.demo_steps(), *LIVE_EVENTS]
    for title, argv in steps:
        if title:
            click.echo(f"\n== {title}")
        click.echo(f"$ wms {shlex.join(argv)}")
        root.main(args=argv, prog_name="wms", standalone_mode=False, obj=runtime)
    click.echo(
        "\nDone. Explore further with 'wms --help'; the database is "
        + runtime.database_url
    )


def register(cli: click.Group) -> None:
    cli.add_command(demo_command)
