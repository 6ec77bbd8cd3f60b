"""The gate as Dagster asset checks: one multi-check per gated asset, blocking on errors.

Per raw source (`raw/<source>`): its GX suite, the quarantine share, rejected files and,
for sources with a channel, the channel map — all blocking — plus a non-blocking freshness
warning. Per config table: rejected files and quarantine share (and its suite, if one
exists). Per mart (`marts/<model>`): its GX suite. A failed error-severity check stops
everything downstream (dbt, publish), so the published file stays as it was.

Every check opens the build database only for as long as it runs (one writer per DuckDB
file), writes its results to `dq.gate_results` and merges them into the run report.
"""

from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import dagster as dg

from dagster_project.checks.channels import CHANNEL_COLUMNS, channel_map_result
from dagster_project.checks.db import build_connection
from dagster_project.checks.gx_runner import run_suite
from dagster_project.checks.results import ERROR, WARN, GateResult
from dagster_project.checks.rules import (
    FRESHNESS_CHECK,
    PERIOD_DATES,
    QUARANTINE_CHECK,
    REJECTED_CHECK,
    freshness,
    load_gate_settings,
    quarantine_share,
    rejected_files,
)
from dagster_project.checks.store import write_gate_results, write_run_report
from dagster_project.resources import LeitstandPaths
from dagster_project.settings import EXPECTATIONS_DIR, Settings

SUITE_CHECK = "expectations"
CHANNEL_CHECK = "channel_map"
MAX_METADATA_LINES = 20


def suite_path(table: str, expectations_dir: Path = EXPECTATIONS_DIR) -> Path:
    return expectations_dir / f"{table}.json"


def _to_check_result(
    asset_key: dg.AssetKey, check_name: str, results: list[GateResult]
) -> dg.AssetCheckResult:
    """Many gate results (e.g. one per expectation) → one Dagster check result."""
    failed = [r for r in results if not r.passed]
    errors = [r for r in failed if r.severity == ERROR]
    lines = [
        f"- **{r.severity}** `{r.check_name}`: {r.message}" for r in failed[:MAX_METADATA_LINES]
    ]
    metadata: dict[str, dg.MetadataValue] = {
        "checks": dg.MetadataValue.int(len(results)),
        "failed": dg.MetadataValue.int(len(failed)),
    }
    if lines:
        metadata["failures"] = dg.MetadataValue.md("\n".join(lines))
    if len(results) == 1 and results[0].observed is not None:
        metadata["observed"] = dg.MetadataValue.text(results[0].observed)
        metadata["threshold"] = dg.MetadataValue.text(results[0].threshold or "")
    return dg.AssetCheckResult(
        asset_key=asset_key,
        check_name=check_name,
        passed=not failed,
        severity=dg.AssetCheckSeverity.ERROR if errors else dg.AssetCheckSeverity.WARN,
        metadata=metadata,
        description=(failed[0].message[:1000] if failed else None),
    )


def _gx_rule(path: Path) -> Callable:
    def rule(con, settings: Settings) -> list[GateResult]:
        return run_suite(con, path)

    return rule


def _source_rules(
    source: str, table: str, path: Path | None, is_config: bool
) -> dict[str, tuple[bool, Callable]]:
    """check name → (blocking, rule) for one raw table."""
    rules: dict[str, tuple[bool, Callable]] = {}
    if path is not None and path.exists():
        rules[SUITE_CHECK] = (True, _gx_rule(path))
    rules[REJECTED_CHECK] = (True, lambda con, s: [rejected_files(con, source)])
    rules[QUARANTINE_CHECK] = (True, lambda con, s: [quarantine_share(con, source)])
    if source in CHANNEL_COLUMNS and not is_config:
        rules[CHANNEL_CHECK] = (
            True,
            lambda con, s: [
                channel_map_result(con, source, s.sources_dir / "config" / "channels.csv")
            ],
        )
    if source in PERIOD_DATES and not is_config:
        rules[FRESHNESS_CHECK] = (False, lambda con, s: [r for r in [freshness(con, source)] if r])
    return rules


