"""Data at rest after a real run: the data dir is its owner's alone (core/private.py).

The build database holds every suppressed cell's true numbers and the exports' rows, the
run reports and dbt's artifacts name files, rows and values: all owner-only. Only the
published file is for readers (and the built dashboards, which this run does not build).
"""

from __future__ import annotations

import stat

from dagster_project.core.private import PUBLIC, secure_data_dir
from dagster_project.core.settings import Settings


def mode(path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


def test_everything_a_run_leaves_in_the_data_dir_is_owner_only(pipeline_run):
    data = pipeline_run.data_dir
    assert pipeline_run.outcome.published
    assert mode(data) == 0o700
    assert mode(data / "build.duckdb") == 0o600
    checked = 0
    for path in data.rglob("*"):
        top = path.relative_to(data).parts[0]
        if top in PUBLIC or path.is_symlink():
            continue
        assert mode(path) == (0o700 if path.is_dir() else 0o600), (path, oct(mode(path)))
        checked += 1
    assert checked > 20  # build database, run reports, dbt's target folder and logs
    assert mode(pipeline_run.published_db) == 0o644


def test_an_older_data_dir_is_made_owner_only(tmp_path):
    settings = Settings(sources_dir=tmp_path / "sources", data_dir=tmp_path / "data")
    data = settings.data_dir
    (data / "runs").mkdir(parents=True)
    (data / "runs" / "r1.json").write_text("{}")
    (data / "build.duckdb").write_text("x")
    (data / "leitstand.duckdb").write_text("published")
    (data / "sites" / "s1").mkdir(parents=True)
    (data / "sites" / "s1" / "index.html").write_text("<html>")
    for path in [data, *data.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    secure_data_dir(settings)
    assert mode(data) == 0o700 and mode(data / "runs") == 0o700
    assert mode(data / "runs" / "r1.json") == 0o600 and mode(data / "build.duckdb") == 0o600
    assert mode(data / "leitstand.duckdb") == 0o644  # published: for readers
    assert mode(data / "sites" / "s1" / "index.html") == 0o644  # the built dashboards
