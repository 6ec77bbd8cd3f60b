{#- training_coverage (kpis.md): employees who completed every required course by the
    month's last day ÷ employees employed that day with >= 1 required course, by subtree.
    A table: a run that adds only orders keeps it (dbt_plan.py) instead of computing it
    again inside the KPI union (0.16 s at bench scale 480; the cheap roll-ups stay views). -#}
{{ config(materialized='table') }}
with

employees as (

    select * from {{ ref('int_required_courses_completed') }}

),

closure as (

    select * from {{ ref('int_org_units_closed') }}

),

rolled_up as (

    select
        employees.month,
        closure.ancestor_id as org_unit_id,
        sum(case when employees.is_covered then 1 else 0 end) as numerator,
        count(*) as denominator,
        count(distinct employees.employee_id) as population
    from employees
    inner join closure
        on closure.descendant_id = employees.org_unit_id
    group by 1, 2

)

select
    'training_coverage' as kpi_id,
    month,
    org_unit_id,
    cast(numerator as double precision) / denominator as value,
    cast(numerator as double precision) as numerator,
    cast(denominator as double precision) as denominator,
    cast(population as integer) as population
from rolled_up
where denominator > 0
