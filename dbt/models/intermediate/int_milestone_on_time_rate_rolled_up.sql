{#- milestone_on_time_rate (docs/kpis.md): milestones planned in the three months ending with M
    (a rolling quarter) and reached on or before the planned date ÷ milestones planned in
    those three months, by the project's org subtree. Period months are the planned months up
    to the as-of date; M runs from the first to the last of them. -#}
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
        {{ month_start('milestones.planned_date') }} as planned_month,
        projects.org_unit_id,
        milestones.actual_date is not null
            and milestones.actual_date <= milestones.planned_date as is_on_time
    from milestones
    inner join projects
        on projects.project_id = milestones.project_id
    inner join as_of
        on {{ month_start('milestones.planned_date') }} <= as_of.as_of_date

),

bounds as (

    select max(planned_month) as last_month from dated

),

windowed as (

    {#- each milestone counts in the month it is planned in and in the two months after it,
        up to the last period month -#}
    select
        cast({{ dbt.dateadd('month', 'offsets.months_after', 'dated.planned_month') }} as date)
            as month,
        dated.org_unit_id,
        dated.is_on_time
    from dated
    cross join (
        select 0 as months_after
        union all
        select 1 as months_after
        union all
        select 2 as months_after
    ) as offsets
    inner join bounds
        on {{ dbt.dateadd('month', 'offsets.months_after', 'dated.planned_month') }}
            <= bounds.last_month

),

rolled_up as (

    select
        windowed.month,
        closure.ancestor_id as org_unit_id,
        sum(case when windowed.is_on_time then 1 else 0 end) as numerator,
        count(*) as denominator
    from windowed
    inner join closure
        on closure.descendant_id = windowed.org_unit_id
    group by 1, 2

)

{{ kpi_cell_select('milestone_on_time_rate') }}
