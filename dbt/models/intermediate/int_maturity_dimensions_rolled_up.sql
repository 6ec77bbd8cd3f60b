{#- The six maturity dimension scores per wave and org subtree: the mean over the wave's
    answers to the dimension's questions. Population: distinct responses that answered
    the dimension. -#}
with

answers as (

    select * from {{ ref('int_survey_answers_scored') }}
    where dimension in (
        'it_infrastructure', 'organisation', 'processes', 'strategy', 'innovation', 'collaboration'
    )

),

closure as (

    select * from {{ ref('int_org_units_closed') }}

)

select
    answers.wave,
    answers.month,
    closure.ancestor_id as org_unit_id,
    answers.dimension,
    {{ exact_avg('answers.score') }} as score,
    count(*) as answers,
    count(distinct answers.response_id) as population
from answers
inner join closure
    on closure.descendant_id = answers.org_unit_id
group by 1, 2, 3, 4
