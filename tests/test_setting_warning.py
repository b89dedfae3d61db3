"""Switching the setting on over an old backlog warns and points to the audit."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from wms.hookspecs import hookimpl
from wms.plugins import Plugins, make_plugin_manager
from wms.settings import SettingSpec

from tests.conftest import Run, make_runner
from tests.helpers import AUDIT, RELEASE, SETTING, as_json

STORED_GLOBALLY = f"{SETTING} = true globally\n"

EVERYWHERE = (
    "warning: 4 backordered lines of 3 orders in AMS, BER, CPH still hold 11 "
    "committed units; the setting only releases new backorders. Review them with "
    "'wms inventory:audit-backorder-commitments', then release them with "
    "'wms inventory:release-backorder-commitments --apply'.\n"
)
BER_ONLY = (
    "warning: 1 backordered line of 1 order in BER still holds 4 committed units; "
    "the setting only releases new backorders. Review them with "
    "'wms inventory:audit-backorder-commitments --warehouse BER', then release "
    "them with 'wms inventory:release-backorder-commitments --apply --warehouse BER'.\n"
)
WITHOUT_CPH = (
    "warning: 3 backordered lines of 2 orders in AMS, BER still hold 10 committed "
    "units; the setting only releases new backorders. Review them with "
    "'wms inventory:audit-backorder-commitments', then release them warehouse by "
    "warehouse with 'wms inventory:release-backorder-commitments --apply "
    "--warehouse CODE'.\n"
)


def build_backlog(run: Run) -> None:
    """The setting off, three warehouses with backordered lines, and one open order.

    AMS: O1 partially shipped (A: 3 left committed, B: 3 never picked).
    BER: O2 backordered by picking (A: 4).
    CPH: O3 backordered by picking (B: 1); O4 placed (A: 2, not a backorder).
    DUB: nothing backordered.
    """
    for code in ("AMS", "BER", "CPH", "DUB"):
        run("warehouse", "add", code)
    run("product", "add", "A")
    run("product", "add", "B")
    run("stock", "receive", "--warehouse", "AMS", "--sku", "A", "--qty", "2")
    run("order", "place", "O1", "--warehouse", "AMS", "--line", "A=5", "--line", "B=3")
    run("order", "pick", "O1", "--line", "A=2")
    run("order", "qc", "O1", "--line", "A=2", "--confirm-partial")
    run("order", "place", "O2", "--warehouse", "BER", "--line", "A=4")
    run("order", "pick", "O2")
    run("order", "place", "O3", "--warehouse", "CPH", "--line", "B=1")
    run("order", "pick", "O3")
    run("order", "place", "O4", "--warehouse", "CPH", "--line", "A=2")


@pytest.fixture
def backlog(wms: Run, check: Callable[[], None]) -> Run:
    build_backlog(wms)
    return wms


def stored(run: Run, warehouse: str | None = None) -> bool:
    scope = ["--warehouse", warehouse] if warehouse else []
    result = run("settings", "get", SETTING, *scope, "--format", "json")
    return bool(as_json(result)["value"])


def test_global_switch_on_warns_with_the_backlog_of_every_warehouse(
    backlog: Run,
) -> None:
    result = backlog("settings", "set", SETTING, "true")

    assert result.exit_code == 0
    assert result.stdout == STORED_GLOBALLY
    assert result.stderr == EVERYWHERE
    assert stored(backlog)


def test_warning_counts_what_the_audit_and_the_release_see(backlog: Run) -> None:
    backlog("settings", "set", SETTING, "true")

    audit = as_json(backlog(AUDIT, "--format", "json"))
    plan = as_json(backlog(RELEASE, "--format", "json"))
    assert audit["totals"]["releasable"] == 11
    assert len(plan["lines"]) == 4
    assert len({line["order"] for line in plan["lines"]}) == 3


def test_warehouse_switch_on_warns_with_that_warehouse_only(backlog: Run) -> None:
    result = backlog("settings", "set", SETTING, "yes", "--warehouse", "BER")

    assert result.exit_code == 0
    assert result.stdout == f"{SETTING} = true for warehouse BER\n"
    assert result.stderr == BER_ONLY
    assert stored(backlog, "BER")
    assert not stored(backlog)


def test_global_switch_on_leaves_out_a_warehouse_whose_override_is_off(
    backlog: Run,
) -> None:
    backlog("settings", "set", SETTING, "false", "--warehouse", "CPH")

    result = backlog("settings", "set", SETTING, "true")

    assert result.exit_code == 0
    assert result.stdout == STORED_GLOBALLY
    assert result.stderr == WITHOUT_CPH
    assert stored(backlog, "AMS")
    assert not stored(backlog, "CPH")


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(["false"], id="global-off"),
        pytest.param(["off", "--warehouse", "AMS"], id="warehouse-off"),
        pytest.param(["true", "--warehouse", "DUB"], id="warehouse-without-backlog"),
    ],
)
def test_no_warning_when_the_change_switches_nothing_on_over_a_backlog(
    backlog: Run, args: list[str]
) -> None:
    result = backlog("settings", "set", SETTING, *args)

    assert result.exit_code == 0
    assert result.stderr == ""
    assert result.stdout.startswith(f"{SETTING} = ")


def test_no_warning_once_the_backlog_is_released(backlog: Run) -> None:
    backlog(RELEASE, "--apply")

    result = backlog("settings", "set", SETTING, "true")

    assert result.exit_code == 0
    assert result.stdout == STORED_GLOBALLY
    assert result.stderr == ""


def test_a_long_list_of_warehouses_is_cut_short(wms: Run) -> None:
    wms("product", "add", "A")
    for n in range(1, 8):
        wms("warehouse", "add", f"W{n}")
        wms("order", "place", f"O{n}", "--warehouse", f"W{n}", "--line", "A=2")
        wms("order", "pick", f"O{n}")

    result = wms("settings", "set", SETTING, "true")

    assert result.stderr.startswith(
        "warning: 7 backordered lines of 7 orders in W1, W2, W3, W4, W5 and 2 more "
        "warehouses still hold 14 committed units; "
    )


def test_no_warning_on_an_empty_warehouse_host(wms: Run) -> None:
    result = wms("settings", "set", SETTING, "true")

    assert (result.exit_code, result.stderr) == (0, "")
    assert stored(wms)


class OtherSetting:
    """A tiny plugin with a setting of its own."""

    @hookimpl
    def wms_declare_settings(self) -> list[SettingSpec]:
        return [SettingSpec("test.other", bool, False, "Another plugin's switch")]


class BrokenCheck:
    @hookimpl
    def wms_setting_change_warnings(self) -> list[str]:
        raise RuntimeError("cannot check")


def runner_with(url: str, *plugins: object) -> Run:
    pm = make_plugin_manager()
    for plugin in plugins:
        pm.register(plugin, name=type(plugin).__name__)
    return make_runner(url, Plugins(pm))


def test_no_warning_for_another_plugins_setting(backlog: Run, db_url: str) -> None:
    run = runner_with(db_url, OtherSetting())

    result = run("settings", "set", "test.other", "true")

    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout == "test.other = true globally\n"


def test_another_plugins_failure_does_not_hide_the_warning(
    backlog: Run, db_url: str
) -> None:
    run = runner_with(db_url, BrokenCheck())

    result = run("settings", "set", SETTING, "true")

    assert result.exit_code == 0
    assert result.stdout == STORED_GLOBALLY
    assert result.stderr == (
        f"warning: plugin BrokenCheck could not check {SETTING} (cannot check); "
        "the setting is stored\n" + EVERYWHERE
    )
    assert stored(backlog)
