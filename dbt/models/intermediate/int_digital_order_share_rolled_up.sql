{#- digital_order_share (docs/kpis.md): orders not cancelled with a digital channel ÷ all orders
    not cancelled, per order month and org subtree.
    Incremental by month (macros/increment.sql): a month's cells read that month's orders
    only, so a daily export recomputes the months its orders fall in. -#}
{{ config(**increment_config('erp_orders')) }}
with

orders as (

    select * from {{ ref('int_orders_counted') }}
    where not is_cancelled
    {% if is_incremental() %}
        and {{ increment_where('order_month', 'erp_orders', month='order_month') }}
    {% endif %}

),

closure as (

    select * from {{ ref('int_org_units_closed') }}

),

rolled_up as (

    select
        orders.order_month as month,
        closure.ancestor_id as org_unit_id,
        sum(case when orders.is_digital then orders.orders else 0 end) as numerator,
        sum(orders.orders) as denominator
    from orders
    inner join closure
        on closure.descendant_id = orders.org_unit_id
    group by 1, 2

)

{{ kpi_cell_select('digital_order_share') }}
