"""`leitstand inspect FILE [--source S]`: what the ingest will make of one export, before a run.

It reads the mappings and master data of the sources folder in force into a database in
memory, reads the file as the ingest does (encoding, delimiter, header row, the mapping
rows for its name), loads it there — the same code as a run, nothing written to disk — and
says in German: each column and the field it fills (by name, alias, mapping, constant), the
columns that are not stored because they look like personal data, how dates and numbers
are read and which are ambiguous, the required fields it lacks with the headers closest to
them, what would be quarantined and why, and the `config/column_map.csv` rows to start from.
Sample values are shown for every column but identifier columns. It exits 0 whenever it
could read the file, 2 when it could not.
"""

from __future__ import annotations

import contextlib
import logging
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from dagster_project.ingest.batch import file_reading
from dagster_project.ingest.contracts import (
    Contract,
    HeaderMatch,
    closest_headers,
    contract,
    match_headers,
)
from dagster_project.ingest.loader import (
    SOURCE_DEPENDENCIES,
    SOURCES,
    load_config,
    load_files,
    load_source,
)
from dagster_project.ingest.mapping import source_rules
from dagster_project.ingest.parse import FileReading, date_sql
from dagster_project.ingest.reader import ReadFile, plan_file, read_files
from dagster_project.ingest.sniff import UnreadableFile, hash_and_encoding, transcode_to_utf8

SAMPLES = 3
DELIMITERS = {";": "Semikolon (;)", ",": "Komma (,)", "\t": "Tabulator", "|": "senkrechter "
              "Strich (|)", "": "— (Excel-Arbeitsmappe)"}
MAP_HEADER = "source;file_pattern;field;header;constant;format"


@dataclass
class Report:
    """The lines of the report, in sections."""

    lines: list[str] = field(default_factory=list)

    def section(self, title: str) -> None:
        self.lines += ["", title, "-" * len(title)]

    def add(self, text: str = "") -> None:
        self.lines.append(text)

    def text(self) -> str:
        return "\n".join(self.lines).strip("\n") + "\n"


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """The ingest's log lines are for runs; here the report says what matters."""
    logger = logging.getLogger("leitstand.ingest")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        logger.setLevel(level)


def file_pattern(name: str) -> str:
    """A glob for the exports of one system: the name up to its first digit (`orders_
    export_1.csv` → `orders_export*.csv`)."""
    stem, suffix = Path(name).stem, Path(name).suffix
    head = re.split(r"\d", stem, maxsplit=1)[0].rstrip(" _-.(")
    return f"{head or stem}*{suffix.lower()}"


def _guess_source(path: Path, con: duckdb.DuckDBPyConnection) -> tuple[str | None, str]:
    """The source of `path`: its folder's name, else the contract its headers fit best."""
    if path.parent.name in SOURCES:
        return path.parent.name, "aus dem Ordner"
    _, encoding = hash_and_encoding(path)
    best: tuple[int, str] | None = None
    for name in SOURCES:
        c = contract(name)
        rules = source_rules(con, name)
        with contextlib.suppress(UnreadableFile, OSError):
            planned = plan_file(path, encoding, c, None, rules.for_file(path.name),
                                rules.catalog or None) if not encoding.transcode else None
            headers = planned.layout.headers if planned and planned.layout else []
            match = match_headers(c, headers, rules.for_file(path.name), rules.catalog or None)
            score = len(match.columns) + len(match.questions) - len(match.missing)
            if best is None or score > best[0]:
                best = (score, name)
    if best is None:
        return None, ""
    return best[1], "geraten aus den Spaltenköpfen — mit --source festlegen"


def _samples(con: duckdb.DuckDBPyConnection, column: int) -> list[str]:
    rows = con.execute(
        f"select distinct lt_text(c{column}) as v from _read where lt_text(c{column}) is not null "
        f"order by v limit {SAMPLES}").fetchall()
    return [str(v) for (v,) in rows]


