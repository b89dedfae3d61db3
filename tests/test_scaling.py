"""What keeps the commands flat as data grows: statement counts and quiet pipes."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import Engine, event

from tests.conftest import Run
from tests.helpers import AUDIT, RELEASE, read_terminal

WMS = str(Path(sys.executable).with_name("wms"))


def write_backlog(directory: Path, products: int) -> None:
    """``products`` SKUs, each with one partially shipped and one backordered order."""
    directory.mkdir()
    skus = [f"P{n:04d}" for n in range(products)]
    (directory / "warehouses.csv").write_text("code\nW1\n")
    (directory / "products.csv").write_text("sku\n" + "".join(f"{s}\n" for s in skus))
    (directory / "stock.csv").write_text(
        "warehouse,sku,on_hand\n" + "".join(f"W1,{s},3\n" for s in skus)
    )
    orders = ["number,warehouse,status"]
    lines = ["order,sku,ordered,shipped,committed"]
    for n, sku in enumerate(skus):
        orders += [f"A{n},W1,partially_shipped", f"B{n},W1,backordered"]
        lines += [f"A{n},{sku},5,2,3", f"B{n},{sku},4,0,4"]
    (directory / "orders.csv").write_text("\n".join(orders) + "\n")
    (directory / "order_lines.csv").write_text("\n".join(lines) + "\n")


@contextmanager
def counting_statements() -> Iterator[list[str]]:
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        statements.append(statement)

    event.listen(Engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(Engine, "before_cursor_execute", count)


@pytest.mark.parametrize("command", [[AUDIT], [RELEASE]], ids=["audit", "dry-run"])
def test_statement_count_does_not_grow_with_products(
    wms: Run, tmp_path: Path, command: list[str], make_wms
) -> None:
    counts = []
    for products in (3, 120):
        run = make_wms(tmp_path / f"db-{products}")
        write_backlog(tmp_path / f"backlog-{products}", products)
        run("import", str(tmp_path / f"backlog-{products}"))
        run(*command, "--format", "json")  # schema checked, caches warm

        with counting_statements() as statements:
            run(*command, "--format", "json")
        counts.append(len(statements))

    assert counts[0] == counts[1], counts
    assert counts[0] <= 4, counts


def test_apply_shows_no_progress_when_stderr_is_not_a_terminal(
    wms: Run, tmp_path: Path
) -> None:
    write_backlog(tmp_path / "backlog", 30)
    wms("import", str(tmp_path / "backlog"))

    result = wms(RELEASE, "--apply", "--batch-size", "5")

    assert result.stderr == ""
    assert "released: 210 units on 60 lines of 60 orders" in result.stdout


def test_apply_shows_a_progress_bar_with_rate_on_a_terminal(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'wms.db'}"
    write_backlog(tmp_path / "backlog", 30)
    subprocess.run(
        [WMS, "--database-url", url, "import", str(tmp_path / "backlog")], check=True
    )
    controller, terminal = pty.openpty()

    process = subprocess.run(
        [WMS, "--database-url", url, RELEASE, "--apply", "--batch-size", "5"],
        stdout=subprocess.DEVNULL,
        stderr=terminal,
        env={**os.environ, "COLUMNS": "120"},
    )
    os.close(terminal)
    shown = read_terminal(controller)

    assert process.returncode == 0
    assert "releasing" in shown
    assert "60/60" in shown
    assert "orders/s" in shown
