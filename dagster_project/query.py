"""Read-only queries on the published database (`leitstand query`)."""

from __future__ import annotations

import csv
import io

import duckdb

from dagster_project.settings import Settings


class QueryError(Exception):
    """A query that cannot be answered; the message says why and what to do."""


def run_query(settings: Settings, sql: str, as_csv: bool = False) -> str:
    """Run `sql` on the published file, opened read-only, and format the answer."""
    path = settings.published_db
    if not path.exists():
        raise QueryError(f"nothing published yet at {path}: run `leitstand run` first")
    try:
        with duckdb.connect(str(path), read_only=True) as con:
            rel = con.sql(sql)
            if rel is None:
                return ""
            columns = rel.columns
            rows = rel.fetchall()
    except duckdb.InvalidInputException as e:
        if "read-only" in str(e):
            raise QueryError("the published database is read-only: only SELECT-type queries are allowed") from e
        raise QueryError(str(e)) from e
    except duckdb.Error as e:
        raise QueryError(str(e)) from e
    return _as_csv(columns, rows) if as_csv else _as_table(columns, rows)


def _as_csv(columns: list[str], rows: list[tuple]) -> str:
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(columns)
    w.writerows(["" if v is None else v for v in r] for r in rows)
    return out.getvalue()


def _as_table(columns: list[str], rows: list[tuple]) -> str:
    cells = [[("NULL" if v is None else str(v)) for v in r] for r in rows]
    widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(columns)]
    line = lambda vals: "  ".join(v.ljust(w) for v, w in zip(vals, widths)).rstrip()  # noqa: E731
    out = [line(columns), line(["-" * w for w in widths]), *(line(r) for r in cells)]
    out.append(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")
    return "\n".join(out) + "\n"
