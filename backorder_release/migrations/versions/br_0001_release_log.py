"""backorder-release activity log.

Revision ID: br_0001
Revises:
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "br_0001"
down_revision = None
branch_labels = ("backorder_release",)
depends_on = "wms_0001"


def upgrade() -> None:
    op.create_table(
        "backorder_release_log",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("released_at", sa.DateTime, nullable=False),
        sa.Column("warehouse_id", sa.Integer, nullable=False),
        sa.Column("warehouse_code", sa.String(64), nullable=False),
        sa.Column("order_id", sa.Integer, nullable=False),
        sa.Column("order_number", sa.String(64), nullable=False),
        sa.Column("line_id", sa.Integer, nullable=False),
        sa.Column("sku", sa.String(64), nullable=False),
        sa.Column("units", sa.Integer, nullable=False),
        sa.Column("trigger", sa.String(32), nullable=False),
        sa.Column("run_id", sa.String(32), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_backorder_release_log"),
    )
    for column in ("warehouse_id", "order_id", "line_id", "run_id"):
        op.create_index(
            f"ix_backorder_release_log_{column}", "backorder_release_log", [column]
        )


def downgrade() -> None:
    for column in ("warehouse_id", "order_id", "line_id", "run_id"):
        op.drop_index(
            f"ix_backorder_release_log_{column}", table_name="backorder_release_log"
        )
    op.drop_table("backorder_release_log")
