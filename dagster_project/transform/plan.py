"""What the dbt step rebuilds: the models whose inputs changed since the last build.

A model's table is a function of the raw tables it reads (through its parents), the dbt
project's files and, for a model tagged `run_date`, the day it is built. After each
successful `dbt build`, `meta.dbt_build` in the build database records what the build was
made from: the state of every raw table (the ingest's fingerprints, `meta.raw_state`) and a
fingerprint of the dbt project. The next dbt step compares. With the same project, every
model, seed and data test that depends — through the graph — neither on a raw table whose
state changed nor on a `run_date` model is *kept*: dbt does not build it again (its table
is the one the last build wrote from the same inputs) and its test keeps the last build's
result. The rest is built as usual, with its tests.

A daily export adds orders, so the re-run rebuilds the 16 models downstream of
`raw.erp_orders` (and `marts.actions`) instead of all the others with their tests; the big
order aggregates among them (and, for their exports, the CRM and usage ones) are incremental
and recompute only the months the new rows fall in (`transform/increment.py` decides which,
or that they are rebuilt whole). Anything out
of the ordinary builds everything: no record (first build, or the last one failed or was
stopped: the record is removed before dbt starts), another project or dbt version, a kept
table missing, or a kept test whose last result cannot be found.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import duckdb

from dagster_project.core.db import table_exists
from dagster_project.core.settings import DBT_PROJECT_DIR
from dagster_project.transform.increment import Increment, plan_increment

# Models that read the day they are built on (`current_date` and the like) carry this tag;
# they and what depends on them are built on every run (tests/integration/test_dbt_plan.py
# looks for models that read the date without it).
RUN_DATE_TAG = "run_date"
# Result field marking a test result carried over from an earlier build (dbt_results.py).
KEPT_FROM_RUN = "leitstand_kept_from_run"

_PROJECT_PARTS = ("models", "macros", "seeds", "tests", "snapshots", "analyses")
_PROJECT_FILES = ("dbt_project.yml", "profiles.yml", "packages.yml", "dependencies.yml")
_BUILT_KINDS = ("model.", "seed.", "snapshot.", "test.")
_TABLE = """
create schema if not exists meta;
create table if not exists meta.dbt_build (
    run_id varchar, project_fingerprint varchar, raw_state varchar
);
"""


@dataclass(frozen=True)
class BuildPlan:
    """The nodes the dbt step keeps (none: a full build), and why."""

    reason: str
    kept: frozenset[str] = frozenset()           # unique ids: models, seeds, data tests
    kept_results: Mapping[str, dict[str, Any]] = field(default_factory=dict)  # tests
    changed_sources: tuple[str, ...] = ()
    since_run: str | None = None
    # the months the incremental models recompute; None: they are rebuilt whole
    increment: Increment | None = None

    @property
    def full(self) -> bool:
        return not self.kept

    @property
    def full_refresh(self) -> bool:
        """Whether dbt rebuilds the incremental models whole (`--full-refresh`)."""
        return self.increment is None or self.increment.months is None


@dataclass(frozen=True)
class Project:
    """The dbt project's files (models, macros, seeds, tests, configuration) and the versions
    of dbt and its adapter: what else a model's table is a function of."""

    fingerprint: str
    last_changed: float  # the newest modification time among the files


def project_state(project_dir: Path = DBT_PROJECT_DIR) -> Project:
    digest, last_changed = hashlib.sha256(), 0.0
    for package in ("dbt-core", "dbt-duckdb"):
        digest.update(f"{package}=={metadata.version(package)}\n".encode())
    paths = [project_dir / name for name in _PROJECT_FILES]
    for part in _PROJECT_PARTS:
        folder = project_dir / part
        if folder.is_dir():
            paths += sorted(p for p in folder.rglob("*") if p.is_file())
    for path in paths:
        if path.is_file():
            digest.update(str(path.relative_to(project_dir)).encode() + b"\0")
            digest.update(hashlib.sha256(path.read_bytes()).digest())
            last_changed = max(last_changed, path.stat().st_mtime)
    return Project(digest.hexdigest(), last_changed)


