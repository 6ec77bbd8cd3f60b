with

source as (

    select * from {{ source('raw', 'settings') }}

),

renamed as (

    select
        lower(trim(key)) as setting_key,
        trim(value) as setting_value
    from source

)

select * from renamed
