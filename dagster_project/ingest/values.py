"""Value parsers as DuckDB SQL macros: every cell is parsed once, inside DuckDB.

Exports write numbers, dates and booleans in many ways (docs/sources.md, "What every export may
look like"). Parsing row by row in Python would not scale to tens of millions of rows, so
the rules live here as temporary SQL macros (session-only, never stored in a database
file) that the file parsers call. The macros are small on purpose; tests call them directly.

Numbers never get silently mis-read: a value like `1.234` or `1,234` is ambiguous on its own,
so each column first gets a decimal convention from all of its values (`number_style`
counted per column), falling back to the file's convention (German headers or `;` → comma).
"""

from __future__ import annotations

import hashlib
from functools import cache

import duckdb

from dagster_project.ingest import pseudonym
from dagster_project.ingest.contracts import boolean_spellings, empty_markers

DATETIME_FORMATS = [
    "%d.%m.%Y",
    "%d.%m.%Y %H:%M",
    "%d.%m.%Y %H:%M:%S",
    "%Y-%m-%d",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M:%S.%f",
    "%Y-%m-%dT%H:%M",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%dT%H:%M:%S.%f",
    "%Y/%m/%d",
    "%Y/%m/%d %H:%M",
    "%Y/%m/%d %H:%M:%S",
    "%Y%m%d",
    "%d.%m.%Y, %H:%M",
    "%d.%m.%Y, %H:%M:%S",
    "%Y-%m-%d %I:%M %p",
    "%Y-%m-%d %I:%M:%S %p",
]
# Dates with a month name, as real tools write them — Jira `12/Jun/26 5:07 PM`, US
# `Jun 12, 2026`, `12 Jun 2026`, `12-Jun-2026`, German `12. Juni 2026` — once
# `lt_day_month_year` made every one `12 Jun 2026` (and `lt_month_names` English or German
# names English abbreviations). Few formats: DuckDB parses each one as it plans a statement.
MONTH_FORMATS = [
    "%d %b %Y",
    "%d %b %Y %H:%M",
    "%d %b %Y %H:%M:%S",
    "%d %b %Y %I:%M %p",
    "%d %b %Y %I:%M:%S %p",
]
# A slashed day and month (`7/1/2024 22:05:36`, `31/12/2025`), once rewritten year first
# in the order its column reads (`lt_slashed`).
SLASH_FORMATS = [
    "%Y-%m-%d",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M:%S.%f",
    "%Y-%m-%d %I:%M %p",
    "%Y-%m-%d %I:%M:%S %p",
    "%Y-%m-%d, %H:%M",
    "%Y-%m-%d, %H:%M:%S",
    "%Y-%m-%d, %I:%M %p",
    "%Y-%m-%d, %I:%M:%S %p",
]
# A slashed date with the day and month first, the year four digits (once two-digit years
# were made 20yy), and whatever time follows.
_SLASHED = r"^([0-9]{1,2})/([0-9]{1,2})/([0-9]{4})([^0-9].*)?$"
# What the general path reads at all: a four-digit year, or a two-digit one it makes 20yy
# (`31.12.25`, `12/Jun/26`); `9/9/26` is never the year 9.
_HAS_YEAR = (r"[0-9]{4}|^[0-9]{1,2}\.[0-9]{1,2}\.[0-9]{2}([^0-9]|$)"
             r"|^[0-9]{1,2}[/ -][A-Za-zäÄ]{3,9}\.?[/ -][0-9]{2}([^0-9]|$)")


def sql_one_of(expr: str, values: list[str] | list[int]) -> str:
    """SQL that holds when `expr` is one of `values` (never for NULL).

    Not `expr in (...)` nor `list_contains`: DuckDB turns either into a join against the
    list once it holds five constants or more, one join per expression, and the typing
    statement has dozens (the trim alone two per field): typing 1.36 M order lines took
    0.92 s so, 0.79 s without. `list_position` is evaluated in place.
    """
    items = ", ".join(sql_str(v) if isinstance(v, str) else str(int(v)) for v in values)
    return f"(list_position([{items}], {expr}) is not null)"


def sql_str(value: str) -> str:
    return "'" + str(value).replace("'", "''") + "'"


# Number shapes: German (`1.234,5`) and English (`1,234.5`). A thousands group never starts
# with 0, so `0.025` can only be a decimal. A value matching both shapes with different
# readings (`1.234`, `1,234`) is ambiguous on its own.
_DE_SHAPE = r"-?([0-9]+|[1-9][0-9]{0,2}(\.[0-9]{3})+)?(,[0-9]+)?"
_EN_SHAPE = r"-?([0-9]+|[1-9][0-9]{0,2}(,[0-9]{3})+)?(\.[0-9]+)?"


