{#- docs/kpis.md, marts.kpi_comments: a comment is published only beside a published value.
    The model joins the comments to the cells that are not suppressed; this test fails the
    run (nothing is published) if the published comments ever name a suppressed cell or one
    without a value — a comment there would point at what the privacy rule hides. -#}
select comments.kpi_id, comments.org_unit_id, comments.month
from {{ ref('kpi_comments') }} as comments
left join {{ ref('kpi_monthly') }} as cells
    on cells.kpi_id = comments.kpi_id
    and cells.org_unit_id = comments.org_unit_id
    and cells.month = comments.month
where cells.kpi_id is null or cells.suppressed or cells.value is null
