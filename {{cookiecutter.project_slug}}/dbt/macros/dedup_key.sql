{#- What staging groups event ids by to find the ids logged more than once. DuckDB groups 10 million 64-bit
    hashes several times faster than 10 million strings; a collision only means a few more events ranked, never
    a wrong one, since the ranking itself is by the id. Other warehouses group by the id as it is. -#}
{% macro dedup_key(column) %}
    {{ return(adapter.dispatch('dedup_key')(column)) }}
{% endmacro %}

{% macro default__dedup_key(column) %}
    {{ return(column) }}
{% endmacro %}

{% macro duckdb__dedup_key(column) %}
    {{ return('hash(' ~ column ~ ')') }}
{% endmacro %}
