"""`make bench`: how fast and how lean the pipeline is as the company grows.

For each scale (1 = the committed sample; 480 ≈ 10 M orders, 2.4 M CRM activities, 5 M
usage rows) it generates the sample company, then measures side by side:

- **floor**: DuckDB `read_csv` of every export file into a typed table of a fresh database
  file, nothing else (types from DuckDB's own sniffer, the encoding and delimiter given) —
  what any pipeline must at least spend to parse the data once;
- **full run**: `leitstand run --no-dashboards` into an empty data dir, per stage (ingest,
  gate, dbt, publish: the Dagster steps' durations from the run's event log);
- **re-run**: one daily ERP export added (`auftraege_<day>_tag.csv`), `leitstand run`
  again on the same data dir;
- **dashboards** (at the scales of `--dashboards-scales`, by default the sample only):
  the site's page build after the full run, the data-only refresh after the re-run (the
  re-run's publication reaches the built site), and the call with nothing changed
  (`python -m dagster_project.dashboards`).

Peak memory is the largest resident set of the measured process tree (sampled every
50 ms from /proc, children included: dbt runs in a subprocess). Results go to
`bench/results.json` and the table in `bench/README.md` (between the markers), with the
machine and the versions. Data is written under `--work` (default
`/tmp/leitstand-bench`), never into the repository.

    python -m bench [--scales 1 50 200 480] [--dashboards-scales 1] [--work DIR] [--keep]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
RESULTS = BENCH_DIR / "results.json"
README = BENCH_DIR / "README.md"
DEFAULT_SCALES = [1, 50, 200, 480]
DAILY_EXPORT_DAY = dt.date(2026, 10, 30)
TABLE_START = "<!-- bench:table:start -->"
TABLE_END = "<!-- bench:table:end -->"
# The instance configuration users run on (its storage is part of what a run costs).
DAGSTER_YAML = REPO_ROOT / ".dagster_home" / "dagster.yaml"


@dataclass
class Measured:
    """One measured command: wall seconds, peak memory of its process tree, exit code."""

    seconds: float
    peak_mb: float
    exit_code: int = 0
    stages: dict[str, float] = field(default_factory=dict)


@dataclass
class ScaleResult:
    scale: float
    rows: dict[str, int]
    source_mb: float
    generate_seconds: float
    floor: Measured
    full: Measured
    rerun: Measured
    # the dashboards: page build, data-only refresh, nothing changed (None: not measured)
    dashboards: dict[str, Measured] | None = None

    @property
    def ratio(self) -> float:
        return self.full.seconds / self.floor.seconds if self.floor.seconds else float("nan")


# ----------------------------------------------------------------------------- measuring

def _tree_rss_mb(root: int) -> float:
    """Resident memory of `root` and all its descendants, in MB (from /proc)."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                stat = fh.read()
            with open(f"/proc/{entry}/statm") as fh:
                pages = int(fh.read().split()[1])
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry))
        rss[int(entry)] = pages
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        total += rss.get(pid, 0)
        stack.extend(children.get(pid, []))
    return total * os.sysconf("SC_PAGE_SIZE") / 1e6


def measure(cmd: list[str], env: dict[str, str], log: Path) -> Measured:
    """Run `cmd`, sampling the memory of its process tree until it ends."""
    peak = 0.0
    with log.open("w") as out:
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT,
                                cwd=REPO_ROOT)
        done = threading.Event()

        def sample() -> None:
            nonlocal peak
            while not done.is_set():
                peak = max(peak, _tree_rss_mb(proc.pid))
                done.wait(0.05)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        code = proc.wait()
        seconds = time.perf_counter() - started
        done.set()
        sampler.join()
    return Measured(round(seconds, 2), round(peak, 1), code)


# ----------------------------------------------------------------------------- steps

def _python() -> str:
    return sys.executable


def generate(scale: float, sources: Path, env: dict[str, str], logs: Path) -> tuple[float, dict]:
    shutil.rmtree(sources, ignore_errors=True)
    started = time.perf_counter()
    subprocess.run([_python(), "-m", "dagster_project.sample", "--out", str(sources),
                    "--scale", str(scale)], env=env, check=True, cwd=REPO_ROOT,
                   stdout=(logs / "generate.log").open("w"), stderr=subprocess.STDOUT)
    seconds = time.perf_counter() - started
    rows: dict[str, int] = {}
    for line in (logs / "generate.log").read_text().splitlines():
        parts = line.split()
        if len(parts) == 5 and parts[2] == "files" and parts[4] == "rows":
            rows[parts[0]] = int(parts[3])
    return round(seconds, 2), rows


