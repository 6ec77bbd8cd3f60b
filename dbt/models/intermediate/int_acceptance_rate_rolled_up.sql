{#- acceptance_rate (docs/kpis.md): answers to `acceptance` questions >= scale_max - 1 (after
    reverse coding) ÷ all such answers, per wave and org subtree. Population: distinct
    responses with at least one acceptance answer. -#}
with

answers as (

    select * from {{ ref('int_survey_answers_scored') }}
    where dimension = 'acceptance'

),

closure as (

    select * from {{ ref('int_org_units_closed') }}

),

rolled_up as (

    select
        answers.wave,
        answers.month,
        closure.ancestor_id as org_unit_id,
        sum(case when answers.coded_answer >= answers.scale_max - 1 then 1 else 0 end) as numerator,
        count(*) as denominator,
        count(distinct answers.response_id) as population
    from answers
    inner join closure
        on closure.descendant_id = answers.org_unit_id
    group by 1, 2, 3

)

{{ kpi_cell_select('acceptance_rate', population='population') }}
