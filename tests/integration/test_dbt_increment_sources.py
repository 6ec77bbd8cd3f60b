"""Exports that only add CRM activities or tool usage recompute the months they touch
(transform/increment.py, dbt/macros/increment.sql), as added orders do
(test_dbt_increment.py), and publish what a build of every model publishes.

One re-run adds both: CRM activities dated in a month halfway through their history (a
month the grid holds) and usage rows dated in the month after the last usage (a month the
grid gains). Each export is the source folder's own last file, its first rows with the date
moved (and, where the date is not part of the key, new ids), written back in the file's
own delimiter, encoding and date format: nothing here depends on the sample company.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import duckdb
import pandas as pd

from dagster_project.ingest.contracts import contract
from dagster_project.transform.increment import MONTH_COLUMNS
from tests.integration.increment_checks import (
    INCREMENTAL_BY,
    recomputed,
    rerun_and_compare,
    tables,
)

# the date (and time) formats the exports write, tried in turn
FORMATS = ("%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d",
           "%d.%m.%Y %H:%M", "%d.%m.%Y", "%d/%m/%Y", "%m/%d/%Y")


def _column(source: str, header: list[str], field: str) -> int:
    spec = next(f for f in contract(source).fields if f.name == field)
    names = {n.casefold() for n in (field, *spec.de, *spec.en)}
    return next(i for i, h in enumerate(header) if h.strip().casefold() in names)


def _moved(value: str, day: dt.date) -> str:
    """`value` (a date or date-time in one of FORMATS) moved to `day`, written the same way."""
    for fmt in FORMATS:
        try:
            old = dt.datetime.strptime(value.strip(), fmt)
        except ValueError:
            continue
        return dt.datetime.combine(day, old.time()).strftime(fmt)
    raise AssertionError(f"no known date format: {value!r}")


def _export(sources: Path, source: str, day: dt.date, rows: int = 25) -> Path:
    """The first `rows` rows of the folder's last export of `source`, dated `day`, as a new
    file of the same format (new ids unless the date is part of the key)."""
    folder = sources / source
    model = sorted(p for p in folder.iterdir() if p.suffix.lower() in (".csv", ".txt"))[-1]
    data = model.read_bytes()
    try:
        encoding, text = "utf-8-sig", data.decode("utf-8-sig")
    except UnicodeDecodeError:
        encoding, text = "cp1252", data.decode("cp1252")
    delimiter = max(";,\t|", key=text.splitlines()[0].count)
    table = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    header, body = table[0], [r for r in table[1:] if any(c.strip() for c in r)][:rows]
    c = contract(source)
    date = _column(source, header, MONTH_COLUMNS[source])
    ids = [] if MONTH_COLUMNS[source] in c.key else [_column(source, header, k) for k in c.key]
    for row in body:
        row[date] = _moved(row[date], day)
        for i in ids:
            row[i] = f"{row[i]}-Z"
    out = io.StringIO(newline="")
    csv.writer(out, delimiter=delimiter, lineterminator="\r\n").writerows([header, *body])
    path = folder / f"zz_added{model.suffix}"
    path.write_bytes(out.getvalue().encode(encoding))
    return path


def _row(db: Path, sql: str) -> tuple:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql).fetchone()


def _denominators(db: Path) -> dict[dt.date, float]:
    """Activities per month (the digital interaction share's denominators, all units)."""
    with duckdb.connect(str(db), read_only=True) as con:
        return dict(con.execute(
            "select month, sum(denominator) from "
            "intermediate.int_digital_interaction_share_rolled_up group by 1").fetchall())


def test_added_activities_and_usage_recompute_their_months_and_publish_a_whole_build(
        copied_run, tmp_path):
    assert {"crm_interactions", "it_usage"} <= set(INCREMENTAL_BY.values())
    sources, data, whole = copied_run.sources_dir, copied_run.data_dir, tmp_path / "whole"
    db = data / "build.duckdb"
    first, last = _row(db, "select min(occurred_at), max(occurred_at) from raw.crm_interactions")
    late = (first + (last - first) / 2).date().replace(day=1)
    (last_use,) = _row(db, "select max(activity_date) from raw.it_usage")
    after = (last_use.replace(day=1) + dt.timedelta(days=31)).replace(day=1)
    before = _denominators(db)
    _export(sources, "crm_interactions", late + dt.timedelta(days=14))
    _export(sources, "it_usage", after)

    rerun_and_compare(sources, data, whole)
    # the CRM month itself; the usage month (and none between: it follows the last one)
    assert recomputed(db) == [("crm_interactions", late), ("it_usage", after)]
    # what the exports change: more activities in their month, a month of licences more
    assert _denominators(db)[late] > before[late]
    licences = tables(db)["intermediate.int_licences_active_at_month_end"]
    assert (licences["month"] == pd.Timestamp(after)).any()
    assert not (licences["month"] > pd.Timestamp(after)).any()