# ISO dates and date-times DuckDB's timestamp cast reads as `DATETIME_FORMATS` do: hours
# 00–23 (the cast takes 24:00 as the next day), at most six decimals of a second (the cast
# would round more), no time zone (the cast would convert it).
_ISO_SHAPE = (r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
              r"([ T]([01][0-9]|2[0-3]):[0-9]{2}(:[0-9]{2}(\.[0-9]{1,6})?)?)?")


# A number read must stay below this in size: 15 digits before the decimal point.
NUMBER_LIMIT = 1e15

# What the trim removes at either end of a cell: spaces, tabs, line breaks, non-breaking
# and narrow non-breaking spaces.
BLANKS = " \t\n\r\u00a0\u202f"


def _macros() -> list[str]:
    blank_codes = [ord(ch) for ch in BLANKS]
    blank_text = " || ".join(f"chr({ord(ch)})" for ch in BLANKS)
    spell = boolean_spellings()
    formats = "[" + ", ".join(sql_str(f) for f in DATETIME_FORMATS + MONTH_FORMATS) + "]"
    slash_formats = "[" + ", ".join(sql_str(f) for f in SLASH_FORMATS) + "]"
    longest_marker = max(len(m) for m in empty_markers())
    return [
        # Cell text: trimmed, and NULL for the empty markers (empty, -, k.A., n/a, NULL ...).
        # Trimmed text: spaces, tabs, line breaks and non-breaking spaces at either end. Only
        # the first and last character are looked at to decide (most cells need no trim; a
        # regular expression deciding it took ~40 % longer over 10 M cells).
        f"""create or replace temp macro lt_trim(t) as
            case when {sql_one_of("ascii(t)", blank_codes)}
                      or {sql_one_of("ascii(right(t, 1))", blank_codes)}
                 then trim(t, {blank_text})
                 else t end""",
        # Trimmed text → NULL for the empty markers (empty, -, k.A., n/a, NULL ...).
        f"""create or replace temp macro lt_blank(x) as
            case when length(x) <= {longest_marker} and {sql_one_of("lower(x)", empty_markers())}
                 then null else nullif(x, '') end""",
        # Cell text: trimmed and blanked. (Bulk parsing applies lt_trim and lt_blank in two
        # query layers, so the trim is computed once per cell.)
        "create or replace temp macro lt_text(t) as lt_blank(lt_trim(t))",
        # Number text without a currency (€ $ £, EUR USD CHF GBP), spaces, apostrophes, `+`
        # and `%`; SAP's trailing minus
        # (`1.234,50-`) moved to the front. Plain digits skip the cleaning.
        r"""create or replace temp macro lt_number_text(t) as
            case when regexp_full_match(t, '-?[0-9.,]+') then t
                 else regexp_replace(regexp_replace(
                    regexp_replace(t, '[\s\x{00a0}\x{202f}€$£''%+]|(?i:eur|usd|chf|gbp)', '', 'g'),
                    '^(.*[0-9.,])-$', '-\1'), '^--', '-') end""",
        f"create or replace temp macro lt_de_shape(s) as regexp_full_match(s, '{_DE_SHAPE}')",
        f"create or replace temp macro lt_en_shape(s) as regexp_full_match(s, '{_EN_SHAPE}')",
        """create or replace temp macro lt_de_value(s) as
            try_cast(replace(replace(s, '.', ''), ',', '.') as double)""",
        "create or replace temp macro lt_en_value(s) as try_cast(replace(s, ',', '') as double)",
        # The decimal separator a cleaned value shows by itself: ',' / '.', NULL when it
        # could be either (or is no number). Without a separator a value fits both shapes
        # or neither, so only values with one are matched (the vote over 5 M usage counts,
        # plain digits, 0.35 → 0.13 s).
        """create or replace temp macro lt_number_style(s) as
            case when not (contains(s, '.') or contains(s, ',')) then null
                 when lt_de_shape(s) and not lt_en_shape(s) then ','
                 when lt_en_shape(s) and not lt_de_shape(s) then '.' end""",
        # A cleaned value read with the column convention (conv ',' or '.'); a value that
        # shows the other convention by itself is read that way; with conv '?' (a mixed
        # column) an ambiguous value stays unread (NULL) rather than guessed.
        """create or replace temp macro lt_number_unlimited(s, conv) as
            case when conv = ',' and lt_de_shape(s) then lt_de_value(s)
                 when conv = '.' and lt_en_shape(s) then lt_en_value(s)
                 when lt_de_shape(s) then
                     case when not lt_en_shape(s) or lt_de_value(s) = lt_en_value(s)
                          then lt_de_value(s) end
                 when lt_en_shape(s) then lt_en_value(s) end""",
        # A number of more than 15 digits before the decimal point is too large for any
        # field (a double holds 15 digits exactly; a bigint overflows past 18): unread, so
        # that the row is quarantined (`parse.parse_error_expr` says why) instead of stored
        # as a rounded number. `+ 0` turns -0 into 0.
        f"""create or replace temp macro lt_number_clean(s, conv) as
            case when abs(lt_number_unlimited(s, conv)) < {NUMBER_LIMIT:.0f}
                 then lt_number_unlimited(s, conv) + 0 end""",
        """create or replace temp macro lt_number(t, conv) as
            lt_number_clean(lt_number_text(t), conv)""",
        "create or replace temp macro lt_is_percent(t) as contains(t, '%')",
        # Dates and datetimes: the common shapes go straight to one format (a failed
        # strptime is expensive); the rest through the general path (`lt_timestamp_other`).
        # Text as the general path reads it: two-digit years become 20yy (`31.12.25`,
        # `7/1/24`, `12/Jun/26`), a seventh to ninth decimal of a second is cut (.NET writes
        # seven), a time-zone suffix is dropped (times are taken as written).
        r"""create or replace temp macro lt_datetime_text(t) as
            regexp_replace(regexp_replace(regexp_replace(regexp_replace(t,
                '^([0-9]{1,2}\.[0-9]{1,2}\.)([0-9]{2})([^0-9].*)?$', '\120\2\3'),
                '^([0-9]{1,2}/([0-9]{1,2}|[A-Za-z]{3,9})/)([0-9]{2})([^0-9].*)?$', '\120\3\4'),
                '([0-9]:[0-9]{2}\.[0-9]{6})[0-9]{1,3}', '\1'),
                '([0-9]{1,2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?(\s*[AaPp]\.?[Mm]\.?)?)\s*(Z|[+-][0-9]{2}:?[0-9]{2}|UTC|GMT)$',
                '\1')""",
        # Month names in English or German (full, abbreviated, with a dot) as the English
        # abbreviations strptime's %b reads.
        r"""create or replace temp macro lt_month_names(s) as
            regexp_replace(regexp_replace(regexp_replace(regexp_replace(regexp_replace(
            regexp_replace(s,
                '(?i)\b(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?', '\1'),
                '(?i)\bj(ä|ae)n[a-z]*\.?', 'Jan'),
                '(?i)\b(m(ä|ae)r[a-z]*|mrz)\.?', 'Mar'),
                '(?i)\bmai\b\.?', 'May'),
                '(?i)\bokt[a-z]*\.?', 'Oct'),
                '(?i)\bdez[a-z]*\.?', 'Dec')""",
        # A date with a month name as `12 Jun 2026` (and its time): `Jun 12, 2026`,
        # `12/Jun/2026`, `12-Jun-2026`, `12. Jun 2026` turned around or separated so.
        r"""create or replace temp macro lt_day_month_year(s) as
            regexp_replace(regexp_replace(s,
                '^([A-Za-zäÄ]{3}) ([0-9]{1,2}),? ([0-9]{4})', '\2 \1 \3'),
                '^([0-9]{1,2})\.?[/ .-]\s*([A-Za-zäÄ]{3})[/ .-]\s*([0-9]{4})', '\1 \2 \3')""",
        # How a slashed day/month value reads by itself: 'd' day first (its first part is
        # above 12), 'm' month first (its second part is), 'e' either (both the same), 'x'
        # ambiguous (both readings possible and different); NULL when not of that shape.
        # (String functions, not regular expressions: DuckDB compiles each expression's
        # patterns as it plans, and this one is spelled out in every typing statement.)
        r"""create or replace temp macro lt_slash_style(t) as
            case when regexp_matches(t, '^[0-9]{1,2}/[0-9]{1,2}/[0-9]{2}')
                 then case
                   when cast(split_part(t, '/', 1) as integer) > 12 then 'd'
                   when cast(split_part(t, '/', 2) as integer) > 12 then 'm'
                   when cast(split_part(t, '/', 1) as integer)
                        = cast(split_part(t, '/', 2) as integer) then 'e'
                   else 'x' end end""",
        # The day/month order a slashed date is read in: its column's (`ord` 'dmy' or
        # 'mdy'), or where none is known ('') the one the value shows by itself (as
        # `lt_slash_style` says, spelled out without it: see below).
        """create or replace temp macro lt_slash_order(t, ord) as
            case when ord <> '' then ord
                 when try_cast(split_part(t, '/', 1) as integer) > 12
                      or try_cast(split_part(t, '/', 1) as integer)
                         = try_cast(split_part(t, '/', 2) as integer) then 'dmy'
                 when try_cast(split_part(t, '/', 2) as integer) > 12 then 'mdy' end""",
        # A slashed date (a two-digit year is 20yy) rewritten year first in order `o`, read.
        # (The macros here are written so that no argument is repeated much: DuckDB copies
        # an argument for every use and compiles every pattern as it plans, and a long date
        # expression made each typing statement take ~0.1 s to plan.)
        rf"""create or replace temp macro lt_slashed(t, o) as
            try_strptime(regexp_replace(regexp_replace(t,
                    '^([0-9]{{1,2}}/[0-9]{{1,2}}/)([0-9]{{2}})([^0-9].*)?$', '\120\2\3'),
                    '{_SLASHED}', ['\3-\2-\1\4', '\3-\1-\2\4'][list_position(['dmy', 'mdy'], o)]),
                {slash_formats})""",
        rf"""create or replace temp macro lt_timestamp_in(t, ord) as
            case
              when regexp_full_match(t, '[0-9]{{1,2}}\.[0-9]{{1,2}}\.[0-9]{{4}}')
                then try_strptime(t, '%d.%m.%Y')
              when regexp_full_match(t, '{_ISO_SHAPE}')
                -- ISO dates and date-times (a space or a T, seconds optional): DuckDB's cast
                -- reads these as the formats below do, without trying them in turn (CRM's
                -- `2025-06-05 17:17` matched the 5th: 2.4 M activities typed 2.7 → 1.3 s)
                then try_cast(t as timestamp)
              when regexp_full_match(t, '[2-7][0-9]{{4}}(\.[0-9]+)?')
                -- an Excel serial day number (a date column formatted as a number)
                then timestamp '1899-12-30' + to_microseconds(
                    cast(round(cast(t as double) * 86400000000) as bigint))
              when regexp_matches(t, '^[0-9]{{1,2}}/[0-9]{{1,2}}/([0-9]{{4}}|[0-9]{{2}})([^0-9]|$)')
                then lt_slashed(t, lt_slash_order(t, ord))
              when not regexp_matches(t, '{_HAS_YEAR}') then null
              else try_strptime(lt_day_month_year(lt_month_names(lt_datetime_text(t))),
                                {formats})
            end""",
        # A date or date-time cell, a slashed day and month read only when the value itself
        # says which is which (a column whose values say it uses `lt_timestamp_in`).
        "create or replace temp macro lt_timestamp(t) as lt_timestamp_in(t, '')",
        # A raw value shown in the quarantine that looks like an e-mail address or a phone
        # number is not stored (a shifted row can move a personal column into a field).
        r"""create or replace temp macro lt_redact(x) as
            case when regexp_matches(x, '[^@\s]+@[^@\s]+\.[A-Za-z]{2,}')
                   then '(looks like an e-mail address: not stored)'
                 when regexp_full_match(x, '(\+|0)[0-9][0-9 /()\-]{6,}')
                      and length(regexp_replace(x, '[^0-9]', '', 'g')) >= 7
                      and regexp_matches(x, '[ /\-]')
                   then '(looks like a phone number: not stored)'
                 else x end""",
        f"""create or replace temp macro lt_bool(t) as
            case when {sql_one_of("lower(t)", spell[True])} then true
                 when {sql_one_of("lower(t)", spell[False])} then false end""",
    ]


