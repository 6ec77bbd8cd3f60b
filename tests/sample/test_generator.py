"""The sample company generator: deterministic, complete, and its planted truths hold."""

from __future__ import annotations

import csv
import filecmp
import io
from pathlib import Path

import pandas as pd
import pytest

from dagster_project.core.settings import REPO_ROOT
from dagster_project.sample import SAMPLE_TREE, SECOND_TREE, generate
from dagster_project.sample.company import CONFIG_TABLES, RAW_COLUMNS, SOURCE_KEYS
from tests.oracle import expected_kpi_monthly
from tests.oracle.org import OrgTree

CONFIG_FILES = ["org_units.csv", "channels.csv", "kpi_targets.csv",
                "training_requirements.csv", "survey_questions.csv", "actions.csv",
                "settings.csv"]
IDENTIFIER_HEADERS = {"name", "vorname", "nachname", "e-mail", "email", "telefon", "phone"}


@pytest.fixture(scope="module")
def company(sample_company):
    return sample_company[1]


@pytest.fixture(scope="module")
def sources(sample_company) -> Path:
    return sample_company[0]


@pytest.fixture(scope="module")
def kpis(company) -> pd.DataFrame:
    return expected_kpi_monthly(company.raw_frames())


def read_rows(path: Path) -> tuple[list[str], list[list]]:
    """Header and data records of an export, read without the generator's help."""
    if path.suffix == ".xlsx":
        from openpyxl import load_workbook

        sheet = load_workbook(path, read_only=True).worksheets[0]
        rows = [list(r) for r in sheet.iter_rows(values_only=True)]
        return [str(h) for h in rows[0]], rows[1:]
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252")
    first = text.splitlines()[0]
    delimiter = max([";", ",", "\t", "|"], key=first.count)
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    return rows[0], rows[1:]


def test_same_seed_gives_the_same_bytes_and_another_seed_does_not(tmp_path):
    first = generate(tmp_path / "a", seed=7, scale=0.2)
    generate(tmp_path / "b", seed=7, scale=0.2)
    generate(tmp_path / "c", seed=8, scale=0.2)
    names = [Path(s) / n for s, files in first.files.items() for n in files]
    names += [Path("config") / n for n in CONFIG_FILES]
    for name in names:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    differing = [n for n in names if n.parts[0] != "config"
                 and (tmp_path / "a" / n).read_bytes() != (tmp_path / "c" / n).read_bytes()]
    assert len(differing) > len(names) / 2


def test_committed_sources_are_the_default_sample(sources):
    committed = REPO_ROOT / "sources"
    for folder in [*SOURCE_KEYS, "config"]:
        fresh = sorted(p.name for p in (sources / folder).iterdir())
        assert sorted(p.name for p in (committed / folder).iterdir()) == fresh, folder
        _, mismatch, errors = filecmp.cmpfiles(sources / folder, committed / folder, fresh,
                                               shallow=False)
        assert not mismatch and not errors, (
            f"sources/{folder} differs from the generator: {mismatch or errors}; "
            "regenerate with `make sample`")


def test_every_source_folder_and_config_file_is_written(company, sources):
    for source in SOURCE_KEYS:
        files = company.files[source]
        assert files, source
        assert sorted(p.name for p in (sources / source).iterdir()) == files
    for name in CONFIG_FILES:
        assert (sources / "config" / name).stat().st_size > 0, name
    assert sum(p.stat().st_size for p in sources.rglob("*") if p.is_file()) < 10_000_000
    suffixes = {Path(n).suffix for files in company.files.values() for n in files}
    assert suffixes == {".csv", ".txt", ".xlsx"}


def test_truth_frames_have_the_raw_layer_shape(company):
    assert set(company.raw) == set(SOURCE_KEYS) | set(CONFIG_TABLES)
    for table, columns in RAW_COLUMNS.items():
        frame = company.raw[table]
        assert list(frame.columns) == [c for c, _ in columns], table
        assert not any(c.startswith("_") for c in frame.columns)
    for source, key in SOURCE_KEYS.items():
        if source != "survey_responses":
            assert not company.raw[source].duplicated(key).any(), source
    known_units = set(company.raw["org_units"].org_unit_id)
    for source in ("erp_orders", "crm_interactions", "crm_leads", "hr_employees", "projects",
                   "survey_responses"):
        assert set(company.raw[source].org_unit_id) <= known_units, source
    assert set(company.raw["erp_orders"].status) <= {"open", "delivered", "invoiced",
                                                     "cancelled"}
    assert set(company.raw["erp_orders"].currency) == {"EUR"}
    assert set(company.raw["crm_leads"].status) == {"open", "won", "lost"}
    assert set(company.raw["lms_trainings"].status) == {"enrolled", "completed", "cancelled"}
    staff = set(company.raw["hr_employees"].employee_id)
    for source in ("it_licenses", "it_usage", "lms_trainings"):
        assert set(company.raw[source].employee_id) <= staff, source


