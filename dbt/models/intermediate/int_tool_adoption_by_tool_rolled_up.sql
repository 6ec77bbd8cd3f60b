{#- tool_adoption_rate broken down per tool: the KPI's formula (docs/kpis.md) for the licences of
    one tool. Tools match case-insensitively after trimming; the name shown is the first
    spelling seen in the licence exports. Stored, because both the privacy rule and the
    tool_adoption mart read it (as a view it was computed twice: 0.5 s each at 5 M usage
    rows); incremental by month with the licences it reads (macros/increment.sql). -#}
{{ config(**increment_config('it_usage')) }}
with

licences as (

    select * from {{ ref('int_licences_active_at_month_end') }}
    {% if is_incremental() %}
    where month in {{ increment_months('it_usage') }}
    {% endif %}

),

tool_names as (

    select
        tool_key,
        min(tool) as tool
    from {{ ref('stg_it_licenses__licenses') }}
    group by 1

),

closure as (

    select * from {{ ref('int_org_units_closed') }}

),

rolled_up as (

    select
        licences.month,
        closure.ancestor_id as org_unit_id,
        licences.tool_key,
        sum(case when licences.is_used then 1 else 0 end) as numerator,
        count(*) as denominator,
        count(distinct licences.employee_id) as population
    from licences
    inner join closure
        on closure.descendant_id = licences.org_unit_id
    group by 1, 2, 3

)

select
    rolled_up.month,
    rolled_up.org_unit_id,
    rolled_up.tool_key,
    tool_names.tool,
    cast(rolled_up.numerator as {{ type_double() }}) / rolled_up.denominator as value,
    cast(rolled_up.numerator as {{ type_double() }}) as numerator,
    cast(rolled_up.denominator as {{ type_double() }}) as denominator,
    cast(rolled_up.population as integer) as population
from rolled_up
inner join tool_names
    on tool_names.tool_key = rolled_up.tool_key
where rolled_up.denominator > 0
