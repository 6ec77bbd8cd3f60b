with

source as (

    select * from {{ source('raw', 'org_units') }}

),

renamed as (

    select
        trim(org_unit_id) as org_unit_id,
        trim(name) as org_unit_name,
        nullif(trim(parent_id), '') as parent_id
    from source

)

select * from renamed