# shapes of date cells, for the report (the reading itself is the ingest's), and the
# format a mapping row would give them
_DATE_SHAPES = [
    (r"\d{1,2}\.\d{1,2}\.\d{4}", "TT.MM.JJJJ", "%d.%m.%Y"),
    (r"\d{1,2}\.\d{1,2}\.\d{2}", "TT.MM.JJ", "%d.%m.%y"),
    (r"\d{4}-\d{2}-\d{2}T.*", "ISO mit T (JJJJ-MM-TTThh:mm…)", "%Y-%m-%dT%H:%M:%S"),
    (r"\d{4}-\d{2}-\d{2} .*[+-]\d{2}:?\d{2}", "JJJJ-MM-TT hh:mm:ss mit Zeitzone "
     "(abgeschnitten: die Uhrzeit wie geschrieben)", "%Y-%m-%d %H:%M:%S %z"),
    (r"\d{4}-\d{2}-\d{2}", "JJJJ-MM-TT", "%Y-%m-%d"),
    (r"\d{4}-\d{2}-\d{2} .*", "JJJJ-MM-TT hh:mm", "%Y-%m-%d %H:%M"),
    (r"\d{1,2}/\d{1,2}/\d{2,4}.*", "mit Schrägstrichen (Tag/Monat oder Monat/Tag)",
     "%m/%d/%Y %H:%M:%S"),
    (r"\d{1,2}/[A-Za-z]{3}/\d{2,4}.*", "TT/Mon/JJ (Jira)", "%d/%b/%y %I:%M %p"),
    (r"[A-Za-z]{3,9}\.? \d{1,2}, \d{4}.*", "Mon TT, JJJJ (US)", "%b %d, %Y"),
    (r"\d{5}(\.\d+)?", "Excel-Tageszahl", ""), (r"\d{8}", "JJJJMMTT (SAP)", "%Y%m%d"),
    (r"\d{4}", "TTMM ohne Jahr (DATEV)", "%d%m"),
]


def _date_shape(value: str) -> str:
    return next((label for pattern, label, _ in _DATE_SHAPES if re.fullmatch(pattern, value)),
                "anderes Format")


def date_format_for(value: str) -> str:
    """The strftime format a `column_map.csv` row would give a column of such values."""
    return next((fmt for pattern, _, fmt in _DATE_SHAPES if re.fullmatch(pattern, value)),
                "%d.%m.%Y")


def _date_report(con: duckdb.DuckDBPyConnection, column: int, name: str,
                 reading: FileReading, samples: list[str]) -> tuple[str, str | None]:
    """How a date column is read, and why it cannot be (None: it can)."""
    t = f"lt_text(c{column})"
    conv = reading.reading_of(name) if name in reading.forced else None
    day, month, either, x1, x2, filled = con.execute(f"""
        select count_if(lt_slash_style({t}) = 'd'), count_if(lt_slash_style({t}) = 'm'),
               count_if(lt_slash_style({t}) = 'x'),
               min({t}) filter (where lt_slash_style({t}) = 'x'),
               max({t}) filter (where lt_slash_style({t}) = 'x'), count({t})
        from _read""").fetchall()[0]
    if conv is None and (day or month or either):
        if day and month:
            return "Schrägstriche, Tag und Monat gemischt", (
                "mehrdeutig: die Werte widersprechen sich (Tag zuerst und Monat zuerst)")
        if day or month:
            conv = "dmy" if day else "mdy"
        elif either:
            shown = f"'{x1}' und '{x2}'" if x1 != x2 else f"'{x1}'"
            return "Schrägstriche", (f"mehrdeutig: {shown} lassen sich als Tag/Monat und als "
                                     "Monat/Tag lesen — Format angeben (%d/%m/%Y oder %m/%d/%Y)")
    unread, example = con.execute(
        f"select count_if({t} is not null and {date_sql(t, conv)} is null), "
        f"min({t}) filter (where {date_sql(t, conv)} is null) from _read").fetchall()[0]
    if conv is None:
        how = _date_shape(samples[0]) if samples else "leer"
    elif conv == "dmy":
        how = "Tag/Monat/Jahr (aus den Werten: ein erster Teil über 12)"
    elif conv == "mdy":
        how = "Monat/Tag/Jahr (aus den Werten: ein zweiter Teil über 12)"
    else:
        how = f"Format {conv[4:].split('@')[0]} (Zuordnung)"
    if filled and unread == filled:
        return how, f"kein Wert lesbar (z. B. '{example}') — Format angeben"
    if unread:
        return how + f"; {unread} Wert(e) nicht lesbar, z. B. '{example}'", None
    return how, None


