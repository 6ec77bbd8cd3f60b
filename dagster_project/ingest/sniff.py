"""Per-file detection: content hash, encoding, delimiter and where the header row is.

Only the beginning of a file is looked at for the layout; the whole file is streamed once
for its hash and to decide the encoding (a Windows-1252 `€` may sit anywhere). DuckDB
reads the data afterwards with what was detected here.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import logging
import re
from dataclasses import dataclass
from pathlib import Path

from dagster_project.ingest.contracts import NO_MAPPING, Contract, FileMapping, match_headers

DELIMITERS = (";", ",", "\t", "|")
SAMPLE_BYTES = 256 * 1024
HEADER_SEARCH_ROWS = 10
_CHUNK = 4 * 1024 * 1024
# Every byte but 0x80-0x9F, the bytes only Windows-1252 gives a character (€ „ “ – …):
# `chunk.translate(None, _NOT_CP1252_ONLY)` keeps just those.
_NOT_CP1252_ONLY = bytes(range(0x80)) + bytes(range(0xA0, 0x100))
# A file that is not UTF-8 but holds UTF-8 umlauts, `€` or quotes (`_utf8_letters`) mixes
# encodings (a UTF-8 export with a few Windows-1252 lines pasted in): decided line by line.
MIXED = "utf-8/cp1252"   # its `Encoding.name` and `.transcode`
log = logging.getLogger("leitstand.ingest")


class UnreadableFile(Exception):
    """The file cannot be read as a table; the message says why (shown to a person)."""


@dataclass(frozen=True)
class Encoding:
    """How the bytes are to be decoded.

    `duckdb` is the name DuckDB's reader knows (`utf-8` or `latin-1`); `transcode` is set when
    DuckDB cannot read the bytes itself (Windows-1252 with € „ “ – …, UTF-16) and Python
    re-encodes the file to a temporary UTF-8 copy.
    """

    name: str
    duckdb: str
    transcode: str | None = None
    first_nul: int = -1   # offset of the file's first NUL byte (not UTF-16), -1: none


def hash_and_encoding(path: Path) -> tuple[str, Encoding]:
    """Stream the file once: its SHA-256, its encoding (UTF-8, UTF-8 BOM, cp1252, UTF-16,
    or UTF-8 mixed with cp1252: `MIXED`) and where its first NUL byte is.

    A chunk of plain ASCII (most of an export) is neither decoded nor searched: that is
    valid UTF-8 and holds no byte only Windows-1252 uses (a regex search for those bytes
    took 0.4 s per 300 MB).
    """
    digest = hashlib.sha256()
    decoder = codecs.getincrementaldecoder("utf-8")()
    is_utf8 = True
    has_cp1252_only_bytes = False
    first = b""
    first_nul, offset = -1, 0
    has_utf8_char, tail = False, b""   # tail: the end of the chunk before (a split char)
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            if not first:
                first = chunk[:4]
            digest.update(chunk)
            if first_nul < 0 and (at := chunk.find(b"\x00")) >= 0:
                first_nul = offset + at
            offset += len(chunk)
            before, tail = tail, chunk[-3:]
            if chunk.isascii() and not decoder.getstate()[0]:
                continue
            if is_utf8:
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError:
                    is_utf8 = False
            if not has_utf8_char:
                seam = before + chunk[:3]   # a character split between the chunks
                has_utf8_char = _utf8_letters(chunk) or _utf8_letters(seam)
            if not has_cp1252_only_bytes and chunk.translate(None, _NOT_CP1252_ONLY):
                has_cp1252_only_bytes = True
    if is_utf8:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            is_utf8 = False
    file_hash = digest.hexdigest()
    if first.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return file_hash, Encoding("utf-16", "utf-8", transcode="utf-16")
    if first.startswith(codecs.BOM_UTF8):
        return file_hash, Encoding("utf-8-sig", "utf-8", first_nul=first_nul)
    if is_utf8:
        return file_hash, Encoding("utf-8", "utf-8", first_nul=first_nul)
    if has_utf8_char and path.suffix.lower() != ".xlsx":  # a workbook's bytes are a zip
        return file_hash, Encoding(MIXED, "utf-8", transcode=MIXED, first_nul=first_nul)
    if has_cp1252_only_bytes:
        return file_hash, Encoding("cp1252", "utf-8", transcode="cp1252", first_nul=first_nul)
    return file_hash, Encoding("cp1252", "latin-1", first_nul=first_nul)


def _utf8_letters(data: bytes) -> bool:
    """Whether `data` holds a UTF-8 character of Latin-1 (`ä` is C3 A4, `ß` C3 9F) or of
    the punctuation and currency block (`€` E2 82 AC, `„` E2 80 9E): the evidence that a
    file which is not UTF-8 as a whole was written in UTF-8 in part. Other well-formed
    pairs are no evidence: Windows-1252 `Ä–` (C4 96) reads as UTF-8 `Ė`; `Ã`, `Â`, `â`
    that lead these are rare in German text. (Byte searches: 1 ms per 4 MB; a regex took
    190.)"""
    for lead, size in ((b"\xc3", 2), (b"\xc2", 2), (b"\xe2", 3)):
        at = data.find(lead)
        while at >= 0:
            try:
                data[at:at + size].decode("utf-8")
                return True
            except UnicodeDecodeError:
                at = data.find(lead, at + 1)
    return False


def transcode_to_utf8(path: Path, encoding: Encoding, target: Path) -> None:
    """Re-encode a file DuckDB cannot read itself into a UTF-8 copy (chunked, any size).

    Bytes that Windows-1252 leaves undefined (0x81, 0x8D, 0x8F, 0x90, 0x9D) become U+FFFD.
    """
    if encoding.transcode == MIXED:
        _transcode_mixed(path, target)
        return
    decoder = codecs.getincrementaldecoder(encoding.transcode)(errors="replace")
    with path.open("rb") as src, target.open("w", encoding="utf-8", newline="") as dst:
        while chunk := src.read(_CHUNK):
            dst.write(decoder.decode(chunk))
        dst.write(decoder.decode(b"", final=True))


def decode_line(line: bytes) -> tuple[str, bool]:
    """A line of a file of mixed encodings: as UTF-8 where it is valid UTF-8, else as
    Windows-1252 (undefined bytes become U+FFFD); and whether it was the latter."""
    try:
        return line.decode("utf-8"), False
    except UnicodeDecodeError:
        return line.decode("cp1252", errors="replace"), True


def _transcode_mixed(path: Path, target: Path) -> None:
    """A UTF-8 copy of a file that mixes UTF-8 and Windows-1252, decided line by line; the
    log names the lines read as Windows-1252."""
    cp1252_lines = []
    with path.open("rb") as src, target.open("w", encoding="utf-8", newline="") as dst:
        for number, line in enumerate(src, 1):
            text, other = decode_line(line)
            if other:
                cp1252_lines.append(number)
            dst.write(text)
    shown = ", ".join(str(n) for n in cp1252_lines[:10])
    more = f" and {len(cp1252_lines) - 10} more" if len(cp1252_lines) > 10 else ""
    log.warning("%s/%s: mixed encodings — read as UTF-8, except line(s) %s%s, which are not "
                "UTF-8 and were read as Windows-1252 (check their umlauts; save the export "
                "in one encoding)", path.parent.name, path.name, shown, more)


def decode(raw: bytes, encoding: Encoding) -> str:
    """Bytes of the file as text, decoded as `encoding` says (errors replaced)."""
    if encoding.transcode == MIXED:
        return "".join(decode_line(line)[0] for line in raw.splitlines(keepends=True))
    codec = encoding.transcode or ("cp1252" if encoding.duckdb == "latin-1" else "utf-8")
    return raw.decode(codec, errors="replace")


def read_sample_text(path: Path, encoding: Encoding) -> str:
    """The beginning of the file as text (BOM removed), for layout detection."""
    with path.open("rb") as fh:
        raw = fh.read(SAMPLE_BYTES)
    return decode(raw, encoding).lstrip("\ufeff")


def nul_problem(path: Path, encoding: Encoding, layout: CsvLayout, showable: set[int]) -> str:
    """Why a delimited file with a NUL byte (`encoding.first_nul`) is not read: the row,
    the column and the value that hold it (the value only of a `showable` column: never
    one that may be personal), or the NUL padding its end is made of."""
    offset = encoding.first_nul
    with path.open("rb") as fh:
        before = fh.read(offset)
        start = before.rfind(b"\n") + 1
        fh.seek(start)
        raw_line = fh.readline(2 * 1024 * 1024)
        fh.seek(offset)
        padding = True
        while chunk := fh.read(_CHUNK):
            if chunk.strip(b"\x00"):
                padding = False
                break
    lines = before.count(b"\n")   # complete lines before the one with the NUL
    row = lines + 1 - layout.skip_lines
    if padding and not before[start:].strip():
        nuls = path.stat().st_size - offset
        return (f"the file ends in {nuls:,} NUL bytes (\\x00) after row {row - 1}: padding, "
                "not data — save the export again (or cut the padding off)")
    text = decode(raw_line, encoding).replace("\x00", "\\0").rstrip("\r\n")
    cells = next(csv.reader([text], delimiter=layout.delimiter), [])
    column = next((i for i, v in enumerate(cells) if "\\0" in v), None)
    if column is None or column >= len(layout.headers):
        where = f"row {row}"
    elif column not in showable:
        where = f"row {row}, column '{layout.headers[column].strip()}'"
    else:
        where = (f"row {row}, column '{layout.headers[column].strip()}': the value "
                 f"'{cells[column][:40]}'")
    return (f"{where} holds a NUL byte (\\x00, shown as \\0) — the export is damaged "
            "or padded; remove the NUL bytes (save the file again as text)")


@dataclass(frozen=True)
class CsvLayout:
    """Where the table is inside a delimited file."""

    delimiter: str
    skip_lines: int          # physical lines before the first data row (preamble + header)
    headers: list[str]
    sample: tuple[tuple[str, ...], ...] = ()   # the first data records (for the date vote)
    period: tuple[str, str] | None = None      # the period a DATEV header line names
    extra_header_rows: int = 0                 # header rows below the header (Qualtrics)


def _records(text: str, delimiter: str, limit: int) -> list[tuple[list[str], int]]:
    """The first records with the physical line count consumed after each one."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, quotechar='"',
                        doublequote=True, strict=False)
    out: list[tuple[list[str], int]] = []
    try:
        for row in reader:
            out.append((row, reader.line_num))
            if len(out) >= limit:
                break
    except csv.Error:
        pass
    return out


