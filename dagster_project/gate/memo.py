"""What the gate remembers of its last validation of each raw table and mart, so a re-run
checks only what changed.

`raw.<source>` is a function of its state fingerprint (`meta.raw_state`, written by the
ingest: its files, the contracts, the tables it refers to). So, per rule of a suite:

- **kept**: the table's state, the rule (and the code that judges it) and the values of its
  parameters are those of the last validation, on the same day if the rule reads `today`
  or `now` → that validation's result, without reading the table;
- **carried**: a rule that judges each row on its own passed with no failing row last time.
  Those rows still pass, so when files were only merged in since (the state records the
  one before and the files), only the rows of those files are validated, and the counts
  are reported against the whole table. Likewise a key rule (unique, not empty) that no
  row failed: only the rows sharing a key with the merged rows are validated (a daily
  export's keys looked up in 10 M orders, instead of grouping them all). The same holds on
  a later day for rules that use `today`/`now` only as the latest allowed value: a date
  that was not in the future yesterday is not in the future today. Rules with a row
  condition or a `mostly` share are never carried (their counts are not those of the
  rows);
- everything else is validated as usual.

A mart has no ingest state; dbt builds it again whenever one of its inputs changed, often
to the same rows (a daily export of orders leaves the maturity, the tools and the projects
as they were). Its state is its content (`content_state`): a verdict on the same rows stays
true, so the rules of an unchanged mart are kept, and a changed mart is validated whole
(there are no merged files to carry a verdict to).

Profiles other than `suspect_rows` may read other tables, so their rules are always
validated. The memory is one row per (table, rule) in `meta.gate_memo` of the build
database, replaced at every validation, blocked runs included: a verdict on a table state
is true whatever else the run found. Deleting the build database forgets it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import duckdb

from dagster_project.core.db import split_name, table_column_types
from dagster_project.gate.results import GateResult
from dagster_project.gate.suites import TABLE_BATCH, Expectation, Suite

TODAY_PARAMETERS = frozenset({"today", "now"})
MEMO_DDL = """
create schema if not exists meta;
create table if not exists meta.gate_memo (
    table_name varchar, check_name varchar, state varchar, rule_hash varchar,
    parameters varchar, today date, table_rows bigint, clean boolean, result varchar
);
"""
# Rules on a table's key. When none of its rows failed one, a repeated or empty key can
# only involve an added row: the rows sharing a key with the added rows are all it needs
# to see again (gx_runner.py `_rows_sharing_keys`).
KEY_RULES = frozenset(
    {
        "expect_column_values_to_be_unique",
        "expect_compound_columns_to_be_unique",
        "expect_column_values_to_not_be_null",
    }
)
# The code that turns a rule into a result: when it changes, nothing remembered is kept.
_JUDGING_CODE = ("gx_runner.py", "describe.py", "suites.py", "memo.py")


@dataclass(frozen=True)
class TableState:
    """`meta.raw_state` of one raw table: what it was built from, and what was merged in."""

    fingerprint: str
    merged_from: str | None = None
    merged_files: tuple[str, ...] = ()


@dataclass(frozen=True)
class Remembered:
    """One rule's last validation of a table."""

    state: str
    rule_hash: str
    parameters: str
    today: dt.date
    table_rows: int
    clean: bool  # judged row by row, no failing row: may be carried to added rows
    result: GateResult


@cache
def _code_hash() -> str:
    here = Path(__file__).parent
    digest = hashlib.sha256()
    for name in _JUDGING_CODE:
        digest.update((here / name).read_bytes())
    try:
        from importlib.metadata import version

        digest.update(version("great_expectations").encode())
    except Exception:  # noqa: BLE001 - without a version the code hash still holds
        pass
    return digest.hexdigest()


def rule_hash(suite: Suite, e: Expectation) -> str:
    """The rule as written (and its profile's SQL), and the code that judges it."""
    text = json.dumps(e.config, sort_keys=True, default=str)
    profile = suite.profiles.get(e.batch, "") if e.batch != TABLE_BATCH else ""
    return hashlib.sha256(f"{_code_hash()}|{e.batch}|{profile}|{text}".encode()).hexdigest()


def parameter_text(e: Expectation, parameters: dict[str, Any]) -> str:
    """The values of the rule's parameters other than `today`/`now`, comparable as text
    (lists as sets: a query's rows come in no fixed order)."""
    used = {}
    for name in sorted(e.parameters() - TODAY_PARAMETERS):
        value = parameters.get(name)
        used[name] = sorted(value, key=repr) if isinstance(value, list) else value
    return json.dumps(used, sort_keys=True, default=str)


def uses_today(e: Expectation) -> bool:
    return bool(e.parameters() & TODAY_PARAMETERS)


def carriable(suite: Suite, e: Expectation) -> bool:
    """Whether a clean verdict on some rows stays true for them as rows are added and days
    pass: a row-by-row rule on the table, no row condition, `today`/`now` only as the
    latest allowed value; or a key rule on the suspect rows (see `KEY_RULES`)."""
    if e.kwargs.get("row_condition") or e.kwargs.get("mostly") is not None:
        return False
    if e.batch in suite.suspect_rows:
        return e.type in KEY_RULES
    if e.batch != TABLE_BATCH or not e.row_wise:
        return False
    return all(
        key == "max_value"
        for key, value in e.kwargs.items()
        if isinstance(value, dict) and value.get("$PARAMETER") in TODAY_PARAMETERS
    )


