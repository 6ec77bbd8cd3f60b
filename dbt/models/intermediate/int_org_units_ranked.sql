{#- Each unit with its depth (root 0) and id path from the root: the order in which the
    privacy rule visits cells and the tree that marts.org_units publishes. -#}
with recursive

org_units as (

    select * from {{ ref('stg_config__org_units') }}

),

walked (org_unit_id, depth, path) as (

    select
        org_unit_id,
        0 as depth,
        cast(org_unit_id as {{ dbt.type_string() }}) as path
    from org_units
    where parent_id is null

    union all

    select
        org_units.org_unit_id,
        walked.depth + 1 as depth,
        {{ dbt.concat(['walked.path', "'/'", 'org_units.org_unit_id']) }} as path
    from walked
    inner join org_units
        on org_units.parent_id = walked.org_unit_id
    where walked.depth < 50

)

select
    org_units.org_unit_id,
    org_units.org_unit_name,
    org_units.parent_id,
    walked.depth,
    walked.path
from org_units
inner join walked
    on walked.org_unit_id = org_units.org_unit_id
