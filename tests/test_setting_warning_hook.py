"""The host's side of ``wms_setting_change_warnings``: asked, printed, isolated."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session
from wms.hookspecs import hookimpl
from wms.plugins import Plugins, make_plugin_manager
from wms.settings import SettingSpec

from tests.conftest import Run, make_runner
from tests.helpers import as_json

KEY = "test.switch"
STORED = f"{KEY} = true globally\n"


class Switch:
    """Lends the host a setting: the bare host declares none."""

    @hookimpl
    def wms_declare_settings(self) -> list[SettingSpec]:
        return [SettingSpec(KEY, bool, False, "A tiny plugin's switch")]


class Recorder:
    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    @hookimpl
    def wms_setting_change_warnings(
        self, key: str, value: Any, warehouse_id: int | None
    ) -> list[str]:
        self.calls.append({"key": key, "value": value, "warehouse_id": warehouse_id})
        return []


class Advisor:
    @hookimpl
    def wms_setting_change_warnings(self, key: str) -> list[str]:
        return [f"{key} changed\nsee the manual", "and a second warning"]


class BrokenCheck:
    @hookimpl
    def wms_setting_change_warnings(self, key: str) -> list[str]:
        raise RuntimeError(f"cannot check {key}\nsecond line of the error")


class FailingQuery:
    """Fails in the database: on PostgreSQL that aborts the transaction."""

    @hookimpl
    def wms_setting_change_warnings(self, session: Session) -> list[str]:
        session.execute(text("SELECT no_such_column FROM no_such_table"))
        return ["never shown"]


class Writer:
    """Breaks the read-only rule: what it writes must not be kept."""

    @hookimpl
    def wms_setting_change_warnings(self, session: Session) -> list[str]:
        session.execute(text("DELETE FROM activity"))
        session.execute(text("UPDATE setting SET value = 'false'"))
        return ["wrote behind the host's back"]


def runner_with(url: str, *plugins: object, entry_points: bool = True) -> Run:
    """``wms`` with these tiny plugins (named after their class) and, unless
    told otherwise, the installed ones."""
    pm = make_plugin_manager(load_entry_points=entry_points)
    for plugin in plugins:
        pm.register(plugin, name=type(plugin).__name__)
    return make_runner(url, Plugins(pm))


def stored(run: Run) -> bool:
    return bool(as_json(run("settings", "get", KEY, "--format", "json"))["value"])


def test_host_without_plugins_prints_no_warning(host_only_url: str) -> None:
    run = runner_with(host_only_url, Switch(), entry_points=False)

    result = run("settings", "set", KEY, "on")

    assert result.exit_code == 0
    assert result.stdout == STORED
    assert result.stderr == ""


def test_plugins_get_the_typed_value_and_the_scope(host_only_url: str) -> None:
    recorder = Recorder()
    run = runner_with(host_only_url, Switch(), recorder, entry_points=False)
    run("warehouse", "add", "AMS")

    run("settings", "set", KEY, "yes")
    run("settings", "set", KEY, "0", "--warehouse", "AMS")

    assert recorder.calls == [
        {"key": KEY, "value": True, "warehouse_id": None},
        {"key": KEY, "value": False, "warehouse_id": 1},
    ]


def test_every_warning_is_one_stderr_line(host_only_url: str) -> None:
    run = runner_with(host_only_url, Switch(), Advisor(), entry_points=False)

    result = run("settings", "set", KEY, "true")

    assert result.exit_code == 0
    assert result.stdout == STORED
    assert result.stderr == (
        f"warning: {KEY} changed see the manual\nwarning: and a second warning\n"
    )


@pytest.mark.parametrize(
    ("plugin", "reason"),
    [
        pytest.param(BrokenCheck, f"(cannot check {KEY})", id="raises"),
        pytest.param(FailingQuery, "no_such_", id="failing-query"),
    ],
)
def test_a_failing_check_is_reported_and_the_setting_is_stored(
    db_url: str, plugin: type, reason: str
) -> None:
    # Registered last, so pluggy calls it first: the Advisor still runs after.
    run = runner_with(db_url, Switch(), Advisor(), plugin())

    result = run("settings", "set", KEY, "true")

    assert result.exit_code == 0
    assert result.stdout == STORED
    failure, *advice = result.stderr.splitlines()
    assert advice == [
        f"warning: {KEY} changed see the manual",
        "warning: and a second warning",
    ]
    assert failure.startswith(
        f"warning: plugin {plugin.__name__} could not check {KEY} ("
    )
    assert reason in failure
    assert failure.endswith("); the setting is stored")
    assert stored(run)


def test_what_a_warning_hook_writes_is_rolled_back(db_url: str) -> None:
    run = runner_with(db_url, Switch(), Writer())

    result = run("settings", "set", KEY, "true")

    assert result.stderr == "warning: wrote behind the host's back\n"
    assert stored(run)
    latest = as_json(run("activity", "--limit", "1", "--format", "json"))
    assert [row["kind"] for row in latest] == ["setting_changed"]
