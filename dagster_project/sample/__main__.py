"""`python -m dagster_project.sample --out DIR [--seed N] [--scale X]`."""

from __future__ import annotations

import argparse
from pathlib import Path

from .generator import generate


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m dagster_project.sample",
        description="Write the sample company's exports (sources folder with config/).")
    parser.add_argument("--out", required=True, type=Path, help="sources folder to write")
    parser.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    parser.add_argument("--scale", type=float, default=1.0,
                        help="volume factor for the big sources (default 1.0)")
    args = parser.parse_args(argv)
    company = generate(args.out, seed=args.seed, scale=args.scale)
    total = sum(company.rows_written.values())
    print(f"wrote {sum(len(v) for v in company.files.values())} export files "
          f"({total} data rows) and config/ to {args.out}; "
          f"{len(company.expected_quarantine)} planted bad rows")
    for source, count in company.rows_written.items():
        print(f"  {source:<20} {len(company.files[source]):>3} files {count:>8} rows")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
