"""Run the Northwind backlog through the wms host and the backorder-release plugin.

Usage::

    python examples/northwind/run.py DATA_DIR [--database-url URL] [--format json]

Every change to the warehouse goes through the real ``wms`` command line, run
in-process (``build_cli()`` and click's ``CliRunner``), so the example
exercises exactly what an operator would type, and each command is echoed as
``$ wms ...`` with its output.  The script only *reads* through the host's
library, for the two things an operator would look up rather than type: how
many units the picker finds on the shelf, and the order statuses for the
closing summary.

The story, on one warehouse ``NW`` with the plugin's setting off:

1. the 77 products become SKUs ``NW-<product_id>`` (``NW-01`` .. ``NW-77``)
   and their units_in_stock is received (products with 0 in stock receive
   nothing);
2. the 21 orders Northwind has not shipped are placed (order date, then
   order id), then picked one by one with what is on the shelf at that moment,
   and QC ships what was picked (a partial pack is confirmed; an order whose
   pick found nothing is backordered by the pick itself and never reaches QC);
3. the recommended clean-up: audit, dry-run, ``--apply``, audit again, and
   switch the setting on.
"""

from __future__ import annotations

import argparse
import csv
import json
import shlex
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import click
from click.testing import CliRunner
from sqlalchemy import func, inspect, select, table
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session
from wms.cli import build_cli
from wms.db import Database
from wms.errors import WmsError
from wms.models import Order, Warehouse
from wms.stock import stock_levels

T = TypeVar("T")

WAREHOUSE = "NW"
ACTOR = "northwind-example"
SETTING = "inventory.release_backorder_commitments"
DEFAULT_DATABASE_URL = "sqlite:///northwind.db"
AUDIT = "inventory:audit-backorder-commitments"
RELEASE = "inventory:release-backorder-commitments"

EXIT_RUNTIME = 1
EXIT_INPUT = 2


class ExampleError(Exception):
    """Bad input to the example itself: shown as one line, exit code 2."""


class StepFailed(Exception):
    """A ``wms`` command failed; it has already printed its own error line."""

    def __init__(self, args: Sequence[str], exit_code: int) -> None:
        super().__init__(f"stopped: 'wms {shell_join(args)}' exited {exit_code}")
        self.exit_code = exit_code


@dataclass(frozen=True)
class Product:
    product_id: int
    name: str
    units_in_stock: int

    @property
    def sku(self) -> str:
        return sku_for(self.product_id)


@dataclass(frozen=True)
class OrderLine:
    product_id: int
    quantity: int

    @property
    def sku(self) -> str:
        return sku_for(self.product_id)


@dataclass(frozen=True)
class OpenOrder:
    """A Northwind order with no shipped_date: the backlog we replay."""

    order_id: int
    order_date: str
    lines: tuple[OrderLine, ...]

    @property
    def number(self) -> str:
        return str(self.order_id)


@dataclass(frozen=True)
class Northwind:
    products: list[Product]
    open_orders: list[OpenOrder]


def sku_for(product_id: int) -> str:
    """``NW-<product_id>``, padded to two digits (Northwind has 77 products).

    The Northwind id stays readable in every wms table, and the padding makes
    the host's SKU-sorted tables (stock, audit) list products in id order.
    """
    return f"{WAREHOUSE}-{product_id:02d}"


def shell_quote(arg: str) -> str:
    """Quote like a person would: "Chef Anton's" rather than shlex's '"'"' dance."""
    if "'" in arg and not any(c in arg for c in '"$`\\!'):
        return f'"{arg}"'
    return shlex.quote(arg)


def shell_join(args: Sequence[str]) -> str:
    return " ".join(shell_quote(arg) for arg in args)


def read_rows(path: Path, columns: Sequence[str]) -> list[dict[str, str]]:
    """The rows of one CSV, refusing a missing file or a missing column up front."""
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            missing = [c for c in columns if c not in (reader.fieldnames or [])]
            if missing:
                raise ExampleError(f"{path} lacks column(s) {', '.join(missing)}")
            return list(reader)
    except OSError as exc:
        raise ExampleError(f"cannot read {path}: {exc.strerror}") from exc


def whole(row: dict[str, str], column: str, path: Path) -> int:
    try:
        return int(row[column])
    except ValueError:
        raise ExampleError(
            f"{path.name}: {column} must be a whole number, not {row[column]!r}"
        ) from None


