"""DuckDB's memory cap reaches the pipeline's connections to the build database."""

import duckdb

from dagster_project.core.db import build_connection
from dagster_project.core.settings import DEFAULT_MEMORY_LIMIT, MEMORY_LIMIT_ENV, load_settings


def _limit_of(config: dict) -> str:
    with duckdb.connect(config=config) as con:
        return con.execute("select current_setting('memory_limit')").fetchone()[0]


def test_build_connections_use_the_configured_memory_limit(tmp_path, monkeypatch):
    for configured, expected in ((None, DEFAULT_MEMORY_LIMIT), ("700MB", "700MB")):
        if configured is None:
            monkeypatch.delenv(MEMORY_LIMIT_ENV, raising=False)
        else:
            monkeypatch.setenv(MEMORY_LIMIT_ENV, configured)
        settings = load_settings(tmp_path / "sources", tmp_path / "data")
        with build_connection(settings) as con:
            limit = con.execute("select current_setting('memory_limit')").fetchone()[0]
        assert limit == _limit_of({"memory_limit": expected})
        assert limit != _limit_of({}), "DuckDB's own default (80 % of RAM) is not a cap"
