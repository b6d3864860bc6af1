{#- For a CTE that several parts of a query read. DuckDB otherwise keeps such a CTE's rows in memory until the
    last reader is done: for the event log, every event (measured by `make bench`), where reading the Parquet
    files again costs a fraction of a second. Other warehouses decide by themselves and take no hint. -#}
{% macro not_materialized() %}
    {{ return(adapter.dispatch('not_materialized')()) }}
{% endmacro %}

{% macro default__not_materialized() %}
    {{ return('') }}
{% endmacro %}

{% macro duckdb__not_materialized() %}
    {{ return('not materialized') }}
{% endmacro %}

{#- The opposite hint, for a small CTE that several parts of a query read: DuckDB would otherwise read and
    filter the log again for each of them. -#}
{% macro materialized() %}
    {{ return(adapter.dispatch('materialized')()) }}
{% endmacro %}

{% macro default__materialized() %}
    {{ return('') }}
{% endmacro %}

{% macro duckdb__materialized() %}
    {{ return('materialized') }}
{% endmacro %}
