"""Run one Great Expectations suite file against the build database.

GX's SQL data source does not work on DuckDB (stack.md), so the data goes through its
pandas source. To keep that cheap on large raw tables, only the columns the suite reads
are fetched (via Arrow), plus DuckDB's `rowid`, which locates failing rows afterwards
(file name and row number of the export) without copying the lineage columns. Rules that
span rows validate a small SQL-computed profile instead of the table; key rules on the big
tables validate only the rows whose key is empty or repeated (`suspect_rows`, suites.py).
Rules that judge each row on its own are validated a chunk of rows at a time on tables
larger than one chunk, so the gate's memory stays bounded however large a table grows.
"""

from __future__ import annotations

import datetime as dt
import gc
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa

from dagster_project.checks.db import one_row, quote, table_columns
from dagster_project.checks.describe import describe, show
from dagster_project.checks.results import ERROR, WARN, GateResult
from dagster_project.checks.suites import TABLE_BATCH, Expectation, Suite, load_suite

ROWID = "__leitstand_rowid"
LINEAGE_LOCATION = ("_file_name", "_row_number")
PARTIAL_EXAMPLES = 20
FIX_RAW = "correct these rows in the export files named (or remove the file) and run again"
FIX_MART = "the dbt model that builds this table produced it: check the model and its inputs"
# Rows per chunk for rules that judge each row on its own. GX's pandas source holds several
# copies of what it checks: validating 10 M order rows at once took 3.7 GB, so tables
# above this size are checked in chunks (bench/README.md).
CHUNK_ROWS = 2_000_000
# Expectation types whose verdict on a row does not depend on any other row: their results
# over chunks add up to the result over the table (without `mostly`, which is a share).
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


def _table_relation(
    con: duckdb.DuckDBPyConnection, table: str, columns: list[str]
) -> duckdb.DuckDBPyRelation:
    """Only the wanted columns (and the rowid, where the table has one)."""
    select = ", ".join(quote(c) for c in columns) or "1 as __leitstand_empty"
    try:
        return con.sql(f"select rowid as {ROWID}, {select} from {table}")
    except duckdb.Error:  # a view has no rowid
        return con.sql(f"select {select} from {table}")


def _fetch_table(con: duckdb.DuckDBPyConnection, table: str, columns: list[str]) -> Any:
    """Only the wanted columns (and the rowid, where the table has one) as a DataFrame."""
    return to_frame(_table_relation(con, table, columns))


def _fetch_chunks(
    con: duckdb.DuckDBPyConnection, table: str, columns: list[str]
) -> Iterator[pd.DataFrame]:
    """The wanted columns, `CHUNK_ROWS` rows at a time, in one scan of the table.

    Streamed through a cursor of its own: the caller's connection stays free to look up
    where failing rows come from while the scan is open.
    """
    cursor = con.cursor()
    try:
        reader = _table_relation(cursor, table, columns).to_arrow_reader(CHUNK_ROWS)
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


def _location_text(columns: list[str], values: list[Any]) -> str:
    if tuple(columns) == LINEAGE_LOCATION:
        return f"{values[0]} row {values[1]}"
    return ", ".join(f"{c}={show(v)}" for c, v in zip(columns, values, strict=True))


def _locations(
    con: duckdb.DuckDBPyConnection,
    table: str,
    frame: pd.DataFrame,
    indices: list[int],
    columns: list[str],
) -> dict[int, str]:
    """Positional index in the frame → 'orders_2026-10.csv row 17' (or the key columns).

    Read from the frame when it holds the columns (profiles), else looked up by rowid, so
    the lineage columns of a large table are never copied whole.
    """
    indices = [i for i in indices if i < len(frame)]
    if not indices or not columns:
        return {}
    if all(c in frame.columns for c in columns):
        return {i: _location_text(columns, [frame[c].iloc[i] for c in columns]) for i in indices}
    if ROWID not in frame.columns:
        return {}
    rowids = {int(frame[ROWID].iloc[i]): i for i in indices}
    cols = ", ".join(quote(c) for c in columns)
    placeholders = ", ".join("?" for _ in rowids)
    rows = con.execute(
        f"select rowid, {cols} from {table} where rowid in ({placeholders})", list(rowids)
    ).fetchall()
    return {rowids[rowid]: _location_text(columns, values) for rowid, *values in rows}


