"""What the generator hands back: the clean truth of the sample company.

`Company.raw` holds one DataFrame per raw-layer table of the team brief (same names, same
columns in contract order, no lineage columns): exactly what `raw.<table>` must contain
after a correct ingest of the generated files — corrections applied, bad rows removed,
exact duplicates collapsed, identifier columns gone, org units resolved to ids, enumerations
normalised. Tests compare the pipeline against it and feed it to the KPI oracle.

Types mirror what DuckDB hands to pandas: text → `str`, date and datetime →
`datetime64[us]`, decimal → `float64`, int → `int64`, bool → `bool`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

# table -> [(column, type)] in contract order; `org_unit` is stored as `org_unit_id`.
RAW_COLUMNS: dict[str, list[tuple[str, str]]] = {
    "erp_orders": [
        ("order_id", "text"), ("order_date", "date"), ("confirmed_date", "date"),
        ("customer_id", "text"), ("org_unit_id", "text"), ("channel", "text"),
        ("net_amount", "decimal"), ("currency", "text"), ("status", "text"),
    ],
    "crm_interactions": [
        ("interaction_id", "text"), ("occurred_at", "datetime"), ("customer_id", "text"),
        ("org_unit_id", "text"), ("channel", "text"), ("direction", "text"), ("topic", "text"),
    ],
    "crm_leads": [
        ("lead_id", "text"), ("created_date", "date"), ("org_unit_id", "text"),
        ("source_channel", "text"), ("status", "text"), ("closed_date", "date"),
        ("expected_value", "decimal"),
    ],
    "hr_employees": [
        ("employee_id", "text"), ("org_unit_id", "text"), ("role", "text"),
        ("entry_date", "date"), ("exit_date", "date"),
    ],
    "it_licenses": [
        ("employee_id", "text"), ("tool", "text"), ("assigned_from", "date"),
        ("assigned_until", "date"),
    ],
    "it_usage": [
        ("employee_id", "text"), ("tool", "text"), ("activity_date", "date"), ("events", "int"),
    ],
    "lms_trainings": [
        ("employee_id", "text"), ("course_id", "text"), ("status", "text"),
        ("completed_date", "date"),
    ],
    "survey_responses": [
        ("response_id", "text"), ("submitted_at", "datetime"), ("org_unit_id", "text"),
        ("wave", "text"), ("question_id", "text"), ("answer", "decimal"),
    ],
    "projects": [
        ("project_id", "text"), ("project_name", "text"), ("org_unit_id", "text"),
        ("project_type", "text"), ("status_date", "date"), ("budget_eur", "decimal"),
        ("cost_to_date_eur", "decimal"), ("percent_complete", "decimal"),
    ],
    "project_milestones": [
        ("project_id", "text"), ("milestone_id", "text"), ("milestone_name", "text"),
        ("planned_date", "date"), ("actual_date", "date"),
    ],
    "org_units": [("org_unit_id", "text"), ("name", "text"), ("parent_id", "text")],
    "channels": [
        ("source", "text"), ("raw_value", "text"), ("channel", "text"), ("is_digital", "bool"),
    ],
    "kpi_targets": [
        ("kpi_id", "text"), ("org_unit_id", "text"), ("baseline_date", "date"),
        ("baseline_value", "decimal"), ("target_date", "date"), ("target_value", "decimal"),
        ("tolerance", "decimal"),
    ],
    "training_requirements": [("role", "text"), ("course_id", "text")],
    "survey_questions": [
        ("question_id", "text"), ("dimension", "text"), ("text", "text"),
        ("scale_min", "decimal"), ("scale_max", "decimal"), ("reverse_coded", "bool"),
    ],
    "actions": [
        ("action_id", "text"), ("kpi_id", "text"), ("org_unit_id", "text"), ("title", "text"),
        ("owner", "text"), ("due_date", "date"), ("status", "text"),
    ],
    "settings": [("key", "text"), ("value", "text")],
}

# Business keys of the source folders (docs/sources.md): a later file's row replaces an earlier one.
SOURCE_KEYS: dict[str, list[str]] = {
    "erp_orders": ["order_id"],
    "crm_interactions": ["interaction_id"],
    "crm_leads": ["lead_id"],
    "hr_employees": ["employee_id"],
    "it_licenses": ["employee_id", "tool", "assigned_from"],
    "it_usage": ["employee_id", "tool", "activity_date"],
    "lms_trainings": ["employee_id", "course_id"],
    "survey_responses": ["response_id"],
    "projects": ["project_id", "status_date"],
    "project_milestones": ["project_id", "milestone_id"],
}
SOURCES = list(SOURCE_KEYS)
CONFIG_TABLES = [
    "org_units", "channels", "kpi_targets", "training_requirements", "survey_questions",
    "actions", "settings",
]

_PANDAS_TYPES = {
    "text": "str", "date": "datetime64[us]", "datetime": "datetime64[us]",
    "decimal": "float64", "int": "int64", "bool": "bool",
}


def typed_frame(table: str, frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` cut to the table's contract columns, in order, cast to the raw-layer types."""
    out = pd.DataFrame(index=range(len(frame)))
    for column, kind in RAW_COLUMNS[table]:
        values = frame[column].reset_index(drop=True)
        if kind in ("date", "datetime"):
            values = pd.to_datetime(values)
        out[column] = values.astype(_PANDAS_TYPES[kind])
    return out


