"""Where loaded files live, and how `raw.<source>` is made of them on every run.

- `meta.loaded_files`: the registry, one row per file currently represented (name, content
  hash, the context it was parsed under, counts, dropped columns).
- `raw_files.<source>` and `raw_held.<source>`: the parsed rows of every registered file,
  so that an unchanged file is never read again, each written once: in `raw_files` the
  rows `raw.<source>` shows, in `raw_held` those held back — rows with a problem (bad
  rows carry `_problem_*`) or an unresolved reference, and rows a later row of the same
  business key replaces (the later file wins). A row carries its file name and row
  number; the rest of its lineage (content hash, load id and time) is the file's, joined
  from the registry (`_file_joined`): written per row, these constants made a full run at
  scale 480 ~1.0 s slower than the join costs it. A row also carries its verdicts against
  the tables it refers to (`_q_*`, the org units resolved), checked as it is stored and
  checked again when those tables change (`_current_verdicts`).
- `raw.<source>`: the current state, a view of `raw_files.<source>` with the lineage and
  `_stored_row`. A view, not a table: writing 10 M order lines a second time took ~2.9 s
  of a full run. When files changed or went, or master data changed, which rows a later
  one replaces is decided anew (`rebuild_table`); when files were only added, only the
  keys they hold are looked at (`merge_files`). Its rows come in no promised order:
  whoever needs one says `order by _file_name, _row_number` (the gate's messages sort
  their examples so, gate/describe.py). Survey answers are stored whole in
  `raw_files` and `raw.survey_responses` is a table built from them (survey.py).
- `dq.quarantine`: every problem row of the current files, replaced per source on each run.
- `meta.raw_state`: the state fingerprint `raw.<source>` was built from (and, after a
  merge, the state before it and the files merged in).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import duckdb

from dagster_project.ingest.contracts import Contract, Field, contract
from dagster_project.ingest.parse import PROBLEMS_TYPE, SQL_TYPES, problem_rows, problem_text
from dagster_project.ingest.values import sql_str

LINEAGE_COLUMNS = [
    ("_source", "varchar"),
    ("_file_name", "varchar"),
    ("_file_hash", "varchar"),
    ("_row_number", "bigint"),
    ("_load_id", "varchar"),
    ("_loaded_at", "timestamp"),
]
# Lineage stored per row in `raw_files.<source>`; the other lineage columns are the file's.
STORED_LINEAGE = [("_file_name", "varchar"), ("_row_number", "bigint")]
# Column of `raw.<source>` with the row's place in `raw_files.<source>` (its rowid): how the
# gate finds the file and row of a failing row without copying the lineage columns.
STORED_ROW = "_stored_row"
PROBLEM_COLUMNS = [
    ("_problem_column", "varchar"),
    ("_problem_reason", "varchar"),
    ("_problem_value", "varchar"),
]
# Every problem of a bad row (parse.py's `_problems`) is kept beside the rows, in
# `raw_held."<source>__problems"`, for the few rows that have one: as a column of every
# stored row it made storing 2.2 M usage rows ~0.1 s slower (`problems_table`).
PROBLEM_LIST_COLUMNS = [("_file_name", "varchar"), ("_row_number", "bigint"),
                        ("_problems", PROBLEMS_TYPE)]

_SCHEMAS = """
create schema if not exists raw;
create schema if not exists raw_files;
create schema if not exists raw_held;
create schema if not exists dq;
create schema if not exists meta;
create table if not exists dq.quarantine (
    source varchar, file_name varchar, row_number bigint, column_name varchar,
    reason varchar, raw_value varchar
);
create table if not exists meta.loaded_files (
    source varchar, file_name varchar, file_hash varchar, context_hash varchar,
    load_id varchar, loaded_at timestamp, rows bigint, rows_skipped bigint,
    duplicates_collapsed bigint, dropped_columns varchar[], encoding varchar,
    delimiter varchar
);
alter table meta.loaded_files add column if not exists file_size bigint;
alter table meta.loaded_files add column if not exists file_mtime_ns bigint;
alter table meta.loaded_files add column if not exists checked_against varchar;
alter table meta.loaded_files add column if not exists rows_folded bigint;
create table if not exists meta.raw_state (source varchar, fingerprint varchar);
alter table meta.raw_state add column if not exists merged_from varchar;
alter table meta.raw_state add column if not exists merged_files varchar[];
"""


def ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def ensure_schemas(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(_SCHEMAS)


@dataclass(frozen=True)
class Registered:
    """A file as the registry remembers it."""

    file_name: str
    file_hash: str
    context_hash: str
    rows: int
    rows_skipped: int
    duplicates_collapsed: int
    dropped_columns: list[str]
    file_size: int | None = None  # as the file was when it was hashed (None: not known)
    file_mtime_ns: int | None = None
    checked_against: str | None = None  # `references_state` its stored verdicts hold for
    rows_folded: int = 0  # lines folded into the record above them (line items)

    def unchanged(self, stat: os.stat_result, context: str) -> bool:
        """The file has the size and modification time it had when it was read, and the
        rules are the same: it is not read again (not even hashed), as git and rsync decide."""
        return (self.context_hash == context and self.file_size == stat.st_size
                and self.file_mtime_ns == stat.st_mtime_ns)


def registered_files(con: duckdb.DuckDBPyConnection, source: str) -> dict[str, Registered]:
    rows = con.execute(
        "select file_name, file_hash, context_hash, rows, rows_skipped, duplicates_collapsed,"
        " dropped_columns, file_size, file_mtime_ns, checked_against, rows_folded "
        "from meta.loaded_files where source = ? order by file_name",
        [source],
    ).fetchall()
    return {r[0]: Registered(r[0], r[1], r[2], r[3], r[4], r[5], list(r[6] or []), r[7], r[8],
                             r[9], r[10] or 0)
            for r in rows}


def register_file(con: duckdb.DuckDBPyConnection, source: str, entry: Registered, load_id: str,
                  loaded_at: dt.datetime, encoding: str, delimiter: str) -> None:
    con.execute(
        "insert into meta.loaded_files (source, file_name, file_hash, context_hash, load_id, "
        "loaded_at, rows, rows_skipped, duplicates_collapsed, dropped_columns, encoding, "
        "delimiter, file_size, file_mtime_ns, checked_against, rows_folded) "
        "values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [source, entry.file_name, entry.file_hash, entry.context_hash, load_id, loaded_at,
         entry.rows, entry.rows_skipped, entry.duplicates_collapsed, entry.dropped_columns,
         encoding, delimiter, entry.file_size, entry.file_mtime_ns, entry.checked_against,
         entry.rows_folded],
    )


def remember_file_stat(con: duckdb.DuckDBPyConnection, source: str, file_name: str,
                       stat: os.stat_result) -> None:
    """A registered file hashed again with the same content (e.g. copied anew): note its
    size and modification time, so the next run need not hash it."""
    con.execute("update meta.loaded_files set file_size = ?, file_mtime_ns = ? "
                "where source = ? and file_name = ?",
                [stat.st_size, stat.st_mtime_ns, source, file_name])


def forget_files(con: duckdb.DuckDBPyConnection, source: str, file_names: list[str]) -> None:
    """Remove files and their rows (removed from the folder, changed or rejected)."""
    if not file_names:
        return
    for table in _stores(source):
        con.execute(f"delete from {table} where list_contains(?, _file_name)", [file_names])
    if not contract(source).is_survey:  # surveys keep theirs with the rows
        con.execute(f"delete from {problems_table(source)} where list_contains(?, _file_name)",
                    [file_names])
    con.execute("delete from meta.loaded_files where source = ? and list_contains(?, file_name)",
                [source, file_names])


def problems_table(source: str) -> str:
    """The table of every problem of the bad rows of `source` (see PROBLEM_LIST_COLUMNS)."""
    return f"raw_held.{ident(source + '__problems')}"


def verdict_columns(c: Contract) -> list[tuple[str, str]]:
    """Columns `checked_select` adds: the unit each org unit field resolved to and the row's
    first problem (stored with the row, except for surveys: see `store_parsed`)."""
    org = [("__org_" + f.name, "varchar") for f in c.fields if f.ref == "org_unit"]
    return org + [("_q_column", "varchar"), ("_q_reason", "varchar"), ("_q_value", "varchar")]


def store_columns(c: Contract) -> list[tuple[str, str]]:
    """Columns of `raw_files.<source>`: fields as parsed, problems, verdicts, file and row."""
    if c.is_survey:
        fields = [
            ("response_id", "varchar"), ("submitted_at", "timestamp"), ("org_unit", "varchar"),
            ("wave", "varchar"), ("question_id", "varchar"), ("answer", "double"),
        ]
        return fields + PROBLEM_COLUMNS + [("_problems", PROBLEMS_TYPE)] + STORED_LINEAGE
    fields = [(f.name, SQL_TYPES[f.type]) for f in c.fields]
    return fields + PROBLEM_COLUMNS + verdict_columns(c) + STORED_LINEAGE


# Where each lineage column of a row comes from, on alias `t` (the stored row) joined to `f`
# (its file's registry entry, `_file_joined`).
_LINEAGE_FROM = {"_file_name": "t._file_name", "_file_hash": "f.file_hash",
                 "_row_number": "t._row_number", "_load_id": "f.load_id",
                 "_loaded_at": "f.loaded_at"}


def _lineage(c: Contract, names: list[str]) -> list[str]:
    """SELECT items of the lineage columns `names` (see `_LINEAGE_FROM`)."""
    return [f"{sql_str(c.name) if n == '_source' else _LINEAGE_FROM[n]} as {ident(n)}"
            for n in names]


def _file_joined(c: Contract, rows: str, join: str = "join") -> str:
    """`rows` as `t`, each joined to its file's registry entry `f` (`join`: the kind)."""
    return (f"{rows} t {join} meta.loaded_files f "
            f"on f.source = {sql_str(c.name)} and f.file_name = t._file_name")