def _number_report(con: duckdb.DuckDBPyConnection, column: int, name: str,
                   reading: FileReading) -> str:
    t = f"lt_number_text(lt_text(c{column}))"
    comma, dot = con.execute(f"select count_if(lt_number_style({t}) = ','), "
                             f"count_if(lt_number_style({t}) = '.') from _read").fetchall()[0]
    if name in reading.forced:
        return "Dezimal" + ("komma" if reading.forced[name] == "," else "punkt") + " (Zuordnung)"
    if comma and dot:
        return "gemischt (1.234,5 und 1,234.5): mehrdeutige Werte kommen in Quarantäne"
    if comma or dot:
        return "Dezimal" + ("komma" if comma else "punkt") + " (aus den Werten)"
    return ("Dezimal" + ("komma" if reading.decimal == "," else "punkt")
            + " (keine Werte mit Trennzeichen; nach Datei-Konvention)")


def _via_de(via: str) -> str:
    return (via.replace("canonical name", "Feldname").replace("alias (de)", "Alias")
            .replace("alias (en)", "Alias").replace("mapping", "Zuordnung")
            .replace("constant", "Konstante").replace(" row ", " Zeile "))


def _columns(report: Report, con: duckdb.DuckDBPyConnection, c: Contract, read: ReadFile,
             match: HeaderMatch, reading: FileReading) -> list[tuple[int, str, str]]:
    """The column lines; returns the date columns that cannot be read as they are:
    (column, problem, the format a mapping row would give)."""
    by_column = {i: name for name, i in match.columns.items()}
    personal = {i for i, _ in match.personal}
    problems: list[tuple[int, str, str]] = []
    width = min(34, max(len(h.strip()) for h in read.headers) + 2) if read.headers else 10
    for i, header in enumerate(read.headers):
        shown = (header.strip() or f"(Spalte {i + 1} ohne Kopf)")[:width - 1].ljust(width)
        if i in personal:
            report.add(f"  {shown} — nicht gespeichert: sieht nach Personendaten aus")
            continue
        samples = _samples(con, i)
        example = ("  z. B. " + ", ".join(f"'{v}'" for v in samples)) if samples else "  (leer)"
        name = by_column.get(i)
        if name is not None:
            f = c.field_named(name)
            note = _via_de(match.via.get(name, ""))
            if name in match.constants:
                report.add(f"  {shown} → {name}: Konstante gilt, die Spalte sagt nur, ob eine "
                           "Antwort vollständig ist")
                continue
            if i in match.pseudonymised or (f.pseudonymise and any("@" in v for v in samples)):
                report.add(f"  {shown} → {name} ({note}) — nur als Pseudonym gespeichert")
                continue
            detail = ""
            if f.type in ("date", "datetime"):
                how, problem = _date_report(con, i, name, reading, samples)
                detail = f" — Datum: {how}"
                if problem:
                    detail += f" — {problem}"
                    fmt = "%d/%m/%Y" if "mehrdeutig" in problem else \
                        date_format_for(samples[0] if samples else "")
                    problems.append((i, f"{header.strip()}: {problem}", fmt))
            elif f.type in ("decimal", "int"):
                detail = f" — Zahl: {_number_report(con, i, name, reading)}"
            report.add(f"  {shown} → {name} ({note}){detail}{example}")
        elif i in match.questions:
            report.add(f"  {shown} → Frage {match.questions[i]}{example}")
        else:
            report.add(f"  {shown} — ignoriert (kein Feld, keine Frage){example}")
    return problems


