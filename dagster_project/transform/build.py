"""The dbt models as Dagster assets; dbt tests become asset checks.

Keys and groups come from where a model lives: a model in `models/marts/` built into the
`marts` schema is the asset `marts/<model>` in group `marts`; sources are `raw/<table>`, the
keys the ingest assets already carry, so the graph joins without special cases.
"""

import faulthandler
import json
import os
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb

from dagster_project.core.settings import Settings
from dagster_project.transform.dbt_import import (
    DagsterDbtTranslator,
    DagsterDbtTranslatorSettings,
    DbtMetadataSet,
    get_manifest_and_translator_from_dbt_assets,
)
from dagster_project.transform.engine import (
    AUDIT_RELATIONS,
    RULE_RELATIONS,
    dbt_engine_args,
    hand_over_raw,
    is_spark,
    load_marts,
    models_reader,
    store_verdict,
)
from dagster_project.transform.increment import write_increment
from dagster_project.transform.plan import (
    BuildPlan,
    add_kept_results,
    descendants,
    exclude_args,
    forget_build,
    plan_build,
    project_state,
    raw_state,
    read_results,
    record_build,
)
from dagster_project.transform.privacy import (
    VERDICT_MODEL,
    derivable_message,
    derivable_rows,
    verdict_rows,
    write_derivable,
)
from dagster_project.transform.profile import write_profile
from dagster_project.transform.project import dbt_project
from dagster_project.transform.resource import OfflineDbtCliResource
from dagster_project.transform.results import record_dbt_results, stamp_run, stamped_run
from dagster_project.transform.warm import warm_executable

DBT_GROUPS = ("staging", "intermediate", "marts")
PROJECT_NAME = "leitstand"  # dbt_project.yml's `name:`

# The pipeline's build: models, seeds and the data tests that gate them. dbt's unit tests
# pin the SQL, not the data: `make test` runs them (tests/kpi_models), a daily run need not.
PIPELINE_BUILD_ARGS = ["build", "--exclude", "test_type:unit"]

# A `dbt build` of the sample takes ~7 s and one of 10 M order rows ~30 s; one still going
# after this long is stuck, not busy (see `dbt_watchdog`).
DBT_TIMEOUT_ENV = "LEITSTAND_DBT_TIMEOUT_SECONDS"
DEFAULT_DBT_TIMEOUT_SECONDS = 30 * 60


class LeitstandTranslator(DagsterDbtTranslator):
    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            return dg.AssetKey([dbt_resource_props["source_name"], dbt_resource_props["name"]])
        return dg.AssetKey([dbt_resource_props["schema"], dbt_resource_props["name"]])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        folder = dbt_resource_props.get("fqn", [None, None])[1]
        if folder in DBT_GROUPS:
            return folder
        return "seeds" if dbt_resource_props["resource_type"] == "seed" else "marts"


translator = LeitstandTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))


def build_models(context: dg.AssetExecutionContext, dbt: OfflineDbtCliResource,
                 settings: Settings) -> Iterator[Any]:
    """`dbt build` (models, seeds and data tests) against the run's build database.

    Dagster stores each event as dbt reports it, while dbt goes on building (the two share
    the machine's two cores; stored after the build, the ~260 events of the sample took
    ~2.6 s more). The events of tables, and of what depends on them, wait for the end: each
    materialized table carries its row count, and dbt's process holds the build database's
    write lock until it exits, so the counts are read once the build is over (dagster-dbt's
    own `fetch_row_counts` would open a second connection meanwhile and fail). The events of
    a failed build are passed on too, then its error.

    Models whose inputs did not change since the last build are kept, not built again
    (`transform/plan.py`); they are reported first, with their tests' last results.
    """
    write_profile(settings)
    dbt = dbt.model_copy(update={"profiles_dir": str(settings.dbt_target_dir)})
    yield from _build(context, dbt, settings)


