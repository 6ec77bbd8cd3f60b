{#- The KPI catalog as published: names and definitions in German and English, unit, good
    direction, range (docs/kpis.md's columns, plus `description_de` for the German
    dashboards). -#}
select
    cast(kpi_id as {{ dbt.type_string() }}) as kpi_id,
    cast(name_de as {{ dbt.type_string() }}) as name_de,
    cast(name_en as {{ dbt.type_string() }}) as name_en,
    cast(unit as {{ dbt.type_string() }}) as unit,
    cast(direction as {{ dbt.type_string() }}) as direction,
    cast(source as {{ dbt.type_string() }}) as source,
    cast(description as {{ dbt.type_string() }}) as description,
    cast(description_de as {{ dbt.type_string() }}) as description_de,
    cast(min_value as {{ type_double() }}) as min_value,
    cast(max_value as {{ type_double() }}) as max_value
from {{ ref('kpi_catalog') }}
order by kpi_id
