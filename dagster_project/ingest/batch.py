"""Read the new or changed export files of one source and store their rows, several at once.

Each file is read on its own (its layout, encoding and header are its own, and a file
that cannot be read is rejected alone) and its text cells are staged; the staged files are
then typed, checked for duplicates and stored together, in one transaction with their
registry entries. Most of a small file's cost is planning the statements that type it
(~15 ms each, whatever the rows), so a source of 24 daily exports pays that once instead
of 24 times; a batch is stored once it holds `BATCH_ROWS` rows, so a large export is still
typed on its own and the temp tables stay the size of one export.

Survey exports are wide (one column per question) and are parsed and stored one by one.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from dataclasses import dataclass, replace
from pathlib import Path

import duckdb

from dagster_project.ingest.contracts import Contract, match_headers
from dagster_project.ingest.parse import parse_cells, stage_cells
from dagster_project.ingest.reader import ReadFile, number_rows, read_file
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
    build_survey_parsed,
    question_catalog,
    question_columns,
    skip_incomplete,
)

log = logging.getLogger("leitstand.ingest")

# Data rows staged before the batch is typed and stored: the sample's daily exports
# (≈2 k rows) share one batch per source; a monthly export at scale 480 (≈1 M order
# lines) fills one by itself, as when every file was typed alone.
BATCH_ROWS = 1_000_000


class Rejected(Exception):
    """A file-level problem: the file is not loaded, the message says why."""


@dataclass
class _Staged:
    """A file read and waiting in `_staged` (or, for a survey, in `_parsed`) to be stored."""

    path: Path
    file_hash: str
    stat: os.stat_result
    read: ReadFile
    convention: str        # the file's decimal separator by default
    dropped: list[str]     # personal identifier columns not read
    ignored: list[str]     # columns not in the contract
    skipped: int = 0       # incomplete survey responses
    rows: int = 0          # data rows, known once parsed
    duplicates: int = 0


def _missing_message(missing) -> str:
    return "; ".join(
        f"required column '{f.name}' missing — accepted headers: {', '.join(f.headers)}"
        for f in missing
    )


def _file_convention(delimiter: str, language: str) -> str:
    """Decimal separator a file uses by convention: `;` or German headers mean comma."""
    return "," if delimiter == ";" or language == "de" else "."


class FileBatch:
    """Files of one source on their way into `raw_files.<source>` and the registry."""

    def __init__(self, con: duckdb.DuckDBPyConnection, c: Contract, context: str,
                 load_id: str, loaded_at: dt.datetime) -> None:
        self.con, self.c, self.context = con, c, context
        self.load_id, self.loaded_at = load_id, loaded_at
        self.staged: list[_Staged] = []
        self.staged_rows = 0

    def add(self, path: Path, file_hash: str, encoding: Encoding, stat: os.stat_result,
            allow_no_rows: bool) -> None:
        """Read `path` and stage it; raise `Rejected` for a file-level problem.

        Reading happens outside a transaction (a failed read must not abort one). A survey
        file is stored at once; other files once the batch is full or `flush` is called.
        """
        con, c = self.con, self.c
        try:
            read = read_file(con, path, encoding, c)
        except UnreadableFile as exc:
            raise Rejected(str(exc)) from exc
        try:
            match = match_headers(c, read.headers)
            if match.missing:
                raise Rejected(_missing_message(match.missing))
            if read.rows == 0 and not allow_no_rows:
                raise Rejected("the file has a header but no data rows — export it with data "
                               "or remove it from the folder")
            staged = _Staged(path, file_hash, stat, read,
                             _file_convention(read.delimiter, match.language),
                             dropped=[h for _, h in match.personal],
                             ignored=[h for _, h in match.ignored])
            if c.is_survey:
                number_rows(con)
                self._parse_survey(staged, match)
                self._store([staged])
                return
            stage_cells(con, c, match.columns, len(read.headers), len(self.staged),
                        first=not self.staged)
        finally:
            con.execute("drop table if exists _read; drop table if exists _in; "
                        "drop table if exists _parsed")
        self.staged.append(staged)
        self.staged_rows += read.rows
        if self.staged_rows >= BATCH_ROWS:
            self.flush()

    def flush(self) -> None:
        """Type the staged files together and store them."""
        if not self.staged:
            return
        try:
            outcomes = parse_cells(self.con, self.c,
                                   {i: s.convention for i, s in enumerate(self.staged)})
            for i, s in enumerate(self.staged):
                s.rows, s.duplicates = outcomes[i].rows, outcomes[i].duplicates_collapsed
            self._store(self.staged)
        finally:
            self.con.execute("drop table if exists _staged; "
                             "drop table if exists _parsed")
            self.staged, self.staged_rows = [], 0

    def _parse_survey(self, s: _Staged, match) -> None:
        """`_parsed` from `_in` for one survey export (file number 0)."""
        con, read = self.con, s.read
        questions = question_columns(read.headers, question_catalog(con),
                                     set(match.columns.values()))
        if not questions:
            raise Rejected(
                "no answer columns: no header is a question_id of "
                "config/survey_questions.csv (e.g. 'Q01' or 'Q01 [question text]')")
        s.ignored = [read.headers[i] for i, _ in match.ignored if i not in questions]
        s.skipped = skip_incomplete(con, f"c{match.columns['submitted_at']}")
        rows, s.duplicates = build_survey_parsed(
            con, self.c, match.columns, len(read.headers), questions, s.convention)
        s.rows = rows + s.skipped

    def _store(self, staged: list[_Staged]) -> None:
        """Replace the files' stored rows (`_parsed`, by file number) and registry entries."""
        con, c = self.con, self.c
        entries = [Registered(s.path.name, s.file_hash, self.context, s.rows, s.skipped,
                              s.duplicates, s.dropped, s.stat.st_size, s.stat.st_mtime_ns)
                   for s in staged]

        def replace_files() -> None:
            forget_files(con, c.name, [e.file_name for e in entries])
            # the state of the tables the rows are checked against as they are stored
            checked_against = None if c.is_survey else references_state(con, c, self.context)
            store_parsed(con, c, {i: e.file_name for i, e in enumerate(entries)})
            for s, entry in zip(staged, entries, strict=True):
                register_file(con, c.name, replace(entry, checked_against=checked_against),
                              self.load_id, self.loaded_at, s.read.encoding, s.read.delimiter)

        transaction(con, replace_files)
        for s in staged:
            _log_file(c, s)


def _log_file(c: Contract, s: _Staged) -> None:
    name, read = s.path.name, s.read
    delimiter = {"\t": "tab", "": "-"}.get(read.delimiter, read.delimiter)
    log.info("%s/%s: read %d rows (%s, delimiter %s, decimal %s)%s%s", c.name, name, s.rows,
             read.encoding, delimiter, s.convention,
             f", {s.skipped} incomplete responses skipped" if s.skipped else "",
             f", {s.duplicates} exact duplicate rows collapsed" if s.duplicates else "")
    if s.dropped:
        log.warning("%s/%s: dropped personal identifier columns: %s", c.name, name,
                    ", ".join(s.dropped))
    if s.ignored:
        log.info("%s/%s: ignored columns not in the contract: %s", c.name, name,
                 ", ".join(s.ignored))
