"""The publish asset: runs only when every blocking check upstream has passed."""


import dagster as dg

from dagster_project.defs.assets.dbt import dbt_models
from dagster_project.defs.resources import LeitstandPaths
from dagster_project.publish.publication import publish

MART_KEYS = sorted((k for k in dbt_models.keys if k.path[0] == "marts"), key=str)


@dg.asset(key="publish", deps=MART_KEYS, group_name="publish", kinds={"duckdb"})
def publish_asset(context: dg.AssetExecutionContext, paths: LeitstandPaths) -> dg.MaterializeResult:
    """Swap the audited build into `<data>/leitstand.duckdb` (the file readers use)."""
    settings = paths.settings()
    pub = publish(settings, context.run.run_id)
    context.log.info(
        f"published {settings.published_db}"
        f" ({pub.rows_loaded} rows from {pub.files_loaded} files)"
    )
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(str(settings.published_db)),
            "files_loaded": pub.files_loaded,
            "rows_loaded": pub.rows_loaded,
            "rows_quarantined": pub.rows_quarantined,
            "sources_hash": pub.sources_hash,
        }
    )
