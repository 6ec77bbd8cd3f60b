{#- training_coverage (docs/kpis.md): employees who completed every required course by the
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

{{ kpi_cell_select('training_coverage', population='population') }}
