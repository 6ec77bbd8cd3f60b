"""Shared fixtures: one generated sample company and one real pipeline run per session.

The pipeline runs for real (ingest → gate → dbt build → gate → publish) in-process on an
ephemeral Dagster instance, into a temporary data dir; tests that need a run of their own
copy the sources and the data dir from these.
"""

from __future__ import annotations

import importlib
import os
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("DAGSTER_DISABLE_TELEMETRY", "1")
# dbt builds the sample in seconds: a build stuck for minutes is stopped and fails its run
# (see dagster_project.transform.build.dbt_watchdog) instead of holding the test run up
os.environ.setdefault("LEITSTAND_DBT_TIMEOUT_SECONDS", "240")


def _import_spark_connect_as_a_script_would() -> None:
    """pytest-xdist's workers run as `python -c`: their `__main__` has neither `__spec__` nor
    `__file__`, which `pyspark.sql.connect` (imported by Great Expectations once pyspark is
    installed, for the Spark engine) takes for a doctest run, and calls `sys.exit(0)` in the
    middle of the gate. Imported here once as in `leitstand run` (a script): where it fails
    to import there (no grpc), it is marked as not importable, the same ImportError GX
    expects."""
    main = sys.modules["__main__"]
    if getattr(main, "__spec__", None) is not None or hasattr(main, "__file__"):
        return
    sys.ps1 = ""  # what the check takes for an interactive session, only for this import
    try:
        importlib.import_module("pyspark.sql.connect")
    except ImportError:
        sys.modules["pyspark.sql.connect"] = None  # later imports: ImportError, no exit
    finally:
        del sys.ps1


_import_spark_connect_as_a_script_would()

# Modules whose tests run dbt, the whole pipeline or hundreds of generated examples: `make
# test` runs them, `make check` (the inner loop, `-m "not slow and not browser"`) leaves
# them out. Marked here in one list rather than module by module.
SLOW_MODULES = {
    "tests/integration/test_pipeline.py",
    "tests/integration/test_dbt_plan.py",
    "tests/integration/test_dbt_increment.py",
    "tests/integration/test_dbt_increment_sources.py",
    "tests/integration/test_dbt_warm.py",
    "tests/integration/test_dbt_watchdog.py",
    "tests/kpi_models/test_dbt_build.py",
    "tests/kpi_models/test_privacy_rule.py",
    "tests/sample/test_bulk.py",
    "tests/sample/test_generator.py",
    "tests/ingest/test_sample_company.py",
    "tests/ingest/test_values.py",
    "tests/ingest/test_incremental.py",
    "tests/ingest/test_reader_roundtrip.py",
    "tests/gate/test_gx_import.py",
    "tests/integration/test_spark_engine.py",
    "tests/structure/test_portable_sql.py",
}


# The modules that keep one test process busy for minutes (a Spark run, a built site, runs
# that block and publish again). `make test` hands whole modules to its processes in the
# order collected (`--dist loadfile --no-loadscope-reorder`), so these go first: started
# last, the Spark run alone kept one process busy after the other had finished.
LONG_MODULES = (
    "tests/browser/test_dashboards.py",  # ~300 s: a run and a site build, a browser, runs
    "tests/integration/test_spark_engine.py",  # ~150-190 s since intermediates are tables
    "tests/gate/test_blocked_runs.py",
    "tests/integration/test_dbt_increment.py",  # ~95-105 s: 6 runs side by side
    "tests/ingest/test_producers.py",
    "tests/ops/test_acceptance.py",
    "tests/integration/test_dbt_plan.py",
    "tests/integration/test_privacy_audit.py",
    "tests/integration/test_dbt_increment_sources.py",  # ~50-60 s: 2 runs side by side
)


def pytest_collection_modifyitems(config, items):
    root = Path(__file__).resolve().parent.parent
    where = {item: str(Path(item.fspath).resolve().relative_to(root)) for item in items}
    for item in items:
        if where[item] in SLOW_MODULES:
            item.add_marker(pytest.mark.slow)
    first = {module: rank for rank, module in enumerate(LONG_MODULES)}
    items.sort(key=lambda item: first.get(where[item], len(first)))  # stable: else as before


@dataclass
class PipelineRun:
    sources_dir: Path
    data_dir: Path
    outcome: object  # dagster_project.cli.run.Outcome
    events: list = field(default_factory=list)  # the run's Dagster event log entries

    @property
    def published_db(self) -> Path:
        return self.data_dir / "leitstand.duckdb"


def run_pipeline_in(sources_dir: Path, data_dir: Path, dashboards: bool = False,
                    events: list | None = None, engine: str | None = None):
    """A real run on an ephemeral Dagster instance; returns the runner's Outcome.

    `events`, when given, receives the run's event log entries (the instance is gone after).
    """
    import dagster as dg

    from dagster_project.cli.run import run_pipeline
    from dagster_project.core.settings import load_settings

    settings = load_settings(sources_dir, data_dir, engine=engine)
    with dg.DagsterInstance.ephemeral() as instance:
        outcome = run_pipeline(settings, dashboards=dashboards, instance=instance)
        if events is not None:
            events.extend(instance.all_logs(outcome.run_id))
        return outcome


@pytest.fixture(scope="session")
def sample_company(tmp_path_factory):
    """The default sample company (seed 42) generated into a temp sources folder."""
    from dagster_project.sample import generate

    out = tmp_path_factory.mktemp("sources")
    company = generate(out, seed=42)
    return out, company


@pytest.fixture(scope="session")
def pipeline_run(sample_company, tmp_path_factory) -> PipelineRun:
    sources_dir, _ = sample_company
    data_dir = tmp_path_factory.mktemp("data")
    events: list = []
    outcome = run_pipeline_in(sources_dir, data_dir, events=events)
    return PipelineRun(sources_dir, data_dir, outcome, events)


@pytest.fixture
def copied_run(pipeline_run, tmp_path) -> PipelineRun:
    """A private copy of the session run's sources and data dir, to change and re-run."""
    sources = tmp_path / "sources"
    data = tmp_path / "data"
    shutil.copytree(pipeline_run.sources_dir, sources)
    shutil.copytree(pipeline_run.data_dir, data)
    return PipelineRun(sources, data, pipeline_run.outcome)