def load_northwind(data_dir: Path) -> Northwind:
    """Products, and the unshipped orders in the order they were placed."""
    products_csv = data_dir / "products.csv"
    products = [
        Product(
            whole(row, "product_id", products_csv),
            row["product_name"],
            whole(row, "units_in_stock", products_csv),
        )
        for row in read_rows(
            products_csv, ["product_id", "product_name", "units_in_stock"]
        )
    ]

    details_csv = data_dir / "order_details.csv"
    lines: dict[int, list[OrderLine]] = {}
    for row in read_rows(details_csv, ["order_id", "product_id", "quantity"]):
        line = OrderLine(
            whole(row, "product_id", details_csv), whole(row, "quantity", details_csv)
        )
        lines.setdefault(whole(row, "order_id", details_csv), []).append(line)

    orders_csv = data_dir / "orders.csv"
    open_orders = [
        OpenOrder(order_id, row["order_date"], tuple(lines.get(order_id, ())))
        for row in read_rows(orders_csv, ["order_id", "order_date", "shipped_date"])
        if not row["shipped_date"].strip()
        for order_id in [whole(row, "order_id", orders_csv)]
    ]
    open_orders.sort(key=lambda o: (o.order_date, o.order_id))
    return Northwind(products, open_orders)


class Wms:
    """The real ``wms`` CLI, run in-process, echoed the way a terminal shows it.

    Each call runs exactly as ``wms`` would (the host's own error handling and
    exit codes), so what the example proves is what an operator gets.
    """

    def __init__(self, database_url: str) -> None:
        self._cli = build_cli()
        self._runner = CliRunner()
        self._global = ["--database-url", database_url, "--actor", ACTOR]

    def __call__(self, *args: str) -> str:
        """Run ``wms ARGS``; return its stdout, or raise StepFailed."""
        click.echo(f"$ wms {shell_join(args)}")
        result = self._runner.invoke(
            self._cli, [*self._global, *args], catch_exceptions=False
        )
        click.echo(result.stdout, nl=False)
        if result.stderr:
            click.echo(result.stderr, nl=False, err=True)
        if result.exit_code != 0:
            raise StepFailed(args, result.exit_code)
        return result.stdout


class HostView:
    """Read-only looks at the warehouse through the host's library.

    These are the numbers an operator reads off a screen (the shelf, the
    order statuses), not steps of the flow, so they are not echoed.
    """

    def __init__(self, database_url: str) -> None:
        self.database = Database(database_url)

    @property
    def shown_url(self) -> str:
        """The database URL with any password masked, safe to print."""
        return self.database.engine.url.render_as_string(hide_password=True)

    def _read(self, work: Callable[[Session], T]) -> T:
        return self.database.run(work, read_only=True)

    def tables_with_rows(self) -> list[str]:
        """Tables (other than Alembic's bookkeeping) that hold at least one row."""

        def work(session: Session) -> list[str]:
            conn = session.connection()
            names = sorted(inspect(conn).get_table_names())
            return [
                name
                for name in names
                if name != "alembic_version"
                and conn.scalar(select(func.count()).select_from(table(name)))
            ]

        return self._read(work)

    def on_hand(self, sku: str) -> int:
        levels = self._read(lambda s: stock_levels(s, WAREHOUSE, sku))
        return levels[0].on_hand if levels else 0

    def committed(self) -> int:
        """Units the warehouse holds committed, over all its products."""
        levels = self._read(lambda s: stock_levels(s, WAREHOUSE))
        return sum(level.committed for level in levels)

    def statuses(self) -> dict[str, str]:
        """Each of the warehouse's orders with its status."""
        stmt = (
            select(Order.number, Order.status)
            .join(Warehouse, Warehouse.id == Order.warehouse_id)
            .where(Warehouse.code == WAREHOUSE)
        )
        return self._read(lambda s: {n: st for n, st in s.execute(stmt)})

    def close(self) -> None:
        self.database.dispose()


def refuse_if_not_empty(view: HostView) -> None:
    """Replaying the backlog twice would double the stock: only a new database."""
    filled = view.tables_with_rows()
    if filled:
        raise ExampleError(
            f"the database {view.shown_url} already holds data "
            f"(tables: {', '.join(filled)}); give --database-url a new, empty database"
        )


def set_up(wms: Wms, products: Sequence[Product]) -> None:
    """Schema, the warehouse, the products as SKUs, and the units in stock."""
    wms("db", "upgrade")
    if wms("settings", "get", SETTING).strip() != "false":
        raise ExampleError(f"{SETTING} must be off while the backlog is replayed")
    wms("warehouse", "add", WAREHOUSE, "--name", "Northwind Traders")
    for product in products:
        wms("product", "add", product.sku, "--name", product.name)
    for product in products:
        if product.units_in_stock > 0:
            wms(
                "stock",
                "receive",
                "--warehouse",
                WAREHOUSE,
                "--sku",
                product.sku,
                "--qty",
                str(product.units_in_stock),
            )


def line_args(quantities: Iterable[tuple[str, int]]) -> list[str]:
    """``--line SKU=QTY`` for every line, zeros included, so each step reads in full."""
    return [arg for sku, qty in quantities for arg in ("--line", f"{sku}={qty}")]


def place(wms: Wms, order: OpenOrder) -> None:
    """Place the order as Northwind has it; the host refuses a repeated product."""
    ordered = [(line.sku, line.quantity) for line in order.lines]
    wms("order", "place", order.number, "--warehouse", WAREHOUSE, *line_args(ordered))


