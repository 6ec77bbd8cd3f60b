"""`make bench`: how fast and how lean the pipeline is as the company grows.

Two shapes of company, each at several sizes:

- **scaled** (`--scales`; 1 = the committed sample, 480 ≈ 10 M orders, 2.4 M CRM activities,
  5 M usage rows): the sample generator's bulk exports, a file per month;
- **long** (`--long-orders`, bench/long_history.py): the sample plus one ERP export of that
  many orders over 4.5 years, 40,000 customers, units named by name, Windows-1252 that is
  Latin-1 (no byte in 0x80–0x9F).

For each it generates the exports, then measures side by side:

- **floor**: DuckDB `read_csv` of every export file into a typed table of a fresh database
  file, timed around the reads alone (types from DuckDB's own sniffer, the encoding and
  delimiter given). A Windows-1252 file with € „ “ – (bytes 0x80–0x9F, which DuckDB's
  Latin-1 does not read) is first recoded byte for byte by `iconv`, timed apart (`recode`);
- **full run**: `leitstand run --no-dashboards` into an empty data dir, per stage (ingest,
  gate, dbt, publish: the Dagster steps' durations from the run's event log);
- **re-run**: one daily ERP export added, `leitstand run` again on the same data dir;
- **dashboards** (at the scales of `--dashboards-scales`, by default the sample only):
  the site's page build after the full run, the data-only refresh after the re-run (the
  re-run's publication reaches the built site), and the call with nothing changed
  (`python -m dagster_project.dashboards`).

Wall seconds and CPU seconds (user + system of the process tree: the machine may be shared).
The **marginal cost** between two sizes of a shape is (full(N2) − full(N1)) ÷ (floor(N2) −
floor(N1)). Peak memory is the largest resident set of the measured process tree (sampled
every 50 ms from /proc, children included: dbt runs in a subprocess). Results go to
`bench/results.json` and the table in `bench/README.md` (between the markers), with the
machine and the versions. Data is written under `--work` (default `/tmp/leitstand-bench`),
never into the repository.

    python -m bench [--scales 1 50 200 480] [--long-orders 1000000 5000000]
                    [--dashboards-scales 1] [--work DIR] [--keep]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path

from bench.long_history import DAYS, write_long_history, write_long_history_day
from dagster_project.sample.bulk import write_daily_orders
from dagster_project.transform.plan import project_state

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
RESULTS = BENCH_DIR / "results.json"
README = BENCH_DIR / "README.md"
DEFAULT_SCALES = [1, 50, 200, 480]
DEFAULT_LONG_ORDERS = [1_000_000, 5_000_000]
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
    cpu_seconds: float = 0.0  # user + system of the process tree (the machine is shared)


@dataclass
class ScaleResult:
    scale: float  # "scaled": the generator's --scale; "long": the long history's orders
    rows: dict[str, int]
    source_mb: float
    generate_seconds: float
    floor: Measured
    full: Measured
    rerun: Measured
    # the dashboards: page build, data-only refresh, nothing changed (None: not measured)
    dashboards: dict[str, Measured] | None = None
    shape: str = "scaled"

    @property
    def label(self) -> str:
        return f"{self.scale:g}" if self.shape == "scaled" else f"long {self.scale / 1e6:g} M"

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
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
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
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - children.ru_utime) + (after.ru_stime - children.ru_stime)
    return Measured(round(seconds, 2), round(peak, 1), code, cpu_seconds=round(cpu, 2))


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
import json, re, resource, subprocess, sys, time, pathlib, duckdb
sources, db = pathlib.Path(sys.argv[1]), sys.argv[2]
con = duckdb.connect(db)
n, read, read_cpu, recode, recoded = 0, 0.0, 0.0, 0.0, 0
for path in sorted(p for p in sources.rglob("*") if p.suffix.lower() in (".csv", ".txt")):
    # untimed: which encoding and delimiter to give DuckDB
    data = path.read_bytes()
    try:
        data.decode("utf-8")
        encoding = "utf-8"
    except UnicodeDecodeError:
        encoding = "latin-1"
    first = data[:65536].decode(encoding).lstrip("\ufeff").splitlines()[0]
    needs_recode = encoding == "latin-1" and re.search(rb"[\x80-\x9f]", data) is not None
    del data
    if needs_recode:
        # DuckDB's Latin-1 has no € „ “ –: a byte-for-byte recode to UTF-8 first, by iconv
        copy = pathlib.Path(db).with_suffix(".utf8.csv")
        started = time.perf_counter()
        with copy.open("wb") as out:
            subprocess.run(["iconv", "-f", "CP1252", "-t", "UTF-8", str(path)], stdout=out,
                           check=True)
        recode += time.perf_counter() - started
        recoded += 1
        path, encoding = copy, "utf-8"
    delim = max(";,\t|", key=first.count)
    sep = "," if delim == ";" else "."
    n += 1
    started, cpu = time.perf_counter(), resource.getrusage(resource.RUSAGE_SELF)
    con.execute(
        f"create table t{n} as select * from read_csv(?, delim=?, encoding=?, header=true, "
        f"decimal_separator=?, dateformat='%d.%m.%Y', quote='\"', escape='\"', "
        f"sample_size=20480, ignore_errors=true)", [str(path), delim, encoding, sep])
    read += time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_SELF)
    read_cpu += after.ru_utime - cpu.ru_utime + after.ru_stime - cpu.ru_stime
con.close()
print(json.dumps({"read": round(read, 2), "read_cpu": round(read_cpu, 2),
                  "recode": round(recode, 2), "files": n, "recoded_files": recoded}))
"""


