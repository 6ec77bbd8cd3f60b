"""Which months the incremental models recompute, or that they are rebuilt whole.

The big per-order, per-interaction and per-usage aggregates are dbt `incremental` models
partitioned by month (dbt/macros/increment.sql): on a re-run they delete and insert only
the months written to `meta.dbt_increment`. That is right only when the one thing that
changed since the last build is rows *added* to their source, so this module decides from
the data, never from the clock:

- the source's change since the last build must be one merge of new files by the ingest
  (`meta.raw_state.merged_from` is the state the last build recorded, ingest/store.py);
  a file replaced or removed, master data or rules changed, a second merge in between:
  none of that is a merge from the last build's state, and the models are rebuilt whole
  (`--full-refresh`) — safe over clever;
- every other input of such a model must be unchanged (nothing else upstream of it
  changed, nor does it depend on the run's date);
- the months are those of the new files' rows and of every stored row with the same key
  (a new row may replace an older one of another month), plus the months the new rows
  add to the span of order months (a model's month grid runs from the first to the last
  one). A row without a month makes the models rebuild whole.

A rolling window (the repeat customer rate's 12 months) extends the months itself, in its
model. `LEITSTAND_DBT_INCREMENTAL=0` switches this off: every build is then a full one.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import duckdb

from dagster_project.core.db import table_exists
from dagster_project.ingest.contracts import contract

SWITCH_ENV = "LEITSTAND_DBT_INCREMENTAL"
# model config `meta` key naming the raw table whose added rows a model is incremental by
META_KEY = "leitstand_increment_by"
# the raw column whose calendar month partitions the models incremental by that source
MONTH_COLUMNS = {"erp_orders": "order_date", "crm_interactions": "occurred_at",
                 "it_usage": "activity_date"}
_TABLE = """
create schema if not exists meta;
create table if not exists meta.dbt_increment (source varchar, month date);
"""


@dataclass(frozen=True)
class Increment:
    """Months to recompute per source; `months` None: the incremental models built in this
    run are rebuilt whole (`reason` says why)."""

    months: Mapping[str, tuple[dt.date, ...]] | None
    reason: str


def enabled() -> bool:
    return os.environ.get(SWITCH_ENV, "1").strip().lower() not in ("0", "false", "no", "off")


def incremental_models(manifest: Mapping[str, Any]) -> dict[str, str | None]:
    """Unique id → the source it is incremental by, for every `incremental` model."""
    return {
        uid: (node.get("config", {}).get("meta") or {}).get(META_KEY)
        for uid, node in manifest.get("nodes", {}).items()
        if node.get("config", {}).get("materialized") == "incremental"
    }


def ancestors(manifest: Mapping[str, Any], uid: str) -> set[str]:
    parents = manifest.get("parent_map", {})
    found: set[str] = set()
    todo = list(parents.get(uid, []))
    while todo:
        node = todo.pop()
        if node not in found:
            found.add(node)
            todo.extend(parents.get(node, []))
    return found


def plan_increment(con: duckdb.DuckDBPyConnection, manifest: Mapping[str, Any],
                   stale: Iterable[str], roots: Iterable[str],
                   last_state: Mapping[str, str]) -> Increment:
    """The increment of a build that rebuilds `stale` because of `roots` (changed raw
    sources and run-date models), after a build made from `last_state`."""
    if not enabled():
        return Increment(None, f"{SWITCH_ENV} is off")
    stale, roots = set(stale), set(roots)
    sources = manifest.get("sources", {})
    months: dict[str, tuple[dt.date, ...]] = {}
    for uid, by in sorted(incremental_models(manifest).items()):
        if uid not in stale:
            continue
        name = manifest["nodes"][uid]["name"]
        for root in sorted(ancestors(manifest, uid) & roots):
            changed = sources.get(root, {}).get("name")
            if changed is None or changed != by:
                what = changed or manifest["nodes"].get(root, {}).get("name", root)
                return Increment(None, f"{name} reads {what}, which changed otherwise than "
                                       f"by rows added to {by}")
            if changed not in months:
                found = added_months(con, changed, last_state.get(changed))
                if isinstance(found, str):
                    return Increment(None, f"{name}: {found}")
                months[changed] = found
    shown = ", ".join(f"{s}: {len(m)} month(s)" for s, m in sorted(months.items()))
    return Increment(months, f"rows added ({shown})" if months else "nothing to add")


def added_months(con: duckdb.DuckDBPyConnection, source: str,
                 last_state: str | None) -> tuple[dt.date, ...] | str:
    """The months to recompute after the ingest merged new files into `raw.<source>`, or
    why the models must be rebuilt whole instead."""
    column = MONTH_COLUMNS.get(source)
    if column is None:
        return f"{source} has no month column to recompute by"
    if not table_exists(con, "meta.raw_state"):
        return "no ingest state"
    row = con.execute("select merged_from, merged_files from meta.raw_state where source = ?",
                      [source]).fetchall()
    if len(row) != 1 or not row[0][1] or last_state is None or row[0][0] != last_state:
        return (f"raw.{source} changed since the last build otherwise than by one merge "
                "of new files (a file replaced or removed, or rules or master data changed)")
    files = list(row[0][1])
    key = contract(source).key
    keys = ", ".join(_q(k) for k in key)
    stored = (f"(select {keys}, {_q(column)}, _file_name from raw_files.{_q(source)} union all "
              f"select {keys}, {_q(column)}, _file_name from raw_held.{_q(source)})")
    month = f"cast(date_trunc('month', {_q(column)}) as date)"
    touched = [m for (m,) in con.execute(f"""
        with new_keys as (
            select distinct {keys} from {stored} where list_contains(?, _file_name)
        )
        select {month} from {stored} where list_contains(?, _file_name)
        union
        select {month} from {stored} semi join new_keys using ({keys})
    """, [files, files]).fetchall()]
    if not touched or any(m is None for m in touched):
        return f"a new row of raw.{source} has no {column}"
    first, last = con.execute(f"""
        select min({month}), max({month}) from raw_files.{_q(source)}
        where not list_contains(?, _file_name)
    """, [files]).fetchone()
    # the month grid spans the first to the last month: months it gains are recomputed too
    low, high = min(touched), max(touched)
    grid = _span(low, high)  # no earlier row: every month of the new span
    if first is not None:
        grid = [m for m in _span(min(first, low), max(last, high)) if m < first or m > last]
    return tuple(sorted(set(touched) | set(grid)))


def _span(low: dt.date, high: dt.date) -> list[dt.date]:
    """The month starts from `low` to `high`, both included."""
    return [low, *_months_between(low, high), high] if low < high else [low]


def _months_between(low: dt.date, high: dt.date) -> list[dt.date]:
    """The first days of the months strictly between `low` and `high` (month starts)."""
    out, year, month = [], low.year, low.month
    while True:
        month += 1
        if month > 12:
            year, month = year + 1, 1
        current = dt.date(year, month, 1)
        if current >= high:
            return out
        out.append(current)


def write_increment(con: duckdb.DuckDBPyConnection, increment: Increment | None) -> None:
    """`meta.dbt_increment` for this build (empty when nothing is recomputed by month)."""
    con.execute(_TABLE)
    con.execute("delete from meta.dbt_increment")
    rows = [(source, month) for source, months in sorted(
        ((increment.months or {}) if increment else {}).items()) for month in months]
    if rows:
        con.executemany("insert into meta.dbt_increment values (?, ?)", rows)


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'
