"""An export that does not fit is mapped, never edited: the rules of `config/` per source.

`config/column_map.csv` says where a field of an export is (a header), or what it is for
every row (a constant), and how to read it (a date format, `decimal_comma` /
`decimal_point`); `config/value_map.csv` turns an export's words into the contract's values
(status vocabularies, survey answer labels); `config/settings.csv` may fold line-item
exports (`line_items.<source>` = `sum`); `config/exchange_rates.csv` turns other currencies
into EUR. `check_config` validates these files once they are loaded (every message names
the row of the file); `source_rules` gives one source what applies to it, and a hash of it
that is part of a file's parse context — a changed mapping reads the source's files again.
"""

from __future__ import annotations

import fnmatch
import hashlib
import re
from dataclasses import dataclass, field

import duckdb

from dagster_project.ingest.contracts import (
    Contract,
    FileMapping,
    MapRow,
    all_contracts,
    contract,
)

LINE_ITEMS_KEY = "line_items."
LINE_ITEM_MODES = ("sum",)
NUMBER_FORMATS = {"decimal_comma": ",", "decimal_point": "."}
ANSWER = "answer"


@dataclass(frozen=True)
class ConfigProblem:
    """A row of a config file that cannot be used (the file is named by `table`)."""

    table: str
    message: str


@dataclass(frozen=True)
class SourceRules:
    """What `config/` says about one source, beyond its contract."""

    source: str
    map_rows: tuple[MapRow, ...] = ()
    # field (or for surveys `answer` / a question id) -> lower-case word -> value (lower-cased
    # as DuckDB's `lower` does: `casefold` would make `Weiß` `weiss`)
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    line_items: bool = False
    rates: dict[tuple[str, str], float] = field(default_factory=dict)  # (currency, YYYY-MM)
    catalog: dict[str, str] = field(default_factory=dict)  # lower-case question id -> id

    def for_file(self, file_name: str) -> FileMapping:
        """The mapping rows in force for `file_name`: per field, a row whose pattern matches
        the name beats a row for every file; among patterns the longest (the most
        specific) wins."""
        best: dict[str, MapRow] = {}
        name = file_name.casefold()
        for r in self.map_rows:
            if r.file_pattern and not fnmatch.fnmatchcase(name, r.file_pattern.casefold()):
                continue
            key = r.field.casefold()
            have = best.get(key)
            if have is None or len(r.file_pattern) > len(have.file_pattern):
                best[key] = r
        return FileMapping(tuple(sorted(best.values(), key=lambda r: r.row)))

    def context(self) -> str:
        """A hash of everything here that changes how the source's files are parsed."""
        text = repr((self.map_rows, sorted((k, sorted(v.items())) for k, v in self.values.items()),
                     self.line_items, sorted(self.rates.items()), sorted(self.catalog.items())))
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def _rows(con: duckdb.DuckDBPyConnection, table: str, columns: str) -> list[tuple]:
    """The rows of config table `raw.<table>` (none when it is not there yet). A failed
    bind, not a look into information_schema (~2.5 ms a query, several per source)."""
    try:
        return con.execute(f"select _row_number, {columns} from raw.{table} "
                           "order by _file_name, _row_number").fetchall()
    except duckdb.CatalogException:
        return []


