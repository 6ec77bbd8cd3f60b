"""Load the sources folder into the raw layer: the interface the Dagster assets call.

`load_config` reads `sources/config/*`, `load_source` one source folder. Both are
incremental and idempotent: a file whose name, size and modification time are unchanged
is not read again (not even hashed), nor one that hashes to the content already loaded;
removed or changed files disappear with their rows ("the folder is the truth");
`raw.<table>` and the table's rows in `dq.quarantine` are rebuilt from the stored per-file
rows whenever what they depend on changed, so references (org units, employee and project
ids) are re-evaluated against the current master data; files that were only added are
merged in by key instead (store.py). Each call is one transaction on the caller's connection.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import shutil
import stat as st
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from dagster_project.core.leftovers import make_temp_dir
from dagster_project.ingest.batch import FileBatch
from dagster_project.ingest.contracts import (
    Contract,
    all_contracts,
    contract,
    contracts_hash,
    contracts_markdown,
)
from dagster_project.ingest.mapping import SourceRules, check_config, source_rules
from dagster_project.ingest.reader import ACCEPTED_SUFFIXES, CSV_SUFFIXES
from dagster_project.ingest.sniff import hash_and_encoding, transcode_to_utf8
from dagster_project.ingest.store import (
    can_merge,
    count,
    ensure_schemas,
    ensure_store,
    forget_files,
    ident,
    is_current,
    merge_files,
    rebuild_table,
    registered_files,
    remember_file_stat,
    remember_state,
    state_fingerprint,
    transaction,
)
from dagster_project.ingest.survey import catalog_hash, question_catalog, rebuild_survey
from dagster_project.ingest.values import install_macros

__all__ = [
    "CONFIG_TABLES",
    "SOURCES",
    "SOURCE_DEPENDENCIES",
    "FileProblem",
    "LoadResult",
    "contracts_markdown",
    "load_config",
    "load_files",
    "load_source",
]

log = logging.getLogger("leitstand.ingest")

CONFIG_DIR = "config"
# Optional config files that say how exports map onto the contracts: without the file (and
# no file of theirs registered before) there is no table to build (`load_config`).
MAPPING_TABLES = ("column_map", "value_map", "exchange_rates")
CONFIG_TABLES: list[str] = [n for n, c in all_contracts().items() if c.is_config]
SOURCES: list[str] = [
    "hr_employees",
    "erp_orders",
    "crm_interactions",
    "crm_leads",
    "it_licenses",
    "it_usage",
    "lms_trainings",
    "survey_responses",
    "projects",
    "project_milestones",
]
# Source → sources whose rows it references (ids checked against them). Every source also
# reads the config tables (org units; the survey its question catalog).
SOURCE_DEPENDENCIES: dict[str, list[str]] = {
    name: sorted({f.ref for f in contract(name).fields if f.ref and f.ref in SOURCES})
    for name in SOURCES
    if any(f.ref in SOURCES for f in contract(name).fields if f.ref)
}


@dataclass
class FileProblem:
    """A rejected file; `str()` is the one line a person reads to fix it."""

    source: str
    file_name: str
    message: str
    folder: str = ""   # how the person knows the folder, e.g. `sources/erp_orders`

    def __str__(self) -> str:
        where = f"{self.folder}/{self.file_name}" if self.folder else self.file_name
        return f"{where} ({self.source}): {self.message}"


@dataclass
class LoadResult:
    source: str                  # source folder or config table name
    files_loaded: int            # files in the folder now represented in raw
    files_read: int              # files actually parsed this run (new or changed)
    rows_total: int              # data rows in the folder's current files
    rows_loaded: int             # rows in raw.<source> after the run
    rows_quarantined: int        # rows of this source in dq.quarantine after the run (a row
                                 # with several problems counts once)
    duplicates_collapsed: int
    dropped_columns: list[tuple[str, str]] = field(default_factory=list)
    rejected_files: list[FileProblem] = field(default_factory=list)
    rows_skipped: int = 0        # rows skipped and counted (incomplete responses, inactive users)
    rows_folded: int = 0         # lines folded into the record above them (line items)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def _not_a_file(path: Path, root: Path) -> str | None:
    """Why `path` is not even opened, or None (a regular file, or a folder).

    A symbolic link is followed only to a file inside `root` (the sources folder); a link
    leading nowhere or out of it, a named pipe (which would block the run), a device or a
    socket is rejected by name without being read."""
    if path.is_symlink():
        target = os.readlink(path)
        try:
            resolved = path.resolve(strict=True)
        except (OSError, RuntimeError):  # missing target, or a loop of links
            return (f"a symbolic link to '{target}', which does not exist — put the export "
                    "itself in the folder")
        if not resolved.is_relative_to(root.resolve()):
            return (f"a symbolic link to '{target}', outside the sources folder — not read; "
                    "copy the export into the folder instead")
    try:
        mode = path.stat().st_mode
    except OSError as exc:
        return f"cannot be opened ({exc.strerror}) — check the file and its permissions"
    if st.S_ISREG(mode) or st.S_ISDIR(mode):
        return None
    kind = ("a named pipe (FIFO)" if st.S_ISFIFO(mode) else
            "a device" if st.S_ISCHR(mode) or st.S_ISBLK(mode) else
            "a socket" if st.S_ISSOCK(mode) else "a special file")
    return f"{kind}, not a regular file — not read (move it elsewhere)"


def _load(con: duckdb.DuckDBPyConnection, c: Contract, files: list[Path], folder_label: str,
          load_id: str, problems: list[FileProblem], root: Path | None = None) -> LoadResult:
    """Bring `raw_files.<name>` in line with `files`, rebuild `raw.<name>`, count.

    `root`: the sources folder, which no symbolic link may lead out of (None: each file's
    own folder)."""
    install_macros(con)
    ensure_schemas(con)
    ensure_store(con, c)
    context = contracts_hash()
    if c.is_survey:
        context += ":" + catalog_hash(question_catalog(con))
    rules = SourceRules(c.name) if c.is_config else source_rules(con, c.name)
    if rules != SourceRules(c.name):  # a mapping, words, rates: part of how files are read
        context += ":" + rules.context()
    registry = registered_files(con, c.name)
    batch = FileBatch(con, c, context, load_id, _now(), rules)
    present: set[str] = set()
    queued: list[str] = []     # new or changed files, read by the batch
    unreadable: dict[str, str] = {}  # file name → why it is not even queued
    to_hash: list[tuple[Path, os.stat_result]] = []
    for path in files:
        special = _not_a_file(path, root if root is not None else path.parent)
        if special:
            unreadable[path.name] = special
            continue
        if path.is_dir() or path.suffix.lower() not in ACCEPTED_SUFFIXES:
            accepted = ", ".join(ACCEPTED_SUFFIXES)
            suffix = path.suffix or path.name
            kind = "a folder" if path.is_dir() else f"unknown file type '{suffix}'"
            unreadable[path.name] = f"{kind} — accepted: {accepted} (move it elsewhere)"
            continue
        stat = path.stat()  # before hashing: a file changed meanwhile is hashed next time
        known = registry.get(path.name)
        if known and known.unchanged(stat, context):
            present.add(path.name)
            continue
        to_hash.append((path, stat))

    def loaded_already(file_name: str, file_hash: str) -> bool:
        known = registry.get(file_name)
        return bool(known and known.file_hash == file_hash and known.context_hash == context)

    # a file DuckDB cannot decode is read from a UTF-8 copy in a folder only this user can
    # open; the batch removes each copy once read, the folder goes when the load ends (and,
    # should the process be killed, at the next run's start: core/leftovers.py)
    copies = make_temp_dir("ingest")
    try:
        for n, (path, stat) in enumerate(to_hash):
            try:
                file_hash, encoding = hash_and_encoding(path)
            except OSError as exc:  # unreadable (permissions), or gone meanwhile
                unreadable[path.name] = (f"cannot be read ({exc.strerror}) — check the file "
                                         "and its permissions")
                continue
            if loaded_already(path.name, file_hash):
                remember_file_stat(con, c.name, path.name, stat)
                present.add(path.name)
                continue
            utf8_copy = None
            if encoding.transcode and path.suffix.lower() in CSV_SUFFIXES:  # not a workbook
                utf8_copy = copies / f"utf8-{n}.csv"
                transcode_to_utf8(path, encoding, utf8_copy)
            batch.add(path, file_hash, encoding, stat,
                      allow_no_rows=c.is_config and c.name != "org_units", utf8_copy=utf8_copy)
            queued.append(path.name)
        batch.flush()
    finally:
        shutil.rmtree(copies, ignore_errors=True)
    rejected = unreadable | batch.rejected
    problems.extend(FileProblem(c.name, p.name, rejected[p.name], folder_label)
                    for p in files if p.name in rejected)
    read = [name for name in queued if name not in rejected]
    present.update(read)
    added = [name for name in read if name not in registry]  # not registered before
    replaced = len(added) < len(read)  # a registered file read again (changed, new rules)
    files_read = len(read)

    def forget_and_rebuild() -> None:
        gone = [name for name in registry if name not in present]
        forget_files(con, c.name, gone)
        for name in gone:
            log.info("%s/%s: removed, changed into a rejected file or no longer in the "
                     "folder: its rows are gone", c.name, name)
        fingerprint = state_fingerprint(con, c, context)
        if is_current(con, c, fingerprint):
            return
        before = state_fingerprint(con, c, context, without=added) if added else None
        if (added and not gone and not replaced and can_merge(c)
                and is_current(con, c, before)):
            merge_files(con, c, added, context)
            log.info("%s: %d new file(s) merged into raw.%s by key", c.name, len(added), c.name)
            remember_state(con, c, fingerprint, merged_from=before, merged_files=added)
            return
        if c.is_survey:
            rebuild_survey(con, c)
        else:
            rebuild_table(con, c, context)
        remember_state(con, c, fingerprint)

    transaction(con, forget_and_rebuild)
    if c.name == "org_units":
        problems.extend(_check_org_tree(con, folder_label))
    registry = registered_files(con, c.name)
    return LoadResult(
        source=c.name,
        files_loaded=len(registry),
        files_read=files_read,
        rows_total=sum(r.rows for r in registry.values()),
        rows_loaded=count(con, f"select count(*) from raw.{ident(c.name)}"),
        # rows, not problems: a row with two bad columns has two lines in the quarantine
        rows_quarantined=count(con, "select count(distinct (file_name, row_number)) "
                               "from dq.quarantine where source = ?", [c.name]),
        duplicates_collapsed=sum(r.duplicates_collapsed for r in registry.values()),
        dropped_columns=[(r.file_name, h) for r in registry.values() for h in r.dropped_columns],
        rejected_files=problems,
        rows_skipped=sum(r.rows_skipped or 0 for r in registry.values()),
        rows_folded=sum(r.rows_folded for r in registry.values()),
    )


def _check_org_tree(con: duckdb.DuckDBPyConnection, folder_label: str) -> list[FileProblem]:
    """The org tree needs exactly one root; otherwise nothing can be rolled up."""
    roots = [r[0] for r in con.execute(
        "select org_unit_id from raw.org_units where parent_id is null order by org_unit_id"
    ).fetchall()]
    if len(roots) == 1 or not count(con, "select count(*) from raw.org_units"):
        return []
    files = [r[0] for r in con.execute(
        "select distinct _file_name from raw.org_units order by 1").fetchall()]
    found = ", ".join(roots) if roots else "none"
    return [FileProblem(
        "org_units", files[0] if files else "org_units.csv",
        f"the org tree needs exactly one root (a unit with an empty parent_id) — found "
        f"{len(roots)}: {found}; give every other unit its parent",
        folder_label,
    )]


def _visible_files(folder: Path) -> list[Path]:
    """Files of a folder in lexical order; hidden files (`.DS_Store`, LibreOffice's
    `.~lock.x#`) and Office lock files (`~$x`) skipped, and said in the log."""
    if not folder.is_dir():
        return []
    visible = []
    for p in sorted(folder.iterdir(), key=lambda p: p.name):
        if p.name.startswith((".", "~$")):
            log.info("%s/%s: skipped (a hidden file or an Office lock file)", folder.name,
                     p.name)
        else:
            visible.append(p)
    return visible


def load_source(con: duckdb.DuckDBPyConnection, source: str, sources_dir: Path,
                load_id: str) -> LoadResult:
    """Load `sources_dir/<source>/` into `raw.<source>` (see module docstring)."""
    if source not in SOURCES:
        raise KeyError(f"unknown source '{source}' (known: {', '.join(SOURCES)})")
    sources_dir = Path(sources_dir)
    folder = sources_dir / source
    if not folder.is_dir():
        log.warning("%s: folder %s does not exist — the source is empty", source, folder)
    label = f"{sources_dir.name}/{source}"
    result = _load(con, contract(source), _visible_files(folder), label, load_id, [],
                   sources_dir)
    _log_result(result)
    return result


# config files that another stage reads itself, not loaded into raw.*: the alert subscribers
# (dagster_project/report/subscribers.py)
READ_ELSEWHERE = {"alerts"}


def load_files(con: duckdb.DuckDBPyConnection, source: str, files: list[Path],
               folder_label: str, load_id: str) -> LoadResult:
    """Load exactly `files` as the source's current files (`leitstand inspect` loads one
    export so into a database in memory, to show what the ingest makes of it)."""
    return _load(con, contract(source), files, folder_label, load_id, [])


def _config_files(folder: Path, name: str) -> list[Path]:
    return [p for p in _visible_files(folder)
            if p.stem.lower() == name and p.suffix.lower() in ACCEPTED_SUFFIXES]


def load_config(con: duckdb.DuckDBPyConnection, sources_dir: Path,
                load_id: str) -> list[LoadResult]:
    """Load every `sources_dir/config/<table>.csv|.txt|.xlsx` into `raw.<table>`.

    `org_units` first: the other tables resolve org units against it.
    """
    sources_dir = Path(sources_dir)
    folder = sources_dir / CONFIG_DIR
    label = f"{sources_dir.name}/{CONFIG_DIR}"
    results = []
    for name in CONFIG_TABLES:
        c = contract(name)
        files = _config_files(folder, name)
        problems: list[FileProblem] = []
        if not files and not c.optional:
            problems.append(FileProblem(
                name, f"{name}.csv",
                f"config file missing — add {name}.csv with the columns "
                f"{', '.join(f.name for f in c.fields)}", label))
        if len(files) > 1:
            problems.append(FileProblem(
                name, files[1].name,
                f"more than one file for {name} ({', '.join(p.name for p in files)}) — "
                f"keep one", label))
            files = files[:1]
        if not files and name in MAPPING_TABLES and not registered_files(con, name):
            # an export that needs no mapping needs none of these files: nothing to build
            results.append(LoadResult(name, 0, 0, 0, 0, 0, 0, rejected_files=problems))
            continue
        result = _load(con, c, files, label, load_id, problems, sources_dir)
        results.append(result)
    # the mapping files, settings, rates and catalog as a whole: each problem names its row
    by_table = {r.source: r for r in results}
    for problem in check_config(con):
        result = by_table[problem.table]
        file_name = next(iter(registered_files(con, problem.table)), f"{problem.table}.csv")
        result.rejected_files.append(FileProblem(problem.table, file_name, problem.message,
                                                 label))
    for result in results:
        _log_result(result)
    known = {n for n in CONFIG_TABLES} | READ_ELSEWHERE
    for p in _visible_files(folder):
        if p.stem.lower() not in known:
            log.warning("config/%s is not a known config file (known: %s) — ignored",
                        p.name, ", ".join(CONFIG_TABLES))
    return results


def _log_result(r: LoadResult) -> None:
    log.info("%s: %d files (%d read), %d rows in files, %d loaded, %d quarantined, "
             "%d duplicates collapsed, %d skipped, %d folded into their records", r.source,
             r.files_loaded, r.files_read, r.rows_total, r.rows_loaded, r.rows_quarantined,
             r.duplicates_collapsed, r.rows_skipped, r.rows_folded)
    for problem in r.rejected_files:
        log.error("%s", problem)