def stored_rows(c: Contract, where: str = "true") -> str:
    """SQL for the rows of `raw_files.<source>` (those `where` selects, on alias `t`) with
    their whole lineage: source, and the file's content hash, load id and load time."""
    shared = _lineage(c, ["_source", "_file_hash", "_load_id", "_loaded_at"])
    return (f"(select t.*, {', '.join(shared)} "
            f"from {_file_joined(c, f'raw_files.{ident(c.name)}')} where {where})")


def _stores(source: str) -> list[str]:
    """The two tables a source's stored rows are in: those of `raw.<source>`, the others."""
    return [f"raw_files.{ident(source)}", f"raw_held.{ident(source)}"]


def _all_stored(source: str, columns: str = "*") -> str:
    """SQL for `columns` of every stored row of `source`, shown or held back."""
    return "(" + " union all ".join(f"select {columns} from {t}" for t in _stores(source)) + ")"


def ensure_store(con: duckdb.DuckDBPyConnection, c: Contract) -> None:
    """Create `raw_files.<source>` and `raw_held.<source>`; when their columns changed (a
    new contract, or a store written by an earlier version), start afresh: every file is
    read again."""
    wanted = store_columns(c)
    existing = {schema: [] for schema in ("raw_files", "raw_held")}
    for schema, name, kind in con.execute(
        "select table_schema, column_name, lower(data_type) from information_schema.columns "
        "where table_schema in ('raw_files', 'raw_held') and table_name = ? "
        "order by table_schema, ordinal_position", [c.name],
    ).fetchall():
        existing[schema].append((name, kind))
    if any(columns and columns != wanted for columns in existing.values()):
        for table in _stores(c.name):
            con.execute(f"drop table if exists {table}")
        con.execute("delete from meta.loaded_files where source = ?", [c.name])
        existing = {schema: [] for schema in existing}
    cols = ", ".join(f"{ident(n)} {t}" for n, t in wanted)
    for schema, columns in existing.items():
        if not columns:
            con.execute(f"create table {schema}.{ident(c.name)} ({cols})")
    if not c.is_survey:
        listed = ", ".join(f"{ident(n)} {t}" for n, t in PROBLEM_LIST_COLUMNS)
        con.execute(f"create table if not exists {problems_table(c.name)} ({listed})")
        if not any(existing.values()):  # a store started afresh: no lists of its rows
            con.execute(f"delete from {problems_table(c.name)}")


