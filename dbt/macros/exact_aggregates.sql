{#- Sums and means of fractional numbers, computed exactly.

    A sum of doubles depends on the order in which the engine adds them, and with several
    threads that order changes from run to run: the same sources gave KPI values differing
    in the last bit. Cast to a wide decimal first (10 places: cents, percentages and survey
    scores keep far more precision than any KPI shows) and the sum is exact, so a run over
    the same folder publishes byte-identical tables. Portable SQL: decimal(38, 10) exists
    on every engine dbt targets. -#}

{% macro exact_sum(expression) -%}
    sum(cast({{ expression }} as decimal(38, 10)))
{%- endmacro %}

{% macro exact_avg(expression) -%}
    cast(sum(cast({{ expression }} as decimal(38, 10))) as {{ type_double() }})
        / count({{ expression }})
{%- endmacro %}
