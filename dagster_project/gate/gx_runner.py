"""Run one Great Expectations suite file against the build database.

GX's SQL data source does not work on DuckDB (docs/architecture.md), so the data goes through its
pandas source. To keep that cheap on large raw tables, only the columns the suite reads
are fetched (via Arrow), plus a row locator (DuckDB's `rowid`, or a raw view's
`_stored_row`), which locates failing rows afterwards
(file name and row number of the export) without copying the lineage columns. Rules that
span rows validate a small SQL-computed profile instead of the table; key rules on the big
tables validate only the rows whose key is empty or repeated (`suspect_rows`, suites.py).
On tables larger than one chunk, rules that judge each row on its own are validated only on
the rows a SQL condition says may fail them (preselect.py; usually none), the others a
chunk of rows at a time, so the gate's memory stays bounded however large a table grows; on
a re-run, a raw table's rules are validated only where it changed since (memo.py).
"""

from __future__ import annotations

import datetime as dt
import functools
import gc
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa

from dagster_project.core.db import one_row, quote, table_column_types, table_columns
from dagster_project.gate.describe import Location, describe, show
from dagster_project.gate.gx_import import import_gx
from dagster_project.gate.memo import Memo, Remembered
from dagster_project.gate.preselect import may_fail
from dagster_project.gate.results import ERROR, WARN, GateResult
from dagster_project.gate.suites import TABLE_BATCH, Expectation, Suite, load_suite
from dagster_project.ingest.store import STORED_ROW

log = logging.getLogger("leitstand.gate")

ROWID = "__leitstand_rowid"
LINEAGE_LOCATION = ("_file_name", "_row_number")
PARTIAL_EXAMPLES = 20
FIX_RAW = "correct these rows in the export files named (or remove the file) and run again"
FIX_MART = "the dbt model that builds this table produced it: check the model and its inputs"
# Rows per chunk for rules that judge each row on its own. GX's pandas source holds several
# copies of what it checks: validating 10 M order rows at once took 3.7 GB, so tables
# above this size are checked in chunks (bench/README.md).
CHUNK_ROWS = 2_000_000
# Rows of a chunk after which what validating it left behind is freed (`_release_memory`).
RELEASE_ROWS = 100_000
# Rules that read only how many rows a table has: on a large table they get a frame of that
# many rows and no columns instead of a copy of the table.
ROW_COUNT_ONLY = frozenset(
    {"expect_table_row_count_to_be_between", "expect_table_row_count_to_equal"}
)


def _gx_severity(config: dict[str, Any]) -> str:
    """GX 1.x severities: `critical` blocks; `warning` and `info` only report."""
    return ERROR if str(config.get("severity") or "critical").lower() == "critical" else WARN


def _default_fix(table: str) -> str:
    return FIX_RAW if table.startswith("raw.") else FIX_MART


def _parameters(
    con: duckdb.DuckDBPyConnection, suite: Suite, wanted: set[str], today: dt.date
) -> dict[str, Any]:
    """Values for `$PARAMETER` names: built-ins and the suite's SQL parameters."""
    end_of_today = dt.datetime.combine(today, dt.time(23, 59, 59))
    values: dict[str, Any] = {"today": pd.Timestamp(today), "now": pd.Timestamp(end_of_today)}
    for name in wanted - values.keys():
        spec = suite.parameters.get(name)
        if spec is None:
            raise KeyError(name)
        if "list" in spec:
            values[name] = [r[0] for r in con.execute(spec["list"]).fetchall()]
        else:
            row = one_row(con, spec["value"])
            values[name] = row[0] if row else None
    return {k: v for k, v in values.items() if k in wanted}


def to_frame(relation: duckdb.DuckDBPyRelation) -> pd.DataFrame:
    return arrow_to_frame(relation.to_arrow_table())