# A cell that only a data row holds: a date (`31.12.2025`, `2025-12-31`, `7/1/24 22:05`,
# `12/Jun/26`) or a number (`1.234,50`, `-12`, `45 %`).
_DATE_CELL = re.compile(r"\d{1,4}[./-]\d{1,2}[./-]\d{1,4}([ T,].*)?"
                        r"|\d{1,2}[/ -][A-Za-z]{3}[/ -]\d{2,4}.*|\d{4}-\d{2}-\d{2}T.*")
_NUMBER_CELL = re.compile(r"[-+(]?[€$]?\s?\d[\d.,' ]*\s?(%|€)?[-)]?")
SAMPLE_RECORDS = 200
EXTRA_HEADER_ROWS = 5


def looks_like_data(row: list[str]) -> bool:
    """Whether a row is a data row rather than a header: it holds a date, or more numbers
    than other cells (a header of a real export is words)."""
    cells = [v.strip() for v in row if v and v.strip()]
    if not cells:
        return True
    if any(_DATE_CELL.fullmatch(v) for v in cells):
        return True
    numbers = sum(1 for v in cells if _NUMBER_CELL.fullmatch(v))
    return numbers * 2 > len(cells)


def is_text_not_date(cell: str) -> bool:
    """A date field's cell in an extra header row (Qualtrics writes the question text and
    an `{"ImportId": ...}` row below the header): text that cannot be a date."""
    v = cell.strip()
    return bool(v) and (v.startswith("{") or not any(ch.isdigit() for ch in v))


