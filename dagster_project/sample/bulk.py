"""The sample company at Mittelstand scale: tens of millions of rows, written by DuckDB.

`--scale N` (N > 1) writes the scale-1 sample (every planted truth, bad row and quirk of
`generator.generate`) and adds bulk exports for the sources that grow with a company:
order headers, CRM activities, staff with their licences, and daily tool usage. The bulk
rows are generated and rendered in SQL (one `COPY` per file, no Python loop over rows), in
the same way the systems of the sample write them: the ERP in Windows-1252 with `;`,
German headers, dates and numbers (`1.234,50`), German status words, units written as id,
name or lower-case id, remarks with `;`, quotes and line breaks; the CRM in UTF-8 with `,`;
usage as `.txt`, pipe-separated German in the first half of 2025, tab-separated ISO after.

Volumes, on top of the sample (N − 1 times these):
- orders: the sample's rate per sales unit and month (about 21,000 per scale step),
- CRM interactions: a quarter of the sample's rate (about 4,900 per step),
- staff: `STAFF_PER_STEP` people spread over the units that grow (the small
  administration units keep the planted privacy cells), each with the tools of their unit,
  active on most weekdays (about 11,000 usage rows per step).
Random numbers come from `hash(row, seed, purpose)`, so the files are byte-identical for
one seed and scale whatever the number of threads. Bulk ids never collide with the
sample's (`AU-2…`, `INT-2…`, `MA-2…`, six digits after `MA-`).
"""

from __future__ import annotations

import codecs
import datetime as dt
import math
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from .org import FIXED_UNITS, HEADCOUNT, ROLES, TOOL_ROLLOUT, TOOLS_BY_UNIT, UNIT_NAMES
from .sales import (
    DIGITAL_INTERACTION_CHANNELS,
    DIGITAL_ORDER_CHANNELS,
    INTERACTION_UNITS,
    MANUAL_INTERACTION_CHANNELS,
    MANUAL_ORDER_CHANNELS,
    ORDER_UNITS,
    REMARKS,
    TOPICS,
)
from .timeline import DATA_END, month_end, month_starts

STAFF_PER_STEP = 16
INTERACTION_SHARE = 0.25
USAGE_ACTIVE_DAY = 0.8  # chance that a licensed person uses a tool on a weekday
_CHUNK = 8 * 1024 * 1024


@dataclass
class BulkFiles:
    """What the bulk step wrote: source -> [(file name, data rows)]."""

    files: dict[str, list[tuple[str, int]]] = field(default_factory=dict)

    def add(self, source: str, name: str, rows: int) -> None:
        if rows:
            self.files.setdefault(source, []).append((name, rows))

    def rows(self, source: str) -> int:
        return sum(rows for _, rows in self.files.get(source, []))


