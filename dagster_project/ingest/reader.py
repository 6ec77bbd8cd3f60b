"""Read export files into a temporary DuckDB table of text cells (`_read`).

`_read` holds the data rows of one file, or of several files of the same layout, in file
order: `_n` (the row's file), one VARCHAR column per header cell (`c0`, `c1`, ...) and
`_overflow` (text found beyond the header's last column, which makes the row suspect). A
row's data row number is its rowid less its file's first (`ReadFile.first_rowid`) plus 1:
1 is the first row after the header, as the sample generator and a person counting rows in
Excel below the header see it. `number_rows` copies a single file's `_read` into `_in` with
that number as `_row_number`, for the parsers that work on one file. These are TEMP
tables: they live only in this connection's memory and never reach the database file.
What must not be stored never even reaches them: a column that nobody claims and whose
header names an identifier is read as NULL, and the values of an id field under an
identifier header are read as keyed pseudonyms (`read_items`).

Delimited files are read by DuckDB's own CSV reader; Python only detects the layout and,
where DuckDB cannot decode the bytes itself (Windows-1252 € „ “ –, UTF-16), writes a UTF-8
copy to a temporary file first (the loader makes it, loader.py). `.xlsx` files
(small by nature) go through openpyxl.
"""

from __future__ import annotations

import datetime as dt
import re
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree

import duckdb
import pyarrow as pa

from dagster_project.ingest.contracts import (
    NO_MAPPING,
    Contract,
    FileMapping,
    match_headers,
)
from dagster_project.ingest.pseudonym import row_hash_sql
from dagster_project.ingest.sniff import (
    HEADER_SEARCH_ROWS,
    SAMPLE_RECORDS,
    CsvLayout,
    Encoding,
    UnreadableFile,
    detect_layout,
    extra_header_rows,
    looks_like_data,
    nul_problem,
    read_sample_text,
    transcode_to_utf8,
)

CSV_SUFFIXES = (".csv", ".txt")
# An .xlsx is a zip: one that unpacks to more than `XLSX_MAX_RATIO` times its size (and to
# more than `XLSX_MIN_SUSPECT` bytes), or to more than `XLSX_MAX_UNPACKED` at all, is not
# opened (a zip bomb of a few MB unpacks to gigabytes); a first sheet with more than
# `XLSX_MAX_CELLS` cells is not read to the end (each cell costs memory here).
XLSX_MAX_RATIO = 100
XLSX_MIN_SUSPECT = 100 * 1024 * 1024
XLSX_MAX_UNPACKED = 1024 * 1024 * 1024
XLSX_MAX_CELLS = 5_000_000
XLSX_MAX_ROWS = 1_048_576   # Excel's last row
# Cell types of a text value: a formula's empty result of these is an empty text, not a
# value left out.
TEXT_CELL_TYPES = ("str", "inlineStr", "s")
XLSX_SUFFIXES = (".xlsx",)
ACCEPTED_SUFFIXES = CSV_SUFFIXES + XLSX_SUFFIXES


@dataclass
class ReadFile:
    """What was read: the header cells and how the file was written (for the run log)."""

    headers: list[str]
    rows: int
    encoding: str
    delimiter: str
    first_rowid: int = 0  # `_read`'s rowid of the file's first data row (see `read_files`)
    sample: tuple[tuple[str, ...], ...] = ()  # its first data records, as text
    period: tuple[str, str] | None = None     # the period its DATEV header line names
    extra_header_rows: int = 0                # header rows skipped below the header


@dataclass(frozen=True)
class Planned:
    """A file whose layout is known and that is ready to be read (`plan_file`)."""

    path: Path
    encoding: Encoding
    layout: CsvLayout | None  # None: a workbook
    utf8_copy: Path | None = None  # the file in UTF-8 where DuckDB cannot decode it (loader.py)
    mapping: FileMapping = NO_MAPPING  # its `config/column_map.csv` rows
    catalog: dict[str, str] | None = None  # for surveys: the question ids (lower-case -> id)

    def same_layout(self) -> tuple | None:
        """Files with equal values are read by one `read_csv` (None: read alone)."""
        if self.layout is None:
            return None
        return (self.layout.delimiter, self.layout.skip_lines, tuple(self.layout.headers),
                self.encoding.duckdb, self.mapping.key)