def date_field_column(c: Contract, match) -> int | None:
    """The column whose cells tell extra header rows from data: for surveys
    `submitted_at`, else the contract's first required date field found in the file."""
    wanted = ["submitted_at"] if c.is_survey else [
        f.name for f in c.fields if f.type in ("date", "datetime") and f.required]
    for name in wanted:
        if name in match.columns:
            return match.columns[name]
    return None


def extra_header_rows(c: Contract, match, rows: list[list[str]]) -> int:
    """How many of `rows` (those right below the header) are further header rows."""
    column = date_field_column(c, match)
    if column is None:
        return 0
    extra = 0
    for row in rows[:EXTRA_HEADER_ROWS]:
        cell = row[column] if column < len(row) else ""
        if not is_text_not_date(cell) or looks_like_data(row):
            break
        extra += 1
    return extra


def datev_period(row: list[str]) -> tuple[str, str] | None:
    """The period (first and last day, ISO) a DATEV header line names (`EXTF;700;21;
    Buchungsstapel;…` — fields 15 and 16 are `Datum vom` and `Datum bis`), else None."""
    if not row or row[0].strip().strip('"') not in ("EXTF", "DTVF") or len(row) < 16:
        return None
    first, last = row[14].strip(), row[15].strip()
    if not (re.fullmatch(r"\d{8}", first) and re.fullmatch(r"\d{8}", last)):
        return None
    return (f"{first[:4]}-{first[4:6]}-{first[6:]}", f"{last[:4]}-{last[4:6]}-{last[6:]}")


