"""Value parsers as DuckDB SQL macros: every cell is parsed once, inside DuckDB.

Exports write numbers, dates and booleans in many ways (sources.md, "What every export may
look like"). Parsing row by row in Python would not scale to tens of millions of rows, so
the rules live here as temporary SQL macros (session-only, never stored in a database
file) that the file parsers call. The macros are small on purpose; tests call them directly.

Numbers never get silently mis-read: a value like `1.234` or `1,234` is ambiguous on its own,
so each column first gets a decimal convention from all of its values (`number_style`
counted per column), falling back to the file's convention (German headers or `;` → comma).
"""

from __future__ import annotations

import duckdb

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
]


def sql_list(values: list[str]) -> str:
    """A SQL list literal of strings: ('a', 'b')."""
    return "(" + ", ".join(sql_str(v) for v in values) + ")"


def sql_str(value: str) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def _macros() -> list[str]:
    spell = boolean_spellings()
    formats = "[" + ", ".join(sql_str(f) for f in DATETIME_FORMATS) + "]"
    # An ambiguous value: one separator followed by exactly three digits and a short,
    # non-zero integer part (`1.234`, `-12,500`); `0.025` or `1234.567` are not ambiguous.
    amb_comma = r"'^-?[1-9][0-9]{0,2},[0-9]{3}$'"
    amb_dot = r"'^-?[1-9][0-9]{0,2}\.[0-9]{3}$'"
    return [
        # Cell text: trimmed, and NULL for the empty markers (empty, -, k.A., n/a, NULL ...).
        f"""create or replace temp macro lt_text(t) as
            case when lower(trim(t, ' \t\r\n\u00a0')) in {sql_list(empty_markers())} then null
                 else trim(t, ' \t\r\n\u00a0') end""",
        # Number text without currency, spaces, apostrophes, `+` and `%`; SAP's trailing minus
        # (`1.234,50-`) moved to the front.
        r"""create or replace temp macro lt_number_text(t) as
            regexp_replace(regexp_replace(
                regexp_replace(t, '[\s\x{00a0}\x{202f}€''%+]|(?i:eur)', '', 'g'),
                '^(.*[0-9.,])-$', '-\1'), '^--', '-')""",
        # The decimal separator a value shows by itself: ',' / '.', NULL when ambiguous or
        # when it has no separator.
        f"""create or replace temp macro lt_number_style(s) as
            case
              when contains(s, ',') and contains(s, '.') then
                case when regexp_matches(s, ',[0-9]*$') then ',' else '.' end
              when contains(s, ',') then
                case when regexp_matches(s, {amb_comma}) then null
                     when length(s) - length(replace(s, ',', '')) > 1 then '.'
                     else ',' end
              when contains(s, '.') then
                case when regexp_matches(s, {amb_dot}) then null
                     when length(s) - length(replace(s, '.', '')) > 1 then ','
                     else '.' end
            end""",
        # The separator used to read a value: its own style, else the column convention
        # (conv: ',' or '.'; '?' means the column is mixed and the value stays unread).
        """create or replace temp macro lt_decimal_sep(s, conv) as
            case when not regexp_matches(s, '[.,]') then '.'
                 else coalesce(lt_number_style(s), nullif(conv, '?')) end""",
        # The number, or NULL when the text is not a well-formed number.
        r"""create or replace temp macro lt_number(t, conv) as
            (with x as (select lt_number_text(t) as s)
             select case lt_decimal_sep(s, conv)
               when ',' then case when regexp_matches(
                   s, '^-?([0-9]+|[0-9]{1,3}(\.[0-9]{3})+)?(,[0-9]+)?$')
                 then try_cast(replace(replace(s, '.', ''), ',', '.') as double) end
               when '.' then case when regexp_matches(
                   s, '^-?([0-9]+|[0-9]{1,3}(,[0-9]{3})+)?(\.[0-9]+)?$')
                 then try_cast(replace(s, ',', '') as double) end
             end from x)""",
        r"""create or replace temp macro lt_is_percent(t) as contains(t, '%')""",
        # Dates and datetimes: two-digit years are 20yy; a time-zone suffix is ignored
        # (times are taken as written).
        r"""create or replace temp macro lt_datetime_text(t) as
            regexp_replace(regexp_replace(t,
                '^([0-9]{1,2}\.[0-9]{1,2}\.)([0-9]{2})([^0-9].*)?$', '\120\2\3'),
                '([0-9]{1,2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?)\s*(Z|[+-][0-9]{2}:?[0-9]{2})$',
                '\1')""",
        f"""create or replace temp macro lt_timestamp(t) as
            try_strptime(lt_datetime_text(t), {formats})""",
        f"""create or replace temp macro lt_bool(t) as
            case when lower(t) in {sql_list(spell[True])} then true
                 when lower(t) in {sql_list(spell[False])} then false end""",
    ]


def install_macros(con: duckdb.DuckDBPyConnection) -> None:
    """Define the parsing macros on this connection (temporary: nothing is persisted)."""
    for statement in _macros():
        con.execute(statement)


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