def arrow_to_frame(table: pa.Table) -> pd.DataFrame:
    """Arrow → pandas with DATE as datetime64, so dates and timestamps compare alike.

    In nanoseconds where the values allow it: GX compares only `datetime64[ns]` columns
    vectorised (other units go row by row, 20× slower on a few million rows).
    """
    frame = table.to_pandas(date_as_object=False)
    for column in frame.columns:
        dtype = frame[column].dtype
        if pd.api.types.is_datetime64_any_dtype(dtype) and not pd.api.types.is_datetime64_ns_dtype(
            dtype
        ):
            try:
                frame[column] = frame[column].astype("datetime64[ns]")
            except (pd.errors.OutOfBoundsDatetime, OverflowError):
                pass  # a date beyond 2262 stays as it is (correct, only slower)
    return frame


def _temporal_bounds(config: dict[str, Any], frame: pd.DataFrame) -> dict[str, Any]:
    """ISO date strings in `min_value`/`max_value` of a date column → timestamps.

    JSON has no date type; GX compares a datetime column with a string only sometimes.
    """
    kwargs = dict(config.get("kwargs") or {})
    column = kwargs.get("column")
    if column in frame.columns and pd.api.types.is_datetime64_any_dtype(frame[column]):
        for key in ("min_value", "max_value"):
            if isinstance(kwargs.get(key), str):
                kwargs[key] = pd.Timestamp(kwargs[key])
    return {**config, "kwargs": kwargs}


def _locator(con: duckdb.DuckDBPyConnection, table: str) -> str:
    """The column that finds a row of `table` again: a raw view's `_stored_row` (its row's
    rowid in the store, ingest/store.py), else the table's own rowid."""
    return quote(STORED_ROW) if STORED_ROW in table_columns(con, table) else "rowid"


def _table_relation(
    con: duckdb.DuckDBPyConnection, table: str, columns: list[str], where: str = "true"
) -> duckdb.DuckDBPyRelation:
    """Only the wanted columns (and the row locator, where the table has one)."""
    select = ", ".join(quote(c) for c in columns) or "1 as __leitstand_empty"
    try:
        return con.sql(
            f"select {_locator(con, table)} as {ROWID}, {select} from {table} where {where}"
        )
    except duckdb.Error:  # a view without `_stored_row` has no rowid
        return con.sql(f"select {select} from {table} where {where}")


def _fetch_table(con: duckdb.DuckDBPyConnection, table: str, columns: list[str]) -> Any:
    """Only the wanted columns (and the row locator, where the table has one) as a DataFrame."""
    return to_frame(_table_relation(con, table, columns))


def _fetch_chunks(
    con: duckdb.DuckDBPyConnection, table: str, columns: list[str], where: str = "true"
) -> Iterator[pd.DataFrame]:
    """The wanted columns of the rows `where` holds, `CHUNK_ROWS` rows at a time, in one
    scan of the table.

    Streamed through a cursor of its own: the caller's connection stays free to look up
    where failing rows come from while the scan is open.
    """
    cursor = con.cursor()
    try:
        reader = _table_relation(cursor, table, columns, where).to_arrow_reader(CHUNK_ROWS)
        pending: list[pa.RecordBatch] = []  # DuckDB hands a table's rows out per row group
        for batch in reader:
            pending.append(batch)
            if sum(b.num_rows for b in pending) >= CHUNK_ROWS:
                yield arrow_to_frame(pa.Table.from_batches(pending))
                pending = []
        if pending:
            yield arrow_to_frame(pa.Table.from_batches(pending))
    finally:
        cursor.close()


def _location(columns: list[str], values: list[Any]) -> Location:
    if tuple(columns) == LINEAGE_LOCATION:
        file_name, row = values
        return Location(f"{file_name} row {row}", (str(file_name), int(row or 0)))
    text = ", ".join(f"{c}={show(v)}" for c, v in zip(columns, values, strict=True))
    return Location(text, (text, 0))


