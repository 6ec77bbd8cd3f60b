{#- The cells that describe people (population not NULL), from every table the privacy rule
    covers, each tagged with the group inside which kpis.md's rule is applied: per
    (kpi, month) for kpi_monthly. -#}
select
    'kpi_monthly' as table_name,
    {{ dbt.concat(['kpi_id', "'|'", dbt.cast('month', api.Column.translate_type('string'))]) }} as cell_group,
    org_unit_id,
    population
from {{ ref('int_kpi_cells_unioned') }}
where population is not null