def plan_file(path: Path, encoding: Encoding, c: Contract, utf8_copy: Path | None = None,
              mapping: FileMapping = NO_MAPPING,
              catalog: dict[str, str] | None = None) -> Planned:
    """Where the table is in `path` (delimiter, header row); raise UnreadableFile.

    `utf8_copy`: the file already transcoded to UTF-8 (when its encoding needs it);
    `mapping`, `catalog`: what else may name its columns (for the header search)."""
    if path.suffix.lower() in XLSX_SUFFIXES:
        return Planned(path, encoding, None, mapping=mapping, catalog=catalog)
    sample = read_sample_text(path, encoding)
    binary = UnreadableFile("binary content, not a delimited text file — export the data as "
                            ".csv/.txt (delimited) or .xlsx")
    text = sample.rstrip("\x00")  # NUL padding at the end is named below
    if "\x00" in text.split("\n", 1)[0] or text.count("\x00") * 100 > len(text):
        raise binary  # NULs in the first line, or more than 1 %: no text export
    layout = detect_layout(sample.replace("\x00", ""), c, mapping, catalog)
    if encoding.first_nul >= 0 and not encoding.transcode == "utf-16":
        # a text export with a few NUL bytes: named where they are, the file not read
        showable = match_headers(c, layout.headers, mapping, catalog).showable(c)
        raise UnreadableFile(nul_problem(path, encoding, layout, showable))
    return Planned(path, encoding, layout, utf8_copy, mapping, catalog)


def read_file(con: duckdb.DuckDBPyConnection, path: Path, encoding: Encoding,
              c: Contract, mapping: FileMapping = NO_MAPPING,
              catalog: dict[str, str] | None = None) -> ReadFile:
    """Fill temp table `_read` from `path` alone, transcoding it to a temporary UTF-8 copy
    where needed (the loader makes its copies itself, loader.py); raise UnreadableFile
    with a readable reason."""
    with tempfile.TemporaryDirectory(prefix="leitstand-ingest-") as tmp:
        copy = None
        if encoding.transcode and path.suffix.lower() in CSV_SUFFIXES:  # not a workbook
            copy = Path(tmp) / "utf8.csv"
            transcode_to_utf8(path, encoding, copy)
        return read_files(con, [plan_file(path, encoding, c, copy, mapping, catalog)], c)[0]


def read_files(con: duckdb.DuckDBPyConnection, files: list[Planned],
               c: Contract) -> list[ReadFile]:
    """Fill temp table `_read` with the data rows of `files`, all of one layout (or one
    workbook); `_n` is a row's file (its position in `files`). Raise UnreadableFile.

    Several files are read by one `read_csv`, which reads them on both cores (a file of a
    few MB is read by one); rows keep their file's order, so a file's data row number is
    `rowid - first_rowid + 1`. When that read fails, the caller reads the files one by one,
    so that only the file at fault is rejected.
    """
    if files[0].layout is None:
        return [_read_xlsx(con, files[0], c)]
    return _read_delimited(con, files, c)


def _columns_literal(n: int, overflow: bool) -> str:
    cols = [f"'c{i}': 'VARCHAR'" for i in range(n)]
    if overflow:
        cols.append("'_overflow': 'VARCHAR'")
    return "{" + ", ".join(cols) + "}"