def test_volumes_are_in_the_intended_range(company):
    raw = company.raw
    assert 15_000 <= len(raw["erp_orders"]) <= 30_000
    assert 15_000 <= len(raw["crm_interactions"]) <= 30_000
    assert len(raw["it_usage"]) < 150_000
    employed = raw["hr_employees"]
    end = pd.Timestamp("2026-10-31")
    on_end = employed[(employed.entry_date <= end)
                      & (employed.exit_date.isna() | (employed.exit_date >= end))]
    assert 250 <= len(on_end) <= 350
    assert employed.exit_date.notna().sum() >= 20  # people leave ...
    assert (employed.entry_date > pd.Timestamp("2024-11-01")).sum() >= 20  # ... and join
    waves = raw["survey_responses"].groupby("wave").response_id.nunique()
    assert len(waves) == 4 and ((waves / len(on_end)) > 0.55).all()
    assert raw["projects"].project_id.nunique() >= 10
    reports = raw["projects"].assign(month=raw["projects"].status_date.dt.to_period("M"))
    assert reports.groupby(["project_id", "month"]).size().max() == 2
    milestones = raw["project_milestones"]
    late = milestones.actual_date > milestones.planned_date
    assert late.any() and (milestones.planned_date > end).any()
    observed = {"erp_orders": ["order_date", "confirmed_date"],
                "crm_interactions": ["occurred_at"], "crm_leads": ["created_date", "closed_date"],
                "it_licenses": ["assigned_from"], "it_usage": ["activity_date"],
                "lms_trainings": ["completed_date"], "survey_responses": ["submitted_at"],
                "projects": ["status_date"], "project_milestones": ["actual_date"]}
    for table, columns in observed.items():  # nothing happened after 2026-10-31 ...
        for column in columns:
            assert raw[table][column].max() <= end + pd.Timedelta(hours=23, minutes=59), column
            assert raw[table][column].min() >= pd.Timestamp("2024-11-01") or column in (
                "assigned_from",), column
    assert raw["projects"].status_date.max() == end  # the milestones' as-of date


def test_headline_digital_order_share_is_planted(kpis, company):
    march = kpis[(kpis.kpi_id == "digital_order_share") & (kpis.org_unit_id == "VT-IN")
                 & (kpis.month == pd.Timestamp("2025-03-01"))].iloc[0]
    assert (march.numerator, march.denominator, march.value) == (120, 320, 0.375)
    facts = company.facts["headline"]
    assert (facts["org_unit_id"], facts["month"], facts["value"]) == ("VT-IN", "2025-03", 0.375)


def test_every_planted_cell_comes_out_of_the_clean_truth(kpis, company):
    merged = company.planted.merge(kpis, on=["kpi_id", "month", "org_unit_id"],
                                   suffixes=("_planted", "_computed"))
    assert len(merged) == len(company.planted) == 2 * 3 * 24
    for column in ("numerator", "denominator", "value"):
        assert (merged[f"{column}_planted"] == merged[f"{column}_computed"]).all(), column


def test_corrected_re_export_replaces_the_earlier_rows(company, sources):
    correction = company.facts["correction_file"]
    header, corrected = read_rows(sources / "erp_orders" / correction)
    _, original = read_rows(sources / "erp_orders" / "auftraege_2025-03-31.csv")
    ids = {row[0] for row in corrected}
    before = {row[0]: row for row in original if row[0] in ids}
    changed = [row for row in corrected if row[0] in before and row != before[row[0]]]
    assert len(changed) >= 30
    truth = company.raw["erp_orders"].set_index("order_id")
    channel = header.index("Bestellkanal")
    rebooked = [row for row in changed if row[channel] != before[row[0]][channel]]
    assert rebooked and all(truth.channel[row[0]] == row[channel] for row in rebooked)
    assert all(before[row[0]][channel] == "Telefon" for row in rebooked)


def test_planted_bad_rows_are_where_the_record_says(company, sources):
    cache: dict[tuple[str, str], tuple[list[str], list[list]]] = {}
    for bad in company.expected_quarantine:
        key = (bad.source, bad.file_name)
        if key not in cache:
            cache[key] = read_rows(sources / bad.source / bad.file_name)
        header, rows = cache[key]
        cell = rows[bad.row_number - 1][header.index(bad.header)]
        assert str(cell or "") == bad.raw_value, bad
    for repeated in company.collapsed_duplicates:
        _, rows = cache.get((repeated.source, repeated.file_name)) or read_rows(
            sources / repeated.source / repeated.file_name)
        assert rows[repeated.row_number - 1] == rows[repeated.duplicate_of - 1]


