{#- Dates on Spark. dbt-spark's `dateadd` keeps a timestamp's time of day: every call is a
    long expression (two conversions to epoch seconds, two null assertions), and Spark
    re-analyses it wherever a view that holds it is read. Under the month calendar
    (int_months_enumerated) the plans of the KPI views grew to megabytes, and the first
    part of the build of the sample spent minutes planning. This project adds days and
    months to DATEs only, for which Spark's own `date_add` and `add_months` are the same
    (and what DuckDB's `date + interval` gives: the end of a short month is kept). Overrides
    dbt-spark's macro of the same name (the root project's comes first). -#}
{% macro spark__dateadd(datepart, interval, from_date_or_timestamp) -%}
    {%- if datepart in ('day', 'week') -%}
        date_add({{ from_date_or_timestamp }},
                 cast(({{ interval }}) * {{ 7 if datepart == 'week' else 1 }} as int))
    {%- elif datepart in ('month', 'quarter', 'year') -%}
        add_months({{ from_date_or_timestamp }},
                   cast(({{ interval }}) * {{ {'month': 1, 'quarter': 3, 'year': 12}[datepart] }} as int))
    {%- else -%}
        {{ exceptions.raise_compiler_error(
            "dateadd('" ~ datepart ~ "', ...): this project adds days, weeks, months, "
            ~ "quarters or years to dates on Spark (macros/spark_dates.sql)") }}
    {%- endif -%}
{%- endmacro %}
