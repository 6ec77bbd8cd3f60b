{#- A comment in config/kpi_comments.csv whose KPI, org unit and month have no row in
    kpi_monthly (a typo in the month or the unit, a month without data) is not published:
    warn, so that it does not vanish without a trace. Comments on suppressed cells are left
    out on purpose (the row exists) and are not listed here. -#}
{{ config(severity='warn') }}
select comments.kpi_id, comments.org_unit_id, comments.month, comments.author
from {{ ref('stg_config__kpi_comments') }} as comments
left join {{ ref('kpi_monthly') }} as cells
    on cells.kpi_id = comments.kpi_id
    and cells.org_unit_id = comments.org_unit_id
    and cells.month = comments.month
where cells.kpi_id is null
