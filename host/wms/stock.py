"""Stock quantities and the only way to change them: locked, atomic updates.

Available and the Backordered badge come from one computation
(``StockLevel``), so the signed number and the badge can never disagree.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, Update, bindparam, select, update
from sqlalchemy.dialects import mysql, postgresql, sqlite
from sqlalchemy.orm import Session

from wms.errors import InvalidQuantity
from wms.models import Product, Stock, Warehouse

MAX_UNITS = 1_000_000_000
"""The most units one operator entry may name (quantities are 32-bit on servers)."""

MAX_STOCK = 2_147_483_647
"""The most units a stock row can hold: the INTEGER range of PostgreSQL and MariaDB."""

_DIGITS = re.compile(r"^-?[0-9]+$")

StockKey = tuple[int, int]
"""(warehouse_id, product_id): the key stock rows are locked by, in this order."""


def parse_units(text: str, what: str, *, most: int = MAX_UNITS) -> int:
    """A whole, non-negative number of units from an operator, or InvalidQuantity.

    Only plain digits: Python's int() would also read "1_0" as 10.
    """
    stripped = text.strip()
    if not _DIGITS.fullmatch(stripped):
        raise InvalidQuantity(f"{what} must be a whole number of units, not {text!r}")
    if len(stripped.lstrip("-")) > len(str(MAX_STOCK)):
        # Far out of range, and int() refuses numbers of thousands of digits.
        raise InvalidQuantity(f"{what} must be at most {most:,}")
    units = int(stripped)
    if units < 0:
        raise InvalidQuantity(f"{what} must not be negative, got {units}")
    if units > most:
        raise InvalidQuantity(f"{what} must be at most {most:,}, got {units:,}")
    return units


def available(on_hand: int, committed: int) -> int:
    """What can still be promised (DESIGN.md §3): negative when backordered."""
    return on_hand - committed


@dataclass(frozen=True)
class StockLevel:
    """One warehouse's quantities of one product, as DESIGN.md §3 defines them."""

    warehouse: str
    sku: str
    on_hand: int
    committed: int

    @property
    def available(self) -> int:
        return available(self.on_hand, self.committed)

    @property
    def backordered(self) -> int:
        return max(0, -self.available)

    def as_dict(self) -> dict[str, object]:
        return {
            "warehouse": self.warehouse,
            "sku": self.sku,
            "on_hand": self.on_hand,
            "committed": self.committed,
            "available": self.available,
            "backordered": self.backordered,
        }


def ensure_stock_rows(session: Session, keys: Iterable[StockKey]) -> None:
    """Create missing stock rows (nothing on hand or committed), race-free."""
    rows = [
        {"warehouse_id": w, "product_id": p, "on_hand": 0, "committed": 0}
        for w, p in sorted(set(keys))
    ]
    if not rows:
        return
    backend = session.get_bind().dialect.name
    if backend == "postgresql":
        stmt = postgresql.insert(Stock).on_conflict_do_nothing()
    elif backend == "sqlite":
        stmt = sqlite.insert(Stock).on_conflict_do_nothing()
    elif backend in ("mysql", "mariadb"):
        stmt = mysql.insert(Stock).prefix_with("IGNORE")
    else:  # pragma: no cover - only the three supported backends reach here
        raise NotImplementedError(backend)
    session.execute(stmt, rows)


def lock_stock(session: Session, keys: Iterable[StockKey]) -> dict[StockKey, Stock]:
    """Lock the stock rows for ``keys`` in (warehouse, product) order and return them.

    Every writer takes stock locks first and in this order, so two writers
    can wait for each other but never deadlock on stock rows.  Rows that do
    not exist yet are created after the existing ones are locked (an
    ``INSERT ... IGNORE`` on a row someone else holds would take a shared
    lock and deadlock on the upgrade).
    """
    wanted = sorted(set(keys))
    locked = _select_for_update(session, wanted)

    missing = [key for key in wanted if key not in locked]
    if missing:
        ensure_stock_rows(session, missing)
        locked.update(_select_for_update(session, missing))
    return locked


