{#- First day of the calendar month of a date or timestamp, as a DATE (the `month` of every
    KPI row). Portable: dbt's date_trunc. -#}
{% macro month_start(expression) -%}
    cast({{ dbt.date_trunc('month', expression) }} as date)
{%- endmacro %}

{#- Last day of the calendar month that starts on `month_expression` (a DATE): the day on
    which stock KPIs (licences, employees, trainings) are measured. -#}
{% macro month_end(month_expression) -%}
    {{ return(adapter.dispatch('month_end', 'leitstand')(month_expression)) }}
{%- endmacro %}

{% macro default__month_end(month_expression) -%}
    {{ dbt.last_day(month_expression, 'month') }}
{%- endmacro %}

{#- Spark has the function itself (dbt's portable form is two date additions around a
    truncation, for Spark's planner a long expression in every view that reads it). -#}
{% macro spark__month_end(month_expression) -%}
    last_day({{ month_expression }})
{%- endmacro %}
