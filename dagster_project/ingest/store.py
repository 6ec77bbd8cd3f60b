"""Where loaded files live, and how `raw.<source>` is rebuilt from them on every run.

- `meta.loaded_files`: the registry, one row per file currently represented (name, content
  hash, the context it was parsed under, counts, dropped columns).
- `raw_files.<source>`: the parsed rows of every registered file, good and bad (bad rows
  carry `_problem_*`), so that an unchanged file is never read again. A row carries its
  file name and row number; the rest of its lineage (content hash, load id and time) is
  the file's, joined from the registry when `raw.<source>` is built (`_with_lineage`):
  written per row, these constants cost ~1.3 s of the 3.6 s it takes to store 10 M order
  lines. A row also carries its verdicts against the tables it refers to (`_q_*`, the
  org units resolved), checked as it is stored and used while those tables stay as they
  were (`_checked_rows`).
- `raw.<source>`: the current state, built from `raw_files.<source>`: rows with a problem
  or an unresolved reference are quarantined, then the latest file wins per business key.
  Rebuilt whole when files changed or went, or master data changed; when files were only
  added, their rows are merged in by key (the daily export does not rewrite the table).
  Its rows come in no promised order, and a rebuild may order them differently than the
  last (DuckDB's joins run on both cores): sorting 10 M order lines by file and row cost
  ~6 s of a 15 s rebuild, for nobody. Whoever needs an order says `order by _file_name,
  _row_number` (the gate's messages sort their examples so, checks/describe.py).
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
from dagster_project.ingest.parse import SQL_TYPES
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
PROBLEM_COLUMNS = [
    ("_problem_column", "varchar"),
    ("_problem_reason", "varchar"),
    ("_problem_value", "varchar"),
]

_SCHEMAS = """
create schema if not exists raw;
create schema if not exists raw_files;
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

    def unchanged(self, stat: os.stat_result, context: str) -> bool:
        """The file has the size and modification time it had when it was read, and the
        rules are the same: it is not read again (not even hashed), as git and rsync decide."""
        return (self.context_hash == context and self.file_size == stat.st_size
                and self.file_mtime_ns == stat.st_mtime_ns)


def registered_files(con: duckdb.DuckDBPyConnection, source: str) -> dict[str, Registered]:
    rows = con.execute(
        "select file_name, file_hash, context_hash, rows, rows_skipped, duplicates_collapsed,"
        " dropped_columns, file_size, file_mtime_ns from meta.loaded_files where source = ? "
        "order by file_name",
        [source],
    ).fetchall()
    return {r[0]: Registered(r[0], r[1], r[2], r[3], r[4], r[5], list(r[6] or []), r[7], r[8])
            for r in rows}


def register_file(con: duckdb.DuckDBPyConnection, source: str, entry: Registered, load_id: str,
                  loaded_at: dt.datetime, encoding: str, delimiter: str) -> None:
    con.execute(
        "insert into meta.loaded_files (source, file_name, file_hash, context_hash, load_id, "
        "loaded_at, rows, rows_skipped, duplicates_collapsed, dropped_columns, encoding, "
        "delimiter, file_size, file_mtime_ns, checked_against) "
        "values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [source, entry.file_name, entry.file_hash, entry.context_hash, load_id, loaded_at,
         entry.rows, entry.rows_skipped, entry.duplicates_collapsed, entry.dropped_columns,
         encoding, delimiter, entry.file_size, entry.file_mtime_ns, entry.checked_against],
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
    con.execute(f"delete from raw_files.{ident(source)} where list_contains(?, _file_name)",
                [file_names])
    con.execute("delete from meta.loaded_files where source = ? and list_contains(?, file_name)",
                [source, file_names])


def verdict_columns(c: Contract) -> list[tuple[str, str]]:
    """Columns `checked_select` adds: the unit each org unit field resolved to, and the
    row's first problem (stored with the row, except for surveys: see `store_parsed`)."""
    org = [("__org_" + f.name, "varchar") for f in c.fields if f.ref == "org_unit"]
    return org + [("_q_column", "varchar"), ("_q_reason", "varchar"), ("_q_value", "varchar")]