def _locations(
    con: duckdb.DuckDBPyConnection,
    table: str,
    frame: pd.DataFrame,
    indices: list[int],
    columns: list[str],
) -> dict[int, Location]:
    """Positional index in the frame → 'orders_2026-10.csv row 17' (or the key columns).

    Read from the frame when it holds the columns (profiles), else looked up by the row
    locator (`_locator`), so the lineage columns of a large table are never copied whole.
    """
    indices = [i for i in indices if i < len(frame)]
    if not indices or not columns:
        return {}
    if all(c in frame.columns for c in columns):
        return {i: _location(columns, [frame[c].iloc[i] for c in columns]) for i in indices}
    if ROWID not in frame.columns:
        return {}
    rowids = {int(frame[ROWID].iloc[i]): i for i in indices}
    cols = ", ".join(quote(c) for c in columns)
    placeholders = ", ".join("?" for _ in rowids)
    locator = _locator(con, table)
    rows = con.execute(
        f"select {locator}, {cols} from {table} where {locator} in ({placeholders})",
        list(rowids),
    ).fetchall()
    return {rowids[rowid]: _location(columns, values) for rowid, *values in rows}


@functools.cache
def _batch_definition() -> Any:
    """The GX batch definition every validation of this process goes through: an ephemeral
    context with a pandas source whose batches are whole data frames, each passed when it
    is validated.

    Made once per process: making it took ~13 ms, for each of the ~34 batches a run
    validates (~0.45 s of every full run). Nothing a validation does is kept in it: the
    suite is passed with the batch and never added to the context, and a large frame is
    not kept past its validation (`_validate`).
    """
    gx = import_gx()
    from great_expectations.data_context.types.base import ProgressBarsConfig
    from great_expectations.execution_engine import pandas_execution_engine

    logging.getLogger("great_expectations").setLevel(logging.ERROR)
    # GX marks a batch with a fingerprint of every frame below this size (a hash of each row,
    # index included); nothing reads the mark, and the 10 M-row frame of a row-count rule
    # took 0.35 s per hash, twice per validation.
    pandas_execution_engine.HASH_THRESHOLD = 0
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    return (
        context.data_sources.add_pandas("leitstand")
        .add_dataframe_asset("frame")
        .add_batch_definition_whole_dataframe("whole")
    )


def _validate(
    frame: pd.DataFrame, expectations: list[Expectation], parameters: dict[str, Any]
) -> dict[int, Any]:
    """Validate `frame` (`_batch_definition`); results keyed by expectation index."""
    batch_definition = _batch_definition()
    from great_expectations.core.expectation_suite import ExpectationSuite

    configs = []
    for e in expectations:
        config = {k: v for k, v in _temporal_bounds(e.config, frame).items() if k != "meta"}
        config["meta"] = {**(e.config.get("meta") or {}), "leitstand_index": e.index}
        configs.append(config)
    suite = ExpectationSuite(name="leitstand", expectations=configs)
    batch = batch_definition.get_batch(batch_parameters={"dataframe": frame})
    validation = batch.validate(
        suite,
        expectation_parameters=parameters or None,
        result_format={"result_format": "SUMMARY", "partial_unexpected_count": PARTIAL_EXAMPLES},
    )
    by_index: dict[int, Any] = {}
    for r in validation.results:
        index = (r.expectation_config.meta or {}).get("leitstand_index")
        if index is not None:
            by_index[index] = r
    if len(frame) >= RELEASE_ROWS:
        # GX's source holds the frame it last read from until it reads from another: a large
        # one is swapped for no rows (by reading their columns), so that it goes when the
        # caller lets it go.
        batch_definition.get_batch(batch_parameters={"dataframe": pd.DataFrame()}).columns()
    return by_index


def _failed(suite: Suite, e: Expectation, message: str) -> GateResult:
    return GateResult(e.check_name, suite.table, _gx_severity(e.config), False, None, None, message)