def fulfil(wms: Wms, view: HostView, order: OpenOrder) -> None:
    """Pick what is on the shelf now, then QC and ship exactly that.

    The shelf is on_hand: every earlier order was shipped by QC straight
    after its pick, so no unit on hand is set aside for another order.
    Committed units are a reservation, not a physical hold, so they do not
    stop the picker.
    """
    found = {
        line.sku: min(line.quantity, view.on_hand(line.sku)) for line in order.lines
    }
    shelf = ", ".join(
        f"{line.sku} {found[line.sku]}/{line.quantity}" for line in order.lines
    )
    click.echo(f"# on the shelf for order {order.number} (found/ordered): {shelf}")
    wms("order", "pick", order.number, *line_args(found.items()))
    if not any(found.values()):
        return  # the pick found nothing: the host made it a backorder, no QC
    partial = any(found[line.sku] < line.quantity for line in order.lines)
    confirm = ["--confirm-partial"] if partial else []
    wms("order", "qc", order.number, *line_args(found.items()), *confirm)


CLEAN_UP = (
    ("audit", [AUDIT]),
    ("dry_run", [RELEASE]),
    ("apply", [RELEASE, "--apply"]),
    ("audit_after", [AUDIT]),
)


def clean_up(wms: Wms, output_format: str) -> dict[str, Any]:
    """The operator's recommended sequence; returns the reports if asked for JSON.

    Tables are shown in full (``--limit 0``): the point of the example is to
    trace every order's release, and Northwind's plan is only 31 lines.
    """
    reports: dict[str, Any] = {}
    as_json = output_format == "json"
    options = ["--format", "json"] if as_json else ["--limit", "0"]
    for name, args in CLEAN_UP:
        click.echo("")
        out = wms(*args, *options)
        if as_json:
            reports[name] = json.loads(out)
    click.echo("")
    wms("settings", "set", SETTING, "true")
    return reports


@dataclass(frozen=True)
class Summary:
    """What the run did, for the closing lines and for the test.

    ``statuses`` is read right after QC.  ``units_released`` is the drop in
    the warehouse's committed stock across the clean-up, measured on the
    host rather than taken from ``--apply``'s report, so it can check it.
    """

    products: int
    products_received: int
    units_received: int
    statuses: dict[str, str]
    units_released: int
    reports: dict[str, Any] = field(default_factory=dict)

    def count(self, status: str) -> int:
        return sum(1 for s in self.statuses.values() if s == status)

    def lines(self) -> list[str]:
        return [
            f"products: {self.products} ({self.products_received} received, "
            f"{self.units_received} units; {self.products - self.products_received} "
            "with nothing in stock)",
            f"orders placed: {len(self.statuses)}",
            f"fully shipped: {self.count('shipped')}",
            f"partially shipped: {self.count('partially_shipped')}",
            f"backordered: {self.count('backordered')}",
            f"units released: {self.units_released}",
        ]


def run(data_dir: Path, database_url: str, output_format: str = "table") -> Summary:
    """Replay the Northwind backlog into a new database and clean it up."""
    data = load_northwind(data_dir)
    view = HostView(database_url)
    try:
        refuse_if_not_empty(view)
        click.echo(
            f"# every command below runs as: wms --database-url {view.shown_url} "
            f"--actor {ACTOR} ..."
        )
        wms = Wms(database_url)
        set_up(wms, data.products)
        for order in data.open_orders:
            place(wms, order)
        for order in data.open_orders:
            fulfil(wms, view, order)
        statuses = view.statuses()
        committed_before = view.committed()
        reports = clean_up(wms, output_format)
        released = committed_before - view.committed()
    finally:
        view.close()
    received = [p for p in data.products if p.units_in_stock > 0]
    return Summary(
        products=len(data.products),
        products_received=len(received),
        units_received=sum(p.units_in_stock for p in received),
        statuses=statuses,
        units_released=released,
        reports=reports,
    )


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="run.py",
        description="Replay the Northwind backlog through wms and backorder-release.",
    )
    parser.add_argument(
        "data_dir",
        type=Path,
        metavar="DATA_DIR",
        help="folder with products.csv, orders.csv and order_details.csv",
    )
    parser.add_argument(
        "--database-url",
        default=DEFAULT_DATABASE_URL,
        help=f"a new, empty database (default: {DEFAULT_DATABASE_URL})",
    )
    parser.add_argument(
        "--format",
        dest="output_format",
        choices=("table", "json"),
        default="table",
        help="output of the audit and release commands (default: table)",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the example; every failure is one line on stderr and an exit code."""
    args = parse_args(argv)
    try:
        summary = run(args.data_dir, args.database_url, args.output_format)
    except (ExampleError, WmsError) as exc:
        click.echo(f"Error: {exc}", err=True)
        return EXIT_INPUT
    except StepFailed as exc:
        click.echo(f"Error: {exc}", err=True)
        return exc.exit_code
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        click.echo(f"Error: cannot use the database: {reason}", err=True)
        return EXIT_RUNTIME
    click.echo("")
    click.echo("Summary")
    for line in summary.lines():
        click.echo(f"  {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