def test_bad_rows_cover_every_kind_and_stay_well_under_one_percent(company):
    kinds = {bad.kind for bad in company.expected_quarantine}
    assert {"unparsable_date", "unknown_org_unit", "unknown_employee", "invalid_status",
            "duplicate_key", "non_eur_currency", "out_of_scale"} <= kinds
    assert {r.source for r in company.collapsed_duplicates} >= {"erp_orders", "it_usage"}
    rows = pd.Series([(b.source, b.file_name, b.row_number)
                      for b in company.expected_quarantine]).drop_duplicates()
    per_source = rows.map(lambda r: r[0]).value_counts()
    for source, count in per_source.items():
        assert count / company.rows_written[source] < 0.01, source


def test_identifier_columns_are_in_the_hr_export_only_as_expected(company, sources):
    for name in company.files["hr_employees"]:
        header, _ = read_rows(sources / "hr_employees" / name)
        assert IDENTIFIER_HEADERS & {h.lower() for h in header}, name
    assert "_name" not in company.raw["hr_employees"].columns


def test_privacy_cells_are_planted_in_administration(kpis):
    for kpi in ("training_coverage", "tool_adoption_rate"):
        cells = kpis[(kpis.kpi_id == kpi) & kpis.org_unit_id.str.startswith("VW")]
        by_unit = cells.groupby("org_unit_id").suppressed.agg(["all", "any"])
        assert by_unit.loc["VW-FI", "all"] and by_unit.loc["VW-HR", "all"], kpi  # 4; then 6
        assert not by_unit.loc["VW-IT", "any"] and not by_unit.loc["VW", "any"], kpi
        assert (cells[cells.org_unit_id == "VW"].population == 17).all()


def test_scale_multiplies_volumes_and_keeps_the_headline(tmp_path):
    small = generate(tmp_path / "small", seed=42, scale=0.25)
    assert len(small.raw["erp_orders"]) < 8_000
    planted = small.planted.set_index(["kpi_id", "org_unit_id", "month"])
    assert planted.loc[("digital_order_share", "VT-IN", pd.Timestamp("2025-03-01")),
                       "value"] == 0.375


@pytest.fixture(scope="module")
def second(tmp_path_factory):
    """A company on the second org tree, and the folder it was written to."""
    out = tmp_path_factory.mktemp("second")
    return out, generate(out, seed=7, tree=SECOND_TREE)


def test_second_tree_is_another_company_with_four_levels(second):
    out, company = second
    tree = OrgTree(company.raw["org_units"])
    sample_ids = {unit for unit, _, _ in SAMPLE_TREE.units}
    sample_names = {name for _, name, _ in SAMPLE_TREE.units}
    units = company.raw["org_units"]
    assert not set(units.org_unit_id) & sample_ids
    assert not set(units.name) & sample_names
    assert max(tree.depth(u) for u in tree.units) == 3  # four levels: depth 0 .. 3
    assert any(set(name) & set("äöüÄÖÜß") for name in units.name)
    header, rows = read_rows(out / "config" / "org_units.csv")
    assert [r[0] for r in rows] == list(units.org_unit_id)
    # every truth frame names the second tree's units only
    for table in ("erp_orders", "crm_interactions", "crm_leads", "hr_employees",
                  "survey_responses", "projects", "kpi_targets", "actions"):
        assert set(company.raw[table].org_unit_id) <= set(units.org_unit_id), table
    assert company.facts["root"] == SECOND_TREE.root


def test_second_tree_files_name_no_unit_of_the_sample(second):
    """The org unit cells of every export are ids or names of the second tree (or the
    planted unknown units the quarantine expects), never a unit of the sample."""
    out, company = second
    sample = {u.lower() for unit, name, _ in SAMPLE_TREE.units for u in (unit, name)}
    planted = {row.raw_value for row in company.expected_quarantine}
    units = {"org-einheit", "abteilung", "kostenstelle", "vertriebsbereich", "org unit",
             "department", "organisationseinheit"}
    seen = set()
    for folder in sorted(p for p in out.iterdir() if p.is_dir() and p.name != "config"):
        for path in sorted(folder.iterdir()):
            header, rows = read_rows(path)
            columns = [i for i, h in enumerate(header) if str(h).strip().lower() in units]
            for row in rows:
                for i in columns:
                    value = str(row[i]).strip()
                    if value not in planted:
                        seen.add(value.lower())
    assert seen and not seen & sample
    second_tree = {u.lower() for unit, name, _ in SECOND_TREE.units for u in (unit, name)}
    assert seen <= second_tree


def test_second_tree_kpis_roll_up_to_its_root(second):
    _, company = second
    kpis = expected_kpi_monthly(company.raw_frames())
    root = kpis[kpis.org_unit_id == company.facts["root"]]
    assert set(root.kpi_id) == set(kpis.kpi_id) and len(set(kpis.kpi_id)) == 13
    headline = company.facts["headline"]
    cell = kpis[(kpis.kpi_id == headline["kpi_id"]) & (kpis.org_unit_id == headline["org_unit_id"])
                & (kpis.month == pd.Timestamp(headline["month"] + "-01"))]
    assert cell.value.tolist() == [headline["value"]]