def _run_batch(
    con: duckdb.DuckDBPyConnection,
    suite: Suite,
    batch: str,
    expectations: list[Expectation],
    table_cols: list[str],
    today: dt.date,
    memo: Memo | None,
) -> list[GateResult]:
    results: list[GateResult] = []
    runnable = list(expectations)
    if batch == TABLE_BATCH:
        runnable = []
        for e in expectations:
            missing = [c for c in e.columns() if c not in table_cols]
            if missing:
                results.append(
                    _failed(
                        suite,
                        e,
                        f"{suite.table}: column {', '.join(missing)} is missing (the suite "
                        f"{suite.path.name} checks it). Fix: the ingest contract or the dbt model "
                        f"must provide it, or the suite must stop checking it",
                    )
                )
            else:
                runnable.append(e)
    if not runnable:
        return results
    wanted = set().union(*(e.parameters() for e in runnable))
    try:
        parameters = _parameters(con, suite, wanted, today)
    except KeyError as missing:
        return results + [
            _failed(
                suite,
                e,
                f"{suite.path.name}: parameter {missing} is not defined "
                f"in meta.leitstand.parameters",
            )
            for e in runnable
        ]
    table_rows = one_row(con, f"select count(*) from {suite.table}")[0]
    kept, carried = _recalled(memo, suite, runnable, parameters) if memo else ({}, {})
    carried_indices = {e.index for es in carried.values() for e in es}
    to_check = [e for e in runnable if e.index not in kept and e.index not in carried_indices]
    outcomes = (
        _checked_outcomes(con, suite, batch, to_check, table_cols, table_rows, parameters)
        if to_check
        else {}
    )
    for files, rules in carried.items():
        outcomes |= _carried_outcomes(
            con, suite, batch, files, rules, table_cols, table_rows, parameters
        )
    if memo:
        memo.tally(
            len(kept), len(carried_indices), len(to_check), {f for fs in carried for f in fs}
        )
    for e in runnable:
        if e.index in kept:
            earlier = kept[e.index]
            results.append(earlier.result)
            if memo:
                memo.remember(suite, e, parameters, earlier.result, 0 if earlier.clean else None)
            continue
        outcome = outcomes[e.index]
        if outcome.error:
            results.append(_failed(suite, e, f"{suite.table}: {outcome.error}"))
            continue
        result = outcome.result
        if batch in suite.suspect_rows and "element_count" in result:
            result["element_count"] = table_rows  # the other rows pass by construction
        observed, threshold, message = describe(
            suite.table,
            e,
            outcome.success,
            result,
            outcome.locations,
            _default_fix(suite.table),
            parameters,
        )
        gate_result = GateResult(
            e.check_name,
            suite.table,
            _gx_severity(e.config),
            outcome.success,
            observed,
            threshold,
            message,
        )
        results.append(gate_result)
        if memo:
            unexpected = result.get("unexpected_count") if "unexpected_count" in result else None
            memo.remember(suite, e, parameters, gate_result, unexpected)
    return results


def _recalled(
    memo: Memo, suite: Suite, rules: list[Expectation], parameters: dict[str, Any]
) -> tuple[dict[int, Remembered], dict[tuple[str, ...], list[Expectation]]]:
    """What the memory spares (memo.py): rules that keep their last verdict (by index),
    and rules to check on the rows of merged files only (by those files)."""
    kept: dict[int, Remembered] = {}
    carried: dict[tuple[str, ...], list[Expectation]] = {}
    for e in rules:
        earlier = memo.kept(suite, e, parameters)
        files = None if earlier else memo.carried_files(suite, e, parameters)
        if earlier:
            kept[e.index] = earlier
        elif files is not None:
            carried.setdefault(files, []).append(e)
    return kept, carried


def _location_columns(suite: Suite, batch: str, columns: list[str]) -> list[str] | None:
    """Columns that say where a failing row is: lineage for table rows, else the suite's."""
    if batch == TABLE_BATCH:
        if suite.example_columns is None and all(c in columns for c in LINEAGE_LOCATION):
            return list(LINEAGE_LOCATION)
        return suite.example_columns
    if batch in suite.suspect_rows and all(c in columns for c in LINEAGE_LOCATION):
        return list(LINEAGE_LOCATION)
    return [c for c in (suite.example_columns or []) if c in columns]