def _sql_str(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _sql_list(values: list) -> str:
    return "[" + ", ".join("NULL" if v is None else _sql_str(v) for v in values) + "]"


def _weighted_pick(weights: dict[str, float], roll: str) -> str:
    """SQL choosing a key of `weights` by the uniform number `roll` (0..1)."""
    total = sum(weights.values())
    cases, cumulative = [], 0.0
    items = list(weights.items())
    for name, weight in items[:-1]:
        cumulative += weight / total
        cases.append(f"when {roll} < {cumulative:.6f} then {_sql_str(name)}")
    return f"(case {' '.join(cases)} else {_sql_str(items[-1][0])} end)"


def _per_unit(values: dict[str, str], otherwise: str = "null") -> str:
    """SQL `case unit when ... end` over per-unit SQL expressions."""
    return ("(case unit " + " ".join(f"when {_sql_str(u)} then {v}" for u, v in values.items())
            + f" else {otherwise} end)")


def _connect(seed: int) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("set preserve_insertion_order = true")
    # u(row, purpose): a uniform number in [0, 1) fixed by row, seed and purpose.
    con.execute(f"create macro u(r, p) as (hash(r, {int(seed)}, p) % 1000003) / 1000003.0")
    # German number `1.234,50`
    con.execute("create macro de_num(x) as translate(format('{:,.2f}', x), ',.', '.,')")
    # a weekday of the month from `first` to `last` (a weekend day moves inside the month)
    con.execute("""
        create macro weekday_in(first, last, roll) as (
            with d as (select first + cast(floor(roll * (datediff('day', first, last) + 1))
                                       as integer) as d0)
            select case dayofweek(d0)
                when 6 then (case when d0 + 2 <= last then d0 + 2 else d0 - 1 end)
                when 0 then (case when d0 + 1 <= last then d0 + 1 else d0 - 2 end)
                else d0 end from d)
    """)
    # a log-normal amount around `typical`
    con.execute("""
        create macro lognormal(typical, sigma, a, b) as exp(ln(typical) + sigma
            * sqrt(-2 * ln(1 - a)) * cos(2 * pi() * b))
    """)
    return con


def _copy(con: duckdb.DuckDBPyConnection, select: str, path: Path, delimiter: str,
          encoding: str = "utf-8") -> int:
    """Write `select` as a delimited file with a header (quotes only where needed); returns
    the number of data rows. Windows-1252 files are written as UTF-8 and transcoded."""
    target = path if encoding == "utf-8" else path.with_name(path.name + ".utf8")
    rows = con.execute(
        f"copy ({select}) to {_sql_str(str(target))} "
        f"(format csv, header true, delimiter {_sql_str(delimiter)}, quote '\"')"
    ).fetchall()[0][0]
    if encoding != "utf-8":
        _transcode(target, path, encoding)
        target.unlink()
    if not rows:  # a system exports no file for an empty period (at a tiny scale)
        path.unlink()
    return int(rows)


def _transcode(source: Path, target: Path, encoding: str) -> None:
    decoder = codecs.getincrementaldecoder("utf-8")()
    with source.open("rb") as src, target.open("wb") as dst:
        while chunk := src.read(_CHUNK):
            dst.write(decoder.decode(chunk).encode(encoding))
        dst.write(decoder.decode(b"", final=True).encode(encoding))


def _cells(units: dict[str, tuple], steps: float, m: int, share: float = 1.0) -> str:
    """SQL: one row per (cell, number) of month index `m`: unit index `ui`, unit, the month's
    first and last day, the digital share, and a row key `r` unique over all months."""
    month = month_starts()[m]
    values = []
    for index, (unit, spec) in enumerate(units.items()):
        base, start, end = spec[0], spec[1], spec[2]
        n = round(base * steps * share * (1 + 0.08 * math.sin(2 * math.pi * m / 12)))
        digital = start + (end - start) * m / 23
        values.append(f"({index}, {_sql_str(unit)}, {max(n, 0)}, {digital:.4f})")
    return f"""(
        select c.ui, c.unit, c.digital, date '{month:%Y-%m-%d}' as first,
               date '{month_end(month):%Y-%m-%d}' as last,
               ({m} * 8 + c.ui) * 10000000 + s.seq as r
        from (values {", ".join(values)}) c(ui, unit, n, digital), range(c.n) s(seq))"""


# ----------------------------------------------------------------------------- orders

ERP_STATUS_BY_AGE = [  # (minimum age in months, [(status, cumulative share)])
    (3, [("fakturiert", 0.93), ("geliefert", 0.99)]),
    (1, [("fakturiert", 0.5), ("geliefert", 0.9)]),
    (0, [("fakturiert", 0.1), ("geliefert", 0.45)]),
]
CUSTOMER_POOLS = {"VT-IN": (10000, 650), "VT-EX": (20000, 260), "VT-SV": (30000, 520)}


def _order_select(steps: float, m: int) -> str:
    month = month_starts()[m]
    old = month < dt.datetime(2025, 1, 1)
    age = (DATA_END.year - month.year) * 12 + DATA_END.month - month.month
    shares = next(s for minimum, s in ERP_STATUS_BY_AGE if age >= minimum)
    status = ("case when u(r, 3) < 0.03 then 'storniert' " + " ".join(
        f"when u(r, 8) < {share} then '{word}'" for word, share in shares) + " else 'offen' end")
    if old:
        status = f"upper(left({status}, 1)) || substr({status}, 2)"
    date_fmt = "%d.%m.%y" if old else "%d.%m.%Y"
    pick = {unit: _weighted_pick(w, "u(r, 6)") for unit, w in DIGITAL_ORDER_CHANNELS.items()}
    manual = {unit: _weighted_pick(w, "u(r, 6)") for unit, w in MANUAL_ORDER_CHANNELS.items()}
    customer = {u: f"{first} + cast(floor(pow(u(r, 5), 2.5) * {count}) as integer)"
                for u, (first, count) in CUSTOMER_POOLS.items()}
    names = {u: _sql_str(name) for u, name in UNIT_NAMES.items()}
    typical = _per_unit({u: str(spec[3]) for u, spec in ORDER_UNITS.items()})
    rows = f"""
        select *, weekday_in(first, last, u(r, 2)) as order_date,
               u(r, 4) < digital as is_digital
        from {_cells(ORDER_UNITS, steps, m)}"""
    confirmed = ("order_date + case when is_digital then cast(floor(u(r, 9) * 3) as integer) "
                 "else 1 + cast(floor(u(r, 9) * 6) as integer) end")
    cols = {
        "order_id": "'AU-' || (2000000000 + r)",
        "order_date": f"strftime(order_date, '{date_fmt}')",
        "confirmed_date": (f"case when u(r, 10) < 0.02 or {confirmed} > date "
                           f"'{DATA_END:%Y-%m-%d}' then null "
                           f"else strftime({confirmed}, '{date_fmt}') end"),
        "customer_id": f"'K' || {_per_unit(customer)}",
        "org_unit": (f"case when u(r, 11) < 0.04 then {_per_unit(names)} "
                     f"when u(r, 11) < 0.07 then lower(unit) else unit end"),
        "channel": f"case when is_digital then {_per_unit(pick)} else {_per_unit(manual)} end",
        "net_amount": f"de_num(round(lognormal({typical}, 0.8, u(r, 12), u(r, 13)), 2))",
        "currency": "case when u(r, 14) < 0.15 then null else 'EUR' end",
        "status": status,
        "remark": (f"case when u(r, 15) < 0.04 then {_sql_list(REMARKS)}[1 + cast(floor("
                   f"u(r, 16) * {len(REMARKS)}) as integer)] end"),
    }
    headers = ([("Belegnummer", "order_id"), ("Belegdatum", "order_date"),
                ("AB-Datum", "confirmed_date"), ("Debitor", "customer_id"),
                ("Kostenstelle", "org_unit"), ("Kanal", "channel"),
                ("Nettowert", "net_amount"), ("Währung", "currency"), ("Status", "status"),
                ("Bemerkung", "remark")] if old else
               [("Auftragsnummer", "order_id"), ("Auftragsdatum", "order_date"),
                ("Kundennummer", "customer_id"), ("Vertriebsbereich", "org_unit"),
                ("Bestellkanal", "channel"), ("Bemerkung", "remark"),
                ("Nettobetrag", "net_amount"), ("Währung", "currency"),
                ("Auftragsstatus", "status"), ("Bestätigungsdatum", "confirmed_date")])
    select = ", ".join(f"{cols[c]} as \"{h}\"" for h, c in headers)
    return f"select {select} from ({rows}) order by r"


def order_file_name(month) -> str:
    """Monthly bulk ERP export; sorts after the sample's quarterly files of the same year."""
    return f"auftraege_{month:%Y-%m}_monat.csv"


# ----------------------------------------------------------------------------- interactions

def _interaction_select(steps: float, m: int) -> str:
    month = month_starts()[m]
    early = month < dt.datetime(2025, 7, 1)
    units = {u: (*spec, None) for u, spec in INTERACTION_UNITS.items()}
    rows = f"""
        select *, weekday_in(first, last, u(r, 22)) + to_seconds(cast(7 * 3600 + floor(
                   u(r, 23) * 12 * 3600) as bigint)) as occurred_at,
               u(r, 24) < digital as is_digital
        from {_cells(units, steps, m, INTERACTION_SHARE)}"""
    stamp = "%Y-%m-%dT%H:%M:%S" if early else "%Y-%m-%d %H:%M"
    customer = {u: f"{first} + cast(floor(pow(u(r, 25), 2.5) * {count}) as integer)"
                for u, (first, count) in CUSTOMER_POOLS.items()}
    topics = _sql_list(TOPICS)
    cols = [
        ("Interaction ID" if early else "Activity ID", "'INT-' || (2000000000 + r)"),
        ("Occurred At" if early else "Date", f"strftime(occurred_at, '{stamp}')"),
        ("Customer ID", f"'K' || {_per_unit(customer)}"),
        ("Org Unit" if early else "Department", "unit"),
        ("Channel", f"case when is_digital then "
                    f"{_weighted_pick(DIGITAL_INTERACTION_CHANNELS, 'u(r, 26)')} "
                    f"else {_weighted_pick(MANUAL_INTERACTION_CHANNELS, 'u(r, 26)')} end"),
        ("Direction", "case when u(r, 27) < 0.55 then 'inbound' when u(r, 27) < 0.95 "
                      "then 'outbound' end"),
        ("Topic", f"{topics}[1 + cast(floor(u(r, 28) * {len(TOPICS)}) as integer)]"),
    ]
    select = ", ".join(f"{expr} as \"{header}\"" for header, expr in cols)
    return f"select {select} from ({rows}) order by r"


def interaction_file_name(month) -> str:
    return f"crm_activities_{month:%Y-%m}_monat.csv"


# ----------------------------------------------------------------------------- staff

GROWING_UNITS = [u for u in HEADCOUNT if u not in FIXED_UNITS]


def _staff_table(con: duckdb.DuckDBPyConnection, steps: float) -> int:
    """Temp table `staff(i, employee_id, unit, role, entry)`: the bulk staff."""
    total = sum(HEADCOUNT[u] for u in GROWING_UNITS)
    values = []
    for k, unit in enumerate(GROWING_UNITS):
        size = round(STAFF_PER_STEP * steps * HEADCOUNT[unit] / total)
        values.append(f"({k}, {_sql_str(unit)}, {size})")
    roles = {u: _weighted_pick(dict(ROLES[u]), "u(i, 31)") for u in GROWING_UNITS}
    con.execute(f"""
        create or replace temp table staff as
        select i, 'MA-' || (200000 + i) as employee_id, unit, {_per_unit(roles)} as role,
               date '2003-01-01' + cast(floor(u(i, 32) * 7958) as integer) as entry
        from (select row_number() over (order by c.k, s.n) - 1 as i, c.unit
              from (values {", ".join(values)}) c(k, unit, size), range(c.size) s(n))
    """)
    con.execute("""
        create or replace temp table licences as
        select s.employee_id, s.unit, t.tool, greatest(t.rollout, s.entry) as since
        from staff s join tools t on t.unit = s.unit
    """)
    return con.execute("select count(*) from staff").fetchall()[0][0]


def _tools_table(con: duckdb.DuckDBPyConnection) -> None:
    values = []
    for unit in GROWING_UNITS:
        for tool in TOOLS_BY_UNIT[unit]:
            rollout = TOOL_ROLLOUT.get((tool, unit)) or TOOL_ROLLOUT[(tool, None)]
            values.append(f"({_sql_str(unit)}, {_sql_str(tool)}, date '{rollout}')")
    con.execute(f"create or replace temp table tools as select * from "
                f"(values {', '.join(values)}) t(unit, tool, rollout)")


def _staff_select() -> str:
    names = {u: _sql_str(name) for u, name in UNIT_NAMES.items()}
    return f"""
        select employee_id as "Personalnummer",
               'Mitarbeiter ' || i as "Name",
               case when u(i, 33) < 0.05 then unit else {_per_unit(names)} end as "Abteilung",
               role as "Funktion", strftime(entry, '%d.%m.%Y') as "Eintrittsdatum",
               null as "Austrittsdatum"
        from staff order by i"""


def _licence_select() -> str:
    return """
        select employee_id as "Personalnummer", tool as "Anwendung",
               strftime(since, '%d.%m.%Y') as "Gültig ab", '-' as "Gültig bis"
        from licences order by employee_id, tool"""


def _usage_select(m: int) -> str:
    month = month_starts()[m]
    german = dt.datetime(2025, 1, 1) <= month <= dt.datetime(2025, 6, 1)
    rows = f"""
        select l.employee_id, l.tool, d.day,
               hash(l.employee_id, l.tool, d.day) as r
        from licences l,
             (select cast(unnest(generate_series(date '{month:%Y-%m-%d}',
                     date '{month_end(month):%Y-%m-%d}', interval 1 day)) as date) as day) d
        where dayofweek(d.day) between 1 and 5 and d.day >= l.since"""
    events = ("case when u(r, 41) < 0.03 then {missing} "
              "else cast(1 + floor(u(r, 42) * 59) as integer)::varchar end")
    if german:
        cols = [("Pseudonym", "employee_id"), ("Anwendung", "tool"),
                ("Datum", "strftime(day, '%d.%m.%Y')"),
                ("Anzahl", events.format(missing="'NULL'"))]
    else:
        cols = [("Employee ID", "employee_id"), ("Tool", "tool"),
                ("Date", "strftime(day, '%Y-%m-%d')"), ("Events", events.format(missing="null"))]
    select = ", ".join(f"{expr} as \"{header}\"" for header, expr in cols)
    return (f"select {select} from ({rows}) where u(r, 40) < {USAGE_ACTIVE_DAY} "
            f"order by day, employee_id, tool")


def usage_file_name(month) -> str:
    return f"it_nutzung_{month:%Y-%m}_gesamt.txt"


# ----------------------------------------------------------------------------- entry point

def write_bulk(out_dir: Path | str, seed: int, scale: float) -> BulkFiles:
    """Add the bulk exports for `scale` (> 1) to a sources folder holding the sample."""
    steps = scale - 1
    out = Path(out_dir)
    written = BulkFiles()
    if steps <= 0:
        return written
    for source in ("erp_orders", "crm_interactions", "hr_employees", "it_licenses", "it_usage"):
        (out / source).mkdir(parents=True, exist_ok=True)
    con = _connect(seed)
    try:
        for m, month in enumerate(month_starts()):
            name = order_file_name(month)
            written.add("erp_orders", name, _copy(
                con, _order_select(steps, m), out / "erp_orders" / name, ";", "cp1252"))
            name = interaction_file_name(month)
            written.add("crm_interactions", name, _copy(
                con, _interaction_select(steps, m), out / "crm_interactions" / name, ","))
        _tools_table(con)
        _staff_table(con, steps)
        name = "personalstamm_2026-10-31_gesamt.csv"
        written.add("hr_employees", name, _copy(
            con, _staff_select(), out / "hr_employees" / name, ";", "cp1252"))
        name = "lizenzen_2026-10-31_gesamt.csv"
        written.add("it_licenses", name, _copy(
            con, _licence_select(), out / "it_licenses" / name, ";", "cp1252"))
        for m, month in enumerate(month_starts()):
            german = dt.datetime(2025, 1, 1) <= month <= dt.datetime(2025, 6, 1)
            name = usage_file_name(month)
            written.add("it_usage", name, _copy(
                con, _usage_select(m), out / "it_usage" / name, "|" if german else "\t"))
    finally:
        con.close()
    return written


def write_daily_orders(out_dir: Path | str, seed: int, scale: float, day: dt.date) -> str:
    """One more ERP export: a day's orders at this scale (the re-run benchmark adds it).

    Rows like those of the bulk month of `day`, all dated `day`, with ids above every bulk
    id (from `AU-5000000000`)."""
    month = dt.datetime(day.year, day.month, 1)
    m = next(i for i, start in enumerate(month_starts()) if start == month)
    select = _order_select(max(scale, 1.0) / 21.0, m)
    select = select.replace("2000000000 + r", "5000000000 + r").replace(
        "weekday_in(first, last, u(r, 2))", f"date '{day:%Y-%m-%d}'")
    name = f"auftraege_{day:%Y-%m-%d}_tag.csv"
    con = _connect(seed + 1)
    try:
        _copy(con, select, Path(out_dir) / "erp_orders" / name, ";", "cp1252")
    finally:
        con.close()
    return name