def raw_state(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """Source → the state fingerprint `raw.<source>` was last built from (ingest/store.py)."""
    if not table_exists(con, "meta.raw_state"):
        return {}
    return dict(con.execute("select source, fingerprint from meta.raw_state").fetchall())


def forget_build(con: duckdb.DuckDBPyConnection) -> None:
    """Remove the record before dbt starts: a build that fails or is stopped leaves none."""
    con.execute(_TABLE)
    con.execute("delete from meta.dbt_build")


def record_build(con: duckdb.DuckDBPyConnection, run_id: str, project: Project,
                 state: Mapping[str, str]) -> None:
    """After a successful build: what it was made from (`state` as read before it started)."""
    con.execute(_TABLE)
    con.execute("delete from meta.dbt_build")
    con.execute("insert into meta.dbt_build values (?, ?, ?)",
                [run_id, project.fingerprint, json.dumps(dict(sorted(state.items())))])


def _last_build(con: duckdb.DuckDBPyConnection) -> tuple[str, str, dict[str, str]] | None:
    if not table_exists(con, "meta.dbt_build"):
        return None
    rows = con.execute(
        "select run_id, project_fingerprint, raw_state from meta.dbt_build").fetchall()
    if len(rows) != 1:
        return None
    run_id, project, state = rows[0]
    return run_id, project, json.loads(state)


def descendants(manifest: Mapping[str, Any], roots: Iterable[str]) -> set[str]:
    """`roots` and every node that depends on one of them (dbt's `child_map`)."""
    children = manifest.get("child_map", {})
    found, todo = set(), list(roots)
    while todo:
        node = todo.pop()
        if node in found:
            continue
        found.add(node)
        todo.extend(children.get(node, []))
    return found


def plan_build(con: duckdb.DuckDBPyConnection, manifest: Mapping[str, Any],
               manifest_written: float, project: Project, state: Mapping[str, str],
               last_results: Mapping[str, dict[str, Any]] | None,
               last_results_run: str | None) -> BuildPlan:
    """Which nodes this build keeps.

    `manifest` is the graph Dagster loaded (`manifest_written`: when its file was written);
    `state` the raw tables' states now (`raw_state`); `last_results` are the test results of
    the last build (by unique id) and `last_results_run` the run that wrote them."""
    if manifest_written < project.last_changed:
        return BuildPlan("the dbt project changed after Dagster's manifest was written "
                         "(`make setup` writes it anew)")
    last = _last_build(con)
    if last is None:
        return BuildPlan("no record of an earlier complete build in this data dir")
    since_run, last_project, last_state = last
    if last_project != project.fingerprint:
        return BuildPlan("the dbt project (or dbt's version) changed since the last build")
    if last_results is None or last_results_run != since_run:
        return BuildPlan("the last build's test results are not in the dbt target folder")
    sources = {
        uid: node for uid, node in manifest.get("sources", {}).items()
        if node.get("source_name") == "raw"
    }
    changed = sorted(
        node["name"] for node in sources.values()
        if state.get(node["name"]) != last_state.get(node["name"])
    )
    roots = [uid for uid, node in sources.items() if node["name"] in changed]
    roots += [uid for uid, node in manifest.get("nodes", {}).items()
              if RUN_DATE_TAG in (node.get("tags") or [])]
    stale = descendants(manifest, roots)
    nodes = manifest.get("nodes", {})
    kept = frozenset(uid for uid in nodes if uid.startswith(_BUILT_KINDS) and uid not in stale)
    tables = {(n["schema"], n.get("alias") or n["name"]) for uid, n in nodes.items()
              if uid in kept and not uid.startswith("test.")}
    present = set(con.execute(
        "select table_schema, table_name from information_schema.tables").fetchall())
    if missing := sorted(tables - present):
        schema, name = missing[0]
        return BuildPlan(f"{schema}.{name} is not in the build database")
    tests = [uid for uid in kept if uid.startswith("test.")]
    if unknown := [uid for uid in tests if uid not in last_results]:
        return BuildPlan(f"no result of the last build for {nodes[unknown[0]]['name']}")
    return BuildPlan(
        reason=("raw tables changed: " + ", ".join(changed)) if changed
        else "no raw table changed",
        kept=kept,
        kept_results={uid: last_results[uid] for uid in tests},
        changed_sources=tuple(changed),
        since_run=since_run,
        increment=plan_increment(con, manifest, stale, roots, last_state),
    )


def exclude_args(plan: BuildPlan, manifest: Mapping[str, Any]) -> list[str]:
    """`dbt build` arguments that leave out the kept nodes, each by its full `fqn:`.

    Tests are selected only as named (`--indirect-selection empty`): by default dbt would
    also leave out a test of a rebuilt model that reads a kept one (a relationship)."""
    if plan.full:
        return []
    nodes = manifest["nodes"]
    names = sorted("fqn:" + ".".join(nodes[uid]["fqn"]) for uid in plan.kept)
    return ["--exclude", " ".join(names), "--indirect-selection", "empty"]


def read_results(path: Path) -> dict[str, dict[str, Any]] | None:
    """A `run_results.json` by unique id (None when there is none or it cannot be read)."""
    try:
        results = json.loads(path.read_text(encoding="utf-8"))["results"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return {r["unique_id"]: r for r in results if isinstance(r, dict) and "unique_id" in r}


def add_kept_results(path: Path, plan: BuildPlan) -> None:
    """Append the kept tests' last results to this build's `run_results.json`, marked with
    the run they come from, so the gate (and the next build's plan) sees every test."""
    if plan.full:
        return
    data = json.loads(path.read_text(encoding="utf-8"))
    built = {r.get("unique_id") for r in data.get("results", [])}
    for uid, result in sorted(plan.kept_results.items()):
        if uid not in built:
            data["results"].append({KEPT_FROM_RUN: plan.since_run, **result})
    path.write_text(json.dumps(data), encoding="utf-8")
