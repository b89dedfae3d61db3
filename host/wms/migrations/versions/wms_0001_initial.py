"""Host tables: warehouses, products, stock, orders, lines, settings, activity.

Revision ID: wms_0001
Revises:
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "wms_0001"
down_revision = None
branch_labels = ("wms",)
depends_on = None


def _key(length: int) -> sa.types.TypeEngine[str]:
    """Business keys compare exactly on MariaDB too (binary collation)."""
    return sa.String(length).with_variant(
        mysql.VARCHAR(length, collation="utf8mb4_bin"), "mysql", "mariadb"
    )


def upgrade() -> None:
    op.create_table(
        "warehouse",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("code", _key(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_warehouse"),
        sa.UniqueConstraint("code", name="uq_warehouse_code"),
    )
    op.create_table(
        "product",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("sku", _key(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_product"),
        sa.UniqueConstraint("sku", name="uq_product_sku"),
    )
    op.create_table(
        "stock",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("warehouse_id", sa.Integer, nullable=False),
        sa.Column("product_id", sa.Integer, nullable=False),
        sa.Column("on_hand", sa.Integer, nullable=False),
        sa.Column("committed", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_stock"),
        sa.ForeignKeyConstraint(
            ["warehouse_id"], ["warehouse.id"], name="fk_stock_warehouse_id_warehouse"
        ),
        sa.ForeignKeyConstraint(
            ["product_id"], ["product.id"], name="fk_stock_product_id_product"
        ),
        sa.UniqueConstraint("warehouse_id", "product_id", name="uq_stock_warehouse_id"),
        sa.CheckConstraint("on_hand >= 0", name="ck_stock_on_hand_not_negative"),
        sa.CheckConstraint("committed >= 0", name="ck_stock_committed_not_negative"),
    )
    op.create_table(
        "sales_order",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("number", _key(64), nullable=False),
        sa.Column("warehouse_id", sa.Integer, nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("placed_at", sa.DateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_sales_order"),
        sa.ForeignKeyConstraint(
            ["warehouse_id"],
            ["warehouse.id"],
            name="fk_sales_order_warehouse_id_warehouse",
        ),
        sa.UniqueConstraint("number", name="uq_sales_order_number"),
    )
    op.create_index("ix_sales_order_warehouse_id", "sales_order", ["warehouse_id"])
    op.create_index("ix_sales_order_status", "sales_order", ["status"])
    op.create_table(
        "order_line",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("order_id", sa.Integer, nullable=False),
        sa.Column("product_id", sa.Integer, nullable=False),
        sa.Column("ordered", sa.Integer, nullable=False),
        sa.Column("shipped", sa.Integer, nullable=False),
        sa.Column("committed", sa.Integer, nullable=False),
        sa.Column("picked", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_order_line"),
        sa.ForeignKeyConstraint(
            ["order_id"], ["sales_order.id"], name="fk_order_line_order_id_sales_order"
        ),
        sa.ForeignKeyConstraint(
            ["product_id"], ["product.id"], name="fk_order_line_product_id_product"
        ),
        sa.CheckConstraint("ordered > 0", name="ck_order_line_ordered_positive"),
        sa.CheckConstraint("shipped >= 0", name="ck_order_line_shipped_not_negative"),
        sa.CheckConstraint(
            "committed >= 0", name="ck_order_line_committed_not_negative"
        ),
        sa.CheckConstraint("picked >= 0", name="ck_order_line_picked_not_negative"),
        sa.CheckConstraint(
            "shipped + committed <= ordered", name="ck_order_line_within_ordered"
        ),
    )
    op.create_index("ix_order_line_order_id", "order_line", ["order_id"])
    op.create_index("ix_order_line_product_id", "order_line", ["product_id"])
    op.create_table(
        "setting",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("key", _key(200), nullable=False),
        sa.Column("scope", sa.Integer, nullable=False),
        sa.Column("warehouse_id", sa.Integer, nullable=True),
        sa.Column("value", sa.String(200), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_setting"),
        sa.ForeignKeyConstraint(
            ["warehouse_id"], ["warehouse.id"], name="fk_setting_warehouse_id_warehouse"
        ),
        sa.UniqueConstraint("key", "scope", name="uq_setting_key"),
    )
    op.create_table(
        "activity",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("at", sa.DateTime, nullable=False),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("warehouse_id", sa.Integer, nullable=True),
        sa.Column("order_id", sa.Integer, nullable=True),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("message", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_activity"),
        sa.ForeignKeyConstraint(
            ["warehouse_id"],
            ["warehouse.id"],
            name="fk_activity_warehouse_id_warehouse",
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["sales_order.id"], name="fk_activity_order_id_sales_order"
        ),
    )
    op.create_index("ix_activity_order_id", "activity", ["order_id"])


def downgrade() -> None:
    # Dropping a table drops its indexes; dropping an index first is refused
    # by MariaDB while a foreign key still needs it.
    for table in (
        "activity",
        "setting",
        "order_line",
        "sales_order",
        "stock",
        "product",
        "warehouse",
    ):
        op.drop_table(table)
