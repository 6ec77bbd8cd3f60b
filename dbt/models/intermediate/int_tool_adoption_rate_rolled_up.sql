{#- tool_adoption_rate (docs/kpis.md): used licences ÷ licences active on the month's last day,
    held by employees employed that day, by the employee's org subtree. Population: the
    distinct employees holding those licences.
    Stored, not a view: a run that adds only orders keeps it (dbt_plan.py) instead of
    computing it again inside the KPI union (0.18 s at bench scale 480). Incremental by month
    with the licences it reads (macros/increment.sql). -#}
{{ config(**increment_config('it_usage')) }}
with

licences as (

    select * from {{ ref('int_licences_active_at_month_end') }}
    {% if is_incremental() %}
    where month in {{ increment_months('it_usage') }}
    {% endif %}

),

closure as (

    select * from {{ ref('int_org_units_closed') }}

),

rolled_up as (

    select
        licences.month,
        closure.ancestor_id as org_unit_id,
        sum(case when licences.is_used then 1 else 0 end) as numerator,
        count(*) as denominator,
        count(distinct licences.employee_id) as population
    from licences
    inner join closure
        on closure.descendant_id = licences.org_unit_id
    group by 1, 2

)

{{ kpi_cell_select('tool_adoption_rate', population='population') }}
