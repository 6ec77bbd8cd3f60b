{#- One channel map per channel-bearing source: the built-in seed, extended and overridden
    by config/channels.csv. Precedence per (source, channel key): a config row beats a
    built-in row; within each, a row for the exact source beats one for every source
    (`*` or empty). -#}
with

builtin as (

    select
        source,
        raw_value,
        channel,
        cast(is_digital as boolean) as is_digital,
        1 as origin_rank
    from {{ ref('builtin_channel_map') }}

),

configured as (

    select
        coalesce(nullif(lower(trim(source)), ''), '*') as source,
        raw_value,
        trim(channel) as channel,
        cast(is_digital as boolean) as is_digital,
        0 as origin_rank
    from {{ source('raw', 'channels') }}

),

unioned as (

    select * from configured
    union all
    select * from builtin

),

keyed as (

    select
        case when source in ('*', 'all', 'alle') then '*' else source end as source,
        {{ channel_key('raw_value') }} as channel_key,
        channel,
        is_digital,
        origin_rank
    from unioned
    where raw_value is not null

),

channel_sources as (

    select 'erp_orders' as source
    union all
    select 'crm_interactions' as source
    union all
    select 'crm_leads' as source

),

expanded as (

    select
        channel_sources.source,
        keyed.channel_key,
        keyed.channel,
        keyed.is_digital,
        2 * keyed.origin_rank + case when keyed.source = '*' then 1 else 0 end as precedence_rank
    from keyed
    inner join channel_sources
        on keyed.source in ('*', channel_sources.source)

),

ranked as (

    select
        source,
        channel_key,
        channel,
        is_digital,
        row_number() over (
            partition by source, channel_key
            order by precedence_rank, channel nulls last
        ) as precedence
    from expanded

)

select
    source,
    channel_key,
    channel,
    is_digital
from ranked
where precedence = 1
