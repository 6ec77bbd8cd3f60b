{#- digital_revenue_share (docs/kpis.md): net amount of digital orders not cancelled ÷ net amount
    of all orders not cancelled, per order month and org subtree; no row where the total
    is <= 0. -#}
with

orders as (

    select * from {{ ref('int_orders_counted') }}
    where not is_cancelled

),

closure as (

    select * from {{ ref('int_org_units_closed') }}

),

rolled_up as (

    select
        orders.order_month as month,
        closure.ancestor_id as org_unit_id,
        {{ exact_sum('case when orders.is_digital then orders.net_amount else 0 end') }} as numerator,
        {{ exact_sum('orders.net_amount') }} as denominator
    from orders
    inner join closure
        on closure.descendant_id = orders.org_unit_id
    group by 1, 2

)

{{ kpi_cell_select('digital_revenue_share') }}
