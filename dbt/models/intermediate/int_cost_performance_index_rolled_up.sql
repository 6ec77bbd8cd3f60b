{#- cost_performance_index (docs/kpis.md): Σ EV ÷ Σ AC over the projects reporting in M, each
    with its latest report of M; EV = percent_complete / 100 × budget, AC = cost to date.
    No row where Σ AC = 0. -#}
with

reports as (

    select
        {{ month_start('status_date') }} as month,
        project_id,
        org_unit_id,
        percent_complete / 100.0 * budget_eur as earned_value,
        cost_to_date_eur as actual_cost,
        row_number() over (
            partition by project_id, {{ month_start('status_date') }}
            order by status_date desc, _file_name desc, _row_number desc
        ) as recency_in_month
    from {{ ref('stg_projects__status_reports') }}

),

closure as (

    select * from {{ ref('int_org_units_closed') }}

),

rolled_up as (

    select
        reports.month,
        closure.ancestor_id as org_unit_id,
        {{ exact_sum('reports.earned_value') }} as numerator,
        {{ exact_sum('reports.actual_cost') }} as denominator
    from reports
    inner join closure
        on closure.descendant_id = reports.org_unit_id
    where reports.recency_in_month = 1
    group by 1, 2

)

{{ kpi_cell_select('cost_performance_index', where='denominator <> 0') }}
