"""DESIGN.md §6 invariants, checked with plain SQL against any test database."""

from __future__ import annotations

from sqlalchemy import Connection, inspect, text

from tests import databases


def check(url: str) -> None:
    with databases.connect(url) as conn:
        _stock_equals_lines(conn)
        _lines_within_limits(conn)
        if "backorder_release_log" in inspect(conn).get_table_names():
            _no_line_released_twice_per_run(conn)


def _stock_equals_lines(conn: Connection) -> None:
    rows = conn.execute(
        text(
            """
            SELECT s.warehouse_id, s.product_id, s.committed,
                   COALESCE((SELECT SUM(l.committed) FROM order_line l
                             JOIN sales_order o ON o.id = l.order_id
                             WHERE o.warehouse_id = s.warehouse_id
                               AND l.product_id = s.product_id), 0) AS line_sum
            FROM stock s
            """
        )
    ).all()
    bad = [r for r in rows if r.committed != r.line_sum]
    assert not bad, f"stock.committed differs from its lines' sum: {bad}"
    negative = conn.execute(
        text("SELECT COUNT(*) FROM stock WHERE on_hand < 0")
    ).scalar()
    assert negative == 0, "on_hand went negative"


def _lines_within_limits(conn: Connection) -> None:
    bad = conn.execute(
        text(
            "SELECT id FROM order_line WHERE ordered <= 0 OR shipped < 0 "
            "OR committed < 0 OR shipped + committed > ordered"
        )
    ).all()
    assert not bad, f"order lines break their limits: {bad}"


def _no_line_released_twice_per_run(conn: Connection) -> None:
    twice = conn.execute(
        text(
            "SELECT run_id, line_id, COUNT(*) FROM backorder_release_log "
            "GROUP BY run_id, line_id HAVING COUNT(*) > 1"
        )
    ).all()
    assert not twice, f"lines released twice in one run: {twice}"
