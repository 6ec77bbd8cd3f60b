{#- The month-partitioned incremental build of the big order aggregates (docs/architecture.md,
    "A daily re-run"). When the pipeline decides that an export only added rows since the
    last build (dagster_project/transform/plan.py), it writes the months those rows fall in
    to `meta.dbt_increment` (source, month) in the build database; an incremental model
    then deletes those months (plus, for a rolling window, the months after) and inserts
    them computed anew. Otherwise the pipeline builds with `--full-refresh`. The months come
    from the data the ingest merged, never from the clock.

    Spark builds these models as tables (`increment_materialized`): nothing here runs
    there. -#}

{#- `incremental` on DuckDB, a plain `table` elsewhere (Spark builds every model anew). -#}
{% macro increment_materialized() -%}
    {{ return('table' if target.type != 'duckdb' else 'incremental') }}
{%- endmacro %}

{#- The months to recompute, as a subquery of one column `month`: the months the new rows
    of `source` fall in and, for a rolling window, the `months_after` months after each. -#}
{% macro increment_months(source, months_after=0) -%}
    (
        select distinct
            cast({{ dbt.dateadd('month', 'after_month.n', 'increment.month') }} as date) as month
        from meta.dbt_increment as increment
        cross join (
            select generated_number - 1 as n
            from ({{ dbt.generate_series(months_after + 1) }}) as numbers
        ) as after_month
        where increment.source = '{{ source }}'
    )
{%- endmacro %}

{#- The pre-hook of an incremental model: remove the months about to be inserted anew
    (every one of them, also those that end up without a row). Nothing on a full build. -#}
{% macro increment_delete(month_column, source, months_after=0) -%}
    {%- if is_incremental() -%}
        delete from {{ this }}
        where {{ month_column }} in {{ increment_months(source, months_after) }}
    {%- endif -%}
{%- endmacro %}
