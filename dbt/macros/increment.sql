{#- The month-partitioned incremental build of the big order, CRM and usage aggregates
    (docs/architecture.md, "A daily re-run"). When the pipeline decides that an export only
    added rows since the last build (dagster_project/transform/plan.py), it writes the months
    those rows fall in to `meta.dbt_increment` (source, month) in the build database; an
    incremental model then deletes those months (plus, for a rolling window, the months
    after) and inserts them computed anew. Otherwise the pipeline builds with
    `--full-refresh`. The months come from the data the ingest merged, never from the clock.

    Spark builds these models as tables (`increment_materialized`): nothing here runs
    there. -#}

{#- `incremental` on DuckDB, a plain `table` elsewhere (Spark builds every model anew). -#}
{% macro increment_materialized() -%}
    {{ return('table' if target.type != 'duckdb' else 'incremental') }}
{%- endmacro %}

{#- The config of a model incremental by month on `source`'s added rows: `incremental` on
    DuckDB with the months deleted first (`month_column`; `months_after` for a rolling
    window), the source named for the planner (dagster_project/transform/increment.py). -#}
{% macro increment_config(source, month_column='month', months_after=0) -%}
    {{ return({
        'materialized': increment_materialized(),
        'incremental_strategy': 'append',
        'meta': {'leitstand_increment_by': source},
        'pre_hook': "{{ increment_delete('" ~ month_column ~ "', '" ~ source ~ "', "
                    ~ months_after ~ ") }}",
    }) }}
{%- endmacro %}

{#- The months to recompute: the months the new rows of `source` fall in and, for a rolling
    window, the `months_after` months after each (dates, in order). Read from
    `meta.dbt_increment` while the model compiles, so that DuckDB sees constants and skips
    the row groups of other months (a subquery here scanned every order: 1.4 s of 5 M). -#}
{% macro _increment_month_list(source, months_after=0) -%}
    {{ return(_increment_query(
        "select distinct cast(" ~ dbt.dateadd('month', 'after_month.n', 'increment.month')
        ~ " as date) as month from meta.dbt_increment as increment cross join (select "
        ~ "generated_number - 1 as n from (" ~ dbt.generate_series(months_after + 1)
        ~ ") as numbers) as after_month where increment.source = '" ~ source ~ "' order by 1"
    )) }}
{%- endmacro %}

{#- Those months as a list of date literals. -#}
{% macro increment_months(source, months_after=0) -%}
    {%- set months = _increment_month_list(source, months_after) -%}
    ({%- for month in months -%}
        cast('{{ month }}' as date){{ ', ' if not loop.last }}
    {%- else -%}
        cast(null as date)
    {%- endfor -%})
{%- endmacro %}

{#- The rows whose `column` (a date or timestamp) falls in a recomputed month of `source`:
    a range of constants for DuckDB to skip row groups by, and the months themselves (a
    month between two recomputed ones is not one of them). `month`: the SQL of a row's
    month (default: the month start of `column`). One query for both. -#}
{% macro increment_where(column, source, month=none) -%}
    {%- set months = _increment_month_list(source) -%}
    {%- if months | length == 0 -%}
        false
    {%- else -%}
        {{ column }} >= cast('{{ months[0] }}' as date)
        and {{ column }} < cast({{ dbt.dateadd('month', 1, "cast('" ~ months[-1] ~ "' as date)") }} as date)
        and {{ month if month else month_start(column) }} in (
            {%- for m in months %}cast('{{ m }}' as date){{ ', ' if not loop.last }}{% endfor -%})
    {%- endif -%}
{%- endmacro %}

{#- `column` (a date) within the recomputed months of `source`, widened by `months_before`
    before the first and `months_after` after the last: a range of constants, for DuckDB
    to skip row groups by. -#}
{% macro increment_range(column, source, months_before=0, months_after=0) -%}
    {%- set bounds = _increment_query(
        "select cast(" ~ dbt.dateadd('month', '-' ~ months_before, 'min(month)')
        ~ " as date), cast(" ~ dbt.dateadd('month', (months_after + 1) | string, 'max(month)')
        ~ " as date) from meta.dbt_increment where source = '" ~ source ~ "'", bounds=true
    ) -%}
    {%- if bounds[0] is none -%}
        false
    {%- else -%}
        {{ column }} >= cast('{{ bounds[0] }}' as date) and {{ column }} < cast('{{ bounds[1] }}' as date)
    {%- endif -%}
{%- endmacro %}

{#- The first column of every row of `sql` (`bounds`: the first row's two columns), read
    only when dbt executes (while parsing, nothing is read). -#}
{% macro _increment_query(sql, bounds=false) -%}
    {%- if not execute -%}
        {{ return([none, none] if bounds else []) }}
    {%- endif -%}
    {%- set table = run_query(sql) -%}
    {%- if bounds -%}
        {{ return([table.rows[0][0], table.rows[0][1]] if table.rows else [none, none]) }}
    {%- endif -%}
    {{ return(table.columns[0].values() | list) }}
{%- endmacro %}

{#- The pre-hook of an incremental model: remove the months about to be inserted anew
    (every one of them, also those that end up without a row). Nothing on a full build. -#}
{% macro increment_delete(month_column, source, months_after=0) -%}
    {%- if is_incremental() -%}
        delete from {{ this }}
        where {{ month_column }} in {{ increment_months(source, months_after) }}
    {%- endif -%}
{%- endmacro %}
