{#- Phase 2 and 5: every target path of config/kpi_targets.csv, the revisions included, with
    the span it was in force (valid_from NULL: since the beginning; valid_to NULL: still in
    force), so a dashboard or report can draw the path as it was in each month. -#}
select
    cast(kpi_id as {{ dbt.type_string() }}) as kpi_id,
    cast(org_unit_id as {{ dbt.type_string() }}) as org_unit_id,
    cast(valid_from as date) as valid_from,
    cast(valid_to as date) as valid_to,
    cast(baseline_date as date) as baseline_date,
    cast(baseline_value as {{ type_double() }}) as baseline_value,
    cast(target_date as date) as target_date,
    cast(target_value as {{ type_double() }}) as target_value,
    cast(tolerance as {{ type_double() }}) as tolerance,
    cast(reason as {{ dbt.type_string() }}) as reason
from {{ ref('stg_config__kpi_targets') }}
order by kpi_id, org_unit_id, valid_from nulls first
