"""What a report page shows, read from the published DuckDB file (read-only).

One `UnitPage` per chosen org unit and report month M:

- every KPI of `marts.kpi_definitions` with its value, its status against the target path
  (`marts.kpi_status`), its monthly values up to M (the sparkline) and how many units
  strictly below are red / amber;
- the red and amber (KPI, unit) cells strictly below the unit;
- the measures (`marts.actions`) of the unit and its subtree, overdue ones marked;
- the publication (`meta.publication`) and the data as of;
- the newest comments on the KPI's values (`marts.kpi_comments`, where published), each
  beside a published value only, and the revision of the target path in force
  (`marts.kpi_targets`, where published).

Only published values are read: a suppressed cell of `marts.kpi_monthly` has no value in
the file, and a page shows it as suppressed. `marts.kpi_status` holds the status at each
(KPI, unit)'s latest published month only. For a report month M the status is worked out
from what is published, by the rule of docs/kpis.md (*Phase 5*) with M as the end of the
data: each (KPI, unit)'s as-of month is its latest published month ≤ M, the target row in
force is the one of `marts.kpi_targets` for that month's last day, the trend and forecast
come from the last three published values up to it (`STATUS_AT_SQL`). Where the as-of month
of `marts.kpi_status` is ≤ M — always for the latest month — its published row is taken as
it is, so the report of the latest month shows the dashboards' numbers exactly.

Columns that other work adds to `kpi_status` (`red_below`, `amber_below`) are computed here
from the rows that exist, so the report does not depend on them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import duckdb

SPARK_MONTHS = 13  # the report month and the twelve before it
MAX_COMMENTS = 2  # the newest comments per KPI on a page
STATUS_ORDER = {"red": 0, "amber": 1, "green": 2, "no_target": 3}


class ReportError(ValueError):
    """The report cannot be made as asked (no publication, unknown unit or month)."""


@dataclass
class Publication:
    run_id: str
    published_at: datetime
    files_loaded: int
    rows_loaded: int
    rows_quarantined: int


@dataclass
class Unit:
    org_unit_id: str
    name: str
    parent_id: str | None
    depth: int
    path: str


@dataclass
class Comment:
    month: date
    author: str | None
    comment: str
    created_at: date | None = None


@dataclass
class Revision:
    valid_from: date
    reason: str | None
    previous_target: float | None


@dataclass
class KpiLine:
    kpi_id: str
    name: str
    unit: str
    direction: str
    status: str | None = None  # None: no status for the report month (see module doc)
    month: date | None = None  # the month of `value`
    value: float | None = None
    expected_value: float | None = None
    target_value: float | None = None
    target_date: date | None = None
    trend_3m: float | None = None
    forecast: float | None = None
    data_as_of: date | None = None
    suppressed_now: bool = False  # the unit's cell of the KPI's latest month ≤ M is suppressed
    suppressed_month: date | None = None
    has_cells: bool = False  # any cell (published or suppressed) of this KPI for the unit
    status_month: date | None = None  # the as-of month of kpi_status, when after M
    series: list[tuple[date, float | None]] = field(default_factory=list)  # None: suppressed
    red_below: int = 0
    amber_below: int = 0
    comments: list[Comment] = field(default_factory=list)  # newest first
    revision: Revision | None = None  # the target row in force, when it is a revision

    @property
    def status_order(self) -> int:
        return STATUS_ORDER.get(self.status or "", 4)


@dataclass
class BelowCell:
    unit: Unit
    kpi_id: str
    kpi_name: str
    kpi_unit: str
    status: str
    month: date
    value: float
    expected_value: float | None
    target_value: float | None


@dataclass
class Measure:
    action_id: str
    kpi_name: str
    unit_name: str
    title: str
    owner: str
    due_date: date | None
    status: str
    overdue: bool
    kpi_status: str | None


@dataclass
class UnitPage:
    unit: Unit
    trail: list[str]  # names from the root down to the unit's parent
    month: date
    kpis: list[KpiLine]
    below: list[BelowCell]
    measures: list[Measure]
    data_as_of: date | None

    def count(self, status: str) -> int:
        return sum(1 for k in self.kpis if k.status == status)

    @property
    def open_status(self) -> int:
        """KPIs with values but no status for the report month (it lies before the as-of)."""
        return sum(1 for k in self.kpis if k.status is None and k.value is not None)


@dataclass
class Report:
    month: date
    publication: Publication
    publication_count: int
    pages: list[UnitPage]
    latest_month: date | None = None  # the latest month with published values

    @property
    def earlier(self) -> bool:
        """A report of a month before the latest: measures are still as published now."""
        return self.latest_month is not None and self.month < self.latest_month


def parse_month(text: str) -> date:
    """`2026-10` → date(2026, 10, 1); anything else is a ReportError naming the format."""
    m = re.fullmatch(r"\s*(\d{4})-(\d{1,2})\s*", text or "")
    if not m or not 1 <= int(m.group(2)) <= 12:
        raise ReportError(f"--month {text!r}: write the month as YYYY-MM, e.g. 2026-10")
    return date(int(m.group(1)), int(m.group(2)), 1)


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> list[dict]:
    cur = con.execute(sql, params or [])
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def _has_table(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    return bool(con.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
        [schema, table]).fetchone()[0])


def read_units(con: duckdb.DuckDBPyConnection) -> list[Unit]:
    return [Unit(**r) for r in _rows(
        con, "select org_unit_id, name, parent_id, depth, path from marts.org_units order by path")]


def roots(units: list[Unit]) -> list[Unit]:
    """The units without a parent (normally the one company)."""
    ids = {u.org_unit_id for u in units}
    return [u for u in units if not u.parent_id or u.parent_id not in ids]


def resolve_units(units: list[Unit], wanted: list[str] | None) -> list[Unit]:
    """The units asked for (ids match case-insensitively after trimming; `all`: every unit),
    in the order asked; none asked: the root(s) of the org tree."""
    if not wanted:
        return roots(units)
    by_id = {u.org_unit_id.strip().lower(): u for u in units}
    chosen: list[Unit] = []
    for raw in wanted:
        for part in (p.strip() for p in raw.split(",")):
            if not part:
                continue
            if part.lower() == "all":
                chosen += [u for u in units if u not in chosen]
                continue
            unit = by_id.get(part.lower())
            if unit is None:
                known = ", ".join(u.org_unit_id for u in units[:20])
                raise ReportError(
                    f"--unit {part!r} is not an org unit of the publication "
                    f"(marts.org_units: {known}{' …' if len(units) > 20 else ''})")
            if unit not in chosen:
                chosen.append(unit)
    return chosen


def subtree_ids(units: list[Unit], unit: Unit) -> list[str]:
    """The unit and every unit below it (by the published `path`)."""
    prefix = unit.path + "/"
    return [u.org_unit_id for u in units if u.org_unit_id == unit.org_unit_id
            or u.path.startswith(prefix)]


def read_publication(con: duckdb.DuckDBPyConnection) -> tuple[Publication, int]:
    rows = _rows(con, "select run_id, published_at, files_loaded, rows_loaded, rows_quarantined "
                      "from meta.publication order by published_at desc")
    if not rows:
        raise ReportError("the published file has no publication yet: run `leitstand run`")
    return Publication(**rows[0]), len(rows)


def month_range(con: duckdb.DuckDBPyConnection) -> tuple[date | None, date | None]:
    first, last = con.execute(
        "select min(month), max(month) from marts.kpi_monthly where not suppressed").fetchone()
    return first, last


# The status of every (KPI, unit) as of the report month (`$month`): the rule of
# dbt/models/marts/kpi_status.sql (docs/kpis.md) on the published tables, with the values
# after the month left out. Read-only: a temp table of the report's connection.
STATUS_AT_SQL = """
with
published as (
    select kpi_id, org_unit_id, month, value from marts.kpi_monthly
    where not suppressed and value is not null and month <= $month
),
ranked as (
    select *, row_number() over (partition by kpi_id, org_unit_id order by month desc)
        as recency
    from published
),
latest as (
    select kpi_id, org_unit_id, month, value, last_day(month) as month_end,
        12 * year(month) + month(month) as month_index
    from ranked where recency = 1
),
sums as (
    select r.kpi_id, r.org_unit_id, count(*) as n,
        sum(x) as sx, sum(r.value) as sy, sum(x * r.value) as sxy, sum(x * x) as sxx
    from (
        select r.*, cast(12 * year(r.month) + month(r.month) - l.month_index as double) as x
        from ranked r join latest l using (kpi_id, org_unit_id)
        where r.recency <= 3
    ) as r
    group by 1, 2
),
compared as (
    select l.kpi_id, l.org_unit_id, l.month, l.value,
        case when s.n >= 3 then (s.n * s.sxy - s.sx * s.sy) / (s.n * s.sxx - s.sx * s.sx)
        end as trend_3m,
        d.min_value, d.max_value, d.direction,
        t.kpi_id is not null as has_target,
        t.baseline_value, t.target_value, t.tolerance, t.target_date,
        t.baseline_value + (t.target_value - t.baseline_value) * (
            case when t.target_date = t.baseline_date then 1.0
            else greatest(0.0, least(1.0,
                cast(datediff('day', t.baseline_date, l.month_end) as double)
                / datediff('day', t.baseline_date, t.target_date)))
            end) as expected_value,
        12 * year(t.target_date) + month(t.target_date) - l.month_index as months_to_target,
        l.month_end
    from latest l
    join sums s using (kpi_id, org_unit_id)
    left join marts.kpi_definitions d on d.kpi_id = l.kpi_id
    left join marts.kpi_targets t
        on t.kpi_id = l.kpi_id and t.org_unit_id = l.org_unit_id
        and (t.valid_from is null or t.valid_from <= l.month_end)
        and (t.valid_to is null or t.valid_to >= l.month_end)
),
statused as (
    select *,
        case
            when not has_target then 'no_target'
            when (case when direction = 'down' then expected_value - value
                       else value - expected_value end) >= 0 then 'green'
            when (case when direction = 'down' then expected_value - value
                       else value - expected_value end) >= -coalesce(tolerance, 0) then 'amber'
            else 'red'
        end as status,
        value + trend_3m * months_to_target as unclamped
    from compared
),
computed as (
    select kpi_id, org_unit_id, month, value, baseline_value, target_value, expected_value,
        tolerance, status,
        (value - baseline_value) / nullif(target_value - baseline_value, 0) as progress,
        trend_3m,
        case when has_target then
            case when unclamped < min_value then min_value
                 when unclamped > max_value then max_value
                 else unclamped end
        end as forecast_at_target_date,
        target_date,
        -- the KPI's data as of (one date per KPI), but not after the report month's end
        least(as_of.data_as_of, last_day($month)) as data_as_of
    from statused
    left join (
        select kpi_id as as_of_kpi, max(data_as_of) as data_as_of
        from marts.kpi_status group by 1
    ) as as_of on as_of.as_of_kpi = statused.kpi_id
),
chosen as (
    -- the published row where its as-of month is not after the report month
    select k.kpi_id, k.org_unit_id, k.month, k.value, k.baseline_value, k.target_value,
        k.expected_value, k.tolerance, k.status, k.progress, k.trend_3m,
        k.forecast_at_target_date, k.target_date, k.data_as_of
    from marts.kpi_status k where $take_published and k.month <= $month
    union all
    select c.* from computed c
    where not $take_published
        or not exists (select 1 from marts.kpi_status k where k.kpi_id = c.kpi_id
                       and k.org_unit_id = c.org_unit_id and k.month <= $month)
),
below as (
    -- the statuses of the units strictly below each unit, on the same KPI
    select a.org_unit_id, b.kpi_id,
        count(*) filter (where b.status = 'red') as red_below,
        count(*) filter (where b.status = 'amber') as amber_below
    from chosen b
    join marts.org_units bu on bu.org_unit_id = b.org_unit_id
    join marts.org_units a on starts_with(bu.path, a.path || '/')
    group by 1, 2
)
select chosen.*,
    cast(coalesce(below.red_below, 0) as integer) as red_below,
    cast(coalesce(below.amber_below, 0) as integer) as amber_below