def floor(sources: Path, work: Path, env: dict[str, str], logs: Path) -> Measured:
    """DuckDB's own read of every export into a typed table (`seconds`: the reads alone), and
    apart from it (`stages['recode']`) iconv's recode of the Windows-1252 files with € „ “ –
    that DuckDB cannot read as Latin-1."""
    db = work / "floor.duckdb"
    db.unlink(missing_ok=True)
    log = logs / "floor.log"
    result = measure([_python(), "-c", FLOOR_SCRIPT, str(sources), str(db)], env, log)
    db.unlink(missing_ok=True)
    db.with_suffix(".utf8.csv").unlink(missing_ok=True)
    timings = json.loads(log.read_text().strip().splitlines()[-1])
    result.stages = {"process": result.seconds, "recode": timings["recode"],
                     "recoded_files": timings["recoded_files"]}
    result.seconds, result.cpu_seconds = timings["read"], timings["read_cpu"]
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


def generate_long(orders: int, sources: Path, env: dict[str, str], logs: Path
                  ) -> tuple[float, dict]:
    """The sample plus the long history's one ERP export of `orders` orders."""
    seconds, rows = generate(1, sources, env, logs)
    started = time.perf_counter()
    rows["erp_orders"] = rows.get("erp_orders", 0) + write_long_history(sources, orders)
    return round(seconds + time.perf_counter() - started, 2), rows


