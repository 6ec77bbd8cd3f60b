{#- The privacy rule's minimum group size: settings.csv `min_group_size`, else the project
    default (5). A value that is not a whole number >= 3 stops the build right here with a
    message naming the file, the key, the value and the fix (docs/kpis.md: never below 3); the
    data test on this model and the suppression model check it once more. -#}
{%- set settings_relation = source('raw', 'settings') -%}
{%- if execute and adapter.get_relation(
        database=settings_relation.database,
        schema=settings_relation.schema,
        identifier=settings_relation.identifier) is not none -%}
    {%- set configured = run_query(
        "select value from " ~ settings_relation
        ~ " where lower(trim(key)) = 'min_group_size'"
    ) -%}
    {%- for row in configured.rows -%}
        {%- set text = (row[0] if row[0] is not none else '') | string | trim -%}
        {%- set number = text | float(-1) -%}
        {%- if number < 3 or number != (number | int) -%}
            {{ exceptions.raise_compiler_error(
                "settings.csv (raw.settings), key min_group_size: value '" ~ text
                ~ "' is not allowed. The privacy rule needs a whole number of at least 3"
                ~ " (default 5): correct the value in sources/config/settings.csv or remove"
                ~ " the row to use the default."
            ) }}
        {%- endif -%}
    {%- endfor -%}
{%- endif %}
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
