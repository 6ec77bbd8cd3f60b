{#- The privacy rule's verdict per cell about people (docs/kpis.md, Privacy). The rule is
    iterative set logic, worked out by the pipeline between the two parts of the build
    (dagster_project/transform/privacy.py): the same code on every engine. The first part
    builds the models named below, the pipeline reads them and stores its verdict in
    privacy.cells_suppressed, and the second part builds this model and what reads it. -#}
-- depends_on: {{ ref('int_privacy_cells_unioned') }}
-- depends_on: {{ ref('int_privacy_breakdown_people') }}
-- depends_on: {{ ref('int_org_units_ranked') }}
-- depends_on: {{ ref('int_min_group_size_resolved') }}
{{ config(materialized='table') }}

select
    cast(table_name as {{ dbt.type_string() }}) as table_name,
    cast(cell_group as {{ dbt.type_string() }}) as cell_group,
    cast(org_unit_id as {{ dbt.type_string() }}) as org_unit_id,
    cast(suppressed as boolean) as suppressed
from {{ privacy_verdict_relation() }}