def _validate(
    frame: pd.DataFrame, expectations: list[Expectation], parameters: dict[str, Any]
) -> dict[int, Any]:
    """Validate `frame` with an ephemeral GX context; results keyed by expectation index."""
    import great_expectations as gx
    from great_expectations.core.expectation_suite import ExpectationSuite
    from great_expectations.data_context.types.base import ProgressBarsConfig

    logging.getLogger("great_expectations").setLevel(logging.ERROR)
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    batch_definition = (
        context.data_sources.add_pandas("leitstand")
        .add_dataframe_asset("frame")
        .add_batch_definition_whole_dataframe("whole")
    )
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
) -> list[GateResult]:
    results: list[GateResult] = []
    runnable: list[Expectation] = []
    if batch == TABLE_BATCH:
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
        frame = None  # fetched below: whole, or a chunk at a time
        location_cols = suite.example_columns
        if location_cols is None and all(c in table_cols for c in LINEAGE_LOCATION):
            location_cols = list(LINEAGE_LOCATION)
    else:
        runnable = list(expectations)
        try:
            frame = to_frame(con.sql(suite.profiles[batch]))
        except duckdb.Error as e:
            first = str(e).splitlines()[0]
            return [
                _failed(
                    suite,
                    x,
                    f"{suite.table}: profile {batch!r} of {suite.path.name} failed: {first}",
                )
                for x in expectations
            ]
        location_cols = [c for c in (suite.example_columns or []) if c in frame.columns]
        if batch in suite.suspect_rows and all(c in frame.columns for c in LINEAGE_LOCATION):
            location_cols = list(LINEAGE_LOCATION)
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
    if batch == TABLE_BATCH and table_rows > CHUNK_ROWS:
        row_wise = [e for e in runnable if _row_wise(e)]
        whole = [e for e in runnable if not _row_wise(e)]
        outcomes = (
            _chunked_outcomes(
                con,
                suite.table,
                _columns(row_wise, table_cols),
                row_wise,
                parameters,
                location_cols,
            )
            if row_wise
            else {}
        )
        if whole:
            frame = _fetch_table(con, suite.table, _columns(whole, table_cols))
            outcomes |= _outcomes(con, suite.table, frame, whole, parameters, location_cols)
    else:
        if frame is None:
            frame = _fetch_table(con, suite.table, _columns(runnable, table_cols))
        outcomes = _outcomes(con, suite.table, frame, runnable, parameters, location_cols)
    for e in runnable:
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
        results.append(
            GateResult(
                e.check_name,
                suite.table,
                _gx_severity(e.config),
                outcome.success,
                observed,
                threshold,
                message,
            )
        )
    return results


@dataclass
class _Outcome:
    """One expectation's verdict on one frame, or added up over the chunks of a table."""

    success: bool
    result: dict[str, Any] = field(default_factory=dict)
    locations: dict[int, str] = field(default_factory=dict)  # index in result → where
    error: str | None = None  # GX could not evaluate it


def _row_wise(e: Expectation) -> bool:
    return e.type in ROW_WISE and e.kwargs.get("mostly") is None


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
) -> dict[int, _Outcome]:
    """Row-wise expectations over the table a chunk at a time, added up per expectation."""
    parts: dict[int, list[_Outcome]] = {e.index: [] for e in expectations}
    for frame in _fetch_chunks(con, table, columns):
        for index, outcome in _outcomes(
            con, table, frame, expectations, parameters, location_cols
        ).items():
            parts[index].append(outcome)
        del frame
        _release_memory()
    return {index: _added_up(outcomes) for index, outcomes in parts.items()}


def _release_memory() -> None:
    """Free what validating a chunk left behind before the next one is fetched.

    GX's validator keeps copies of the data in reference cycles, and Arrow's allocator keeps
    freed pages: without this, chunks pile up (10 M order rows in chunks of 2 M: 2.8 GB
    peak instead of 1.7 GB).
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
    locations: dict[int, str] = {}
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
    con: duckdb.DuckDBPyConnection, suite_path: str | Path, today: dt.date | None = None
) -> list[GateResult]:
    """Validate the table named by the suite file; one `GateResult` per expectation.

    A missing table is itself a failed (error) result, so a gate never passes by accident
    because an upstream step produced nothing.
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
    results: list[GateResult] = []
    for batch, expectations in suite.batches().items():
        results += _run_batch(con, suite, batch, expectations, table_cols, today)
    order = {e.check_name: e.index for e in suite.expectations}
    return sorted(results, key=lambda r: order.get(r.check_name, -1))
