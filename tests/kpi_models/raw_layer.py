"""The raw layer of the team brief as DDL, so tests can hand-build `raw.*` tables.

The columns and types are the shared interface the ingest writes and dbt reads; a test
database created from here fails the same way a real build would if the two drift apart.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import duckdb

from dagster_project.sample.org import ORG_UNITS

LINEAGE_COLUMNS = {
    "_source": "varchar",
    "_file_name": "varchar",
    "_file_hash": "varchar",
    "_row_number": "bigint",
    "_load_id": "varchar",
    "_loaded_at": "timestamp",
}

RAW_TABLES: dict[str, dict[str, str]] = {
    "erp_orders": {
        "order_id": "varchar",
        "order_date": "date",
        "confirmed_date": "date",
        "customer_id": "varchar",
        "org_unit_id": "varchar",
        "channel": "varchar",
        "net_amount": "double",
        "currency": "varchar",
        "status": "varchar",
    },
    "crm_interactions": {
        "interaction_id": "varchar",
        "occurred_at": "timestamp",
        "customer_id": "varchar",
        "org_unit_id": "varchar",
        "channel": "varchar",
        "direction": "varchar",
        "topic": "varchar",
    },
    "crm_leads": {
        "lead_id": "varchar",
        "created_date": "date",
        "org_unit_id": "varchar",
        "source_channel": "varchar",
        "status": "varchar",
        "closed_date": "date",
        "expected_value": "double",
    },
    "hr_employees": {
        "employee_id": "varchar",
        "org_unit_id": "varchar",
        "role": "varchar",
        "entry_date": "date",
        "exit_date": "date",
    },
    "it_licenses": {
        "employee_id": "varchar",
        "tool": "varchar",
        "assigned_from": "date",
        "assigned_until": "date",
    },
    "it_usage": {
        "employee_id": "varchar",
        "tool": "varchar",
        "activity_date": "date",
        "events": "bigint",
    },
    "lms_trainings": {
        "employee_id": "varchar",
        "course_id": "varchar",
        "status": "varchar",
        "completed_date": "date",
    },
    "survey_responses": {
        "response_id": "varchar",
        "submitted_at": "timestamp",
        "org_unit_id": "varchar",
        "wave": "varchar",
        "question_id": "varchar",
        "answer": "double",
    },
    "projects": {
        "project_id": "varchar",
        "project_name": "varchar",
        "org_unit_id": "varchar",
        "project_type": "varchar",
        "status_date": "date",
        "budget_eur": "double",
        "cost_to_date_eur": "double",
        "percent_complete": "double",
    },
    "project_milestones": {
        "project_id": "varchar",
        "milestone_id": "varchar",
        "milestone_name": "varchar",
        "planned_date": "date",
        "actual_date": "date",
    },
    "org_units": {"org_unit_id": "varchar", "name": "varchar", "parent_id": "varchar"},
    "channels": {
        "source": "varchar",
        "raw_value": "varchar",
        "channel": "varchar",
        "is_digital": "boolean",
    },
    "kpi_targets": {
        "kpi_id": "varchar",
        "org_unit_id": "varchar",
        "baseline_date": "date",
        "baseline_value": "double",
        "target_date": "date",
        "target_value": "double",
        "tolerance": "double",
        "valid_from": "date",
        "reason": "varchar",
    },
    "training_requirements": {"role": "varchar", "course_id": "varchar"},
    "survey_questions": {
        "question_id": "varchar",
        "dimension": "varchar",
        "text": "varchar",
        "scale_min": "double",
        "scale_max": "double",
        "reverse_coded": "boolean",
    },
    "actions": {
        "action_id": "varchar",
        "kpi_id": "varchar",
        "org_unit_id": "varchar",
        "title": "varchar",
        "owner": "varchar",
        "due_date": "date",
        "status": "varchar",
    },
    "kpi_comments": {
        "kpi_id": "varchar",
        "org_unit_id": "varchar",
        "month": "date",
        "author": "varchar",
        "comment": "varchar",
        "created_at": "date",
    },
    "settings": {"key": "varchar", "value": "varchar"},
}

# The sample company's org tree (team brief), the default for hand-built test databases.
SAMPLE_ORG_UNITS = ORG_UNITS


def create_raw_layer(
    con: duckdb.DuckDBPyConnection, rows: Mapping[str, Iterable[Mapping[str, object]]]
) -> None:
    """Create every raw table (empty unless `rows` has some) with the lineage columns."""
    con.execute("create schema if not exists raw")
    for table, columns in RAW_TABLES.items():
        all_columns = {**columns, **LINEAGE_COLUMNS}
        ddl = ", ".join(f'"{name}" {sql_type}' for name, sql_type in all_columns.items())
        con.execute(f"create or replace table raw.{table} ({ddl})")
        for number, row in enumerate(rows.get(table, []), start=1):
            unknown = set(row) - set(columns)
            if unknown:
                raise KeyError(f"raw.{table}: no column(s) {sorted(unknown)} in the raw layer")
            values = {
                **{name: row.get(name) for name in columns},
                "_source": table,
                "_file_name": f"{table}_test.csv",
                "_file_hash": "test",
                "_row_number": number,
                "_load_id": "test",
                "_loaded_at": None,
            }
            placeholders = ", ".join("?" for _ in values)
            con.execute(f"insert into raw.{table} values ({placeholders})", list(values.values()))


def org_unit_rows(units=SAMPLE_ORG_UNITS) -> list[dict[str, object]]:
    """Org tree rows in raw.org_units form."""
    return [{"org_unit_id": i, "name": n, "parent_id": p} for i, n, p in units]
