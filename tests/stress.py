"""Worker processes for the concurrency test: random warehouse work on one database.

Every operation also writes what the host itself did to a line's commitment
into a test-owned ledger table, in the same transaction: +ordered at place,
+units re-committed at pick, -packed at QC, -remaining at cancel.  Whatever
else lowered a line's commitment must then be in the plugin's release log,
so at the end ``ledger - released == committed`` for every line.
"""

from __future__ import annotations

import contextlib
import io
import random
import time
from collections import Counter
from typing import Any

from sqlalchemy import Column, Integer, MetaData, Table, func, insert, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from wms import orders
from wms.cli import build_cli
from wms.db import Database, DatabaseUnavailable
from wms.errors import WmsError
from wms.models import Order, OrderLine, OrderStatus, Product, Stock, Warehouse
from wms.plugins import Plugins, make_plugin_manager
from wms.stock import receive

ledger_metadata = MetaData()
ledger = Table(
    "stress_ledger",
    ledger_metadata,
    Column("id", Integer, primary_key=True),
    Column("line_id", Integer, nullable=False),
    Column("delta", Integer, nullable=False),
)

WAREHOUSES = ("W1", "W2", "W3")
SKUS = tuple(f"S{n:02d}" for n in range(12))


def _pick_order(
    session: Session, rng: random.Random, statuses: tuple[str, ...]
) -> Order | None:
    """A random order in one of ``statuses`` (or None)."""
    top = session.scalar(select(func.max(Order.id))) or 0
    start = rng.randint(0, top)
    return session.scalars(
        select(Order)
        .where(Order.status.in_(statuses), Order.id >= start)
        .order_by(Order.id)
        .limit(1)
    ).first()


def _lock(session: Session, order: Order) -> dict[int, OrderLine]:
    """Take the host's own locks first, so 'before' values are exact."""
    locked, _ = orders._lock_order(session, order.number)
    return {line.id: line for line in locked.lines}


def _book(session: Session, deltas: dict[int, int]) -> None:
    rows = [{"line_id": line_id, "delta": d} for line_id, d in deltas.items() if d]
    if rows:
        session.execute(insert(ledger), rows)


def op_place(session: Session, plugins: Plugins, rng: random.Random, tag: str) -> None:
    warehouse = session.scalars(
        select(Warehouse).where(Warehouse.code == rng.choice(WAREHOUSES))
    ).one()
    skus = sorted(set(rng.choices(SKUS, k=rng.randint(1, 3))))
    products = session.scalars(
        select(Product).where(Product.sku.in_(skus)).order_by(Product.sku)
    ).all()
    order = orders.place_order(
        session,
        tag,
        warehouse,
        [(p, rng.randint(1, 6)) for p in products],
        actor="stress",
    )
    _book(session, {line.id: line.ordered for line in order.lines})


def op_pick(session: Session, plugins: Plugins, rng: random.Random, tag: str) -> None:
    order = _pick_order(session, rng, OrderStatus.PICKABLE)
    if order is None:
        return
    lines = _lock(session, order)
    on_hand = dict(
        session.execute(
            select(Stock.product_id, Stock.on_hand).where(
                Stock.warehouse_id == order.warehouse_id
            )
        ).all()
    )
    found = {}
    for line in lines.values():
        most = min(line.outstanding, on_hand.get(line.product_id, 0))
        found[line.product.sku] = rng.randint(0, most) if rng.random() < 0.7 else 0
    before = {line_id: line.committed for line_id, line in lines.items()}
    orders.pick_order(session, plugins, order.number, found, actor="stress")
    _book(
        session,
        {
            line_id: max(0, found[line.product.sku] - before[line_id])
            for line_id, line in lines.items()
        },
    )


def op_qc(session: Session, plugins: Plugins, rng: random.Random, tag: str) -> None:
    order = _pick_order(session, rng, (OrderStatus.PICKED,))
    if order is None:
        return
    lines = _lock(session, order)
    packed = {
        line.product.sku: rng.randint(0, line.picked)
        if rng.random() < 0.5
        else line.picked
        for line in lines.values()
    }
    if not any(packed.values()):
        return
    orders.qc_order(
        session, plugins, order.number, packed, confirm_partial=True, actor="stress"
    )
    _book(
        session, {line_id: -packed[line.product.sku] for line_id, line in lines.items()}
    )


def op_cancel(session: Session, plugins: Plugins, rng: random.Random, tag: str) -> None:
    order = _pick_order(session, rng, OrderStatus.OPEN)
    if order is None:
        return
    lines = _lock(session, order)
    before = {line_id: line.committed for line_id, line in lines.items()}
    orders.cancel_order(session, order.number, actor="stress")
    _book(session, {line_id: -units for line_id, units in before.items()})


def op_receive(
    session: Session, plugins: Plugins, rng: random.Random, tag: str
) -> None:
    warehouse = session.scalars(
        select(Warehouse).where(Warehouse.code == rng.choice(WAREHOUSES))
    ).one()
    product = session.scalars(
        select(Product).where(Product.sku == rng.choice(SKUS))
    ).one()
    receive(session, warehouse, product, rng.randint(1, 15))


OPERATIONS = {
    "place": (op_place, 30),
    "pick": (op_pick, 30),
    "qc": (op_qc, 25),
    "receive": (op_receive, 10),
    "cancel": (op_cancel, 5),
}


def lifecycle_worker(
    url: str, worker: int, seconds: float, seed: int
) -> dict[str, Any]:
    """Random lifecycle steps until the time is up; returns counts and failures."""
    db = Database(url)
    plugins = Plugins(make_plugin_manager())
    rng = random.Random(seed)
    names = list(OPERATIONS)
    weights = [OPERATIONS[n][1] for n in names]
    counts: Counter[str] = Counter()
    failures: list[str] = []
    deadline = time.monotonic() + seconds
    serial = 0
    while time.monotonic() < deadline:
        name = rng.choices(names, weights)[0]
        operation = OPERATIONS[name][0]
        serial += 1
        tag = f"P{worker}-{serial}"
        try:
            db.run(lambda s, op=operation, tag=tag: op(s, plugins, rng, tag))
            counts[name] += 1
        except WmsError:
            counts["refused"] += 1
        except (DatabaseUnavailable, DBAPIError) as exc:
            failures.append(f"{name}: {exc}")
    db.dispose()
    return {"counts": dict(counts), "failures": failures}


def apply_worker(url: str, seconds: float) -> dict[str, Any]:
    """Run the cleanup command with --apply again and again, as an operator would."""
    cli = build_cli(Plugins(make_plugin_manager()))
    args = [
        "--database-url",
        url,
        "--actor",
        "cleanup",
        "inventory:release-backorder-commitments",
        "--apply",
        "--batch-size",
        "5",
        "--format",
        "json",
    ]
    runs = 0
    failures: list[str] = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with contextlib.redirect_stdout(io.StringIO()):
                cli.main(args, standalone_mode=False)
            runs += 1
        except Exception as exc:  # every failure of the command is a finding
            failures.append(f"apply: {exc!r}")
    return {"counts": {"apply_runs": runs}, "failures": failures}
