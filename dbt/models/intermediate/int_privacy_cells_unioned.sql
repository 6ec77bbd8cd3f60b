{#- The cells that describe people, from every table the privacy rule covers, each tagged
    with the group inside which kpis.md's rule is applied: per (kpi, month) for
    kpi_monthly (cells with a population), per (wave, dimension) for maturity_by_dimension. -#}
select
    'kpi_monthly' as table_name,
    {{ kpi_cell_group('kpi_id', 'month') }} as cell_group,
    org_unit_id,
    population
from {{ ref('int_kpi_cells_unioned') }}
where population is not null

union all

select
    'maturity_by_dimension' as table_name,
    {{ dimension_cell_group('wave', 'dimension') }} as cell_group,
    org_unit_id,
    population
from {{ ref('int_maturity_dimensions_rolled_up') }}
