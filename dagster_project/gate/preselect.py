"""Which rows of a big table a row-wise rule may fail, as a SQL condition.

GX's pandas source must see every row it judges: on 10 M order lines that meant copying
the checked columns into pandas, 2 M rows at a time, for ~14 rules (most of the gate's
time at scale 480, bench/README.md). For the common row-wise rules this module writes a
SQL condition that holds for every row GX could count as unexpected; the gate fetches only
the rows where one of them holds (usually none) and GX validates those, with the same
expectations. The rows left out pass by construction, so GX's verdict, its counts (taken
against the table's row count) and its examples are those of the whole table.

A condition may hold for rows that pass (GX decides); it must never miss a row that fails.
So only what is translated exactly is translated: the rule types below on numeric or
date/time columns with bounds of the same kind, value sets of text against text columns,
no row condition. Anything else returns None and is validated on every row as before.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import pandas as pd

from dagster_project.core.db import quote
from dagster_project.gate.describe import resolve
from dagster_project.gate.suites import Expectation

_INTEGERS = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT")
_FLOATING = ("FLOAT", "DOUBLE")
_TEMPORAL = ("DATE", "TIMESTAMP", "TIMESTAMP_S", "TIMESTAMP_MS", "TIMESTAMP_NS")  # no time zone


def _kind(duckdb_type: str) -> str | None:
    """'numeric', 'temporal' or 'text' for the column types translated; else None."""
    name = duckdb_type.upper()
    if name.removeprefix("U") in _INTEGERS or name in _FLOATING or name.startswith("DECIMAL"):
        return "numeric"
    if name in _TEMPORAL:
        return "temporal"
    if name == "VARCHAR":
        return "text"
    return None


def _missing(column: str, duckdb_type: str) -> str:
    """What pandas calls missing: SQL NULL, and NaN in floating-point columns."""
    name = quote(column)
    if duckdb_type.upper() in _FLOATING:
        return f"({name} is null or isnan({name}))"
    return f"{name} is null"


def _literal(value: Any, kind: str) -> tuple[str, bool] | None:
    """`value` as a SQL literal comparable with a column of `kind`, and whether the
    comparison is exact; None if it is not one.

    A float bound (0.1) is not exact: pandas compares a decimal with it exactly, DuckDB as
    doubles, so the caller widens the comparison to include equality.
    """
    if kind == "numeric":
        if isinstance(value, bool) or not isinstance(value, int | float):
            return None
        if isinstance(value, float):
            return (f"{value!r}::DOUBLE", False) if math.isfinite(value) else None
        return (str(value), True) if abs(value) < 10**18 else None  # DuckDB: no BIGNUM
    if kind == "temporal":
        if not isinstance(value, str | dt.date | dt.datetime | pd.Timestamp):
            return None
        try:  # ISO text only: pandas also reads words ("today") as times of its own
            stamp = pd.Timestamp(
                dt.datetime.fromisoformat(value) if isinstance(value, str) else value
            )
        except (ValueError, TypeError, OverflowError):
            return None
        if stamp is pd.NaT or stamp.tzinfo is not None or stamp.nanosecond:
            return None
        return f"TIMESTAMP '{stamp.isoformat(sep=' ')}'", True
    if kind == "text" and isinstance(value, str):
        return "'" + value.replace("'", "''") + "'", True
    return None


def _between(kwargs: dict[str, Any], types: dict[str, str]) -> str | None:
    column = kwargs.get("column")
    kind = _kind(types.get(column, ""))
    if kind not in ("numeric", "temporal"):
        return None
    low, high = kwargs.get("min_value"), kwargs.get("max_value")
    if low is None and high is None:
        return None
    parts = []
    for value, strict, below in (
        (low, kwargs.get("strict_min"), True),
        (high, kwargs.get("strict_max"), False),
    ):
        if value is None:
            continue
        literal = _literal(value, kind)
        if literal is None:
            return None
        sql, exact = literal
        inclusive = strict or not exact
        operator = ("<=" if inclusive else "<") if below else (">=" if inclusive else ">")
        parts.append(f"{quote(column)} {operator} {sql}")
    return " or ".join(parts)


def _in_set(kwargs: dict[str, Any], types: dict[str, str]) -> str | None:
    column = kwargs.get("column")
    values = kwargs.get("value_set")
    if _kind(types.get(column, "")) != "text" or not isinstance(values, list | tuple | set):
        return None
    literals = [_literal(v, "text") for v in values]
    if any(literal is None for literal in literals):
        return None
    literals = [sql for sql, _ in literals]
    if not literals:
        return f"{quote(column)} is not null"
    return f"{quote(column)} not in ({', '.join(sorted(set(literals)))})"


def _a_greater_than_b(kwargs: dict[str, Any], types: dict[str, str]) -> str | None:
    a, b = kwargs.get("column_A"), kwargs.get("column_B")
    kind = _kind(types.get(a, ""))
    if kind not in ("numeric", "temporal") or _kind(types.get(b, "")) != kind:
        return None
    # mixed numeric types compare as doubles in DuckDB but exactly in pandas: widen to `<=`
    exact = types[a] == types[b] or kind == "temporal"
    operator = "<" if kwargs.get("or_equal") and exact else "<="
    fails = f"{quote(a)} {operator} {quote(b)}"
    if kwargs.get("ignore_row_if") == "either_value_is_missing":
        return fails  # a comparison with NULL is not true: rows with a gap stay out
    # other modes judge rows with one value missing: fetch them all
    return f"({fails} or {_missing(a, types[a])} or {_missing(b, types[b])})"


def may_fail(e: Expectation, types: dict[str, str], parameters: dict[str, Any]) -> str | None:
    """A SQL condition true for every row of the table that `e` could count as unexpected,
    or None where it is not translated (then every row must be validated).

    `types` maps the table's columns to DuckDB type names; `parameters` are the values of
    the suite's `$PARAMETER`s for this run.
    """
    if not e.row_wise or e.kwargs.get("row_condition"):
        return None
    if not e.parameters() <= parameters.keys():
        return None
    kwargs = resolve(e.kwargs, parameters)
    column = kwargs.get("column")
    if column is not None and column not in types:
        return None
    if e.type == "expect_column_values_to_not_be_null":
        return _missing(column, types[column])
    if e.type == "expect_column_values_to_be_between":
        return _between(kwargs, types)
    if e.type == "expect_column_values_to_be_in_set":
        return _in_set(kwargs, types)
    if e.type == "expect_column_pair_values_a_to_be_greater_than_b":
        return _a_greater_than_b(kwargs, types)
    return None