FLOOR_SCRIPT = r"""
import re, sys, pathlib, duckdb
sources, db = pathlib.Path(sys.argv[1]), sys.argv[2]
con = duckdb.connect(db)
n = 0
for path in sorted(p for p in sources.rglob("*") if p.suffix.lower() in (".csv", ".txt")):
    head = path.read_bytes()[:65536]
    try:
        head.decode("utf-8")
        encoding = "utf-8"
    except UnicodeDecodeError:
        encoding = "latin-1"
    first = head.decode(encoding).lstrip("\ufeff").splitlines()[0]
    if encoding == "latin-1" and re.search(rb"[\x80-\x9f]", path.read_bytes()):
        # DuckDB reads no Windows-1252 (its Latin-1 rejects € „ “): a UTF-8 copy first
        copy = pathlib.Path(db).with_suffix(".utf8.csv")
        with path.open("rb") as src, copy.open("wb") as dst:
            while chunk := src.read(16 << 20):
                dst.write(chunk.decode("cp1252", errors="replace").encode("utf-8"))
        path, encoding = copy, "utf-8"
    delim = max(";,\t|", key=first.count)
    sep = "," if delim == ";" else "."
    n += 1
    con.execute(
        f"create table t{n} as select * from read_csv(?, delim=?, encoding=?, header=true, "
        f"decimal_separator=?, dateformat='%d.%m.%Y', quote='\"', escape='\"', "
        f"sample_size=20480, ignore_errors=true)", [str(path), delim, encoding, sep])
con.close()
"""


def floor(sources: Path, work: Path, env: dict[str, str], logs: Path) -> Measured:
    db = work / "floor.duckdb"
    db.unlink(missing_ok=True)
    result = measure([_python(), "-c", FLOOR_SCRIPT, str(sources), str(db)], env,
                     logs / "floor.log")
    db.unlink(missing_ok=True)
    return result


def stage_of(step_key: str) -> str:
    """Which stage a Dagster step belongs to (step keys as the job names them)."""
    key = step_key.lower()
    if key.startswith(("raw__", "raw_", "config_tables")) and "check" not in key:
        return "ingest"
    if "dbt" in key:
        return "dbt"
    if key.startswith("publish"):
        return "publish"
    if key.startswith("dashboards"):
        return "dashboards"
    return "gate"


def step_durations(dagster_home: Path) -> dict[str, float]:
    """Seconds per stage of the last run in `dagster_home` (from its event log)."""
    code = r"""
import json, os, dagster as dg
instance = dg.DagsterInstance.get()
run = instance.get_runs(limit=1)[0]
starts, out = {}, {}
for record in instance.all_logs(run.run_id):
    ev = record.dagster_event
    if ev is None or not ev.step_key:
        continue
    kind = ev.event_type_value
    if kind == "STEP_START":
        starts[ev.step_key] = record.timestamp
    elif kind in ("STEP_SUCCESS", "STEP_FAILURE") and ev.step_key in starts:
        out[ev.step_key] = record.timestamp - starts[ev.step_key]
print(json.dumps(out))
"""
    env = dict(os.environ, DAGSTER_HOME=str(dagster_home), PYTHONPATH=str(REPO_ROOT))
    done = subprocess.run([_python(), "-c", code], env=env, capture_output=True, text=True,
                          cwd=REPO_ROOT, check=True)
    stages: dict[str, float] = {}
    for step, seconds in json.loads(done.stdout.strip().splitlines()[-1]).items():
        stage = stage_of(step)
        stages[stage] = round(stages.get(stage, 0.0) + seconds, 2)
    return stages


def pipeline(sources: Path, data: Path, env: dict[str, str], log: Path,
             dagster_home: Path) -> Measured:
    cmd = [_python(), "-m", "dagster_project.cli", "run", "--no-dashboards",
           "--sources", str(sources), "--data-dir", str(data)]
    result = measure(cmd, env, log)
    result.stages = step_durations(dagster_home)
    result.stages["other"] = round(result.seconds - sum(result.stages.values()), 2)
    return result


def dashboards(data: Path, env: dict[str, str], log: Path, full: bool = False) -> Measured:
    cmd = [_python(), "-m", "dagster_project.dashboards", "--data-dir", str(data)]
    return measure(cmd + (["--full"] if full else []), env, log)


