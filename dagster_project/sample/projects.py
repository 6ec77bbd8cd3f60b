"""The transformation portfolio: ~10 projects with monthly status reports and milestones.

Reports are dated at month end (some months also mid-month, so the month's latest report
counts); the last ones are dated 2026-10-31, which is therefore the as-of date of the
milestone KPI. Some milestones are late, some not reached yet, some lie after the as-of date.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import formats as f
from .exports import Column, ExportFile, FileFormat
from .org import OrgTree
from .timeline import DATA_END, DATA_START, month_end, month_starts, quarter_ends

AS_OF = pd.Timestamp(DATA_END)

# id, name, unit, type, first month, last month, budget EUR, cost efficiency (EV/AC)
PROJECTS = [
    ("P-2401", "Webshop-Relaunch", "VT", "rollout", "2024-09", "2025-08", 380000, 0.92),
    ("P-2402", "EDI-Anbindung Großkunden", "VT-EX", "rollout", "2024-10", "2025-12", 210000, 1.05),
    ("P-2403", "MES Werk Bielefeld", "PR-W1", "rollout", "2024-11", "2026-03", 480000, 0.88),
    ("P-2404", "MES Werk Gütersloh", "PR-W2", "rollout", "2025-05", "2026-12", 420000, 0.97),
    ("P-2405", "DMS-Einführung; Phase 1", "VW", "rollout", "2025-01", "2025-10", 150000, 1.02),
    ("P-2406", "E-Rechnung", "VW-FI", "rollout", "2025-03", "2025-11", 60000, 1.10),
    ("P-2407", "CRM-Rollout Service", "VT-SV", "rollout", "2024-11", "2025-09", 140000, 0.95),
    ("P-2408", "Predictive Maintenance", "PR-W1", "pilot", "2025-04", "2026-06", 90000, 0.80),
    ("P-2409", "Digitale Personalakte", "VW-HR", "pilot", "2025-09", "2026-05", 45000, 1.00),
    ("P-2410", "Lieferantenportal", "EK", "rollout", "2025-06", "2026-11", 160000, 0.93),
    ("P-2411", "KI-Assistenz Angebote", "VT-IN", "pilot", "2026-03", "2027-02", 70000, 1.08),
]
BUDGET_CHANGES = {"P-2403": ("2025-09", 540000)}
MILESTONE_NAMES = ["Kick-off", "Konzept abgenommen", "Pilotbetrieb", "Schulung Key-User",
                   "Go-live", "Abschluss & Übergabe"]


def build_projects(rng: np.random.Generator) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Status reports, milestones (final), and the milestones as first planned."""
    reports, milestones, first_plans = [], [], []
    for pid, name, unit, kind, first, last, budget, efficiency in PROJECTS:
        start, finish = pd.Timestamp(first + "-01"), pd.Timestamp(last + "-01")
        duration = (finish.year - start.year) * 12 + finish.month - start.month + 1
        progress = 0.0
        for month in month_starts():
            if month < start or month > finish:
                continue
            step = (month.year - start.year) * 12 + month.month - start.month + 1
            planned = 100.0 * (step / duration) ** 1.15
            progress = max(progress, min(100.0, round(planned + rng.normal(0, 3))))
            if month == finish:
                progress = 100.0
            change = BUDGET_CHANGES.get(pid)
            raised = change is not None and month >= pd.Timestamp(change[0] + "-01")
            current_budget = change[1] if raised else budget
            days = [month_end(month)]
            if rng.random() < 0.35:
                days.insert(0, month + pd.Timedelta(days=14))
            for index, day in enumerate(days):
                done = progress if index == len(days) - 1 else max(0.0, progress - 2)
                cpi = efficiency * (1 + rng.normal(0, 0.03))
                cost = round((done / 100 * current_budget + 0.004 * budget * step) / cpi, 2)
                reports.append({"project_id": pid, "project_name": name, "org_unit_id": unit,
                                "project_type": kind, "status_date": day,
                                "budget_eur": float(current_budget),
                                "cost_to_date_eur": cost, "percent_complete": done})
        window_start = max(start, pd.Timestamp(DATA_START))
        count = int(rng.integers(5, 7))
        span = (month_end(finish) - window_start).days
        for number in range(count):
            planned = window_start + pd.Timedelta(days=int(span * (number + 0.5) / count))
            if planned.day_of_week >= 5:
                planned -= pd.Timedelta(days=planned.day_of_week - 4)
            roll = rng.random()
            actual = pd.NaT
            if planned <= AS_OF:
                if roll < 0.62:
                    actual = planned - pd.Timedelta(days=int(rng.integers(0, 8)))
                elif roll < 0.95:
                    actual = planned + pd.Timedelta(days=int(rng.integers(3, 41)))
                actual = actual if not pd.isna(actual) and actual <= AS_OF else pd.NaT
            milestone = {"project_id": pid, "milestone_id": f"M{number + 1:02d}",
                         "milestone_name": MILESTONE_NAMES[min(number, len(MILESTONE_NAMES) - 1)],
                         "planned_date": planned, "actual_date": actual}
            milestones.append(milestone)
            replanned = planned > pd.Timestamp("2026-01-31") and rng.random() < 0.3
            first_plans.append(milestone | {
                "planned_date": planned - pd.Timedelta(days=28) if replanned else planned})
    return pd.DataFrame(reports), pd.DataFrame(milestones), pd.DataFrame(first_plans)


