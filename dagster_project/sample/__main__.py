"""`python -m dagster_project.sample --out DIR [--seed N] [--scale X]`.

Scale 1 (the default) writes exactly the committed sample; above 1, `bulk.write_bulk` adds
the Mittelstand-scale exports on top of it."""

from __future__ import annotations

import argparse
from pathlib import Path

from .bulk import write_bulk
from .generator import generate


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m dagster_project.sample",
        description="Write the sample company's exports (sources folder with config/).")
    parser.add_argument("--out", required=True, type=Path, help="sources folder to write")
    parser.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    parser.add_argument("--scale", type=float, default=1.0,
                        help="volume factor (default 1.0: the committed sample). Up to 1 the "
                             "sample's big sources shrink; above 1 the sample is written as "
                             "is and DuckDB adds bulk exports (scale 480: about 10 M "
                             "orders, 2.4 M CRM activities, 5 M usage rows)")
    args = parser.parse_args(argv)
    if args.scale <= 0:
        parser.error(f"--scale must be positive, got {args.scale}")
    company = generate(args.out, seed=args.seed, scale=min(args.scale, 1.0))
    bulk = write_bulk(args.out, seed=args.seed, scale=args.scale)
    rows = dict(company.rows_written)
    files = {source: len(names) for source, names in company.files.items()}
    for source, written in bulk.files.items():
        rows[source] += sum(count for _, count in written)
        files[source] += len(written)
    print(f"wrote {sum(files.values())} export files ({sum(rows.values())} data rows) and "
          f"config/ to {args.out}; {len(company.expected_quarantine)} planted bad rows")
    for source, count in rows.items():
        print(f"  {source:<20} {files[source]:>3} files {count:>10} rows")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
