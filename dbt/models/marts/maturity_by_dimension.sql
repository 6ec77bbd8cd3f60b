{#- The six maturity dimension scores per wave and org unit, under the privacy rule applied
    per (wave, dimension): a suppressed cell keeps only its keys. -#}
with

dimensions as (

    select * from {{ ref('int_maturity_dimensions_rolled_up') }}

),

privacy as (

    select * from {{ ref('int_privacy_cells_suppressed') }}
    where table_name = 'maturity_by_dimension'

),

flagged as (

    select
        dimensions.*,
        coalesce(privacy.suppressed, true) as suppressed
    from dimensions
    left join privacy
        on privacy.cell_group = {{ dimension_cell_group('dimensions.wave', 'dimensions.dimension') }}
        and privacy.org_unit_id = dimensions.org_unit_id

)

select
    cast(wave as {{ dbt.type_string() }}) as wave,
    cast(month as date) as month,
    cast(org_unit_id as {{ dbt.type_string() }}) as org_unit_id,
    cast(dimension as {{ dbt.type_string() }}) as dimension,
    cast(case when suppressed then null else score end as {{ type_double() }}) as score,
    cast(case when suppressed then null else population end as integer) as population,
    cast(suppressed as boolean) as suppressed
from flagged
order by wave, dimension, org_unit_id
