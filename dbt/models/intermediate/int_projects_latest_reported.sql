{#- Each project with the org unit of its latest status report: a milestone belongs to its
    project's org unit (docs/kpis.md). -#}
with

reports as (

    select
        project_id,
        org_unit_id,
        row_number() over (
            partition by project_id
            order by status_date desc, _file_name desc, _row_number desc
        ) as recency
    from {{ ref('stg_projects__status_reports') }}

)

select
    project_id,
    org_unit_id
from reports
where recency = 1