def store_parsed(con: duckdb.DuckDBPyConnection, c: Contract, files: dict[int, str]) -> None:
    """Append temp table `_parsed` with its file names to `raw_files.<source>` (and the
    problem lists of its bad rows, `_row_problems`, to `problems_table`).

    `files`: file number (`_parsed._file`) → file name. The rows' verdicts against the
    tables they refer to, as these are now (`references_state`), are stored with them: the
    rebuild uses them while those tables stay as they are, instead of checking every row
    again (for 10 M order lines, writing the checked rows to a temp table took ~2 s).
    The rows with a problem are held back by the rebuild or merge that follows, in a
    transaction of its own: deleting rows appended in the same transaction made its commit
    write them again (~3 s for 10 M order lines). Survey answers are checked when their
    table is built (survey.py).
    """
    names = " ".join(f"when {int(n)} then {sql_str(name)}" for n, name in files.items())
    if c.is_survey:
        rows = f"(select * exclude (_file), case _file {names} end as _file_name from _parsed)"
        con.execute(f"insert into raw_files.{ident(c.name)} by name select * from {rows}")
        return
    rows = f"(select * exclude (_file), case _file {names} end as _file_name from _parsed)"
    con.execute(f"insert into raw_files.{ident(c.name)} by name "
                f"{checked_select(con, c, rows, list(c.fields))}")
    con.execute(f"insert into {problems_table(c.name)} select case _file {names} end, "
                "_row_number, _problems from _row_problems")


