{#- ERP order headers, typed, with the channel resolved through the channel map
    (an unmapped channel keeps NULL is_digital; the source gate reports it). -#}
with

source as (

    select * from {{ source('raw', 'erp_orders') }}

),

channel_map as (

    select * from {{ ref('stg_config__channel_map') }}

),

renamed as (

    select
        order_id,
        customer_id,
        org_unit_id,
        trim(channel) as channel_raw,
        {{ channel_key('channel') }} as channel_key,
        lower(trim(status)) as status,
        currency,
        cast(net_amount as {{ type_double() }}) as net_amount,
        cast(order_date as date) as order_date,
        cast(confirmed_date as date) as confirmed_date,
        _file_name,
        _row_number
    from source

),

mapped as (

    select
        renamed.*,
        channel_map.channel,
        channel_map.is_digital,
        renamed.status = 'cancelled' as is_cancelled
    from renamed
    left join channel_map
        on channel_map.source = 'erp_orders'
        and channel_map.channel_key = renamed.channel_key

)

select * from mapped
