{#- A 64-bit float. `double precision` is standard SQL (DuckDB, Postgres, ...); Spark knows
    only `double`. -#}
{% macro type_double() -%}
    {{ return(adapter.dispatch('type_double', 'leitstand')()) }}
{%- endmacro %}

{% macro default__type_double() -%}
    double precision
{%- endmacro %}

{% macro spark__type_double() -%}
    double
{%- endmacro %}
