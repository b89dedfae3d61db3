"""Small readers shared by the CLI tests: JSON views and the plugin's log rows."""

from __future__ import annotations

import json
import os
from typing import Any

from click.testing import Result
from sqlalchemy import select

from backorder_release.models import ReleaseLog
from tests import databases
from tests.conftest import Run

SETTING = "inventory.release_backorder_commitments"
AUDIT = "inventory:audit-backorder-commitments"
RELEASE = "inventory:release-backorder-commitments"


def as_json(result: Result) -> Any:
    return json.loads(result.stdout)


def release_json(run: Run, *args: str) -> dict[str, Any]:
    """The release command's JSON report."""
    return as_json(run(RELEASE, "--format", "json", *args))


def stock_json(run: Run) -> list[dict[str, Any]]:
    """``wms stock show --format json``: every warehouse and SKU."""
    return as_json(run("stock", "show", "--format", "json"))


def stock_of(run: Run, sku: str, warehouse: str = "MAIN") -> dict[str, int]:
    """on_hand / committed / available / backordered of one warehouse and SKU."""
    rows = [
        r for r in stock_json(run) if r["warehouse"] == warehouse and r["sku"] == sku
    ]
    assert len(rows) == 1, f"expected one stock row for {warehouse}/{sku}, got {rows}"
    row = rows[0]
    return {k: row[k] for k in ("on_hand", "committed", "available", "backordered")}


def levels(on_hand: int, committed: int) -> dict[str, int]:
    """The stock numbers DESIGN.md §3 derives from on_hand and committed."""
    available = on_hand - committed
    return {
        "on_hand": on_hand,
        "committed": committed,
        "available": available,
        "backordered": max(0, -available),
    }


def order_json(run: Run, number: str) -> dict[str, Any]:
    return as_json(run("order", "show", number, "--format", "json"))


def line_of(run: Run, number: str, sku: str) -> dict[str, Any]:
    lines = [line for line in order_json(run, number)["lines"] if line["sku"] == sku]
    assert len(lines) == 1, f"expected one line of {sku} on {number}, got {lines}"
    return lines[0]


def log_rows(url: str) -> list[tuple[str, str, str, str, int]]:
    """The plugin's release log as (trigger, warehouse, order, sku, units), in id order."""
    with databases.connect(url) as conn:
        return [
            (row.trigger, row.warehouse_code, row.order_number, row.sku, row.units)
            for row in conn.execute(select(ReleaseLog).order_by(ReleaseLog.id))
        ]


def log_details(url: str) -> list[dict[str, Any]]:
    """Every column of the release log, in id order."""
    with databases.connect(url) as conn:
        return [
            dict(row._mapping)
            for row in conn.execute(select(ReleaseLog).order_by(ReleaseLog.id))
        ]


def assert_one_line_error(result: Result, exit_code: int = 2) -> None:
    """A clear one-line error on stderr, nothing on stdout, and the exit code."""
    assert result.exit_code == exit_code, (
        f"exit {result.exit_code}, stdout {result.stdout!r}, stderr {result.stderr!r}"
    )
    lines = result.stderr.splitlines()
    assert len(lines) == 1, f"expected one line on stderr, got {lines!r}"
    assert lines[0].startswith("Error:"), lines[0]
    assert result.stdout == "", f"unexpected stdout {result.stdout!r}"


def read_terminal(fd: int) -> str:
    """Everything written to a pseudo-terminal, once its other side is closed."""
    chunks = []
    while True:
        try:
            chunk = os.read(fd, 4096)
        except OSError:  # the terminal side is closed: everything has been read
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(fd)
    return b"".join(chunks).decode(errors="replace")
