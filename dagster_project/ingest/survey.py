"""Wide survey exports (LimeSurvey, Qualtrics, Google and Microsoft Forms): one row per
response → one row per answer.

A column is an answer column when its header is a `question_id` of the catalog
(`raw.survey_questions`), alone or followed by a separator and text (`Q07 [Ich nutze ...]`,
`Q07. ...`; the longest id wins, so `q1[vis2]` answers `q1[vis2]`: contracts.question_id_of),
or when `config/column_map.csv` maps its header to a question id. The meta columns
(response id, submitted at, org unit, wave) follow the contract like any other source.
Responses without `submitted_at` are incomplete and are skipped (counted, not
quarantined). An answer is a number on the question's scale, or a word that
`config/value_map.csv` turns into one; an answer outside the scale, or a word without a
mapping, quarantines that answer only. An export without a response id (Google Forms)
gets one: the keyed hash of all the response's cells and its position among identical
responses (pseudonym.py). The catalog is part of a file's parse context: when it changes,
survey files are read again.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace

import duckdb

from dagster_project.ingest.contracts import Contract, Field
from dagster_project.ingest.mapping import ANSWER
from dagster_project.ingest.parse import (
    PROBLEMS_TYPE,
    FileReading,
    ParseRules,
    build_parsed,
    problem_rows,
)
from dagster_project.ingest.store import (
    LINEAGE_COLUMNS,
    check_references,
    ident,
    replace_quarantine,
    stored_rows,
)
from dagster_project.ingest.values import decide_convention, sql_str

SIGNATURE_FIELD = "_answers"


@dataclass(frozen=True)
class Question:
    question_id: str
    scale_min: float | None
    scale_max: float | None


def question_catalog(con: duckdb.DuckDBPyConnection) -> list[Question]:
    exists = con.execute(
        "select count(*) from information_schema.tables "
        "where table_schema = 'raw' and table_name = 'survey_questions'"
    ).fetchall()[0][0]
    if not exists:
        return []
    rows = con.execute(
        "select question_id, scale_min, scale_max from raw.survey_questions order by question_id"
    ).fetchall()
    return [Question(*r) for r in rows]


def catalog_hash(catalog: list[Question]) -> str:
    text = "|".join(f"{q.question_id}:{q.scale_min}:{q.scale_max}" for q in catalog)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def skip_incomplete(con: duckdb.DuckDBPyConnection, submitted_col: str) -> int:
    """Drop responses without `submitted_at` from `_in` (incomplete); return how many."""
    before = con.execute("select count(*) from _in").fetchall()[0][0]
    con.execute(f"delete from _in where lt_text({submitted_col}) is null")
    return before - con.execute("select count(*) from _in").fetchall()[0][0]


def add_response_ids(con: duckdb.DuckDBPyConnection, column: str) -> None:
    """Response ids for an export without them, in `_in`'s column `column`: the keyed
    hash of the response's cells (`_rowhash`, made as the file was read) and, among
    responses with equal cells, its position — so two people who answered alike in the
    same second stay two, and a later export of the same responses gives the same ids."""
    con.execute(f"""
        create or replace temp table _in as
        select *, 'r-' || _rowhash || '-' || row_number() over (
            partition by _rowhash order by _row_number) as {column}
        from _in
    """)


def _answer_text(values: dict[str, dict[str, str]], text: str) -> str:
    """SQL for an answer's text with its words turned into numbers (`config/value_map.csv`:
    a question's own words first, then those of every question)."""
    cases = []
    for target, words in sorted(values.items(), key=lambda kv: kv[0] == ANSWER):
        for word, number in words.items():
            condition = f"lower({text}) = {sql_str(word)}"
            if target != ANSWER:
                condition = f"question_id = {sql_str(target)} and {condition}"
            cases.append(f"when {condition} then {sql_str(number)}")
    if not cases:
        return text
    return f"case {' '.join(cases)} else {text} end"


