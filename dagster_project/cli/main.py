"""`leitstand` — the command analysts use: run the pipeline, query the publication, serve.

    leitstand run [--sources DIR] [--data-dir DIR] [--no-dashboards]
    leitstand query "SQL" [--csv] [--timeout SECONDS] [--max-rows N]
    leitstand status
    leitstand serve [--port N]
    leitstand report [--month YYYY-MM] [--unit ID] [--out FILE.pdf]
    leitstand inspect FILE [--source S] [--sources DIR]

Each command imports what it needs when it runs, so that `leitstand query` does not pay for
Dagster's import (~1.5 s).
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import logging
import os
import signal
import sys

from dagster_project.core.settings import REPO_ROOT, SettingsError, load_settings


def _quiet_tools() -> None:
    """No telemetry and no version checks from any tool while the pipeline runs."""
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    os.environ.setdefault("DAGSTER_DISABLE_TELEMETRY", "1")
    os.environ.setdefault("DAGSTER_HOME", str(REPO_ROOT / ".dagster_home"))


def cmd_run(args: argparse.Namespace) -> int:
    settings = load_settings(args.sources, args.data_dir, engine=args.engine)
    _quiet_tools()
    from dagster_project.cli.run import run_pipeline
    from dagster_project.core.private import owner_only_files
    from dagster_project.core.run_lock import pipeline_lock

    def queued(holder: str) -> None:
        print(f"leitstand run: queued — another run holds {settings.data_dir} ({holder}); "
              "this one starts when it ends", file=sys.stderr, flush=True)

    # one run per data dir at a time (one DuckDB writer); progress lines go to stderr, the
    # tools' own chatter (dbt's ~200 lines) to a log file, the report alone to stdout
    tool_log = settings.runs_dir / "last_run.log"
    with owner_only_files():  # the lock file and the log, too (core/private.py)
        tool_log.parent.mkdir(parents=True, exist_ok=True)
        with pipeline_lock(settings.data_dir, owner="leitstand run", on_wait=queued):
            with tool_log.open("w", encoding="utf-8") as log, contextlib.redirect_stdout(log):
                outcome = run_pipeline(settings, dashboards=not args.no_dashboards)
    print(outcome.report())
    print(f"(dbt and tool output of this run: {tool_log})")
    return 0 if outcome.ok else 1


def cmd_query(args: argparse.Namespace) -> int:
    """One line on stderr for whatever goes wrong, never a traceback (exit status 2)."""
    from dagster_project.cli.query import QueryError, run_query

    settings = load_settings(None, args.data_dir)
    notes: list[str] = []
    try:
        print(run_query(settings, args.sql, as_csv=args.csv, timeout=args.timeout,
                        max_rows=args.max_rows, notes=notes), end="")
    except QueryError as e:
        print(f"leitstand query: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("leitstand query: abgebrochen / interrupted", file=sys.stderr)
        return 130
    except MemoryError:
        print("leitstand query: zu wenig Speicher / out of memory: narrow the query "
              "(where, limit) or lower --max-rows", file=sys.stderr)
        return 2
    except Exception as e:  # a bug of ours: still one line, with what it was
        print(f"leitstand query: unerwarteter Fehler / unexpected error: "
              f"{type(e).__name__}: {' '.join(str(e).split())}", file=sys.stderr)
        return 2
    for note in notes:
        print(f"leitstand query: {note}", file=sys.stderr)
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    from dagster_project.cli.status import collect_status, render

    _quiet_tools()
    settings = load_settings(args.sources, args.data_dir)
    print(render(collect_status(settings, with_dagster=not args.no_dagster)), end="")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from dagster_project.cli.report import cmd_report as report

    return report(args)


def cmd_inspect(args: argparse.Namespace) -> int:
    from pathlib import Path

    from dagster_project.cli.inspect import inspect_export

    settings = load_settings(args.sources, None)
    text, status = inspect_export(Path(args.file), settings.sources_dir, args.source)
    print(text, end="", file=sys.stdout if status == 0 else sys.stderr)
    return status


def cmd_serve(args: argparse.Namespace) -> int:
    from dagster_project.dashboards.serve import serve

    serve(load_settings(None, args.data_dir), port=args.port)
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="leitstand", description="Transformation KPIs: ingest, audit, publish."
    )
    sub = p.add_subparsers(dest="command", required=True)

    run = sub.add_parser(
        "run", help="run the whole pipeline (ingest → gate → dbt → gate → publish → dashboards)"
    )
    run.add_argument(
        "--sources", help="sources folder (default $LEITSTAND_SOURCES_DIR or ./sources)"
    )
    run.add_argument("--data-dir", help="data dir (default $LEITSTAND_DATA_DIR or ./data)")
    run.add_argument("--no-dashboards", action="store_true", help="skip the dashboard build")
    run.add_argument("--engine", choices=("duckdb", "spark"),
                     help="engine of the dbt models (default $LEITSTAND_ENGINE or duckdb)")
    run.set_defaults(func=cmd_run)

    q = sub.add_parser("query", help="read-only SQL on the published database")
    q.add_argument("sql")
    q.add_argument("--csv", action="store_true", help="print CSV instead of a table")
    q.add_argument("--timeout", type=float, default=60.0,
                   help="stop the query after this many seconds (default 60)")
    q.add_argument("--max-rows", type=int, default=None,
                   help="print at most this many rows per statement "
                        "(default 10000, with --csv 1000000)")
    q.add_argument("--data-dir")
    q.set_defaults(func=cmd_query)

    st = sub.add_parser(
        "status", help="last publication, freshness per source, last run and its gate result"
    )
    st.add_argument("--sources")
    st.add_argument("--data-dir")
    st.add_argument(
        "--no-dagster", action="store_true", help="skip reading the Dagster run history"
    )
    st.set_defaults(func=cmd_status)

    ins = sub.add_parser(
        "inspect", help="what the ingest will make of one export (columns, formats, mapping)"
    )
    ins.add_argument("file", help="the export file")
    ins.add_argument("--source", help="its source folder name (default: the file's folder)")
    ins.add_argument(
        "--sources", help="sources folder whose config/ applies (default as for run)"
    )
    ins.set_defaults(func=cmd_inspect)

    s = sub.add_parser("serve", help="serve the built dashboards on 127.0.0.1")
    s.add_argument("--port", type=int, default=3000)
    s.add_argument("--data-dir")
    s.set_defaults(func=cmd_serve)

    r = sub.add_parser(
        "report", help="the monthly report as a PDF (A4 landscape, German) from the publication"
    )
    r.add_argument("--month", help="YYYY-MM (default: the latest month with published values)")
    r.add_argument(
        "--unit", action="append", metavar="ID",
        help="org unit id (repeatable or comma-separated; 'all': every unit; "
        "default: the root of the org tree)",
    )
    r.add_argument(
        "--out", metavar="FILE.pdf",
        help="where to write the PDF (default: ./leitstand-bericht-<YYYY-MM>-<unit>.pdf)",
    )
    r.add_argument("--data-dir")
    r.set_defaults(func=cmd_report)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except SettingsError as exc:  # e.g. LEITSTAND_ENGINE=sparc, for any command
        print(f"leitstand {args.command}: {exc}", file=sys.stderr)
        return 2


def program() -> None:
    """The `leitstand` command (and `python -m dagster_project.cli`): `main`, then exit.

    The process ends without Python's teardown: once the work is done and every exit
    handler has run, freeing the ~5,000 modules Dagster, dbt and Great Expectations import
    one by one took ~2 s of a 20 s sample run (measured), for nothing. Everything a command
    opens it closes itself (DuckDB connections in `with` blocks; Dagster's SQLite files are
    committed), the handlers registered after this one run first (atexit runs last in,
    first out), and streams and log handlers are flushed before the end.
    """
    status: list[int] = [1]  # an uncaught exception ends the process with 1, as Python's would
    atexit.register(_end_without_teardown, status)
    try:
        status[0] = main()
    except SystemExit as exc:  # argparse's usage errors; its message is printed as usual
        status[0] = exc.code if isinstance(exc.code, int) else int(exc.code is not None)
        raise
    except KeyboardInterrupt:  # Ctrl-C: end by SIGINT, as Python itself would
        status[0] = -signal.SIGINT
        raise
    sys.exit(status[0])


def _end_without_teardown(status: list[int]) -> None:
    """Flush, then end with `status` (a negative status: by that signal)."""
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    if status[0] < 0:
        signal.signal(-status[0], signal.SIG_DFL)
        os.kill(os.getpid(), -status[0])
    os._exit(status[0])


if __name__ == "__main__":
    program()