def store_columns(c: Contract) -> list[tuple[str, str]]:
    """Columns of `raw_files.<source>`: fields as parsed, problems, verdicts, file and row."""
    if c.is_survey:
        fields = [
            ("response_id", "varchar"), ("submitted_at", "timestamp"), ("org_unit", "varchar"),
            ("wave", "varchar"), ("question_id", "varchar"), ("answer", "double"),
        ]
        return fields + PROBLEM_COLUMNS + STORED_LINEAGE
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


def _file_joined(c: Contract, rows: str) -> str:
    """`rows` as `t`, each joined to its file's registry entry `f`."""
    return (f"{rows} t join meta.loaded_files f "
            f"on f.source = {sql_str(c.name)} and f.file_name = t._file_name")


def stored_rows(c: Contract, where: str = "true") -> str:
    """SQL for the rows of `raw_files.<source>` (those `where` selects, on alias `t`) with
    their whole lineage: source, and the file's content hash, load id and load time."""
    shared = _lineage(c, ["_source", "_file_hash", "_load_id", "_loaded_at"])
    return (f"(select t.*, {', '.join(shared)} "
            f"from {_file_joined(c, f'raw_files.{ident(c.name)}')} where {where})")


def ensure_store(con: duckdb.DuckDBPyConnection, c: Contract) -> None:
    """Create `raw_files.<source>`; when its columns changed (a new contract, or a store
    written by an earlier version), start it afresh: every file is read again."""
    wanted = store_columns(c)
    existing = con.execute(
        "select column_name, lower(data_type) from information_schema.columns "
        "where table_schema = 'raw_files' and table_name = ? order by ordinal_position",
        [c.name],
    ).fetchall()
    if existing and [(n, t) for n, t in existing] != wanted:
        con.execute(f"drop table raw_files.{ident(c.name)}")
        con.execute("delete from meta.loaded_files where source = ?", [c.name])
        existing = []
    if not existing:
        cols = ", ".join(f"{ident(n)} {t}" for n, t in wanted)
        con.execute(f"create table raw_files.{ident(c.name)} ({cols})")


def store_parsed(con: duckdb.DuckDBPyConnection, c: Contract, files: dict[int, str]) -> None:
    """Append temp table `_parsed` with its file names to `raw_files.<source>`.

    `files`: file number (`_parsed._file`) → file name. The rows' verdicts against the
    tables they refer to, as these are now (`references_state`), are stored with them: the
    rebuild uses them while those tables stay as they are, instead of checking every row
    again (for 10 M order lines, writing the checked rows to a temp table took ~2 s).
    Survey answers are checked when their table is built (survey.py).
    """
    names = " ".join(f"when {int(n)} then {sql_str(name)}" for n, name in files.items())
    rows = f"(select * exclude (_file), case _file {names} end as _file_name from _parsed)"
    select = f"select * from {rows}" if c.is_survey else checked_select(
        con, c, rows, list(c.fields))
    con.execute(f"insert into raw_files.{ident(c.name)} by name {select}")


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
    exists = con.execute(
        "select count(*) from information_schema.tables "
        "where table_schema = 'raw_files' and table_name = ?", [ref_source]
    ).fetchall()[0][0]
    if not exists:
        return f"(select cast(null as varchar) as {alias} where false)"
    return (f"(select distinct {key} as {alias} from raw_files.{ident(ref_source)} "
            f"where {key} is not null)")


def check_references(con: duckdb.DuckDBPyConnection, c: Contract, table: str,
                     fields: list[Field]) -> None:
    """Temp table `_checked`: `table` plus its verdicts (see `checked_select`)."""
    con.execute(f"create or replace temp table _checked as "
                f"{checked_select(con, c, table, fields)}")


