"""`python -m bench.fixed`: where the sample's fixed cost goes, per tool, measured.

#30 sets the fixed cost (the committed sample, `leitstand run --no-dashboards`) at ≤ 10 s.
The sample is ~100 k rows: what a run spends on it is almost all per-step, per-node and
per-event overhead of the tools, not data. This measures those parts apart, on this
machine, one after the other:

- **run** — `leitstand run --no-dashboards` into an empty data dir, its own Dagster home
  (the repo's `dagster.yaml`: SQLite storage), wall and CPU s;
- **run, events in memory** — the same run in a process whose Dagster instance keeps its
  event log in memory (`DagsterInstance.ephemeral()`): the difference is what storing the
  run's events in SQLite costs (the count is read from the first run's event log);
- **imports** — a process that only imports what a run imports (Dagster, dagster-dbt,
  Great Expectations, pandas, DuckDB, the definitions);
- **dbt** — the seconds dbt itself reports for its invocations of the run (its `dbt.log`),
  and how many models, seeds and data tests it ran;
- **gate** — the seconds of the gate's steps (Great Expectations and the SQL rules) from
  the run's event log.

    python -m bench.fixed [--work DIR]
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import shutil
import sys
from pathlib import Path

from bench.run import DAGSTER_YAML, REPO_ROOT, Measured, measure, step_durations

SAMPLE = REPO_ROOT / "sources"
IMPORTS = """
import dagster, dagster_dbt, great_expectations, pandas, duckdb
import dagster_project.defs.definitions
print("imported")
"""
# A run as `leitstand run` makes it, with the event log kept in memory.
IN_MEMORY_RUN = """
import sys, dagster as dg
from dagster_project.cli.main import _quiet_tools
from dagster_project.cli.run import run_pipeline
from dagster_project.core.settings import load_settings
settings = load_settings(None, sys.argv[1])
_quiet_tools()
outcome = run_pipeline(settings, dashboards=False, instance=dg.DagsterInstance.ephemeral())
sys.exit(0 if outcome.published else 1)
"""
EVENTS = """
import collections, json, dagster as dg
instance = dg.DagsterInstance.get()
run = instance.get_runs(limit=1)[0]
kinds = collections.Counter(
    r.dagster_event.event_type_value if r.dagster_event else "LOG"
    for r in instance.all_logs(run.run_id))
print(json.dumps(kinds))
"""


def _env(dagster_home: Path) -> dict[str, str]:
    dagster_home.mkdir(parents=True, exist_ok=True)
    shutil.copy(DAGSTER_YAML, dagster_home / "dagster.yaml")
    return dict(os.environ, DAGSTER_HOME=str(dagster_home), PYTHONPATH=str(REPO_ROOT),
                DAGSTER_DISABLE_TELEMETRY="1", DO_NOT_TRACK="1")


def _script(work: Path, name: str, code: str) -> str:
    """`code` as a script file: under `python -c`, pyspark (imported by GX) ends a process
    whose __main__ has no file with status 0, mid-import (tests/conftest.py)."""
    path = work / f"{name}.py"
    path.write_text(code, encoding="utf-8")
    return str(path)


def _events(env: dict[str, str], work: Path) -> dict[str, int]:
    """Events of the last run in the Dagster home of `env`, by kind."""
    log = work / "events.log"
    if measure([sys.executable, "-c", EVENTS], env, log).exit_code:
        raise SystemExit(f"reading the event log failed: {log}")
    return json.loads(log.read_text().strip().splitlines()[-1])


def dbt_invocations(dbt_log: Path) -> list[dict[str, object]]:
    """Per dbt invocation of the run: its command, seconds (dbt's own figure), and the
    nodes it ran by kind, from dbt's JSON log."""
    found: dict[str, dict[str, object]] = {}
    for line in dbt_log.read_text(encoding="utf-8").splitlines():
        event = json.loads(line)
        info, data = event["info"], event.get("data", {})
        entry = found.setdefault(info["invocation_id"], {"nodes": collections.Counter()})
        if info["name"] == "MainReportArgs":
            entry["command"] = data["args"]["invocation_command"].split()[1]
        elif info["name"] == "CommandCompleted":
            entry["seconds"] = round(float(data["elapsed"]), 2)
        elif info["name"] == "NodeFinished":
            entry["nodes"][data["node_info"]["resource_type"]] += 1
    return list(found.values())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.fixed", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--work", type=Path, default=Path("/tmp/leitstand-bench-fixed"))
    args = parser.parse_args(argv)
    work = args.work
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)

    env = _env(work / "dagster_home")
    cli = [sys.executable, "-m", "dagster_project.cli", "run", "--no-dashboards",
           "--sources", str(SAMPLE)]
    run = measure(cli + ["--data-dir", str(work / "data")], env, work / "run.log")
    if run.exit_code:
        raise SystemExit(f"the run failed: {work / 'run.log'}")
    stages = step_durations(work / "dagster_home")
    events = _events(env, work)
    in_memory = measure([sys.executable, _script(work, "in_memory_run", IN_MEMORY_RUN),
                         str(work / "data-mem")], _env(work / "dagster_home_mem"),
                        work / "run-mem.log")
    if in_memory.exit_code:
        raise SystemExit(f"the run with the event log in memory failed: {work / 'run-mem.log'}")
    imports = measure([sys.executable, _script(work, "imports", IMPORTS)], env,
                      work / "imports.log")
    if "imported" not in (work / "imports.log").read_text():
        raise SystemExit(f"the imports did not finish: {work / 'imports.log'}")
    dbt = dbt_invocations(work / "data" / "dbt" / "dbt.log")

    def row(name: str, m: Measured, note: str = "") -> str:
        return f"| {name} | {m.seconds:.1f} | {m.cpu_seconds:.1f} | {note} |"

    total_events = sum(events.values())
    lines = [
        "| part | wall s | CPU s | what |",
        "|---|---:|---:|---|",
        row("the run", run, f"{total_events} Dagster events stored; steps: "
            + ", ".join(f"{k} {v:.1f} s" for k, v in sorted(stages.items()))),
        row("the run, event log in memory", in_memory,
            f"SQLite event log ≈ {run.seconds - in_memory.seconds:.1f} s wall, "
            f"{run.cpu_seconds - in_memory.cpu_seconds:.1f} CPU s"),
        row("imports alone", imports, "Dagster, dagster-dbt, GX, pandas, DuckDB, definitions"),
    ]
    for inv in dbt:
        nodes = ", ".join(f"{n} {k}s" for k, n in sorted(inv["nodes"].items()))
        lines.append(f"| dbt {inv.get('command', '?')} (dbt's own figure) | "
                     f"{inv.get('seconds', float('nan')):.1f} | | {nodes or '—'} |")
    lines.append("")
    lines.append("Events by kind: " + ", ".join(
        f"{k} {n}" for k, n in sorted(events.items(), key=lambda kv: -kv[1])))
    print("\n".join(lines))
    (work / "fixed.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
