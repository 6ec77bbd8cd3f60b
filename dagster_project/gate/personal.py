"""The quarantine without person-level content (docs/kpis.md, Privacy).

For rows of the sources about people, `dq.quarantine.raw_value` may hold at most the
offending value of a column that is not about a person's answer or identity (a bad date,
an unknown tool name): employee ids, response ids and survey answers never leave the build
database — neither as the value nor inside the reason ("answer outside the scale 1..5",
not "answer 7 …"). The published file (publish/) and the gate's messages about the
quarantine (rules.py), which are published in `dq.gate_results`, read it through
`quarantine_select`.
"""

from __future__ import annotations

from dagster_project.ingest.contracts import contract

# rows of these sources never show an identity column's value nor a survey answer (a survey
# column that is not a field of the contract is a question)
PERSON_SOURCES = ("hr_employees", "it_licenses", "it_usage", "lms_trainings",
                  "survey_responses")
IDENTITY_COLUMNS = ("employee_id", "response_id")
SURVEY = "survey_responses"
NOT_SHOWN = "(value not shown: personal data)"


def _quoted(values) -> str:
    return ", ".join("'" + str(v).replace("'", "''") + "'" for v in values)


def quarantine_select(table: str = "dq.quarantine") -> str:
    """The published form of the quarantine: person-level values and the reasons that
    repeat them replaced (docs/kpis.md, Privacy)."""
    survey_fields = [f.name for f in contract(SURVEY).fields] + ["(row)"]
    personal = (
        f"source in ({_quoted(PERSON_SOURCES)}) and (column_name in "
        f"({_quoted(IDENTITY_COLUMNS)}) or (source = '{SURVEY}' and column_name not in "
        f"({_quoted(survey_fields)})))"
    )
    shown = f"'{NOT_SHOWN}'"
    # the value in quotes first ('7'), then bare (7); chr(39) is the quote
    without = (f"replace(replace(reason, chr(39) || raw_value || chr(39), {shown}), "
               f"raw_value, {shown})")
    reason = f"""case
        when not ({personal}) then reason
        when regexp_matches(reason, '^answer .* outside the scale ') then
            regexp_replace(reason, '^answer .* outside the scale ', 'answer outside the scale ')
        when starts_with(reason, 'unparsable answer') then 'unparsable answer: not a number'
        when coalesce(raw_value, '') = '' or not contains(reason, raw_value) then reason
        when contains({without}, raw_value)
            then column_name || ': value not accepted ' || {shown}
        else {without}
    end"""
    return f"""
        select source, file_name, row_number, column_name, {reason} as reason,
               case when {personal} then null else raw_value end as raw_value
        from {table}
    """