def _checked_outcomes(
    con: duckdb.DuckDBPyConnection,
    suite: Suite,
    batch: str,
    expectations: list[Expectation],
    table_cols: list[str],
    table_rows: int,
    parameters: dict[str, Any],
) -> dict[int, _Outcome]:
    """Validate the rules on their batch: the profile, or the table (in chunks if large)."""
    if batch != TABLE_BATCH:
        try:
            frame = to_frame(con.sql(suite.profiles[batch]))
        except duckdb.Error as e:
            first = str(e).splitlines()[0]
            error = f"profile {batch!r} of {suite.path.name} failed: {first}"
            return {x.index: _Outcome(False, error=error) for x in expectations}
        location_cols = _location_columns(suite, batch, list(frame.columns))
        return _outcomes(con, suite.table, frame, expectations, parameters, location_cols)
    location_cols = _location_columns(suite, batch, table_cols)
    if table_rows <= CHUNK_ROWS:
        frame = _fetch_table(con, suite.table, _columns(expectations, table_cols))
        return _outcomes(con, suite.table, frame, expectations, parameters, location_cols)
    row_wise = [e for e in expectations if e.row_wise]
    whole = [e for e in expectations if not e.row_wise]
    outcomes = _row_wise_outcomes(
        con, suite.table, row_wise, table_cols, table_rows, parameters, location_cols
    )
    if whole:
        if all(e.type in ROW_COUNT_ONLY and not e.kwargs.get("row_condition") for e in whole):
            frame = pd.DataFrame(index=pd.RangeIndex(table_rows))  # no values to fetch
        else:
            frame = _fetch_table(con, suite.table, _columns(whole, table_cols))
        outcomes |= _outcomes(con, suite.table, frame, whole, parameters, location_cols)
    return outcomes


def _carried_outcomes(
    con: duckdb.DuckDBPyConnection,
    suite: Suite,
    batch: str,
    files: tuple[str, ...],
    expectations: list[Expectation],
    table_cols: list[str],
    table_rows: int,
    parameters: dict[str, Any],
) -> dict[int, _Outcome]:
    """Rules whose other rows passed last time (memo.py), validated on the rows of `files`
    only (key rules: on the rows sharing a key with them); counted against the whole
    table, as a validation of the table would count."""
    if not files:
        parts = {e.index: _Outcome(True, {"unexpected_count": 0}) for e in expectations}
    elif batch in suite.suspect_rows:
        keys = _columns(expectations, table_cols)
        frame = to_frame(con.sql(_rows_sharing_keys(suite.table, keys, files)))
        location_cols = _location_columns(suite, batch, list(frame.columns))
        parts = _outcomes(con, suite.table, frame, expectations, parameters, location_cols)
    else:
        location_cols = _location_columns(suite, TABLE_BATCH, table_cols)
        parts = _row_wise_outcomes(
            con, suite.table, expectations, table_cols, table_rows, parameters, location_cols,
            _in_files(files),
        )
    return _counted_against(table_rows, parts)


def _rows_sharing_keys(table: str, keys: list[str], files: tuple[str, ...]) -> str:
    """SQL for the rows of `table` whose key (`keys`, empty included) is that of a row of
    `files`, with their file and row, in file order (as the suspect-row profiles list them)."""
    cols = ", ".join(quote(k) for k in keys)
    same = " and ".join(f"t.{quote(k)} is not distinct from f.{quote(k)}" for k in keys)
    return (
        f"select {', '.join('t.' + quote(k) for k in keys)}, t._file_name, t._row_number "
        f"from {table} t semi join (select distinct {cols} from {table} where "
        f"{_in_files(files)}) f "
        f"on {same} order by t._file_name, t._row_number"
    )


def _in_files(files: tuple[str, ...]) -> str:
    """SQL condition: the row comes from one of `files`."""
    return "_file_name in (" + ", ".join(_literal(f) for f in files) + ")"


def _row_wise_outcomes(
    con: duckdb.DuckDBPyConnection,
    table: str,
    expectations: list[Expectation],
    table_cols: list[str],
    table_rows: int,
    parameters: dict[str, Any],
    location_cols: list[str] | None,
    where: str = "true",
) -> dict[int, _Outcome]:
    """Row-wise rules over the rows `where` holds, a chunk at a time; on a table above one
    chunk, a rule with a SQL condition (preselect.py) only on the rows that may fail it."""
    conditions = _may_fail(con, table, expectations, parameters) if table_rows > CHUNK_ROWS else {}
    preselected = [e for e in expectations if e.index in conditions]
    scanned = [e for e in expectations if e.index not in conditions]
    outcomes: dict[int, _Outcome] = {}
    if preselected:
        may_fail_any = " or ".join(f"({conditions[e.index]})" for e in preselected)
        found = _chunked_outcomes(
            con,
            table,
            _columns(preselected, table_cols),
            preselected,
            parameters,
            location_cols,
            f"({where}) and ({may_fail_any})",
        )
        outcomes |= _counted_against(table_rows, found)
    if scanned:
        outcomes |= _chunked_outcomes(
            con, table, _columns(scanned, table_cols), scanned, parameters, location_cols, where
        )
    return outcomes