def _build(context: dg.AssetExecutionContext, dbt: OfflineDbtCliResource, settings: Settings):
    """The dbt step (see `dbt_models`)."""
    timeout = float(os.environ.get(DBT_TIMEOUT_ENV, DEFAULT_DBT_TIMEOUT_SECONDS))
    stacks_file = settings.runs_dir / f"{context.run.run_id}.dbt-stacks.txt"
    # One target folder per data dir (not dagster-dbt's new folder per run, 7 MB each that
    # nobody removes): dbt's parse state there matches this data dir's profile, so from the
    # second run on dbt parses only what changed.
    target = settings.dbt_target_dir
    manifest = get_manifest_and_translator_from_dbt_assets([context.assets_def])[0]
    project = project_state()
    last_results = read_results(target / "run_results.json")
    # Only a build of every model is recorded and planned from: a selection made in
    # Dagster's UI builds what it selects (and dagster-dbt selects it for dbt).
    whole = context.selected_asset_keys == context.assets_def.keys
    spark = is_spark(settings)
    with duckdb.connect(str(settings.build_db), config=settings.duckdb_config()) as con:
        built_from = raw_state(con)
        if spark:  # its tables are not in the build database: built anew every time
            plan = BuildPlan("Spark builds every model")
            hand_over_raw(con, settings)
        elif whole:
            plan = plan_build(con, manifest, dbt_project.manifest_path.stat().st_mtime,
                              project, built_from, last_results, stamped_run(target))
        else:
            plan = BuildPlan("a selection of the dbt models")
        forget_build(con)
        if not spark:  # Spark builds the incremental models as tables
            write_increment(con, plan.increment)
        kept_counts = table_row_counts(con) if not plan.full else {}
    context.log.info(_plan_message(plan))
    # dbt started with the run and parsed meanwhile (`transform/warm.py`), if `leitstand run`
    # (it serves both parts of the build)
    cold = dbt
    executable = None if spark else warm_executable(target)
    if executable is not None:
        dbt = dbt.model_copy(update={"dbt_executable": executable})
    stamp_run(target, context.run.run_id)
    keys_by_output = context.assets_def.keys_by_output_name
    later = held_keys(context.assets_def)
    held, failure, earlier_results = [], None, []
    # a selection made in Dagster's UI is built in one part (dagster-dbt selects it for dbt),
    # with the verdict the rule gives on what the build database holds
    parts = (1, 2) if whole else (0,)
    if not whole:
        try:
            apply_privacy_rule(settings)
        except duckdb.CatalogException:
            context.log.warning("the privacy rule's inputs are not built yet: no new verdict")
    for part in parts:
        if part == 2:
            # between the parts: the privacy rule (`transform/privacy.py`)
            earlier_results = _results_list(target / "run_results.json")
            try:
                apply_privacy_rule(settings)
            except Exception as exc:  # noqa: BLE001 - reported like a failed build
                failure = exc
                break
            executable = warm_executable(target) if executable is not None else None
            dbt = cold if executable is None else cold.model_copy(
                update={"dbt_executable": executable})
        refresh = ["--full-refresh"] if plan.full_refresh and not spark else []
        invocation = dbt.cli(PIPELINE_BUILD_ARGS + dbt_engine_args(settings)
                             + part_args(plan, manifest, part) + refresh,
                             context=context, target_path=target)
        with dbt_watchdog(invocation.process, timeout, stacks_file) as timed_out:
            try:
                # dbt builds while the kept nodes are reported (Dagster stores ~5 ms per
                # event: ~0.3 s for the ~90 kept nodes of a re-run after a daily export)
                if part < 2:
                    yield from kept_events(context.assets_def, manifest, plan, kept_counts)
                for event in invocation.stream():
                    if event_asset_key(event, keys_by_output) in later:
                        held.append(event)
                    else:
                        yield event
            except Exception as exc:  # re-raised below, after the built tables are reported
                failure = exc
                stop_unread(invocation.process)
            except BaseException:  # the run is being stopped: so is dbt
                stop_unread(invocation.process)
                raise
            invocation.process.wait()  # dbt's output ends a moment before its lock is released
        if timed_out.is_set():
            raise dg.Failure(description=(
                f"dbt build did not finish within {timeout:.0f} s and was stopped; the stacks "
                f"of this process at that moment are in {stacks_file} (set {DBT_TIMEOUT_ENV} "
                "if your build legitimately takes longer)"
            ))
        if failure is not None:
            break
    _prepend_results(target / "run_results.json", earlier_results)
    if failure is None:
        try:
            load_marts(settings)
            failure = audit_privacy(settings)
        except duckdb.CatalogException as exc:
            if whole:
                failure = exc
            else:  # a selection that did not build what the audit reads
                context.log.warning(f"no privacy audit: its input is not built ({exc})")
        except (duckdb.Error, OSError) as exc:
            failure = exc
    if (target / "run_results.json").is_file():
        add_kept_results(target / "run_results.json", plan)
    try:
        with duckdb.connect(str(settings.build_db), config=settings.duckdb_config()) as con:
            counts = table_row_counts(con)
            if failure is None and whole and not spark:  # Spark's tables live elsewhere
                record_build(con, context.run.run_id, project, built_from)
    except duckdb.Error as exc:  # bookkeeping only: never the reason a run fails
        context.log.warning(
            f"after dbt, the build database could not be read or written ({exc}): no row "
            "counts, and no record of this build, so the next one builds every model")
        counts = {}
    # dbt's tests beside the gate's results, before the publish step copies them (the run's
    # summary records them only when this step did not get here)
    record_dbt_results(settings, context.run.run_id)
    for event in held:
        yield with_row_count(event, counts, keys_by_output)
    if failure is not None:
        raise failure


