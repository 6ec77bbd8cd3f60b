{#- ERP orders counted per org unit, order month, customer, channel kind and cancellation:
    the one scan of the order lines that the digital order share, the digital revenue share
    and the repeat customer rate roll up from (each of them scanned all orders before: three
    passes over 10 M rows). Amounts summed exactly (decimal), so the roll-ups that add these
    sums again get the same value as summing the orders.
    Incremental by order month (macros/increment.sql): a daily export recomputes the
    months its orders fall in. -#}
{{ config(**increment_config('erp_orders', month_column='order_month')) }}
select
    org_unit_id,
    {{ month_start('order_date') }} as order_month,
    customer_id,
    is_digital,
    is_cancelled,
    count(*) as orders,
    {{ exact_sum('net_amount') }} as net_amount
from {{ ref('stg_erp_orders__orders') }}
{% if is_incremental() %}
where {{ increment_where('order_date', 'erp_orders') }}
{% endif %}
group by 1, 2, 3, 4, 5
