"""Turn the text cells of export files into typed contract rows with their problems.

Each file's cells (`_read`, see reader.py) are first staged in view `_staged` under a file
number (`_file`), one column per contract field; the staged files are then parsed
together. Everything here is generated SQL over temp tables, so each value is parsed
exactly once, inside DuckDB, in two layers of one statement: the cells (each cell's text
trimmed and emptied once; numbers also cleaned once — and once more, numbers only, for the
decimal-convention vote) and `_typed` (typed values and the problems of each row).
The result, temp table `_parsed`, holds per data row its `_file`, the typed canonical
fields plus `_problem_column`, `_problem_reason`, `_problem_value` (the row's first
problem, NULL for a good row); temp table `_row_problems` holds every problem of each bad
row, one per column (`_file`, `_row_number`, `_problems`).
In large batches a field whose cells repeat (dates, units, statuses) is parsed once per
distinct cell and joined to its rows instead (`lookup_fields`).
What `config/` adds is applied here too, and only where it says something (`FileReading`,
`ParseRules`): a column's date format or decimal separator, the day/month order of a
slashed date column, words mapped to values, amounts in another currency, line items
folded into one record per key.
Referential problems (org units, employee and project ids) are not decided here: they
depend on other tables and are re-evaluated on every run when the raw table is rebuilt
(see `store.py`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import duckdb

from dagster_project.ingest.contracts import Contract, Field, empty_markers
from dagster_project.ingest.mapping import strptime_format
from dagster_project.ingest.values import (
    NUMBER_LIMIT,
    decide_convention,
    sql_one_of,
    sql_str,
)

SQL_TYPES = {
    "text": "varchar",
    "date": "date",
    "datetime": "timestamp",
    "decimal": "double",
    "int": "bigint",
    "bool": "boolean",
}
DUPLICATE_REASON = "duplicate key with different values in the same file"
SKIPPED = "(skipped)"  # `_problem_column` of a row skipped, not quarantined (`skip_if_empty`)
# `_problems`: every problem of a bad row as text — per problem its column, reason and raw
# value separated by chr(31), problems separated by chr(30) (`problem_text`,
# `problem_rows`). It is made by a second statement over the bad rows only
# (`_list_problems`) into a table of its own (`_row_problems`): made in the typing
# statement, it made typing 1 M order lines ~25 % slower, though no good row needs it, and
# even a column of NULLs there cost ~3 %.
PROBLEMS_TYPE = "varchar"


@dataclass
class ParseOutcome:
    rows: int                   # data rows in the file (all-empty lines not counted)
    duplicates_collapsed: int   # exact duplicate rows folded into one
    skipped: int = 0            # rows skipped (a usage row without an activity date)
    folded: int = 0             # lines folded into the record above them (line items)
    rejected: str | None = None  # why the file cannot be stored (then nothing of it is)


@dataclass(frozen=True)
class FileReading:
    """How one file's columns are read, beyond what their values show by themselves.

    `origin`: where its rows are staged from — the read table's number in `_staged`
    (`_src`) and the rowid of its first data row there — so that its bad rows are found
    again by rowid (`_list_problems`; None: by their row number); `decimal`: the file's
    decimal separator by default; `forced`: a field's reading that `config/column_map.csv`
    gives (`,` / `.` for numbers, `fmt:<strftime>` for dates);
    `vote_dates`: the date fields whose slashed values decide their day/month order (the
    beginning of the file showed a `/` in them); `period`: the first and last day of the
    period the file covers where it says so (a DATEV header line), the year of a date
    format without one; `labels`: field -> header in the file, `rows`: field -> the
    mapping row that gave its format (both for messages).
    """

    decimal: str = ","
    origin: tuple[int, int] | None = None
    forced: dict[str, str] = field(default_factory=dict)
    vote_dates: tuple[str, ...] = ()
    period: tuple[str, str] | None = None
    labels: dict[str, str] = field(default_factory=dict)
    rows: dict[str, str] = field(default_factory=dict)

    def reading_of(self, name: str) -> str:
        """A forced reading as `date_sql` takes it (a format with the file's period)."""
        conv = self.forced[name]
        if conv.startswith("fmt:") and self.period:
            conv += "@" + "..".join(self.period)
        return conv


@dataclass(frozen=True)
class ParseRules:
    """What `config/` says about the whole source (mapping.SourceRules, as parsing needs it)."""

    values: dict[str, dict[str, str]] = field(default_factory=dict)  # field -> word -> value
    rates: dict[tuple[str, str], float] = field(default_factory=dict)
    line_items: bool = False


NO_RULES = ParseRules()


def _empty_markers() -> set[str]:
    return {m.casefold() for m in empty_markers()}


def ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _text(f: Field) -> str:
    """The cells' column with a field's cleaned text (see `_cells`)."""
    return ident("t__" + f.name)


def _number_text(f: Field) -> str:
    """The cells' column with a numeric field's cleaned number text (see `_cells`)."""
    return ident("n__" + f.name)


def column_conventions(con: duckdb.DuckDBPyConnection, cells: str, columns: dict[str, str],
                       file_conventions: dict[int, str]) -> dict[int, dict[str, str]]:
    """Decimal separator per file and numeric column, decided from all of its values.

    `columns` maps a field name to the column of `cells` (a table or subquery with `_file`)
    holding its cleaned number text; `file_conventions` gives each file its fallback. One
    scan in all.
    """
    if not columns:
        return {file: {} for file in file_conventions}
    parts = []
    for col in columns.values():
        parts.append(f"count_if(lt_number_style({col}) = ',')")
        parts.append(f"count_if(lt_number_style({col}) = '.')")
    votes = {row[0]: row[1:] for row in con.execute(
        f"select _file, {', '.join(parts)} from {cells} group by _file").fetchall()}
    decided = {}
    for file, convention in file_conventions.items():
        counts = votes.get(file) or (0,) * (2 * len(columns))
        decided[file] = {name: decide_convention(counts[2 * i], counts[2 * i + 1], convention)
                         for i, name in enumerate(columns)}
    return decided


def date_sql(t: str, conv: str | None) -> str:
    """SQL for the timestamp in text `t` read with its column's reading `conv`: None (each
    value as it shows itself), 'dmy' / 'mdy' (the column's day/month order), or
    'fmt:<strftime>' — with '@<first day>..<last day>' of the file's period when the
    format has no year (DATEV's `TTMM`)."""
    if not conv:
        return f"lt_timestamp({t})"
    if conv in ("dmy", "mdy"):
        return f"lt_timestamp_in({t}, {sql_str(conv)})"
    fmt, _, period = conv[4:].partition("@")
    text = t
    if re.search(r"%[bB]", fmt):
        text = f"lt_month_names({text})"
    if re.search(r"%[zZ]", fmt):  # an offset is read and dropped: the time as written
        text = f"regexp_replace({text}, '\\s*(Z|[+-][0-9]{{2}}:?[0-9]{{2}}|UTC|GMT)$', '')"
    if "%f" in fmt:  # up to nine decimals of a second are written; six are kept
        text = f"regexp_replace({text}, '([.,][0-9]{{6}})[0-9]{{1,3}}', '\\1')"
    fmt = strptime_format(fmt)
    if not re.search(r"%[Yy]", fmt):
        if not period:
            return "cast(null as timestamp)"
        # the year of the file's period (parsed in a leap year, so 29 February reads)
        first, last = period.split("..")
        parsed = f"try_strptime({text} || '|2000', {sql_str(fmt + '|%Y')})"
        years = (f"case when strftime({parsed}, '%m%d') >= {sql_str(first[5:7] + first[8:10])} "
                 f"then {int(first[:4]) - 2000} else {int(last[:4]) - 2000} end")
        return f"({parsed} + to_years({years}))"
    parsed = f"try_strptime({text}, {sql_str(fmt)})"
    if "%y" in fmt:  # a two-digit year means 20yy
        parsed = (f"(case when year({parsed}) < 2000 then {parsed} + interval 100 year "
                  f"else {parsed} end)")
    return parsed


def typed_expr(f: Field, conv: str | None) -> str:
    """SQL for the typed value of field `f` from its cleaned text (NULL when not readable).

    `conv`: the column's reading — its decimal separator for numbers (`,`, `.` or `?` for a
    column that mixes them), for dates None, 'dmy', 'mdy' or 'fmt:...' (`date_sql`)."""
    t = _text(f)
    if f.type == "date":
        return f"cast({date_sql(t, conv)} as date)"
    if f.type == "datetime":
        return date_sql(t, conv)
    if f.type in ("decimal", "int"):
        number = f"lt_number_clean({_number_text(f)}, {sql_str(conv or '.')})"
        if f.percent == "fraction":
            number = f"({number} / case when lt_is_percent({t}) then 100 else 1 end)"
        if f.type == "int":
            return f"case when {number} = round({number}) then cast({number} as bigint) end"
        return number
    if f.type == "bool":
        return f"lt_bool({t})"
    if f.values:
        cases = " ".join(
            f"when {sql_one_of(f'lower({t})', [s.lower() for s in spellings])} "
            f"then {sql_str(value)}"
            for value, spellings in f.values.items()
        )
        fallback = (f"upper({t})" if f.upper else t) if f.open_values else "null"
        return f"case {cases} else {fallback} end"
    if f.allowed or f.upper:
        return f"upper({t})"
    return t


def _default_sql(f: Field) -> str:
    if f.default is None:
        return "null"
    if f.type == "bool":
        return "true" if f.default else "false"
    if f.type in ("decimal", "int"):
        return str(f.default)
    return sql_str(str(f.default))


def parse_error_expr(f: Field, conv: str | None) -> str:
    """SQL for the reason why the value of `f` is not acceptable (NULL when it is)."""
    t, v = _text(f), ident(f.name)
    shown = f"'''' || {t} || ''''"
    checks: list[tuple[str, str]] = []
    if f.required and f.default is None and not f.skip_if_empty:
        checks.append((f"{t} is null", "'required value missing'"))
    kind = "date/time" if f.type == "datetime" else "date"
    unread_date = f"'unparsable {kind} ' || {shown}"
    if not conv:  # a slashed day and month that the value alone cannot order
        # (`contains`, not `lt_slash_style`: a reason is written out four times in the
        # typing statement, and the patterns made planning it ~10 ms slower)
        unread_date += (f" || case when contains({t}, '/') then ' (day or month first? "
                        "give the column''s format in config/column_map.csv, e.g. %d/%m/%Y)' "
                        "else '' end")
    unreadable = {
        "date": unread_date,
        "datetime": unread_date,
        "decimal": f"'unparsable number ' || {shown}",
        "bool": f"'not a yes/no value ' || {shown} || ' (use ja/nein, true/false, x/empty)'",
    }
    if f.type == "int":
        unreadable["int"] = (
            f"case when lt_number_clean({_number_text(f)}, {sql_str(conv or '.')}) is null "
            f"then 'unparsable number ' else 'not a whole number ' end || {shown}")
    if f.type in ("decimal", "int") and conv == "?":
        n = _number_text(f)
        checks.append((
            f"{t} is not null and {v} is null and lt_number_style({n}) is null "
            f"and regexp_matches({n}, '[.,]')",
            f"'ambiguous number ' || {shown} || ' (the column mixes 1.234,5 and 1,234.5)'",
        ))
    if f.type in ("decimal", "int"):
        checks.append((
            f"{t} is not null and {v} is null and "
            f"abs(lt_number_unlimited({_number_text(f)}, {sql_str(conv or '.')})) "
            f">= {NUMBER_LIMIT:.0f}",
            f"'number ' || {shown} || ' too large (at most 15 digits before the decimal "
            "point)'"))
    if f.type in unreadable:
        checks.append((f"{t} is not null and {v} is null", unreadable[f.type]))
    elif f.values and not f.open_values:
        listed = ", ".join(f.values)
        checks.append((f"{t} is not null and {v} is null",
                       f"'{f.name} ' || {shown} || ' not in {listed}'"))
    if f.allowed:
        allowed = ", ".join(f.allowed)
        checks.append((f"{v} is not null and not {sql_one_of(v, list(f.allowed))}",
                       f"'{f.name} ' || {shown} || ' is not {allowed}'"))
    if f.min is not None or f.max is not None:
        low = "" if f.min is None else f"{f.min:g}"
        high = "" if f.max is None else f"{f.max:g}"
        outside = " or ".join(
            [f"{v} < {f.min}"] * (f.min is not None) + [f"{v} > {f.max}"] * (f.max is not None))
        checks.append((outside, f"'{f.name} ' || {shown} || ' outside {low}..{high}'"))
    if not checks:
        return "null"
    return "case " + " ".join(f"when {cond} then {reason}" for cond, reason in checks) + " end"


def problem_text(column: str, reason: str, value: str) -> str:
    """SQL for one problem in `_problems`' text (see `PROBLEMS_TYPE`)."""
    return f"({column} || chr(31) || {reason} || chr(31) || coalesce({value}, ''))"


def problem_rows(column: str) -> str:
    """SQL (a FROM item) for the problems in text `column` of rows `t`, one row each:
    `p_n` (its place), `p_column`, `p_reason`, `p_value`."""
    return (f"(select *, split_part(p, chr(31), 1) as p_column, "
            f"split_part(p, chr(31), 2) as p_reason, "
            f"nullif(split_part(p, chr(31), 3), '') as p_value from ("
            f"select *, unnest(string_split({column}, chr(30))) as p, "
            f"generate_subscripts(string_split({column}, chr(30)), 1) as p_n from t))")


def _problem_cases(c: Contract, errors: dict[str, str]) -> tuple[str, str, str, str]:
    """SQL for the first problem of a row (column, reason, raw value), and for the list of
    all its problems (`_problems`, one per column; NULL for a good row).

    `errors`: per field, SQL for its reason (`parse_error_expr`, or the column holding it).
    The list is built on rows with a problem only (the column tells), so a good row costs
    no list.
    """
    skips = [(sql_str(SKIPPED), f"{_text(f)} is null", "null", "null")
             for f in c.fields if f.skip_if_empty]
    # The text beyond the last column is not shown: in a shifted row it may well be a
    # dropped personal column.
    overflow = ("'(row)'", "_overflow is not null",
                "'row has more fields than the header'", "'(text beyond the last column)'")
    problems = []
    for f in c.fields:
        err = errors[f.name]
        if err != "null":
            problems.append((sql_str(f.name), f"({err}) is not null", err, _text(f)))
    # Conditional requirements (closed_date when a lead is won or lost) come last: they
    # need the other field's parsed value.
    for f in c.fields:
        for other, wanted in f.required_if.items():
            problems.append((
                sql_str(f.name),
                f"{_text(f)} is null and {sql_one_of(ident(other), list(wanted))}",
                f"'{f.name} required for {other} ' || '''' || {ident(other)} || ''''",
                _text(f),
            ))
    first = [*skips, overflow, *problems]

    def case(i: int) -> str:
        return "case " + " ".join(f"when {p[1]} then {p[i]}" for p in first) + " end"

    def entry(p: tuple[str, str, str, str]) -> str:
        return f"case when {p[1]} then {problem_text(p[0], p[2], 'lt_redact(' + p[3] + ')')} end"

    listed = ("case when _problem_column = '(row)' then " + entry(overflow)
              + " else concat_ws(chr(30), " + ", ".join(entry(p) for p in problems) + ") end")
    return case(0), case(2), case(3), listed


# `lookup_fields`: below this many staged rows every field is typed in place (a join per
# field costs more to plan than it saves); a field is looked up when at most half the
# cells of a sample of `LOOKUP_SAMPLE` rows are distinct (in the first batch that large).
LOOKUP_MIN_ROWS = 50_000
LOOKUP_SAMPLE = 4096


def lookup_fields(con: duckdb.DuckDBPyConnection, c: Contract,
                  chosen: dict[str, list[Field]] | None = None) -> list[Field]:
    """The fields of `c` whose cells in `_staged` repeat enough to type each distinct cell
    once and look the rows up, rather than type every cell.

    Dates, units, channels, statuses and customers take a few hundred or thousand distinct
    cells over millions of order lines; typing a date cell costs ~4 times a join's probe.
    Either way the values and problems are the same, so a sample decides (fields whose
    cells are mostly distinct, such as ids and amounts, are typed in place). `chosen`: the
    choices of the load's earlier batches by source, reused: a field's cells are of the same
    kind in every export of a source (at scale 480 each of the 8 order batches chose the
    same 7 fields), and sampling a batch's view scans all its rows (~60 ms per 1.3 M).
    """
    rows = con.execute("select count(*) from _staged").fetchall()[0][0]
    if rows < LOOKUP_MIN_ROWS:
        return []
    if chosen is not None and c.name in chosen:
        return chosen[c.name]
    # every k-th row of each file: spread over all files, and cheap (a reservoir sample
    # scans every row: 0.09 s against 0.03 s per 1.26 M order lines)
    counts = ", ".join(f"count(distinct {_staged(f)})" for f in c.fields)
    every = max(1, rows // LOOKUP_SAMPLE)
    sampled, *distinct = con.execute(
        f"select count(*), {counts} from _staged where _row_number % {every} = 0"
    ).fetchall()[0]
    fields = [f for f, n in zip(c.fields, distinct, strict=True) if n <= sampled // 2]
    if chosen is not None:
        chosen[c.name] = fields
    return fields


def _numeric(fields: list[Field]) -> list[Field]:
    return [f for f in fields if f.type in ("decimal", "int")]


def _staged(f: Field) -> str:
    """The `_staged` column with a field's cell as read."""
    return ident("s__" + f.name)


def staged_rows(c: Contract, columns: dict[str, int], n_cells: int, file: str,
                row_number: str, table: str, where: str = "true",
                constants: dict[str, str] | None = None, source: int = 0) -> str:
    """SELECT of the data rows of files read (`table`, see reader.py) in `_staged`'s shape.

    `file`: SQL for a row's file number in the batch; `row_number`: for its data row
    number; `where`: the rows (files) to take; `constants`: field -> the value every row
    gets (`config/column_map.csv`); `source`: the table's number (`_src`, with `_rid` its
    rowid: a bad row is found again by them, see `FileReading.origin`). The cells go
    into one column per contract field (NULL for a field the files lack), so that files
    with different headers can be parsed together (`parse_cells`): the statements that
    type cells cost ~10–15 ms each to plan whatever the rows, so a source of many small
    daily exports pays that once rather than per file.
    """
    constants = constants or {}
    cells = ", ".join(
        f"cast({sql_str(constants[f.name])} as varchar) as {_staged(f)}"
        if f.name in constants
        else f"c{columns[f.name]} as {_staged(f)}" if f.name in columns
        else f"cast(null as varchar) as {_staged(f)}"
        for f in c.fields
    )
    # A row whose cells are all empty (`;;;;` as Excel writes formatted empty rows) is no
    # data row. (Tested on the cells as read: a filter on the parsed texts would parse twice.)
    any_cell = "coalesce(" + ", ".join([f"c{i}" for i in range(n_cells)] + ["_overflow"]) + ")"
    return (f"select cast({file} as integer) as _file, {row_number} as _row_number, "
            f"_overflow, {cells}, {int(source)} as _src, rowid as _rid "
            f"from {table} where {where} and {any_cell} is not null")


def stage_view(con: duckdb.DuckDBPyConnection, parts: list[str]) -> None:
    """Temp view `_staged`: the rows of `parts` (`staged_rows`), from the tables they read.

    A view, not a copy: the cells are read where the reads left them, also when a batch
    spans several reads (copying 10 M order lines' cells took ~0.6–0.8 s). The tables
    must stay until the batch is parsed.
    """
    con.execute("create or replace temp view _staged as " + " union all ".join(parts))


def drop_staged(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("drop view if exists _staged")


def _mapped(f: Field, text: str, values: dict[str, dict[str, str]]) -> str:
    """`text` with the words `config/value_map.csv` maps for `f` turned into their values."""
    words = values.get(f.name)
    if not words:
        return text
    cases = " ".join(f"when {sql_str(w)} then {sql_str(v)}" for w, v in words.items())
    return f"coalesce(case lower({text}) {cases} end, {text})"


def _clean_text(f: Field, trimmed: str, values: dict[str, dict[str, str]] | None) -> str:
    """SQL for a field's text from its trimmed cell: emptied, its words mapped, and for an
    id of a person or customer an e-mail address replaced by its keyed pseudonym (in large
    batches such fields are looked up, so this runs once per distinct cell)."""
    text = _mapped(f, f"lt_blank({trimmed})", values or {})
    return f"lt_id_cell({text})" if f.pseudonymise else text


def _cells(fields: list[Field], looked_up: tuple[Field, ...] | list[Field] = (),
           table: str = "_staged",
           row_columns: str = "_file, _row_number, _overflow",
           values: dict[str, dict[str, str]] | None = None) -> str:
    """Subquery of `table` for `fields`: each cell trimmed and emptied once, numbers
    cleaned once (`_text`, `_number_text`); the cells of `looked_up` fields as read.
    `values`: words mapped to values per field (`config/value_map.csv`).

    A subquery, not a table: writing the cells of 10 M order lines to a temp table and
    reading them back cost ~3 s more than cleaning them inside the statement that types
    them. The decimal-convention vote reads the numeric fields' cells the same way before.
    """
    passed = "".join(f", {_staged(f)}" for f in looked_up)
    if not fields:
        return f"(select {row_columns}{passed} from {table})"
    trimmed = ", ".join(f"lt_trim({_staged(f)}) as {ident('r__' + f.name)}" for f in fields)
    texts = ", ".join(f"{_clean_text(f, ident('r__' + f.name), values)} as {_text(f)}"
                      for f in fields)
    numbers = "".join(f", lt_number_text({_text(f)}) as {_number_text(f)}"
                      for f in _numeric(fields))
    return f"""(
        with trimmed as (select {row_columns}{passed}, {trimmed} from {table}),
        texts as (select {row_columns}{passed}, {texts} from trimmed)
        select *{numbers} from texts
    )"""


def _file_list(files: list[int]) -> str:
    return ", ".join(map(str, files)) or "-1"


def _date_orders(con: duckdb.DuckDBPyConnection, c: Contract,
                 readings: dict[int, FileReading]) -> tuple[dict[int, dict[str, str]],
                                                            dict[int, str]]:
    """The day/month order of each slashed date column (`FileReading.vote_dates`), decided
    from its values: a first part above 12 means day first, a second part above 12 month
    first. A column where both readings stay possible and differ (or whose values
    contradict each other) rejects its file, naming the column and two of its values."""
    orders: dict[int, dict[str, str]] = {}
    rejected: dict[int, str] = {}
    for f in c.fields:
        files = [n for n, r in readings.items() if f.name in r.vote_dates]
        if not files:
            continue
        t = f"lt_text({_staged(f)})"
        rows = con.execute(f"""
            select _file, count_if(s = 'd'), count_if(s = 'm'), count_if(s = 'x'),
                   min(t) filter (where s = 'x'), max(t) filter (where s = 'x'),
                   min(t) filter (where s = 'd'), min(t) filter (where s = 'm')
            from (select _file, {t} as t, lt_slash_style({t}) as s from _staged
                  where _file in ({_file_list(files)}))
            group by _file
        """).fetchall()
        for file, day, month, either, x1, x2, d1, m1 in rows:
            label = readings[file].labels.get(f.name, f.name)
            fix = (f"give its format in config/column_map.csv ({c.name};<file pattern>;"
                   f"{f.name};{label};;%d/%m/%Y or %m/%d/%Y)")
            if day and month:
                rejected[file] = (f"column '{label}' mixes day-first and month-first dates "
                                  f"('{d1}', '{m1}') — {fix}")
            elif day or month:
                orders.setdefault(file, {})[f.name] = "dmy" if day else "mdy"
            elif either:
                shown = f"'{x1}' and '{x2}'" if x1 != x2 else f"'{x1}'"
                rejected[file] = (f"column '{label}' has dates that read day-first or "
                                  f"month-first ({shown}), and none that tells — {fix}")
    return orders, rejected


def _format_failures(con: duckdb.DuckDBPyConnection, c: Contract,
                     readings: dict[int, FileReading]) -> dict[int, str]:
    """Files with a date column whose mapping's format reads none of its values: the file
    is rejected naming the `column_map.csv` row (single bad values are quarantined)."""
    rejected: dict[int, str] = {}
    for f in c.fields:
        if f.type not in ("date", "datetime"):
            continue
        files = [n for n, r in readings.items()
                 if str(r.forced.get(f.name, "")).startswith("fmt:")]
        for file in files:
            reading = readings[file]
            conv = reading.reading_of(f.name)
            where, label = reading.rows.get(f.name, "config/column_map.csv"), \
                reading.labels.get(f.name, f.name)
            fmt = conv[4:].split("@")[0]
            if not re.search(r"%[Yy]", fmt) and "@" not in conv:
                rejected[file] = (f"the format '{fmt}' of {where} has no year, and the file "
                                  "names no period (as a DATEV header line does) — add %Y")
                continue
            t = f"lt_text({_staged(f)})"
            filled, read, example = con.execute(
                f"select count({t}), count({date_sql(t, conv)}), min({t}) "
                f"from _staged where _file = {file}").fetchall()[0]
            if filled and not read:
                rejected[file] = (f"the format '{fmt}' of {where} reads none of the values of "
                                  f"column '{label}' (e.g. '{example}') — fix the format")
    return rejected


def parse_cells(con: duckdb.DuckDBPyConnection, c: Contract,
                file_conventions: dict[int, FileReading],
                lookups: dict[str, list[Field]] | None = None,
                rules: ParseRules = NO_RULES) -> dict[int, ParseOutcome]:
    """Create temp table `_parsed` from `_staged` (duplicates handled per file).

    `file_conventions`: how each staged file is read (`FileReading`). `_parsed` keeps
    `_file`; the outcome is per file — a file rejected here (an ambiguous date column, a
    format that reads nothing) has no rows in `_parsed`. `lookups`: the fields looked up in
    the load's earlier batches (`lookup_fields`' `chosen`). `rules`: what `config/` says
    about the whole source.
    """
    readings = file_conventions
    numeric = _numeric(list(c.fields))
    # Only a cell with a '.' or ',' can show a separator (cleaning removes characters, it
    # adds none): the others are left out before they are cleaned (5 M usage counts, plain
    # digits, took 0.3 s to clean for the vote).
    separated = " or ".join(f"contains({_staged(f)}, '.') or contains({_staged(f)}, ',')"
                            for f in numeric)
    conventions: dict[int, dict[str, str | None]] = column_conventions(
        con, _cells(numeric, table=f"(select * from _staged where {separated or 'true'})"),
        {f.name: _number_text(f) for f in numeric},
        {n: r.decimal for n, r in readings.items()})
    orders, rejected = _date_orders(con, c, readings)
    rejected.update(_format_failures(con, c, readings))
    for file, reading in readings.items():
        conventions[file].update(orders.get(file, {}))
        conventions[file].update({name: reading.reading_of(name) for name in reading.forced})
    files = [n for n in readings if n not in rejected]
    folded: dict[int, int] = {}
    if rules.line_items and files:
        _fold(con, c, {n: conventions[n] for n in files})
        for n in files:  # the sums are written with a decimal point
            conventions[n].update({f.name: "." for f in c.fields if f.type == "decimal"})
    # One typing statement per distinct set of column conventions (usually one for all).
    by_convention: dict[tuple, list[int]] = {}
    for file in files:
        by_convention.setdefault(tuple(sorted(conventions[file].items())), []).append(file)
    looked_up = lookup_fields(con, c, lookups) if files else []
    converting = _holds_other_currencies(con, c)
    folding = rules.line_items and bool(files)
    if not by_convention:
        con.execute("create or replace temp table _typed as "
                    + _typed_select(c, {}, "where false", [], rules))
    for i, (conv_items, group) in enumerate(by_convention.items()):
        where = ("" if len(by_convention) == 1 and not rejected
                 else f"where _file in ({_file_list(group)})")
        select = _typed_select(c, dict(conv_items), where, looked_up, rules,
                               converting=converting)
        if i == 0:
            con.execute(f"create or replace temp table _typed as {select}")
        else:
            con.execute(f"insert into _typed {select}")
    _list_problems(con, c, readings, by_convention, rules, converting, folding)
    if rules.line_items and files:
        folded = _unfold_problems(con, c)
    drop_staged(con)
    con.execute("drop table if exists _folded")
    outcomes = _resolve_duplicates(con, c, files)
    for file, lines in folded.items():
        outcomes[file].rows += lines
        outcomes[file].folded = lines
    for file, why in rejected.items():
        outcomes[file] = ParseOutcome(0, 0, rejected=why)
    return outcomes


def _fold(con: duckdb.DuckDBPyConnection, c: Contract,
          conventions: dict[int, dict[str, str | None]]) -> None:
    """Fold the lines of line-item exports (`line_items.<source>` = `sum`): rows of a file
    with the same key are lines of one record; a row with an empty key right below a
    record continues it (Odoo writes the order reference on its first line only).
    Decimal fields are summed, every other field takes its non-empty value; lines that
    disagree on one quarantine the record (`_unfold_problems`).

    Replaces `_staged` by `_folded`, one row per record at its first line, with its lines
    (`_line_rows`) and the first field its lines disagree on (`_conflict`, `_conflict_values`).
    """
    files = _file_list(list(conventions))
    keys = [c.field_named(k) for k in c.key]
    # a row with an empty key takes the key of the nearest row above that has one
    key = " || chr(31) || ".join(f"coalesce(lt_text({_staged(k)}), '')" for k in keys)
    no_key = " and ".join(f"lt_text({_staged(k)}) is null" for k in keys)
    continued = (f"case when {no_key} then last_value(case when not ({no_key}) then {key} "
                 "end ignore nulls) over (partition by _file order by _row_number rows between "
                 f"unbounded preceding and current row) else {key} end")
    con.execute(f"""
        create or replace temp table _lines as
        select *, coalesce({continued}, '#' || _row_number) as _record
        from _staged where _file in ({files})
    """)
    aggregates = []
    conflicts = []
    for f in c.fields:
        t = _clean_text(f, f"lt_trim({_staged(f)})", None)
        if f.name in c.key:  # the record's first line has it
            aggregates.append(f"arg_min({t}, _row_number) as {_staged(f)}")
        elif f.type == "decimal":
            conv = ("case _file " + " ".join(
                f"when {n} then {sql_str(conv.get(f.name) or '.')}"
                for n, conv in conventions.items()) + " end")
            number = f"lt_number_clean(lt_number_text({t}), {conv})"
            bad = f"{t} is not null and {number} is null"
            aggregates.append(
                f"case when count_if({bad}) > 0 then arg_min({t}, _row_number) filter ({bad}) "
                f"else printf('%.9f', sum({number})) end as {_staged(f)}")
        else:
            aggregates.append(f"min({t}) as {_staged(f)}")
            conflicts.append((f.name, f"count(distinct {t}) > 1",
                              f"string_agg(distinct {t}, ' / ' order by {t})"))
    conflict = ("case " + " ".join(f"when {cond} then {sql_str(name)}"
                                   for name, cond, _ in conflicts) + " end") if conflicts \
        else "cast(null as varchar)"
    shown = ("case " + " ".join(f"when {cond} then {values}"
                                for _, cond, values in conflicts) + " end") if conflicts \
        else "cast(null as varchar)"
    con.execute(f"""
        create or replace temp table _folded as
        select _file, min(_row_number) as _row_number, max(_overflow) as _overflow,
               {', '.join(aggregates)},
               list(_row_number order by _row_number) as _line_rows,
               {conflict} as _conflict, {shown} as _conflict_values
        from _lines group by _file, _record
    """)
    con.execute("drop table _lines")
    con.execute("create or replace temp view _staged as select * from _folded")


def _unfold_problems(con: duckdb.DuckDBPyConnection, c: Contract) -> dict[int, int]:
    """After folding: a record whose lines disagree is quarantined; the lines of a
    quarantined record are each quarantined with its problems (so every line is accounted
    for), holding its key only. Returns per file the lines folded into good records."""
    key = c.key[0]
    others = ", ".join(f"{ident(f.name)} = null" for f in c.fields if f.name != key)
    reason = ("'lines of one record disagree on ' || f._conflict || ': ''' || "
              "replace(f._conflict_values, ' / ', ''' / ''') || ''''")
    con.execute(f"""
        update _typed t set {others},
            _problem_column = f._conflict, _problem_reason = {reason},
            _problem_value = lt_redact(f._conflict_values)
        from _folded f
        where f._file = t._file and f._row_number = t._row_number
          and f._conflict is not null and t._problem_column is null
    """)
    con.execute(f"""
        insert into _row_problems
        select f._file, f._row_number,
               {problem_text("f._conflict", reason, "lt_redact(f._conflict_values)")}
        from _folded f anti join _row_problems r
            on r._file = f._file and r._row_number = f._row_number
        where f._conflict is not null
    """)
    con.execute(f"""
        create or replace temp table _more_lines as
        select t._file, unnest(f._line_rows[2:]) as _row_number, f._row_number as _first
        from _typed t join _folded f on f._file = t._file and f._row_number = t._row_number
        where t._problem_column is not null and t._problem_column <> {sql_str(SKIPPED)}
          and len(f._line_rows) > 1
    """)
    con.execute(f"""
        insert into _typed by name
        select m._file, m._row_number, t.{ident(key)}, t._problem_column, t._problem_reason,
               t._problem_value
        from _more_lines m join _typed t on t._file = m._file and t._row_number = m._first
    """)
    con.execute("""
        insert into _row_problems
        select m._file, m._row_number, r._problems
        from _more_lines m join _row_problems r on r._file = m._file and r._row_number = m._first
    """)
    con.execute("drop table _more_lines")
    return {file: int(lines) for file, lines in con.execute("""
        select t._file, sum(len(f._line_rows) - 1) from _typed t
        join _folded f on f._file = t._file and f._row_number = t._row_number
        where t._problem_column is null group by t._file
    """).fetchall()}


def _value_sql(f: Field, conv: dict[str, str | None]) -> str:
    """SQL for the value of `f` from its cleaned text: typed, or its default when empty."""
    return (f"coalesce({typed_expr(f, conv.get(f.name))}, "
            f"case when {_text(f)} is null then {_default_sql(f)} end)")


def _error_column(f: Field) -> str:
    return ident("e__" + f.name)


def _lookup(f: Field, conv: dict[str, str | None], where: str,
            values: dict[str, dict[str, str]]) -> str:
    """Subquery: each distinct cell of `f` in `_staged` (the rows `where` selects) with its
    cleaned text, value and problem (`_error_column`), each computed once per cell."""
    distinct = f"(select distinct {_staged(f)} from _staged {where})"
    cells = _cells([f], table=distinct, row_columns=_staged(f), values=values)
    return (f"(select {_staged(f)}, {_text(f)}, {ident(f.name)}, "
            f"{parse_error_expr(f, conv.get(f.name))} as {_error_column(f)} "
            f"from (select *, {_value_sql(f, conv)} as {ident(f.name)} from {cells}))")


def _converted(c: Contract, rules: ParseRules) -> tuple[str, dict[str, str]]:
    """SELECT items replacing the amounts that a currency field converts to EUR (at the
    rate of their month, `config/exchange_rates.csv`), and the currency's extra problem.

    EUR rows (and rows without a currency, EUR by default) keep their amount: for them the
    conversion is one comparison. A converted row's currency becomes EUR."""
    for cur in c.fields:
        if not cur.converts:
            continue
        v, month = ident(cur.name), ident(cur.month_of)
        period = f"strftime({month}, '%Y-%m')"
        rate = "cast(null as double)"
        if rules.rates:
            rate = (f"case {v} || '|' || {period} " + " ".join(
                f"when {sql_str(k + '|' + m)} then {r!r}" for (k, m), r in rules.rates.items())
                + " end")
        foreign = f"{v} is not null and {v} <> 'EUR'"
        items = [f"case when {foreign} then coalesce({ident(a)} * ({rate}), {ident(a)}) "
                 f"else {ident(a)} end as {ident(a)}" for a in cur.converts]
        items.append(f"case when {foreign} and ({rate}) is not null then 'EUR' else {v} end "
                     f"as {v}")
        error = (f"case when {foreign} and {month} is not null and ({rate}) is null then "
                 f"'no exchange rate for ' || {v} || ' in ' || {period} || "
                 "': add it to config/exchange_rates.csv' end")
        return ", ".join(items), {cur.name: error}
    return "", {}


def _typed_select(c: Contract, conv: dict[str, str | None], where: str,
                  looked_up: list[Field], rules: ParseRules = NO_RULES,
                  table: str = "_staged", converting: bool = True,
                  listed_only: bool = False) -> str:
    """SELECT of the typed rows of `table` (`_staged`, filtered by `where`) with their first
    problem (`listed_only`: `_file`, `_row_number`, `_problems` — for `_list_problems`, on
    the bad rows).

    The fields `looked_up` are typed once per distinct cell and joined to the rows by their
    cell (`lookup_fields`); the others are typed in place. `converting`: amounts in other
    currencies are converted (`_converted`; off when the batch holds EUR only).
    """
    names = {f.name for f in looked_up}
    direct = [f for f in c.fields if f.name not in names]
    cells = _cells(direct, looked_up, table=table, values=rules.values)
    values = "".join(f", {_value_sql(f, conv)} as {ident(f.name)}" for f in direct)
    joins = "".join(
        f" left join {_lookup(f, conv, where, rules.values)} l{i} "
        f"on l{i}.{_staged(f)} is not distinct from b.{_staged(f)}"
        for i, f in enumerate(looked_up))
    joined = "".join(f", l{i}.{_text(f)}, l{i}.{ident(f.name)}, l{i}.{_error_column(f)}"
                     for i, f in enumerate(looked_up))
    errors = {f.name: parse_error_expr(f, conv.get(f.name)) for f in direct}
    errors.update({f.name: _error_column(f) for f in looked_up})
    converted, extra_errors = _converted(c, rules) if converting else ("", {})
    for name, error in extra_errors.items():
        errors[name] = f"coalesce({errors[name]}, {error})"
    col_case, reason_case, value_case, listed = _problem_cases(c, errors)
    # A bad row keeps only its first key field (an id others refer to stays known), the
    # fields that refer to master data (checked on every rebuild, so that a row shows all
    # its problems) and its problems; a row with text beyond the last column keeps nothing.
    # Whatever else such rows hold may be shifted text from a column that must not be
    # stored.
    kept_cols = ", ".join(
        f"case when _problem_column is null then {ident(f.name)} end as {ident(f.name)}"
        if f.name != c.key[0] and not f.ref else
        f"case when _problem_column is distinct from '(row)' then {ident(f.name)} end "
        f"as {ident(f.name)}"
        for f in c.fields
    )
    layer = f", converted as (select * replace ({converted}) from typed)" if converted else ""
    source = "converted" if converted else "typed"
    if listed_only:
        return f"""
            with typed as (select b.*{values}{joined} from {cells} b{joins} {where}){layer},
            checked as (select *, {col_case} as _problem_column from {source})
            select _file, _row_number, {listed} as _problems from checked
            where _problem_column is not null and _problem_column <> {sql_str(SKIPPED)}
        """
    field_cols = ", ".join(["_file", "_row_number"] + [ident(f.name) for f in c.fields])
    return f"""
        with typed as (select b.*{values}{joined} from {cells} b{joins} {where}){layer},
        checked as (
            select {field_cols},
                   {col_case} as _problem_column,
                   {reason_case} as _problem_reason,
                   lt_redact({value_case}) as _problem_value
            from {source}
        )
        select _file, _row_number, {kept_cols}, _problem_column, _problem_reason,
               _problem_value
        from checked
    """


def _list_problems(con: duckdb.DuckDBPyConnection, c: Contract,
                   readings: dict[int, FileReading],
                   conventions: dict[tuple, list[int]], rules: ParseRules,
                   converting: bool, folded: bool) -> None:
    """Temp table `_row_problems`: every problem of each bad row of `_typed`, typed again
    from its cells in `_staged`, found by their rowid in the table they were read into (a
    bad row is rare: this costs a few ms per million rows where making the list in the
    typing statement cost ~25 % of it)."""
    con.execute(f"create or replace temp table _row_problems (_file integer, "
                f"_row_number bigint, _problems {PROBLEMS_TYPE})")
    by_number = folded or any(r.origin is None for r in readings.values())
    origins = ", ".join(f"({n}, {(r.origin or (0, 0))[0]}, {(r.origin or (0, 0))[1]})"
                        for n, r in readings.items())
    con.execute(f"""
        create or replace temp table _bad as
        select t._file, t._row_number, o.src as _src, t._row_number + o.first - 1 as _rid
        from _typed t join (values {origins}) o(file, src, first) on o.file = t._file
        where t._problem_column is not null and t._problem_column <> {sql_str(SKIPPED)}
    """)
    with_bad = {file for (file,) in con.execute("select distinct _file from _bad").fetchall()}
    if not with_bad:
        con.execute("drop table _bad")
        return
    # the staged rows of the bad ones (by row number where no rowid tells: a folded
    # record's row is the first of its lines; a single file's `_in` has its numbers)
    table = ("(select s.* from _staged s semi join _bad b on s._file = b._file "
             "and s._row_number = b._row_number)" if by_number else
             "(select s.* from _staged s semi join _bad b on s._src = b._src "
             "and s._rid = b._rid)")
    groups = [(conv, [f for f in files if f in with_bad]) for conv, files in conventions.items()]
    for conv_items, group in ((conv, g) for conv, g in groups if g):
        select = _typed_select(c, dict(conv_items), f"where _file in ({_file_list(group)})",
                               [], rules, table=table, converting=converting,
                               listed_only=True)
        con.execute(f"insert into _row_problems {select}")
    con.execute("drop table _bad")


def _holds_other_currencies(con: duckdb.DuckDBPyConnection, c: Contract) -> bool:
    """Whether `_staged` holds a currency other than EUR (or none): only then are amounts
    converted (the distinct cells of one column other than `EUR`: ~15 ms per 1 M order
    lines, where the conversion written into the typing costs ~40 ms)."""
    for f in c.fields:
        if f.converts:
            euro = {s.casefold() for s in f.values.get("EUR", ())} | {"eur"}
            cells = con.execute(f"select distinct {_staged(f)} from _staged "
                                f"where {_staged(f)} <> 'EUR'").fetchall()
            return any(v is not None and v.strip().casefold() not in euro | {""}
                       and v.strip().casefold() not in _empty_markers()
                       for (v,) in cells)
    return False


def build_parsed(con: duckdb.DuckDBPyConnection, c: Contract, columns: dict[str, int],
                 n_cells: int, file_convention: str | FileReading,
                 constants: dict[str, str] | None = None,
                 rules: ParseRules = NO_RULES) -> ParseOutcome:
    """Create temp table `_parsed` from `_in`, one file on its own (as file 0)."""
    reading = file_convention if isinstance(file_convention, FileReading) \
        else FileReading(file_convention)
    stage_view(con, [staged_rows(c, columns, n_cells, file="0", row_number="_row_number",
                                 table="_in", constants=constants)])
    return parse_cells(con, c, {0: reading}, rules=rules)[0]


def _resolve_duplicates(con: duckdb.DuckDBPyConnection, c: Contract,
                        files: list[int]) -> dict[int, ParseOutcome]:
    """Collapse exact duplicate rows; quarantine every row of a key with differing values;
    count and drop the rows skipped (`SKIPPED`).

    Both within one file. Only keys that occur more than once in a file are looked at
    closely, and `_typed` is changed in place into `_parsed`: copying a batch of 1.3 M
    order lines to fold a few hundred duplicates took ~0.3 s.
    """
    key = ", ".join(["_file"] + [ident(k) for k in c.key])
    record = "struct_pack(" + ", ".join(
        f"{ident(f.name)} := {ident(f.name)}" for f in c.fields) + ")"
    key_text = " || ' / ' || ".join(f"cast({ident(k)} as varchar)" for k in c.key)
    counts = {file: (total, skipped) for file, total, skipped in con.execute(
        f"select _file, count(*), count_if(_problem_column = {sql_str(SKIPPED)}) "
        "from _typed group by _file").fetchall()}
    if any(skipped for _, skipped in counts.values()):
        con.execute(f"delete from _typed where _problem_column = {sql_str(SKIPPED)}")
    con.execute(f"""
        create or replace temp table _dupkeys as
        select {key} from _typed where _problem_column is null
        group by {key} having count(*) > 1
    """)
    collapsed: dict[int, int] = {}
    if con.execute("select count(*) from _dupkeys").fetchall()[0][0]:
        # the rows of those keys: how many versions their key has, which copy each is
        con.execute(f"""
            create or replace temp table _repeated as
            select t.rowid as _id, _file,
                   count(distinct {record}) over (partition by {key}) as _versions,
                   row_number() over (partition by {key}, {record} order by _row_number)
                       as _copy
            from _typed t semi join _dupkeys using ({key})
            where t._problem_column is null
        """)
        collapsed = dict(con.execute(
            "select _file, count(*) from _repeated where _versions = 1 and _copy > 1 "
            "group by _file").fetchall())
        con.execute("delete from _typed where rowid in "
                    "(select _id from _repeated where _versions = 1 and _copy > 1)")
        reason = sql_str(DUPLICATE_REASON)
        con.execute(f"""
            insert into _row_problems
            select _file, _row_number, {problem_text(sql_str(c.key[0]), reason, key_text)}
            from _typed where rowid in (select _id from _repeated where _versions > 1)
        """)
        con.execute(f"""
            update _typed set _problem_column = {sql_str(c.key[0])},
                              _problem_reason = {reason},
                              _problem_value = {key_text}
            where rowid in (select _id from _repeated where _versions > 1)
        """)
        con.execute("drop table _repeated")
    con.execute("drop table _dupkeys")
    con.execute("alter table _typed rename to _parsed")
    return {f: ParseOutcome(rows=counts.get(f, (0, 0))[0],
                            duplicates_collapsed=collapsed.get(f, 0),
                            skipped=counts.get(f, (0, 0))[1])
            for f in files}
