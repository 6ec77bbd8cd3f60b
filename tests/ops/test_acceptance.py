"""Acceptance: while `leitstand run` rebuilds a publication, `leitstand query` keeps answering.

Everything real: the generated sample company, a data dir with a previous publication, the
`leitstand` command in its own process (as an analyst starts it), and repeated
`leitstand query` processes reading the published file meanwhile.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from dagster_project.core.settings import REPO_ROOT

LEITSTAND = [sys.executable, "-m", "dagster_project.cli"]
PUBLICATIONS_SQL = (
    "select count(*) as publications, max(published_at) as latest from meta.publication"
)
KPI_SQL = "select count(*) as n from marts.kpi_monthly"


@pytest.mark.slow
def test_queries_all_succeed_while_a_run_rebuilds_the_publication(copied_run, dagster_home):
    data = str(copied_run.data_dir)
    env = {**os.environ, "DAGSTER_HOME": str(dagster_home), "PYTHONPATH": str(REPO_ROOT)}

    def query(sql: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [*LEITSTAND, "query", sql, "--csv", "--data-dir", data],
            cwd=REPO_ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    before = query(PUBLICATIONS_SQL)
    assert before.returncode == 0, before.stderr
    publications_before = int(before.stdout.splitlines()[1].split(",")[0])
    kpi_rows = query(KPI_SQL).stdout.splitlines()[1]

    run = subprocess.Popen(
        [
            *LEITSTAND,
            "run",
            "--no-dashboards",
            "--sources",
            str(copied_run.sources_dir),
            "--data-dir",
            data,
        ],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    answers, failures = [], []
    try:
        while run.poll() is None:
            out = query(PUBLICATIONS_SQL + "; " + KPI_SQL)
            if out.returncode != 0:
                failures.append(out.stderr)
            else:
                answers.append(out.stdout)
            time.sleep(0.2)
    finally:
        stdout, stderr = run.communicate(timeout=900)
    assert run.returncode == 0, stdout + stderr
    assert not failures, failures[:3]
    assert len(answers) >= 5, f"only {len(answers)} queries ran during the run"
    for text in answers:
        lines = text.splitlines()
        # every answer is one whole publication: the old one or the new one, never a mix
        assert int(lines[1].split(",")[0]) in (publications_before, publications_before + 1)
        assert lines[3] == kpi_rows  # same sources, same KPI table
    after = query(PUBLICATIONS_SQL)
    assert int(after.stdout.splitlines()[1].split(",")[0]) == publications_before + 1

    # progress on stderr: stages, rows and files as they happen; the report on stdout
    assert "PUBLISHED" in stdout
    assert "ingest" in stderr and "raw/erp_orders:" in stderr and " files" in stderr
    assert "publish" in stderr

    status = subprocess.run(
        [*LEITSTAND, "status", "--data-dir", data],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert status.returncode == 0, status.stderr
    assert f"publication {publications_before + 1} in this file" in status.stdout
    assert "Freshness" in status.stdout and "erp_orders" in status.stdout
