"""The host/plugin boundary of DESIGN.md §2, checked by import-linter."""

from __future__ import annotations

from pathlib import Path

from importlinter.cli import lint_imports

ROOT = Path(__file__).resolve().parents[1]


def test_import_contracts_hold() -> None:
    exit_code = lint_imports(
        config_filename=str(ROOT / "pyproject.toml"), no_cache=True, no_logo=True
    )

    assert exit_code == 0, "an import contract is broken; run lint-imports to see it"
