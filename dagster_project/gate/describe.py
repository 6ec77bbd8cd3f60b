"""Turn a Great Expectations result into the sentence an analyst reads.

GX reports counts and a few unexpected values; the analyst needs what is wrong, where
(table, column, and for raw rows the file and row number) and how to fix it, in one line.
"""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from dagster_project.gate.suites import Expectation, condition_text

MAX_EXAMPLES = 3
_SET_PREVIEW = 6


def show(value: Any) -> str:
    """A value as the analyst would type it: dates ISO, whole floats without `.0`."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "empty"
    if isinstance(value, np.datetime64):
        return "empty" if np.isnat(value) else show(pd.Timestamp(value))
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ", timespec="seconds").removesuffix(" 00:00:00")
    if isinstance(value, dt.date):
        return value.isoformat()
    if hasattr(value, "isoformat") and hasattr(value, "to_pydatetime"):  # pandas Timestamp
        return show(value.to_pydatetime())
    if isinstance(value, Decimal):
        value = float(value)
    if hasattr(value, "item") and not isinstance(value, str):  # numpy scalar
        value = value.item()
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else f"{value:g}"
    if isinstance(value, tuple):
        return "(" + ", ".join(show(v) for v in value) + ")"
    return repr(value) if isinstance(value, str) else str(value)


def percent(part: float, whole: float) -> str:
    if not whole:
        return "0 %"
    share = 100.0 * part / whole
    return f"{share:.2g} %" if share < 1 else f"{share:.1f} %".replace(".0 %", " %")


def _value_set(values: Any) -> str:
    values = list(values or [])
    shown = ", ".join(show(v) for v in values[:_SET_PREVIEW])
    more = f", … ({len(values)} values)" if len(values) > _SET_PREVIEW else ""
    return "{" + shown + more + "}"


def _bound(value: Any) -> str:
    return value if isinstance(value, str) else show(value)


def _range(kwargs: dict[str, Any], x: str = "x") -> str:
    lo, hi = kwargs.get("min_value"), kwargs.get("max_value")
    strict_lo = "<" if kwargs.get("strict_min") else "≤"
    strict_hi = "<" if kwargs.get("strict_max") else "≤"
    if lo is not None and hi is not None:
        return f"{_bound(lo)} {strict_lo} {x} {strict_hi} {_bound(hi)}"
    if lo is not None:
        return f"{x} {'>' if kwargs.get('strict_min') else '≥'} {_bound(lo)}"
    if hi is not None:
        return f"{x} {strict_hi} {_bound(hi)}"
    return "any value"


def resolve(kwargs: dict[str, Any], parameters: dict[str, Any]) -> dict[str, Any]:
    """kwargs with `{"$PARAMETER": name}` replaced by the value the run used."""
    out = {}
    for key, value in kwargs.items():
        if isinstance(value, dict) and "$PARAMETER" in value:
            value = parameters.get(value["$PARAMETER"], value["$PARAMETER"])
        out[key] = value
    return out


def expected_text(expectation: Expectation, parameters: dict[str, Any] | None = None) -> str:
    """What the expectation wants, in words (used as `threshold` and in messages)."""
    kw = resolve(expectation.kwargs, parameters or {})
    kind = expectation.type
    if kind == "expect_column_values_to_be_between":
        text = _range(kw, kw.get("column", "x"))
    elif kind in (
        "expect_column_values_to_be_in_set",
        "expect_column_distinct_values_to_be_in_set",
    ):
        text = f"in {_value_set(kw.get('value_set'))}"
    elif kind == "expect_column_values_to_not_be_in_set":
        text = f"not in {_value_set(kw.get('value_set'))}"
    elif kind == "expect_column_values_to_not_be_null":
        text = "not empty"
    elif kind == "expect_column_values_to_be_null":
        text = "empty"
    elif kind in ("expect_column_values_to_be_unique", "expect_compound_columns_to_be_unique"):
        text = "unique"
    elif kind == "expect_column_values_to_match_regex":
        text = f"matching {kw.get('regex')!r}"
    elif kind == "expect_column_pair_values_a_to_be_greater_than_b":
        op = "≥" if kw.get("or_equal") else ">"
        text = f"{kw.get('column_A')} {op} {kw.get('column_B')}"
    elif kind.startswith("expect_column_") and ("min_value" in kw or "max_value" in kw):
        stat = kind.removeprefix("expect_column_").split("_to_")[0]
        text = _range(kw, f"{stat}({kw.get('column')})")
    elif kind == "expect_table_row_count_to_be_between":
        text = _range(kw, "row count")
    elif kind == "expect_table_columns_to_match_set":
        text = f"columns {_value_set(kw.get('column_set'))}"
    else:
        text = kind.removeprefix("expect_").replace("_", " ")
    mostly = kw.get("mostly")
    if mostly is not None and mostly < 1:
        text += f" (for at least {show(mostly * 100)} % of rows)"
    condition = condition_text(kw.get("row_condition"))
    if condition:
        text += f" where {condition}"
    return text


class Location(NamedTuple):
    """Where a failing row is, as a message names it (`b.csv row 9`), and its place in
    file and row order (`("b.csv", 9)`: row 9 before row 10)."""

    text: str
    order: tuple[str, int]


def _by_location(
    examples: list[tuple[Any, Location | None]],
) -> list[tuple[Any, Location | None]]:
    """The examples in file and row order.

    A raw table's rows come in no promised order (ingest/store.py), so the failing rows GX
    lists do neither; sorted, a message reads the same on every run as long as GX lists
    every failing row (up to its 20 examples).
    """
    if not examples or not all(where for _, where in examples):
        return examples
    return sorted(examples, key=lambda example: example[1].order)


def _examples(
    result: dict[str, Any], locations: dict[int, Location], sensitive: bool
) -> str:
    """`e.g. -12 (orders_2026-10.csv row 17), 2027-01-03 (…)`, or only locations if sensitive."""
    indices = list(result.get("partial_unexpected_index_list") or [])
    values = list(result.get("partial_unexpected_list") or [])
    examples = _by_location([
        (value, locations.get(indices[i]) if i < len(indices) else None)
        for i, value in enumerate(values)
    ])
    parts: list[str] = []
    for value, where in examples[: MAX_EXAMPLES * 4]:
        if sensitive:
            if where:
                parts.append(where.text)
        else:
            parts.append(f"{show(value)} ({where.text})" if where else show(value))
        if len(parts) == MAX_EXAMPLES:
            break
    if not parts and not sensitive:
        counts = result.get("partial_unexpected_counts") or []
        parts = [f"{show(c['value'])} ({c['count']}×)" for c in counts[:MAX_EXAMPLES]]
    if not parts:
        return ""
    return ("at " if sensitive else "e.g. ") + ", ".join(parts)


def describe(
    table: str,
    expectation: Expectation,
    success: bool,
    result: dict[str, Any],
    locations: dict[int, Location],
    default_fix: str,
    parameters: dict[str, Any] | None = None,
) -> tuple[str, str, str]:
    """(observed, threshold, message) for one expectation result."""
    threshold = expected_text(expectation, parameters)
    cols = expectation.columns()
    where = (
        f"{table}.{cols[0]}"
        if len(cols) == 1
        else (f"{table} ({', '.join(cols)})" if cols else table)
    )
    why = f" ({expectation.description})" if expectation.description else ""
    if "unexpected_count" in result:
        bad, total = int(result.get("unexpected_count") or 0), int(result.get("element_count") or 0)
        observed = f"{bad} of {total} rows ({percent(bad, total)})"
        if success:
            return (
                observed,
                threshold,
                f"{where}: {observed} fail «{threshold}», within the allowed share",
            )
        examples = _examples(result, locations, expectation.sensitive)
        what = f"{where}: {observed} fail «{threshold}»{why}"
        message = f"{what}; {examples}" if examples else what
    else:
        value = result.get("observed_value")
        observed = "hidden (privacy)" if expectation.sensitive else show(value)
        if success:
            return observed, threshold, f"{where}: «{threshold}» holds (observed {observed})"
        message = f"{where}: «{threshold}» fails{why}, observed {observed}"
    fix = expectation.fix or default_fix
    return observed, threshold, f"{message}. Fix: {fix}" if fix else message
