{#- Every published cell about people as the marts publish it (suppressed or not), with
    the true population and weight behind it: what the privacy audit
    (audit_privacy_derivable_cells) needs to work out what an attacker can compute from
    the published file. Built in the build database only (schema audit, never published). -#}
with

kpi_cells as (

    select * from {{ ref('int_kpi_cells_unioned') }}
    where population is not null

),

tool_cells as (

    select * from {{ ref('int_tool_adoption_by_tool_rolled_up') }}

),

dimension_cells as (

    select * from {{ ref('int_maturity_dimensions_rolled_up') }}

)

select
    published.kpi_id as total_kpi_id,
    published.month,
    cast(null as {{ dbt.type_string() }}) as breakdown_key,
    published.org_unit_id,
    kpi_cells.population,
    1 as weight,
    published.suppressed
from {{ ref('kpi_monthly') }} as published
inner join kpi_cells
    on kpi_cells.kpi_id = published.kpi_id
    and kpi_cells.month = published.month
    and kpi_cells.org_unit_id = published.org_unit_id

union all

select
    'tool_adoption_rate' as total_kpi_id,
    published.month,
    tool_cells.tool_key as breakdown_key,
    published.org_unit_id,
    tool_cells.population,
    1 as weight,
    published.suppressed
from {{ ref('tool_adoption') }} as published
inner join tool_cells
    on tool_cells.month = published.month
    and tool_cells.org_unit_id = published.org_unit_id
    and tool_cells.tool = published.tool

union all

select
    'digital_maturity_index' as total_kpi_id,
    published.month,
    published.dimension as breakdown_key,
    published.org_unit_id,
    dimension_cells.population,
    dimension_cells.answers as weight,
    published.suppressed
from {{ ref('maturity_by_dimension') }} as published
inner join dimension_cells
    on dimension_cells.wave = published.wave
    and dimension_cells.org_unit_id = published.org_unit_id
    and dimension_cells.dimension = published.dimension