def _read_delimited(con: duckdb.DuckDBPyConnection, files: list[Planned],
                    c: Contract) -> list[ReadFile]:
    layout, encoding = files[0].layout, files[0].encoding
    assert layout is not None and all(f.same_layout() == files[0].same_layout() for f in files)
    n = len(layout.headers)
    # a file DuckDB cannot decode is read from its UTF-8 copy (`Planned.utf8_copy`)
    assert all(f.utf8_copy for f in files if f.encoding.transcode), "no UTF-8 copy"
    sources = [str(f.utf8_copy if f.encoding.transcode else f.path) for f in files]
    common = (
        f"delim={_q(layout.delimiter)}, quote='\"', escape='\"', header=false, "
        f"skip={layout.skip_lines}, auto_detect=false, encoding={_q(encoding.duckdb)}"
    )
    if len(files) == 1:
        paths, file_number = _q(sources[0]), "0"
    else:
        paths = "[" + ", ".join(_q(s) for s in sources) + "]"
        common += ", filename=true"
        file_number = "case filename " + " ".join(
            f"when {_q(s)} then {i}" for i, s in enumerate(sources)) + " end"
    # Personal identifier columns are replaced by NULL while reading, e-mail addresses in
    # id fields by pseudonyms: their values never reach even a temporary table.
    keep = read_items(c, layout.headers, files[0].mapping, files[0].catalog)
    fast = (f"select cast({file_number} as integer) as _n, {keep}, "
            f"cast(null as varchar) as _overflow "
            f"from read_csv({paths}, {common}, columns={_columns_literal(n, False)})")
    # Ragged rows (too few or too many fields) need the sequential, lenient reader; an
    # extra column catches text beyond the header so such rows can be quarantined.
    lenient = (f"select 0 as _n, {keep}, _overflow from read_csv({paths}, {common}, "
               f"columns={_columns_literal(n, True)}, null_padding=true, "
               f"strict_mode=false, parallel=false)")
    try:
        con.execute(f"create or replace temp table _read as {fast}")
    except duckdb.Error as exc:
        if len(files) > 1:
            raise UnreadableFile(_first_line(exc)) from exc
        try:
            con.execute(f"create or replace temp table _read as {lenient}")
        except duckdb.Error as exc:
            raise UnreadableFile(_unreadable(exc, layout.skip_lines)) from exc
        if "unterminated quote" in str(exc):
            # the lenient reader would run the field on to the next quote or the end of the
            # file, swallowing the rows in between: the file is rejected instead
            match = match_headers(c, layout.headers, files[0].mapping, files[0].catalog)
            raise UnreadableFile(_open_quote(con, exc, layout, match.showable(c),
                                             sources[0])) from exc
    # rows and first rowid per file (row ids of one bulk insert are consecutive in file
    # order; inside a transaction they start at a large offset)
    found = {n: (rows, first) for n, rows, first in con.execute(
        "select _n, count(*), min(rowid) from _read group by _n").fetchall()}
    reads = []
    for i, f in enumerate(files):
        rows, first = found.get(i, (0, 0))
        assert f.layout is not None
        reads.append(ReadFile(layout.headers, rows, f.encoding.name, layout.delimiter, first,
                              f.layout.sample, f.layout.period, f.layout.extra_header_rows))
    return reads


def read_items(c: Contract, headers: list[str], mapping: FileMapping = NO_MAPPING,
               catalog: dict[str, str] | None = None, cell=lambda i: f"c{i}") -> str:
    """SELECT items `c0`, `c1`, ... of a file's cells (`cell(i)`: SQL for the i-th as read):
    a column nobody claims whose header names an identifier is NULL; an id field
    (`pseudonymise` in the contract) under an identifier header holds the keyed pseudonyms
    of its values (an id field's e-mail addresses under another header become pseudonyms as
    its cells are cleaned, once per distinct cell: parse.py `_cells`). A survey export
    without a response id also gets `_rowhash`, the keyed hash of all its cells
    (survey.add_response_ids)."""
    match = match_headers(c, headers, mapping, catalog)
    personal = {i for i, _ in match.personal}
    items = []
    for i in range(len(headers)):
        if i in personal:
            items.append(f"cast(null as varchar) as c{i}")
        elif i in match.pseudonymised:
            items.append(f"lt_pseudonym({cell(i)}) as c{i}")
        else:
            items.append(cell(i) if cell(i) == f"c{i}" else f"{cell(i)} as c{i}")
    if c.is_survey and "response_id" not in match.columns \
            and "response_id" not in match.constants:
        items.append(f"{row_hash_sql([cell(i) for i in range(len(headers))])} as _rowhash")
    return ", ".join(items)


def number_rows(con: duckdb.DuckDBPyConnection, read: ReadFile) -> None:
    """Replace `_read` (the one file `read`) by `_in`: the same rows with their data row
    number, `_row_number`."""
    con.execute(f"create or replace temp table _in as "
                f"select rowid - {int(read.first_rowid)} + 1 as _row_number, * from _read")
    con.execute("drop table _read")


