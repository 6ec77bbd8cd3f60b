"""Messy delimited files round-trip through sniffing, DuckDB's reader and the parser.

Hypothesis writes random text (delimiters, quotes, line breaks, umlauts, €) in every
accepted encoding, delimiter and line ending, with the csv module as spreadsheet tools
write it; the parsed rows must give back exactly what was written.
"""

from __future__ import annotations

import csv
import io
import tempfile
from pathlib import Path

import duckdb
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from dagster_project.ingest.contracts import contract, match_headers
from dagster_project.ingest.parse import build_parsed
from dagster_project.ingest.reader import number_rows, read_file
from dagster_project.ingest.sniff import hash_and_encoding
from dagster_project.ingest.values import install_macros

CP1252_SAFE = "abcXYZ019 äöüÄÖÜß€„“–…;,|\t\"'\n-/."
cell_text = st.text(alphabet=CP1252_SAFE, min_size=1, max_size=12).filter(
    lambda s: s.strip() not in ("", "-", "--") and s == s.strip())


@st.composite
def exports(draw):
    n = draw(st.integers(min_value=1, max_value=8))
    rows = [[f"E{i}", draw(cell_text), draw(cell_text), f"{draw(st.integers(1, 28)):02d}.03.2024"]
            for i in range(n)]
    return rows, {
        "delimiter": draw(st.sampled_from([";", ",", "\t", "|"])),
        "encoding": draw(st.sampled_from(["utf-8", "utf-8-sig", "cp1252"])),
        "newline": draw(st.sampled_from(["\r\n", "\n"])),
        "quoting": draw(st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL])),
    }


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(export=exports())
@example(export=([["E0", "Ä–", "x", "01.03.2024"]],  # Windows-1252 bytes valid as UTF-8
                 {"delimiter": ";", "encoding": "cp1252", "newline": "\n",
                  "quoting": csv.QUOTE_MINIMAL}))
def test_written_cells_come_back_exactly(export):
    rows, how = export
    c = contract("hr_employees")
    header = ["Personalnummer", "Abteilung", "Rolle", "Eintrittsdatum"]
    buf = io.StringIO(newline="")
    writer = csv.writer(buf, delimiter=how["delimiter"], lineterminator=how["newline"],
                        quoting=how["quoting"])
    writer.writerows([header, *rows])
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "export.csv"
        data = buf.getvalue().encode(how["encoding"])
        path.write_bytes(data)
        if how["encoding"] == "cp1252" and not data.isascii():
            try:
                data.decode("utf-8")
                how = {**how, "utf8_as_a_whole": True}
            except UnicodeDecodeError:
                pass
        con = duckdb.connect()
        install_macros(con)
        _, encoding = hash_and_encoding(path)
        read = read_file(con, path, encoding, c)
        number_rows(con, read)
        match = match_headers(c, read.headers)
        assert read.delimiter == how["delimiter"]
        assert read.headers == header
        build_parsed(con, c, match.columns, len(read.headers), ",")
        got = con.execute("select employee_id, org_unit, role, entry_date, _row_number, "
                          "_problem_reason from _parsed order by _row_number").fetchall()
        con.close()
    assert [(g[0], g[1], g[2], g[3].strftime("%d.%m.%Y"), g[4], g[5]) for g in got] == [
        (r[0], as_read(r[1], how), as_read(r[2], how), r[3], i, None)
        for i, r in enumerate(rows, start=1)]


def as_read(cell: str, how: dict) -> str:
    """A cell as the reader must give it back: as written — except in a Windows-1252 file
    whose bytes are valid UTF-8 as a whole (its only special characters in pairs such as
    `Ä–`, bytes C4 96), which is UTF-8 by the rule of docs/sources.md, and is read so
    (delimiters are ASCII, so no UTF-8 sequence spans two cells)."""
    if how.get("utf8_as_a_whole"):
        return cell.encode("cp1252").decode("utf-8")
    return cell
