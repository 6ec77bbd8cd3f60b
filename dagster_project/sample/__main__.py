"""`python -m dagster_project.sample --out DIR [--seed N] [--scale X] [--org-tree second]`.

Scale 1 (the default) writes exactly the committed sample; above 1, `bulk.write_bulk` adds
the Mittelstand-scale exports on top of it. `--org-tree second` writes another company
(other unit ids and names, four levels) with the same kind of data."""

from __future__ import annotations

import argparse
from pathlib import Path

from .bulk import write_bulk
from .generator import generate
from .org import TREES


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
    parser.add_argument("--org-tree", choices=sorted(TREES), default="sample",
                        help="the company's org tree (default: the shipped sample's; "
                             "'second': other ids and names, four levels)")
    args = parser.parse_args(argv)
    if args.scale <= 0:
        parser.error(f"--scale must be positive, got {args.scale}")
    if args.scale > 1 and args.org_tree != "sample":
        parser.error("--scale above 1 adds bulk exports for the sample's org tree only")
    company = generate(args.out, seed=args.seed, scale=min(args.scale, 1.0),
                       tree=TREES[args.org_tree])
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
