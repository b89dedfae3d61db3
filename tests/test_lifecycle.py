"""The order lifecycle (DESIGN.md §4) with the release setting off, on, and overridden.

Every step is checked against the exact numbers of the order line, the stock
row and the plugin's release log, and the §6 invariants are checked after
every step.  With the setting off, the plugin must behave exactly like the
host without it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from tests import invariants
from tests.conftest import Run, dump
from tests.helpers import (
    AUDIT,
    RELEASE,
    SETTING,
    as_json,
    assert_one_line_error,
    levels,
    line_of,
    log_details,
    log_rows,
    order_json,
    stock_json,
    stock_of,
)

Act = Callable[..., Any]


@dataclass(frozen=True)
class Mode:
    """How the setting is stored, and whether it is then on for MAIN and for EAST."""

    stored: tuple[tuple[str, str | None], ...]  # (value, warehouse or None for global)
    main_on: bool
    east_on: bool


MODES = [
    pytest.param(Mode((), False, False), id="off-by-default"),
    pytest.param(Mode((("false", None),), False, False), id="off-global"),
    pytest.param(Mode((("true", None),), True, True), id="on-global"),
    pytest.param(
        Mode((("false", None), ("true", "MAIN")), True, False),
        id="off-global-on-for-MAIN",
    ),
    pytest.param(
        Mode((("true", None), ("false", "MAIN")), False, True),
        id="on-global-off-for-MAIN",
    ),
]


@pytest.fixture(params=MODES)
def mode(request: pytest.FixtureRequest) -> Mode:
    return request.param


@pytest.fixture
def act(wms: Run, check: Callable[[], None]) -> Act:
    """Run one ``wms`` step and check the invariants right after it."""

    def run(*args: str, ok: bool = True) -> Any:
        result = wms(*args, ok=ok)
        check()
        return result

    return run


@pytest.fixture
def plant(wms: Run, act: Act, mode: Mode) -> Mode:
    """Warehouses MAIN and EAST, products A and B, the setting stored as ``mode`` says."""
    act("warehouse", "add", "MAIN")
    act("warehouse", "add", "EAST")
    act("product", "add", "A")
    act("product", "add", "B")
    for value, warehouse in mode.stored:
        scope = ("--warehouse", warehouse) if warehouse else ()
        act("settings", "set", SETTING, value, *scope)
    return mode


def receive(act: Act, qty: int, sku: str = "A", warehouse: str = "MAIN") -> None:
    act("stock", "receive", "--warehouse", warehouse, "--sku", sku, "--qty", str(qty))


# --- place --------------------------------------------------------------------


def test_place_commits_full_quantity_even_without_stock(
    wms: Run, act: Act, plant: Mode, db_url: str
) -> None:
    receive(act, 5)

    act("order", "place", "O1", "--warehouse", "MAIN", "--line", "A=8")

    assert order_json(wms, "O1")["status"] == "placed"
    assert line_of(wms, "O1", "A") == {
        "sku": "A",
        "ordered": 8,
        "shipped": 0,
        "committed": 8,
        "picked": 0,
        "outstanding": 8,
    }
    assert stock_of(wms, "A") == levels(on_hand=5, committed=8)
    assert stock_of(wms, "A") == {
        "on_hand": 5,
        "committed": 8,
        "available": -3,
        "backordered": 3,
    }
    assert log_rows(db_url) == []


# --- pick ---------------------------------------------------------------------


def test_pick_found_partially_keeps_commitment(
    wms: Run, act: Act, plant: Mode, db_url: str
) -> None:
    receive(act, 5)
    act("order", "place", "O1", "--warehouse", "MAIN", "--line", "A=8")

    act("order", "pick", "O1", "--line", "A=5")

    assert order_json(wms, "O1")["status"] == "picked"
    line = line_of(wms, "O1", "A")
    assert (line["committed"], line["picked"], line["shipped"]) == (8, 5, 0)
    assert stock_of(wms, "A") == levels(on_hand=5, committed=8)
    assert log_rows(db_url) == []


def test_pick_found_fully(wms: Run, act: Act, plant: Mode, db_url: str) -> None:
    receive(act, 10)
    act("order", "place", "O1", "--warehouse", "MAIN", "--line", "A=8")

    act("order", "pick", "O1", "--line", "A=8")

    assert order_json(wms, "O1")["status"] == "picked"
    line = line_of(wms, "O1", "A")
    assert (line["committed"], line["picked"], line["shipped"]) == (8, 8, 0)
    assert stock_of(wms, "A") == levels(on_hand=10, committed=8)
    assert log_rows(db_url) == []


def test_pick_found_nothing_backorders(
    wms: Run, act: Act, plant: Mode, db_url: str
) -> None:
    receive(act, 2)
    act("order", "place", "O1", "--warehouse", "MAIN", "--line", "A=8")

    act("order", "pick", "O1", "--line", "A=0")

    assert order_json(wms, "O1")["status"] == "backordered"
    line = line_of(wms, "O1", "A")
    if plant.main_on:
        assert (line["committed"], line["shipped"], line["outstanding"]) == (0, 0, 8)
        assert stock_of(wms, "A") == {
            "on_hand": 2,
            "committed": 0,
            "available": 2,
            "backordered": 0,
        }
        assert log_rows(db_url) == [("picking_backorder", "MAIN", "O1", "A", 8)]
    else:
        assert (line["committed"], line["shipped"], line["outstanding"]) == (8, 0, 8)
        assert stock_of(wms, "A") == {
            "on_hand": 2,
            "committed": 8,
            "available": -6,
            "backordered": 6,
        }
        assert log_rows(db_url) == []


def test_pick_found_nothing_on_any_line_releases_every_line(
    wms: Run, act: Act, plant: Mode, db_url: str
) -> None:
    act("order", "place", "O1", "--warehouse", "MAIN", "--line", "A=3", "--line", "B=4")

    act("order", "pick", "O1")  # no --line: every line found 0

    assert order_json(wms, "O1")["status"] == "backordered"
    if plant.main_on:
        assert [line["committed"] for line in order_json(wms, "O1")["lines"]] == [0, 0]
        assert stock_of(wms, "A") == levels(on_hand=0, committed=0)
        assert stock_of(wms, "B") == levels(on_hand=0, committed=0)
        assert log_rows(db_url) == [
            ("picking_backorder", "MAIN", "O1", "A", 3),
            ("picking_backorder", "MAIN", "O1", "B", 4),
        ]
    else:
        assert [line["committed"] for line in order_json(wms, "O1")["lines"]] == [3, 4]
        assert stock_of(wms, "A") == levels(on_hand=0, committed=3)
        assert stock_of(wms, "B") == levels(on_hand=0, committed=4)
        assert log_rows(db_url) == []


def test_pick_with_one_line_found_is_not_a_backorder(
    wms: Run, act: Act, plant: Mode, db_url: str
) -> None:
    receive(act, 3)
    act("order", "place", "O1", "--warehouse", "MAIN", "--line", "A=3", "--line", "B=4")

    act("order", "pick", "O1", "--line", "A=3", "--line", "B=0")

    assert order_json(wms, "O1")["status"] == "picked"
    assert [line["committed"] for line in order_json(wms, "O1")["lines"]] == [3, 4]
    assert stock_of(wms, "B") == {
        "on_hand": 0,
        "committed": 4,
        "available": -4,
        "backordered": 4,
    }
    assert log_rows(db_url) == []


# --- QC -----------------------------------------------------------------------


def test_qc_full_ships_the_order(wms: Run, act: Act, plant: Mode, db_url: str) -> None:
    receive(act, 10)
    act("order", "place", "O1", "--warehouse", "MAIN", "--line", "A=8")
    act("order", "pick", "O1", "--line", "A=8")

    act("order", "qc", "O1", "--line", "A=8")

    assert order_json(wms, "O1")["status"] == "shipped"
    line = line_of(wms, "O1", "A")
    assert (
        line["shipped"],
        line["committed"],
        line["picked"],
        line["outstanding"],
    ) == (8, 0, 0, 0)
    assert stock_of(wms, "A") == {
        "on_hand": 2,
        "committed": 0,
        "available": 2,
        "backordered": 0,
    }
    assert log_rows(db_url) == []


def test_qc_partial_confirmed(wms: Run, act: Act, plant: Mode, db_url: str) -> None:
    receive(act, 5)
    act("order", "place", "O1", "--warehouse", "MAIN", "--line", "A=8")
    act("order", "pick", "O1", "--line", "A=5")

    act("order", "qc", "O1", "--line", "A=5", "--confirm-partial")

    assert order_json(wms, "O1")["status"] == "partially_shipped"
    line = line_of(wms, "O1", "A")
    assert (line["shipped"], line["outstanding"], line["picked"]) == (5, 3, 0)
    if plant.main_on:
        assert line["committed"] == 0
        assert stock_of(wms, "A") == {
            "on_hand": 0,
            "committed": 0,
            "available": 0,
            "backordered": 0,
        }
        assert log_rows(db_url) == [("qc_partial", "MAIN", "O1", "A", 3)]
    else:
        assert line["committed"] == 3
        assert stock_of(wms, "A") == {
            "on_hand": 0,
            "committed": 3,
            "available": -3,
            "backordered": 3,
        }
        assert log_rows(db_url) == []


def test_qc_partial_releases_only_lines_with_outstanding_units(
    wms: Run, act: Act, plant: Mode, db_url: str
) -> None:
    receive(act, 4, "A")
    receive(act, 2, "B")
    act("order", "place", "O1", "--warehouse", "MAIN", "--line", "A=4", "--line", "B=6")
    act("order", "pick", "O1", "--line", "A=4", "--line", "B=2")

    act("order", "qc", "O1", "--line", "A=4", "--line", "B=2", "--confirm-partial")

    lines = {line["sku"]: line for line in order_json(wms, "O1")["lines"]}
    assert (lines["A"]["shipped"], lines["A"]["committed"]) == (4, 0)
    assert lines["B"]["shipped"] == 2
    assert stock_of(wms, "A") == levels(on_hand=0, committed=0)
    if plant.main_on:
        assert lines["B"]["committed"] == 0
        assert stock_of(wms, "B") == levels(on_hand=0, committed=0)
        assert log_rows(db_url) == [("qc_partial", "MAIN", "O1", "B", 4)]
    else:
        assert lines["B"]["committed"] == 4
        assert stock_of(wms, "B") == levels(on_hand=0, committed=4)
        assert log_rows(db_url) == []


def test_qc_partial_without_confirmation_is_refused(
    wms: Run, act: Act, plant: Mode, db_url: str, snapshot: Callable[[], Any]
) -> None:
    receive(act, 5)
    act("order", "place", "O1", "--warehouse", "MAIN", "--line", "A=8")
    act("order", "pick", "O1", "--line", "A=5")
    before = snapshot()

    result = act("order", "qc", "O1", "--line", "A=5", ok=False)

    assert_one_line_error(result, 2)
    assert "--confirm-partial" in result.stderr
    assert snapshot() == before
    assert order_json(wms, "O1")["status"] == "picked"
    assert stock_of(wms, "A") == levels(on_hand=5, committed=8)
    assert log_rows(db_url) == []


# --- receive ------------------------------------------------------------------


def test_receive_only_raises_on_hand(
    wms: Run, act: Act, plant: Mode, db_url: str
) -> None:
    receive(act, 5)
    act("order", "place", "O1", "--warehouse", "MAIN", "--line", "A=8")
    act("order", "pick", "O1", "--line", "A=5")
    act("order", "qc", "O1", "--line", "A=5", "--confirm-partial")
    line_before = line_of(wms, "O1", "A")
    log_before = log_rows(db_url)

    receive(act, 4)

    assert line_of(wms, "O1", "A") == line_before
    assert order_json(wms, "O1")["status"] == "partially_shipped"
    assert log_rows(db_url) == log_before
    if plant.main_on:
        assert stock_of(wms, "A") == {
            "on_hand": 4,
            "committed": 0,
            "available": 4,
            "backordered": 0,
        }
    else:
        assert stock_of(wms, "A") == {
            "on_hand": 4,
            "committed": 3,
            "available": 1,
            "backordered": 0,
        }


# --- cancel -------------------------------------------------------------------


def test_cancel_placed_order_releases_its_commitment(
    wms: Run, act: Act, plant: Mode, db_url: str
) -> None:
    receive(act, 5)
    act("order", "place", "O1", "--warehouse", "MAIN", "--line", "A=8")

    act("order", "cancel", "O1")

    assert order_json(wms, "O1")["status"] == "cancelled"
    assert line_of(wms, "O1", "A")["committed"] == 0
    assert stock_of(wms, "A") == {
        "on_hand": 5,
        "committed": 0,
        "available": 5,
        "backordered": 0,
    }
    assert log_rows(db_url) == []


def test_cancel_backordered_order(wms: Run, act: Act, plant: Mode, db_url: str) -> None:
    receive(act, 2)
    act("order", "place", "O1", "--warehouse", "MAIN", "--line", "A=8")
    act("order", "pick", "O1", "--line", "A=0")

    act("order", "cancel", "O1")

    assert order_json(wms, "O1")["status"] == "cancelled"
    assert line_of(wms, "O1", "A")["committed"] == 0
    assert stock_of(wms, "A") == levels(on_hand=2, committed=0)
    expected_log = (
        [("picking_backorder", "MAIN", "O1", "A", 8)] if plant.main_on else []
    )
    assert log_rows(db_url) == expected_log


def test_cancel_partially_shipped_order(
    wms: Run, act: Act, plant: Mode, db_url: str
) -> None:
    receive(act, 5)
    act("order", "place", "O1", "--warehouse", "MAIN", "--line", "A=8")
    act("order", "pick", "O1", "--line", "A=5")
    act("order", "qc", "O1", "--line", "A=5", "--confirm-partial")

    act("order", "cancel", "O1")

    line = line_of(wms, "O1", "A")
    assert order_json(wms, "O1")["status"] == "cancelled"
    assert (line["shipped"], line["committed"]) == (5, 0)
    assert stock_of(wms, "A") == levels(on_hand=0, committed=0)
    expected_log = [("qc_partial", "MAIN", "O1", "A", 3)] if plant.main_on else []
    assert log_rows(db_url) == expected_log


# --- re-pick ------------------------------------------------------------------


def test_repick_backordered_order_then_ship(
    wms: Run, act: Act, plant: Mode, db_url: str
) -> None:
    receive(act, 2)
    act("order", "place", "O1", "--warehouse", "MAIN", "--line", "A=8")
    act("order", "pick", "O1", "--line", "A=0")
    receive(act, 6)

    act("order", "pick", "O1", "--line", "A=8")

    assert order_json(wms, "O1")["status"] == "picked"
    line = line_of(wms, "O1", "A")
    assert (line["committed"], line["picked"], line["shipped"]) == (8, 8, 0)
    assert stock_of(wms, "A") == {
        "on_hand": 8,
        "committed": 8,
        "available": 0,
        "backordered": 0,
    }

    act("order", "qc", "O1", "--line", "A=8")

    assert order_json(wms, "O1")["status"] == "shipped"
    assert stock_of(wms, "A") == levels(on_hand=0, committed=0)
    expected_log = (
        [("picking_backorder", "MAIN", "O1", "A", 8)] if plant.main_on else []
    )
    assert log_rows(db_url) == expected_log


def test_repick_backordered_order_finding_nothing_again(
    wms: Run, act: Act, plant: Mode, db_url: str
) -> None:
    act("order", "place", "O1", "--warehouse", "MAIN", "--line", "A=8")
    act("order", "pick", "O1", "--line", "A=0")

    act("order", "pick", "O1", "--line", "A=0")

    assert order_json(wms, "O1")["status"] == "backordered"
    if plant.main_on:
        assert line_of(wms, "O1", "A")["committed"] == 0
        assert stock_of(wms, "A") == levels(on_hand=0, committed=0)
        assert log_rows(db_url) == [("picking_backorder", "MAIN", "O1", "A", 8)]
    else:
        assert line_of(wms, "O1", "A")["committed"] == 8
        assert stock_of(wms, "A") == levels(on_hand=0, committed=8)
        assert log_rows(db_url) == []


def test_repick_partially_shipped_order_in_full(
    wms: Run, act: Act, plant: Mode, db_url: str
) -> None:
    receive(act, 5)
    act("order", "place", "O1", "--warehouse", "MAIN", "--line", "A=8")
    act("order", "pick", "O1", "--line", "A=5")
    act("order", "qc", "O1", "--line", "A=5", "--confirm-partial")
    receive(act, 3)

    act("order", "pick", "O1", "--line", "A=3")

    assert order_json(wms, "O1")["status"] == "picked"
    line = line_of(wms, "O1", "A")
    assert (line["committed"], line["picked"], line["shipped"]) == (3, 3, 5)
    assert stock_of(wms, "A") == {
        "on_hand": 3,
        "committed": 3,
        "available": 0,
        "backordered": 0,
    }

    act("order", "qc", "O1", "--line", "A=3")

    line = line_of(wms, "O1", "A")
    assert order_json(wms, "O1")["status"] == "shipped"
    assert (line["shipped"], line["committed"], line["outstanding"]) == (8, 0, 0)
    assert stock_of(wms, "A") == levels(on_hand=0, committed=0)
    expected_log = [("qc_partial", "MAIN", "O1", "A", 3)] if plant.main_on else []
    assert log_rows(db_url) == expected_log


def test_repick_partially_shipped_order_partially_again(
    wms: Run, act: Act, plant: Mode, db_url: str
) -> None:
    receive(act, 5)
    act("order", "place", "O1", "--warehouse", "MAIN", "--line", "A=8")
    act("order", "pick", "O1", "--line", "A=5")
    act("order", "qc", "O1", "--line", "A=5", "--confirm-partial")
    receive(act, 2)

    act("order", "pick", "O1", "--line", "A=2")

    line = line_of(wms, "O1", "A")
    if plant.main_on:
        assert (line["committed"], line["picked"]) == (2, 2)
        assert stock_of(wms, "A") == {
            "on_hand": 2,
            "committed": 2,
            "available": 0,
            "backordered": 0,
        }
    else:
        assert (line["committed"], line["picked"]) == (3, 2)
        assert stock_of(wms, "A") == {
            "on_hand": 2,
            "committed": 3,
            "available": -1,
            "backordered": 1,
        }

    act("order", "qc", "O1", "--line", "A=2", "--confirm-partial")

    line = line_of(wms, "O1", "A")
    assert order_json(wms, "O1")["status"] == "partially_shipped"
    assert (line["shipped"], line["outstanding"]) == (7, 1)
    if plant.main_on:
        assert line["committed"] == 0
        assert stock_of(wms, "A") == levels(on_hand=0, committed=0)
        # the second partial had nothing left to release: no zero-unit row
        assert log_rows(db_url) == [("qc_partial", "MAIN", "O1", "A", 3)]
    else:
        assert line["committed"] == 1
        assert stock_of(wms, "A") == {
            "on_hand": 0,
            "committed": 1,
            "available": -1,
            "backordered": 1,
        }
        assert log_rows(db_url) == []


# --- the per-warehouse override reaches only its warehouse --------------------


def test_setting_applies_per_warehouse(
    wms: Run, act: Act, plant: Mode, db_url: str
) -> None:
    for warehouse in ("MAIN", "EAST"):
        receive(act, 5, warehouse=warehouse)
        number = f"{warehouse}-1"
        act("order", "place", number, "--warehouse", warehouse, "--line", "A=8")
        act("order", "pick", number, "--line", "A=5")

        act("order", "qc", number, "--line", "A=5", "--confirm-partial")

    main_committed = 0 if plant.main_on else 3
    east_committed = 0 if plant.east_on else 3
    assert stock_of(wms, "A", "MAIN") == levels(on_hand=0, committed=main_committed)
    assert stock_of(wms, "A", "EAST") == levels(on_hand=0, committed=east_committed)
    assert line_of(wms, "MAIN-1", "A")["committed"] == main_committed
    assert line_of(wms, "EAST-1", "A")["committed"] == east_committed
    expected = [
        ("qc_partial", warehouse, f"{warehouse}-1", "A", 3)
        for warehouse, on in (("MAIN", plant.main_on), ("EAST", plant.east_on))
        if on
    ]
    assert log_rows(db_url) == expected


def test_effective_setting_per_warehouse(wms: Run, plant: Mode) -> None:
    main = wms("settings", "get", SETTING, "--warehouse", "MAIN").stdout.strip()
    east = wms("settings", "get", SETTING, "--warehouse", "EAST").stdout.strip()

    assert (main, east) == (
        "true" if plant.main_on else "false",
        "true" if plant.east_on else "false",
    )


# --- setting off: exactly the host without the plugin -------------------------

OFF_MODES = [
    pytest.param((), id="off-by-default"),
    pytest.param((("false", None),), id="off-global"),
    pytest.param((("true", None), ("false", "MAIN")), id="on-global-off-for-MAIN"),
]

SCENARIOS = {
    "partial-ship-then-repick": [
        ("stock", "receive", "--warehouse", "MAIN", "--sku", "A", "--qty", "5"),
        (
            "order",
            "place",
            "O1",
            "--warehouse",
            "MAIN",
            "--line",
            "A=8",
            "--line",
            "B=2",
        ),
        ("order", "pick", "O1", "--line", "A=5"),
        ("order", "qc", "O1", "--line", "A=5", "--confirm-partial"),
        ("stock", "receive", "--warehouse", "MAIN", "--sku", "A", "--qty", "2"),
        ("stock", "receive", "--warehouse", "MAIN", "--sku", "B", "--qty", "2"),
        ("order", "pick", "O1", "--line", "A=2", "--line", "B=2"),
        ("order", "qc", "O1", "--line", "A=2", "--line", "B=2", "--confirm-partial"),
        ("order", "cancel", "O1"),
    ],
    "backorder-then-repick-and-ship": [
        ("stock", "receive", "--warehouse", "MAIN", "--sku", "A", "--qty", "1"),
        ("order", "place", "O1", "--warehouse", "MAIN", "--line", "A=4"),
        ("order", "place", "O2", "--warehouse", "MAIN", "--line", "A=3"),
        ("order", "pick", "O1", "--line", "A=0"),
        ("order", "pick", "O2", "--line", "A=1"),
        ("stock", "receive", "--warehouse", "MAIN", "--sku", "A", "--qty", "6"),
        ("order", "pick", "O1", "--line", "A=4"),
        ("order", "qc", "O1", "--line", "A=4"),
        ("order", "pick", "O2", "--line", "A=3"),
        ("order", "qc", "O2", "--line", "A=3"),
    ],
    "full-ship-and-cancel-backorder": [
        ("stock", "receive", "--warehouse", "MAIN", "--sku", "B", "--qty", "9"),
        ("order", "place", "O1", "--warehouse", "MAIN", "--line", "B=9"),
        ("order", "pick", "O1", "--line", "B=9"),
        ("order", "qc", "O1", "--line", "B=9"),
        (
            "order",
            "place",
            "O2",
            "--warehouse",
            "MAIN",
            "--line",
            "A=5",
            "--line",
            "B=1",
        ),
        ("order", "pick", "O2"),
        ("order", "pick", "O2"),
        ("order", "cancel", "O2"),
    ],
}


@pytest.mark.parametrize("stored", OFF_MODES)
@pytest.mark.parametrize("steps", list(SCENARIOS.values()), ids=list(SCENARIOS))
def test_setting_off_matches_host_without_plugin(
    host_only: Run,
    host_only_url: str,
    wms: Run,
    db_url: str,
    check: Callable[[], None],
    stored: tuple[tuple[str, str | None], ...],
    steps: list[tuple[str, ...]],
) -> None:
    plugin, plugin_url = wms, db_url
    for run in (host_only, plugin):
        run("warehouse", "add", "MAIN")
        run("product", "add", "A")
        run("product", "add", "B")
    for value, warehouse in stored:
        plugin(
            "settings",
            "set",
            SETTING,
            value,
            *(("--warehouse", warehouse) if warehouse else ()),
        )

    placed: list[str] = []
    for step in steps:
        host_result = host_only(*step)
        plugin_result = plugin(*step)
        check()
        invariants.check(host_only_url)
        if step[:2] == ("order", "place"):
            placed.append(step[2])

        assert plugin_result.stdout == host_result.stdout, step
        assert stock_json(plugin) == stock_json(host_only), step
        for number in placed:
            assert order_json(plugin, number) == order_json(host_only, number), (
                step,
                number,
            )
    assert log_rows(plugin_url) == []


# --- the host on its own ------------------------------------------------------


def test_host_alone_has_no_plugin_commands(host_only: Run, wms: Run) -> None:
    host_help = host_only("--help").stdout
    plugin_help = wms("--help").stdout

    assert "inventory:" not in host_help
    assert AUDIT in plugin_help and RELEASE in plugin_help
    for command in ("order", "stock", "settings", "warehouse", "product"):
        assert command in host_help


@pytest.mark.parametrize("command", [AUDIT, RELEASE])
def test_host_alone_refuses_plugin_commands(host_only: Run, command: str) -> None:
    result = host_only(command, ok=False)

    assert_one_line_error(result, 2)
    assert "No such command" in result.stderr


def test_host_alone_lists_no_settings(host_only: Run) -> None:
    assert host_only("settings", "list", "--format", "json").stdout.strip() == "[]"
    assert host_only("settings", "list").stdout.strip() == (
        "no settings declared (no plugin installed)"
    )


def test_plugin_lists_its_setting(wms: Run) -> None:
    wms("warehouse", "add", "MAIN")
    wms("settings", "set", SETTING, "true", "--warehouse", "MAIN")

    rows = as_json(wms("settings", "list", "--format", "json"))

    assert rows == [
        {
            "key": SETTING,
            "label": "Release commitments for backordered items",
            "type": "bool",
            "default": False,
            "global": False,
            "overrides": {"MAIN": True},
        }
    ]


def test_host_alone_refuses_the_plugin_setting(
    host_only: Run, snapshot: Callable[[], Any]
) -> None:
    host_only("warehouse", "add", "MAIN")
    before = snapshot()

    result = host_only("settings", "set", SETTING, "true", ok=False)

    assert_one_line_error(result, 2)
    assert "unknown setting" in result.stderr
    assert snapshot() == before


def test_host_alone_runs_the_lifecycle(host_only: Run, host_only_url: str) -> None:
    host_only("warehouse", "add", "MAIN")
    host_only("product", "add", "A")
    host_only("stock", "receive", "--warehouse", "MAIN", "--sku", "A", "--qty", "5")
    host_only("order", "place", "O1", "--warehouse", "MAIN", "--line", "A=8")
    host_only("order", "pick", "O1", "--line", "A=5")

    host_only("order", "qc", "O1", "--line", "A=5", "--confirm-partial")

    invariants.check(host_only_url)
    assert order_json(host_only, "O1")["status"] == "partially_shipped"
    assert line_of(host_only, "O1", "A")["committed"] == 3
    assert stock_of(host_only, "A") == {
        "on_hand": 0,
        "committed": 3,
        "available": -3,
        "backordered": 3,
    }


def test_hook_log_row_records_who_what_and_where(wms: Run, db_url: str) -> None:
    wms("warehouse", "add", "MAIN")
    wms("product", "add", "A")
    wms("settings", "set", SETTING, "true")
    wms("order", "place", "O1", "--warehouse", "MAIN", "--line", "A=8")

    wms("order", "pick", "O1", "--line", "A=0")

    ids = dump(db_url)
    (warehouse_id,) = [r[0] for r in ids["warehouse"]]
    (order_id,) = [r[0] for r in ids["sales_order"]]
    (line_id,) = [r[0] for r in ids["order_line"]]
    (row,) = log_details(db_url)
    assert row["released_at"] is not None
    assert row["run_id"]
    assert {
        k: v for k, v in row.items() if k not in ("id", "released_at", "run_id")
    } == {
        "warehouse_id": warehouse_id,
        "warehouse_code": "MAIN",
        "order_id": order_id,
        "order_number": "O1",
        "line_id": line_id,
        "sku": "A",
        "units": 8,
        "trigger": "picking_backorder",
        "actor": "tester",
        "reverts": None,
    }
