"""A data dir given in a run's config (as in Dagster's launchpad) is the folder the run locks
and writes, whatever the environment says."""

import dagster as dg

from dagster_project.core.settings import Settings
from dagster_project.defs.resources import paths_run_config, settings_of_run

from .launchpad_job import probe_job


def test_the_run_config_names_the_folder_the_run_locks_and_writes(tmp_path, monkeypatch):
    elsewhere = tmp_path / "from-the-environment"
    monkeypatch.setenv("LEITSTAND_DATA_DIR", str(elsewhere))
    chosen = Settings(sources_dir=tmp_path / "sources", data_dir=tmp_path / "chosen")
    assert settings_of_run(paths_run_config(chosen)) == chosen
    with dg.instance_for_test() as instance:
        result = dg.execute_job(dg.reconstructable(probe_job), instance,
                                run_config=paths_run_config(chosen))
    assert result.success
    seen = (chosen.data_dir / "lock_seen_by_step.txt").read_text()
    assert seen.startswith("pid ") and result.run_id in seen  # locked by this run
    assert not elsewhere.exists()  # the environment's data dir was neither locked nor written