def detect_layout(text: str, c: Contract, mapping: FileMapping = NO_MAPPING,
                  catalog: dict[str, str] | None = None) -> CsvLayout:
    """Delimiter and header row: the combination under which most headers match the contract
    (its aliases, the file's `column_map.csv` rows and, for surveys, the question catalog).

    An Excel `sep=;` first line is honoured. Title lines above the header (SAP list exports,
    DATEV's header line) are skipped when a later row matches better; a row that looks like
    data (dates, mostly numbers) is never taken for the header. Extra header rows below it
    (Qualtrics) are skipped too (`extra_header_rows`).
    """
    if not text.strip():
        raise UnreadableFile("the file is empty")
    preamble = 0
    forced: tuple[str, ...] = DELIMITERS
    first_line = text.splitlines()[0] if text else ""
    m = re.fullmatch(r"\s*sep=(.)\s*", first_line, flags=re.IGNORECASE)
    if m:
        forced = (m.group(1),)
        text = text.split("\n", 1)[1] if "\n" in text else ""
        preamble = 1
    best: tuple[int, int, int] | None = None   # (matches, -row, delimiter rank)
    chosen: tuple[str, int, list] | None = None
    for rank, delimiter in enumerate(forced):
        records = _records(text, delimiter, HEADER_SEARCH_ROWS)
        for index, (row, _) in enumerate(records):
            if (len(row) < 2 and len(forced) > 1) or looks_like_data(row):
                continue
            match = match_headers(c, row, mapping, catalog)
            score = (len(match.columns) + len(match.questions), -index, -rank)
            if best is None or score > best:
                best, chosen = score, (delimiter, index, row)
    if chosen is None or best is None or best[0] == 0:
        chosen = _fallback_header(text, forced)
    delimiter, index, row = chosen
    records = _records(text, delimiter, index + 1 + EXTRA_HEADER_ROWS + SAMPLE_RECORDS)
    match = match_headers(c, row, mapping, catalog)
    below = [r for r, _ in records[index + 1:]]
    extra = extra_header_rows(c, match, below)
    last = index + extra
    lines = records[last][1] if last < len(records) else records[-1][1]
    period = next((p for r, _ in records[:index] if (p := datev_period(r))), None)
    sample = tuple(tuple(r) for r, _ in records[last + 1:])
    return CsvLayout(delimiter, preamble + lines, row, sample, period, extra)


def _fallback_header(text: str, candidates: tuple[str, ...]) -> tuple[str, int, list]:
    """No header matched: the delimiter that splits the first line most, and the first row
    that does not look like data. Without one the file has no header at all."""
    first = text.splitlines()[0] if text.strip() else ""
    delimiter = max(candidates, key=lambda d: (first.count(d), -candidates.index(d)))
    records = _records(text, delimiter, HEADER_SEARCH_ROWS)
    if not records:
        raise UnreadableFile("no header row found")
    for index, (row, _) in enumerate(records):
        if not looks_like_data(row):
            return delimiter, index, row
    shown = delimiter.join(records[0][0])[:80]
    raise UnreadableFile(f"no header row found: the first rows hold data ('{shown}') — "
                         "export the file with its column headers")
