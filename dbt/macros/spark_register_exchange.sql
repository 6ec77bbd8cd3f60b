{#- On Spark (LEITSTAND_ENGINE=spark), the raw layer and the privacy rule's verdict come as
    Parquet files from the pipeline, in the folder of var `spark_exchange_dir`
    (dagster_project/ingest/parquet.py, dagster_project/transform/privacy.py). Before each
    build, every `raw` source becomes a table over its folder (`<dir>/raw/<source>/`) and
    privacy.cells_suppressed one over `<dir>/privacy/cells_suppressed/`: external tables,
    so dropping one never deletes the files. Nothing on other engines, nor when dbt only
    compiles (run as the project's on-run-start hook). -#}
{% macro spark_register_exchange() -%}
    {%- if target.type == 'spark' and execute
            and flags.WHICH in ('build', 'run', 'seed', 'test', 'snapshot') -%}
        {%- set folder = var('spark_exchange_dir', none) -%}
        {%- if folder is none -%}
            {{ exceptions.raise_compiler_error(
                "var spark_exchange_dir is not set: on Spark the raw layer is read from "
                ~ "Parquet files in that folder (leitstand run --engine spark writes them)") }}
        {%- endif -%}
        {%- set schemas = [] -%}
        {%- for source in graph.sources.values() if source.source_name == 'raw' -%}
            {%- if source.schema not in schemas -%}
                {%- do run_query('create database if not exists ' ~ source.schema) -%}
                {%- do schemas.append(source.schema) -%}
            {%- endif -%}
            {%- set relation = source.schema ~ '.' ~ source.identifier -%}
            {%- do run_query('drop table if exists ' ~ relation) -%}
            {%- do run_query('create table ' ~ relation ~ " using parquet location '"
                ~ folder ~ '/raw/' ~ source.identifier ~ "'") -%}
        {%- endfor -%}
        {%- do run_query('create database if not exists privacy') -%}
        {%- do run_query('drop table if exists privacy.cells_suppressed') -%}
        {%- do run_query('create table privacy.cells_suppressed (table_name string,'
            ~ ' cell_group string, org_unit_id string, suppressed boolean)'
            ~ " using parquet location '" ~ folder ~ "/privacy/cells_suppressed'") -%}
    {%- endif -%}
{%- endmacro %}