def _may_fail(
    con: duckdb.DuckDBPyConnection,
    table: str,
    expectations: list[Expectation],
    parameters: dict[str, Any],
) -> dict[int, str]:
    """Expectation index → SQL condition for the rows it may fail (preselect.py), for the
    rules that have one that DuckDB accepts (a rule without is validated on every row)."""
    types = table_column_types(con, table)
    conditions = {}
    for e in expectations:
        condition = may_fail(e, types, parameters)
        if condition is None:
            continue
        try:
            con.sql(f"select 1 from {table} where {condition}")  # bound, not run
        except duckdb.Error as error:
            log.info("%s: %s is validated on every row (%s)", table, e.check_name, error)
            continue
        conditions[e.index] = condition
    return conditions


def _counted_against(table_rows: int, parts: dict[int, _Outcome]) -> dict[int, _Outcome]:
    """Outcomes validated on some rows of a table, reported as over the whole table: the
    rows not validated passed (they were checked before, or cannot fail)."""
    for outcome in parts.values():
        if not outcome.error:
            outcome.result.setdefault("unexpected_count", 0)  # no rows to validate
            outcome.result["element_count"] = table_rows
            outcome.result.pop("missing_count", None)  # known for the validated rows only
    return parts


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


@dataclass
class _Outcome:
    """One expectation's verdict on one frame, or added up over the chunks of a table."""

    success: bool
    result: dict[str, Any] = field(default_factory=dict)
    locations: dict[int, Location] = field(default_factory=dict)  # index in result → where
    error: str | None = None  # GX could not evaluate it


def _columns(expectations: list[Expectation], table_cols: list[str]) -> list[str]:
    """The table's columns these expectations read (row conditions included), in order."""
    wanted = {c for e in expectations for c in e.columns()}
    wanted |= {c for e in expectations for c in e.condition_identifiers() if c in table_cols}
    return sorted(wanted, key=table_cols.index)


def _outcomes(
    con: duckdb.DuckDBPyConnection,
    table: str,
    frame: pd.DataFrame,
    expectations: list[Expectation],
    parameters: dict[str, Any],
    location_cols: list[str] | None,
) -> dict[int, _Outcome]:
    """Validate `frame`; per expectation index its verdict, with failing rows located."""
    validated = _validate(frame, expectations, parameters)
    out: dict[int, _Outcome] = {}
    for e in expectations:
        r = validated.get(e.index)
        if r is None:
            out[e.index] = _Outcome(False, error=f"GX returned no result for {e.check_name}")
            continue
        info = r.exception_info or {}
        raised = (
            info.get("raised_exception")
            if "raised_exception" in info
            else any(v.get("raised_exception") for v in info.values() if isinstance(v, dict))
        )
        if raised:
            text = info.get("exception_message") or next(
                (v.get("exception_message") for v in info.values() if isinstance(v, dict)), ""
            )
            out[e.index] = _Outcome(False, error=f"{e.check_name} could not run: {text}")
            continue
        result = dict(r.result or {})
        indices = list(result.get("partial_unexpected_index_list") or []) if not r.success else []
        locations = _locations(con, table, frame, indices, location_cols or []) if indices else {}
        out[e.index] = _Outcome(bool(r.success), result, locations)
    return out


