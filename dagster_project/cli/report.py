"""`leitstand report`: the monthly report as a PDF, from the published file (read-only)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from dagster_project.core.settings import load_settings
from dagster_project.report.data import ReportError, parse_month
from dagster_project.report.pdf import write_report


def cmd_report(args: argparse.Namespace) -> int:
    settings = load_settings(None, args.data_dir)
    try:
        month = parse_month(args.month) if args.month else None
        written = write_report(settings.published_db, Path(args.out) if args.out else None,
                               args.unit or None, month)
    except ReportError as e:
        print(f"leitstand report: {e}", file=sys.stderr)
        return 2
    print(f"{written.path}: Monatsbericht {written.month:%Y-%m}, "
          f"{written.pages} Seite(n) für {', '.join(written.units)} "
          f"({written.seconds:.1f} s)")
    return 0

