"""The run holds the build database open (core/build_db.py): its steps get the database already
open, and another process (dbt) gets the file while the hold is let go of."""

from __future__ import annotations

import subprocess
import sys

import duckdb
import pytest

from dagster_project.core import build_db
from dagster_project.core.settings import Settings

OTHER_PROCESS = "import duckdb, sys; duckdb.connect(sys.argv[1]).close()"


def opens_elsewhere(settings: Settings) -> bool:
    """Whether another process can open the build database (as dbt must)."""
    done = subprocess.run([sys.executable, "-c", OTHER_PROCESS, str(settings.build_db)],
                          capture_output=True)
    return done.returncode == 0


def test_held_while_the_steps_run_and_let_go_of_for_dbt(tmp_path):
    settings = Settings(sources_dir=tmp_path / "sources", data_dir=tmp_path / "data")
    with build_db.held(settings):
        # a step's connection is one to the database already open; it closes, the hold stays
        with duckdb.connect(str(settings.build_db), config=settings.duckdb_config()) as con:
            con.execute("create table t as select 1 as x")
        assert not opens_elsewhere(settings)
        with pytest.raises(duckdb.Error, match="different configuration"):
            duckdb.connect(str(settings.build_db), read_only=True)
        with build_db.released(settings):
            assert opens_elsewhere(settings)
        assert not opens_elsewhere(settings)
        with build_db.held(settings):  # nested: the outer hold stays
            pass
        assert not opens_elsewhere(settings)
    assert opens_elsewhere(settings)
    with duckdb.connect(str(settings.build_db), read_only=True) as con:
        assert con.execute("select x from t").fetchall() == [(1,)]
