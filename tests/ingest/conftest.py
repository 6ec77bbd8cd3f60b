"""Helpers that write export files the way the real tools write them, and a build database.

Every test builds its files in `tmp_path`; nothing here touches `sources/` or `data/`.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import duckdb
import pytest

from dagster_project.ingest.loader import SOURCES, load_config, load_source

ORG_UNITS = [
    ("HAT", "Hagedorn Antriebstechnik GmbH", ""),
    ("VT", "Vertrieb", "HAT"),
    ("VT-IN", "Vertrieb Inland", "VT"),
    ("VT-EX", "Vertrieb Export", "VT"),
    ("PR", "Produktion", "HAT"),
    ("PR-W2", "Werk Gütersloh", "PR"),
    ("EK", "Einkauf & Logistik", "HAT"),
]

QUESTIONS = [
    ("Q01", "strategy", "Wir haben eine digitale Strategie", "1", "5", "nein"),
    ("Q02", "processes", "Unsere Prozesse sind papierlos", "1", "5", "x"),
    ("Q07", "acceptance", "Ich nutze die neuen Werkzeuge gern", "1", "5", ""),
    ("Q10", "enps", "Wie wahrscheinlich empfehlen Sie uns", "0", "10", ""),
]


def write_delimited(path: Path, rows: list[list[object]], *, delimiter: str = ";",
                    encoding: str = "cp1252", bom: bool = False, newline: str = "\r\n",
                    quoting: int = csv.QUOTE_MINIMAL, preamble: str = "") -> Path:
    """A delimited text file as spreadsheet programs and ERP exports write it."""
    buf = io.StringIO(newline="")
    writer = csv.writer(buf, delimiter=delimiter, lineterminator=newline, quoting=quoting)
    for row in rows:
        writer.writerow(["" if v is None else v for v in row])
    data = (preamble + buf.getvalue()).encode(encoding)
    if bom:
        data = b"\xef\xbb\xbf" + data
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def write_xlsx(path: Path, rows: list[list[object]], number_formats: dict[int, str] | None = None,
               title_rows: list[list[object]] | None = None) -> Path:
    """An .xlsx workbook as an HR system or Excel writes it (typed cells, first sheet)."""
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Export"
    for row in title_rows or []:
        ws.append(row)
    for row in rows:
        ws.append(row)
    if number_formats:
        first_data = len(title_rows or []) + 2
        for col, fmt in number_formats.items():
            for r in range(first_data, ws.max_row + 1):
                ws.cell(row=r, column=col + 1).number_format = fmt
    other = wb.create_sheet("Notizen")
    other.append(["this sheet is not read"])
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def write_config(sources: Path, org_units=ORG_UNITS, questions=QUESTIONS) -> None:
    """The config files the loaders need (org tree, question catalog, the rest minimal)."""
    cfg = sources / "config"
    write_delimited(cfg / "org_units.csv", [["org_unit_id", "name", "parent_id"], *org_units])
    write_delimited(cfg / "survey_questions.csv",
                    [["question_id", "dimension", "text", "scale_min", "scale_max",
                      "reverse_coded"], *questions], delimiter=",", encoding="utf-8")
    write_delimited(cfg / "channels.csv", [["source", "raw_value", "channel", "is_digital"],
                                           ["erp_orders", "B2B-Portal", "Portal", "ja"]])
    write_delimited(cfg / "kpi_targets.csv",
                    [["kpi_id", "org_unit_id", "baseline_date", "baseline_value",
                      "target_date", "target_value", "tolerance"],
                     ["digital_order_share", "HAT", "01.01.2025", "20 %", "31.12.2026",
                      "0,5", "0,05"]])
    write_delimited(cfg / "training_requirements.csv", [["role", "course_id"], ["*", "DS-01"]])
    write_delimited(cfg / "actions.csv",
                    [["action_id", "kpi_id", "org_unit_id", "title", "owner", "due_date",
                      "status"],
                     ["M1", "digital_order_share", "Vertrieb", "Webshop-Relaunch", "IT",
                      "30.06.2026", "offen"]])


@pytest.fixture
def sources(tmp_path) -> Path:
    """A sources folder with config files; tests add the exports they need."""
    root = tmp_path / "sources"
    write_config(root)
    return root


@pytest.fixture
def con(tmp_path):
    """An open read-write build database in tmp_path (closed after the test)."""
    connection = duckdb.connect(str(tmp_path / "build.duckdb"))
    yield connection
    connection.close()


def quarantine(con, source: str) -> list[tuple]:
    """(file_name, row_number, column_name, reason) of a source's quarantine, in order."""
    return con.execute(
        "select file_name, row_number, column_name, reason from dq.quarantine "
        "where source = ? order by file_name, row_number, column_name", [source]
    ).fetchall()


def table(con, name: str, columns: str = "*", order: str | None = None) -> list[tuple]:
    sql = f"select {columns} from raw.{name}"
    if order:
        sql += f" order by {order}"
    return con.execute(sql).fetchall()


def load_all(con, sources: Path, load_id: str):
    """Load the config tables and every source of `sources`; their load results."""
    results = load_config(con, sources, load_id)
    return results + [load_source(con, s, sources, load_id) for s in SOURCES]


def raw_state(con, names=("hr_employees", "erp_orders", "it_usage")) -> dict[str, list[tuple]]:
    """Raw tables `names` and the quarantine in a fixed order, without when and by which run
    a file was read (a file read in a later run carries a later load id) and where a row is
    stored."""
    out = {}
    for name in names:
        columns = [d[0] for d in con.execute(f"select * from raw.{name} limit 0").description]
        left_out = [c for c in ("_load_id", "_loaded_at", "_stored_row") if c in columns]
        out[name] = con.execute(
            f"select * exclude ({', '.join(left_out)}) from raw.{name} order by all").fetchall()
    out["dq.quarantine"] = con.execute("select * from dq.quarantine order by all").fetchall()
    return out
