"""The activity feed: what happened, to which order, and who did it."""

from __future__ import annotations

import getpass
import os

from sqlalchemy import insert
from sqlalchemy.orm import Session

from wms.errors import WmsError
from wms.models import Activity, utcnow


def default_actor() -> str:
    """The OS user running the command, used when no ``--actor`` is given."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return os.environ.get("USER", "unknown")


MAX_ACTOR = 200


def check_actor(actor: str) -> str:
    if not actor.strip() or len(actor) > MAX_ACTOR:
        raise WmsError(f"--actor must be 1-{MAX_ACTOR} characters")
    return actor


def record_many(
    session: Session, entries: list[dict[str, object]], *, actor: str
) -> None:
    """Insert many activity rows (kind, message, warehouse_id, order_id) at once."""
    if entries:
        now = utcnow()
        # Core, not the ORM's bulk insert: this runs inside lifecycle hooks,
        # where the ORM's per-call work cost more than the INSERT.
        session.connection().execute(
            insert(Activity.__table__),
            [{"at": now, "actor": actor, **entry} for entry in entries],
        )


def record(
    session: Session,
    kind: str,
    message: str,
    *,
    actor: str,
    warehouse_id: int | None = None,
    order_id: int | None = None,
) -> None:
    session.execute(
        insert(Activity).values(
            at=utcnow(),
            kind=kind,
            message=message,
            actor=actor,
            warehouse_id=warehouse_id,
            order_id=order_id,
        )
    )
