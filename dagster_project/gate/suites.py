"""Reading a gate suite file: a Great Expectations 1.x suite plus a few Leitstand hints.

A suite file in `expectations/` is plain GX suite JSON (`name`, `expectations`, `meta`), so
it can be reviewed, diffed and loaded by GX itself. Leitstand reads these optional hints:

- suite `meta.leitstand.profiles`: named SQL queries whose (small) results are validated
  instead of the table, for rules that span rows (e.g. "every KPI has a root row in its
  latest month"); an expectation picks one with `meta.batch`;
- suite `meta.leitstand.parameters`: named SQL queries for `{"$PARAMETER": name}` values,
  `{"list": sql}` (first column as a list) or `{"value": sql}` (one value); `today` and
  `now` are always there;
- suite `meta.leitstand.example_columns`: columns that locate a failing row in messages
  (default: the lineage columns `_file_name`, `_row_number` where the table has them);
- expectation `description` (why the rule exists, shown in messages), `meta.name` (the
  check name), `meta.fix` (how to fix it, one sentence) and
  `meta.sensitive` (never print values, only where the rows are);
- suite `meta.leitstand.suspect_rows`: names of profiles that select the rows of the table
  itself that may fail (e.g. the rows whose key is empty or repeated). Validating those
  instead of the whole table gives the same failures without copying millions of keys into
  pandas (GX turns them into Python objects: 14 s and 3.6 GB for 10 M order ids); counts
  are reported against the table's row count and rows located by file and row number.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

TABLE_BATCH = "table"
COLUMN_KWARGS = ("column", "column_A", "column_B")
COLUMN_LIST_KWARGS = ("column_list",)
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# Expectation types whose verdict on a row does not depend on any other row: their results
# over parts of a table add up to the result over the table (without `mostly`, a share).
ROW_WISE = frozenset(
    {
        "expect_column_values_to_not_be_null",
        "expect_column_values_to_be_null",
        "expect_column_values_to_be_between",
        "expect_column_values_to_be_in_set",
        "expect_column_values_to_not_be_in_set",
        "expect_column_values_to_match_regex",
        "expect_column_values_to_not_match_regex",
        "expect_column_pair_values_a_to_be_greater_than_b",
        "expect_column_pair_values_to_be_equal",
        "expect_column_pair_values_to_be_in_set",
    }
)


class SuiteFileError(ValueError):
    """A suite file that cannot be used; the message names the file and what is wrong."""


@dataclass(frozen=True)
class Expectation:
    """One expectation of a suite, with the names Leitstand reports it under."""

    index: int
    config: dict[str, Any]
    check_name: str
    batch: str
    fix: str | None
    sensitive: bool
    description: str | None = None

    @property
    def type(self) -> str:
        return self.config["type"]

    @property
    def kwargs(self) -> dict[str, Any]:
        return self.config.get("kwargs", {})

    @property
    def row_wise(self) -> bool:
        """Judges each row on its own (results over parts of a table add up)."""
        return self.type in ROW_WISE and self.kwargs.get("mostly") is None

    def columns(self) -> list[str]:
        """Columns this expectation reads, including those of its row condition."""
        cols = [self.kwargs[k] for k in COLUMN_KWARGS if self.kwargs.get(k)]
        for k in COLUMN_LIST_KWARGS:
            cols += list(self.kwargs.get(k) or [])
        return cols

    def condition_identifiers(self) -> set[str]:
        """Columns (or, for string conditions, words) of the row condition: fetched too."""
        return condition_columns(self.kwargs.get("row_condition"))

    def parameters(self) -> set[str]:
        """Names used as `{"$PARAMETER": name}` in the kwargs."""
        return {
            v["$PARAMETER"]
            for v in self.kwargs.values()
            if isinstance(v, dict) and "$PARAMETER" in v
        }


@dataclass(frozen=True)
class Suite:
    """A suite file, ready to run against the table it is named after."""

    path: Path
    table: str
    expectations: list[Expectation]
    profiles: dict[str, str] = field(default_factory=dict)
    parameters: dict[str, dict[str, str]] = field(default_factory=dict)
    example_columns: list[str] | None = None
    suspect_rows: frozenset[str] = frozenset()

    def batches(self) -> dict[str, list[Expectation]]:
        out: dict[str, list[Expectation]] = {}
        for e in self.expectations:
            out.setdefault(e.batch, []).append(e)
        return out


def condition_columns(condition: Any) -> set[str]:
    """Column names in a GX 1.x row condition: a Condition dict (nested for and/or) or a
    legacy pandas string (then every identifier; callers keep those that are columns)."""
    if isinstance(condition, str):
        without_strings = re.sub(r"'[^']*'|\"[^\"]*\"", " ", condition)
        return set(_IDENTIFIER.findall(without_strings))
    found: set[str] = set()
    if isinstance(condition, dict):
        column = condition.get("column")
        if isinstance(column, dict) and column.get("name"):
            found.add(column["name"])
        for part in condition.get("conditions") or []:
            found |= condition_columns(part)
    return found


def condition_text(condition: Any) -> str:
    """A row condition as a reader writes it: `status in ['won', 'lost']`."""
    if isinstance(condition, str) or not condition:
        return condition or ""
    if "conditions" in condition:
        joiner = " and " if str(condition.get("type", "")).lower() == "and" else " or "
        return "(" + joiner.join(condition_text(c) for c in condition["conditions"]) + ")"
    column = (condition.get("column") or {}).get("name", "?")
    operator = str(condition.get("operator", "")).lower()
    if "parameter" not in condition:
        return f"{column} {operator}".strip()
    return f"{column} {operator} {condition['parameter']!r}"


def default_check_name(config: dict[str, Any]) -> str:
    """`expect_column_values_to_be_between` on `net_amount` → `values_to_be_between(net_amount)`."""
    kind = config["type"].removeprefix("expect_")
    kwargs = config.get("kwargs", {})
    cols = [kwargs[k] for k in COLUMN_KWARGS if kwargs.get(k)] + list(
        kwargs.get("column_list") or []
    )
    return f"{kind}({', '.join(cols)})" if cols else kind


def load_suite(path: str | Path) -> Suite:
    """Parse a suite file; raise `SuiteFileError` naming the file and the problem."""
    path = Path(path)
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as e:
        raise SuiteFileError(f"suite file {path}: cannot be read as JSON ({e})") from e
    table = doc.get("name") or path.name.removesuffix(".json")
    if "." not in table:
        raise SuiteFileError(f"suite file {path}: name {table!r} must be '<schema>.<table>'")
    hints = (doc.get("meta") or {}).get("leitstand") or {}
    profiles = dict(hints.get("profiles") or {})
    suspect_rows = frozenset(hints.get("suspect_rows") or [])
    if not suspect_rows <= profiles.keys():
        raise SuiteFileError(
            f"suite file {path}: meta.leitstand.suspect_rows names "
            f"{sorted(suspect_rows - profiles.keys())}, which are not in "
            f"meta.leitstand.profiles ({sorted(profiles) or 'none defined'})"
        )
    expectations: list[Expectation] = []
    seen: dict[str, int] = {}
    for i, config in enumerate(doc.get("expectations") or []):
        if "type" not in config:
            raise SuiteFileError(f"suite file {path}: expectation #{i + 1} has no 'type'")
        meta = config.get("meta") or {}
        batch = meta.get("batch", TABLE_BATCH)
        if batch != TABLE_BATCH and batch not in profiles:
            raise SuiteFileError(
                f"suite file {path}: expectation #{i + 1} uses batch {batch!r}, which is not "
                f"in meta.leitstand.profiles ({sorted(profiles) or 'none defined'})"
            )
        if batch in suspect_rows and (config.get("kwargs") or {}).get("mostly") is not None:
            raise SuiteFileError(
                f"suite file {path}: expectation #{i + 1} uses 'mostly' on the suspect rows "
                f"{batch!r}; a share of those rows is no share of the table — check it on "
                f"the table"
            )
        name = meta.get("name") or default_check_name(config)
        seen[name] = seen.get(name, 0) + 1
        if seen[name] > 1:
            name = f"{name}#{seen[name]}"
        expectations.append(
            Expectation(
                index=i,
                config=config,
                check_name=name,
                batch=batch,
                fix=meta.get("fix"),
                sensitive=bool(meta.get("sensitive", False)),
                description=config.get("description"),
            )
        )
    return Suite(
        path=path,
        table=table,
        expectations=expectations,
        profiles=profiles,
        parameters=dict(hints.get("parameters") or {}),
        example_columns=hints.get("example_columns"),
        suspect_rows=suspect_rows,
    )
