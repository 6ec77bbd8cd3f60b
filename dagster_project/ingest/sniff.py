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
import re
from dataclasses import dataclass
from pathlib import Path

from dagster_project.ingest.contracts import Contract, match_headers

DELIMITERS = (";", ",", "\t", "|")
SAMPLE_BYTES = 256 * 1024
HEADER_SEARCH_ROWS = 10
_CHUNK = 4 * 1024 * 1024
# Every byte but 0x80-0x9F, the bytes only Windows-1252 gives a character (€ „ “ – …):
# `chunk.translate(None, _NOT_CP1252_ONLY)` keeps just those.
_NOT_CP1252_ONLY = bytes(range(0x80)) + bytes(range(0xA0, 0x100))


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


def hash_and_encoding(path: Path) -> tuple[str, Encoding]:
    """Stream the file once: its SHA-256 and its encoding (UTF-8, UTF-8 BOM, cp1252, UTF-16).

    A chunk of plain ASCII (most of an export) is neither decoded nor searched: that is
    valid UTF-8 and holds no byte only Windows-1252 uses (a regex search for those bytes
    took 0.4 s per 300 MB).
    """
    digest = hashlib.sha256()
    decoder = codecs.getincrementaldecoder("utf-8")()
    is_utf8 = True
    has_cp1252_only_bytes = False
    first = b""
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            if not first:
                first = chunk[:4]
            digest.update(chunk)
            if chunk.isascii() and not decoder.getstate()[0]:
                continue
            if is_utf8:
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError:
                    is_utf8 = False
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
        return file_hash, Encoding("utf-8-sig", "utf-8")
    if is_utf8:
        return file_hash, Encoding("utf-8", "utf-8")
    if has_cp1252_only_bytes:
        return file_hash, Encoding("cp1252", "utf-8", transcode="cp1252")
    return file_hash, Encoding("cp1252", "latin-1")


def transcode_to_utf8(path: Path, encoding: Encoding, target: Path) -> None:
    """Re-encode a file DuckDB cannot read itself into a UTF-8 copy (chunked, any size).

    Bytes that Windows-1252 leaves undefined (0x81, 0x8D, 0x8F, 0x90, 0x9D) become U+FFFD.
    """
    decoder = codecs.getincrementaldecoder(encoding.transcode)(errors="replace")
    with path.open("rb") as src, target.open("w", encoding="utf-8", newline="") as dst:
        while chunk := src.read(_CHUNK):
            dst.write(decoder.decode(chunk))
        dst.write(decoder.decode(b"", final=True))


def read_sample_text(path: Path, encoding: Encoding) -> str:
    """The beginning of the file as text (BOM removed), for layout detection."""
    with path.open("rb") as fh:
        raw = fh.read(SAMPLE_BYTES)
    codec = encoding.transcode or ("latin-1" if encoding.duckdb == "latin-1" else "utf-8")
    if codec == "latin-1":
        codec = "cp1252"
    text = raw.decode(codec, errors="replace")
    return text.lstrip("\ufeff")


@dataclass(frozen=True)
class CsvLayout:
    """Where the table is inside a delimited file."""

    delimiter: str
    skip_lines: int          # physical lines before the first data row (preamble + header)
    headers: list[str]


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


def detect_layout(text: str, c: Contract) -> CsvLayout:
    """Delimiter and header row: the combination under which most headers match the contract.

    An Excel `sep=;` first line is honoured. Title lines above the header (SAP list exports)
    are skipped when a later row matches the contract better.
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
    best_layout: CsvLayout | None = None
    for rank, delimiter in enumerate(forced):
        for index, (row, lines_after) in enumerate(_records(text, delimiter, HEADER_SEARCH_ROWS)):
            if len(row) < 2 and len(forced) > 1:
                continue
            score = (len(match_headers(c, row).columns), -index, -rank)
            if best is None or score > best:
                best = score
                best_layout = CsvLayout(delimiter, preamble + lines_after, row)
    if best_layout is None or best is None or best[0] == 0:
        return _fallback_layout(text, forced, preamble)
    return best_layout


def _fallback_layout(text: str, candidates: tuple[str, ...], preamble: int) -> CsvLayout:
    """No header matched: take the delimiter that splits the first line most, header row 0."""
    first = text.splitlines()[0] if text.strip() else ""
    delimiter = max(candidates, key=lambda d: (first.count(d), -candidates.index(d)))
    records = _records(text, delimiter, 1)
    if not records:
        raise UnreadableFile("no header row found")
    row, lines = records[0]
    return CsvLayout(delimiter, preamble + lines, row)
