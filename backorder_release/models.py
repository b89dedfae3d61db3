"""The plugin's activity log: one row per released line, in its own table.

Codes and numbers are copied in, so the log still reads right if a warehouse
or product is renamed later.  A revert writes rows of its own with negative
units, so a line's rows always sum to what is released of it now.
"""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import DateTime, Integer, MetaData, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from wms.models import NAMING_CONVENTION, utcnow


class Trigger(enum.StrEnum):
    """What made a release happen."""

    QC_PARTIAL = "qc_partial"
    PICKING_BACKORDER = "picking_backorder"
    BACKFILL = "backfill"
    REVERT = "revert"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class ReleaseLog(Base):
    __tablename__ = "backorder_release_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    released_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    warehouse_id: Mapped[int] = mapped_column(Integer, index=True)
    warehouse_code: Mapped[str] = mapped_column(String(64))
    order_id: Mapped[int] = mapped_column(Integer, index=True)
    order_number: Mapped[str] = mapped_column(String(64))
    line_id: Mapped[int] = mapped_column(Integer, index=True)
    sku: Mapped[str] = mapped_column(String(64))
    units: Mapped[int] = mapped_column(Integer)
    trigger: Mapped[str] = mapped_column(String(32))
    run_id: Mapped[str] = mapped_column(String(32), index=True)
    actor: Mapped[str] = mapped_column(String(200))
    reverts: Mapped[str | None] = mapped_column(String(32), index=True)
    """On a revert's rows (negative units): the run whose release they undid."""
