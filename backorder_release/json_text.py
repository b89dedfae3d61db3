"""JSON objects written as text by the database, for reports of many lines.

A JSON report of a million-line backfill prints a quarter of a million
objects.  Fetching one ready string per line, instead of six values to
encode in Python, takes most of that report's cost away.  The text has the
spacing ``json.dumps`` gives the rest of the report; values are quoted by
the database's own JSON function, so any text stays valid JSON.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Integer, String, cast, literal
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement


class json_quote(FunctionElement[str]):
    """A text value as a JSON string literal, quotes and escapes included."""

    type = String()
    inherit_cache = True


@compiles(json_quote)
def _json_quote(element: json_quote, compiler: Any, **kw: Any) -> str:
    # SQLite and MariaDB.
    return f"json_quote({compiler.process(element.clauses, **kw)})"


@compiles(json_quote, "postgresql")
def _json_quote_postgresql(element: json_quote, compiler: Any, **kw: Any) -> str:
    return f"CAST(to_json({compiler.process(element.clauses, **kw)}) AS TEXT)"


class concat_text(FunctionElement[str]):
    """Text values joined: ``||`` where the standard has it, CONCAT on MariaDB.

    SQLite before 3.44 has no concat() function.
    """

    type = String()
    inherit_cache = True


@compiles(concat_text)
def _concat(element: concat_text, compiler: Any, **kw: Any) -> str:
    return " || ".join(compiler.process(clause, **kw) for clause in element.clauses)


@compiles(concat_text, "mysql")
@compiles(concat_text, "mariadb")
def _concat_mysql(element: concat_text, compiler: Any, **kw: Any) -> str:
    return f"CONCAT({compiler.process(element.clauses, **kw)})"


def json_object_text(
    pairs: Sequence[tuple[str, ColumnElement[Any]]],
) -> ColumnElement[str]:
    """``{"key": value, ...}`` built in SQL; integer columns as numbers, the
    rest as strings."""
    parts: list[ColumnElement[Any]] = []
    for position, (key, value) in enumerate(pairs):
        opening = "{" if position == 0 else ", "
        parts.append(literal(f"{opening}{json.dumps(key)}: ", String))
        if isinstance(value.type, Integer):
            parts.append(cast(value, String))
        else:
            parts.append(json_quote(value))
    parts.append(literal("}", String))
    return concat_text(*parts)
