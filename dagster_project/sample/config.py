"""The `config/` files: org tree, channel map extension, targets, course requirements,
question catalog, measures and settings — kept by the people who run the transformation.

Each file is written in a slightly different way (BOM, Windows-1252, decimal comma,
`ja`/`nein`, `x`/empty), as such hand-kept lists are in practice.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from . import formats as f
from .exports import FileFormat, delimited_bytes
from .org import OrgTree
from .people import REQUIRED_COURSES
from .survey import QUESTIONS, question_text

# Company spellings the built-in channel map does not know: source, raw value, channel, digital
CHANNELS = [
    ("erp_orders", "B2B-Portal", "Kundenportal", True),
    ("erp_orders", "OCI-Punchout", "EDI", True),
    ("erp_orders", "Vertreterbesuch", "Außendienst", False),
    ("crm_interactions", "MS Teams", "Videocall", True),
    ("crm_interactions", "Kundenhotline", "Telefon", False),
    ("crm_leads", "Website-Formular", "Website", True),
    ("crm_leads", "LinkedIn", "Social Media", True),
    ("crm_leads", "Empfehlung", "Empfehlung", False),
]

# kpi_id, org unit, baseline date, baseline, target date, target, tolerance.
# `repeat_customer_rate` has no target on purpose (its status is `no_target`);
# the CPI target equals its baseline (progress is NULL).
KPI_TARGETS = [
    ("digital_order_share", "HAT", "2024-12-31", 0.30, "2026-12-31", 0.50, 0.03),
    ("digital_order_share", "VT-IN", "2024-12-31", 0.28, "2026-12-31", 0.50, 0.03),
    ("digital_order_share", "VT-EX", "2024-12-31", 0.38, "2026-12-31", 0.65, 0.03),
    ("digital_revenue_share", "HAT", "2024-12-31", 0.25, "2026-12-31", 0.45, 0.04),
    ("order_lead_time_days", "HAT", "2024-12-31", 3.2, "2026-12-31", 1.5, 0.3),
    ("digital_interaction_share", "HAT", "2024-12-31", 0.30, "2026-12-31", 0.55, 0.03),
    ("digital_interaction_share", "VT-SV", "2024-12-31", 0.25, "2026-12-31", 0.65, 0.05),
    ("lead_win_rate", "HAT", "2024-12-31", 0.30, "2026-12-31", 0.40, 0.03),
    ("tool_adoption_rate", "HAT", "2024-12-31", 0.70, "2026-12-31", 0.90, 0.05),
    ("tool_adoption_rate", "PR", "2024-12-31", 0.40, "2026-12-31", 0.85, 0.05),
    ("training_coverage", "HAT", "2024-11-30", 0.10, "2026-12-31", 0.90, 0.05),
    ("digital_maturity_index", "HAT", "2025-03-31", 40.0, "2027-03-31", 65.0, 3.0),
    ("acceptance_rate", "HAT", "2025-03-31", 0.45, "2027-03-31", 0.70, 0.05),
    ("enps", "HAT", "2025-03-31", 0.0, "2027-03-31", 20.0, 5.0),
    ("milestone_on_time_rate", "HAT", "2024-12-31", 0.65, "2026-12-31", 0.80, 0.05),
    ("cost_performance_index", "HAT", "2024-12-31", 1.0, "2026-12-31", 1.0, 0.05),
]

# action_id, kpi_id, org unit, title, owner (a role, not a person), due date, status
ACTIONS = [
    ("MN-01", "digital_order_share", "VT-IN", "Webshop-Kampagne für Bestandskunden",
     "Leitung Vertrieb Inland", "2026-06-30", "erledigt"),
    ("MN-02", "tool_adoption_rate", "PR-W2", "MES-Key-User je Schicht benennen",
     "Werksleitung Gütersloh", "2026-10-31", "in Arbeit"),
    ("MN-03", "training_coverage", "HAT", "Pflichtschulung IT-Sicherheit nachholen",
     "Personal", "2026-09-15", "offen"),
    ("MN-04", "lead_win_rate", "VT-EX", "Angebotsprozess mit CRM-Vorlagen",
     "Leitung Vertrieb Export", "2027-03-31", "offen"),
    ("MN-05", "enps", "HAT", "Feedbackrunden nach jedem Go-live",
     "Geschäftsführung", "2026-12-31", "in Arbeit"),
    ("MN-06", "cost_performance_index", "HAT", "Monatliches Kosten-Review im PMO",
     "PMO", "2026-01-31", "erledigt"),
    ("MN-07", "milestone_on_time_rate", "PR", "Puffer in der MES-Planung; Abnahme früher",
     "Leitung Produktion", "2026-09-30", "in Arbeit"),
    ("MN-08", "digital_interaction_share", "VT-SV", "Self-Service-Portal für Ersatzteile",
     "Leitung Kundenservice", "2027-02-28", "offen"),
]
SETTINGS = [("min_group_size", "5")]


def _yes_no(values) -> list[str]:
    return ["ja" if v else "nein" for v in values]


def write_config(folder: Path, tree: OrgTree) -> dict[str, pd.DataFrame]:
    """Write `config/*.csv` into `folder` for the company of `tree` (targets and measures
    of the units that play the sample's roles); return the raw-layer truth of each file."""
    folder.mkdir(parents=True, exist_ok=True)
    semicolon = FileFormat(delimiter=";")
    tables: dict[str, pd.DataFrame] = {}

    org = pd.DataFrame(list(tree.units), columns=["org_unit_id", "name", "parent_id"])
    _write(folder / "org_units.csv", ["org_unit_id", "name", "parent_id"],
           [f.text(org.org_unit_id), f.text(org.name), f.text(org.parent_id)],
           FileFormat(encoding="utf-8-sig", delimiter=";"))
    tables["org_units"] = org

    channels = pd.DataFrame(CHANNELS, columns=["source", "raw_value", "channel", "is_digital"])
    _write(folder / "channels.csv", list(channels.columns),
           [channels.source, channels.raw_value, channels.channel,
            _yes_no(channels.is_digital)], semicolon)
    tables["channels"] = channels

    targets = pd.DataFrame(KPI_TARGETS, columns=[
        "kpi_id", "org_unit_id", "baseline_date", "baseline_value", "target_date",
        "target_value", "tolerance"])
    targets["org_unit_id"] = targets.org_unit_id.map(tree.roles)
    _write(folder / "kpi_targets.csv", list(targets.columns), [
        targets.kpi_id, targets.org_unit_id, f.de_date(targets.baseline_date),
        f.de_number(targets.baseline_value, 2, thousands=False), f.de_date(targets.target_date),
        f.de_number(targets.target_value, 2, thousands=False),
        f.de_number(targets.tolerance, 2, thousands=False)], semicolon)
    tables["kpi_targets"] = targets

    requirements = pd.DataFrame(REQUIRED_COURSES, columns=["role", "course_id"])
    _write(folder / "training_requirements.csv", ["Rolle", "Kurs-ID"],
           [requirements.role, requirements.course_id],
           FileFormat(encoding="cp1252", delimiter=";"))
    tables["training_requirements"] = requirements

    questions = pd.DataFrame(QUESTIONS, columns=[
        "question_id", "dimension", "text", "scale_min", "scale_max", "reverse_coded"])
    questions["text"] = [question_text(text, tree) for text in questions.text]
    _write(folder / "survey_questions.csv", list(questions.columns), [
        questions.question_id, questions.dimension, questions.text,
        f.integer(questions.scale_min), f.integer(questions.scale_max),
        ["x" if v else "" for v in questions.reverse_coded]], semicolon)
    tables["survey_questions"] = questions

    actions = pd.DataFrame(ACTIONS, columns=[
        "action_id", "kpi_id", "org_unit_id", "title", "owner", "due_date", "status"])
    actions["org_unit_id"] = actions.org_unit_id.map(tree.roles)
    actions["owner"] = actions.owner.map(tree.rename)
    actions["title"] = actions.title.map(tree.rename)
    _write(folder / "actions.csv", list(actions.columns), [
        actions.action_id, actions.kpi_id, actions.org_unit_id, actions.title, actions.owner,
        f.de_date(actions.due_date), actions.status], semicolon)
    tables["actions"] = actions

    settings = pd.DataFrame(SETTINGS, columns=["key", "value"])
    _write(folder / "settings.csv", ["key", "value"], [settings.key, settings.value], semicolon)
    tables["settings"] = settings
    return tables


def _write(path: Path, header: list[str], columns: list, fmt: FileFormat) -> None:
    rows = [list(row) for row in zip(*[list(c) for c in columns], strict=True)]
    path.write_bytes(delimited_bytes(header, rows, fmt))
