"""Employees, their licences, their tool usage and their trainings.

Employees enter and leave over the two years, three move from Vertrieb Inland to the
Kundenservice (the latest HR export says where they belong). Licences start at a tool's
roll-out or at entry and end at exit — both usually mid-month. Usage is sparse: a few
active days per licence and month, more as a tool settles in.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import formats as f
from .exports import Column, ExportFile, FileFormat
from .org import (
    FIRST_NAMES,
    FIXED_UNITS,
    HEADCOUNT,
    LAST_NAMES,
    ROLES,
    TEAMS_ROLES_IN_PRODUCTION,
    TOOL_ROLLOUT,
    TOOLS_BY_UNIT,
    OrgTree,
)
from .timeline import DATA_END, DATA_START, month_end, month_starts

END = pd.Timestamp(DATA_END)
START = pd.Timestamp(DATA_START)

HR_SNAPSHOTS = [
    "2024-11-30", "2025-02-28", "2025-05-31", "2025-08-31", "2025-11-30",
    "2026-02-28", "2026-05-31", "2026-08-31", "2026-10-31",
]
LICENCE_SNAPSHOTS = ["2024-11-30", "2025-04-30", "2025-10-31", "2026-04-30", "2026-10-31"]
# Pseudonyms below MA-10000 are never given to a real employee: the bad rows use them.
UNKNOWN_EMPLOYEES = ["MA-04711", "MA-04712", "MA-04713", "MA-04714", "MA-04715"]

REQUIRED_COURSES = [
    ("*", "DS-101"), ("*", "ITS-100"),
    ("Vertriebsinnendienst", "CRM-200"), ("Außendienst", "CRM-200"),
    ("Key-Account-Manager", "CRM-200"), ("Teamleitung", "FUE-100"),
    ("Produktionsmitarbeiter", "MES-110"), ("Schichtleiter", "MES-110"),
    ("Schichtleiter", "FUE-100"), ("Buchhalter", "ERP-310"),
]
OPTIONAL_COURSES = ["KI-101", "LEAN-01"]
COURSE_CAMPAIGN = {
    "DS-101": "2024-11-04", "ITS-100": "2025-01-13", "CRM-200": "2025-03-03",
    "FUE-100": "2025-04-07", "ERP-310": "2025-05-05", "KI-101": "2025-06-02",
    "LEAN-01": "2025-09-01",
}
MES_CAMPAIGN = {"PR-W1": "2025-02-03", "PR-W2": "2025-09-01"}
TRAINING_STATUS_DE = {"enrolled": "angemeldet", "completed": "abgeschlossen",
                      "cancelled": "abgebrochen"}


def _day(rng: np.random.Generator, start, end) -> pd.Timestamp:
    """A random day from `start` to `end` (inclusive)."""
    start, end = pd.Timestamp(start), pd.Timestamp(end)
    return start + pd.Timedelta(days=int(rng.integers(0, (end - start).days + 1)))


def _role(rng: np.random.Generator, unit: str) -> str:
    names, weights = zip(*ROLES[unit], strict=True)
    return str(rng.choice(names, p=np.array(weights) / sum(weights)))


def build_employees(rng: np.random.Generator, scale: float) -> pd.DataFrame:
    """Everyone employed at some point of the data window (plus hires already signed)."""
    people = []
    for unit, base in HEADCOUNT.items():
        size = base if unit in FIXED_UNITS else max(2, round(base * scale))
        for _ in range(size):
            people.append({"org_unit_id": unit, "role": _role(rng, unit),
                           "entry_date": _day(rng, "2003-01-01", "2024-10-15"),
                           "exit_date": pd.NaT})
        if unit in FIXED_UNITS:
            continue
        leavers = rng.choice(range(len(people) - size, len(people)),
                             size=max(1, round(size * 0.16)), replace=False)
        for index in sorted(int(i) for i in leavers):
            exit_date = _day(rng, "2024-11-05", "2026-10-25")
            people[index]["exit_date"] = exit_date
            entry = exit_date + pd.Timedelta(days=int(rng.integers(14, 76)))
            if entry <= END + pd.Timedelta(days=31):
                people.append({"org_unit_id": unit, "role": people[index]["role"],
                               "entry_date": entry, "exit_date": pd.NaT})
        for _ in range({"VT-SV": 3, "EK": 2, "PR-W2": 4}.get(unit, 0)):
            people.append({"org_unit_id": unit, "role": _role(rng, unit),
                           "entry_date": _day(rng, "2025-01-01", "2026-09-30"),
                           "exit_date": pd.NaT})
    frame = pd.DataFrame(people)
    ids = rng.choice(np.arange(10000, 100000), size=len(frame), replace=False)
    frame["employee_id"] = [f"MA-{i:05d}" for i in ids]
    # Two people have handed in their notice for the end of the year.
    staying = frame.index[frame.exit_date.isna() & (frame.entry_date < START)
                          & frame.org_unit_id.isin(["PR-W1", "VT-EX"])]
    for index in rng.choice(staying, size=2, replace=False):
        frame.loc[index, "exit_date"] = pd.Timestamp("2026-12-31")
    # Three people move from Vertrieb Inland to the Kundenservice.
    frame["_prev_unit"] = None
    frame["_move_date"] = pd.NaT
    movable = frame.index[(frame.org_unit_id == "VT-IN") & frame.exit_date.isna()
                          & (frame.entry_date < START)
                          & (frame.role == "Vertriebsinnendienst")]
    for index in rng.choice(movable, size=3, replace=False):
        frame.loc[index, "_prev_unit"] = "VT-IN"
        frame.loc[index, "org_unit_id"] = "VT-SV"
        frame.loc[index, "_move_date"] = _day(rng, "2025-07-01", "2026-02-28").replace(day=1)
    first = rng.choice(FIRST_NAMES, size=len(frame))
    last = rng.choice(LAST_NAMES, size=len(frame))
    frame["_name"] = [f"{b}, {a}" for a, b in zip(first, last, strict=True)]
    frame["_email"] = [
        f"{a.lower()}.{b.lower()}@hagedorn-antrieb.de".replace("ü", "ue").replace("ö", "oe")
        .replace("ä", "ae").replace("ß", "ss").replace("ı", "i").replace("ø", "o")
        for a, b in zip(first, last, strict=True)
    ]
    return frame.sort_values("employee_id").reset_index(drop=True)


def unit_on(employees: pd.DataFrame, day: pd.Timestamp) -> pd.Series:
    """Each employee's org unit on `day` (before a move: the old unit)."""
    before_move = employees["_move_date"].notna() & (day < employees["_move_date"])
    return employees.org_unit_id.where(~before_move, employees["_prev_unit"])