from chosen
left join below on below.kpi_id = chosen.kpi_id and below.org_unit_id = chosen.org_unit_id
"""


def status_at(con: duckdb.DuckDBPyConnection, month: date, computed_only: bool = False,
              view: str = "status_at") -> str:
    """Create the temp table `view` (worked out once, read by every page): the status of
    every (KPI, unit) as of `month` (one row per pair with a published value up to it, the
    columns of marts.kpi_status). With `computed_only`, marts.kpi_status is not taken over
    where it applies (for comparing the computation with it). Returns the table's name."""
    sql = STATUS_AT_SQL.replace("$month", f"date '{month:%Y-%m-%d}'").replace(
        "$take_published", "false" if computed_only else "true")
    con.execute(f"create or replace temp table {view} as {sql}")
    return view


def _kpi_lines(con: duckdb.DuckDBPyConnection, units: list[Unit], unit: Unit,
               month: date) -> list[KpiLine]:
    uid = unit.org_unit_id
    defs = _rows(con, "select kpi_id, name_de, unit, direction from marts.kpi_definitions")
    lines = {d["kpi_id"]: KpiLine(d["kpi_id"], d["name_de"], d["unit"] or "",
                                  d["direction"] or "up") for d in defs}
    # the monthly cells of the unit up to M: published values and suppressed months
    cells = _rows(con, """
        select kpi_id, month, value, suppressed from marts.kpi_monthly
        where org_unit_id = ? and month <= ? order by kpi_id, month""", [uid, month])
    by_kpi: dict[str, list[dict]] = {}
    for c in cells:
        by_kpi.setdefault(c["kpi_id"], []).append(c)
    # the status as of M (status_at: the published row, or worked out for an earlier M)
    statuses = {r["kpi_id"]: r for r in _rows(con, """
        select kpi_id, month, value, expected_value, target_value, target_date, trend_3m,
               forecast_at_target_date, data_as_of, status
        from status_at where org_unit_id = ?""", [uid])}
    below_ids = [i for i in subtree_ids(units, unit) if i != uid]
    counts = {}
    if below_ids:
        counts = {r["kpi_id"]: r for r in _rows(con, """
            select kpi_id, count(*) filter (where status = 'red') as red,
                   count(*) filter (where status = 'amber') as amber
            from status_at where org_unit_id in (select unnest(?))
            group by kpi_id""", [below_ids])}
    for kpi_id, line in lines.items():
        rows = by_kpi.get(kpi_id, [])
        line.has_cells = bool(rows)
        line.series = [(r["month"], None if r["suppressed"] else r["value"])
                       for r in rows][-SPARK_MONTHS:]
        if rows and rows[-1]["suppressed"]:
            line.suppressed_now, line.suppressed_month = True, rows[-1]["month"]
        published = [r for r in rows if not r["suppressed"] and r["value"] is not None]
        st = statuses.get(kpi_id)
        if st and st["month"] <= month:
            line.status, line.month, line.value = st["status"], st["month"], st["value"]
            line.expected_value, line.target_value = st["expected_value"], st["target_value"]
            line.target_date, line.trend_3m = st["target_date"], st["trend_3m"]
            line.forecast, line.data_as_of = st["forecast_at_target_date"], st["data_as_of"]
        elif published:
            last = published[-1]
            line.month, line.value = last["month"], last["value"]
            if st:
                line.status_month = st["month"]
                line.target_value, line.target_date = st["target_value"], st["target_date"]
        c = counts.get(kpi_id)
        if c:
            line.red_below, line.amber_below = int(c["red"]), int(c["amber"])
    if _has_table(con, "marts", "kpi_comments"):  # published from config/kpi_comments.csv
        # only comments beside a published value (the mart already leaves the others out)
        for r in _rows(con, """
                select c.kpi_id, c.month, c.author, c.comment, c.created_at
                from marts.kpi_comments c
                join marts.kpi_monthly m on m.kpi_id = c.kpi_id
                    and m.org_unit_id = c.org_unit_id and m.month = c.month and not m.suppressed
                where c.org_unit_id = ? and c.month <= ?
                order by c.month desc, c.created_at desc nulls last, c.author""", [uid, month]):
            line = lines.get(r["kpi_id"])
            if line is not None and len(line.comments) < MAX_COMMENTS:
                line.comments.append(Comment(r["month"], r["author"], r["comment"],
                                             r["created_at"]))
    if _has_table(con, "marts", "kpi_targets"):  # target paths with their revisions
        paths: dict[str, list[dict]] = {}
        for r in _rows(con, """
                select kpi_id, valid_from, valid_to, target_value, reason from marts.kpi_targets
                where org_unit_id = ? order by kpi_id, valid_from nulls first""", [uid]):
            paths.setdefault(r["kpi_id"], []).append(r)
        for kpi_id, rows in paths.items():
            line = lines.get(kpi_id)
            if line is None or line.status is None or line.month is None:
                continue
            end = _month_end(line.month)
            for i, r in enumerate(rows):
                if (r["valid_from"] is not None and r["valid_from"] <= end
                        and (r["valid_to"] is None or r["valid_to"] >= end)):
                    line.revision = Revision(r["valid_from"], r["reason"],
                                             rows[i - 1]["target_value"] if i else None)
    return sorted(lines.values(), key=lambda k: (k.status_order, k.name))


