{#- Every survey answer with its question's dimension and scale: the answer after reverse
    coding (x flipped to max + min - x) and its 0..100 score 100 × (x - min) / (max - min),
    plus the wave's month (the month of the wave's latest submitted_at, across all units). -#}
with

answers as (

    select * from {{ ref('stg_survey_responses__answers') }}

),

questions as (

    select * from {{ ref('stg_config__survey_questions') }}

),

waves as (

    select
        wave,
        {{ month_start('max(submitted_at)') }} as month
    from answers
    group by 1

),

coded as (

    select
        answers.wave,
        answers.response_id,
        answers.org_unit_id,
        answers.question_id,
        questions.dimension,
        questions.scale_min,
        questions.scale_max,
        case
            when questions.is_reverse_coded
                then questions.scale_max + questions.scale_min - answers.answer
            else answers.answer
        end as coded_answer
    from answers
    inner join questions
        on questions.question_key = answers.question_key

)

select
    coded.wave,
    waves.month,
    coded.response_id,
    coded.org_unit_id,
    coded.question_id,
    coded.dimension,
    coded.scale_min,
    coded.scale_max,
    coded.coded_answer,
    100.0 * (coded.coded_answer - coded.scale_min)
        / nullif(coded.scale_max - coded.scale_min, 0) as score
from coded
inner join waves
    on waves.wave = coded.wave
