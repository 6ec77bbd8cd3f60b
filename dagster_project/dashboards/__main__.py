"""`python -m dagster_project.dashboards [--data-dir DIR] [--full]`: bring the dashboards of a
data dir up to its last publication (nothing, new data files, or a page build), with progress
lines on stderr; prints the mode and seconds. `leitstand run` does the same as its last step."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from dagster_project.core.settings import load_settings
from dagster_project.dashboards.build import DashboardBuildError, build_dashboards


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dagster_project.dashboards",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", type=Path, default=None,
                        help="the data dir holding leitstand.duckdb (default: data/)")
    parser.add_argument("--full", action="store_true", help="build the pages even if unchanged")
    args = parser.parse_args(argv)
    settings = load_settings(data_dir=args.data_dir)
    started = time.monotonic()

    def progress(line: str) -> None:
        secs = int(time.monotonic() - started)
        print(f"[{secs // 60:02d}:{secs % 60:02d}] dashboards {line}", file=sys.stderr, flush=True)

    try:
        built = build_dashboards(settings, progress=progress, full=args.full)
    except DashboardBuildError as exc:
        print(f"dashboards not updated: {exc}", file=sys.stderr)
        return 1
    print(f"dashboards {built.mode} in {built.seconds:.1f} s: {built.site.resolve()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