def _clean(value: object) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def catalog_ids(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """The survey's question ids: lower-case -> as written in the catalog."""
    return {str(q).strip().casefold(): str(q).strip()
            for _, q in _rows(con, "survey_questions", "question_id") if _clean(q)}


def _source_names() -> list[str]:
    return [n for n, c in all_contracts().items() if not c.is_config]


def _field_list(c: Contract) -> str:
    return ", ".join(f.name for f in c.fields)


def date_format_error(con: duckdb.DuckDBPyConnection, fmt: str) -> str | None:
    """Why DuckDB cannot use `fmt` as a strptime format (None: it can)."""
    try:
        con.execute("select try_strptime('2025-01-01', ?)", [strptime_format(fmt)]).fetchall()
    except duckdb.Error as exc:
        return str(exc).strip().splitlines()[0]
    return None


def strptime_format(fmt: str) -> str:
    """A mapping's date format as the parser applies it: month names (`%B`, `%b`) are
    read as English abbreviations (German and English names are turned into those first,
    see values.py), and an offset (`%z`, `%Z`) is dropped from the text and the format —
    times are taken as written."""
    out = fmt.replace("%B", "%b")
    out = re.sub(r"\s*%[zZ]", "", out)
    return out


def _check_column_map(con: duckdb.DuckDBPyConnection, catalog: dict[str, str]
                      ) -> tuple[list[MapRow], list[ConfigProblem]]:
    good: list[MapRow] = []
    problems: list[ConfigProblem] = []
    rows = _rows(con, "column_map", "source, file_pattern, field, header, constant, format")
    for number, source, pattern, name, header, constant, fmt in rows:
        source, name = _clean(source), _clean(name)
        header, constant, fmt = _clean(header), _clean(constant), _clean(fmt)
        where = f"row {number}"

        def bad(message: str) -> None:
            problems.append(ConfigProblem("column_map", f"{where}: {message}"))  # noqa: B023

        if source not in _source_names():
            bad(f"unknown source '{source}' — known: {', '.join(_source_names())}")
            continue
        c = contract(source)
        fields = {f.name.casefold(): f for f in c.fields}
        f = fields.get(str(name).casefold())
        is_question = c.is_survey and f is None and str(name).casefold() in catalog
        if f is None and not is_question:
            known = _field_list(c) + (" or a question_id of config/survey_questions.csv"
                                      if c.is_survey else "")
            bad(f"'{name}' is not a field of {source} — known: {known}")
            continue
        if (header is None) == (constant is None):
            bad(f"give either a header or a constant for {name} (this row has "
                f"{'both' if header else 'neither'})")
            continue
        if fmt is not None:
            kind = "decimal" if is_question else f.type
            if kind in ("date", "datetime"):
                error = date_format_error(con, fmt)
                if error:
                    bad(f"format '{fmt}' is no date format ({error}); write it in strftime "
                        "notation, e.g. %d.%m.%Y or %m/%d/%Y %I:%M %p")
                    continue
            elif kind in ("decimal", "int"):
                if fmt.casefold() not in NUMBER_FORMATS:
                    bad(f"format '{fmt}' for the number field {name}: write decimal_comma "
                        "(1.234,56) or decimal_point (1,234.56)")
                    continue
                fmt = fmt.casefold()
            else:
                bad(f"a format is only for date and number fields; {name} is {kind}")
                continue
        field_name = catalog[str(name).casefold()] if is_question else f.name
        good.append(MapRow(int(number), source, _clean(pattern) or "", field_name, header,
                           constant, fmt))
    return good, problems


def _check_value_map(con: duckdb.DuckDBPyConnection, catalog: dict[str, str]
                     ) -> tuple[dict[str, dict[str, dict[str, str]]], list[ConfigProblem]]:
    maps: dict[str, dict[str, dict[str, str]]] = {}
    problems: list[ConfigProblem] = []
    for number, source, name, raw, value in _rows(con, "value_map",
                                                  "source, field, raw_value, value"):
        source, name, raw, value = _clean(source), _clean(name), _clean(raw), _clean(value)
        where = f"row {number}"

        def bad(message: str) -> None:
            problems.append(ConfigProblem("value_map", f"{where}: {message}"))  # noqa: B023

        if source not in _source_names():
            bad(f"unknown source '{source}' — known: {', '.join(_source_names())}")
            continue
        c = contract(source)
        key = str(name).casefold()
        if c.is_survey and (key == ANSWER or key in catalog):
            try:
                float(str(value).replace(",", "."))
            except ValueError:
                bad(f"an answer maps to a number on the question's scale, not '{value}'")
                continue
            target = ANSWER if key == ANSWER else catalog[key]
            maps.setdefault(source, {}).setdefault(target, {})[str(raw).lower()] = \
                str(value).replace(",", ".")
            continue
        f = next((f for f in c.fields if f.name.casefold() == key), None)
        if f is None:
            known = _field_list(c) + (", answer or a question_id" if c.is_survey else "")
            bad(f"'{name}' is not a field of {source} — known: {known}")
            continue
        if f.name == "channel" or f.name == "source_channel":
            bad("channels are mapped in config/channels.csv (which also says what is "
                "digital)")
            continue
        if f.type != "text":
            bad(f"{f.name} is a {f.type} field: only words of text fields are mapped")
            continue
        if f.values and not f.open_values:
            canonical = {v.casefold(): v for v in f.values}
            for v, spellings in f.values.items():
                canonical.update({s.casefold(): v for s in spellings})
            if str(value).casefold() not in canonical:
                bad(f"'{value}' is no value of {f.name} — use one of {', '.join(f.values)}")
                continue
            value = canonical[str(value).casefold()]
        maps.setdefault(source, {}).setdefault(f.name, {})[str(raw).lower()] = str(value)
    return maps, problems


def _check_settings(con: duckdb.DuckDBPyConnection) -> tuple[set[str], list[ConfigProblem]]:
    folded: set[str] = set()
    problems: list[ConfigProblem] = []
    for number, key, value in _rows(con, "settings", "key, value"):
        key = (_clean(key) or "").casefold()
        if not key.startswith(LINE_ITEMS_KEY):
            continue
        source = key[len(LINE_ITEMS_KEY):]
        if source not in _source_names():
            problems.append(ConfigProblem("settings", f"row {number}: {key}: unknown source "
                                          f"'{source}' — known: {', '.join(_source_names())}"))
            continue
        mode = (_clean(value) or "").casefold()
        if mode not in LINE_ITEM_MODES:
            problems.append(ConfigProblem("settings", f"row {number}: {key} = '{value}': write "
                                          "sum (rows with one key are lines of one record)"))
            continue
        folded.add(source)
    return folded, problems


def rate_month(text: str) -> str | None:
    """`2025-08` (also `2025-8`, `08/2025`, `08.2025`, and `2025-08-01` as Excel turns a
    typed month into a date) as `2025-08`; None when it is no month."""
    m = re.fullmatch(r"(\d{4})-(\d{1,2})(-01)?", text)
    year, month = (m.group(1), m.group(2)) if m else (None, None)
    if not m and (m := re.fullmatch(r"(\d{1,2})[./](\d{4})", text)):
        year, month = m.group(2), m.group(1)
    if year is None or not 1 <= int(month) <= 12:
        return None
    return f"{year}-{int(month):02d}"


def _check_rates(con: duckdb.DuckDBPyConnection
                 ) -> tuple[dict[tuple[str, str], float], list[ConfigProblem]]:
    rates: dict[tuple[str, str], float] = {}
    problems: list[ConfigProblem] = []
    for number, currency, month, rate in _rows(con, "exchange_rates",
                                               "currency, month, eur_per_unit"):
        text = _clean(month) or ""
        period = rate_month(text)
        if period is None:
            problems.append(ConfigProblem("exchange_rates", f"row {number}: month '{text}' "
                                          "— write it as 2025-08"))
            continue
        if rate is None or rate <= 0:
            continue  # quarantined by the contract already (required, at least 0)
        rates[(str(currency).upper(), period)] = float(rate)
    return rates, problems


def _check_catalog(con: duckdb.DuckDBPyConnection) -> list[ConfigProblem]:
    seen: dict[str, str] = {}
    problems = []
    for number, qid in _rows(con, "survey_questions", "question_id"):
        text = _clean(qid)
        if text is None:
            continue
        other = seen.get(text.casefold())
        if other is not None and other != text:
            problems.append(ConfigProblem("survey_questions", f"row {number}: question_id "
                                          f"'{text}' differs from '{other}' only in case — "
                                          "headers match case-insensitively: rename one"))
        seen.setdefault(text.casefold(), text)
    return problems


def check_config(con: duckdb.DuckDBPyConnection) -> list[ConfigProblem]:
    """Every problem of the mapping files, settings, rates and question catalog."""
    catalog = catalog_ids(con)
    problems = _check_catalog(con)
    problems += _check_column_map(con, catalog)[1]
    problems += _check_value_map(con, catalog)[1]
    problems += _check_settings(con)[1]
    problems += _check_rates(con)[1]
    return problems


def source_rules(con: duckdb.DuckDBPyConnection, source: str) -> SourceRules:
    """What `config/` says about `source` (the valid rows only: the others are reported by
    `check_config` and block the run)."""
    c = contract(source)
    catalog = catalog_ids(con) if c.is_survey else {}
    rows, _ = _check_column_map(con, catalog_ids(con))
    values, _ = _check_value_map(con, catalog_ids(con))
    folded, _ = _check_settings(con)
    rates: dict[tuple[str, str], float] = {}
    if any(f.converts for f in c.fields):
        rates, _ = _check_rates(con)
    return SourceRules(source, tuple(r for r in rows if r.source == source),
                       values.get(source, {}), source in folded, rates, catalog)
