"""Read-only queries on the published database (`leitstand query "SQL" [--csv]`).

What is allowed — decided here, checked before anything runs:

- reading statements: `select`, `with`, `from …`, `values`, `show`, `describe`, `summarize`,
  `pivot`/`unpivot`, `explain` (also `explain analyze` of a reading statement), and the
  read-only pragmas in `READ_ONLY_PRAGMAS` (`pragma show_tables`, `pragma table_info(…)`);
- everything else is refused with a message naming the statement: writes (`insert`,
  `update`, `delete`, `create`, `drop`, `alter`, …), `copy … to` / `export database` (they
  write files), `attach` / `detach` / `use` (other databases), `install` / `load`
  (extensions, network), `set` / `reset` (settings), `call`, transactions, `prepare` /
  `execute`, `vacuum`, `checkpoint`.

Behind that check the connection itself cannot write either, whatever slips through: the
published file is opened `read_only`, with `enable_external_access = false` (no file or
network access besides the database: no `read_csv('…')`, no `copy`), extension auto-install
and auto-load off, and the configuration locked so a statement cannot switch any of it back.

Bounded, so a query cannot hang the machine or end in a traceback: it is stopped after
`timeout` seconds (default 60, `--timeout`), DuckDB works within the memory limit of the
pipeline's connections (`LEITSTAND_DUCKDB_MEMORY_LIMIT`, default 2GB), and at most
`max_rows` rows (default 10,000 as a table, 1,000,000 as CSV; `--max-rows`) are fetched
and printed, with a note when there are more. Every failure is one line (`QueryError`), in
German and English where it is a limit.

`--csv` escapes what a spreadsheet would run: a text cell (or header) starting with `=`,
`+`, `-`, `@`, a tab or a carriage return gets a leading `'` (numbers are printed as they
are: a number is never a formula).

Readers never block a run, and a run never breaks a reader: the pipeline writes only the
build database and swaps the published file in with `os.replace`; a query that opened the
old file keeps reading the old file to its end, the next query opens the new one.
"""

from __future__ import annotations

import csv
import io
import re
import threading
from pathlib import Path

import duckdb

from dagster_project.core.settings import Settings

READING_STATEMENTS = {
    duckdb.StatementType.SELECT,  # select, with, from-first, values, show, describe, summarize
    duckdb.StatementType.MULTI,  # pivot without an explicit value list (runs as several selects)
}
READ_ONLY_PRAGMAS = {
    "show_tables",
    "show_tables_expanded",
    "show_databases",
    "table_info",
    "show",
    "database_size",
    "storage_info",
    "version",
    "platform",
    "functions",
    "metadata_info",
}
# what each refused statement type does, for the message
REFUSED = {
    "COPY": "writes a file",
    "EXPORT": "writes files",
    "ATTACH": "opens another database",
    "DETACH": "closes a database",
    "LOAD": "installs or loads an extension",
    "SET": "changes a setting",
    "CALL": "calls a procedure",
    "TRANSACTION": "controls a transaction",
    "PREPARE": "prepares a statement",
    "EXECUTE": "executes a prepared statement",
    "VACUUM": "rewrites storage",
}
CONNECTION_CONFIG = {
    "enable_external_access": False,
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
    "lock_configuration": True,
}
DEFAULT_TIMEOUT_SECONDS = 60.0
DEFAULT_MAX_ROWS = 10_000  # printed as a table (more is unreadable anyway)
DEFAULT_MAX_CSV_ROWS = 1_000_000  # printed as CSV, for a file
# a spreadsheet runs a cell that starts with one of these as a formula (CSV injection)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_EXPLAIN = re.compile(r"^\s*explain\s+(analyze\s+|analyse\s+)?", re.IGNORECASE)
_PRAGMA = re.compile(r"^\s*pragma\s+([a-z_][a-z0-9_]*)\s*(\(|;|$)", re.IGNORECASE)


class QueryError(Exception):
    """A query that cannot be answered; the message says why and what to do."""


class WriteRefused(QueryError):
    """A statement that would change something; `leitstand query` only reads."""


def _snippet(sql: str, width: int = 60) -> str:
    one_line = " ".join(sql.split())
    return one_line if len(one_line) <= width else one_line[: width - 1] + "…"


def check_read_only(con: duckdb.DuckDBPyConnection, sql: str) -> list[str]:
    """The statements of `sql` if every one of them only reads; else `WriteRefused`."""
    try:
        statements = con.extract_statements(sql)
    except duckdb.Error as e:
        raise QueryError(f"the query does not parse: {' '.join(str(e).split())}") from e
    if not statements:
        raise QueryError(
            'empty query: pass one SQL statement, e.g. "select * from marts.kpi_status"'
        )
    texts = []
    for number, stmt in enumerate(statements, start=1):
        text = stmt.query
        _refuse_unless_reading(con, stmt.type, text, number)
        texts.append(text)
    return texts


def _refuse_unless_reading(con, kind: duckdb.StatementType, text: str, number: int) -> None:
    if kind in READING_STATEMENTS:
        return
    if kind == duckdb.StatementType.EXPLAIN:
        inner = _EXPLAIN.sub("", text, count=1)
        for stmt in con.extract_statements(inner):
            _refuse_unless_reading(con, stmt.type, stmt.query, number)
        return
    if kind == duckdb.StatementType.PRAGMA:
        m = _PRAGMA.match(text)
        if m and m.group(1).lower() in READ_ONLY_PRAGMAS:
            return
    name = kind.name
    what = REFUSED.get(name, "changes the database")
    raise WriteRefused(
        f'refused: statement {number} ({name.lower()}: "{_snippet(text)}") {what}, and '
        "`leitstand query` only reads the published database. Use select / show / describe / "
        "summarize; to change the data, change the files in the sources folder and run "
        "`leitstand run`; to export, add --csv and redirect the output to a file."
    )


