"""Colour for people at a terminal only, never with NO_COLOR (no-color.org)."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest
from wms.plugins import Plugins, make_plugin_manager

from tests.conftest import make_runner
from tests.helpers import AUDIT, RELEASE, read_terminal
from tests.test_audit_release import build_backlog

WMS = str(Path(sys.executable).with_name("wms"))
ESCAPE = "\x1b["


@pytest.fixture
def url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'wms.db'}"
    run = make_runner(url, Plugins(make_plugin_manager()))
    build_backlog(run)
    run(RELEASE, "--apply", "--order", "O1")
    return url


def on_terminal(url: str, *args: str, no_color: str | None = None) -> str:
    """What ``wms`` prints to a terminal's stdout."""
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    if no_color is not None:
        env["NO_COLOR"] = no_color
    controller, terminal = pty.openpty()
    process = subprocess.run(
        [WMS, "--database-url", url, *args],
        stdout=terminal,
        stderr=subprocess.DEVNULL,
        env={**env, "COLUMNS": "200"},
    )
    os.close(terminal)
    assert process.returncode == 0
    return read_terminal(controller)


def on_a_pipe(url: str, *args: str) -> str:
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    return subprocess.run(
        [WMS, "--database-url", url, *args],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    ).stdout


def coloured_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if ESCAPE in line]


def test_the_audit_colours_exactly_the_flagged_rows_on_a_terminal(url: str) -> None:
    shown = on_terminal(url, AUDIT)

    rows = [
        line.split() for line in shown.splitlines() if "MAIN" in line or "EAST" in line
    ]
    coloured = {tuple(row[:2]) for row in rows if ESCAPE in row[0]}
    plain = {tuple(row[:2]) for row in rows if ESCAPE not in row[0]}
    assert coloured == {
        (f"{ESCAPE}33m{ESCAPE}1mEAST", "A"),
        (f"{ESCAPE}33m{ESCAPE}1mMAIN", "B"),
    }
    assert plain == {("MAIN", "A")}
    assert all("WOULD_MAKE_AVAILABLE" in line for line in coloured_lines(shown))


def test_the_release_report_colours_skipped_lines_on_a_terminal(url: str) -> None:
    shown = on_terminal(url, RELEASE)

    coloured = coloured_lines(shown)
    assert len(coloured) == 1
    assert "O1" in coloured[0] and "skipped" in coloured[0]


@pytest.mark.parametrize("command", [AUDIT, RELEASE])
def test_no_colour_with_no_color_set(url: str, command: str) -> None:
    shown = on_terminal(url, command, no_color="1")

    assert ESCAPE not in shown
    assert "O1" in shown or "WOULD_MAKE_AVAILABLE" in shown


@pytest.mark.parametrize("command", [AUDIT, RELEASE])
def test_no_colour_on_a_pipe(url: str, command: str) -> None:
    shown = on_a_pipe(url, command)

    assert ESCAPE not in shown
    assert shown.strip()


def test_an_empty_no_color_keeps_colour(url: str) -> None:
    assert coloured_lines(on_terminal(url, AUDIT, no_color=""))