def _month_end(month: date) -> date:
    nxt = date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return date.fromordinal(nxt.toordinal() - 1)


def _below(con: duckdb.DuckDBPyConnection, units: list[Unit], unit: Unit,
           month: date) -> list[BelowCell]:
    ids = [i for i in subtree_ids(units, unit) if i != unit.org_unit_id]
    if not ids:
        return []
    by_id = {u.org_unit_id: u for u in units}
    # only cells whose status month is published (never a suppressed cell) and ≤ M
    rows = _rows(con, """
        select s.org_unit_id, s.kpi_id, d.name_de, d.unit, s.status, s.month, s.value,
               s.expected_value, s.target_value
        from status_at s
        join marts.kpi_definitions d on d.kpi_id = s.kpi_id
        join marts.kpi_monthly m on m.kpi_id = s.kpi_id and m.org_unit_id = s.org_unit_id
            and m.month = s.month and not m.suppressed
        where s.status in ('red', 'amber') and s.month <= ?
            and s.org_unit_id in (select unnest(?))""", [month, ids])
    cells = [BelowCell(by_id[r["org_unit_id"]], r["kpi_id"], r["name_de"], r["unit"] or "",
                       r["status"], r["month"], r["value"], r["expected_value"],
                       r["target_value"]) for r in rows]
    return sorted(cells, key=lambda c: (STATUS_ORDER[c.status], c.unit.path, c.kpi_name))