def _chunked_outcomes(
    con: duckdb.DuckDBPyConnection,
    table: str,
    columns: list[str],
    expectations: list[Expectation],
    parameters: dict[str, Any],
    location_cols: list[str] | None,
    where: str = "true",
) -> dict[int, _Outcome]:
    """Row-wise expectations over the table (or the rows `where` holds) a chunk at a time,
    added up per expectation."""
    parts: dict[int, list[_Outcome]] = {e.index: [] for e in expectations}
    for frame in _fetch_chunks(con, table, columns, where):
        for index, outcome in _outcomes(
            con, table, frame, expectations, parameters, location_cols
        ).items():
            parts[index].append(outcome)
        large = len(frame) >= RELEASE_ROWS
        del frame
        if large:
            _release_memory()
    return {index: _added_up(outcomes) for index, outcomes in parts.items()}


def _release_memory() -> None:
    """Free what validating a chunk left behind before the next one is fetched.

    GX's validator keeps copies of the data in reference cycles, and Arrow's allocator keeps
    freed pages: without this, chunks pile up (10 M order rows in chunks of 2 M: 2.8 GB
    peak instead of 1.7 GB). Only after a large chunk (`RELEASE_ROWS`): a full collection
    takes ~0.3 s in a run's process, most of a re-run's gate, for a frame of a few rows.
    """
    gc.collect()
    pa.default_memory_pool().release_unused()


def _added_up(parts: list[_Outcome]) -> _Outcome:
    """The outcome over all chunks: counts summed, the first examples kept with their rows."""
    error = next((p.error for p in parts if p.error), None)
    if error:
        return _Outcome(False, error=error)
    result: dict[str, Any] = {}
    for key in ("element_count", "unexpected_count", "missing_count"):
        if any(key in p.result for p in parts):
            result[key] = sum(int(p.result.get(key) or 0) for p in parts)
    values: list[Any] = []
    locations: dict[int, Location] = {}
    counts: dict[str, list[Any]] = {}  # repr(value) → [value, count]
    for p in parts:
        indices = list(p.result.get("partial_unexpected_index_list") or [])
        for k, value in enumerate(p.result.get("partial_unexpected_list") or []):
            if len(values) == PARTIAL_EXAMPLES:
                break
            if k < len(indices) and indices[k] in p.locations:
                locations[len(values)] = p.locations[indices[k]]
            values.append(value)
        for c in p.result.get("partial_unexpected_counts") or []:
            entry = counts.setdefault(repr(c.get("value")), [c.get("value"), 0])
            entry[1] += int(c.get("count") or 0)
    result["partial_unexpected_list"] = values
    result["partial_unexpected_index_list"] = list(range(len(values)))
    result["partial_unexpected_counts"] = [
        {"value": value, "count": n} for value, n in sorted(counts.values(), key=lambda vn: -vn[1])
    ][:PARTIAL_EXAMPLES]
    return _Outcome(all(p.success for p in parts), result, locations)


def run_suite(
    con: duckdb.DuckDBPyConnection,
    suite_path: str | Path,
    today: dt.date | None = None,
    remember: bool = True,
) -> list[GateResult]:
    """Validate the table named by the suite file; one `GateResult` per expectation.

    A missing table is itself a failed (error) result, so a gate never passes by accident
    because an upstream step produced nothing. On a raw table whose ingest state is
    recorded, what did not change since the last validation is not validated again
    (memo.py); `remember=False` validates everything and leaves the memory alone.
    """
    suite = load_suite(suite_path)
    today = today or dt.date.today()
    table_cols = table_columns(con, suite.table)
    if not table_cols:
        return [
            GateResult(
                "table_exists",
                suite.table,
                ERROR,
                False,
                "missing",
                "exists",
                f"{suite.table} does not exist in the build database, so {suite.path.name} cannot "
                f"check it. Fix: look at the step that builds it (ingest or dbt) in this run's log",
            )
        ]
    memo = Memo.open(con, suite.table, today) if remember else None
    results: list[GateResult] = []
    for batch, expectations in suite.batches().items():
        results += _run_batch(con, suite, batch, expectations, table_cols, today, memo)
    if memo:
        memo.save(con)
        log.info("%s: %s", suite.table, memo.summary())
    order = {e.check_name: e.index for e in suite.expectations}
    return sorted(results, key=lambda r: order.get(r.check_name, -1))
