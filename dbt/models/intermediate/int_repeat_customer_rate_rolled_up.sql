{#- repeat_customer_rate (docs/kpis.md): customers with >= 2 orders not cancelled in the 12
    months ending with M ÷ customers with >= 1, counting only the orders of the unit's
    subtree. Months: first to last month of order_date (all loaded orders).

    Linear in the customers' order months, not in customers × months × window: between two
    of a customer's order months nothing about the customer changes but the age of its
    orders, so each order month opens a stretch (until the next one) in which the customer
    counts as ordering while its latest order is < 12 months old, and as repeating while its
    second latest is. Each stretch adds +1 where it starts counting and −1 where it stops;
    a running sum of these changes over the months is the number of customers counted in
    each month (5 M orders, 40,000 customers, 54 months: see bench/README.md).

    Incremental (macros/increment.sql): an order of month T changes the cells of T and the
    12 months after it only, so a daily export recomputes those months, from the orders of
    the 12 months before the first of them up to the last of them (an order older than
    that has left every window the recomputed months look at). The grid's bounds still
    come from all orders. -#}
{{ config(**increment_config('erp_orders', months_after=12)) }}
with

all_orders as (

    select * from {{ ref('int_orders_counted') }}

),

orders as (

    select * from all_orders
    where not is_cancelled
    {% if is_incremental() %}
        and {{ increment_range('order_month', 'erp_orders', months_before=12, months_after=12) }}
    {% endif %}

),

bounds as (

    select
        min(order_month) as first_month,
        max(order_month) as last_month
    from all_orders

),

months as (

    select months.month
    from {{ ref('int_months_enumerated') }} as months
    inner join bounds
        on months.month between bounds.first_month and bounds.last_month
    {% if is_incremental() %}
    where months.month in {{ increment_months('erp_orders', 12) }}
    {% endif %}

),

closure as (

    select * from {{ ref('int_org_units_closed') }}

),

customer_months as (

    select
        closure.ancestor_id as org_unit_id,
        orders.customer_id,
        orders.order_month,
        sum(orders.orders) as orders_in_month
    from orders
    inner join closure
        on closure.descendant_id = orders.org_unit_id
    group by 1, 2, 3

),

stretches as (

    {#- per customer and order month: the next order month, and the month of the customer's
        second latest order as of this month (this month itself with >= 2 orders in it) -#}
    select
        org_unit_id,
        order_month,
        lead(order_month) over (
            partition by org_unit_id, customer_id order by order_month
        ) as next_order_month,
        case
            when orders_in_month >= 2 then order_month
            else lag(order_month) over (
                partition by org_unit_id, customer_id order by order_month
            )
        end as second_latest_month
    from customer_months

),

stretch_ends as (

    {#- the first month (exclusive) of each stretch in which the latest order, or the second
        latest, is 12 or more months old; the stretch ends at the next order month at most -#}
    select
        org_unit_id,
        order_month,
        next_order_month,
        cast({{ dbt.dateadd('month', '12', 'order_month') }} as date) as ordering_until,
        cast({{ dbt.dateadd('month', '12', 'second_latest_month') }} as date) as repeating_until
    from stretches

),

stretch_spans as (

    select
        org_unit_id,
        order_month,
        case
            when next_order_month is not null and next_order_month < ordering_until
                then next_order_month
            else ordering_until
        end as ordering_until,
        case
            when repeating_until is null then null
            when next_order_month is not null and next_order_month < repeating_until
                then next_order_month
            else repeating_until
        end as repeating_until
    from stretch_ends

),

changes as (

    select org_unit_id, order_month as month, 1 as ordering_change, 0 as repeating_change
    from stretch_spans

    union all

    select org_unit_id, ordering_until as month, -1 as ordering_change, 0 as repeating_change
    from stretch_spans

    union all

    select org_unit_id, order_month as month, 0 as ordering_change, 1 as repeating_change
    from stretch_spans
    where repeating_until > order_month

    union all

    select org_unit_id, repeating_until as month, 0 as ordering_change, -1 as repeating_change
    from stretch_spans
    where repeating_until > order_month

),

changes_per_month as (

    select
        org_unit_id,
        month,
        sum(ordering_change) as ordering_change,
        sum(repeating_change) as repeating_change
    from changes
    group by 1, 2

),

units as (

    select distinct org_unit_id from changes_per_month

),

changes_and_months as (

    {#- the months to evaluate, as rows without a change: a running sum over these and the
        change months (whichever months the grid holds) counts every change up to M -#}
    select org_unit_id, month, ordering_change, repeating_change, 0 as is_evaluated
    from changes_per_month

    union all

    select units.org_unit_id, months.month, 0, 0, 1
    from units
    cross join months

),

running as (

    select
        month,
        org_unit_id,
        is_evaluated,
        sum(repeating_change) over (
            partition by org_unit_id order by month
            range between unbounded preceding and current row
        ) as numerator,
        sum(ordering_change) over (
            partition by org_unit_id order by month
            range between unbounded preceding and current row
        ) as denominator
    from changes_and_months

),

rolled_up as (

    select month, org_unit_id, numerator, denominator
    from running
    where is_evaluated = 1

)

{{ kpi_cell_select('repeat_customer_rate') }}