def table_state(con: duckdb.DuckDBPyConnection, table: str) -> TableState | None:
    """The recorded state of a raw table (None when none is recorded); any other table's
    content (`content_state`)."""
    schema, name = split_name(table)
    if schema != "raw":
        return content_state(con, table)
    try:
        rows = con.execute(
            "select fingerprint, merged_from, merged_files from meta.raw_state where source = ?",
            [name],
        ).fetchall()
    except duckdb.Error:  # no ingest state in this database (or one from an older version)
        return None
    if len(rows) != 1 or not rows[0][0]:
        return None
    fingerprint, merged_from, merged_files = rows[0]
    return TableState(fingerprint, merged_from, tuple(merged_files or ()))


def content_state(con: duckdb.DuckDBPyConnection, table: str) -> TableState:
    """A table's columns (names and types) and rows, as a fingerprint that ignores the rows'
    order: two sums of a 64-bit hash of each row. A mart's few thousand rows take 1-4 ms."""
    columns = list(table_column_types(con, table).items())
    rows, first, second = con.execute(
        f"select count(*), sum(hash(t))::varchar, sum(hash(t, 'leitstand'))::varchar "
        f"from {table} t"
    ).fetchone()
    text = json.dumps([columns, rows, first, second])
    return TableState(hashlib.sha256(text.encode()).hexdigest())


@dataclass
class Memo:
    """The remembered verdicts of one table, and the new ones of this validation."""

    table: str
    state: TableState
    today: dt.date
    table_rows: int
    earlier: dict[str, Remembered]
    new: list[list[Any]] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=lambda: {"kept": 0, "carried": 0, "checked": 0})
    files_checked: set[str] = field(default_factory=set)

    @classmethod
    def open(cls, con: duckdb.DuckDBPyConnection, table: str, today: dt.date) -> Memo | None:
        state = table_state(con, table)
        if state is None:
            return None
        con.execute(MEMO_DDL)
        rows = con.execute(
            "select check_name, state, rule_hash, parameters, today, table_rows, clean, result "
            "from meta.gate_memo where table_name = ?",
            [table],
        ).fetchall()
        earlier = {
            name: Remembered(state_, rh, params, day, n, clean, GateResult.from_dict(json.loads(r)))
            for name, state_, rh, params, day, n, clean, r in rows
        }
        table_rows = con.execute(f"select count(*) from {table}").fetchall()[0][0]
        return cls(table, state, today, int(table_rows), earlier)

    def _matching(self, suite: Suite, e: Expectation, parameters: dict[str, Any]):
        m = self.earlier.get(e.check_name)
        if m is None or m.rule_hash != rule_hash(suite, e):
            return None
        return m if m.parameters == parameter_text(e, parameters) else None

    def kept(self, suite: Suite, e: Expectation, parameters: dict[str, Any]) -> Remembered | None:
        """The last validation, if nothing its result depends on changed since."""
        if e.batch != TABLE_BATCH and e.batch not in suite.suspect_rows:
            return None  # a profile may read other tables
        m = self._matching(suite, e, parameters)
        if m is None or m.state != self.state.fingerprint or m.table_rows != self.table_rows:
            return None
        if uses_today(e) and m.today != self.today:
            return None
        return m

    def carried_files(
        self, suite: Suite, e: Expectation, parameters: dict[str, Any]
    ) -> tuple[str, ...] | None:
        """Files whose rows alone need validating (none: the table is unchanged), or None
        when the rule must see the whole table."""
        if not carriable(suite, e):
            return None
        m = self._matching(suite, e, parameters)
        if m is None or not m.clean or m.today > self.today:
            return None
        if m.state == self.state.fingerprint and m.table_rows == self.table_rows:
            return ()
        if m.state == self.state.merged_from and self.state.merged_files:
            return self.state.merged_files
        return None

    def remember(
        self,
        suite: Suite,
        e: Expectation,
        parameters: dict[str, Any],
        result: GateResult,
        unexpected: int | None,
    ) -> None:
        """Note this validation's result; `unexpected`: its failing rows, if it counts rows."""
        clean = carriable(suite, e) and result.passed and unexpected == 0
        self.new.append(
            [
                self.table,
                e.check_name,
                self.state.fingerprint,
                rule_hash(suite, e),
                parameter_text(e, parameters),
                self.today,
                self.table_rows,
                clean,
                json.dumps(result.to_dict(), ensure_ascii=False),
            ]
        )

    def tally(self, kept: int, carried: int, checked: int, files: set[str]) -> None:
        """Count how a batch's rules were judged (for the run log)."""
        self.counts["kept"] += kept
        self.counts["carried"] += carried
        self.counts["checked"] += checked
        self.files_checked |= files

    def summary(self) -> str:
        """`14 rule(s) kept from the last validation, 0 checked on …` for the run log."""
        c = self.counts
        return (
            f"{c['kept']} rule(s) kept from the last validation, {c['carried']} checked on "
            f"the rows of {len(self.files_checked)} merged file(s) only, {c['checked']} "
            f"checked on the table"
        )

    def save(self, con: duckdb.DuckDBPyConnection) -> None:
        """Replace the table's remembered verdicts by this validation's."""
        con.execute("begin transaction")
        try:
            con.execute("delete from meta.gate_memo where table_name = ?", [self.table])
            if self.new:
                con.executemany(
                    "insert into meta.gate_memo values (?, ?, ?, ?, ?, ?, ?, ?, ?)", self.new
                )
            con.execute("commit")
        except Exception:
            con.execute("rollback")
            raise