def bench_scale(scale: float, work: Path, keep: bool, with_dashboards: bool = False,
                shape: str = "scaled") -> ScaleResult:
    """Generate, then floor, full run, re-run (and the dashboards) of one scale and shape."""
    long = shape == "long"
    root = work / (f"long-{int(scale)}" if long else f"scale-{scale:g}")
    scale_label = f"long {scale / 1e6:g} M" if long else f"scale {scale:g}"
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
    print(f"{scale_label}: generating …", flush=True)
    gen_seconds, rows = (generate_long(int(scale), sources, env, logs) if long else
                         generate(scale, sources, env, logs))
    size = sum(p.stat().st_size for p in sources.rglob("*") if p.is_file()) / 1e6
    print(f"{scale_label}: {sum(rows.values()):,} rows, {size:,.0f} MB in "
          f"{gen_seconds:.1f} s; floor …", flush=True)
    floor_result = floor(sources, root, env, logs)
    print(f"{scale_label}: floor {floor_result.seconds:.1f} s; full run …", flush=True)
    full = pipeline(sources, data, env, logs / "full.log", dagster_home)
    print(f"{scale_label}: full {full.seconds:.1f} s {full.stages}; re-run …", flush=True)
    site: dict[str, Measured] | None = None
    if with_dashboards:
        site = {"build": dashboards(data, env, logs / "dashboards-build.log", full=True)}
        print(f"{scale_label}: dashboards page build {site['build'].seconds:.1f} s", flush=True)
    if long:
        write_long_history_day(sources, max(int(scale) // DAYS, 1), DAILY_EXPORT_DAY)
    else:
        write_daily_orders(sources, seed=42, scale=scale, day=DAILY_EXPORT_DAY)
    rerun = pipeline(sources, data, env, logs / "rerun.log", dagster_home)
    print(f"{scale_label}: re-run {rerun.seconds:.1f} s {rerun.stages}", flush=True)
    if site is not None:
        site["data_refresh"] = dashboards(data, env, logs / "dashboards-refresh.log")
        site["unchanged"] = dashboards(data, env, logs / "dashboards-unchanged.log")
        print(f"{scale_label}: dashboards data refresh {site['data_refresh'].seconds:.1f} s,"
              f" unchanged {site['unchanged'].seconds:.1f} s", flush=True)
    measured = [("full run", full), ("re-run", rerun)] + [
        (f"dashboards {name}", m) for name, m in (site or {}).items()]
    for name, m in measured:
        if m.exit_code:
            print(f"{scale_label}: the {name} exited with {m.exit_code} — see "
                  f"{logs}", file=sys.stderr)
    if not keep:
        shutil.rmtree(data, ignore_errors=True)
        shutil.rmtree(sources, ignore_errors=True)
    return ScaleResult(scale, rows, round(size, 1), gen_seconds, floor_result, full, rerun, site,
                       shape)


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


def marginal_costs(results: list[ScaleResult]) -> list[dict[str, object]]:
    """Per shape, between consecutive sizes: (full(N2) − full(N1)) ÷ (floor(N2) − floor(N1)),
    in wall and in CPU seconds — what one more row costs the pipeline against DuckDB's read."""
    out = []
    for shape in sorted({r.shape for r in results}):
        sized = sorted((r for r in results if r.shape == shape), key=lambda r: r.scale)
        for small, big in zip(sized, sized[1:], strict=False):
            floor_wall = big.floor.seconds - small.floor.seconds
            floor_cpu = big.floor.cpu_seconds - small.floor.cpu_seconds
            out.append({
                "shape": shape, "from": small.label, "to": big.label,
                "full_seconds": round(big.full.seconds - small.full.seconds, 2),
                "floor_seconds": round(floor_wall, 2),
                "marginal": round((big.full.seconds - small.full.seconds) / floor_wall, 2)
                if floor_wall > 0 else None,
                "marginal_cpu": round((big.full.cpu_seconds - small.full.cpu_seconds)
                                      / floor_cpu, 2) if floor_cpu > 0 else None,
            })
    return out


def targets(results: list[ScaleResult]) -> dict[str, dict[str, object]]:
    out: dict[str, dict[str, object]] = {}
    scaled = [r for r in results if r.shape == "scaled"]
    longs = sorted((r for r in results if r.shape == "long"), key=lambda r: r.scale)
    margins = marginal_costs(results)
    wanted = [m for m in margins if m["shape"] == "long"] + (
        [m for m in margins if m["shape"] == "scaled"][-1:])
    for m in wanted:
        value = m["marginal"]
        out[f"marginal_cost_{m['shape']}_{m['from']}_to_{m['to']}".replace(" ", "_")] = {
            "target": "<= 4", "value": value, "met": value is not None and value <= 4}
    sample = next((r for r in scaled if r.scale == 1), None)
    if sample is not None:
        out["fixed_cost_sample_seconds"] = {
            "target": "<= 10", "value": round(sample.full.seconds, 1),
            "met": sample.full.seconds <= 10}
    if longs:
        largest = longs[-1]
        share = largest.rerun.seconds / largest.full.seconds
        out[f"rerun_share_at_{largest.label}".replace(" ", "_")] = {
            # four decimals: at two, a share just above the line reads "0.25 … missed"
            "target": "<= 0.25", "value": round(share, 4), "met": share <= 0.25}
    peak = max(max(r.full.peak_mb, r.rerun.peak_mb) for r in results)
    out["peak_memory_gb_at_every_scale"] = {
        "target": "<= 4", "value": round(peak / 1000, 2), "met": peak <= 4000}
    return out | {
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
        "| shape, size | orders | CRM activities | usage rows | all rows | MB | "
        "floor s (CPU s) | recode s | full run s (CPU s) | full ÷ floor | "
        "full: ingest / gate / dbt / publish s | re-run s (CPU s) | re-run ÷ full | "
        "re-run: ingest / gate / dbt / publish s | peak MB (floor / full / re-run) |",
        "|" + "---:|" * 15,
    ]
    for r in sorted(results, key=lambda r: (r.shape != "scaled", r.scale)):
        rows = r.rows
        lines.append(
            f"| {r.label} | {rows.get('erp_orders', 0):,} | "
            f"{rows.get('crm_interactions', 0):,} | {rows.get('it_usage', 0):,} | "
            f"{sum(rows.values()):,} | {r.source_mb:,.0f} | "
            f"{r.floor.seconds:.1f} ({r.floor.cpu_seconds:.1f}) | "
            f"{r.floor.stages.get('recode', 0):.1f} | "
            f"{r.full.seconds:.1f} ({r.full.cpu_seconds:.1f}) | {r.ratio:.2f} | "
            f"{stages(r.full)} | {r.rerun.seconds:.1f} ({r.rerun.cpu_seconds:.1f}) | "
            f"{r.rerun.seconds / r.full.seconds:.2f} | {stages(r.rerun)} | "
            f"{r.floor.peak_mb:,.0f} / {r.full.peak_mb:,.0f} / {r.rerun.peak_mb:,.0f} |")
    margins = marginal_costs(results)
    if margins:
        lines += ["", "| shape | from → to | Δ full s | Δ floor s | marginal cost (wall) | "
                  "marginal cost (CPU) |", "|---|---|---:|---:|---:|---:|"]
        lines += [f"| {m['shape']} | {m['from']} → {m['to']} | {m['full_seconds']:.1f} | "
                  f"{m['floor_seconds']:.1f} | {m['marginal']} | {m['marginal_cpu']} |"
                  for m in margins]
    for r in sorted(results, key=lambda r: r.scale):
        if r.dashboards:
            d = r.dashboards
            lines.append(
                f"\nDashboards at {r.label}: page build {d['build'].seconds:.1f} s, "
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
        "marginal_costs": marginal_costs(results),
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
    parser.add_argument("--scales", type=float, nargs="*", default=DEFAULT_SCALES)
    parser.add_argument("--long-orders", type=int, nargs="*", default=DEFAULT_LONG_ORDERS,
                        help="sizes (orders) of the long-history shape (bench/long_history.py)")
    parser.add_argument("--work", type=Path, default=Path("/tmp/leitstand-bench"))
    parser.add_argument("--keep", action="store_true", help="keep generated data and builds")
    parser.add_argument("--dashboards-scales", type=float, nargs="*", default=[1],
                        help="scales at which the dashboards' build and refresh are measured")
    parser.add_argument("--no-write", action="store_true",
                        help="print the table only; leave results.json and README.md alone")
    args = parser.parse_args(argv)
    manifest = REPO_ROOT / "dbt" / "target" / "manifest.json"
    if not manifest.is_file() or manifest.stat().st_mtime < project_state().last_changed:
        # the dbt build plan would build every model in every re-run (transform/plan.py)
        print(f"{manifest} is older than the dbt project's files: run `make setup` (or "
              "`make bench`, which does) first", file=sys.stderr)
        return 2
    args.work.mkdir(parents=True, exist_ok=True)
    results = [bench_scale(scale, args.work, args.keep, scale in args.dashboards_scales)
               for scale in args.scales]
    results += [bench_scale(orders, args.work, args.keep, shape="long")
                for orders in args.long_orders]
    info = machine()
    print(table(results))
    print(json.dumps(targets(results), indent=2))
    if not args.no_write:
        write_reports(results, info)
        print(f"wrote {RESULTS} and the table in {README}")
    return 0
