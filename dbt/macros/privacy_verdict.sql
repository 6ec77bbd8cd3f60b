{#- Where the pipeline stores the privacy rule's verdict between the two parts of the build
    (dagster_project/transform/privacy.py): a table of the build database on DuckDB; on
    Spark a table over the Parquet file the pipeline wrote (registered by
    spark_register_exchange). Not a dbt source: nothing but the pipeline writes it, and no
    Dagster asset stands for it. -#}
{% macro privacy_verdict_relation() -%}
    privacy.cells_suppressed
{%- endmacro %}
