{#- Every milestone with its project's org unit and its state on the project data's as-of
    date (the one milestone_on_time_rate uses): reached on or before the planned date
    (done_on_time), reached after it (done_late), not reached and the planned date passed
    (overdue), else open (a milestone planned for the as-of date itself is still open). -#}
with

milestones as (

    select * from {{ ref('stg_project_milestones__milestones') }}

),

projects as (

    select * from {{ ref('int_projects_latest_reported') }}

),

as_of as (

    select * from {{ ref('int_projects_as_of_dated') }}

)

select
    cast(milestones.project_id as {{ dbt.type_string() }}) as project_id,
    cast(milestones.milestone_id as {{ dbt.type_string() }}) as milestone_id,
    cast(milestones.milestone_name as {{ dbt.type_string() }}) as milestone_name,
    cast(projects.org_unit_id as {{ dbt.type_string() }}) as org_unit_id,
    cast(milestones.planned_date as date) as planned_date,
    cast(milestones.actual_date as date) as actual_date,
    cast(
        case
            when milestones.actual_date is not null
                and milestones.actual_date <= milestones.planned_date then 'done_on_time'
            when milestones.actual_date is not null then 'done_late'
            when milestones.planned_date < as_of.as_of_date then 'overdue'
            else 'open'
        end as {{ dbt.type_string() }}
    ) as status,
    cast(as_of.as_of_date as date) as as_of_date
from milestones
left join projects
    on projects.project_id = milestones.project_id
cross join as_of
order by milestones.project_id, milestones.planned_date, milestones.milestone_id
