"""dbt's parse for a data dir that has none yet, done while the ingest runs.

dbt reuses its parse state (`partial_parse.msgpack` in the target folder) only for the same
profile, and the profile holds the build database's path: the state `make setup` leaves in
`dbt/target` never fits a data dir, so the first run in a new data dir parsed the whole
project inside its `dbt build` (~2.3 s of the sample's 10 s dbt step; from the second run
on, the state of the run before fits). The parse needs the project and the profile, not
the database, so `leitstand run` starts it as a process of its own when the run begins: it
parses on one core while the run imports, ingests and audits on the other, and the dbt step
waits for it before `dbt build`, which then finds the state ready. (A plain process, not
dagster-dbt's resource: that needs dagster-dbt and dbt imported first, ~1.3 s this overlaps.)
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from dagster_project.settings import DBT_PROJECT_DIR, Settings

PARSE_STATE_FILE = "partial_parse.msgpack"
# A parse takes ~3-5 s; one still going after this long is stuck, and `dbt build` can
# parse for itself.
PARSE_TIMEOUT_SECONDS = 300

# target folder -> the parse running for it (one process per `leitstand run`, at most one)
_running: dict[Path, subprocess.Popen] = {}


def dbt_executable() -> str:
    """dbt of this environment: `.venv/bin/leitstand` and `.venv/bin/pytest` run without the
    venv on PATH, so look next to the running Python before asking PATH."""
    beside = Path(sys.executable).with_name("dbt")
    return str(beside) if beside.exists() else (shutil.which("dbt") or "dbt")


def start_parse(settings: Settings) -> bool:
    """Start `dbt parse` into the data dir's target folder when it has no parse state yet.

    Expects `settings.export()` to have run (dbt's profile reads the build database path from
    the environment). Says whether a parse was started. Its output goes to `dbt.log` in the
    target folder; should it fail, `dbt build` parses itself and reports what is wrong.
    """
    target = settings.dbt_target_dir
    if target in _running or (target / PARSE_STATE_FILE).exists():
        return False
    target.mkdir(parents=True, exist_ok=True)
    _running[target] = subprocess.Popen(
        [
            dbt_executable(), "parse", "--quiet",
            "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR),
            "--target-path", str(target), "--log-path", str(target), "--log-format-file", "json",
        ],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    return True


def wait_for_parse(target: Path) -> None:
    """Let the parse started for `target` finish (nothing to wait for if none was started).

    Two dbt processes must not write one target folder at once.
    """
    process = _running.pop(target, None)
    if process is None:
        return
    try:
        process.wait(timeout=PARSE_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        (target / PARSE_STATE_FILE).unlink(missing_ok=True)  # it may be half written