def _org_lookup(con: duckdb.DuckDBPyConnection) -> None:
    """Temp table `_org_lookup(k, org_unit_id)`: unit ids and names, lower-case and trimmed.

    An id beats a name when both spell the same text.
    """
    has_org = con.execute(
        "select count(*) from information_schema.tables "
        "where table_schema = 'raw' and table_name = 'org_units'"
    ).fetchall()[0][0]
    if not has_org:
        con.execute("create or replace temp table _org_lookup (k varchar, org_unit_id varchar)")
        return
    con.execute("""
        create or replace temp table _org_lookup as
        select k, arg_min(org_unit_id, priority) as org_unit_id from (
            select lower(trim(org_unit_id)) as k, org_unit_id, 1 as priority from raw.org_units
            union all
            select lower(trim(name)), org_unit_id, 2 from raw.org_units where name is not null
        ) group by k
    """)


def _reference_set(con: duckdb.DuckDBPyConnection, ref_source: str, alias: str) -> str:
    """SQL for the ids a referenced source knows: every id in its current files.

    An id counts as known when it appears in the referenced export at all (also on a row
    quarantined for another reason), so one bad HR row does not cascade into licences.
    """
    ref = contract(ref_source)
    key = ident(ref.key[0])
    exists = con.execute(  # raw_held is made with raw_files (`ensure_store`), not before
        "select count(*) from information_schema.tables "
        "where table_schema = 'raw_held' and table_name = ?", [ref_source]
    ).fetchall()[0][0]
    if not exists:
        return f"(select cast(null as varchar) as {alias} where false)"
    return (f"(select distinct {key} as {alias} from {_all_stored(ref_source, key)} "
            f"where {key} is not null)")


def check_references(con: duckdb.DuckDBPyConnection, c: Contract, table: str,
                     fields: list[Field]) -> None:
    """Temp table `_checked`: `table` plus its verdicts and all its problems (see
    `checked_select`)."""
    con.execute(f"create or replace temp table _checked as "
                f"{checked_select(con, c, table, fields, all_problems=True)}")


def checked_select(con: duckdb.DuckDBPyConnection, c: Contract, table: str,
                   fields: list[Field], all_problems: bool = False) -> str:
    """SELECT of `table` plus `_q_column/_q_reason/_q_value` (the row's first problem) and,
    with `all_problems` (then `table` has `_problems`), `_q_all` (all of them, NULL for a
    good row).

    The problems found at parse time come first; then unknown org units and ids unknown to
    the referenced source, in field order. Org units are resolved to `__org_<field>`.
    """
    _org_lookup(con)
    joins, cases = [], []
    extra_cols = []
    for i, f in enumerate(fields):
        col = ident(f.name)
        if f.ref == "org_unit":
            alias = f"o{i}"
            joins.append(f"left join _org_lookup {alias} on {alias}.k = lower(trim(t.{col}))")
            extra_cols.append(f"{alias}.org_unit_id as {ident('__org_' + f.name)}")
            cases.append((
                f"t.{col} is not null and {alias}.org_unit_id is null",
                f.name,
                f"'unknown org unit ''' || t.{col} || ''' (known: see config/org_units.csv)'",
                f"t.{col}",
            ))
        elif f.ref:
            alias = f"r{i}"
            joins.append(f"left join {_reference_set(con, f.ref, 'id')} {alias} "
                         f"on {alias}.id = t.{col}")
            label = f.name.replace("_", " ")
            cases.append((f"t.{col} is not null and {alias}.id is null", f.name,
                          sql_str(f"{label} not in {f.ref}"), f"t.{col}"))
    column = "coalesce(t._problem_column, case " + " ".join(
        f"when {cond} then {sql_str(name)}" for cond, name, _, _ in cases) + " end)"
    reason = "coalesce(t._problem_reason, case " + " ".join(
        f"when {cond} then {r}" for cond, _, r, _ in cases) + " end)"
    value = "case when t._problem_column is not null then t._problem_value " + " ".join(
        f"when {cond} then {v}" for cond, _, _, v in cases) + " end"
    if not cases:
        column, reason, value = "t._problem_column", "t._problem_reason", "t._problem_value"
    # the parse problems (the first alone where the list was not made), then the references'
    first = problem_text("t._problem_column", "t._problem_reason", "t._problem_value")
    listed = f"concat_ws(chr(30), coalesce(t._problems, {first})" + "".join(
        f", case when {cond} then {problem_text(sql_str(name), r, v)} end"
        for cond, name, r, v in cases) + ")"
    extra = "".join(", " + e for e in extra_cols)
    every = f", case when {reason} is not null then {listed} end as _q_all" \
        if all_problems else ""
    return f"""
        select t.*{extra}, {column} as _q_column, {reason} as _q_reason,
               {value} as _q_value{every}
        from {table} t {" ".join(joins)}
    """


