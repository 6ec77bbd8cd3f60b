"""The watchdog that stops a stuck `dbt build`, on real processes."""

import subprocess
import sys

from dagster_project.assets.dbt import dbt_watchdog


def test_watchdog_kills_a_process_that_outlives_its_time_and_dumps_the_stacks(tmp_path):
    stuck = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    stacks = tmp_path / "runs" / "stacks.txt"
    with dbt_watchdog(stuck, 0.5, stacks) as timed_out:
        returncode = stuck.wait(timeout=30)
    assert timed_out.is_set()
    assert returncode != 0
    assert "test_watchdog_kills_a_process" in stacks.read_text(encoding="utf-8")


def test_watchdog_leaves_a_process_alone_that_finishes_in_time(tmp_path):
    quick = subprocess.Popen([sys.executable, "-c", "pass"])
    stacks = tmp_path / "stacks.txt"
    with dbt_watchdog(quick, 30, stacks) as timed_out:
        assert quick.wait(timeout=30) == 0
    assert not timed_out.is_set()
    assert not stacks.exists()
