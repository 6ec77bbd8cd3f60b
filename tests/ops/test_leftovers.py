"""What a killed run leaves on disk is removed at the next start (core/leftovers.py): the
publication it was writing, DuckDB's spill files, and its /tmp/leitstand-* folders — but
nothing a live process still uses."""

from __future__ import annotations

import os
import subprocess
import sys
import time

from dagster_project.core.leftovers import make_temp_dir, remove_leftovers
from dagster_project.core.settings import Settings


def dead_pid() -> int:
    """The id of a process that has ended."""
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_the_leftovers_of_a_killed_run_go_and_nothing_else(tmp_path):
    settings = Settings(sources_dir=tmp_path / "sources", data_dir=tmp_path / "data")
    data = settings.data_dir
    data.mkdir()
    (data / "leitstand.duckdb").write_text("the publication")
    (data / "build.duckdb").write_text("the build")
    half = data / ".leitstand.duckdb.9a29fe52.tmp"
    half.write_text("half a publication")
    (data / ".leitstand.duckdb.9a29fe52.tmp.wal").write_text("its log")
    spill = data / "build.duckdb.tmp"
    spill.mkdir()
    (spill / "duckdb_temp_storage-0.tmp").write_text("spilled HR rows")

    temp = tmp_path / "tmp"
    temp.mkdir()
    killed = temp / f"leitstand-ingest-{dead_pid()}-abc"
    killed.mkdir()
    (killed / "utf8-0.csv").write_text("MA-00001;Anna Müller")
    alive = temp / f"leitstand-dbt-{os.getppid()}-def"  # our parent: alive
    alive.mkdir()
    ours = temp / f"leitstand-dbt-{os.getpid()}-ghi"
    ours.mkdir()
    old_unclaimed = temp / "leitstand-ingest-x1y2z3"  # made before folders named their pid
    old_unclaimed.mkdir()
    an_hour_ago = time.time() - 2 * 3600
    os.utime(old_unclaimed, (an_hour_ago, an_hour_ago))
    young_unclaimed = temp / "leitstand-ingest-q7r8s9"
    young_unclaimed.mkdir()
    other = temp / "something-else"
    other.mkdir()

    removed = set(remove_leftovers(settings, temp_root=temp))
    assert not half.exists() and not (data / ".leitstand.duckdb.9a29fe52.tmp.wal").exists()
    assert spill.is_dir() and not any(spill.iterdir())
    assert not killed.exists() and not old_unclaimed.exists()
    assert alive.exists() and ours.exists() and young_unclaimed.exists() and other.exists()
    assert (data / "leitstand.duckdb").exists() and (data / "build.duckdb").exists()
    assert killed in removed and half in removed


def test_a_temp_dir_names_its_process_and_is_private():
    folder = make_temp_dir("test")
    try:
        assert folder.name.startswith(f"leitstand-test-{os.getpid()}-")
        assert folder.stat().st_mode & 0o777 == 0o700
    finally:
        folder.rmdir()


def test_a_run_of_the_job_cleans_up_after_a_killed_one(dagster_home, tmp_path, monkeypatch):
    """A run Dagster starts (UI, schedule, sensor) goes through the job's executor: it tags
    itself with its process, makes the data dir private, removes a half-written publication
    and marks the run a kill left STARTED failed (defs/executor.py)."""
    import dagster as dg
    from dagster._core.definitions.reconstruct import ReconstructableRepository

    from dagster_project.core.settings import REPO_ROOT
    from dagster_project.defs.run_records import DATA_DIR_TAG, PID_TAG

    data = tmp_path / "data"
    data.mkdir(mode=0o755)
    half = data / ".leitstand.duckdb.killed.tmp"
    half.write_text("half a publication")
    monkeypatch.setenv("LEITSTAND_DATA_DIR", str(data))
    monkeypatch.setenv("TOY_RUN_SECONDS", "0.1")
    toy = ReconstructableRepository.for_file(str(REPO_ROOT / "tests" / "ops" / "toy_pipeline.py"),
                                             "defs").get_reconstructable_job("leitstand")
    stand_in = dg.Definitions(assets=[dg.asset(name="step")(lambda: None)],
                              jobs=[dg.define_asset_job("leitstand")]).resolve_job_def("leitstand")
    with dg.DagsterInstance.get() as instance:
        killed = instance.create_run_for_job(job_def=stand_in, status=dg.DagsterRunStatus.STARTED,
                                             tags={DATA_DIR_TAG: str(data)})
        result = dg.execute_job(toy, instance=instance)
        assert result.success
        tags = instance.get_run_by_id(result.run_id).tags
        assert tags[PID_TAG] == str(os.getpid()) and tags[DATA_DIR_TAG] == str(data)
        assert instance.get_run_by_id(killed.run_id).status == dg.DagsterRunStatus.FAILURE
    assert not half.exists()
    assert data.stat().st_mode & 0o777 == 0o700