def replace_quarantine(con: duckdb.DuckDBPyConnection, source: str, select_sql: str) -> None:
    """Replace this source's rows of `dq.quarantine` by the rows `select_sql` returns."""
    con.execute("delete from dq.quarantine where source = ?", [source])
    con.execute(f"insert into dq.quarantine {select_sql}")


def _raw_select(c: Contract) -> str:
    """The columns of `raw.<source>` from a stored row `t` joined to its file's registry
    entry `f` (`_file_joined`): org units resolved, lineage last, then `_stored_row`."""
    outputs = []
    for f in c.fields:
        if f.ref == "org_unit":
            outputs.append(f"t.{ident('__org_' + f.name)} as {ident(f.stored_name)}")
        else:
            outputs.append(f"t.{ident(f.name)}")
    lineage = _lineage(c, [n for n, _ in LINEAGE_COLUMNS])
    return ", ".join(outputs + lineage + [f"t.rowid as {STORED_ROW}"])


def _files_where(files: list[str] | None) -> str:
    """Condition on a stored row `t`: it comes from one of `files` (None: any file)."""
    if files is None:
        return "true"
    return "list_contains([" + ", ".join(sql_str(n) for n in files) + "], t._file_name)"


def _same_key(c: Contract, left: str, right: str) -> str:
    """Join condition: the rows of aliases `left` and `right` have the same business key.

    NULLs match, as in the `partition by` of `_supersede` (a key field may be optional).
    """
    return " and ".join(f"{left}.{ident(k)} is not distinct from {right}.{ident(k)}"
                        for k in c.key)


def _quarantine_select(con: duckdb.DuckDBPyConnection, c: Contract,
                       files: list[str] | None = None) -> str:
    """The problem rows of `raw_held.<source>` (of `files`, or all) as quarantine rows: one
    per problem of a row (a row with two bad columns gives two) — first the one stored with
    it, then its other problems: those found as it was read (`problems_table`) and its
    references, checked again (a few rows: the bad ones)."""
    verdicts = ", ".join(ident(n) for n, _ in verdict_columns(c))
    held = (f"(select t.* exclude ({verdicts}), t._q_column as _first_column, "
            "t._q_reason as _first_reason, t._q_value as _first_value, p._problems "
            f"from raw_held.{ident(c.name)} t left join {problems_table(c.name)} p "
            "on p._file_name = t._file_name and p._row_number = t._row_number "
            f"where t._q_reason is not null and {_files_where(files)})")
    checked = checked_select(con, c, held, list(c.fields), all_problems=True)
    return f"""
        with t as ({checked})
        select {sql_str(c.name)}, _file_name, _row_number, column_name, reason, raw_value
        from (
            select _file_name, _row_number, 0 as p_n, _first_column as column_name,
                   _first_reason as reason, _first_value as raw_value from t
            union all
            select _file_name, _row_number, p_n, p_column, p_reason, p_value
            from {problem_rows("_q_all")} where p_column is distinct from _first_column
        ) order by _file_name, _row_number, p_n
    """


