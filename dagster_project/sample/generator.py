"""Generate the sample company: every source folder, every `config/` file, and the truth.

`generate(out_dir, seed, scale, tree)` is deterministic: the same seed and scale give
byte-identical files (no clock, fixed file metadata, one random stream per part, so a
change in one part does not reshuffle the others). `scale` multiplies the volumes of the
big sources (orders, interactions, leads, staff of the large units); the planted truths
and the small administration units stay as they are. `tree` is the company's org tree
(`org.SAMPLE_TREE`, the shipped sample, or `org.SECOND_TREE`): the parts are built by the
roles of units and written, and handed back, with the tree's ids and names.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from . import people, projects, sales, survey
from .company import SOURCE_KEYS, Company, typed_frame
from .config import write_config
from .exports import ExportFile
from .org import HEADCOUNT, LEAF_UNITS, SAMPLE_TREE, OrgTree
from .people import employed_on
from .timeline import DATA_END

# One random stream per part; the order of this list must never change.
STREAMS = ["employees", "hr", "licences", "usage", "trainings", "orders", "order_files",
           "interactions", "leads", "survey", "projects"]
EXPORT_SUFFIXES = {".csv", ".txt", ".xlsx"}


# The truth frames whose `org_unit_id` names a unit by its role until `generate` hands it back.
UNIT_FRAMES = ["erp_orders", "crm_interactions", "crm_leads", "hr_employees",
               "survey_responses", "projects"]


def generate(out_dir: Path | str, seed: int = 42, scale: float = 1.0,
             tree: OrgTree = SAMPLE_TREE) -> Company:
    """Write the sample company's exports into `out_dir` and return its clean truth.

    Existing export files in the source folders of `out_dir` are replaced (the folder is
    the truth: a stale file from another seed would change every KPI)."""
    if scale <= 0:
        raise ValueError(f"scale must be positive, got {scale}")
    out = Path(out_dir)
    rng = {name: np.random.default_rng([seed, index]) for index, name in enumerate(STREAMS)}
    for folder in [*SOURCE_KEYS, "config"]:
        _clear(out / folder)

    employees = people.build_employees(rng["employees"], scale)
    licences = people.build_licences(employees, rng["licences"])
    usage = people.build_usage(licences, employees, rng["usage"])
    usage_files, _ = people.usage_exports(usage)
    trainings = people.build_trainings(employees, rng["trainings"])
    orders, order_cells = sales.build_orders(rng["orders"], scale)
    interactions, interaction_cells = sales.build_interactions(rng["interactions"], scale)
    leads = sales.build_leads(rng["leads"], scale)
    reports, milestones, first_plans = projects.build_projects(rng["projects"])
    reports["project_name"] = reports.project_name.map(tree.rename)

    exports: dict[str, list[ExportFile]] = {
        "erp_orders": sales.order_exports(orders, rng["order_files"], tree),
        "crm_interactions": sales.interaction_exports(interactions, tree),
        "crm_leads": sales.lead_exports(leads, tree),
        "hr_employees": people.hr_exports(employees, rng["hr"], tree),
        "it_licenses": people.licence_exports(licences, employees),
        "it_usage": usage_files,
        "lms_trainings": people.training_exports(trainings, employees),
        "projects": projects.project_exports(reports, tree),
        "project_milestones": projects.milestone_exports(milestones, first_plans),
    }

    raw: dict[str, pd.DataFrame] = {}
    quarantine, collapsed = [], []
    rows_written: dict[str, int] = {}
    files: dict[str, list[str]] = {}
    for source, source_files in exports.items():
        folder = out / source
        folder.mkdir(parents=True, exist_ok=True)
        source_files = sorted(source_files, key=lambda export: export.name)
        rows_written[source] = 0
        for export in source_files:
            count, bad, repeated = export.write(folder)
            rows_written[source] += count
            quarantine += bad
            collapsed += repeated
        files[source] = [export.name for export in source_files]
        raw[source] = _current_state(source, source_files)

    survey_folder = out / "survey_responses"
    survey_folder.mkdir(parents=True, exist_ok=True)
    answers, bad, repeated, count, names = survey.survey_exports(
        employees, rng["survey"], survey_folder, tree)
    answers = answers.sort_values(["submitted_at", "response_id", "question_id"])
    raw["survey_responses"] = typed_frame("survey_responses", answers)
    quarantine += bad
    collapsed += repeated
    rows_written["survey_responses"] = count
    files["survey_responses"] = sorted(names)

    for name in UNIT_FRAMES:
        raw[name]["org_unit_id"] = raw[name].org_unit_id.map(tree.roles).astype("str")
    raw |= {name: typed_frame(name, frame)
            for name, frame in write_config(out / "config", tree).items()}
    planted = pd.DataFrame(order_cells + interaction_cells)
    planted["month"] = pd.to_datetime(planted.month).astype("datetime64[us]")
    planted["org_unit_id"] = planted.org_unit_id.map(tree.roles)
    return Company(
        seed=seed, scale=scale, raw=raw, expected_quarantine=quarantine,
        collapsed_duplicates=collapsed, rows_written=rows_written, files=files,
        planted=planted, facts=_facts(employees, tree),
    )


def _current_state(source: str, files: list[ExportFile]) -> pd.DataFrame:
    """What the raw layer holds after loading `files` in order: the later file wins."""
    key = SOURCE_KEYS[source]
    frames = [export.records for export in files if len(export.records)]
    records = pd.concat(frames, ignore_index=True)
    current = records.drop_duplicates(subset=key, keep="last").sort_values(key)
    return typed_frame(source, current.reset_index(drop=True))


def _facts(employees: pd.DataFrame, tree: OrgTree) -> dict[str, object]:
    end = pd.Timestamp(DATA_END)
    staffed = employees[employed_on(employees, end)]
    return {
        "headline": {"kpi_id": "digital_order_share", "org_unit_id": tree.id("VT-IN"),
                     "month": "2025-03", "value": 0.375},
        "correction_file": sales.CORRECTION_FILE,
        "headcount_at_end": {tree.id(u): int((staffed.org_unit_id == u).sum())
                             for u in LEAF_UNITS},
        "fixed_headcount": {tree.id(u): HEADCOUNT[u] for u in ("VW-HR", "VW-IT", "VW-FI")},
        "milestone_as_of": str(projects.AS_OF.date()),
        "org_tree": tree.key,
        "root": tree.root,
    }


def _clear(folder: Path) -> None:
    if not folder.is_dir():
        return
    for path in folder.iterdir():
        if path.is_file() and path.suffix.lower() in EXPORT_SUFFIXES:
            path.unlink()
