"""One export file: its layout, its good rows, the planted bad rows, and how it is written.

A file is built from typed canonical records (what the raw layer will hold) and a layout
(which header stands for which field and how values are rendered). Bad rows are planted
as rendered cells with one cell spoiled, so the file stays realistic around them; every
planted row is recorded with its data row number for `Company.expected_quarantine`.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .company import CollapsedRow, QuarantinedRow
from .timeline import FILE_TIMESTAMP


@dataclass(frozen=True)
class FileFormat:
    """How a system writes its files: type, encoding, delimiter and line ends."""

    kind: str = "csv"  # csv (also for .txt) or xlsx
    encoding: str = "utf-8"  # utf-8, utf-8-sig (BOM) or cp1252
    delimiter: str = ","
    newline: str = "\r\n"


@dataclass(frozen=True)
class Column:
    """One column of a layout: its header, the canonical field it holds (None for columns
    the contract does not know) and how a frame of records is rendered into its cells."""

    header: str
    field: str | None
    render: Callable[[pd.DataFrame], list]


@dataclass
class _Planted:
    position: int  # goes before the good row with this index (len(cells) = at the end)
    cells: list
    problems: list[tuple[str, str, str]]  # (field, kind, raw value); empty = exact duplicate
    duplicate_of: int | None = None  # index of the good row it repeats


@dataclass
class ExportFile:
    """An export as it will be written, plus the typed good records behind its rows."""

    source: str
    name: str
    fmt: FileFormat
    layout: list[Column]
    records: pd.DataFrame  # typed canonical good rows, in file order
    planted: list[_Planted] = field(default_factory=list)
    cells: list[list] = field(init=False)

    def __post_init__(self) -> None:
        self.records = self.records.reset_index(drop=True)
        self.cells = self.render(self.records)

    @property
    def header(self) -> list[str]:
        return [column.header for column in self.layout]

    def render(self, records: pd.DataFrame) -> list[list]:
        columns = [column.render(records) for column in self.layout]
        return [list(row) for row in zip(*columns, strict=True)] if columns else []

    def header_of(self, field_name: str) -> str:
        for column in self.layout:
            if column.field == field_name:
                return column.header
        raise KeyError(f"{self.name}: no column for field {field_name!r}")

    def plant_bad(self, position: int, record: dict, problems: list[tuple[str, str, str]]) -> None:
        """Insert a rendered `record` with the cells of `problems` replaced by raw values.

        `problems` lists (field, kind, raw value); a raw value of None keeps the rendered
        cell (used for duplicate keys, where the problem is the row, not a cell)."""
        position = min(position, len(self.cells))
        cells = self.render(pd.DataFrame([record]))[0]
        for field_name, _kind, raw in problems:
            if raw is not None:
                cells[self.header.index(self.header_of(field_name))] = raw
        resolved = [
            (f, k, raw if raw is not None else str(cells[self.header.index(self.header_of(f))]))
            for f, k, raw in problems
        ]
        self.planted.append(_Planted(position, cells, resolved))

    def plant_duplicate(self, index: int) -> None:
        """Repeat good row `index` (or the last, in a small file) right after itself: an
        exact duplicate, which the ingest collapses."""
        if not self.cells:
            return
        index = min(index, len(self.cells) - 1)
        self.planted.append(_Planted(index + 1, list(self.cells[index]), [], duplicate_of=index))

    def rows(self) -> tuple[list[list], list[QuarantinedRow], list[CollapsedRow]]:
        """The data rows in file order, with the quarantine and duplicate bookkeeping."""
        by_position: dict[int, list[_Planted]] = {}
        for planted in self.planted:
            by_position.setdefault(planted.position, []).append(planted)
        out: list[list] = []
        quarantine: list[QuarantinedRow] = []
        collapsed: list[CollapsedRow] = []
        good_row_number: dict[int, int] = {}

        def emit_planted(position: int) -> None:
            for planted in by_position.get(position, []):
                out.append(planted.cells)
                number = len(out)
                if planted.duplicate_of is not None:
                    first = good_row_number[planted.duplicate_of]
                    collapsed.append(CollapsedRow(self.source, self.name, number, first))
                for field_name, kind, raw in planted.problems:
                    quarantine.append(QuarantinedRow(
                        self.source, self.name, number, field_name,
                        self.header_of(field_name), kind, raw,
                    ))

        for index, cells in enumerate(self.cells):
            emit_planted(index)
            out.append(cells)
            good_row_number[index] = len(out)
        emit_planted(len(self.cells))
        return out, quarantine, collapsed

    def write(self, folder: Path) -> tuple[int, list[QuarantinedRow], list[CollapsedRow]]:
        """Write the file into `folder`; returns (data rows, quarantine, collapsed)."""
        rows, quarantine, collapsed = self.rows()
        path = folder / self.name
        if self.fmt.kind == "xlsx":
            path.write_bytes(xlsx_bytes(self.header, rows))
        else:
            path.write_bytes(delimited_bytes(self.header, rows, self.fmt))
        return len(rows), quarantine, collapsed


def delimited_bytes(header: list[str], rows: list[list], fmt: FileFormat) -> bytes:
    """CSV/TXT bytes; quotes only where needed (delimiter, quote or line break in a field)."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=fmt.delimiter, lineterminator=fmt.newline,
                        quoting=csv.QUOTE_MINIMAL)
    writer.writerow(header)
    writer.writerows(["" if value is None else value for value in row] for row in rows)
    return buffer.getvalue().encode(fmt.encoding)


def xlsx_bytes(header: list[str], rows: list[list], sheet: str = "Export") -> bytes:
    """An xlsx workbook with one sheet; metadata and zip entry times fixed, so the bytes
    depend on the content only."""
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.properties.created = FILE_TIMESTAMP
    workbook.properties.modified = FILE_TIMESTAMP
    workbook.properties.creator = "SAP HCM Export"
    worksheet = workbook.active
    worksheet.title = sheet
    worksheet.append(header)
    for row in rows:
        worksheet.append(row)
    for row in worksheet.iter_rows(min_row=2):
        for cell in row:
            if isinstance(cell.value, dt.date):
                cell.number_format = "DD.MM.YYYY"
    raw = io.BytesIO()
    workbook.save(raw)
    return _normalised_zip(raw.getvalue())


def _normalised_zip(data: bytes) -> bytes:
    """Rewrite a zip with fixed entry timestamps (zipfile stamps entries with the clock) and
    a fixed `modified` property (openpyxl sets it to now when saving)."""
    stamp = FILE_TIMESTAMP.timetuple()[:6]
    modified = FILE_TIMESTAMP.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=stamp)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o600 << 16
            content = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                content = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)",
                                 rb"\g<1>" + modified + rb"\g<2>", content)
            target.writestr(entry, content)
    return out.getvalue()