def _hold_back(con: duckdb.DuckDBPyConnection, c: Contract, where: str,
               release: bool = False) -> None:
    """Move the stored rows `where` selects (on alias `t`) from `raw_files.<source>` to
    `raw_held.<source>` (`release`: from `raw_held` back to `raw_files`)."""
    origin, target = _stores(c.name)[::-1] if release else _stores(c.name)
    con.execute(f"insert into {target} select * from {origin} t where {where}")
    con.execute(f"delete from {origin} t where {where}")


def _current_verdicts(con: duckdb.DuckDBPyConnection, c: Contract, context: str,
                      files: list[str] | None = None) -> None:
    """Make the verdicts stored with the rows (of `files`, or all) hold for the tables they
    refer to as these are now (`references_state`).

    They were checked as the rows were stored; when those tables changed since (new master
    data, say), the rows are checked again and stored anew: those now good in
    `raw_files.<source>` (the caller then decides which a later row replaces), the others
    in `raw_held.<source>`.
    """
    state = references_state(con, c, context)
    stale = count(con, "select count(*) from meta.loaded_files where source = ? and "
                       "checked_against is distinct from ? and (? or list_contains(?, file_name))",
                  [c.name, state, files is None, files or []])
    if not stale:
        return
    table, held = _stores(c.name)
    where = _files_where(files)
    verdicts = ", ".join(ident(n) for n, _ in verdict_columns(c))
    rows = f"(select * exclude ({verdicts}) from {_all_stored(c.name)} t where {where})"
    columns = ", ".join(ident(n) for n, _ in store_columns(c))
    con.execute("create or replace temp table _rechecked as "
                f"select {columns} from ({checked_select(con, c, rows, list(c.fields))})")
    for stored, good in ((table, "is null"), (held, "is not null")):
        rechecked = f"select * from _rechecked where _q_reason {good}"
        if files is None:  # every row: the tables written anew, not emptied and refilled
            con.execute(f"create or replace table {stored} as {rechecked}")
        else:
            con.execute(f"delete from {stored} t where {where}")
            con.execute(f"insert into {stored} {rechecked}")
    con.execute("drop table _rechecked")
    con.execute("update meta.loaded_files set checked_against = ? "
                "where source = ? and (? or list_contains(?, file_name))",
                [state, c.name, files is None, files or []])


def _supersede(con: duckdb.DuckDBPyConnection, c: Contract, keys: str) -> None:
    """Hold back the rows of `raw_files.<source>` with a key in temp table `keys` that a
    later row of the same key replaces: the later file wins, within a file the later row."""
    partition = ", ".join("t." + ident(k) for k in c.key)
    con.execute(f"""
        create or replace temp table _superseded as
        select _file_name, _row_number from (
            select t._file_name, t._row_number, row_number() over (
                partition by {partition} order by t._file_name desc, t._row_number desc
            ) as newer_rows
            from raw_files.{ident(c.name)} t semi join {keys} k on {_same_key(c, "k", "t")}
        ) where newer_rows > 1
    """)
    _hold_back(con, c, "exists (select 1 from _superseded s where "
                       "s._file_name = t._file_name and s._row_number = t._row_number)")
    con.execute("drop table _superseded")


def _raw_kind(con: duckdb.DuckDBPyConnection, c: Contract) -> str | None:
    """'VIEW' or 'BASE TABLE': what `raw.<source>` is (None: not there)."""
    rows = con.execute("select table_type from information_schema.tables "
                       "where table_schema = 'raw' and table_name = ?", [c.name]).fetchall()
    return rows[0][0] if rows else None


def _create_view(con: duckdb.DuckDBPyConnection, c: Contract) -> None:
    """`raw.<source>`: the rows of `raw_files.<source>` with their lineage.

    No filter and no inner join, so that DuckDB estimates its rows as a table's: with the
    held-back rows filtered out in the view, dbt's plans over it changed (the tool adoption
    model 0.2 → 1.2 s at 5 M usage rows). The registry has one entry per file, so the left
    join adds none; it costs ~0.02 s per aggregate over 10 M rows, ~0.2 s per read of them
    into Arrow (DuckDB keeps the join even when no lineage column is read).
    """
    if _raw_kind(con, c) == "BASE TABLE":  # written by an earlier version
        con.execute(f"drop table raw.{ident(c.name)}")
    joined = _file_joined(c, f"raw_files.{ident(c.name)}", "left join")
    con.execute(f"create or replace view raw.{ident(c.name)} as "
                f"select {_raw_select(c)} from {joined}")


