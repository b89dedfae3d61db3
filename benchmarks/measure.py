"""Measure one thing in a process of its own: time, peak RSS and SQL statements.

    python benchmarks/measure.py cli URL -- inventory:audit-backorder-commitments
    python benchmarks/measure.py baseline-audit URL
    python benchmarks/measure.py baseline-apply URL
    python benchmarks/measure.py hooks URL --events 200

Prints one JSON object.  Each measurement runs in a fresh process, so peak
RSS is that command's own.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import statistics
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine, event, text
from wms import catalog, orders
from wms.cli import build_cli
from wms.db import Database
from wms.plugins import Plugins, make_plugin_manager
from wms.settings import store

RELEASABLE = """
    o.status IN ('backordered', 'partially_shipped')
    AND l.ordered > l.shipped AND l.committed > 0
"""

BASELINE_AUDIT = f"""
    SELECT w.code, p.sku, s.on_hand, s.committed, SUM(l.committed), COUNT(DISTINCT o.id)
    FROM order_line l
    JOIN sales_order o ON o.id = l.order_id
    JOIN stock s ON s.warehouse_id = o.warehouse_id AND s.product_id = l.product_id
    JOIN warehouse w ON w.id = s.warehouse_id
    JOIN product p ON p.id = s.product_id
    WHERE {RELEASABLE}
    GROUP BY w.code, p.sku, s.on_hand, s.committed
    ORDER BY w.code, p.sku
"""

BASELINE_APPLY = [
    f"""
    INSERT INTO backorder_release_log (released_at, warehouse_id, warehouse_code,
        order_id, order_number, line_id, sku, units, "trigger", run_id, actor)
    SELECT CURRENT_TIMESTAMP, o.warehouse_id, w.code, o.id, o.number, l.id, p.sku,
        l.committed, 'backfill', 'baseline', 'bench'
    FROM order_line l
    JOIN sales_order o ON o.id = l.order_id
    JOIN warehouse w ON w.id = o.warehouse_id
    JOIN product p ON p.id = l.product_id
    WHERE {RELEASABLE}
    """,
    f"""
    UPDATE stock SET committed = stock.committed - released.units
    FROM (
        SELECT o.warehouse_id, l.product_id, SUM(l.committed) AS units
        FROM order_line l JOIN sales_order o ON o.id = l.order_id
        WHERE {RELEASABLE}
        GROUP BY o.warehouse_id, l.product_id
    ) AS released
    WHERE stock.warehouse_id = released.warehouse_id
      AND stock.product_id = released.product_id
    """,
    f"""
    UPDATE order_line SET committed = 0 WHERE id IN (
        SELECT l.id FROM order_line l JOIN sales_order o ON o.id = l.order_id
        WHERE {RELEASABLE}
    )
    """,
]


class StatementCounter:
    def __init__(self) -> None:
        self.count = 0
        event.listen(Engine, "before_cursor_execute", self._count)

    def _count(self, *_: Any) -> None:
        self.count += 1


def timed(work: Callable[[], Any]) -> dict[str, Any]:
    counter = StatementCounter()
    started = time.perf_counter()
    work()
    seconds = time.perf_counter() - started
    return {
        "seconds": round(seconds, 4),
        "peak_rss_mb": round(
            resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1
        ),
        "statements": counter.count,
    }


def run_cli(url: str, args: list[str]) -> None:
    cli = build_cli()
    with open(os.devnull, "w") as devnull, contextlib.redirect_stdout(devnull):
        cli.main(["--database-url", url, *args], standalone_mode=False)


def baseline_audit(url: str) -> None:
    db = Database(url)
    with db.engine.connect() as conn:
        conn.execute(text(BASELINE_AUDIT)).all()


def baseline_apply(url: str) -> None:
    db = Database(url)
    with db.engine.begin() as conn:
        for statement in BASELINE_APPLY:
            conn.execute(text(statement))


def hook_overhead(url: str, events: int) -> dict[str, Any]:
    """Median time of a QC partial and of a picking backorder, setting on vs off."""
    db = Database(url)
    plugins = Plugins(make_plugin_manager())
    key = "inventory.release_backorder_commitments"
    spec = plugins.settings().spec(key)

    def prepare(session: Any) -> None:
        store(session, spec, "true", catalog.get_warehouse(session, "NORTH").id)
        store(session, spec, "false", catalog.get_warehouse(session, "SOUTH").id)
        product = catalog.get_product(session, "SKU-000001")
        for code in ("NORTH", "SOUTH"):
            warehouse = catalog.get_warehouse(session, code)
            for n in range(events):
                for kind in ("qc", "pick"):
                    orders.place_order(
                        session,
                        f"H-{code}-{kind}-{n}",
                        warehouse,
                        [(product, 3)],
                        actor="bench",
                    )
        db_stock = session.execute(
            text("UPDATE stock SET on_hand = on_hand + :n WHERE product_id = :p"),
            {"n": events * 2, "p": product.id},
        )
        del db_stock

    db.run(prepare)
    for code in ("NORTH", "SOUTH"):
        for n in range(events):
            db.run(
                lambda s, c=code, n=n: orders.pick_order(
                    s, plugins, f"H-{c}-qc-{n}", {"SKU-000001": 1}, actor="bench"
                )
            )

    samples: dict[str, list[float]] = {
        f"{k}_{s}": [] for k in ("qc", "pick") for s in ("on", "off")
    }
    for n in range(events):
        for code, setting in (("NORTH", "on"), ("SOUTH", "off")):
            samples[f"qc_{setting}"].append(
                _time(
                    db,
                    lambda s, code=code, n=n: orders.qc_order(
                        s,
                        plugins,
                        f"H-{code}-qc-{n}",
                        {"SKU-000001": 1},
                        confirm_partial=True,
                        actor="bench",
                    ),
                )
            )
            samples[f"pick_{setting}"].append(
                _time(
                    db,
                    lambda s, code=code, n=n: orders.pick_order(
                        s, plugins, f"H-{code}-pick-{n}", {}, actor="bench"
                    ),
                )
            )
    medians = {k: round(statistics.median(v) * 1000, 3) for k, v in samples.items()}
    return {
        "events": events,
        "median_ms": medians,
        "overhead_ms": {
            "qc_partial": round(medians["qc_on"] - medians["qc_off"], 3),
            "picking_backorder": round(medians["pick_on"] - medians["pick_off"], 3),
        },
    }


def _time(db: Database, work: Callable[[Any], Any]) -> float:
    started = time.perf_counter()
    db.run(work)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "what", choices=["cli", "baseline-audit", "baseline-apply", "hooks"]
    )
    parser.add_argument("url")
    parser.add_argument("--events", type=int, default=200)
    parser.add_argument("args", nargs="*")
    options = parser.parse_args()
    if options.what == "cli":
        result = timed(lambda: run_cli(options.url, options.args))
    elif options.what == "baseline-audit":
        result = timed(lambda: baseline_audit(options.url))
    elif options.what == "baseline-apply":
        result = timed(lambda: baseline_apply(options.url))
    else:
        result = hook_overhead(options.url, options.events)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
