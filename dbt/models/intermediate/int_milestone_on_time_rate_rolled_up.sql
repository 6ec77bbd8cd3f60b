{#- milestone_on_time_rate (docs/kpis.md): milestones planned in M and reached on or before the
    planned date ÷ milestones planned in M, by the project's org subtree; only months up to
    the as-of date. -#}
with

milestones as (

    select * from {{ ref('stg_project_milestones__milestones') }}

),

projects as (

    select * from {{ ref('int_projects_latest_reported') }}

),

as_of as (

    select * from {{ ref('int_projects_as_of_dated') }}

),

closure as (

    select * from {{ ref('int_org_units_closed') }}

),

dated as (

    select
        {{ month_start('milestones.planned_date') }} as month,
        projects.org_unit_id,
        milestones.actual_date is not null
            and milestones.actual_date <= milestones.planned_date as is_on_time
    from milestones
    inner join projects
        on projects.project_id = milestones.project_id
    inner join as_of
        on {{ month_start('milestones.planned_date') }} <= as_of.as_of_date

),

rolled_up as (

    select
        dated.month,
        closure.ancestor_id as org_unit_id,
        sum(case when dated.is_on_time then 1 else 0 end) as numerator,
        count(*) as denominator
    from dated
    inner join closure
        on closure.descendant_id = dated.org_unit_id
    group by 1, 2

)

{{ kpi_cell_select('milestone_on_time_rate') }}
