{#- order_lead_time_days (docs/kpis.md): median days from order to confirmation over the orders
    not cancelled with a confirmed_date, per order month and org subtree (an even count
    gives the mean of the two middle values). numerator NULL, denominator = orders.
    A table: computed inside the KPI union next to the other roll-ups it made DuckDB spill
    under the run's memory cap (the union took 3.4-4.5 s at 10 M orders, 1.6 s with this
    computed first).
    Whole days, so the orders are first counted per unit, month and number of days (one
    scan, a few thousand rows), and the median of each subtree is read from those counts:
    joining every order to its ancestors and taking a median over the copies took 0.6 s at
    10 M orders.
    Incremental by month (macros/increment.sql): a daily export recomputes the months its
    orders fall in (a month's median reads only that month's orders). -#}
{{ config(**increment_config('erp_orders')) }}
with

orders as (

    select
        order_date,
        org_unit_id,
        {{ dbt.datediff('order_date', 'confirmed_date', 'day') }} as confirmation_days
    from {{ ref('stg_erp_orders__orders') }}
    where not is_cancelled
        and confirmed_date is not null
        {% if is_incremental() %}
        and {{ increment_where('order_date', 'erp_orders') }}
        {% endif %}

),

closure as (

    select * from {{ ref('int_org_units_closed') }}

),

days_counted as (

    select
        {{ month_start('order_date') }} as month,
        org_unit_id,
        confirmation_days,
        count(*) as orders
    from orders
    group by 1, 2, 3

),

rolled_up as (

    select
        days_counted.month,
        closure.ancestor_id as org_unit_id,
        days_counted.confirmation_days,
        sum(days_counted.orders) as orders
    from days_counted
    inner join closure
        on closure.descendant_id = days_counted.org_unit_id
    group by 1, 2, 3

),

{#- `up_to` = orders with at most this many days; the value at rank r (0-based, in
    ascending order) is the least number of days whose `up_to` exceeds r. The median of n
    values is the mean of ranks floor((n-1)/2) and floor(n/2) (one rank when n is odd). -#}
ranked as (

    select
        month,
        org_unit_id,
        confirmation_days,
        sum(orders) over (
            partition by month, org_unit_id order by confirmation_days
            rows between unbounded preceding and current row
        ) as up_to,
        sum(orders) over (partition by month, org_unit_id) as denominator
    from rolled_up

),

medians as (

    select
        month,
        org_unit_id,
        denominator,
        (
            min(confirmation_days) filter (where up_to > {{ int_div("denominator - 1", 2) }})
            + min(confirmation_days) filter (where up_to > {{ int_div("denominator", 2) }})
        ) / 2.0 as median_days
    from ranked
    group by 1, 2, 3

)

{{ kpi_cell_select(
    'order_lead_time_days',
    relation='medians',
    value='cast(median_days as ' ~ type_double() ~ ')',
    numerator=none,
) }}
