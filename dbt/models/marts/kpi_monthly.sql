{#- The published KPI table (docs/kpis.md): one row per (kpi, month, org unit) with a non-zero
    denominator. A suppressed cell keeps only its keys: value, numerator, denominator and
    population are NULL, so its numbers appear nowhere downstream. -#}
with

cells as (

    select * from {{ ref('int_kpi_cells_unioned') }}

),

privacy as (

    select * from {{ ref('int_privacy_cells_suppressed') }}
    where table_name = 'kpi_monthly'

),

flagged as (

    select
        cells.*,
        coalesce(privacy.suppressed, false) as suppressed
    from cells
    left join privacy
        on privacy.cell_group = {{ kpi_cell_group('cells.kpi_id', 'cells.month') }}
        and privacy.org_unit_id = cells.org_unit_id

)

select
    cast(kpi_id as {{ dbt.type_string() }}) as kpi_id,
    cast(month as date) as month,
    cast(org_unit_id as {{ dbt.type_string() }}) as org_unit_id,
    cast(case when suppressed then null else value end as {{ type_double() }}) as value,
    cast(case when suppressed then null else numerator end as {{ type_double() }}) as numerator,
    cast(case when suppressed then null else denominator end as {{ type_double() }}) as denominator,
    cast(case when suppressed then null else population end as integer) as population,
    cast(suppressed as boolean) as suppressed
from flagged
order by kpi_id, month, org_unit_id
