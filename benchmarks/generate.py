"""Generate a warehouse history of N order lines, loaded with bulk inserts.

    python benchmarks/generate.py --lines 1000000 --database-url sqlite:///bench.db

The mix: four warehouses, one SKU per 200 lines (at least 50), orders of 1-4
lines, and statuses as a long-running host accumulates them: most orders
shipped, some cancelled or still open, about a fifth backordered or
partially shipped, a tenth of whose lines were already released.  The same
seed gives the same data.
"""

from __future__ import annotations

import argparse
import random
from collections import defaultdict
from collections.abc import Iterator

from sqlalchemy import insert, text
from wms import schema
from wms.db import Database
from wms.models import Order, OrderLine, Product, Stock, Warehouse, utcnow
from wms.plugins import Plugins, make_plugin_manager

CHUNK = 20_000
WAREHOUSES = ("NORTH", "SOUTH", "EAST", "WEST")
STATUSES = {
    "shipped": 55,
    "cancelled": 5,
    "placed": 12,
    "picked": 3,
    "backordered": 10,
    "partially_shipped": 15,
}


def line_quantities(rng: random.Random, status: str) -> tuple[int, int, int]:
    """(ordered, shipped, committed) of one line of an order in ``status``."""
    ordered = rng.randint(1, 10)
    if status == "shipped":
        return ordered, ordered, 0
    if status == "cancelled":
        return ordered, 0, 0
    shipped = 0
    if status == "partially_shipped":
        shipped = rng.randint(0, ordered - 1)
    committed = ordered - shipped
    if status in ("backordered", "partially_shipped") and rng.random() < 0.1:
        committed = 0  # released earlier
    return ordered, shipped, committed


def orders_and_lines(
    rng: random.Random, lines: int, skus: int
) -> Iterator[tuple[dict[str, object], list[dict[str, object]]]]:
    names, weights = list(STATUSES), list(STATUSES.values())
    now = utcnow()
    line_id = order_id = 0
    while line_id < lines:
        order_id += 1
        status = rng.choices(names, weights)[0]
        order = {
            "id": order_id,
            "number": f"B-{order_id:08d}",
            "warehouse_id": rng.randint(1, len(WAREHOUSES)),
            "status": status,
            "placed_at": now,
        }
        products = rng.sample(
            range(1, skus + 1), k=min(rng.randint(1, 4), lines - line_id)
        )
        rows = []
        for product_id in products:
            line_id += 1
            ordered, shipped, committed = line_quantities(rng, status)
            rows.append(
                {
                    "id": line_id,
                    "order_id": order_id,
                    "product_id": product_id,
                    "ordered": ordered,
                    "shipped": shipped,
                    "committed": committed,
                    "picked": 0,
                }
            )
        yield order, rows


def generate(url: str, lines: int, seed: int = 42) -> None:
    db = Database(url)
    schema.upgrade(db, Plugins(make_plugin_manager()).migration_locations())
    rng = random.Random(seed)
    skus = max(50, lines // 200)
    committed: dict[tuple[int, int], int] = defaultdict(int)

    with db.engine.begin() as conn:
        conn.execute(
            insert(Warehouse),
            [
                {"id": i, "code": c, "name": c.title()}
                for i, c in enumerate(WAREHOUSES, 1)
            ],
        )
        conn.execute(
            insert(Product),
            [
                {"id": i, "sku": f"SKU-{i:06d}", "name": f"Product {i}"}
                for i in range(1, skus + 1)
            ],
        )
        order_rows: list[dict[str, object]] = []
        line_rows: list[dict[str, object]] = []
        for order, rows in orders_and_lines(rng, lines, skus):
            order_rows.append(order)
            line_rows.extend(rows)
            for row in rows:
                committed[(order["warehouse_id"], row["product_id"])] += row[
                    "committed"
                ]  # type: ignore[index,operator]
            if len(line_rows) >= CHUNK:
                _flush(conn, order_rows, line_rows)
        _flush(conn, order_rows, line_rows)
        conn.execute(
            insert(Stock),
            [
                {
                    "warehouse_id": w,
                    "product_id": p,
                    "on_hand": rng.randint(0, 60),
                    "committed": committed.get((w, p), 0),
                }
                for w in range(1, len(WAREHOUSES) + 1)
                for p in range(1, skus + 1)
            ],
        )
        if db.backend == "postgresql":
            for table in ("warehouse", "product", "sales_order", "order_line", "stock"):
                conn.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT MAX(id) FROM {table}))"
                    )
                )
    if db.backend == "postgresql":
        # A database with years of history has planner statistics
        # (autovacuum); a fresh bulk load has none, and without them
        # PostgreSQL chose nested loops that took seconds at 100k lines.
        with db.engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").execute(
                text("ANALYZE")
            )
    db.dispose()


def _flush(conn, order_rows: list, line_rows: list) -> None:  # type: ignore[no-untyped-def,type-arg]
    if order_rows:
        conn.execute(insert(Order), order_rows)
        conn.execute(insert(OrderLine), line_rows)
    order_rows.clear()
    line_rows.clear()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, required=True)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    generate(args.database_url, args.lines, args.seed)


if __name__ == "__main__":
    main()