def build_survey_parsed(con: duckdb.DuckDBPyConnection, c: Contract, columns: dict[str, int],
                        n_cells: int, questions: dict[int, Question], reading: FileReading,
                        constants: dict[str, str] | None = None,
                        rules: ParseRules | None = None) -> tuple[int, int]:
    """Create temp table `_parsed` in the long store shape; returns (rows, duplicates).

    `questions`: answer column -> its question; `reading`, `constants`, `rules`: as for
    any source (parse.py); `rules.values` may also turn answer words into numbers."""
    rules = rules or ParseRules()
    meta_values = {k: v for k, v in rules.values.items() if k in {f.name for f in c.fields}}
    # The answers take part in duplicate detection: a signature column over their cells.
    # (One lambda over the list of cells: the cleaning macro written out once per answer
    # column took DuckDB ~0.5 s per file to plan, for a few hundred rows.)
    cells = ", ".join(f"c{i}" for i in questions)
    signature = (f"array_to_string(list_transform([{cells}], "
                 "lambda x: coalesce(lt_text(x), '')), chr(31))")
    con.execute(f"create or replace temp table _in as select *, {signature} as c{n_cells} "
                f"from _in")
    meta_contract = replace(c, fields=(*c.fields, Field(SIGNATURE_FIELD, "text")))
    meta_columns = {**columns, SIGNATURE_FIELD: n_cells}
    outcome = build_parsed(con, meta_contract, meta_columns, n_cells, reading, constants,
                           replace(rules, values=meta_values))

    cells = ", ".join(
        f"{{'question_id': {sql_str(q.question_id)}, 't': lt_text(c{i}), "
        f"'low': {_num(q.scale_min)}, 'high': {_num(q.scale_max)}}}"
        for i, q in questions.items()
    )
    con.execute(f"""
        create or replace temp table _answer_cells as
        select _row_number, unnest([{cells}], recursive := true) from _in
    """)
    con.execute("delete from _answer_cells where t is null")
    conv_sql = sql_str(_answer_convention(con, reading.decimal))
    number = f"lt_number({_answer_text(rules.values, 't')}, {conv_sql})"
    con.execute(f"""
        create or replace temp table _answers as
        select _row_number, question_id, t, low, high, {number} as answer
        from _answer_cells
    """)
    wave_default = ("coalesce(p.wave, strftime(p.submitted_at, '%Y') || '-Q' || "
                    "quarter(p.submitted_at))")
    con.execute(f"""
        create or replace temp table _survey_long as
        select p._file, p._row_number, p.response_id, p.submitted_at, p.org_unit,
               {wave_default} as wave, cast(null as varchar) as question_id,
               cast(null as double) as answer,
               p._problem_column, p._problem_reason, p._problem_value, r._problems
        from _parsed p left join _row_problems r using (_file, _row_number)
        union all
        select p._file, p._row_number, p.response_id, p.submitted_at, p.org_unit,
               {wave_default}, a.question_id,
               case when a.answer between a.low and a.high then a.answer end,
               case when a.answer is null or not (a.answer between a.low and a.high)
                    then a.question_id end,
               case when a.answer is null and regexp_matches(a.t, '[A-Za-zÄÖÜäöüß]')
                    then 'answer ''' || a.t || ''' is a word, not a number: map it in '
                         || 'config/value_map.csv (survey_responses;answer;' || a.t
                         || ';<number>)'
                    when a.answer is null then 'unparsable answer ''' || a.t || ''''
                    when not (a.answer between a.low and a.high)
                    then 'answer ' || a.t || ' outside the scale '
                         || printf('%g', a.low) || '..' || printf('%g', a.high) end,
               case when a.answer is null or not (a.answer between a.low and a.high)
                    then a.t end,
               cast(null as {PROBLEMS_TYPE})
        from _parsed p join _answers a using (_row_number)
        where p._problem_column is null
    """)
    con.execute("drop table _parsed; drop table _answers; drop table _answer_cells")
    con.execute("alter table _survey_long rename to _parsed")
    return outcome.rows, outcome.duplicates_collapsed


def _answer_convention(con: duckdb.DuckDBPyConnection, file_convention: str) -> str:
    comma, dot = con.execute("""
        select count_if(lt_number_style(lt_number_text(t)) = ','),
               count_if(lt_number_style(lt_number_text(t)) = '.')
        from _answer_cells
    """).fetchall()[0]
    return decide_convention(comma, dot, file_convention)


def _num(value: float | None) -> str:
    return "cast(null as double)" if value is None else f"cast({float(value)!r} as double)"


def rebuild_survey(con: duckdb.DuckDBPyConnection, c: Contract) -> None:
    """`raw.survey_responses`: the answers of each response's latest good version."""
    store = stored_rows(c)
    check_references(con, c, stored_rows(c, "t.question_id is null"),
                     [c.field_named("org_unit")])
    con.execute("""
        create or replace temp table _winners as
        select response_id, _file_name, __org_org_unit as org_unit_id from _checked
        where _q_reason is null
        qualify row_number() over (
            partition by response_id order by _file_name desc, _row_number desc) = 1
    """)
    lineage = ", ".join(f"a.{ident(n)}" for n, _ in LINEAGE_COLUMNS)
    con.execute(f"""
        create or replace table raw.survey_responses as
        select a.response_id, a.submitted_at, w.org_unit_id, a.wave, a.question_id, a.answer,
               {lineage}
        from {store} a join _winners w using (response_id, _file_name)
        where a.question_id is not null and a._problem_reason is null
        order by a._file_name, a._row_number, a.question_id
    """)
    replace_quarantine(con, c.name, f"""
        select {sql_str(c.name)}, _file_name, _row_number, column_name, reason, raw_value from (
            select _file_name, _row_number, p_column as column_name, p_reason as reason,
                   p_value as raw_value
            from (with t as (select * from _checked where _q_reason is not null)
                  select * from {problem_rows("_q_all")})
            union all
            select a._file_name, a._row_number, a._problem_column, a._problem_reason,
                   a._problem_value
            from {store} a
            where a.question_id is not null and a._problem_reason is not null
              and not exists (
                  select 1 from _checked q where q._q_reason is not null
                  and q._file_name = a._file_name and q._row_number = a._row_number)
        ) order by _file_name, _row_number, column_name
    """)
    con.execute("drop table _checked; drop table _winners")