def checked_select(con: duckdb.DuckDBPyConnection, c: Contract, table: str,
                   fields: list[Field]) -> str:
    """SELECT of `table` plus `_q_column/_q_reason/_q_value` (the row's first problem).

    The problem found at parse time comes first; then unknown org units and ids unknown to
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
    extra = "".join(", " + e for e in extra_cols)
    return f"""
        select t.*{extra}, {column} as _q_column, {reason} as _q_reason, {value} as _q_value
        from {table} t {" ".join(joins)}
    """


def replace_quarantine(con: duckdb.DuckDBPyConnection, source: str, select_sql: str) -> None:
    """Replace this source's rows of `dq.quarantine` by the rows `select_sql` returns."""
    con.execute("delete from dq.quarantine where source = ?", [source])
    con.execute(f"insert into dq.quarantine {select_sql}")


def _raw_select(c: Contract) -> str:
    """The columns of `raw.<source>` from `_checked t` joined to its file's registry entry
    `f` (`_with_lineage`): org units resolved, lineage last."""
    outputs = []
    for f in c.fields:
        if f.ref == "org_unit":
            outputs.append(f"t.{ident('__org_' + f.name)} as {ident(f.stored_name)}")
        else:
            outputs.append(f"t.{ident(f.name)}")
    return ", ".join(outputs + _lineage(c, [n for n, _ in LINEAGE_COLUMNS]))


def _with_lineage(c: Contract) -> str:
    """`_checked t` joined to the registry entry `f` of each row's file (its hash, load id
    and time: the lineage a row shares with its file)."""
    return _file_joined(c, "_checked")


def _same_key(c: Contract, left: str, right: str) -> str:
    """Join condition: the rows of aliases `left` and `right` have the same business key.

    NULLs match, as in the `partition by` of `_latest_per_key` (a key field may be optional).
    """
    return " and ".join(f"{left}.{ident(k)} is not distinct from {right}.{ident(k)}"
                        for k in c.key)


def _latest_per_key(c: Contract) -> str:
    """`qualify` clause of the rule "the later file wins per business key"."""
    key = ", ".join(ident(k) for k in c.key)
    return (f"qualify row_number() over (partition by {key} "
            f"order by _file_name desc, _row_number desc) = 1")


def _quarantine_select(c: Contract) -> str:
    return f"""
        select {sql_str(c.name)}, _file_name, _row_number, _q_column, _q_reason, _q_value
        from _checked where _q_reason is not null order by _file_name, _row_number
    """


def _checked_rows(con: duckdb.DuckDBPyConnection, c: Contract, context: str,
                  files: list[str] | None = None) -> None:
    """Temp view `_checked`: the stored rows (of `files`, or all) with their verdicts.

    The verdicts stored with the rows stand while the tables they refer to are as they were
    when the rows were stored; otherwise (new master data, say) every row is checked again,
    into temp table `_rechecked`.
    """
    names = "[" + ", ".join(sql_str(n) for n in files or []) + "]"
    where = "true" if files is None else f"list_contains({names}, t._file_name)"
    state = references_state(con, c, context)
    stale = count(con, "select count(*) from meta.loaded_files where source = ? and "
                       "checked_against is distinct from ? and (? or list_contains(?, file_name))",
                  [c.name, state, files is None, files or []])
    table = f"raw_files.{ident(c.name)}"
    if stale:
        verdicts = ", ".join(ident(n) for n, _ in verdict_columns(c))
        rows = f"(select * exclude ({verdicts}) from {table} t where {where})"
        con.execute("create or replace temp table _rechecked as "
                    f"{checked_select(con, c, rows, list(c.fields))}")
        con.execute("create or replace temp view _checked as select * from _rechecked")
    else:
        con.execute(f"create or replace temp view _checked as select * from {table} t "
                    f"where {where}")


