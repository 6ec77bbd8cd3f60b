{#- digital_maturity_index (docs/kpis.md): mean of the dimension scores present, per wave and org
    subtree. numerator NULL; denominator = the answers behind the value; population = the
    distinct responses with at least one maturity answer. Month = the wave's month. -#}
with

dimensions as (

    select * from {{ ref('int_maturity_dimensions_rolled_up') }}

),

answers as (

    select * from {{ ref('int_survey_answers_scored') }}
    where dimension in (
        'it_infrastructure', 'organisation', 'processes', 'strategy', 'innovation', 'collaboration'
    )

),

closure as (

    select * from {{ ref('int_org_units_closed') }}

),

respondents as (

    select
        answers.wave,
        closure.ancestor_id as org_unit_id,
        count(distinct answers.response_id) as population
    from answers
    inner join closure
        on closure.descendant_id = answers.org_unit_id
    group by 1, 2

),

indexed as (

    select
        wave,
        month,
        org_unit_id,
        {{ exact_avg('score') }} as value,
        sum(answers) as denominator
    from dimensions
    group by 1, 2, 3

),

indexed_with_population as (

    select
        indexed.month,
        indexed.org_unit_id,
        indexed.value,
        indexed.denominator,
        respondents.population
    from indexed
    inner join respondents
        on respondents.wave = indexed.wave
        and respondents.org_unit_id = indexed.org_unit_id

)

{{ kpi_cell_select(
    'digital_maturity_index',
    relation='indexed_with_population',
    value='cast(value as ' ~ type_double() ~ ')',
    numerator=none,
    population='population',
) }}
