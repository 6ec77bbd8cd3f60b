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