def _dry_run(report: Report, con: duckdb.DuckDBPyConnection, c: Contract, path: Path,
             sources_dir: Path) -> None:
    """Load the file into the database in memory as a run would; report the outcome."""
    for dependency in SOURCE_DEPENDENCIES.get(c.name, []):
        load_source(con, dependency, sources_dir, "inspect")
    result = load_files(con, c.name, [path], f"{sources_dir.name}/{c.name}", "inspect")
    report.section("Was der Import daraus macht")
    if result.rejected_files:
        for problem in result.rejected_files:
            report.add(f"  Die Datei würde abgewiesen: {problem.message}")
        return
    what = "Antworten" if c.is_survey else "Datensätze"
    report.add(f"  {result.rows_total} Datenzeilen: {result.rows_loaded} {what} würden geladen, "
               f"{result.rows_quarantined} Zeilen kämen in Quarantäne"
               + (f", {result.rows_skipped} übersprungen (gezählt)" if result.rows_skipped else "")
               + (f", {result.rows_folded} Positionszeilen in ihren Datensatz gefaltet"
                  if result.rows_folded else "")
               + (f", {result.duplicates_collapsed} exakte Dubletten zusammengefasst"
                  if result.duplicates_collapsed else ""))
    reasons = con.execute("""
        select column_name, reason, count(distinct row_number), min(row_number)
        from dq.quarantine where source = ? group by all order by 3 desc, 1 limit 8
    """, [c.name]).fetchall()
    for column, reason, n, first in reasons:
        report.add(f"    {column}: {reason} ({n} Zeile(n), z. B. Zeile {first})")


def _suggestions(report: Report, c: Contract, path: Path, read: ReadFile,
                 match: HeaderMatch, problems: list[tuple[int, str, str]],
                 in_force: list[str], catalog: dict[str, str] | None) -> None:
    pattern = file_pattern(path.name)
    rows: list[str] = []
    claimed = match.claimed
    free = [h for i, h in enumerate(read.headers) if i not in claimed and h.strip()]
    for f in match.missing:
        if c.is_survey and f.name == "response_id":
            continue
        close = closest_headers(f, free)
        if close:
            rows.append(f"{c.name};{pattern};{f.name};{close[0]};;")
        else:
            rows.append(f"{c.name};{pattern};{f.name};;<Wert für jede Zeile>;")
    by_column = {i: name for name, i in match.columns.items()}
    for i, _, fmt in problems:
        rows.append(f"{c.name};{pattern};{by_column[i]};{read.headers[i].strip()};;{fmt}")
    if c.is_survey:  # columns that may be questions: which id each answers, the analyst says
        personal = {i for i, _ in match.personal}
        rows += [f"{c.name};{pattern};<question_id>;{h.strip()};;" for i, h in
                 enumerate(read.headers) if i not in claimed and i not in personal and h.strip()]
    report.section("Zeilen für config/column_map.csv zum Start")
    if in_force:
        report.add("  In Kraft für diese Datei:")
        report.lines += [f"    {r}" for r in in_force]
    if rows:
        report.add("  Vorschlag (in Excel öffnen, anpassen, speichern):")
        report.add(f"    {MAP_HEADER}")
        report.lines += [f"    {r}" for r in rows]
        if c.is_survey and catalog:
            report.add("  Fragen im Katalog (config/survey_questions.csv): "
                       + ", ".join(sorted(catalog.values())))
    elif not in_force:
        report.add("  Keine nötig: alle Pflichtfelder gefunden.")


