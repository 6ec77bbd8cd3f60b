"""The dashboards asset: the Evidence site rebuilt from the last publication."""

import time

from dagster import AssetExecutionContext, AssetKey, MaterializeResult, asset

from dagster_project.dashboards.build import build_dashboards
from dagster_project.defs.resources import LeitstandPaths


@asset(
    deps=[AssetKey("publish")],
    group_name="dashboards",
    description="The Evidence site built from the published database (`leitstand serve`).",
)
def dashboards(context: AssetExecutionContext, paths: LeitstandPaths) -> MaterializeResult:
    """Build the dashboards from the last publication; a failed build keeps the previous site."""
    settings = paths.settings()
    started = time.monotonic()
    site = build_dashboards(settings)
    pages = sum(1 for _ in site.rglob("index.html"))
    context.log.info(f"Dashboards built into {site.resolve()} ({pages} pages)")
    return MaterializeResult(
        metadata={
            "site": str(site),
            "pages": pages,
            "build_seconds": round(time.monotonic() - started, 1),
        }
    )