def project_exports(reports: pd.DataFrame, tree: OrgTree) -> list[ExportFile]:
    """Quarterly status lists from the PMO (Windows-1252, `;`, `45 %`, `480.000,00`)."""
    files = []
    previous = None
    for index, end in enumerate(quarter_ends()):
        after = pd.Timestamp.min if previous is None else previous
        rows = reports[(reports.status_date > after) & (reports.status_date <= end)]
        style = "space" if index < 4 else "tight" if index < 8 else "comma"
        layout = [
            Column("Projekt-ID", "project_id", lambda r: f.text(r.project_id)),
            Column("Projektname", "project_name", lambda r: f.text(r.project_name)),
            Column("Org-Einheit", "org_unit", lambda r: f.text(r.org_unit_id.map(tree.roles))),
            Column("Projekttyp", "project_type", lambda r: f.text(r.project_type)),
            Column("Stichtag", "status_date", lambda r: f.de_date(r.status_date)),
            Column("Budget EUR", "budget_eur", lambda r: f.de_number(r.budget_eur)),
            Column("Ist-Kosten", "cost_to_date_eur", lambda r: f.de_number(r.cost_to_date_eur)),
            Column("Fertigstellungsgrad", "percent_complete",
                   lambda r, s=style: f.percent(r.percent_complete, s)),
        ]
        files.append(ExportFile("projects", f"projektstatus_{end:%Y-%m-%d}.csv",
                                FileFormat(encoding="cp1252", delimiter=";"), layout, rows))
        previous = end
    template = reports[reports.project_id == "P-2405"].iloc[0].to_dict()
    files[3].plant_bad(5, template | {"status_date": pd.Timestamp("2025-07-20")},
                       [("percent_complete", "unparsable_number", "ca. 50 %")])
    return files


def milestone_exports(milestones: pd.DataFrame, first_plans: pd.DataFrame) -> list[ExportFile]:
    """Two full milestone lists: December 2025 (as planned then) and October 2026."""
    layout = [
        Column("Projekt-ID", "project_id", lambda r: f.text(r.project_id)),
        Column("Meilenstein-Nr", "milestone_id", lambda r: f.text(r.milestone_id)),
        Column("Meilenstein", "milestone_name", lambda r: f.text(r.milestone_name)),
        Column("Soll-Termin", "planned_date", lambda r: f.iso_date(r.planned_date)),
        Column("Ist-Termin", "actual_date", lambda r: f.iso_date(r.actual_date)),
    ]
    cut = pd.Timestamp("2025-12-31")
    started = first_plans.project_id.isin(
        [p[0] for p in PROJECTS if pd.Timestamp(p[4] + "-01") <= cut])
    early = first_plans[started].copy()
    early["actual_date"] = early.actual_date.where(early.actual_date <= cut)
    fmt = FileFormat(delimiter=";")
    return [
        ExportFile("project_milestones", "meilensteine_2025-12-31.csv", fmt, layout, early),
        ExportFile("project_milestones", "meilensteine_2026-10-31.csv", fmt, layout, milestones),
    ]
