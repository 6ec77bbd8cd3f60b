{#- enps (docs/kpis.md): 100 × (answers 9-10 - answers 0-6) ÷ answers on the `enps` question
    (scale 0-10), per wave and org subtree; numerator = promoters - detractors.
    Population: distinct responses that answered it. -#}
with

answers as (

    select * from {{ ref('int_survey_answers_scored') }}
    where dimension = 'enps'

),

closure as (

    select * from {{ ref('int_org_units_closed') }}

),

rolled_up as (

    select
        answers.wave,
        answers.month,
        closure.ancestor_id as org_unit_id,
        sum(
            case
                when answers.coded_answer >= 9 then 1
                when answers.coded_answer <= 6 then -1
                else 0
            end
        ) as numerator,
        count(*) as denominator,
        count(distinct answers.response_id) as population
    from answers
    inner join closure
        on closure.descendant_id = answers.org_unit_id
    group by 1, 2, 3

)

{{ kpi_cell_select(
    'enps',
    value='100.0 * numerator / denominator',
    population='population',
) }}
