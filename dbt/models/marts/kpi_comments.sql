{#- Phase 5: the analyst's or owner's word on why a value moved (config/kpi_comments.csv),
    published only beside a published value: a comment on a suppressed cell — or on a
    month without a value — is left out (docs/kpis.md), so no comment points at a cell
    the privacy rule hides. -#}
with

comments as (

    select * from {{ ref('stg_config__kpi_comments') }}

),

published as (

    select kpi_id, org_unit_id, month from {{ ref('kpi_monthly') }}
    where not suppressed

)

select
    cast(comments.kpi_id as {{ dbt.type_string() }}) as kpi_id,
    cast(comments.org_unit_id as {{ dbt.type_string() }}) as org_unit_id,
    cast(comments.month as date) as month,
    cast(comments.author as {{ dbt.type_string() }}) as author,
    cast(comments.comment as {{ dbt.type_string() }}) as comment,
    cast(comments.created_at as date) as created_at
from comments
inner join published
    on published.kpi_id = comments.kpi_id
    and published.org_unit_id = comments.org_unit_id
    and published.month = comments.month
order by 1, 2, 3, 4