def bench_scale(scale: float, work: Path, keep: bool, with_dashboards: bool = False
                ) -> ScaleResult:
    root = work / f"scale-{scale:g}"
    sources, data, logs = root / "sources", root / "data", root / "logs"
    dagster_home = root / "dagster_home"
    for folder in (data, dagster_home):
        shutil.rmtree(folder, ignore_errors=True)
    for folder in (logs, dagster_home):
        folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(DAGSTER_YAML, dagster_home / "dagster.yaml")
    # PYTHONPATH: the package of this checkout (the bench may run in an exported copy)
    env = dict(os.environ, PYTHONPATH=str(REPO_ROOT), DO_NOT_TRACK="1",
               DAGSTER_DISABLE_TELEMETRY="1",
               DBT_SEND_ANONYMOUS_USAGE_STATS="false", DAGSTER_HOME=str(dagster_home))
    print(f"scale {scale:g}: generating …", flush=True)
    gen_seconds, rows = generate(scale, sources, env, logs)
    size = sum(p.stat().st_size for p in sources.rglob("*") if p.is_file()) / 1e6
    print(f"scale {scale:g}: {sum(rows.values()):,} rows, {size:,.0f} MB in "
          f"{gen_seconds:.1f} s; floor …", flush=True)
    floor_result = floor(sources, root, env, logs)
    print(f"scale {scale:g}: floor {floor_result.seconds:.1f} s; full run …", flush=True)
    full = pipeline(sources, data, env, logs / "full.log", dagster_home)
    print(f"scale {scale:g}: full {full.seconds:.1f} s {full.stages}; re-run …", flush=True)
    site: dict[str, Measured] | None = None
    if with_dashboards:
        site = {"build": dashboards(data, env, logs / "dashboards-build.log", full=True)}
        print(f"scale {scale:g}: dashboards page build {site['build'].seconds:.1f} s", flush=True)
    from dagster_project.sample.bulk import write_daily_orders

    write_daily_orders(sources, seed=42, scale=scale, day=DAILY_EXPORT_DAY)
    rerun = pipeline(sources, data, env, logs / "rerun.log", dagster_home)
    print(f"scale {scale:g}: re-run {rerun.seconds:.1f} s {rerun.stages}", flush=True)
    if site is not None:
        site["data_refresh"] = dashboards(data, env, logs / "dashboards-refresh.log")
        site["unchanged"] = dashboards(data, env, logs / "dashboards-unchanged.log")
        print(f"scale {scale:g}: dashboards data refresh {site['data_refresh'].seconds:.1f} s,"
              f" unchanged {site['unchanged'].seconds:.1f} s", flush=True)
    measured = [("full run", full), ("re-run", rerun)] + [
        (f"dashboards {name}", m) for name, m in (site or {}).items()]
    for name, m in measured:
        if m.exit_code:
            print(f"scale {scale:g}: the {name} exited with {m.exit_code} — see "
                  f"{logs}", file=sys.stderr)
    if not keep:
        shutil.rmtree(data, ignore_errors=True)
        shutil.rmtree(sources, ignore_errors=True)
    return ScaleResult(scale, rows, round(size, 1), gen_seconds, floor_result, full, rerun, site)


# ----------------------------------------------------------------------------- reporting