def _drop_checked(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("drop view _checked; drop table if exists _rechecked")


def rebuild_table(con: duckdb.DuckDBPyConnection, c: Contract, context: str) -> None:
    """Rebuild `raw.<source>` and its quarantine from `raw_files.<source>`.

    "The later file wins per key" is decided only among the rows whose key repeats (found
    by a grouping; a few dozen of 10 M order lines): the window over every key cost ~6 s
    of a 15 s rebuild at that size. The rows it drops (`_superseded`, by file and row) are
    then left out of one pass over the checked rows. The result is the same.
    """
    _checked_rows(con, c, context)
    key = ", ".join(ident(k) for k in c.key)
    con.execute(f"""
        create or replace temp table _repeated as
        select {key} from _checked where _q_reason is null group by all having count(*) > 1
    """)
    con.execute(f"""
        create or replace temp table _superseded as
        select _file_name, _row_number from (
            select t._file_name, t._row_number, row_number() over (
                partition by {", ".join("t." + ident(k) for k in c.key)}
                order by t._file_name desc, t._row_number desc) as newer_rows
            from _checked t semi join _repeated r on {_same_key(c, "r", "t")}
            where t._q_reason is null
        ) where newer_rows > 1
    """)
    con.execute(f"""
        create or replace table raw.{ident(c.name)} as
        select {_raw_select(c)} from {_with_lineage(c)}
        anti join _superseded s on s._file_name = t._file_name and s._row_number = t._row_number
        where t._q_reason is null
    """)
    replace_quarantine(con, c.name, _quarantine_select(c))
    _drop_checked(con)
    con.execute("drop table _repeated; drop table _superseded")


def can_merge(c: Contract) -> bool:
    """Whether `merge_files` applies: the key is stored as read (no org unit resolved)."""
    return not c.is_survey and all(f.ref != "org_unit" for f in c.fields if f.name in c.key)


def merge_files(con: duckdb.DuckDBPyConnection, c: Contract, file_names: list[str],
                context: str) -> None:
    """Add the rows of newly registered files to `raw.<source>` and its quarantine.

    Gives the table `rebuild_table` would give (same rows; new rows last rather than in file
    order) when nothing but these files changed since the last build — the caller proves
    that with `state_fingerprint`. Only the new rows are checked and only the keys they hold
    are looked up in the table, so a daily export costs its own size, not the table's.
    """
    table = f"raw.{ident(c.name)}"
    _checked_rows(con, c, context, file_names)
    key_match = _same_key(c, "t", "n")
    con.execute(f"""
        create or replace temp table _new as
        select * from (select {_raw_select(c)} from {_with_lineage(c)} where t._q_reason is null)
        {_latest_per_key(c)}
    """)
    # the rows of the table whose key the new rows hold, taken out in the one pass that
    # finds them; the latest per key of those and the new rows go back in
    con.execute(f"""
        create or replace temp table _replaced as
        with taken as (delete from {table} t using _new n where {key_match} returning t.*)
        select * from taken
    """)
    con.execute(f"""
        insert into {table}
        select * from (select * from _replaced union all select * from _new)
        {_latest_per_key(c)}
        order by _file_name, _row_number
    """)
    con.execute(f"insert into dq.quarantine {_quarantine_select(c)}")
    _drop_checked(con)
    con.execute("drop table _new; drop table _replaced")


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
    """Whether `raw.<source>` exists and was built from exactly this state."""
    exists = count(con, "select count(*) from information_schema.tables "
                        "where table_schema = 'raw' and table_name = ?", [c.name])
    stored = con.execute("select fingerprint from meta.raw_state where source = ?",
                         [c.name]).fetchall()
    return bool(exists) and stored == [(fingerprint,)]


def remember_state(con: duckdb.DuckDBPyConnection, c: Contract, fingerprint: str,
                   merged_from: str | None = None, merged_files: list[str] | None = None) -> None:
    """Record what `raw.<source>` was built from; after a merge also the state before it and
    the files merged in, so the gate can check only their rows (checks/memo.py)."""
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