def _unreadable(exc: Exception, skip_lines: int) -> str:
    """The reason a delimited file cannot be read at all, from DuckDB's error: a line
    beyond the reader's limit is named by its row and size (DuckDB's message would quote
    the whole line)."""
    text = str(exc)
    m = re.search(r"CSV Error on Line: (\d+)", text)
    row = int(m.group(1)) - skip_lines if m else None
    size = re.search(r"Maximum line size of (\d+) bytes exceeded\. Actual Size:(\d+)", text)
    if size and row:
        limit, actual = int(size.group(1)), int(size.group(2))
        return (f"row {row}: a line of {actual / 1e6:,.1f} MB, longer than the reader's limit "
                f"of {limit / 1e6:,.0f} MB — no export value is that long: check the export "
                "(a text column run wild, or a line break missing)")
    where = f" (row {row})" if row else ""
    return f"not readable as a delimited file{where}: {_first_line(exc)}"


def _open_quote(con: duckdb.DuckDBPyConnection, exc: Exception, layout: CsvLayout,
                showable: set[int], path: str) -> str:
    """The reason for a file in which a quote opens a value and is never closed: the row,
    the column and the value's start up to the next delimiter (from the lenient read in
    `_read`: the last row up to the one DuckDB names whose cell runs over a line break;
    the value only of a `showable` column), the rows lost."""
    headers, skip_lines = layout.headers, layout.skip_lines
    m = re.search(r"CSV Error on Line: (\d+)", str(exc))
    # DuckDB counts records (blank lines too), `_read` data rows: the row is looked for
    limit = int(m.group(1)) - skip_lines if m else 2**62
    breaks = [f"regexp_matches(coalesce(c{i}, ''), '[\\r\\n]')" for i in range(len(headers))]
    found = con.execute(
        f"select * exclude (_n) from (select rowid - min(rowid) over () + 1 as _row, * "
        f"from _read) where _row <= ? and ({' or '.join(breaks)}) "
        f"order by _row desc limit 1", [limit]).fetchall()
    with open(path, "rb") as fh:
        lines = sum(chunk.count(b"\n") for chunk in iter(lambda: fh.read(1 << 22), b""))
    fix = "close the quote (or remove it) in the export and save it again"
    if not found:
        return f"a quote is opened and never closed — {fix}"
    row, cells = found[0][0], found[0][1:len(headers) + 1]
    column = next(i for i, v in enumerate(cells) if v and ("\n" in v or "\r" in v))
    start = cells[column].splitlines()[0].split(layout.delimiter)[0][:40]
    value = f" (value starting '\"{start}')" if column in showable else ""
    return (f"row {row}: a quote opened in column '{headers[column].strip()}'{value} is "
            f"never closed: row {row} to the end of the file (line {lines}) could not be "
            f"read — {fix}")


