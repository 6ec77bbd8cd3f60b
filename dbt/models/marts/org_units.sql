{#- The org tree as published: depth (root 0) and the id path from the root. -#}
select
    cast(org_unit_id as {{ dbt.type_string() }}) as org_unit_id,
    cast(org_unit_name as {{ dbt.type_string() }}) as name,
    cast(parent_id as {{ dbt.type_string() }}) as parent_id,
    cast(depth as integer) as depth,
    cast(path as {{ dbt.type_string() }}) as path
from {{ ref('int_org_units_ranked') }}
order by path