def inspect_export(path: Path, sources_dir: Path, source: str | None = None) -> tuple[str, int]:
    """The report on `path` and the exit status (0: read, 2: not readable)."""
    path = Path(path)
    if not path.is_file():
        return f"leitstand inspect: {path} ist keine Datei\n", 2
    report = Report()
    with _quiet(), duckdb.connect(config={"threads": 2}) as con, \
            tempfile.TemporaryDirectory(prefix="leitstand-inspect-") as tmp:
        config = load_config(con, sources_dir, "inspect")
        how = "angegeben"
        if source is None:
            source, how = _guess_source(path, con)
        if source not in SOURCES:
            known = ", ".join(SOURCES)
            return (f"leitstand inspect: Quelle {source!r} unbekannt — mit --source eine von "
                    f"{known} angeben\n", 2)
        c = contract(source)
        rules = source_rules(con, source)
        mapping = rules.for_file(path.name)
        catalog = rules.catalog if c.is_survey else None
        _, encoding = hash_and_encoding(path)
        copy = None
        if encoding.transcode:
            copy = Path(tmp) / "utf8.csv"
            transcode_to_utf8(path, encoding, copy)
        try:
            planned = plan_file(path, encoding, c, copy, mapping, catalog)
            read = read_files(con, [planned], c)[0]
        except UnreadableFile as exc:
            return f"leitstand inspect: {path.name} ist nicht lesbar: {exc}\n", 2
        match = match_headers(c, read.headers, mapping, catalog)
        reading = file_reading(c, read, match, mapping)
        report.add(f"Datei:          {path}")
        report.add(f"Quelle:         {source} ({how})")
        report.add(f"Kodierung:      {read.encoding}")
        report.add(f"Trennzeichen:   {DELIMITERS.get(read.delimiter, read.delimiter)}")
        skipped = planned.layout.skip_lines if planned.layout else None
        header_at = "" if skipped is None else \
            f"Zeile {skipped - read.extra_header_rows} der Datei"
        report.add(f"Kopfzeile:      {header_at or 'gefunden'}"
                   + (f", darunter {read.extra_header_rows} weitere Kopfzeile(n) übersprungen"
                      if read.extra_header_rows else ""))
        report.add(f"Datenzeilen:    {read.rows}")
        if read.period:
            report.add(f"Zeitraum:       {read.period[0]} bis {read.period[1]} (DATEV-Kopfzeile)")
        for problem in [p for r in config for p in r.rejected_files]:
            report.add(f"Konfiguration:  {problem}")
        report.section("Spalten")
        problems = _columns(report, con, c, read, match, reading)
        for name, value in match.constants.items():
            report.add(f"  (Konstante)    {name} = '{value}' ({_via_de(match.via[name])})")
        if match.conflicts:
            report.section("Nicht eindeutig")
            report.lines += [f"  {x}" for x in match.conflicts]
        missing = [f for f in match.missing if not (c.is_survey and f.name == "response_id")]
        if c.is_survey and "response_id" in [f.name for f in match.missing]:
            report.add("  (keine Antwort-ID: jede Antwort erhält einen verschlüsselten Hash "
                       "aller ihrer Zellen als ID)")
        if missing:
            report.section("Fehlende Pflichtfelder")
            free = [h for i, h in enumerate(read.headers) if i not in match.claimed]
            for f in missing:
                close = closest_headers(f, free, 3)
                report.add(f"  {f.name} — akzeptiert: {', '.join(f.headers)}")
                report.add("      am nächsten: " + (", ".join(f"'{h}'" for h in close)
                                                     if close else "keine Spalte ähnlich — "
                                                     "eine Konstante angeben"))
        if problems:
            report.section("Datumsspalten, die ein Format brauchen")
            report.lines += [f"  {text}" for _, text, _ in problems]
        if not missing and not match.conflicts:
            _dry_run(report, con, c, path, sources_dir)
        in_force = [f"{r.source};{r.file_pattern};{r.field};{r.header or ''};"
                    f"{r.constant or ''};{r.format or ''}  ({r.where()})" for r in mapping.rows]
        _suggestions(report, c, path, read, match, problems, in_force, catalog)
    return report.text(), 0
