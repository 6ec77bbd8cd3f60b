"""Read the new or changed export files of one source and store their rows, several at once.

Files are queued (`add`) and read when the queue holds `READ_BYTES`: the files of one
layout (delimiter, header row, headers, encoding) by one `read_csv`, which reads them on
both cores (a daily or monthly export of a few MB is read by one), the others alone (a
workbook, a file of its own layout). A read that fails is repeated file by file, so a file
that cannot be read is rejected alone. The files read are staged: a view (`_staged`) of
their rows in the reads' tables, which are kept until their files are stored. The staged
files are then typed, checked for duplicates and stored together, in one transaction with
their registry entries. Most of a small file's cost is planning the statements that type
it (~15 ms each, whatever the rows), so a source of 24 daily exports pays that once
instead of 24 times; a batch is stored once it holds `BATCH_ROWS` rows, so a large export
is still typed on its own and the temp tables stay the size of a read or two.

Survey exports are wide (one column per question) and are parsed and stored one by one.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from dataclasses import dataclass, replace
from pathlib import Path

import duckdb

from dagster_project.ingest.contracts import (
    Contract,
    Field,
    FileMapping,
    HeaderMatch,
    closest_headers,
    match_headers,
)
from dagster_project.ingest.mapping import NUMBER_FORMATS, SourceRules
from dagster_project.ingest.parse import (
    FileReading,
    ParseRules,
    drop_staged,
    parse_cells,
    stage_view,
    staged_rows,
)
from dagster_project.ingest.reader import (
    Planned,
    ReadFile,
    number_rows,
    plan_file,
    read_files,
)
from dagster_project.ingest.sniff import Encoding, UnreadableFile
from dagster_project.ingest.store import (
    Registered,
    forget_files,
    references_state,
    register_file,
    store_parsed,
    transaction,
)
from dagster_project.ingest.survey import (
    add_response_ids,
    build_survey_parsed,
    question_catalog,
    skip_incomplete,
)

log = logging.getLogger("leitstand.ingest")

# Data rows staged before the batch is typed and stored: the sample's daily exports
# (≈2 k rows) share one batch per source; a monthly export at scale 480 (≈1 M order
# lines) fills one by itself, as when every file was typed alone.
BATCH_ROWS = 1_000_000
# Bytes of queued files read at once: at scale 480 three monthly order exports, or a year
# of monthly CRM exports (~100 MB of text cells in memory).
READ_BYTES = 96 * 1024 * 1024


class Rejected(Exception):
    """A file-level problem: the file is not loaded, the message says why."""


@dataclass
class _Queued:
    """A file to be read (`FileBatch.add`)."""

    path: Path
    file_hash: str
    encoding: Encoding
    stat: os.stat_result
    allow_no_rows: bool
    utf8_copy: Path | None  # the file in UTF-8, made by the loader (loader.py); removed once read


@dataclass
class _Staged:
    """A file read and waiting in `_staged` (or, for a survey, in `_parsed`) to be stored."""

    path: Path
    file_hash: str
    stat: os.stat_result
    read: ReadFile
    reading: FileReading   # how its columns are read (decimal separator, formats, ...)
    dropped: list[str]     # personal identifier columns not read
    ignored: list[str]     # columns not in the contract
    constants: dict[str, str]  # field -> the value every row gets (column_map.csv)
    skipped: int = 0       # incomplete survey responses, usage rows without a date
    rows: int = 0          # data rows, known once parsed
    duplicates: int = 0
    folded: int = 0        # lines folded into the record above them

    @property
    def convention(self) -> str:
        return self.reading.decimal


def _missing_message(c: Contract, match: HeaderMatch, headers: list[str]) -> str:
    """Why a file lacks required fields, what would have been accepted, and what to map."""
    parts = []
    for f in match.missing:
        text = f"required column '{f.name}' missing — accepted headers: {', '.join(f.headers)}"
        row = next((r for r in match.unmapped if r.field == f.name), None)
        if row is not None:
            text += f"; {row.where()} maps it to '{row.header}', which this file does not have"
        claimed = match.claimed
        close = closest_headers(f, [h for i, h in enumerate(headers) if i not in claimed])
        if close:
            text += (" — closest in the file: " + ", ".join(f"'{h}'" for h in close)
                     + f" (map one in config/column_map.csv: {c.name};;{f.name};{close[0]};;)")
        parts.append(text)
    return "; ".join(parts)


def file_reading(c: Contract, read: ReadFile, match: HeaderMatch,
                 mapping: FileMapping) -> FileReading:
    """How a file's columns are read: its default decimal separator, the formats its
    mapping gives, the date columns whose first values hold a `/` (their day/month order
    is decided from all their values), the period it names."""
    forced: dict[str, str] = {}
    rows: dict[str, str] = {}
    for r in mapping.rows:
        if r.format and r.field in match.columns | match.constants:
            forced[r.field] = NUMBER_FORMATS.get(r.format) or f"fmt:{r.format}"
            rows[r.field] = r.where()
    votes = []
    for f in c.fields:
        col = match.columns.get(f.name)
        if f.type in ("date", "datetime") and col is not None and f.name not in forced \
                and any(col < len(row) and "/" in row[col] for row in read.sample):
            votes.append(f.name)
    labels = {name: read.headers[i].strip() for name, i in match.columns.items()}
    return FileReading(_file_convention(read.delimiter, match.language), forced=forced,
                       vote_dates=tuple(votes), period=read.period, labels=labels, rows=rows)


def _file_convention(delimiter: str, language: str) -> str:
    """Decimal separator a file uses by convention: `;` or German headers mean comma."""
    return "," if delimiter == ";" or language == "de" else "."


def _by_layout(planned: list[tuple[_Queued, Planned]],
               together: bool) -> list[list[tuple[_Queued, Planned]]]:
    """The planned files in the groups they are read in: one per layout, in the order of
    their first file (`together`), else one per file; a workbook alone."""
    groups: dict[object, list[tuple[_Queued, Planned]]] = {}
    for i, (q, p) in enumerate(planned):
        key = p.same_layout() if together else None
        groups.setdefault(("alone", i) if key is None else key, []).append((q, p))
    return list(groups.values())


class FileBatch:
    """Files of one source on their way into `raw_files.<source>` and the registry.

    `rejected`: file name → why it was not loaded, for the files added so far.
    """

    def __init__(self, con: duckdb.DuckDBPyConnection, c: Contract, context: str,
                 load_id: str, loaded_at: dt.datetime, rules: SourceRules | None = None) -> None:
        self.con, self.c, self.context = con, c, context
        self.load_id, self.loaded_at = load_id, loaded_at
        self.rules = rules or SourceRules(c.name)
        self.parse_rules = ParseRules(self.rules.values, self.rules.rates,
                                      self.rules.line_items)
        self.queued: list[_Queued] = []
        self.queued_bytes = 0
        self.staged: list[_Staged] = []
        self.staged_rows = 0
        # the staged files' rows: (read table, `staged_rows` SELECT) per part
        self.parts: list[tuple[str, str]] = []
        self.reads: list[str] = []       # read tables kept (`_read<k>`, see `_read_and_stage`)
        self.reading: str | None = None  # the read being staged
        self.read_count = 0
        self.lookups: dict[str, list[Field]] = {}  # see `parse.lookup_fields`
        self.rejected: dict[str, str] = {}

    def add(self, path: Path, file_hash: str, encoding: Encoding, stat: os.stat_result,
            allow_no_rows: bool, utf8_copy: Path | None = None) -> None:
        """Queue `path`; read the queue once it holds `READ_BYTES` (see `flush`)."""
        self.queued.append(_Queued(path, file_hash, encoding, stat, allow_no_rows, utf8_copy))
        self.queued_bytes += stat.st_size
        if self.queued_bytes >= READ_BYTES:
            self._read_queued()

    def flush(self) -> None:
        """Read the queued files, type the staged ones together and store them."""
        self._read_queued()
        self._store_staged()

    def _read_queued(self) -> None:
        """Read the queued files (outside a transaction: a failed read must not abort one)
        and stage them; note the files rejected."""
        queued, self.queued, self.queued_bytes = self.queued, [], 0
        planned = []
        for q in queued:
            try:
                planned.append((q, plan_file(q.path, q.encoding, self.c, q.utf8_copy,
                                             self.rules.for_file(q.path.name),
                                             self.rules.catalog if self.c.is_survey else None)))
            except UnreadableFile as exc:
                self.rejected[q.path.name] = str(exc)
        for group in _by_layout(planned, together=not self.c.is_survey):
            try:
                self._read_and_stage(group)
            except UnreadableFile as exc:
                if len(group) == 1:
                    self.rejected[group[0][0].path.name] = str(exc)
                    continue
                for one in group:  # read one by one: the file at fault is rejected alone
                    try:
                        self._read_and_stage([one])
                    except UnreadableFile as exc:
                        self.rejected[one[0].path.name] = str(exc)
            finally:
                self.con.execute("drop table if exists _read; drop table if exists _in; "
                                 "drop table if exists _parsed; "
                                 "drop table if exists _row_problems")
                self.reading = None
                self._drop_unused_reads()
                for q, _ in group:
                    if q.utf8_copy:
                        q.utf8_copy.unlink(missing_ok=True)

    def _read_and_stage(self, group: list[tuple[_Queued, Planned]]) -> None:
        """Read the files of `group` (one layout) into `_read` and stage those acceptable;
        type and store the batch whenever it holds `BATCH_ROWS` rows."""
        con, c = self.con, self.c
        reads = read_files(con, [p for _, p in group], c)
        if not c.is_survey:
            # named apart: its files may wait in `_staged` while the next read is made
            self.reading = f"_read{self.read_count}"
            self.read_count += 1
            con.execute(f"alter table _read rename to {self.reading}")
            self.reads.append(self.reading)
        headers = reads[0].headers
        mapping = group[0][1].mapping
        match = match_headers(c, headers, mapping, group[0][1].catalog)
        # a survey export without a response id gets one (survey.add_response_ids)
        missing = [f for f in match.missing if not (c.is_survey and f.name == "response_id")]
        ready: list[tuple[int, _Staged]] = []   # files of the group to stage next
        ready_rows = 0
        for n, ((q, _), read) in enumerate(zip(group, reads, strict=True)):
            if match.conflicts:
                self.rejected[q.path.name] = "; ".join(match.conflicts)
                continue
            if missing:
                self.rejected[q.path.name] = _missing_message(
                    c, replace(match, missing=missing), headers)
                continue
            if read.rows == 0 and not q.allow_no_rows:
                self.rejected[q.path.name] = ("the file has a header but no data rows — "
                                              "export it with data or remove it from the folder")
                continue
            for row in match.unmapped:
                log.warning("%s/%s: %s maps %s to '%s', which this file does not have",
                            c.name, q.path.name, row.where(), row.field, row.header)
            staged = _Staged(q.path, q.file_hash, q.stat, read,
                             file_reading(c, read, match, mapping),
                             dropped=[h for _, h in match.personal],
                             ignored=[h for _, h in match.ignored],
                             constants=dict(match.constants))
            if c.is_survey:  # read alone (`_by_layout`)
                number_rows(con, read)
                try:
                    self._parse_survey(staged, match)
                except Rejected as exc:
                    self.rejected[q.path.name] = str(exc)
                    continue
                self._store([staged])
                continue
            ready.append((n, staged))
            ready_rows += read.rows
            if self.staged_rows + ready_rows >= BATCH_ROWS:
                self._stage_files(ready, match, len(headers))
                ready, ready_rows = [], 0
                self._store_staged()
        if ready:
            self._stage_files(ready, match, len(headers))

    def _stage_files(self, ready: list[tuple[int, _Staged]], match: HeaderMatch,
                     n_cells: int) -> None:
        """Add the files `ready` (their `_n` in the read being staged, same headers) to the
        batch's parts (see `parse.staged_rows`)."""
        assert self.reading is not None
        numbers = {n: len(self.staged) + i for i, (n, _) in enumerate(ready)}
        file = "case _n " + " ".join(f"when {n} then {k}" for n, k in numbers.items()) + " end"
        first = "case _n " + " ".join(f"when {n} then {s.read.first_rowid}"
                                      for n, s in ready) + " end"
        source = int(self.reading.removeprefix("_read"))
        self.parts.append((self.reading, staged_rows(
            self.c, match.columns, n_cells, file=file, row_number=f"rowid - {first} + 1",
            table=self.reading, where=f"_n in ({', '.join(str(n) for n in numbers)})",
            constants=match.constants, source=source)))
        for _, s in ready:
            s.reading = replace(s.reading, origin=(source, s.read.first_rowid))
            self.staged.append(s)
            self.staged_rows += s.read.rows

    def _store_staged(self) -> None:
        """Type the staged files together and store them."""
        if not self.staged:
            return
        try:
            stage_view(self.con, [select for _, select in self.parts])
            outcomes = parse_cells(self.con, self.c,
                                   {i: s.reading for i, s in enumerate(self.staged)},
                                   self.lookups, self.parse_rules)
            good: dict[int, _Staged] = {}
            for i, s in enumerate(self.staged):
                outcome = outcomes[i]
                if outcome.rejected:
                    self.rejected[s.path.name] = outcome.rejected
                    continue
                s.rows, s.duplicates = outcome.rows, outcome.duplicates_collapsed
                s.skipped, s.folded = outcome.skipped, outcome.folded
                good[i] = s
            if good:
                self._store(good)
        finally:
            drop_staged(self.con)
            self.con.execute("drop table if exists _parsed; drop table if exists _row_problems")
            self.staged, self.staged_rows, self.parts = [], 0, []
            self._drop_unused_reads()

    def _drop_unused_reads(self) -> None:
        """Drop the read tables that neither a staged file nor the read being staged needs."""
        needed = {table for table, _ in self.parts} | {self.reading}
        for table in [t for t in self.reads if t not in needed]:
            self.con.execute(f"drop table {table}")
            self.reads.remove(table)

    def _parse_survey(self, s: _Staged, match: HeaderMatch) -> None:
        """`_parsed` from `_in` for one survey export (file number 0)."""
        con, read = self.con, s.read
        catalog = {q.question_id: q for q in question_catalog(con)}
        questions = {i: catalog[qid] for i, qid in match.questions.items() if qid in catalog}
        if not questions:
            raise Rejected(
                "no answer columns: no header is a question_id of "
                "config/survey_questions.csv (e.g. 'Q01' or 'Q01 [question text]'), and "
                "config/column_map.csv maps none to one")
        columns = dict(match.columns)
        n_cells = len(read.headers)
        if "submitted_at" in columns:
            # a constant date (LimeSurvey's anonymised `1980-01-01`) still leaves out the
            # responses whose own date column is empty: they are incomplete
            s.skipped = skip_incomplete(con, f"c{columns['submitted_at']}")
            if "submitted_at" in match.constants:
                del columns["submitted_at"]
        if "response_id" not in columns and "response_id" not in match.constants:
            add_response_ids(con, f"c{n_cells}")
            columns["response_id"] = n_cells
            n_cells += 1
        rows, s.duplicates = build_survey_parsed(
            con, self.c, columns, n_cells, questions, s.reading, match.constants,
            self.parse_rules)
        s.rows = rows + s.skipped

    def _store(self, staged: dict[int, _Staged] | list[_Staged]) -> None:
        """Replace the files' stored rows (`_parsed`, by file number: the key of `staged`)
        and registry entries."""
        con, c = self.con, self.c
        if isinstance(staged, list):
            staged = dict(enumerate(staged))
        entries = {i: Registered(s.path.name, s.file_hash, self.context, s.rows, s.skipped,
                                 s.duplicates, s.dropped, s.stat.st_size, s.stat.st_mtime_ns,
                                 rows_folded=s.folded)
                   for i, s in staged.items()}

        def replace_files() -> None:
            forget_files(con, c.name, [e.file_name for e in entries.values()])
            # the state of the tables the rows are checked against as they are stored
            checked_against = None if c.is_survey else references_state(con, c, self.context)
            store_parsed(con, c, {i: e.file_name for i, e in entries.items()})
            for i, entry in entries.items():
                s = staged[i]
                register_file(con, c.name, replace(entry, checked_against=checked_against),
                              self.load_id, self.loaded_at, s.read.encoding, s.read.delimiter)

        transaction(con, replace_files)
        for s in staged.values():
            _log_file(c, s)


def _log_file(c: Contract, s: _Staged) -> None:
    name, read = s.path.name, s.read
    delimiter = {"\t": "tab", "": "-"}.get(read.delimiter, read.delimiter)
    skipped = ("incomplete responses" if c.is_survey else "rows without "
               + ", ".join(f.name for f in c.fields if f.skip_if_empty))
    log.info("%s/%s: read %d rows (%s, delimiter %s, decimal %s)%s%s%s%s", c.name, name,
             s.rows, read.encoding, delimiter, s.convention,
             f", {read.extra_header_rows} extra header rows skipped"
             if read.extra_header_rows else "",
             f", {s.skipped} {skipped} skipped" if s.skipped else "",
             f", {s.duplicates} exact duplicate rows collapsed" if s.duplicates else "",
             f", {s.folded} line items folded into their records" if s.folded else "")
    if s.dropped:
        log.warning("%s/%s: not stored, as they look like personal identifiers: %s", c.name,
                    name, ", ".join(s.dropped))
    if s.ignored:
        log.info("%s/%s: ignored columns not in the contract: %s", c.name, name,
                 ", ".join(s.ignored))
