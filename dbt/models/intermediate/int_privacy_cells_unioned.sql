{#- The cells that describe people, from every table the privacy rule covers, each tagged
    with the group inside which docs/kpis.md's rule is applied: per (kpi, month) for
    kpi_monthly (cells with a population), per (wave, dimension) for maturity_by_dimension,
    per (tool, month) for tool_adoption. A tool cell also names the KPI cell it is a part
    of (`within_cell_group`): it is published only where that KPI cell is, or the tools of
    a unit would add up to a KPI cell the rule hid. -#}
select
    'kpi_monthly' as table_name,
    {{ kpi_cell_group('kpi_id', 'month') }} as cell_group,
    org_unit_id,
    population,
    cast(null as {{ dbt.type_string() }}) as within_cell_group
from {{ ref('int_kpi_cells_unioned') }}
where population is not null

union all

select
    'maturity_by_dimension' as table_name,
    {{ dimension_cell_group('wave', 'dimension') }} as cell_group,
    org_unit_id,
    population,
    cast(null as {{ dbt.type_string() }}) as within_cell_group
from {{ ref('int_maturity_dimensions_rolled_up') }}

union all

select
    'tool_adoption' as table_name,
    {{ tool_cell_group('tool_key', 'month') }} as cell_group,
    org_unit_id,
    population,
    {{ kpi_cell_group("'tool_adoption_rate'", 'month') }} as within_cell_group
from {{ ref('int_tool_adoption_by_tool_rolled_up') }}