@dataclass(frozen=True)
class QuarantinedRow:
    """One planted bad row (or, for surveys, one bad answer) the ingest must quarantine.

    `row_number` counts data records from 1 after the header (a quoted field with a line
    break does not start a new record); `column` is the canonical field name of
    docs/sources.md (`org_unit`, not `org_unit_id`; a survey answer's `question_id`); `header`
    is the column as written in the file; `kind` is one of `unparsable_date`,
    `unparsable_number`, `unknown_org_unit`, `unknown_employee`, `invalid_status`,
    `duplicate_key`, `non_eur_currency`, `missing_required`, `out_of_scale`.
    """

    source: str
    file_name: str
    row_number: int
    column: str
    header: str
    kind: str
    raw_value: str


@dataclass(frozen=True)
class CollapsedRow:
    """An exact duplicate row: loaded once, counted, not quarantined."""

    source: str
    file_name: str
    row_number: int  # the repeated copy
    duplicate_of: int  # the first copy


@dataclass
class Company:
    """The clean truth and the bookkeeping of one generated sample company."""

    seed: int
    scale: float
    raw: dict[str, pd.DataFrame]
    expected_quarantine: list[QuarantinedRow]
    collapsed_duplicates: list[CollapsedRow]
    # source -> data rows written across its files (bad rows and duplicates included).
    rows_written: dict[str, int]
    # source -> file names written, in load (lexical) order.
    files: dict[str, list[str]]
    # KPI cells fixed by construction: kpi_id, month, org_unit_id, numerator, denominator, value.
    planted: pd.DataFrame
    # Headline facts the tests and the README quote (unit sizes, correction file, ...).
    facts: dict[str, object] = field(default_factory=dict)

    def raw_frames(self) -> dict[str, pd.DataFrame]:
        """The raw-layer truth, table name -> DataFrame (copies, safe to modify)."""
        return {name: frame.copy() for name, frame in self.raw.items()}

    def quarantine_frame(self) -> pd.DataFrame:
        """`expected_quarantine` as a DataFrame, sorted like a report."""
        rows = [vars(row) for row in self.expected_quarantine]
        columns = list(QuarantinedRow.__dataclass_fields__)
        frame = pd.DataFrame(rows, columns=columns)
        return frame.sort_values(["source", "file_name", "row_number", "column"]).reset_index(
            drop=True
        )
