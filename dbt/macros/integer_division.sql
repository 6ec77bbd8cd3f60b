{#- Integer division, rounding toward minus infinity for the non-negative counts it is used
    on: DuckDB (and Python) write `//`, Spark `div`. -#}
{% macro int_div(dividend, divisor) -%}
    {{ return(adapter.dispatch('int_div', 'leitstand')(dividend, divisor)) }}
{%- endmacro %}

{% macro default__int_div(dividend, divisor) -%}
    ({{ dividend }}) // ({{ divisor }})
{%- endmacro %}

{% macro spark__int_div(dividend, divisor) -%}
    ({{ dividend }}) div ({{ divisor }})
{%- endmacro %}