def part_args(plan: BuildPlan, manifest: Mapping[str, Any], part: int) -> list[str]:
    """The selection of one part of the build: (1) everything not downstream of the model
    that reads the privacy rule's verdict, (2) that model and everything downstream of it
    (tests too: a test of models of both parts runs in the second); either without the kept
    nodes. Part 0 is the whole build in one (a selection made in Dagster's UI).

    Both parts are said by what they leave out, each node by its `fqn:` (dagster-dbt adds
    its own `--select` of every node, and dbt unites selections), tests only as named."""
    if part == 0:
        return exclude_args(plan, manifest)
    nodes = manifest["nodes"]
    second = descendants(manifest, [f"model.{PROJECT_NAME}.{VERDICT_MODEL}"])
    left_out = {uid for uid in nodes
                if (uid in second) == (part == 1) and nodes[uid]["resource_type"] != "unit_test"}
    left_out |= set() if plan.full else set(plan.kept)
    names = sorted({"fqn:" + ".".join(nodes[uid]["fqn"]) for uid in left_out if uid in nodes})
    return ["--exclude", " ".join(names), "--indirect-selection", "empty"]


def apply_privacy_rule(settings: Settings) -> None:
    """The privacy rule's verdict from the first part's models, where the second reads it."""
    with models_reader(settings, RULE_RELATIONS) as con:
        rows = verdict_rows(con)
    store_verdict(settings, rows)


def audit_privacy(settings: Settings) -> Exception | None:
    """The closing privacy audit of the cells about to be published (`transform/privacy.py`):
    the run's failure when anything suppressed can be computed, else None."""
    with models_reader(settings, AUDIT_RELATIONS) as con:
        rows = derivable_rows(con)
    with duckdb.connect(str(settings.build_db), config=settings.duckdb_config()) as con:
        write_derivable(con, rows)
    return dg.Failure(description=derivable_message(rows)) if rows else None


def _results_list(path: Path) -> list[Any]:
    try:
        return list(json.loads(path.read_text(encoding="utf-8")).get("results", []))
    except (OSError, ValueError, AttributeError):
        return []


def _prepend_results(path: Path, earlier: list[Any]) -> None:
    """One `run_results.json` for the whole build: the first part's results before the
    second's (each dbt command writes its own)."""
    if not earlier or not path.is_file():
        return
    data = json.loads(path.read_text(encoding="utf-8"))
    seen = {r.get("unique_id") for r in data.get("results", [])}
    data["results"] = [r for r in earlier if r.get("unique_id") not in seen] + data["results"]
    path.write_text(json.dumps(data), encoding="utf-8")


def _plan_message(plan: BuildPlan) -> str:
    if plan.full:
        return f"dbt builds every model: {plan.reason}"
    models = sum(1 for uid in plan.kept if uid.startswith("model."))
    tests = len(plan.kept_results)
    increment = plan.increment
    how = ("" if increment is None else
           f"; incremental models: {increment.reason}" if increment.months is not None else
           f"; incremental models rebuilt whole: {increment.reason}")
    return (f"dbt keeps {models} models and {tests} tests as built in run {plan.since_run} "
            f"({plan.reason}; the rest depends on them or on the run's date){how}")


def kept_events(assets_def: dg.AssetsDefinition, manifest: Mapping[str, Any], plan: BuildPlan,
                counts: Mapping[tuple[str, str], int]) -> Iterator[Any]:
    """Outputs of the kept models and seeds (parents first), then their tests' last results.

    The kept nodes include every ancestor of each (what a kept model reads did not change
    either), so they can all be reported before dbt builds the rest."""
    if plan.full:
        return
    output_by_key = {key: name for name, key in assets_def.keys_by_output_name.items()}
    note = {"leitstand/kept_from_run": dg.MetadataValue.text(plan.since_run or "")}
    nodes = manifest["nodes"]
    for uid in _parents_first(manifest, plan.kept):
        if uid.startswith("test."):
            continue
        key = translator.get_asset_key(nodes[uid])
        if key not in output_by_key:
            continue
        metadata = dict(note)
        count = counts.get(tuple(key.path))
        if count is not None:
            metadata["dagster/row_count"] = dg.MetadataValue.int(count)
        yield dg.Output(None, output_name=output_by_key[key], metadata=metadata)
    for spec in assets_def.check_specs:
        result = plan.kept_results.get(spec.metadata.get("dagster_dbt/unique_id", ""))
        if result is None:
            continue
        status = result.get("status")
        severity = dg.AssetCheckSeverity.WARN if status == "warn" else dg.AssetCheckSeverity.ERROR
        yield dg.AssetCheckResult(
            asset_key=spec.asset_key, check_name=spec.name, passed=status == "pass",
            severity=severity,
            metadata={**note, "status": dg.MetadataValue.text(str(status))},
        )


