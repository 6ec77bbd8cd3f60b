"""The dashboards asset: the Evidence site brought up to the last publication."""

from dagster import AssetExecutionContext, AssetKey, MaterializeResult, asset

from dagster_project.dashboards.build import build_dashboards
from dagster_project.defs.resources import LeitstandPaths


@asset(
    deps=[AssetKey("publish")],
    group_name="dashboards",
    description=(
        "The Evidence site of the published database (`leitstand serve`): new data files "
        "when only the publication changed, a page build when dashboards/ changed."
    ),
)
def dashboards(context: AssetExecutionContext, paths: LeitstandPaths) -> MaterializeResult:
    """Refresh or build the dashboards; a failure keeps the previous site."""
    settings = paths.settings()
    built = build_dashboards(settings, progress=context.log.info)
    context.log.info(
        f"Dashboards at {built.site.resolve()}: {built.mode} in {built.seconds:.1f} s"
    )
    return MaterializeResult(
        metadata={
            "site": str(built.site),
            "mode": built.mode,
            "pages": built.pages,
            "build_seconds": round(built.seconds, 1),
        }
    )
