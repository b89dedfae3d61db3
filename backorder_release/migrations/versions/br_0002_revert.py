"""Reverts: a log row can name the run whose release it undid.

Revision ID: br_0002
Revises: br_0001
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "br_0002"
down_revision = "br_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "backorder_release_log", sa.Column("reverts", sa.String(32), nullable=True)
    )
    op.create_index(
        "ix_backorder_release_log_reverts", "backorder_release_log", ["reverts"]
    )


def downgrade() -> None:
    op.drop_index(
        "ix_backorder_release_log_reverts", table_name="backorder_release_log"
    )
    op.drop_column("backorder_release_log", "reverts")
