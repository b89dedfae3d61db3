"""The read-only audit: where backordered lines still hold commitments."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import NamedTuple

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from wms.models import Order, OrderLine, Product, Stock, Warehouse
from wms.stock import available

from backorder_release.backorders import backordered_lines, is_releasable_line

WOULD_MAKE_AVAILABLE = "WOULD_MAKE_AVAILABLE"

COLUMNS = [
    "warehouse",
    "sku",
    "on_hand",
    "committed",
    "available",
    "releasable",
    "available_after",
    "orders",
    "flag",
]


class AuditRow(NamedTuple):
    """One warehouse and product: what its releasable lines hold.

    A named tuple, computed once: an audit builds one per stock row, some
    20,000 at a time.
    """

    warehouse: str
    sku: str
    on_hand: int
    committed: int
    available: int
    releasable: int
    available_after: int
    orders: int
    flag: str
    """WOULD_MAKE_AVAILABLE: releasing would make units sellable at once, so
    these shelves are worth counting first."""

    def as_dict(self) -> dict[str, object]:
        return dict(zip(COLUMNS, self, strict=True))


def audit_row(
    warehouse: str, sku: str, on_hand: int, committed: int, releasable: int, orders: int
) -> AuditRow:
    now = available(on_hand, committed)
    available_after = now + releasable
    return AuditRow(
        warehouse,
        sku,
        on_hand,
        committed,
        now,
        releasable,
        available_after,
        orders,
        WOULD_MAKE_AVAILABLE if available_after > 0 else "",
    )


def audit(
    session: Session,
    *,
    warehouse_id: int | None = None,
    product_id: int | None = None,
) -> list[AuditRow]:
    """One row per warehouse and product with releasable lines, in one query."""
    stmt = (
        select(
            Warehouse.code,
            Product.sku,
            Stock.on_hand,
            Stock.committed,
            func.sum(OrderLine.committed),
            func.count(func.distinct(Order.id)),
        )
        .select_from(OrderLine)
        .join(Order, Order.id == OrderLine.order_id)
        .join(
            Stock,
            (Stock.warehouse_id == Order.warehouse_id)
            & (Stock.product_id == OrderLine.product_id),
        )
        .join(Warehouse, Warehouse.id == Stock.warehouse_id)
        .join(Product, Product.id == Stock.product_id)
        .where(is_releasable_line())
        .group_by(Warehouse.code, Product.sku, Stock.on_hand, Stock.committed)
        .order_by(Warehouse.code, Product.sku)
    )
    if warehouse_id is not None:
        stmt = stmt.where(Order.warehouse_id == warehouse_id)
    if product_id is not None:
        stmt = stmt.where(OrderLine.product_id == product_id)
    # Core, not the ORM's execute: plain rows, without the ORM's loading work
    # for each of some 20,000 warehouse/SKU rows; fetched all at once, which
    # psycopg does far faster than row by row.
    rows = session.connection().execute(stmt).all()
    return [
        audit_row(code, sku, on_hand, committed, int(releasable), orders)
        for code, sku, on_hand, committed, releasable, orders in rows
    ]


@dataclass(frozen=True)
class WarehouseBacklog:
    """What releasable lines still hold in one warehouse."""

    warehouse: str
    lines: int
    units: int
    orders: int


def backlog_by_warehouse(
    session: Session, warehouse_ids: Collection[int]
) -> list[WarehouseBacklog]:
    """Releasable lines, units and orders per warehouse, for these warehouses.

    Counts the lines the release plan selects, so the units agree with the
    audit's releasable total and with what ``--apply`` then releases.
    """
    if not warehouse_ids:
        return []
    stmt = (
        backordered_lines()
        .with_only_columns(
            Warehouse.code,
            func.count(),
            func.sum(OrderLine.committed),
            func.count(func.distinct(Order.id)),
        )
        .where(Order.warehouse_id.in_(warehouse_ids))
        .group_by(Warehouse.code)
        .order_by(None)
        .order_by(Warehouse.code)
    )
    return [
        WarehouseBacklog(code, lines, int(units), orders)
        for code, lines, units, orders in session.execute(stmt)
    ]
