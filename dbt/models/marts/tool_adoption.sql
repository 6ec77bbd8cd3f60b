{#- Tool adoption per tool, month and org unit: the tool_adoption_rate formula for one
    tool's licences, under the privacy rule per (tool, month); a tool cell is published only
    where the unit's tool_adoption_rate cell is (see int_privacy_cells_suppressed). A
    suppressed cell keeps only its keys. -#}
with

cells as (

    select * from {{ ref('int_tool_adoption_by_tool_rolled_up') }}

),

privacy as (

    select * from {{ ref('int_privacy_cells_suppressed') }}
    where table_name = 'tool_adoption'

),

flagged as (

    select
        cells.*,
        coalesce(privacy.suppressed, false) as suppressed
    from cells
    left join privacy
        on privacy.cell_group = {{ tool_cell_group('cells.tool_key', 'cells.month') }}
        and privacy.org_unit_id = cells.org_unit_id

)

select
    cast(month as date) as month,
    cast(org_unit_id as {{ dbt.type_string() }}) as org_unit_id,
    cast(tool as {{ dbt.type_string() }}) as tool,
    cast(case when suppressed then null else value end as {{ type_double() }}) as value,
    cast(case when suppressed then null else numerator end as {{ type_double() }}) as numerator,
    cast(case when suppressed then null else denominator end as {{ type_double() }}) as denominator,
    cast(case when suppressed then null else population end as integer) as population,
    cast(suppressed as boolean) as suppressed
from flagged
order by month, org_unit_id, tool