def _parents_first(manifest: Mapping[str, Any], uids: frozenset[str]) -> list[str]:
    """`uids` ordered so that each comes after its parents among them."""
    parents = manifest.get("parent_map", {})
    ordered: list[str] = []
    placed: set[str] = set()

    def place(uid: str) -> None:
        if uid in placed:
            return
        placed.add(uid)
        for parent in parents.get(uid, []):
            if parent in uids:
                place(parent)
        ordered.append(uid)

    for uid in sorted(uids):
        place(uid)
    return ordered


def held_keys(assets_def: dg.AssetsDefinition) -> frozenset[dg.AssetKey]:
    """The assets whose events wait for the end of the build.

    The tables dbt builds (models and seeds: they are given a row count) and everything
    downstream of them, since Dagster takes a multi-asset's outputs only in the order of
    the graph.
    """
    held = {
        spec.key for spec in assets_def.specs
        if DbtMetadataSet.extract(spec.metadata).materialization_type
        not in (None, "view", "ephemeral")
    }
    deps = assets_def.asset_deps
    grown = True
    while grown:
        more = {key for key in assets_def.keys - held if deps.get(key, set()) & held}
        held |= more
        grown = bool(more)
    return frozenset(held)


def event_asset_key(event: Any, keys_by_output: Mapping[str, dg.AssetKey]) -> dg.AssetKey | None:
    """The asset an event of dbt's stream is about (its check's asset, for a check result)."""
    if isinstance(event, dg.Output):
        return keys_by_output.get(event.output_name)
    return getattr(event, "asset_key", None)


def stop_unread(process: Any) -> None:
    """Stop a dbt process whose output is no longer read.

    When turning dbt's events into Dagster's fails (e.g. dbt builds a model that the
    manifest Dagster loaded does not know: a model added without `make setup`), nobody
    reads dbt's output any more; dbt fills the pipe and waits, and so would the run, for
    ever. This was the "dbt hang under Dagster" seen a few times: the failure is what the
    run must report, right away.
    """
    if process.poll() is None:
        process.kill()


@contextmanager
def dbt_watchdog(process: Any, seconds: float, stacks_file: Path) -> Iterator[threading.Event]:
    """Stop a dbt process that runs longer than `seconds`; the event says whether it did.

    Rarely (3 of ~20 runs in one week, never reproduced on demand) a `dbt build` under
    Dagster stopped making progress: Dagster no longer read dbt's output and dbt waited on
    the full pipe. Instead of a run that hangs until someone kills it, the watchdog writes
    the Python stacks of this process to `stacks_file` (to find the cause) and kills dbt,
    which ends the stream the run was waiting on.
    """
    fired = threading.Event()

    def stop() -> None:
        fired.set()
        stacks_file.parent.mkdir(parents=True, exist_ok=True)
        with stacks_file.open("w", encoding="utf-8") as out:
            faulthandler.dump_traceback(file=out, all_threads=True)
        process.kill()

    timer = threading.Timer(seconds, stop)
    timer.daemon = True
    timer.start()
    try:
        yield fired
    finally:
        timer.cancel()


def table_row_counts(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, str], int]:
    """(schema, table) -> rows, for the tables of the build database (views are not run)."""
    tables = con.execute(
        "select schema_name, table_name from duckdb_tables()"
        " where database_name = current_database()"
    ).fetchall()
    return {
        (schema, table): con.execute(f'select count(*) from "{schema}"."{table}"').fetchone()[0]
        for schema, table in tables
    }


def with_row_count(
    event: Any, counts: Mapping[tuple[str, str], int], keys_by_output: Mapping[str, dg.AssetKey]
) -> Any:
    """The event with `dagster/row_count` when it materializes a table whose count is known."""
    if isinstance(event, dg.Output):
        key = keys_by_output.get(event.output_name)
    elif isinstance(event, dg.AssetMaterialization):
        key = event.asset_key
    else:
        return event
    count = counts.get(tuple(key.path)) if key is not None and len(key.path) == 2 else None
    if count is None:
        return event
    return event.with_metadata({**event.metadata, "dagster/row_count": dg.MetadataValue.int(count)})
