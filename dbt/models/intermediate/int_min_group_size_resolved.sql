{#- The privacy rule's minimum group size: settings.csv `min_group_size`, else the project
    default (5). A value that is not a whole number comes out NULL and, like a value below 3,
    fails this model's data test before anything is suppressed or published. -#}
with

configured as (

    select
        setting_value,
        {{ dbt.safe_cast('setting_value', api.Column.translate_type('integer')) }} as parsed_value
    from {{ ref('stg_config__settings') }}
    where setting_key = 'min_group_size'

),

defaulted as (

    select
        cast({{ var('default_min_group_size') }} as integer) as min_group_size,
        cast(null as {{ dbt.type_string() }}) as configured_value

)

select
    case
        when configured.setting_value is null then defaulted.min_group_size
        else configured.parsed_value
    end as min_group_size,
    configured.setting_value as configured_value
from defaulted
left join configured
    on 1 = 1
