"""A generated warehouse with a realistic backlog, built through the real lifecycle.

Orders are placed, picked from what is on the shelf, and QC'd exactly as the
CLI does it, so the backlog the demo shows is the one the host itself makes:
some orders ship, some are partially shipped by QC, some are backordered by
picking, and deliveries arrive in between, landing behind old backorders.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from wms import catalog, orders
from wms.errors import WmsError
from wms.models import Activity, Order, Product, Setting, Stock, Warehouse
from wms.plugins import Plugins
from wms.stock import adjust, lock_stock, receive

WAREHOUSES = {"AMS": "Amsterdam DC", "BER": "Berlin DC", "LYO": "Lyon DC"}
FAMILIES = ["CHAIR", "DESK", "LAMP", "SHELF", "CABLE", "BOLT", "HINGE", "PANEL"]
ORDERS_PER_TRANSACTION = 100


@dataclass
class BacklogSummary:
    warehouses: int = 0
    products: int = 0
    orders: int = 0
    by_status: dict[str, int] = field(default_factory=dict)
    deliveries: int = 0


def database_is_empty(session: Session) -> bool:
    """No row in any host table: the demo must never mix with real data."""
    tables = (Warehouse, Product, Stock, Order, Setting, Activity)
    return not any(session.scalar(select(func.count()).select_from(t)) for t in tables)


def generate_backlog(
    run: Callable[[Callable[[Session], None]], None],
    plugins: Plugins,
    *,
    orders_count: int,
    seed: int,
    actor: str,
) -> None:
    """Create warehouses, products and ``orders_count`` orders through the lifecycle.

    ``run`` executes one unit of work in its own transaction.
    """
    rng = random.Random(seed)
    skus = [f"{family}-{n:03d}" for family in FAMILIES for n in range(1, 41)]
    run(lambda s: _create_catalog(s, rng, skus, actor))

    for start in range(0, orders_count, ORDERS_PER_TRANSACTION):
        count = min(ORDERS_PER_TRANSACTION, orders_count - start)
        batch_rng = random.Random(f"{seed}-{start}")
        run(
            lambda s, first=start, n=count, r=batch_rng: _process_orders(
                s, plugins, r, skus, first, n, actor
            )
        )


def summarise(session: Session) -> BacklogSummary:
    by_status = dict(
        session.execute(select(Order.status, func.count()).group_by(Order.status)).all()
    )
    return BacklogSummary(
        warehouses=session.scalar(select(func.count()).select_from(Warehouse)) or 0,
        products=session.scalar(select(func.count()).select_from(Product)) or 0,
        orders=sum(by_status.values()),
        by_status=by_status,
    )


def _popularity(skus: list[str]) -> list[float]:
    """A long tail: a few SKUs sell a lot, most sell a little."""
    return [1 / (rank + 1) ** 0.7 for rank in range(len(skus))]


def _create_catalog(
    session: Session, rng: random.Random, skus: list[str], actor: str
) -> None:
    warehouses = [
        catalog.add_warehouse(session, code, name) for code, name in WAREHOUSES.items()
    ]
    products = [
        catalog.add_product(session, sku, sku.title().replace("-", " ")) for sku in skus
    ]
    received = {
        (warehouse.id, product.id): rng.randint(5, int(30 + 600 * weight))
        for warehouse in warehouses
        for product, weight in zip(products, _popularity(skus), strict=True)
        if rng.random() < 0.85
    }
    lock_stock(session, received)
    for key, qty in received.items():
        adjust(session, key, on_hand=qty)


def _process_orders(
    session: Session,
    plugins: Plugins,
    rng: random.Random,
    skus: list[str],
    first: int,
    count: int,
    actor: str,
) -> None:
    warehouses = list(session.scalars(select(Warehouse).order_by(Warehouse.code)))
    products = {p.sku: p for p in session.scalars(select(Product))}
    weights = _popularity(skus)

    for index in range(first, first + count):
        warehouse = rng.choice(warehouses)
        chosen = sorted(set(rng.choices(skus, weights=weights, k=rng.randint(1, 3))))
        lines = [(products[sku], rng.randint(1, 8)) for sku in chosen]
        number = f"SO-{index + 1:06d}"
        orders.place_order(session, number, warehouse, lines, actor=actor)
        if rng.random() < 0.1:
            continue  # still waiting for the picker
        _pick_and_pack(session, plugins, number, warehouse, lines, actor)
        if rng.random() < 0.1:
            _deliver(session, rng, warehouse, products, skus)


def _pick_and_pack(
    session: Session,
    plugins: Plugins,
    number: str,
    warehouse: Warehouse,
    lines: list[tuple[Product, int]],
    actor: str,
) -> None:
    found = {}
    for product, qty in lines:
        on_shelf = session.scalar(
            select(Stock.on_hand).where(
                Stock.warehouse_id == warehouse.id, Stock.product_id == product.id
            )
        )
        found[product.sku] = min(qty, on_shelf or 0)
    order = orders.pick_order(session, plugins, number, found, actor=actor)
    if order.status != "picked":
        return
    orders.qc_order(session, plugins, number, found, confirm_partial=True, actor=actor)


def _deliver(
    session: Session,
    rng: random.Random,
    warehouse: Warehouse,
    products: dict[str, Product],
    skus: list[str],
) -> None:
    for sku in rng.sample(skus, k=12):
        receive(session, warehouse, products[sku], rng.randint(5, 30))


class DemoRefused(WmsError):
    """The demo only runs on a new, empty database."""