def _q(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def xlsx_cell_text(value: object, number_format: str | None = None) -> str | None:
    """One spreadsheet cell as the text a CSV export would hold, never ambiguous.

    Typed numbers come out with a dot decimal that cannot be mistaken for a thousands
    separator (`1.234` is written `1.2340`); percent-formatted cells as `45%`; dates as ISO.
    """
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0, 0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.isoformat()
    if isinstance(value, int | float):
        percent = bool(number_format) and "%" in number_format
        number = float(value) * 100 if percent else value
        if isinstance(number, float):
            number = round(number, 10)
            text = str(int(number)) if number.is_integer() else repr(number)
        else:
            text = str(number)
        if "e" in text.lower():
            text = f"{number:.12f}".rstrip("0").rstrip(".")
        if re.fullmatch(r"-?[1-9][0-9]{0,2}\.[0-9]{3}", text):
            text += "0"
        return text + ("%" if percent else "")
    return str(value)


def _read_xlsx(con: duckdb.DuckDBPyConnection, planned: Planned, c: Contract) -> ReadFile:
    import openpyxl

    path = planned.path
    _check_unpacked_size(path)
    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for broken files
        raise UnreadableFile(f"not readable as an .xlsx workbook: {_first_line(exc)}") from exc
    try:
        if not workbook.worksheets:
            raise UnreadableFile("the workbook has no sheet")
        sheet = workbook.worksheets[0]
        if hasattr(sheet, "reset_dimensions"):
            sheet.reset_dimensions()  # the cells tell the size, not a declared `A1:XFD1048576`
        rows, cells = [], 0
        for row in sheet.iter_rows():
            cells += len(row) or 1   # a missing row counts: `<row r="2000000000">` is cheap
            if len(rows) == XLSX_MAX_ROWS:
                raise UnreadableFile(
                    f"the first sheet has rows beyond row {XLSX_MAX_ROWS:,}, Excel's last row "
                    "— the workbook is damaged or not from a spreadsheet program: export the "
                    "data as .csv/.txt (delimited)")
            if cells > XLSX_MAX_CELLS:
                raise UnreadableFile(
                    f"the first sheet has more than {XLSX_MAX_CELLS:,} cells (row "
                    f"{len(rows) + 1} of the sheet reaches the limit) — too large for a "
                    "workbook here: export the data as .csv/.txt (delimited)")
            rows.append([xlsx_cell_text(cell.value, getattr(cell, "number_format", None))
                         for cell in row])
    except UnreadableFile:
        raise
    except Exception as exc:  # a broken sheet inside a readable zip
        raise UnreadableFile(f"not readable as an .xlsx workbook: {_first_line(exc)}") from exc
    finally:
        workbook.close()
    while rows and all(v is None or str(v).strip() == "" for v in rows[-1]):
        rows.pop()
    if not rows:
        raise UnreadableFile("the file is empty")
    header_index = _xlsx_header_row(rows, c, planned.mapping, planned.catalog)
    headers = [h if h is not None else "" for h in rows[header_index]]
    while headers and headers[-1].strip() == "":
        headers.pop()
    n = len(headers)
    match = match_headers(c, headers, planned.mapping, planned.catalog)
    extra = extra_header_rows(c, match, [[v or "" for v in r] for r in rows[header_index + 1:]])
    data = rows[header_index + 1 + extra:]
    try:
        uncalculated = _formula_without_value(path, header_index + 1 + extra, match.claimed,
                                              headers)
    except (KeyError, ValueError, ElementTree.ParseError):  # XML openpyxl reads but this
        uncalculated = None                                  # check cannot: read as before
    if uncalculated:
        raise UnreadableFile(uncalculated)
    # the cells go to DuckDB as they are (`r<i>`); `read_items` decides what is kept
    columns = {"_i": pa.array(range(len(data)), pa.int64())}
    for i in range(n):
        columns[f"r{i}"] = pa.array([r[i] if i < len(r) else None for r in data], pa.string())
    overflow = [
        next((str(v) for v in r[n:] if v is not None and str(v).strip()), None) for r in data
    ]
    columns["_overflow"] = pa.array(overflow, pa.string())
    table = pa.table(columns)
    keep = read_items(c, headers, planned.mapping, planned.catalog, cell=lambda i: f"r{i}")
    con.register("_xlsx_rows", table)
    try:
        con.execute("create or replace temp table _read as "
                    f"select 0 as _n, {keep}, _overflow from _xlsx_rows order by _i")
    finally:
        con.unregister("_xlsx_rows")
    first = con.execute("select coalesce(min(rowid), 0) from _read").fetchall()[0][0]
    sample = tuple(tuple(v or "" for v in r) for r in data[:SAMPLE_RECORDS])
    return ReadFile(headers, len(data), "xlsx", "", first, sample, None, extra)


def _formula_without_value(path: Path, first_data: int, columns: set[int],
                           headers: list[str]) -> str | None:
    """Why the workbook cannot be read, when a data cell of a column that is read holds a
    formula without a stored value (a workbook written by a program that does not
    calculate, as a script with openpyxl writes one); None when there is no such cell.

    Excel and LibreOffice store each formula's last value beside it (`<v>`), which is what
    is read (`data_only`); without one (openpyxl writes an empty `<v/>`) the cell reads as
    empty, and a value would be lost without a word. The formula itself is not quoted: it
    may spell out personal data."""
    if not columns:
        return None
    with zipfile.ZipFile(path) as z:
        sheet = _first_sheet(z)
        if sheet is None or not _has_formula(z, sheet):
            return None
        with z.open(sheet) as fh:
            row, col, rows = 0, -1, None
            for event, element in ElementTree.iterparse(fh, events=("start", "end")):
                tag = element.tag.rsplit("}", 1)[-1]
                if tag == "sheetData" and event == "start":
                    rows = element
                elif tag == "row":
                    if event == "start":
                        row, col = int(element.get("r") or row + 1), -1
                    elif rows is not None:
                        rows.clear()  # the rows so far are judged: memory stays flat
                    continue
                if tag != "c" or event != "end":
                    continue
                ref = element.get("r")
                col = _column_index(ref.rstrip("0123456789")) if ref else col + 1
                parts = {child.tag.rsplit("}", 1)[-1]: child.text for child in element}
                # no value, or an empty one that is no text result (`t="str"`: Excel's "")
                unvalued = not parts.get("v") and element.get("t") not in TEXT_CELL_TYPES
                if "f" in parts and unvalued and col in columns and row > first_data:
                    return (f"cell {_column_letters(col)}{row} (column "
                            f"'{headers[col]}') holds a formula without its value — the "
                            "workbook was written by a program that does not calculate: open "
                            "it in Excel or LibreOffice, save it and put it back, or export "
                            "the data as .csv/.txt (delimited)")
    return None


def _column_index(letters: str) -> int:
    """`A` → 0, `Z` → 25, `AA` → 26."""
    index = 0
    for letter in letters.upper():
        index = index * 26 + ord(letter) - ord("A") + 1
    return index - 1


def _column_letters(index: int) -> str:
    """0 → `A`, 26 → `AA`."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def _first_sheet(z: zipfile.ZipFile) -> str | None:
    """The zip member of the workbook's first worksheet (the one openpyxl reads first)."""
    def local(element: ElementTree.Element) -> str:
        return element.tag.rsplit("}", 1)[-1]

    try:
        book = ElementTree.fromstring(z.read("xl/workbook.xml"))
        rels = ElementTree.fromstring(z.read("xl/_rels/workbook.xml.rels"))
    except (KeyError, ElementTree.ParseError):
        return None
    targets = {r.get("Id"): r.get("Target", "") for r in rels
               if local(r) == "Relationship" and r.get("Type", "").endswith("/worksheet")}
    for sheet in book.iter():
        if local(sheet) != "sheet":
            continue
        rid = next((v for k, v in sheet.attrib.items() if k.rsplit("}", 1)[-1] == "id"), None)
        if rid in targets:
            target = targets[rid]
            return target.lstrip("/") if target.startswith("/") else f"xl/{target}"
    return None


def _has_formula(z: zipfile.ZipFile, member: str) -> bool:
    """Whether the sheet's XML holds a formula (`<f>`, or `<x:f>` as the .NET Open XML SDK
    writes it), read in pieces: most sheets have none."""
    pattern = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?f[ >/]")
    with z.open(member) as fh:
        tail = b""
        while chunk := fh.read(1 << 20):
            if pattern.search(tail + chunk):
                return True
            tail = chunk[-40:]
    return False


def _check_unpacked_size(path: Path) -> None:
    """Raise UnreadableFile for an .xlsx that would unpack to far more than its size (a
    zip bomb) or to more than `XLSX_MAX_UNPACKED`, judged from the zip's directory alone."""
    try:
        with zipfile.ZipFile(path) as z:
            unpacked = sum(i.file_size for i in z.infolist())
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise UnreadableFile(f"not readable as an .xlsx workbook: {_first_line(exc)}") from exc
    size = path.stat().st_size
    if unpacked > XLSX_MAX_UNPACKED or (unpacked > XLSX_MIN_SUSPECT
                                        and unpacked > XLSX_MAX_RATIO * size):
        raise UnreadableFile(
            f"the workbook would unpack to {unpacked / 2**20:,.0f} MB from {size / 2**20:,.1f}"
            f" MB on disk (limits: {XLSX_MAX_RATIO} times its size, "
            f"{XLSX_MAX_UNPACKED // 2**20:,} MB) — not opened, as a zip bomb would be; export "
            "the data as .csv/.txt (delimited)")


def _xlsx_header_row(rows: list[list[str | None]], c: Contract,
                     mapping: FileMapping = NO_MAPPING,
                     catalog: dict[str, str] | None = None) -> int:
    """The row (among the first few) whose cells match the most contract headers; a row
    that looks like data is never the header."""
    best, best_index = 0, None
    for index, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        cells = [v or "" for v in row]
        if looks_like_data(cells):
            continue
        match = match_headers(c, cells, mapping, catalog)
        matched = len(match.columns) + len(match.questions)
        if matched > best:
            best, best_index = matched, index
    if best_index is not None:
        return best_index
    for index, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        if not looks_like_data([v or "" for v in row]):
            return index
    raise UnreadableFile("no header row found: the first rows hold data — export the file "
                         "with its column headers")
