"""Regressions from an adversarial review: each test is one finding, fixed."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from sqlalchemy import func, select
from wms.models import Setting

from tests import databases
from tests.conftest import Run
from tests.helpers import AUDIT, SETTING, as_json, assert_one_line_error


def test_settings_list_with_a_global_value_and_an_override(wms: Run) -> None:
    wms("warehouse", "add", "AMS")
    wms("settings", "set", SETTING, "on")
    wms("settings", "set", SETTING, "off", "--warehouse", "AMS")

    rows = as_json(wms("settings", "list", "--format", "json"))

    assert rows[0]["default"] is False
    assert rows[0]["global"] is True
    assert rows[0]["overrides"] == {"AMS": False}


def test_a_global_setting_is_stored_once_however_often_it_is_set(
    wms: Run, db_url: str
) -> None:
    for value in ("on", "off", "on"):
        wms("settings", "set", SETTING, value)

    with databases.connect(db_url) as conn:
        count = conn.scalar(select(func.count()).select_from(Setting))
    assert count == 1
    assert wms("settings", "get", SETTING).stdout.strip() == "true"


def test_activity_limit_zero_shows_everything(wms: Run) -> None:
    for sku in ("A", "B", "C"):
        wms("product", "add", sku)
    wms("warehouse", "add", "W")
    wms("stock", "receive", "--warehouse", "W", "--sku", "A", "--qty", "1")

    rows = as_json(wms("activity", "--limit", "0", "--format", "json"))

    assert [r["kind"] for r in rows] == ["stock_received"]


def test_a_stray_quote_in_an_import_file_is_reported_not_swallowed(
    wms: Run, tmp_path: Path, snapshot
) -> None:
    directory = tmp_path / "quote"
    directory.mkdir()
    (directory / "products.csv").write_text('sku,name\nQ1,"Lamp\nQ2,Desk\nQ3,Chair\n')
    wms("warehouse", "add", "W")
    before = snapshot()

    result = wms("import", str(directory), ok=False)

    assert_one_line_error(result, 2)
    assert "products.csv line" in result.stderr
    assert snapshot() == before


@pytest.fixture
def backlog(wms: Run) -> Run:
    wms("warehouse", "add", "W")
    wms("product", "add", "=1+1")
    wms("order", "place", "O1", "--warehouse", "W", "--line", "=1+1=4")
    wms("order", "pick", "O1")
    return wms


def test_csv_refuses_a_fifo_and_leaves_it(backlog: Run, tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)

    result = backlog(AUDIT, "--csv", str(fifo), ok=False)

    assert_one_line_error(result, 2)
    assert stat.S_ISFIFO(fifo.lstat().st_mode)


def test_csv_through_a_symlink_writes_the_target(backlog: Run, tmp_path: Path) -> None:
    target = tmp_path / "target.csv"
    target.write_text("old\n")
    link = tmp_path / "link.csv"
    link.symlink_to(target)

    backlog(AUDIT, "--csv", str(link))

    assert link.is_symlink()
    assert target.read_text(encoding="utf-8").startswith("warehouse,sku,")
    assert "'=1+1" in target.read_text(encoding="utf-8")


def test_csv_keeps_the_permissions_of_an_existing_file(
    backlog: Run, tmp_path: Path
) -> None:
    private = tmp_path / "private.csv"
    private.write_text("")
    private.chmod(0o600)

    backlog(AUDIT, "--csv", str(private))

    assert stat.S_IMODE(private.stat().st_mode) == 0o600
