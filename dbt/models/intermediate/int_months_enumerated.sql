{#- Calendar months 1900-01 .. 2099-12 with their first and last day: the grid that stock
    and rolling KPIs are evaluated on (each KPI keeps the months between the first and the
    last month of its own period dates). Portable: dbt's generate_series and dateadd. -#}
with

numbers as (

    {{ dbt.generate_series(2400) }}

),

months as (

    select
        cast({{ dbt.dateadd('month', 'generated_number - 1', "cast('1900-01-01' as date)") }} as date)
            as month
    from numbers

)

select
    month,
    {{ month_end('month') }} as month_end
from months