def _key_overlaps(con: duckdb.DuckDBPyConnection, c: Contract) -> list[tuple]:
    """For each two files of `raw_files.<source>` whose keys' ranges overlap in every key
    column: the file of the two with fewer rows, its rows, and the overlap, (low, high) per
    key column. Ranges leave out empty fields."""
    keys = [ident(k) for k in c.key]
    ranges = ", ".join(f"min({k}) as lo{j}, max({k}) as hi{j}" for j, k in enumerate(keys))
    overlap = ", ".join(f"greatest(a.lo{j}, b.lo{j}), least(a.hi{j}, b.hi{j})"
                        for j in range(len(keys)))
    meet = " and ".join(f"a.lo{j} <= b.hi{j} and b.lo{j} <= a.hi{j}" for j in range(len(keys)))
    return con.execute(f"""
        with ranges as (
            select _file_name, count(*) as n, {ranges}
            from raw_files.{ident(c.name)} group by _file_name
        )
        select case when a.n <= b.n then a._file_name else b._file_name end, least(a.n, b.n),
               {overlap}
        from ranges a join ranges b on a._file_name < b._file_name
        where {meet}
    """).fetchall()


def _repeated_keys(con: duckdb.DuckDBPyConnection, c: Contract) -> None:
    """Temp table `_repeated`: the keys more than one row of `raw_files.<source>` holds.

    The rows of one file there never share a key (parse.py's `_resolve_duplicates` folds
    or quarantines them; were one to slip through, the gate's uniqueness rule on the key
    blocks), so a repeated key is one that two files share: it lies within both files'
    ranges in every key column, and it is among the rows of the smaller of the two. So
    only the keys of those rows (within the overlap), and of rows with an empty key field
    (which the ranges leave out), are grouped, with every row holding them: exports
    numbered by period overlap in a few small correction files at most, and grouping every
    row took ~0.9–1.2 s of every rebuild for the 10 M order ids of scale 480, ~0.4 s for
    its 5.3 M usage rows (each month's bulk export overlaps a small one in every key
    column). When most rows are in the smaller file of an overlapping pair, every row is
    grouped.
    """
    keys = [ident(k) for k in c.key]
    columns = ", ".join(keys)
    table = f"raw_files.{ident(c.name)}"
    overlaps = _key_overlaps(con, c)
    smaller = {file: rows for file, rows, *_ in overlaps}
    rows, params = table, []
    if 2 * sum(smaller.values()) <= count(con, f"select count(*) from {table}"):
        boxes = " or ".join("(t._file_name = ? and "
                            + " and ".join(f"t.{k} between ? and ?" for k in keys) + ")"
                            for _ in overlaps) or "false"
        params = [value for file, _, *box in overlaps for value in (file, *box)]
        candidates = f"(select distinct {columns} from {table} t where {boxes})"
        # an equality join, so that DuckDB skips the row groups outside the candidates'
        # range; the keys with an empty field are grouped whole
        same = " and ".join(f"t.{k} = k.{k}" for k in keys)
        empty = " or ".join(f"{k} is null" for k in keys)
        rows = (f"(select {', '.join('t.' + k for k in keys)} from {table} t "
                f"semi join {candidates} k on {same} "
                f"union all select {columns} from {table} where {empty})")
    con.execute(f"""
        create or replace temp table _repeated as
        select {columns} from {rows} group by all having count(*) > 1
    """, params)


def rebuild_table(con: duckdb.DuckDBPyConnection, c: Contract, context: str) -> None:
    """Decide anew which stored rows `raw.<source>` shows, and its quarantine.

    The rows held back because a later row replaced them come back, the rows with a
    problem stored since (or by a version that kept every row in `raw_files`) are held
    back; then "the later file wins per key" is decided among the rows whose key repeats
    (`_repeated_keys`; a few dozen of 10 M order lines: a window over every key cost ~6 s
    at that size).
    """
    _current_verdicts(con, c, context)
    _hold_back(con, c, "t._q_reason is null", release=True)
    _hold_back(con, c, "t._q_reason is not null")
    _repeated_keys(con, c)
    _supersede(con, c, "_repeated")
    con.execute("drop table _repeated")
    _create_view(con, c)
    replace_quarantine(con, c.name, _quarantine_select(con, c))


def can_merge(c: Contract) -> bool:
    """Whether `merge_files` applies: the key is stored as read (no org unit resolved)."""
    return not c.is_survey and all(f.ref != "org_unit" for f in c.fields if f.name in c.key)


