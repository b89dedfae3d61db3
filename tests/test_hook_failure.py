"""A release that fails inside a hook never costs the host its event (DESIGN.md §5)."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from backorder_release.hooks import lifecycle
from tests.conftest import Run
from tests.helpers import (
    AUDIT,
    SETTING,
    as_json,
    line_of,
    log_rows,
    order_json,
    stock_of,
)


@pytest.fixture
def failing_release(monkeypatch: pytest.MonkeyPatch) -> None:
    """The plugin's release writes everything, then raises: a fault injected after the fact."""
    real = lifecycle.release_orders

    def release_then_fail(*args: Any, **kwargs: Any) -> Any:
        real(*args, **kwargs)
        raise RuntimeError("injected failure after the release was written")

    monkeypatch.setattr(lifecycle, "release_orders", release_then_fail)


@pytest.fixture
def warehouse(wms: Run) -> Run:
    wms("warehouse", "add", "MAIN")
    wms("product", "add", "A")
    wms("stock", "receive", "--warehouse", "MAIN", "--sku", "A", "--qty", "5")
    wms("settings", "set", SETTING, "true")
    wms("order", "place", "O1", "--warehouse", "MAIN", "--line", "A=8")
    return wms


def test_qc_partial_keeps_shipment_and_commitment_when_the_hook_fails(
    warehouse: Run,
    db_url: str,
    failing_release: None,
    caplog: pytest.LogCaptureFixture,
    check,
) -> None:
    warehouse("order", "pick", "O1", "--line", "A=5")

    with caplog.at_level(logging.WARNING, logger="wms.plugins"):
        warehouse("order", "qc", "O1", "--line", "A=5", "--confirm-partial")

    assert order_json(warehouse, "O1")["status"] == "partially_shipped"
    assert line_of(warehouse, "O1", "A")["shipped"] == 5
    assert line_of(warehouse, "O1", "A")["committed"] == 3
    assert stock_of(warehouse, "A") == {
        "on_hand": 0,
        "committed": 3,
        "available": -3,
        "backordered": 3,
    }
    assert log_rows(db_url) == []
    assert "plugin backorder_release failed in wms_qc_partial_confirmed" in caplog.text
    kinds = [
        row["kind"]
        for row in as_json(warehouse("activity", "--order", "O1", "--format", "json"))
    ]
    assert kinds[-2:] == ["order_partially_shipped", "plugin_failed"]
    audit = as_json(warehouse(AUDIT, "--format", "json"))
    assert [(r["sku"], r["releasable"]) for r in audit["rows"]] == [("A", 3)]


def test_picking_backorder_stands_when_the_hook_fails(
    warehouse: Run,
    db_url: str,
    failing_release: None,
    caplog: pytest.LogCaptureFixture,
    check,
) -> None:
    with caplog.at_level(logging.WARNING, logger="wms.plugins"):
        warehouse("order", "pick", "O1")

    assert order_json(warehouse, "O1")["status"] == "backordered"
    assert line_of(warehouse, "O1", "A")["committed"] == 8
    assert stock_of(warehouse, "A")["committed"] == 8
    assert log_rows(db_url) == []
    assert "plugin backorder_release failed in wms_order_backordered" in caplog.text
    audit = as_json(warehouse(AUDIT, "--format", "json"))
    assert [(r["sku"], r["releasable"]) for r in audit["rows"]] == [("A", 8)]
