{#- The cells that describe people, from every table the privacy rule covers, each tagged
    with the group inside which docs/kpis.md's tree rule is applied: per (kpi, month) for
    kpi_monthly (cells with a population), per (wave, dimension) for maturity_by_dimension,
    per (tool, month) for tool_adoption.
    A breakdown cell (a tool's share of tool_adoption_rate, a dimension of the maturity
    index) also names the total cell it is a part of (`within_cell_group`, a kpi_monthly
    group) and its key inside that total (`breakdown_key`): the linked-tables rule works on
    all breakdown cells of one (unit, total). `weight` is what a cell's value is multiplied
    by to add up through the tree: 1 for sums, the answers behind a dimension score (a
    mean) for the maturity dimensions. -#}
select
    'kpi_monthly' as table_name,
    {{ kpi_cell_group('kpi_id', 'month') }} as cell_group,
    org_unit_id,
    population,
    cast(null as {{ dbt.type_string() }}) as within_cell_group,
    cast(null as {{ dbt.type_string() }}) as breakdown_key,
    1 as weight
from {{ ref('int_kpi_cells_unioned') }}
where population is not null

union all

select
    'maturity_by_dimension' as table_name,
    {{ dimension_cell_group('wave', 'dimension') }} as cell_group,
    org_unit_id,
    population,
    {{ kpi_cell_group("'digital_maturity_index'", 'month') }} as within_cell_group,
    dimension as breakdown_key,
    answers as weight
from {{ ref('int_maturity_dimensions_rolled_up') }}

union all

select
    'tool_adoption' as table_name,
    {{ tool_cell_group('tool_key', 'month') }} as cell_group,
    org_unit_id,
    population,
    {{ kpi_cell_group("'tool_adoption_rate'", 'month') }} as within_cell_group,
    tool_key as breakdown_key,
    1 as weight
from {{ ref('int_tool_adoption_by_tool_rolled_up') }}