def connect_published(path: Path, memory_limit: str | None = None) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the published file that cannot reach anything else."""
    if not path.exists():
        raise QueryError(f"nothing published yet at {path}: run `leitstand run` first")
    config = dict(CONNECTION_CONFIG)
    if memory_limit:
        config = {"memory_limit": memory_limit, **config}
    try:
        return duckdb.connect(str(path), read_only=True, config=config)
    except duckdb.Error as e:
        raise QueryError(f"cannot open the published database {path}: {e}") from e


def run_query(settings: Settings, sql: str, as_csv: bool = False,
              timeout: float = DEFAULT_TIMEOUT_SECONDS, max_rows: int | None = None,
              notes: list[str] | None = None) -> str:
    """Run `sql` on the published file, opened read-only, and format every statement's answer.

    At most `max_rows` rows per statement; when there are more, a note says so — in the
    table itself, or (CSV, so that the file stays CSV) appended to `notes`. The whole query
    is stopped after `timeout` seconds.
    """
    if max_rows is None:
        max_rows = DEFAULT_MAX_CSV_ROWS if as_csv else DEFAULT_MAX_ROWS
    if timeout <= 0:
        raise QueryError(f"--timeout must be a positive number of seconds, not {timeout:g}")
    if max_rows <= 0:
        raise QueryError(f"--max-rows must be a positive number, not {max_rows}")
    blocks = []
    with connect_published(settings.published_db, settings.memory_limit) as con:
        statements = check_read_only(con, sql)
        timer = threading.Timer(timeout, con.interrupt)
        timer.daemon = True
        timer.start()
        try:
            for text in statements:
                try:
                    rel = con.sql(text)
                    if rel is None:
                        continue
                    columns, rows = rel.columns, rel.limit(max_rows + 1).fetchall()
                except duckdb.InterruptException as e:
                    raise QueryError(_stopped(timeout)) from e
                except duckdb.OutOfMemoryException as e:
                    raise QueryError(_too_big(settings.memory_limit)) from e
                except duckdb.Error as e:
                    if not timer.is_alive() and "interrupt" in str(e).lower():
                        raise QueryError(_stopped(timeout)) from e
                    raise QueryError(_explain_error(e, text)) from e
                except MemoryError as e:
                    raise QueryError(_too_big(settings.memory_limit)) from e
                more = len(rows) > max_rows
                rows = rows[:max_rows]
                note = (f"(the first {max_rows:,} rows; the result has more / nur die ersten "
                        f"{max_rows:,} Zeilen — narrow the query or raise --max-rows)"
                        ).replace(",", " ") if more else None
                if as_csv:
                    blocks.append(_as_csv(columns, rows))
                    if note and notes is not None:
                        notes.append(note)
                else:
                    blocks.append(_as_table(columns, rows, note))
        finally:
            timer.cancel()
    return ("\n" if not as_csv else "").join(blocks)


def _stopped(timeout: float) -> str:
    return (f"Abfrage nach {timeout:g} s abgebrochen / query stopped after {timeout:g} s: "
            "narrow it (where, limit) or allow more time with --timeout SECONDS")


def _too_big(memory_limit: str) -> str:
    return (f"Abfrage braucht mehr als {memory_limit} Speicher / query needs more than "
            f"{memory_limit} of memory: narrow it (where, limit, fewer columns) or raise "
            "LEITSTAND_DUCKDB_MEMORY_LIMIT")


def _explain_error(e: duckdb.Error, text: str) -> str:
    msg = " ".join(str(e).split())  # one line: DuckDB's own messages span several
    if isinstance(e, duckdb.CatalogException):
        return (
            f'{msg} (in "{_snippet(text)}"; list the published tables with: '
            'leitstand query "show all tables")'
        )
    if "read-only" in msg or isinstance(e, duckdb.PermissionException):
        return f"refused: {msg} — `leitstand query` only reads the published database"
    return f'{msg} (in "{_snippet(text)}")'


def _spreadsheet_safe(value: object) -> object:
    """A text that a spreadsheet would run as a formula, with a leading `'`."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _as_csv(columns: list[str], rows: list[tuple]) -> str:
    out = io.StringIO()
    # CRLF ends a record (RFC 4180): then a cell holding a CR is quoted too, as one holding
    # a LF always was (with "\n" as the terminator Python's writer left a lone CR bare)
    w = csv.writer(out, lineterminator="\r\n")
    w.writerow([_spreadsheet_safe(c) for c in columns])
    w.writerows(["" if v is None else _spreadsheet_safe(v) for v in r] for r in rows)
    return out.getvalue()


def _as_table(columns: list[str], rows: list[tuple], note: str | None = None) -> str:
    cells = [[("NULL" if v is None else str(v)) for v in r] for r in rows]
    widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(columns)]
    line = lambda vals: "  ".join(v.ljust(w) for v, w in zip(vals, widths, strict=True)).rstrip()  # noqa: E731
    out = [line(columns), line(["-" * w for w in widths]), *(line(r) for r in cells)]
    out.append(note or f"({len(rows)} row{'s' if len(rows) != 1 else ''})")
    return "\n".join(out) + "\n"