def employed_on(employees: pd.DataFrame, day: pd.Timestamp) -> pd.Series:
    return (employees.entry_date <= day) & (
        employees.exit_date.isna() | (employees.exit_date >= day))


# ----------------------------------------------------------------------------- HR exports

def _unit_written(rng: np.random.Generator, p_id: float, tree: OrgTree):
    """HR writes the department's name; a few rows carry the id or odd spacing/case."""
    def render(records: pd.DataFrame) -> list[str]:
        out = []
        for unit in records.org_unit_id:
            roll = rng.random()
            if roll < p_id:
                out.append(tree.id(unit))
            elif roll < p_id + 0.03:
                out.append(f" {tree.name(unit).upper()} ")
            else:
                out.append(tree.name(unit))
        return out
    return render


def hr_exports(employees: pd.DataFrame, rng: np.random.Generator,
               tree: OrgTree) -> list[ExportFile]:
    """Quarterly headcount snapshots from the HR system (xlsx, with names and e-mails)."""
    files = []
    previous = None
    for index, snapshot in enumerate(pd.Timestamp(s) for s in HR_SNAPSHOTS):
        listed = employees.entry_date <= snapshot + pd.Timedelta(days=31)
        if previous is not None:  # people who left before the last snapshot are gone
            listed &= employees.exit_date.isna() | (employees.exit_date > previous)
        rows = employees[listed].copy()
        rows["org_unit_id"] = unit_on(rows, snapshot)
        notice_known = rows.exit_date <= snapshot + pd.Timedelta(days=92)
        rows["exit_date"] = rows.exit_date.where(notice_known)
        if index == 0:
            layout = [
                Column("Mitarbeiter-ID", "employee_id", lambda r: f.text(r.employee_id)),
                Column("Vorname", None, lambda r: [n.split(", ")[1] for n in r["_name"]]),
                Column("Nachname", None, lambda r: [n.split(", ")[0] for n in r["_name"]]),
                Column("E-Mail", None, lambda r: f.text(r["_email"])),
                Column("Org-Einheit", "org_unit",
                       lambda r: f.text(r.org_unit_id.map(tree.roles))),
                Column("Rolle", "role", lambda r: f.text(r.role)),
                Column("Eintritt", "entry_date", lambda r: f.de_date(r.entry_date)),
                Column("Austritt", "exit_date", lambda r: f.de_date(r.exit_date)),
            ]
        else:
            layout = [
                Column("Personalnummer", "employee_id", lambda r: f.text(r.employee_id)),
                Column("Name", None, lambda r: f.text(r["_name"])),
                Column("E-Mail", None, lambda r: f.text(r["_email"])),
                Column("Abteilung", "org_unit", _unit_written(rng, 0.05, tree)),
                Column("Funktion", "role", lambda r: f.text(r.role)),
                Column("Eintrittsdatum", "entry_date", lambda r: f.cell_date(r.entry_date)),
                Column("Austrittsdatum", "exit_date", lambda r: f.cell_date(r.exit_date)),
            ]
        files.append(ExportFile("hr_employees", f"personalstamm_{snapshot:%Y-%m-%d}.xlsx",
                                FileFormat(kind="xlsx"), layout, rows))
        previous = snapshot
    template = employees.iloc[0].to_dict() | {"_name": "Brinkmann, Ilka",
                                              "_email": "ilka.brinkmann@hagedorn-antrieb.de"}
    files[3].plant_bad(40, template | {"employee_id": UNKNOWN_EMPLOYEES[0]},
                       [("org_unit", "unknown_org_unit", "Qualitätssicherung")])
    files[5].plant_bad(120, template | {"employee_id": UNKNOWN_EMPLOYEES[1]},
                       [("entry_date", "unparsable_date", "31.09.2019")])
    return files


