{#- The project data's as-of date (docs/kpis.md): the latest status_date or actual_date seen.
    Milestone months after it are not reported yet. -#}
with

seen_dates as (

    select status_date as seen_date from {{ ref('stg_projects__status_reports') }}
    union all
    select actual_date as seen_date from {{ ref('stg_project_milestones__milestones') }}

)

select max(seen_date) as as_of_date
from seen_dates
