{#- Licences active on each month's last day and held by an employee employed that day,
    flagged when the holder used the tool (>= 1 it_usage row) in that month. Tool names
    match case-insensitively after trimming. Months: first to last month of activity_date.
    Stored: both tool adoption roll-ups read it, and as a view each of them went through
    every it_usage row again. Incremental by month (macros/increment.sql): a month's rows
    read that month's usage only (the span of months still comes from all usage), so an
    export that adds usage recomputes the months it falls in. -#}
{{ config(**increment_config('it_usage')) }}
with

licences as (

    select * from {{ ref('stg_it_licenses__licenses') }}

),

usage as (

    select * from {{ ref('stg_it_usage__activity') }}

),

bounds as (

    select
        {{ month_start('min(activity_date)') }} as first_month,
        {{ month_start('max(activity_date)') }} as last_month
    from usage

),

employed as (

    select employed.*
    from {{ ref('int_employees_employed_at_month_end') }} as employed
    inner join bounds
        on employed.month between bounds.first_month and bounds.last_month
    {% if is_incremental() %}
    where employed.month in {{ increment_months('it_usage') }}
    {% endif %}

),

used_tools as (

    select distinct
        {{ month_start('activity_date') }} as month,
        employee_id,
        tool_key
    from usage
    {% if is_incremental() %}
    where {{ increment_range('activity_date', 'it_usage') }}
    {% endif %}

)

select
    employed.month,
    employed.employee_id,
    employed.org_unit_id,
    licences.tool_key,
    licences.assigned_from,
    used_tools.employee_id is not null as is_used
from employed
inner join licences
    on licences.employee_id = employed.employee_id
    and licences.assigned_from <= employed.month_end
    and (licences.assigned_until is null or licences.assigned_until >= employed.month_end)
left join used_tools
    on used_tools.month = employed.month
    and used_tools.employee_id = licences.employee_id
    and used_tools.tool_key = licences.tool_key
