"""A reviewed plan (--plan-out, --plan) and reversible runs (--revert)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from wms.plugins import Plugins, make_plugin_manager

from backorder_release import plan as plan_module
from backorder_release.commands import release as release_command
from backorder_release.models import Trigger
from backorder_release.release import OrderRange
from tests.conftest import Run, make_runner
from tests.helpers import (
    AUDIT,
    RELEASE,
    as_json,
    assert_one_line_error,
    line_of,
    log_details,
    release_json,
    stock_json,
)
from tests.test_audit_release import build_backlog

Dump = Callable[[], dict[str, list[tuple[Any, ...]]]]


@pytest.fixture
def backlog(wms: Run, check: Callable[[], None]) -> Run:
    build_backlog(wms)
    check()
    return wms


def statuses(report: dict[str, Any]) -> list[tuple[str, str, int, str, str]]:
    return [
        (r["order"], r["sku"], r["units"], r["status"], r["reason"])
        for r in report["lines"]
    ]


def write_plan(run: Run, path: Path, *args: str) -> dict[str, Any]:
    run(RELEASE, "--plan-out", str(path), *args)
    return json.loads(path.read_text(encoding="utf-8"))


# --- --plan-out ----------------------------------------------------------------


def test_plan_out_writes_the_planned_lines_and_changes_nothing(
    backlog: Run, tmp_path: Path, snapshot: Dump
) -> None:
    before = snapshot()

    result = backlog(RELEASE, "--plan-out", str(tmp_path / "plan.json"))

    assert snapshot() == before
    plan = json.loads((tmp_path / "plan.json").read_text(encoding="utf-8"))
    assert plan["format"] == "backorder-release-plan"
    assert plan["version"] == 1
    assert plan["actor"] == "tester"
    assert plan["scope"] == {"warehouse": None, "order": None}
    assert [
        (line["order"], line["warehouse"], line["sku"], line["units"])
        for line in plan["lines"]
    ] == [
        ("O1", "MAIN", "A", 3),
        ("O2", "MAIN", "A", 2),
        ("O2", "MAIN", "B", 4),
        ("O4", "EAST", "A", 6),
    ]
    assert all(type(line["line_id"]) is int for line in plan["lines"])
    assert plan["totals"] == {"lines": 4, "units": 15, "orders": 3}
    last = result.stdout.splitlines()[-1]
    assert "--apply --plan" in last and str(tmp_path / "plan.json") in last


def test_plan_out_with_a_filter_plans_only_that_scope(
    backlog: Run, tmp_path: Path
) -> None:
    plan = write_plan(backlog, tmp_path / "plan.json", "--warehouse", "EAST")

    assert plan["scope"] == {"warehouse": "EAST", "order": None}
    assert [(line["order"], line["units"]) for line in plan["lines"]] == [("O4", 6)]


# --- --apply --plan -------------------------------------------------------------


def test_apply_plan_releases_exactly_the_plan_and_reports_drift(
    backlog: Run, db_url: str, tmp_path: Path, check: Callable[[], None]
) -> None:
    plan_path = tmp_path / "plan.json"
    write_plan(backlog, plan_path)
    # After the review: O2 is cancelled (its lines drift), and a new
    # backorder O5 appears that the plan never saw.
    backlog("order", "cancel", "O2")
    backlog("order", "place", "O5", "--warehouse", "EAST", "--line", "A=2")
    backlog("order", "pick", "O5")

    report = release_json(backlog, "--apply", "--plan", str(plan_path))

    check()
    assert statuses(report) == [
        ("O2", "A", 2, "drifted", "order is cancelled now, no longer backordered"),
        ("O2", "B", 4, "drifted", "order is cancelled now, no longer backordered"),
        ("O1", "A", 3, "released", ""),
        ("O4", "A", 6, "released", ""),
    ]
    assert report["totals"]["released"] == {"lines": 2, "units": 9, "orders": 2}
    assert report["totals"]["drifted"] == {"lines": 2, "units": 6, "orders": 1}
    assert line_of(backlog, "O5", "A")["committed"] == 2
    assert {(d["order_number"], d["units"]) for d in log_details(db_url)} == {
        ("O1", 3),
        ("O4", 6),
    }


def test_apply_plan_refuses_a_line_whose_units_changed(
    wms: Run, tmp_path: Path, check: Callable[[], None]
) -> None:
    wms("warehouse", "add", "MAIN")
    wms("product", "add", "A")
    wms("stock", "receive", "--warehouse", "MAIN", "--sku", "A", "--qty", "5")
    wms("order", "place", "O1", "--warehouse", "MAIN", "--line", "A=8")
    wms("order", "pick", "O1", "--line", "A=5")
    wms("order", "qc", "O1", "--line", "A=2", "--confirm-partial")
    plan_path = tmp_path / "plan.json"
    planned = write_plan(wms, plan_path)["lines"]
    assert [line["units"] for line in planned] == [6]
    # The partially shipped order is picked and checked again: 6 -> 3 held.
    wms("order", "pick", "O1", "--line", "A=3")
    wms("order", "qc", "O1", "--line", "A=3", "--confirm-partial")
    held = line_of(wms, "O1", "A")["committed"]

    report = release_json(wms, "--apply", "--plan", str(plan_path))

    check()
    assert statuses(report) == [
        ("O1", "A", 6, "drifted", f"holds {held} committed units now, 6 planned")
    ]
    assert line_of(wms, "O1", "A")["committed"] == held


def test_applying_a_plan_twice_releases_nothing_the_second_time(
    backlog: Run, tmp_path: Path, snapshot: Dump
) -> None:
    plan_path = tmp_path / "plan.json"
    write_plan(backlog, plan_path)
    first = release_json(backlog, "--apply", "--plan", str(plan_path))
    after_first = snapshot()

    second = release_json(backlog, "--apply", "--plan", str(plan_path))

    assert first["totals"]["released"]["lines"] == 4
    assert snapshot() == after_first
    assert {r["status"] for r in second["lines"]} == {"skipped"}
    assert {r["reason"] for r in second["lines"]} == {"already released"}
    assert second["totals"]["released"]["lines"] == 0


def test_plan_without_apply_checks_the_plan_and_changes_nothing(
    backlog: Run, tmp_path: Path, snapshot: Dump
) -> None:
    plan_path = tmp_path / "plan.json"
    write_plan(backlog, plan_path)
    backlog("order", "cancel", "O1")
    before = snapshot()

    result = backlog(RELEASE, "--plan", str(plan_path))
    report = release_json(backlog, "--plan", str(plan_path))

    assert snapshot() == before
    assert report["applied"] is False
    assert [(r["order"], r["status"]) for r in report["lines"]] == [
        ("O1", "drifted"),
        ("O2", "planned"),
        ("O2", "planned"),
        ("O4", "planned"),
    ]
    assert f"--apply --plan {plan_path}" in result.stdout.splitlines()[-1]


def test_a_plan_from_another_database_releases_nothing(
    backlog: Run, tmp_path: Path, snapshot: Dump
) -> None:
    # Another database's plan names line ids this one has for other orders,
    # or does not have at all.
    plan_path = tmp_path / "plan.json"
    plan = write_plan(backlog, plan_path)
    first, second = plan["lines"][:2]
    first.update(order="X1", sku="Z")
    second.update(line_id=2_000_000_000)
    plan["lines"] = [first, second]
    plan_path.write_text(json.dumps(plan), encoding="utf-8")
    before = snapshot()

    report = release_json(backlog, "--apply", "--plan", str(plan_path))

    assert snapshot() == before
    reasons = {r["order"]: (r["status"], r["reason"]) for r in report["lines"]}
    assert reasons["O2"] == ("drifted", "no such order line in this database")
    assert reasons["X1"][0] == "drifted"
    assert "was the plan made on another database?" in reasons["X1"][1]
    assert len(report["lines"]) == 2


def test_plan_lines_a_parallel_run_released_first_are_skipped(
    backlog: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plan_path = tmp_path / "plan.json"
    write_plan(backlog, plan_path)
    real = release_command.release_orders

    def parallel_run_first(session: Any, orders: OrderRange, **kwargs: Any) -> Any:
        # Another run releases every order of the chunk after the check,
        # just before this run takes its locks.
        real(
            session,
            OrderRange(orders.first, orders.last),
            trigger=Trigger.BACKFILL,
            run_id="abcdef012345",
            actor="someone",
        )
        return real(session, orders, **kwargs)

    monkeypatch.setattr(release_command, "release_orders", parallel_run_first)

    report = release_json(backlog, "--apply", "--plan", str(plan_path))

    assert {(r["status"], r["reason"]) for r in report["lines"]} == {
        ("skipped", "already released")
    }
    assert report["totals"]["skipped"] == {"lines": 4, "units": 15, "orders": 3}
    assert report["totals"]["released"]["lines"] == 0


# --- --revert ------------------------------------------------------------------


def run_id_of(report: dict[str, Any]) -> str:
    run_id = report["run_id"]
    assert isinstance(run_id, str) and run_id
    return run_id


def test_revert_puts_back_exactly_what_the_run_released(
    backlog: Run, db_url: str, check: Callable[[], None]
) -> None:
    audit_before = as_json(backlog(AUDIT, "--format", "json"))
    stock_before = stock_json(backlog)
    run_id = run_id_of(release_json(backlog, "--apply"))

    preview = release_json(backlog, "--revert", run_id)
    assert stock_json(backlog) != stock_before
    report = release_json(backlog, "--revert", run_id, "--apply")

    check()
    assert [r["status"] for r in preview["lines"]] == ["planned"] * 4
    assert [
        (r["order"], r["sku"], r["units"], r["status"]) for r in report["lines"]
    ] == [
        ("O1", "A", 3, "reverted"),
        ("O2", "A", 2, "reverted"),
        ("O2", "B", 4, "reverted"),
        ("O4", "A", 6, "reverted"),
    ]
    assert report["totals"]["reverted"] == {"lines": 4, "units": 15, "orders": 3}
    assert stock_json(backlog) == stock_before
    assert as_json(backlog(AUDIT, "--format", "json")) == audit_before
    reverts = [d for d in log_details(db_url) if d["trigger"] == "revert"]
    assert [(d["order_number"], d["units"], d["reverts"]) for d in reverts] == [
        ("O1", -3, run_id),
        ("O2", -2, run_id),
        ("O2", -4, run_id),
        ("O4", -6, run_id),
    ]
    assert {d["run_id"] for d in reverts} == {report["run_id"]}


def test_revert_twice_does_nothing_the_second_time(
    backlog: Run, snapshot: Dump
) -> None:
    run_id = run_id_of(release_json(backlog, "--apply"))
    release_json(backlog, "--revert", run_id, "--apply")
    after_first = snapshot()

    second = release_json(backlog, "--revert", run_id, "--apply")

    assert snapshot() == after_first
    assert {(r["status"], r["reason"]) for r in second["lines"]} == {
        ("skipped", "already reverted")
    }
    assert second["totals"]["reverted"]["lines"] == 0


def test_revert_dry_run_changes_nothing(backlog: Run, snapshot: Dump) -> None:
    run_id = run_id_of(release_json(backlog, "--apply"))
    before = snapshot()

    result = backlog(RELEASE, "--revert", run_id)

    assert snapshot() == before
    assert f"--revert {run_id} --apply" in result.stdout.splitlines()[-1]


def test_revert_leaves_a_line_that_changed_since(
    backlog: Run, db_url: str, check: Callable[[], None]
) -> None:
    run_id = run_id_of(release_json(backlog, "--apply"))
    backlog("order", "cancel", "O2")

    report = release_json(backlog, "--revert", run_id, "--apply")

    check()
    assert sorted((r["order"], r["sku"], r["status"]) for r in report["lines"]) == [
        ("O1", "A", "reverted"),
        ("O2", "A", "drifted"),
        ("O2", "B", "drifted"),
        ("O4", "A", "reverted"),
    ]
    assert line_of(backlog, "O2", "A")["committed"] == 0
    assert line_of(backlog, "O1", "A")["committed"] == 3


def test_a_reverted_run_can_be_released_again(
    backlog: Run, db_url: str, check: Callable[[], None]
) -> None:
    run_id = run_id_of(release_json(backlog, "--apply"))
    release_json(backlog, "--revert", run_id, "--apply")

    again = release_json(backlog, "--apply")

    check()
    assert again["totals"]["released"] == {"lines": 4, "units": 15, "orders": 3}
    by_line: dict[int, int] = {}
    for row in log_details(db_url):
        by_line[row["line_id"]] = by_line.get(row["line_id"], 0) + row["units"]
    assert sorted(by_line.values()) == [2, 3, 4, 6]


def test_revert_of_a_hook_release(wms: Run, check: Callable[[], None]) -> None:
    wms("warehouse", "add", "MAIN")
    wms("product", "add", "A")
    wms("settings", "set", "inventory.release_backorder_commitments", "true")
    wms("order", "place", "O1", "--warehouse", "MAIN", "--line", "A=4")
    wms("order", "pick", "O1")
    feed = as_json(wms("activity", "--format", "json"))
    message = next(r["message"] for r in feed if r["kind"] == "commitment_released")
    run_id = message.rsplit("run ", 1)[1].rstrip(")")

    report = release_json(wms, "--revert", run_id, "--apply")

    check()
    assert [(r["order"], r["units"], r["status"]) for r in report["lines"]] == [
        ("O1", 4, "reverted")
    ]
    assert line_of(wms, "O1", "A")["committed"] == 4


# --- bad input (the rest is in the README's catalogue: tests/test_bad_input.py) ----


def test_reverting_a_revert_is_refused(backlog: Run, snapshot: Dump) -> None:
    run_id = run_id_of(release_json(backlog, "--apply"))
    revert_id = run_id_of(release_json(backlog, "--revert", run_id, "--apply"))
    before = snapshot()

    result = backlog(RELEASE, "--revert", revert_id, "--apply", ok=False)

    assert_one_line_error(result)
    assert "is itself a revert" in result.stderr
    assert snapshot() == before


def test_revert_leaves_a_line_shipped_since(
    backlog: Run, check: Callable[[], None]
) -> None:
    run_id = run_id_of(release_json(backlog, "--apply"))
    # O4 (EAST, 6 of A released) is picked and partly shipped since: only 1
    # unit is outstanding, so 6 cannot be committed to it again.
    backlog("stock", "receive", "--warehouse", "EAST", "--sku", "A", "--qty", "4")
    backlog("order", "pick", "O4", "--line", "A=5")
    backlog("order", "qc", "O4", "--line", "A=5", "--confirm-partial")

    report = release_json(backlog, "--revert", run_id, "--apply")

    check()
    assert [
        (r["order"], r["status"], r["reason"])
        for r in report["lines"]
        if r["order"] == "O4"
    ] == [("O4", "drifted", "only 1 unit outstanding now")]
    assert report["totals"]["reverted"]["lines"] == 3
    assert line_of(backlog, "O4", "A")["committed"] == 0


@pytest.mark.parametrize("chunk_lines", [1, 2, 3])
def test_a_plan_applied_in_small_chunks_releases_each_line_once(
    backlog: Run,
    db_url: str,
    tmp_path: Path,
    check: Callable[[], None],
    monkeypatch: pytest.MonkeyPatch,
    chunk_lines: int,
) -> None:
    # O2's two lines fall on both sides of a chunk boundary when chunks
    # are cut by line id: its log rows were once counted by two chunks.
    monkeypatch.setattr(plan_module, "CHECK_LINES", chunk_lines)
    plan_path = tmp_path / "plan.json"
    write_plan(backlog, plan_path)
    stock_before = {
        (r["warehouse"], r["sku"]): r["committed"] for r in stock_json(backlog)
    }

    report = release_json(backlog, "--apply", "--plan", str(plan_path))

    check()
    assert report["totals"]["released"] == {"lines": 4, "units": 15, "orders": 3}
    assert len(report["lines"]) == 4
    assert sorted(d["units"] for d in log_details(db_url)) == [2, 3, 4, 6]
    stock_after = {
        (r["warehouse"], r["sku"]): r["committed"] for r in stock_json(backlog)
    }
    assert {k: stock_before[k] - stock_after[k] for k in stock_before} == {
        ("EAST", "A"): 6,
        ("MAIN", "A"): 5,
        ("MAIN", "B"): 4,
    }


def test_revert_leaves_a_line_a_later_run_released_again(
    wms: Run, check: Callable[[], None]
) -> None:
    wms("warehouse", "add", "MAIN")
    wms("product", "add", "A")
    wms("order", "place", "X", "--warehouse", "MAIN", "--line", "A=5")
    wms("order", "pick", "X")
    first = run_id_of(release_json(wms, "--apply"))
    wms("stock", "receive", "--warehouse", "MAIN", "--sku", "A", "--qty", "5")
    wms("order", "pick", "X", "--line", "A=5")
    wms("order", "pick", "X")
    second = run_id_of(release_json(wms, "--apply"))

    old = release_json(wms, "--revert", first, "--apply")
    new = release_json(wms, "--revert", second, "--apply")

    check()
    assert [(r["status"], r["reason"]) for r in old["lines"]] == [
        ("drifted", "released again since by a later run; revert that run")
    ]
    assert [r["status"] for r in new["lines"]] == ["reverted"]
    assert line_of(wms, "X", "A")["committed"] == 5


@pytest.mark.parametrize(
    ("command", "option", "what"),
    [(RELEASE, "--plan-out", "plan"), (AUDIT, "--csv", "CSV")],
)
@pytest.mark.parametrize("suffix", ["", "-wal"])
def test_an_export_never_overwrites_the_sqlite_database(
    tmp_path: Path, command: str, option: str, what: str, suffix: str
) -> None:
    database = tmp_path / "wms.db"
    run = make_runner(f"sqlite:///{database}", Plugins(make_plugin_manager()))
    build_backlog(run)
    target = Path(f"{database}{suffix}")
    before = database.read_bytes()

    result = run(command, option, str(target), ok=False)

    assert_one_line_error(result)
    assert f"cannot write {what} to " in result.stderr
    assert "it is the database" in result.stderr
    assert database.read_bytes() == before


def three_line_partial_order(run: Run) -> None:
    """O1 partially shipped: A shipped in full, B (4) and C (5) outstanding."""
    run("warehouse", "add", "MAIN")
    for sku in ("A", "B", "C"):
        run("product", "add", sku)
    run("stock", "receive", "--warehouse", "MAIN", "--sku", "A", "--qty", "4")
    run("stock", "receive", "--warehouse", "MAIN", "--sku", "B", "--qty", "2")
    lines = ["--line", "A=4", "--line", "B=6", "--line", "C=5"]
    run("order", "place", "O1", "--warehouse", "MAIN", *lines)
    run("order", "pick", "O1", "--line", "A=4", "--line", "B=2")
    run("order", "qc", "O1", "--line", "A=4", "--line", "B=2", "--confirm-partial")


def ship_the_rest_of_b(run: Run) -> None:
    run("stock", "receive", "--warehouse", "MAIN", "--sku", "B", "--qty", "4")
    run("order", "pick", "O1", "--line", "B=4")
    run("order", "qc", "O1", "--line", "B=4", "--confirm-partial")
    assert order_status(run, "O1") == "partially_shipped"


def order_status(run: Run, number: str) -> str:
    return str(as_json(run("order", "show", number, "--format", "json"))["status"])


def test_a_planned_line_shipped_in_full_since_drifted_with_that_reason(
    wms: Run, tmp_path: Path, check: Callable[[], None]
) -> None:
    three_line_partial_order(wms)
    plan_path = tmp_path / "plan.json"
    assert [line["sku"] for line in write_plan(wms, plan_path)["lines"]] == ["B", "C"]
    ship_the_rest_of_b(wms)

    report = release_json(wms, "--apply", "--plan", str(plan_path))

    check()
    assert statuses(report) == [
        ("O1", "B", 4, "drifted", "shipped in full since: nothing outstanding"),
        ("O1", "C", 5, "released", ""),
    ]


def test_a_released_line_shipped_in_full_since_is_not_reverted(
    wms: Run, check: Callable[[], None]
) -> None:
    three_line_partial_order(wms)
    run_id = run_id_of(release_json(wms, "--apply"))
    ship_the_rest_of_b(wms)

    report = release_json(wms, "--revert", run_id, "--apply")

    check()
    assert statuses(report) == [
        ("O1", "B", 4, "drifted", "shipped in full since: nothing outstanding"),
        ("O1", "C", 5, "reverted", ""),
    ]
    assert line_of(wms, "O1", "C")["committed"] == 5