# ----------------------------------------------------------------------------- licences

def build_licences(employees: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """One row per licence period; `_revoked` marks licences taken back for non-use."""
    rows = []
    for person in employees.itertuples():
        tools = list(TOOLS_BY_UNIT[person.org_unit_id])
        if person.org_unit_id.startswith("PR") and person.role in TEAMS_ROLES_IN_PRODUCTION:
            tools.insert(0, "Teams")
        for tool in tools:
            rollout = TOOL_ROLLOUT.get((tool, person.org_unit_id)) or TOOL_ROLLOUT[(tool, None)]
            start = max(pd.Timestamp(rollout), person.entry_date)
            if start > END:
                continue
            rows.append({"employee_id": person.employee_id, "tool": tool,
                         "assigned_from": start, "assigned_until": person.exit_date,
                         "_revoked": False})
    licences = pd.DataFrame(rows)
    # Two CRM licences were taken back in summer 2025 and given out again in September.
    crm = licences.index[(licences.tool == "CRM") & licences.assigned_until.isna()
                         & (licences.assigned_from < START)]
    reissued = []
    for index in rng.choice(crm, size=2, replace=False):
        licences.loc[index, "assigned_until"] = pd.Timestamp("2025-06-13")
        reissued.append(licences.loc[index].to_dict() | {
            "assigned_from": pd.Timestamp("2025-09-01"), "assigned_until": pd.NaT})
    # Three DMS licences in purchasing were revoked in March 2026 for non-use.
    dms = licences.index[(licences.tool == "DMS") & licences.assigned_until.isna()
                         & licences.employee_id.isin(
                             employees.employee_id[employees.org_unit_id == "EK"])]
    for index in rng.choice(dms, size=min(3, len(dms)), replace=False):
        licences.loc[index, "assigned_until"] = pd.Timestamp("2026-03-13")
        licences.loc[index, "_revoked"] = True
    licences = pd.concat([licences, pd.DataFrame(reissued)], ignore_index=True)
    licences["_revoked"] = licences["_revoked"].astype(bool)
    return licences.sort_values(["employee_id", "tool", "assigned_from"]).reset_index(drop=True)


def licence_exports(licences: pd.DataFrame, employees: pd.DataFrame) -> list[ExportFile]:
    """Half-yearly licence lists (Windows-1252, `;`, German dates, `-` for open ends)."""
    files = []
    previous = None
    for index, snapshot in enumerate(pd.Timestamp(s) for s in LICENCE_SNAPSHOTS):
        current = licences.assigned_from <= snapshot
        if previous is not None:
            current &= licences.assigned_until.isna() | (licences.assigned_until > previous)
        rows = licences[current].copy()
        rows["assigned_until"] = rows.assigned_until.where(
            rows.assigned_until <= snapshot + pd.Timedelta(days=60))
        two_digit = index == 0
        layout = [
            Column("Mitarbeiter-ID" if two_digit else "Personalnummer", "employee_id",
                   lambda r: f.text(r.employee_id)),
            Column("Lizenz" if two_digit else "Anwendung", "tool", lambda r: f.text(r.tool)),
            Column("Zugewiesen ab" if two_digit else "Gültig ab", "assigned_from",
                   lambda r, t=two_digit: f.de_date(r.assigned_from, t)),
            Column("Zugewiesen bis" if two_digit else "Gültig bis", "assigned_until",
                   lambda r, t=two_digit: f.de_date(r.assigned_until, t, missing="-")),
        ]
        files.append(ExportFile("it_licenses", f"lizenzen_{snapshot:%Y-%m-%d}.csv",
                                FileFormat(encoding="cp1252", delimiter=";"), layout, rows))
        previous = snapshot
    someone = employees.employee_id.iloc[5]
    files[2].plant_bad(200, {"employee_id": UNKNOWN_EMPLOYEES[2], "tool": "Teams",
                             "assigned_from": pd.Timestamp("2025-07-01"),
                             "assigned_until": pd.NaT},
                       [("employee_id", "unknown_employee", None)])
    files[3].plant_bad(310, {"employee_id": someone, "tool": "Miro",
                             "assigned_from": pd.Timestamp("2026-03-01"),
                             "assigned_until": pd.NaT},
                       [("assigned_from", "unparsable_date", "ab 01.03.2026")])
    return files


# ----------------------------------------------------------------------------- usage

def _activity_probability(tool: str, months_since_start: int, revoked: bool) -> float:
    if revoked:
        return 0.05
    ramps = {"Teams": (0.92, 0.0), "CRM": (0.78, 0.01), "ERP": (0.86, 0.0),
             "MES": (0.45, 0.08), "DMS": (0.35, 0.07)}
    base, step = ramps[tool]
    return min(0.93, base + step * months_since_start)


def build_usage(licences: pd.DataFrame, employees: pd.DataFrame,
                rng: np.random.Generator) -> pd.DataFrame:
    """Active days per licence and month; `_events_missing` marks rows exported without a count."""
    exits = employees.set_index("employee_id").exit_date
    entries = employees.set_index("employee_id").entry_date
    employee_ids, tools, days, events = [], [], [], []
    for licence in licences.to_dict("records"):
        employee, tool, since = licence["employee_id"], licence["tool"], licence["assigned_from"]
        first = max(since, entries[employee])
        last = min(x for x in (licence["assigned_until"], exits[employee], END)
                   if not pd.isna(x))
        for month in month_starts():
            low, high = max(month, first), min(month_end(month), last)
            if low > high:
                continue
            months_in = (month.year - since.year) * 12 + month.month - since.month
            if rng.random() >= _activity_probability(tool, months_in, licence["_revoked"]):
                continue
            span = (high - low).days + 1
            count = min(span, int(rng.integers(2, 8)))
            for offset in sorted(rng.choice(span, size=count, replace=False)):
                employee_ids.append(employee)
                tools.append(tool)
                days.append(low + pd.Timedelta(days=int(offset)))
                events.append(int(rng.integers(1, 60)))
    usage = pd.DataFrame({"employee_id": employee_ids, "tool": tools,
                          "activity_date": days, "events": events})
    usage["_events_missing"] = rng.random(len(usage)) < 0.03
    usage.loc[usage["_events_missing"], "events"] = 1  # the contract's default
    return usage.sort_values(["activity_date", "employee_id", "tool"]).reset_index(drop=True)


def usage_exports(usage: pd.DataFrame) -> tuple[list[ExportFile], pd.DataFrame]:
    """Monthly `.txt` exports: tab-separated ISO, in H1 2025 pipe-separated German; the
    August 2025 export writes tool names in capitals. Returns the files and the usage
    as written (tool spelling included)."""
    files = []
    written = []
    for month in month_starts():
        rows = usage[(usage.activity_date >= month) & (usage.activity_date <= month_end(month))]
        rows = rows.copy()
        if month == pd.Timestamp("2025-08-01"):
            rows["tool"] = rows.tool.str.upper()
        written.append(rows)
        if pd.Timestamp("2025-01-01") <= month <= pd.Timestamp("2025-06-01"):
            layout = [
                Column("Pseudonym", "employee_id", lambda r: f.text(r.employee_id)),
                Column("Anwendung", "tool", lambda r: f.text(r.tool)),
                Column("Datum", "activity_date", lambda r: f.de_date(r.activity_date)),
                Column("Anzahl", "events", lambda r: [
                    "NULL" if miss else str(n)
                    for n, miss in zip(r.events, r["_events_missing"], strict=True)]),
            ]
            fmt = FileFormat(delimiter="|", newline="\n")
        else:
            layout = [
                Column("Employee ID", "employee_id", lambda r: f.text(r.employee_id)),
                Column("Tool", "tool", lambda r: f.text(r.tool)),
                Column("Date", "activity_date", lambda r: f.iso_date(r.activity_date)),
                Column("Events", "events", lambda r: [
                    "" if miss else str(n)
                    for n, miss in zip(r.events, r["_events_missing"], strict=True)]),
            ]
            fmt = FileFormat(delimiter="\t", newline="\n")
        files.append(ExportFile("it_usage", f"it_nutzung_{month:%Y-%m}.txt", fmt, layout, rows))
    by_name = {file.name: file for file in files}
    sample = usage.iloc[0].to_dict()
    by_name["it_nutzung_2025-02.txt"].plant_bad(
        150, sample | {"activity_date": pd.Timestamp("2025-02-27")},
        [("activity_date", "unparsable_date", "30.02.2025")])
    by_name["it_nutzung_2025-05.txt"].plant_bad(
        80, sample | {"employee_id": UNKNOWN_EMPLOYEES[3],
                      "activity_date": pd.Timestamp("2025-05-12")},
        [("employee_id", "unknown_employee", None)])
    by_name["it_nutzung_2026-06.txt"].plant_duplicate(321)
    return files, pd.concat(written, ignore_index=True)


# ----------------------------------------------------------------------------- trainings

def build_trainings(employees: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Final training records plus the dates of their events (`_enrolled`, `_ended`)."""
    rows = []
    for person in employees.itertuples():
        role_at_entry = person.role
        courses = [c for r, c in REQUIRED_COURSES if r in ("*", role_at_entry)]
        courses = list(dict.fromkeys(courses))
        courses += [c for c in OPTIONAL_COURSES if rng.random() < 0.15]
        for course in courses:
            campaign = MES_CAMPAIGN[person.org_unit_id] if course == "MES-110" else (
                COURSE_CAMPAIGN[course])
            enrolled = max(pd.Timestamp(campaign) + pd.Timedelta(days=int(rng.integers(0, 41))),
                           person.entry_date + pd.Timedelta(days=int(rng.integers(3, 31))))
            left = person.exit_date if not pd.isna(person.exit_date) else pd.Timestamp.max
            if enrolled > END or enrolled > left:
                continue
            roll = rng.random()
            status, ended, completed = "enrolled", pd.NaT, pd.NaT
            if roll < 0.05:
                ended = enrolled + pd.Timedelta(days=int(rng.integers(20, 91)))
                if ended <= END:
                    status = "cancelled"
                else:
                    ended = pd.NaT
            elif roll < 0.93:
                duration = int(rng.gamma(2.0, 35.0)) + 7
                ended = enrolled + pd.Timedelta(days=duration)
                if ended <= min(END, left):
                    status, completed = "completed", ended
                else:
                    ended = pd.NaT
            rows.append({"employee_id": person.employee_id, "course_id": course,
                         "status": status, "completed_date": completed,
                         "_enrolled": enrolled, "_ended": ended})
    return pd.DataFrame(rows).sort_values(["employee_id", "course_id"]).reset_index(drop=True)


def _in_period(dates: pd.Series, after: pd.Timestamp | None, until: pd.Timestamp) -> pd.Series:
    inside = dates <= until
    return inside if after is None else inside & (dates > after)


def training_exports(trainings: pd.DataFrame, employees: pd.DataFrame) -> list[ExportFile]:
    """Quarterly LMS exports of records that changed in the quarter (UTF-8 with BOM, `;`,
    German status words, two-digit years)."""
    from .timeline import quarter_ends

    files = []
    previous = None
    for index, period_end in enumerate(quarter_ends()):
        changed = _in_period(trainings["_enrolled"], previous, period_end) | _in_period(
            trainings["_ended"], previous, period_end)
        rows = trainings[changed].copy()
        not_yet = rows["_ended"].isna() | (rows["_ended"] > period_end)
        rows.loc[not_yet, "status"] = "enrolled"
        rows.loc[not_yet, "completed_date"] = pd.NaT
        first = index == 0
        layout = [
            Column("Mitarbeiter-ID" if first else "Personalnummer", "employee_id",
                   lambda r: f.text(r.employee_id)),
            Column("Kursnummer" if first else "Kurs-ID", "course_id",
                   lambda r: f.text(r.course_id)),
            Column("Status", "status", lambda r: f.mapped(r.status, TRAINING_STATUS_DE)),
            Column("Abschlussdatum" if first else "Abgeschlossen am", "completed_date",
                   lambda r, t=not first: f.de_date(r.completed_date, two_digit_year=t)),
        ]
        files.append(ExportFile("lms_trainings", f"schulungen_{period_end:%Y-%m-%d}.csv",
                                FileFormat(encoding="utf-8-sig", delimiter=";"), layout, rows))
        previous = period_end
    has_ki = set(trainings.employee_id[trainings.course_id == "KI-101"])
    without_ki = employees.employee_id[~employees.employee_id.isin(has_ki)
                                       & employees.exit_date.isna()].iloc[3]
    files[3].plant_bad(60, {"employee_id": UNKNOWN_EMPLOYEES[4], "course_id": "DS-101",
                            "status": "completed",
                            "completed_date": pd.Timestamp("2025-08-20")},
                       [("employee_id", "unknown_employee", None)])
    files[6].plant_bad(25, {"employee_id": without_ki, "course_id": "KI-101",
                            "status": "completed",
                            "completed_date": pd.Timestamp("2026-05-11")},
                       [("status", "invalid_status", "bestanden")])
    return files