def _run_rule(
    rule, con, settings: Settings, asset_key: dg.AssetKey, check_name: str, blocking: bool
) -> list[GateResult]:
    """A rule's results; a rule that crashes is itself a failed result, never a silent pass."""
    try:
        return rule(con, settings)
    except Exception as e:  # noqa: BLE001 - reported to the analyst, with its type
        where = "/".join(asset_key.path)
        return [
            GateResult(
                check_name,
                where,
                ERROR if blocking else WARN,
                False,
                None,
                None,
                f"{where}: check {check_name} could not run ({type(e).__name__}: {e}). "
                "Fix: see the traceback in the run log; check the input and the suite file",
            )
        ]


def _multi_check(
    name: str, asset_key: dg.AssetKey, rules: dict[str, tuple[bool, Callable]], description: str
):
    specs = [
        dg.AssetCheckSpec(
            check_name,
            asset=asset_key,
            blocking=blocking,
            description=f"{description}: {check_name}",
        )
        for check_name, (blocking, _) in rules.items()
    ]

    @dg.multi_asset_check(specs=specs, name=name, description=description)
    def _check(
        context: dg.AssetCheckExecutionContext, paths: LeitstandPaths
    ) -> Iterable[dg.AssetCheckResult]:
        settings = paths.settings()
        by_check: dict[str, list[GateResult]] = {}
        with build_connection(settings) as con:
            _, setting_problems = load_gate_settings(con)
            for check_name, (blocking, rule) in rules.items():
                results = _run_rule(rule, con, settings, asset_key, check_name, blocking)
                if check_name == QUARANTINE_CHECK:
                    results += setting_problems
                by_check[check_name] = results
            everything = [r for rs in by_check.values() for r in rs]
            write_gate_results(con, context.op_execution_context.run_id, everything)
        write_run_report(settings.runs_dir, context.op_execution_context.run_id, everything)
        for check_name, results in by_check.items():
            for r in results:
                if not r.passed:  # info: the check's evaluation already says it on the CLI
                    verdict = "failed" if r.severity == ERROR else "warning"
                    context.log.info(
                        f"{verdict}: {r.source_or_table} · {r.check_name}: {r.message}"
                    )
            yield _to_check_result(asset_key, check_name, results)

    return _check


def build_gate_checks(
    sources: Sequence[str],
    config_tables: Sequence[str],
    mart_models: Sequence[str],
    expectations_dir: Path = EXPECTATIONS_DIR,
) -> list[dg.AssetChecksDefinition]:
    """One multi-check per raw source, config table and mart that has a suite."""
    checks = []
    for source in sources:
        table = f"raw.{source}"
        rules = _source_rules(source, table, suite_path(table, expectations_dir), is_config=False)
        checks.append(
            _multi_check(
                f"gate_raw_{source}", dg.AssetKey(["raw", source]), rules, f"Gate on {table}"
            )
        )
    for config in config_tables:
        table = f"raw.{config}"
        rules = _source_rules(config, table, suite_path(table, expectations_dir), is_config=True)
        checks.append(
            _multi_check(
                f"gate_raw_{config}",
                dg.AssetKey(["raw", config]),
                rules,
                f"Gate on {table} (config)",
            )
        )
    for model in mart_models:
        table = f"marts.{model}"
        path = suite_path(table, expectations_dir)
        if path.exists():
            rules = {SUITE_CHECK: (True, _gx_rule(path))}
            checks.append(
                _multi_check(
                    f"gate_marts_{model}", dg.AssetKey(["marts", model]), rules, f"Gate on {table}"
                )
            )
    return checks


def suite_tables(expectations_dir: Path = EXPECTATIONS_DIR) -> list[str]:
    """Tables that have a suite file, e.g. `raw.erp_orders`, `marts.kpi_monthly`."""
    return sorted(p.name.removesuffix(".json") for p in expectations_dir.glob("*.json"))


def default_gate_checks() -> list[dg.AssetChecksDefinition]:
    """The checks for the project's own sources, config tables and dbt marts."""
    from dagster_project.assets.dbt import dbt_models
    from dagster_project.ingest.loader import CONFIG_TABLES, SOURCES

    marts = sorted(k.path[1] for k in dbt_models.keys if len(k.path) == 2 and k.path[0] == "marts")
    return build_gate_checks(list(SOURCES), list(CONFIG_TABLES), marts)
