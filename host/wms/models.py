"""The host's data model: warehouses, products, stock, orders, settings, activity."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    CheckConstraint,
    DateTime,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects import mysql
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class OrderStatus:
    """The statuses an order moves through (DESIGN.md §4)."""

    PLACED = "placed"
    PICKED = "picked"
    BACKORDERED = "backordered"
    PARTIALLY_SHIPPED = "partially_shipped"
    SHIPPED = "shipped"
    CANCELLED = "cancelled"

    ALL = (PLACED, PICKED, BACKORDERED, PARTIALLY_SHIPPED, SHIPPED, CANCELLED)
    OPEN = (PLACED, PICKED, BACKORDERED, PARTIALLY_SHIPPED)
    PICKABLE = (PLACED, PICKED, BACKORDERED, PARTIALLY_SHIPPED)


def Key(length: int) -> String:  # noqa: N802 - reads as a column type
    """A business key (code, SKU, order number) compared exactly, case included.

    MariaDB's default collation would call "lamp-1" and "LAMP-1" the same
    key; SQLite and PostgreSQL would not.  A binary collation there keeps
    all three alike.
    """
    return String(length).with_variant(  # type: ignore[return-value]
        mysql.VARCHAR(length, collation="utf8mb4_bin"), "mysql", "mariadb"
    )


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Warehouse(Base):
    __tablename__ = "warehouse"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(Key(64), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")


class Product(Base):
    __tablename__ = "product"

    id: Mapped[int] = mapped_column(primary_key=True)
    sku: Mapped[str] = mapped_column(Key(64), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")


class Stock(Base):
    """On-hand and committed units of one product in one warehouse."""

    __tablename__ = "stock"
    __table_args__ = (
        UniqueConstraint("warehouse_id", "product_id"),
        CheckConstraint("on_hand >= 0", name="on_hand_not_negative"),
        CheckConstraint("committed >= 0", name="committed_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouse.id"))
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"))
    on_hand: Mapped[int] = mapped_column(Integer, default=0)
    committed: Mapped[int] = mapped_column(Integer, default=0)

    warehouse: Mapped[Warehouse] = relationship()
    product: Mapped[Product] = relationship()


class Order(Base):
    __tablename__ = "sales_order"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(Key(64), unique=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouse.id"), index=True)
    status: Mapped[str] = mapped_column(String(32), index=True)
    placed_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    warehouse: Mapped[Warehouse] = relationship()
    lines: Mapped[list[OrderLine]] = relationship(
        back_populates="order", order_by="OrderLine.id"
    )


class OrderLine(Base):
    """One product on an order.

    ``picked`` holds the units the last pick found and QC has not packed yet.
    """

    __tablename__ = "order_line"
    __table_args__ = (
        CheckConstraint("ordered > 0", name="ordered_positive"),
        CheckConstraint("shipped >= 0", name="shipped_not_negative"),
        CheckConstraint("committed >= 0", name="committed_not_negative"),
        CheckConstraint("picked >= 0", name="picked_not_negative"),
        CheckConstraint("shipped + committed <= ordered", name="within_ordered"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("sales_order.id"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"), index=True)
    ordered: Mapped[int] = mapped_column(Integer)
    shipped: Mapped[int] = mapped_column(Integer, default=0)
    committed: Mapped[int] = mapped_column(Integer, default=0)
    picked: Mapped[int] = mapped_column(Integer, default=0)

    order: Mapped[Order] = relationship(back_populates="lines")
    product: Mapped[Product] = relationship()

    @property
    def outstanding(self) -> int:
        return self.ordered - self.shipped


class Setting(Base):
    """A stored setting value; ``warehouse_id`` NULL is the global value.

    ``scope`` (the warehouse id, 0 for global) carries the uniqueness: a
    unique constraint lets two NULL warehouse ids through on PostgreSQL.
    """

    __tablename__ = "setting"
    __table_args__ = (UniqueConstraint("key", "scope"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(Key(200))
    scope: Mapped[int] = mapped_column(Integer)
    warehouse_id: Mapped[int | None] = mapped_column(ForeignKey("warehouse.id"))
    value: Mapped[str] = mapped_column(String(200))


class Activity(Base):
    """The host's activity feed: one human-readable row per business event."""

    __tablename__ = "activity"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    kind: Mapped[str] = mapped_column(String(64))
    warehouse_id: Mapped[int | None] = mapped_column(ForeignKey("warehouse.id"))
    order_id: Mapped[int | None] = mapped_column(
        ForeignKey("sales_order.id"), index=True
    )
    actor: Mapped[str] = mapped_column(String(200), default="")
    message: Mapped[str] = mapped_column(Text)
