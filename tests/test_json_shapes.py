"""The JSON every command prints has the shape README.md documents, key by key.

README's "JSON output" section holds one block per command; this module runs
each command (with each option that changes the shape) and checks the
output against the block, so the documentation and the code cannot drift.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
import pytest
from wms.cli import build_cli

from tests.conftest import Run
from tests.helpers import AUDIT, RELEASE, SETTING, as_json
from tests.test_audit_release import build_backlog

README = Path(__file__).resolve().parents[1] / "README.md"
BLOCK = re.compile(r"<!-- json-shape: (.+?) -->\n```json\n(.*?)```", re.DOTALL)
LEAF_TYPES: dict[str, Callable[[Any], bool]] = {
    "text": lambda v: isinstance(v, str),
    "int": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "bool": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
    "value": lambda v: isinstance(v, bool | int | str),
}


def documented() -> dict[str, Any]:
    return {
        heading: json.loads(block)
        for heading, block in BLOCK.findall(README.read_text(encoding="utf-8"))
    }


def mismatches(value: Any, shape: Any, args: list[str], path: str = "$") -> list[str]:
    """Every place where ``value`` differs from ``shape``, as readable paths."""
    if isinstance(shape, dict):
        return _dict_mismatches(value, shape, args, path)
    if isinstance(shape, list):
        if not isinstance(value, list) or not value:
            return [f"{path}: expected a non-empty list, got {value!r}"]
        return [
            problem
            for i, item in enumerate(value)
            for problem in mismatches(item, shape[0], args, f"{path}[{i}]")
        ]
    if not any(LEAF_TYPES[kind](value) for kind in shape.split("|")):
        return [f"{path}: expected {shape}, got {value!r}"]
    return []


def _dict_mismatches(
    value: Any, shape: dict[str, Any], args: list[str], path: str
) -> list[str]:
    if not isinstance(value, dict):
        return [f"{path}: expected an object, got {value!r}"]
    if list(shape) == ["*"]:
        return [
            problem
            for key, item in value.items()
            for problem in mismatches(item, shape["*"], args, f"{path}.{key}")
        ]
    expected = {}
    for key, item in shape.items():
        name, _, option = key.partition("?")
        if not option or option in args:
            expected[name] = item
    problems = []
    if set(value) != set(expected):
        problems.append(
            f"{path}: keys {sorted(value)} are not the documented {sorted(expected)}"
        )
    for key, item in expected.items():
        if key in value:
            problems += mismatches(value[key], item, args, f"{path}.{key}")
    return problems


@pytest.fixture
def shop(wms: Run) -> Run:
    """Every kind of row: a backlog, a setting override, activity."""
    build_backlog(wms)
    wms("settings", "set", SETTING, "true", "--warehouse", "EAST")
    return wms


def runs(shop: Run, tmp_path: Path) -> dict[str, list[list[str]]]:
    """Per documented heading, the commands whose output must match it, in order."""
    plan = str(tmp_path / "plan.json")
    return {
        "wms warehouse list": [["warehouse", "list"]],
        "wms product list": [["product", "list"]],
        "wms stock show": [["stock", "show"]],
        "wms order show NUMBER": [["order", "show", "O2"]],
        "wms settings list": [["settings", "list"]],
        "wms settings get KEY": [
            ["settings", "get", SETTING],
            ["settings", "get", SETTING, "--warehouse", "EAST"],
        ],
        "wms activity": [["activity"]],
        "wms inventory:audit-backorder-commitments [--sku SKU]": [
            [AUDIT],
            [AUDIT, "--sku", "A"],
        ],
        "wms inventory:release-backorder-commitments [--apply] [--plan PATH] "
        "[--revert RUN_ID]": [
            [RELEASE, "--plan-out", plan],
            [RELEASE, "--plan", plan],
            [RELEASE, "--apply", "--order", "O1"],
            [RELEASE, "--apply", "--plan", plan],
        ],
    }


def test_every_command_prints_its_documented_shape(shop: Run, tmp_path: Path) -> None:
    shapes = documented()
    commands = runs(shop, tmp_path)
    assert set(shapes) == set(commands)

    problems = []
    for heading, argvs in commands.items():
        for args in argvs:
            output = as_json(shop(*args, "--format", "json"))
            problems += [
                f"wms {' '.join(args)}: {p}"
                for p in mismatches(output, shapes[heading], args)
            ]
    assert problems == []


def test_a_revert_prints_the_release_shape(shop: Run) -> None:
    heading = next(h for h in documented() if "release-backorder" in h)
    run_id = as_json(shop(RELEASE, "--apply", "--format", "json"))["run_id"]

    for args in (
        [RELEASE, "--revert", run_id],
        [RELEASE, "--revert", run_id, "--apply"],
    ):
        output = as_json(shop(*args, "--format", "json"))
        assert mismatches(output, documented()[heading], args) == []


def test_the_checker_catches_a_missing_key_and_a_wrong_type() -> None:
    shape = {"a": "int", "b": [{"c": "text|null"}]}

    assert mismatches({"a": 1, "b": [{"c": None}]}, shape, []) == []
    assert mismatches({"a": "1", "b": [{"c": 2}]}, shape, []) == [
        "$.a: expected int, got '1'",
        "$.b[0].c: expected text|null, got 2",
    ]
    assert mismatches({"a": True, "b": []}, shape, []) == [
        "$.a: expected int, got True",
        "$.b: expected a non-empty list, got []",
    ]
    assert mismatches({"b": [{"c": "x", "d": 1}]}, shape, []) == [
        "$: keys ['b'] are not the documented ['a', 'b']",
        "$.b[0]: keys ['c', 'd'] are not the documented ['c']",
    ]


def test_every_command_with_json_output_is_documented() -> None:
    with_json = sorted(_commands_with_format(build_cli(), "wms"))
    headings = sorted(
        " ".join(word for word in heading.split() if _is_command_word(word))
        for heading in documented()
    )

    assert with_json == headings


def _commands_with_format(command: click.Command, path: str) -> list[str]:
    if isinstance(command, click.Group):
        return [
            found
            for name, sub in command.commands.items()
            for found in _commands_with_format(sub, f"{path} {name}")
        ]
    has_format = any(param.name == "output_format" for param in command.params)
    return [path] if has_format else []


def _is_command_word(word: str) -> bool:
    return not word.startswith("[") and not word.endswith("]") and not word.isupper()
