{#- CRM activities, typed, with the channel resolved through the channel map
    (an unmapped channel keeps NULL is_digital; the source gate reports it). -#}
with

source as (

    select * from {{ source('raw', 'crm_interactions') }}

),

channel_map as (

    select * from {{ ref('stg_config__channel_map') }}

),

renamed as (

    select
        interaction_id,
        customer_id,
        org_unit_id,
        trim(channel) as channel_raw,
        {{ channel_key('channel') }} as channel_key,
        direction,
        topic,
        cast(occurred_at as timestamp) as occurred_at,
        _file_name,
        _row_number
    from source

),

mapped as (

    select
        renamed.*,
        channel_map.channel,
        channel_map.is_digital
    from renamed
    left join channel_map
        on channel_map.source = 'crm_interactions'
        and channel_map.channel_key = renamed.channel_key

)

select * from mapped
