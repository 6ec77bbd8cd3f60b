"""Ingest assets: every source folder and the config folder into `raw.*` of the build DB.

One asset per source folder, keyed `raw/<source>` (what dbt's `source('raw', ...)` expects),
and one multi-asset for the `config/` tables. The loaders in `dagster_project.ingest` do
the work; these assets open the build database, record what was loaded in
`meta.ingest_results` / `meta.rejected_files` (read by the gate) and close it again before
anything else runs (DuckDB allows one writer).
"""

import dagster as dg
import duckdb

from dagster_project.defs.resources import LeitstandPaths
from dagster_project.ingest.loader import (
    CONFIG_TABLES,
    SOURCE_DEPENDENCIES,
    SOURCES,
    LoadResult,
    load_config,
    load_source,
)

GROUP = "ingest"

_RESULT_TABLES = """
create schema if not exists meta;
create table if not exists meta.ingest_results (
    load_id varchar, source varchar, files_loaded bigint, files_read bigint,
    rows_total bigint, rows_loaded bigint, rows_quarantined bigint,
    duplicates_collapsed bigint, dropped_columns varchar[]
);
create table if not exists meta.rejected_files (
    load_id varchar, source varchar, file_name varchar, message varchar
);
"""


def record_results(con: duckdb.DuckDBPyConnection, load_id: str, results: list[LoadResult]) -> None:
    """Keep this run's ingest counts and rejected files where the gate and reports read them."""
    con.execute(_RESULT_TABLES)
    for r in results:
        con.execute("delete from meta.ingest_results where source = ?", [r.source])
        con.execute("delete from meta.rejected_files where source = ?", [r.source])
        con.execute(
            "insert into meta.ingest_results values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                load_id,
                r.source,
                r.files_loaded,
                r.files_read,
                r.rows_total,
                r.rows_loaded,
                r.rows_quarantined,
                r.duplicates_collapsed,
                [f"{f}: {c}" for f, c in r.dropped_columns],
            ],
        )
        for p in r.rejected_files:
            con.execute(
                "insert into meta.rejected_files values (?, ?, ?, ?)",
                [load_id, p.source, p.file_name, str(p)],
            )


def _metadata(r: LoadResult) -> dict[str, dg.MetadataValue]:
    return {
        "files_loaded": dg.MetadataValue.int(r.files_loaded),
        "files_read": dg.MetadataValue.int(r.files_read),
        "rows_loaded": dg.MetadataValue.int(r.rows_loaded),
        "rows_quarantined": dg.MetadataValue.int(r.rows_quarantined),
        "duplicates_collapsed": dg.MetadataValue.int(r.duplicates_collapsed),
        "rejected_files": dg.MetadataValue.int(len(r.rejected_files)),
        "dagster/row_count": dg.MetadataValue.int(r.rows_loaded),
    }


def _log(context: dg.AssetExecutionContext, r: LoadResult) -> None:
    context.log.info(
        f"{r.source}: {r.files_loaded} files ({r.files_read} read), {r.rows_loaded} rows, "
        f"{r.rows_quarantined} quarantined"
    )
    for file_name, header in r.dropped_columns:
        context.log.info(
            f"{r.source}: dropped personal identifier column '{header}' of {file_name}"
        )
    for problem in r.rejected_files:
        context.log.error(str(problem))


@dg.multi_asset(
    specs=[dg.AssetSpec(["raw", t], group_name=GROUP, kinds={"duckdb"}) for t in CONFIG_TABLES],
    name="config_tables",
    can_subset=False,
)
def config_tables(context: dg.AssetExecutionContext, paths: LeitstandPaths):
    """The master data in `sources/config/`: org tree, channel map, targets, catalogs."""
    settings = paths.settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(settings.build_db), config=settings.duckdb_config()) as con:
        results = load_config(con, settings.sources_dir, context.run.run_id)
        record_results(con, context.run.run_id, results)
    for r in results:
        _log(context, r)
        yield dg.MaterializeResult(asset_key=["raw", r.source], metadata=_metadata(r))


def _source_asset(source: str) -> dg.AssetsDefinition:
    deps = [dg.AssetKey(["raw", t]) for t in CONFIG_TABLES]
    deps += [dg.AssetKey(["raw", d]) for d in SOURCE_DEPENDENCIES.get(source, [])]

    @dg.asset(key=["raw", source], deps=deps, group_name=GROUP, kinds={"duckdb"})
    def _ingest(context: dg.AssetExecutionContext, paths: LeitstandPaths) -> dg.MaterializeResult:
        settings = paths.settings()
        with duckdb.connect(str(settings.build_db), config=settings.duckdb_config()) as con:
            result = load_source(con, source, settings.sources_dir, context.run.run_id)
            record_results(con, context.run.run_id, [result])
        _log(context, result)
        return dg.MaterializeResult(metadata=_metadata(result))

    _ingest.__doc__ = f"Exports in `sources/{source}/` → `raw.{source}` (later files win per key)."
    return _ingest


ingest_assets = [config_tables, *[_source_asset(s) for s in SOURCES]]