def _measures(con: duckdb.DuckDBPyConnection, units: list[Unit], unit: Unit) -> list[Measure]:
    ids = subtree_ids(units, unit)
    rows = _rows(con, """
        select a.action_id, coalesce(d.name_de, a.kpi_id) as kpi_name,
               coalesce(u.name, a.org_unit_id) as unit_name, a.title, a.owner, a.due_date,
               a.status, coalesce(a.overdue, false) as overdue, s.status as kpi_status
        from marts.actions a
        left join marts.kpi_definitions d on d.kpi_id = a.kpi_id
        left join marts.org_units u on u.org_unit_id = a.org_unit_id
        left join status_at s on s.kpi_id = a.kpi_id and s.org_unit_id = a.org_unit_id
        where a.org_unit_id in (select unnest(?))
        order by a.overdue desc, a.due_date nulls last, a.action_id""", [ids])
    return [Measure(**r) for r in rows]


def read_report(published_db: Path, unit_ids: list[str] | None = None,
                month: date | None = None) -> Report:
    """Everything the report shows, from one read-only connection to the published file."""
    if not published_db.exists():
        raise ReportError(f"no publication at {published_db}: run `leitstand run` first")
    with duckdb.connect(str(published_db), read_only=True) as con:
        for schema, table in [("marts", "kpi_status"), ("marts", "kpi_monthly"),
                              ("marts", "kpi_definitions"), ("marts", "org_units"),
                              ("marts", "actions"), ("meta", "publication")]:
            if not _has_table(con, schema, table):
                raise ReportError(f"{published_db} has no table {schema}.{table}: "
                                  "it is not a Leitstand publication, or an old one")
        publication, count = read_publication(con)
        first, last = month_range(con)
        if last is None:
            raise ReportError(f"{published_db} holds no published KPI value")
        if month is None:
            month = last
        elif not first <= month <= last:
            raise ReportError(
                f"--month {month:%Y-%m}: the publication holds values from {first:%Y-%m} "
                f"to {last:%Y-%m}; choose a month in that range")
        units = read_units(con)
        status_at(con, month)
        pages = []
        for unit in resolve_units(units, unit_ids):
            kpis = _kpi_lines(con, units, unit, month)
            by_id = {u.org_unit_id: u for u in units}
            trail, parent = [], by_id.get(unit.parent_id or "")
            while parent is not None:
                trail.insert(0, parent.name)
                parent = by_id.get(parent.parent_id or "")
            as_of = max((k.data_as_of for k in kpis if k.data_as_of), default=None)
            pages.append(UnitPage(unit, trail, month, kpis, _below(con, units, unit, month),
                                  _measures(con, units, unit), as_of))
    return Report(month, publication, count, pages, last)
