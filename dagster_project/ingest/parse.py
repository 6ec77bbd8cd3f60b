"""Turn the text cells of one file (`_in`) into typed contract rows with their problems.

Everything here is generated SQL over temp tables, so each value is parsed exactly once,
inside DuckDB. The result, temp table `_parsed`, holds per data row the typed canonical
fields plus `_problem_column`, `_problem_reason`, `_problem_value` for the first problem
found in the row (NULL for a good row). Referential problems (org units, employee and
project ids) are not decided here: they depend on other tables and are re-evaluated on
every run when the raw table is rebuilt (see `store.py`).
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from dagster_project.ingest.contracts import Contract, Field
from dagster_project.ingest.values import decide_convention, sql_list, sql_str

SQL_TYPES = {
    "text": "varchar",
    "date": "date",
    "datetime": "timestamp",
    "decimal": "double",
    "int": "bigint",
    "bool": "boolean",
}


def stored_type(f: Field) -> str:
    """Column type in the per-file store; referenced org units stay text until resolved."""
    return SQL_TYPES[f.type]


@dataclass
class ParseOutcome:
    rows: int                   # data rows in the file (all-empty lines not counted)
    duplicates_collapsed: int   # exact duplicate rows folded into one


def column_conventions(con: duckdb.DuckDBPyConnection, cells: dict[str, str],
                       file_convention: str) -> dict[str, str]:
    """Decimal separator per numeric column, decided from all of its values in one scan.

    `cells` maps a field name to the `_in` column holding it.
    """
    if not cells:
        return {}
    parts = []
    for name, col in cells.items():
        style = f"lt_number_style(lt_number_text(lt_text({col})))"
        parts.append(f"count_if({style} = ',') as {_ident(name + '__comma')}")
        parts.append(f"count_if({style} = '.') as {_ident(name + '__dot')}")
    counts = con.execute(f"select {', '.join(parts)} from _in").fetchall()[0]
    out = {}
    for i, name in enumerate(cells):
        out[name] = decide_convention(counts[2 * i], counts[2 * i + 1], file_convention)
    return out


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def typed_expr(f: Field, t: str, conv: str) -> str:
    """SQL for the typed value of field `f` from its cleaned text `t` (NULL when not readable)."""
    if f.type == "date":
        return f"cast(lt_timestamp({t}) as date)"
    if f.type == "datetime":
        return f"lt_timestamp({t})"
    if f.type in ("decimal", "int"):
        number = f"lt_number({t}, {sql_str(conv)})"
        if f.percent == "fraction":
            number = f"({number} / case when lt_is_percent({t}) then 100 else 1 end)"
        if f.type == "int":
            return f"case when {number} = round({number}) then cast({number} as bigint) end"
        return number
    if f.type == "bool":
        return f"lt_bool({t})"
    if f.values:
        cases = " ".join(
            f"when lower({t}) in {sql_list([s.lower() for s in spellings])} then {sql_str(value)}"
            for value, spellings in f.values.items()
        )
        fallback = t if f.open_values else "null"
        return f"case {cases} else {fallback} end"
    if f.allowed:
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


def parse_error_expr(f: Field, t: str, v: str, conv: str) -> str:
    """SQL for the reason why the value of `f` is not acceptable (NULL when it is)."""
    shown = f"'''' || {t} || ''''"
    checks: list[tuple[str, str]] = []
    if f.required and f.default is None:
        checks.append((f"{t} is null", "'required value missing'"))
    unreadable = {
        "date": f"'unparsable date ' || {shown}",
        "datetime": f"'unparsable date/time ' || {shown}",
        "decimal": f"'unparsable number ' || {shown}",
        "int": f"case when lt_number({t}, {sql_str(conv)}) is null then 'unparsable number ' "
               f"else 'not a whole number ' end || {shown}",
        "bool": f"'not a yes/no value ' || {shown} || ' (use ja/nein, true/false, x/empty)'",
    }
    if f.type in ("decimal", "int") and conv == "?":
        ambiguous = (f"lt_number_style(lt_number_text({t})) is null "
                     f"and regexp_matches(lt_number_text({t}), '[.,]')")
        checks.append((
            f"{t} is not null and {v} is null and {ambiguous}",
            f"'ambiguous number ' || {shown} || ' (the column mixes 1.234,5 and 1,234.5)'",
        ))
    if f.type in unreadable:
        checks.append((f"{t} is not null and {v} is null", unreadable[f.type]))
    elif f.values and not f.open_values:
        listed = ", ".join(f.values)
        checks.append((f"{t} is not null and {v} is null",
                       f"'{f.name} ' || {shown} || ' not in {listed}'"))
    if f.allowed:
        allowed = ", ".join(f.allowed)
        checks.append((f"{v} is not null and {v} not in {sql_list(list(f.allowed))}",
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


def build_parsed(con: duckdb.DuckDBPyConnection, c: Contract, columns: dict[str, int],
                 n_cells: int, file_convention: str) -> ParseOutcome:
    """Create temp table `_parsed` from `_in` for contract `c` (duplicates handled)."""
    cell = {f.name: f"c{columns[f.name]}" for f in c.fields if f.name in columns}
    numeric = {f.name: cell[f.name] for f in c.fields
               if f.type in ("decimal", "int") and f.name in cell}
    conv = column_conventions(con, numeric, file_convention)
    any_cell = " or ".join(f"lt_text(c{i}) is not null" for i in range(n_cells)) or "false"
    texts = ", ".join(
        f"lt_text({cell[f.name]}) as {_ident('t__' + f.name)}" if f.name in cell
        else f"cast(null as varchar) as {_ident('t__' + f.name)}"
        for f in c.fields
    )
    values, errors = [], []
    for f in c.fields:
        t = _ident("t__" + f.name)
        parsed = typed_expr(f, t, conv.get(f.name, "."))
        values.append(
            f"coalesce({parsed}, case when {t} is null then {_default_sql(f)} end) "
            f"as {_ident(f.name)}"
        )
        errors.append(parse_error_expr(f, t, _ident(f.name), conv.get(f.name, ".")))
    # Conditional requirements (e.g. closed_date when a lead is won or lost) come after the
    # field checks: they need the other field's parsed value.
    conditional = []
    for f in c.fields:
        for other, wanted in f.required_if.items():
            conditional.append((
                f.name,
                f"{_ident('t__' + f.name)} is null and {_ident(other)} in {sql_list(list(wanted))}",
                f"'{f.name} required for {other} ''' || {_ident(other)} || ''''",
                _ident("t__" + f.name),
            ))
    problems = [("'(row)'", "_overflow is not null",
                 "'row has more fields than the header'", "_overflow")]
    for f, err in zip(c.fields, errors, strict=True):
        if err != "null":
            problems.append((sql_str(f.name), f"({err}) is not null", err,
                             _ident("t__" + f.name)))
    for name, cond, reason, raw in conditional:
        problems.append((sql_str(name), cond, reason, raw))
    col_case = "case " + " ".join(f"when {p[1]} then {p[0]}" for p in problems) + " end"
    reason_case = "case " + " ".join(f"when {p[1]} then {p[2]}" for p in problems) + " end"
    value_case = "case " + " ".join(f"when {p[1]} then {p[3]}" for p in problems) + " end"
    field_cols = ", ".join(_ident(f.name) for f in c.fields)
    text_cols = ", ".join(_ident("t__" + f.name) for f in c.fields)
    con.execute(f"""
        create or replace temp table _typed as
        with cells as (
            select _row_number, _overflow, {texts} from _in where {any_cell}
        ), typed as (
            select _row_number, _overflow, {text_cols}, {", ".join(values)} from cells
        )
        select _row_number, {field_cols},
               {col_case} as _problem_column,
               {reason_case} as _problem_reason,
               {value_case} as _problem_value
        from typed
    """)
    return _resolve_duplicates(con, c)


def _resolve_duplicates(con: duckdb.DuckDBPyConnection, c: Contract) -> ParseOutcome:
    """Collapse exact duplicate rows; quarantine every row of a key with differing values."""
    key = ", ".join(_ident(k) for k in c.key)
    record = "struct_pack(" + ", ".join(
        f"{_ident(f.name)} := {_ident(f.name)}" for f in c.fields) + ")"
    key_text = " || ' / ' || ".join(f"cast({_ident(k)} as varchar)" for k in c.key)
    con.execute(f"""
        create or replace temp table _parsed as
        with good as (
            select *,
                   count(distinct {record}) over (partition by {key}) as _versions,
                   row_number() over (partition by {key}, {record} order by _row_number)
                       as _copy
            from _typed where _problem_column is null
        )
        select * exclude (_versions, _copy) replace (
                 case when _versions > 1 then {sql_str(c.key[0])} end as _problem_column,
                 case when _versions > 1
                      then 'duplicate key with different values in the same file' end
                     as _problem_reason,
                 case when _versions > 1 then {key_text} end as _problem_value)
        from good where _versions > 1 or _copy = 1
        union all
        select * from _typed where _problem_column is not null
        order by _row_number
    """)
    total = con.execute("select count(*) from _typed").fetchall()[0][0]
    kept = con.execute("select count(*) from _parsed").fetchall()[0][0]
    con.execute("drop table _typed")
    return ParseOutcome(rows=total, duplicates_collapsed=total - kept)
