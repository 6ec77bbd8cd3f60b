{#- Median of a numeric expression; an even count gives the mean of the two middle values.
    The ordered-set form is standard SQL (Postgres, Snowflake, DuckDB, ...); engines that
    lack it override this one macro through dispatch. -#}
{% macro median(expression) -%}
    {{ return(adapter.dispatch('median', 'leitstand')(expression)) }}
{%- endmacro %}

{% macro default__median(expression) -%}
    percentile_cont(0.5) within group (order by {{ expression }})
{%- endmacro %}