@cache
def _macro_statements() -> tuple[list[str], str]:
    """The statements defining the macros, and a name that says they are defined."""
    statements = _macros()
    digest = hashlib.sha256("\n".join(statements).encode()).hexdigest()[:12]
    return statements, f"lt_macros_{digest}"


def install_macros(con: duckdb.DuckDBPyConnection) -> None:
    """Define the parsing macros on this connection (temporary: nothing is persisted),
    the pseudonym macros with the data dir's key among them (pseudonym.py) — once per
    connection: a load calls this per source and config table, and defining the ~25
    macros took ~15 ms each time."""
    statements, marker = _macro_statements()
    try:
        con.execute(f"select {marker}()").fetchall()
        return
    except duckdb.Error:
        pass
    for statement in statements:
        con.execute(statement)
    pseudonym.install(con)
    con.execute(f"create or replace temp macro {marker}() as true")


def decide_convention(comma_votes: int, dot_votes: int, file_convention: str) -> str:
    """The decimal separator for a column from its unambiguous values.

    ',' or '.' when the values agree; the file's convention when no value tells; '?' when
    values disagree (then ambiguous values such as `1.234` are quarantined, not guessed).
    """
    if comma_votes and dot_votes:
        return "?"
    if comma_votes:
        return ","
    if dot_votes:
        return "."
    return file_convention