def machine() -> dict[str, object]:
    cpu = next((line.split(":", 1)[1].strip() for line in
                Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    mem = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
               if line.startswith("MemTotal"))
    versions = {}
    for package in ("duckdb", "dagster", "dbt-core", "dbt-duckdb", "great_expectations",
                    "pandas", "pyarrow"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = "-"
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_gb": round(mem / 1024 / 1024, 1),
            "os": platform.platform(), "python": platform.python_version(),
            "versions": versions}


def targets(results: list[ScaleResult]) -> dict[str, dict[str, object]]:
    largest = max(results, key=lambda r: r.scale)
    tiny = min(results, key=lambda r: r.scale)
    return {
        "full_vs_floor_at_largest": {
            "target": "<= 2.0", "value": round(largest.ratio, 2),
            "met": largest.ratio <= 2.0},
        "fixed_overhead_tiny_seconds": {
            "target": "<= 20", "value": round(tiny.full.seconds - tiny.floor.seconds, 1),
            "met": tiny.full.seconds - tiny.floor.seconds <= 20},
        "rerun_share_at_largest": {
            # four decimals: at two, a share just above the line reads "0.25 … missed"
            "target": "<= 0.25", "value": round(largest.rerun.seconds / largest.full.seconds, 4),
            "met": largest.rerun.seconds <= 0.25 * largest.full.seconds},
        "peak_memory_gb_at_largest": {
            "target": "<= 4", "value": round(max(largest.full.peak_mb,
                                                 largest.rerun.peak_mb) / 1000, 2),
            "met": max(largest.full.peak_mb, largest.rerun.peak_mb) <= 4000},
    } | {
        # new data reaches the built site in seconds (was a 121 s page build on the sample)
        f"dashboards_data_refresh_seconds_at_scale_{r.scale:g}": {
            "target": "<= 15", "value": round(r.dashboards["data_refresh"].seconds, 1),
            "met": r.dashboards["data_refresh"].seconds <= 15}
        for r in results if r.dashboards
    }


def table(results: list[ScaleResult]) -> str:
    def stages(m: Measured) -> str:
        return " / ".join(f"{m.stages.get(s, 0):.1f}" for s in ("ingest", "gate", "dbt",
                                                                  "publish"))
    lines = [
        "| scale | orders | CRM activities | usage rows | all rows | MB | generate s | "
        "floor s | full run s | full ÷ floor | full: ingest / gate / dbt / publish s | "
        "re-run s | re-run ÷ full | re-run: ingest / gate / dbt / publish s | "
        "peak MB (floor / full / re-run) |",
        "|" + "---:|" * 15,
    ]
    for r in sorted(results, key=lambda r: r.scale):
        rows = r.rows
        lines.append(
            f"| {r.scale:g} | {rows.get('erp_orders', 0):,} | "
            f"{rows.get('crm_interactions', 0):,} | {rows.get('it_usage', 0):,} | "
            f"{sum(rows.values()):,} | {r.source_mb:,.0f} | {r.generate_seconds:.1f} | "
            f"{r.floor.seconds:.1f} | {r.full.seconds:.1f} | {r.ratio:.2f} | "
            f"{stages(r.full)} | {r.rerun.seconds:.1f} | "
            f"{r.rerun.seconds / r.full.seconds:.2f} | {stages(r.rerun)} | "
            f"{r.floor.peak_mb:,.0f} / {r.full.peak_mb:,.0f} / {r.rerun.peak_mb:,.0f} |")
    for r in sorted(results, key=lambda r: r.scale):
        if r.dashboards:
            d = r.dashboards
            lines.append(
                f"\nDashboards at scale {r.scale:g}: page build {d['build'].seconds:.1f} s, "
                f"data-only refresh {d['data_refresh'].seconds:.1f} s, nothing changed "
                f"{d['unchanged'].seconds:.1f} s (peak {d['build'].peak_mb:,.0f} / "
                f"{d['data_refresh'].peak_mb:,.0f} / {d['unchanged'].peak_mb:,.0f} MB).")
    return "\n".join(lines)


def write_reports(results: list[ScaleResult], info: dict[str, object]) -> None:
    payload = {
        "measured_at": dt.datetime.now().isoformat(timespec="seconds"),
        "machine": info,
        "targets": targets(results),
        "scales": [asdict(r) | {"full_vs_floor": round(r.ratio, 2)} for r in results],
    }
    RESULTS.write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n")
    versions = ", ".join(f"{k} {v}" for k, v in info["versions"].items())
    block = (f"{TABLE_START}\nMeasured {payload['measured_at']} on {info['cpu']}, "
             f"{info['cores']} cores, {info['memory_gb']} GB RAM, {info['os']}; Python "
             f"{info['python']}, {versions}.\n\n{table(results)}\n\nTargets: " + "; ".join(
                 f"{name} {t['value']} (target {t['target']}: "
                 f"{'met' if t['met'] else 'missed'})"
                 for name, t in payload["targets"].items()) + f"\n{TABLE_END}")
    text = README.read_text() if README.exists() else f"# Benchmark\n\n{TABLE_START}\n{TABLE_END}\n"
    head, rest = text.split(TABLE_START, 1)
    tail = rest.split(TABLE_END, 1)[1]
    README.write_text(head + block + tail)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("--scales", type=float, nargs="+", default=DEFAULT_SCALES)
    parser.add_argument("--work", type=Path, default=Path("/tmp/leitstand-bench"))
    parser.add_argument("--keep", action="store_true", help="keep generated data and builds")
    parser.add_argument("--dashboards-scales", type=float, nargs="*", default=[1],
                        help="scales at which the dashboards' build and refresh are measured")
    parser.add_argument("--no-write", action="store_true",
                        help="print the table only; leave results.json and README.md alone")
    args = parser.parse_args(argv)
    args.work.mkdir(parents=True, exist_ok=True)
    results = [bench_scale(scale, args.work, args.keep, scale in args.dashboards_scales)
               for scale in args.scales]
    info = machine()
    print(table(results))
    print(json.dumps(targets(results), indent=2))
    if not args.no_write:
        write_reports(results, info)
        print(f"wrote {RESULTS} and the table in {README}")
    return 0
