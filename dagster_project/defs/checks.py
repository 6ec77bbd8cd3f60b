"""The gate as Dagster asset checks, blocking on errors, in as few steps as can be.

Per raw source (`raw/<source>`): its GX suite, the quarantine share, rejected files and,
for sources with a channel, the channel map — all blocking — plus a non-blocking freshness
warning. Per config table: rejected files and quarantine share (and its suite, if one
exists). Per mart (`marts/<model>`): its GX suite. A failed error-severity check stops
everything downstream of its asset (dbt, publish), so the published file stays as it was.

Checks that can share a step do (`build_gate_checks` says which); a step opens the build
database only for as long as it runs (one writer per DuckDB file), writes the
results to `dq.gate_results` and merges them into the run report.
"""

import json
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import dagster as dg

from dagster_project.core.db import build_connection
from dagster_project.core.settings import EXPECTATIONS_DIR, Settings
from dagster_project.defs.resources import LeitstandPaths
from dagster_project.gate.channels import CHANNEL_COLUMNS, channel_map_result
from dagster_project.gate.gx_runner import run_suite
from dagster_project.gate.org_tree import ORG_TREE_CHECK, ORG_UNITS, org_tree_result
from dagster_project.gate.results import ERROR, WARN, GateResult
from dagster_project.gate.rules import (
    FRESHNESS_CHECK,
    PERIOD_DATES,
    QUARANTINE_CHECK,
    REJECTED_CHECK,
    freshness,
    load_gate_settings,
    quarantine_share,
    rejected_files,
)
from dagster_project.gate.store import write_gate_results, write_run_report
from dagster_project.ingest.loader import CONFIG_TABLES, SOURCE_DEPENDENCIES, SOURCES
from dagster_project.transform.project import dbt_project

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
    source: str, path: Path | None, is_config: bool
) -> dict[str, tuple[bool, Callable]]:
    """check name → (blocking, rule) for one raw table."""
    rules: dict[str, tuple[bool, Callable]] = {}
    if path is not None and path.exists():
        rules[SUITE_CHECK] = (True, _gx_rule(path))
    rules[REJECTED_CHECK] = (True, lambda con, s: [rejected_files(con, source)])
    if source == ORG_UNITS and is_config:
        rules[ORG_TREE_CHECK] = (True, lambda con, s: [org_tree_result(con)])
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


@dataclass(frozen=True)
class GatedAsset:
    """One asset the gate checks: its key, its rules (check name → (blocking, rule))."""

    asset_key: dg.AssetKey
    rules: dict[str, tuple[bool, Callable]]
    description: str


def _gate_step(name: str, gated: list[GatedAsset], description: str):
    """One Dagster step that runs the checks of several assets.

    Each check still belongs to its asset (and blocks what is downstream of it); a step
    for several tables instead of one per table saves Dagster's per-step cost (~0.1 s and
    a dozen stored events each: 13 fewer steps took 3–4 s off a re-run) and opens the
    build database once.
    """
    specs = [
        dg.AssetCheckSpec(
            check_name,
            asset=g.asset_key,
            blocking=blocking,
            description=f"{g.description}: {check_name}",
        )
        for g in gated
        for check_name, (blocking, _) in g.rules.items()
    ]

    @dg.multi_asset_check(specs=specs, name=name, description=description, can_subset=True)
    def _check(
        context: dg.AssetCheckExecutionContext, paths: LeitstandPaths
    ) -> Iterable[dg.AssetCheckResult]:
        settings = paths.settings()
        selected = context.selected_asset_check_keys
        checked: list[tuple[dg.AssetKey, str, list[GateResult]]] = []
        with build_connection(settings) as con:
            _, setting_problems = load_gate_settings(con)
            for g in gated:
                for check_name, (blocking, rule) in g.rules.items():
                    if dg.AssetCheckKey(g.asset_key, check_name) not in selected:
                        continue
                    results = _run_rule(rule, con, settings, g.asset_key, check_name, blocking)
                    if check_name == QUARANTINE_CHECK:
                        results += setting_problems
                    checked.append((g.asset_key, check_name, results))
            everything = [r for _, _, rs in checked for r in rs]
            write_gate_results(con, context.op_execution_context.run_id, everything)
        write_run_report(settings.runs_dir, context.op_execution_context.run_id, everything)
        for asset_key, check_name, results in checked:
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
    upstream_sources: Collection[str] = (),
) -> list[dg.AssetChecksDefinition]:
    """The gate's steps: one for the config tables, one for the sources no other source
    refers to, one for each other source and one for each mart.

    A blocking check makes what is downstream of its asset wait for it, so checks can only
    share a step when none of their assets is downstream of another's: the config tables
    (the sources wait for them), the sources no other source refers to (`upstream_sources`,
    e.g. hr_employees for licences, keep a step each), and the marts one by one (dbt builds
    them in one step; a shared check step would split dbt's). Otherwise Dagster would cut
    the step in pieces and run it several times.
    """
    config = [
        GatedAsset(
            dg.AssetKey(["raw", name]),
            _source_rules(name, suite_path(f"raw.{name}", expectations_dir), is_config=True),
            f"Gate on raw.{name} (config)",
        )
        for name in config_tables
    ]
    raw = {
        source: GatedAsset(
            dg.AssetKey(["raw", source]),
            _source_rules(source, suite_path(f"raw.{source}", expectations_dir), is_config=False),
            f"Gate on raw.{source}",
        )
        for source in sources
    }
    steps = [("gate_config", config, "Gate on the config tables (master data, targets, settings)")]
    steps += [
        (f"gate_raw_{source}", [raw[source]], f"Gate on raw.{source}")
        for source in sources
        if source in upstream_sources
    ]
    steps.append(
        (
            "gate_raw",
            [g for source, g in raw.items() if source not in upstream_sources],
            "Gate on the raw tables of the source folders",
        )
    )
    for model in mart_models:
        path = suite_path(f"marts.{model}", expectations_dir)
        if path.exists():
            gated = GatedAsset(
                dg.AssetKey(["marts", model]),
                {SUITE_CHECK: (True, _gx_rule(path))},
                f"Gate on marts.{model}",
            )
            steps.append((f"gate_marts_{model}", [gated], f"Gate on marts.{model}"))
    return [_gate_step(name, gated, text) for name, gated, text in steps if gated]


def suite_tables(expectations_dir: Path = EXPECTATIONS_DIR) -> list[str]:
    """Tables that have a suite file, e.g. `raw.erp_orders`, `marts.kpi_monthly`."""
    return sorted(p.name.removesuffix(".json") for p in expectations_dir.glob("*.json"))


def mart_tables(manifest: dict) -> list[str]:
    """The tables dbt builds into the `marts` schema, by the dbt manifest."""
    return sorted({node["name"] for node in manifest.get("nodes", {}).values()
                   if node.get("resource_type") in ("model", "seed", "snapshot")
                   and node.get("schema") == "marts"})


def default_gate_checks() -> list[dg.AssetChecksDefinition]:
    """The checks for the project's own sources, config tables and dbt marts."""
    marts = mart_tables(json.loads(dbt_project.manifest_path.read_text(encoding="utf-8")))
    upstream = {d for deps in SOURCE_DEPENDENCIES.values() for d in deps}
    return build_gate_checks(list(SOURCES), list(CONFIG_TABLES), marts, upstream_sources=upstream)


gate_checks = default_gate_checks()