def merge_files(con: duckdb.DuckDBPyConnection, c: Contract, file_names: list[str],
                context: str) -> None:
    """Let the rows of newly registered files into `raw.<source>` and its quarantine.

    Gives what `rebuild_table` would give when nothing but these files changed since the
    last build — the caller proves that with `state_fingerprint`. Only the new rows are
    checked and only the keys they hold are looked up, so a daily export costs its own
    size, not the table's.
    """
    _current_verdicts(con, c, context, file_names)
    _hold_back(con, c, f"t._q_reason is not null and {_files_where(file_names)}")
    key = ", ".join("t." + ident(k) for k in c.key)
    con.execute(f"""
        create or replace temp table _new_keys as
        select distinct {key} from raw_files.{ident(c.name)} t where {_files_where(file_names)}
    """)
    _supersede(con, c, "_new_keys")
    con.execute("drop table _new_keys")
    con.execute(f"insert into dq.quarantine {_quarantine_select(con, c, file_names)}")


def _referenced_sources(c: Contract) -> list[str]:
    """The tables whose rows decide the verdicts on this source's rows."""
    refs = {"org_units" if f.ref == "org_unit" else f.ref for f in c.fields if f.ref}
    return sorted(refs)


@cache
def _store_code() -> str:
    """This module's text: the verdicts it stores are as its checks were written."""
    return hashlib.sha256(Path(__file__).read_bytes()).hexdigest()


def references_state(con: duckdb.DuckDBPyConnection, c: Contract, context: str) -> str:
    """What the verdicts on this source's rows are a function of: the rules, the code that
    checks, and the files of the tables the source refers to (its own too, if it refers to
    itself: then verdicts stored with a batch never stand, as the next batch adds ids)."""
    return _files_fingerprint(con, _referenced_sources(c), context + "|" + _store_code())


def _files_fingerprint(con: duckdb.DuckDBPyConnection, sources: list[str], context: str,
                       source: str = "", without: list[str] | None = None) -> str:
    """A hash of `context` and the registered files of `sources` (name, content, rules),
    leaving out the files `without` of `source`."""
    rows = con.execute(
        "select source, file_name, file_hash, context_hash from meta.loaded_files "
        "where list_contains(?, source) and not (source = ? and list_contains(?, file_name)) "
        "order by source, file_name", [sorted(set(sources)), source, without or []]
    ).fetchall()
    text = context + "|" + "|".join(":".join(r) for r in rows)
    return hashlib.sha256(text.encode()).hexdigest()


def state_fingerprint(con: duckdb.DuckDBPyConnection, c: Contract, context: str,
                      without: list[str] | None = None) -> str:
    """What `raw.<source>` is a function of: its files, the rules, the tables it refers to.

    When this is unchanged since the last rebuild, rebuilding would give the same table.
    `without`: files of this source left out — the state before they were added.
    """
    return _files_fingerprint(con, [c.name, *_referenced_sources(c)], context, c.name,
                              without)


def is_current(con: duckdb.DuckDBPyConnection, c: Contract, fingerprint: str) -> bool:
    """Whether `raw.<source>` is there as this version builds it (a survey's a table, any
    other a view) and was built from exactly this state."""
    stored = con.execute("select fingerprint from meta.raw_state where source = ?",
                         [c.name]).fetchall()
    built_as = "BASE TABLE" if c.is_survey else "VIEW"
    return _raw_kind(con, c) == built_as and stored == [(fingerprint,)]


def remember_state(con: duckdb.DuckDBPyConnection, c: Contract, fingerprint: str,
                   merged_from: str | None = None, merged_files: list[str] | None = None) -> None:
    """Record what `raw.<source>` was built from; after a merge also the state before it and
    the files merged in, so the gate can check only their rows (gate/memo.py)."""
    con.execute("delete from meta.raw_state where source = ?", [c.name])
    con.execute("insert into meta.raw_state (source, fingerprint, merged_from, merged_files) "
                "values (?, ?, ?, ?)", [c.name, fingerprint, merged_from, merged_files])


def transaction(con: duckdb.DuckDBPyConnection, work) -> None:
    """Run `work` as one transaction: all of it is written, or none of it."""
    con.begin()
    try:
        work()
    except BaseException:
        con.rollback()
        raise
    con.commit()


def count(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> int:
    return int(con.execute(sql, params or []).fetchall()[0][0])