def _select_for_update(session: Session, keys: list[StockKey]) -> dict[StockKey, Stock]:
    locked: dict[StockKey, Stock] = {}
    for warehouse_id in sorted({w for w, _ in keys}):
        product_ids = [p for w, p in keys if w == warehouse_id]
        stmt = (
            select(Stock)
            .where(
                Stock.warehouse_id == warehouse_id, Stock.product_id.in_(product_ids)
            )
            .order_by(Stock.product_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        for row in session.scalars(stmt):
            locked[(row.warehouse_id, row.product_id)] = row
    return locked


def lock_stock_rows(session: Session, keys: Iterable[StockKey]) -> None:
    """Lock existing stock rows in the fixed order without loading them.

    For set-based writers, which change the rows with one UPDATE afterwards
    and would only pay for the ORM objects ``lock_stock`` builds.
    """
    wanted = sorted(set(keys))
    for warehouse_id in sorted({w for w, _ in wanted}):
        session.execute(
            select(Stock.id)
            .where(
                Stock.warehouse_id == warehouse_id,
                Stock.product_id.in_([p for w, p in wanted if w == warehouse_id]),
            )
            .order_by(Stock.product_id)
            .with_for_update()
        ).all()


def lock_stock_rows_of(
    session: Session, keys: Select[Any], params: Mapping[str, Any]
) -> int:
    """Lock the stock rows a query names, in the fixed order, in one statement.

    ``keys`` yields ``warehouse_id`` and ``product_id`` columns.  PostgreSQL
    only: it locks the rows of ``stock`` alone (FOR UPDATE OF), in the
    sorted order.  MariaDB has no FOR UPDATE OF and would lock the rows the
    query reads too; use ``lock_stock_rows`` with the keys there.  Returns
    how many rows were locked.
    """
    return len(session.connection().execute(_lock_rows_of(keys), dict(params)).all())


@functools.lru_cache(maxsize=32)
def _lock_rows_of(keys: Select[Any]) -> Select[Any]:
    source = keys.subquery()
    return (
        select(Stock.id)
        .join(
            source,
            (Stock.warehouse_id == source.c.warehouse_id)
            & (Stock.product_id == source.c.product_id),
        )
        .order_by(Stock.warehouse_id, Stock.product_id)
        .with_for_update(of=Stock)
    )


def adjust(
    session: Session, key: StockKey, *, on_hand: int = 0, committed: int = 0
) -> None:
    """Add the deltas to a (locked) stock row in one atomic UPDATE."""
    if not on_hand and not committed:
        return
    session.execute(
        update(Stock)
        .where(Stock.warehouse_id == key[0], Stock.product_id == key[1])
        .values(
            on_hand=Stock.on_hand + on_hand,
            committed=Stock.committed + committed,
        )
        .execution_options(synchronize_session=False)
    )


def adjust_committed_many(session: Session, deltas: dict[StockKey, int]) -> None:
    """Add committed deltas to many (locked) stock rows in one executemany UPDATE."""
    rows = [
        {"w": w, "p": p, "delta": delta}
        for (w, p), delta in sorted(deltas.items())
        if delta
    ]
    if rows:
        session.connection().execute(_ADJUST_COMMITTED, rows)


def adjust_committed_from(
    session: Session, deltas: Select[Any], params: Mapping[str, Any] | None = None
) -> None:
    """Add committed deltas computed by a query to (locked) stock rows, in one UPDATE.

    ``deltas`` yields ``warehouse_id``, ``product_id`` and ``delta`` columns,
    at most one row per stock row, given ``params``; the caller holds the
    stock rows' locks.
    """
    if session.get_bind().dialect.name in ("mysql", "mariadb"):
        # MariaDB runs UPDATE ... JOIN (derived table) as a probe of the
        # derived table per stock row: stock rows times log rows, batch
        # after batch.  Reading the deltas and updating by key is linear.
        rows = session.connection().execute(deltas, dict(params or {})).all()
        adjust_committed_many(session, {(w, p): int(d) for w, p, d in rows})
        return
    session.connection().execute(committed_update_from(deltas), dict(params or {}))


@functools.lru_cache(maxsize=32)
def committed_update_from(deltas: Select[Any]) -> Update:
    """The UPDATE that ``adjust_committed_from`` runs, for use inside a statement.

    PostgreSQL can run it as a data-modifying WITH clause of a larger
    statement; the caller holds the stock rows' locks.  Built once per
    query: building it cost more than a hook's whole release.
    """
    source = deltas.subquery()
    return (
        update(Stock)
        .where(
            Stock.warehouse_id == source.c.warehouse_id,
            Stock.product_id == source.c.product_id,
        )
        .values(committed=Stock.committed + source.c.delta)
        .execution_options(synchronize_session=False)
    )


_ADJUST_COMMITTED = (
    update(Stock.__table__)
    .where(
        Stock.__table__.c.warehouse_id == bindparam("w"),
        Stock.__table__.c.product_id == bindparam("p"),
    )
    .values(committed=Stock.__table__.c.committed + bindparam("delta"))
)


def receive(session: Session, warehouse: Warehouse, product: Product, qty: int) -> None:
    """Put ``qty`` received units on hand. Nothing else changes."""
    if qty <= 0:
        raise InvalidQuantity(
            f"received quantity must be a positive whole number, not {qty}"
        )
    key = (warehouse.id, product.id)
    row = lock_stock(session, [key])[key]
    if row.on_hand + qty > MAX_STOCK:
        raise InvalidQuantity(
            f"receiving {qty} of {product.sku} would put {row.on_hand + qty:,} on hand "
            f"in {warehouse.code}, above the limit of {MAX_STOCK:,}"
        )
    adjust(session, key, on_hand=qty)


def stock_levels(
    session: Session, warehouse_code: str | None = None, sku: str | None = None
) -> list[StockLevel]:
    stmt = (
        select(Warehouse.code, Product.sku, Stock.on_hand, Stock.committed)
        .join(Warehouse, Warehouse.id == Stock.warehouse_id)
        .join(Product, Product.id == Stock.product_id)
        .order_by(Warehouse.code, Product.sku)
    )
    if warehouse_code is not None:
        stmt = stmt.where(Warehouse.code == warehouse_code)
    if sku is not None:
        stmt = stmt.where(Product.sku == sku)
    return [StockLevel(*row) for row in session.execute(stmt)]
