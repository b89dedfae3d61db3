"""The README's bad-input catalogue and the parametrized cases cannot drift apart.

A case added without a row, a row left behind by a removed or renamed case,
or a row whose exit code is not the case's fails here, without a database.
"""

from __future__ import annotations

from collections import Counter

import pytest

import tests.test_bad_input as bad_input
import tests.test_import as bad_import
from tests.catalogue import README, SECTION, Entry, documented, read_entries


def case_exit_codes() -> dict[str, int]:
    """Every catalogued case id and the exit code its test expects."""
    codes = {p.id: p.values[0].code for p in bad_input.CASES}
    for table in (bad_import.BAD_FILES, bad_import.IMPORT_PATHS):
        codes.update({p.id: 2 for p in table})
    return codes


def all_case_ids() -> list[str]:
    return [
        str(p.id)
        for table in (bad_input.CASES, bad_import.BAD_FILES, bad_import.IMPORT_PATHS)
        for p in table
    ]


def test_case_ids_are_unique_across_the_modules() -> None:
    repeated = [i for i, n in Counter(all_case_ids()).items() if n > 1]

    assert repeated == []


def test_every_case_has_a_row() -> None:
    missing = sorted(set(all_case_ids()) - set(documented()))

    assert missing == [], f"add rows to {README.name}'s {SECTION!r} for {missing}"


def test_every_row_is_a_case() -> None:
    unknown = sorted(set(documented()) - set(all_case_ids()))

    assert unknown == [], f"rows in {README.name} name no test case: {unknown}"


def test_no_case_has_two_rows() -> None:
    ids = Counter(e.case_id for e in read_entries(README.read_text("utf-8")))

    assert [i for i, n in ids.items() if n > 1] == []


def test_each_row_gives_its_case_exit_code() -> None:
    codes = case_exit_codes()
    wrong = {
        e.case_id: (e.exit_code, codes[e.case_id])
        for e in documented().values()
        if e.case_id in codes and e.exit_code != codes[e.case_id]
    }

    assert wrong == {}, "README exit code vs the test's, per case"


TABLE = """\
## Bad input

Some text.

| what | example | exit | message | test |
|---|---|---|---|---|
| a | `wms x` | 2 | `Error: unknown SKU 'Z\\|Y'; add it` | `unknown-sku` |

| what | example | exit | message | test |
|---|---|---|---|---|
| b | `wms y` | 1 | `Error: cannot use … refused…` | `unreachable` |

## Layout

| code | meaning |
|---|---|
| 0 | success |
"""


def test_the_reader_takes_every_table_of_the_section_and_nothing_else() -> None:
    assert read_entries(TABLE) == [
        Entry("unknown-sku", 2, "Error: unknown SKU 'Z|Y'; add it"),
        Entry("unreachable", 1, "Error: cannot use … refused…"),
    ]


@pytest.mark.parametrize(
    ("message", "line", "matches"),
    [
        pytest.param("Error: a", "Error: a", True, id="exact"),
        pytest.param("Error: a", "Error: ab", False, id="no-tail-without-ellipsis"),
        pytest.param("Error: a…", "Error: abc", True, id="trailing-ellipsis"),
        pytest.param("Error: … b", "Error: /tmp/x b", True, id="inner-ellipsis"),
        pytest.param(
            "Error: (a)…", "Error: (a) c", True, id="regex-characters-literal"
        ),
        pytest.param("Error: (a)", "Error: a", False, id="brackets-not-a-group"),
    ],
)
def test_an_ellipsis_stands_for_any_text(
    message: str, line: str, matches: bool
) -> None:
    assert Entry("x", 2, message).matches(line) is matches
