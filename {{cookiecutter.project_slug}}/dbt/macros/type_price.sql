{#- An exact decimal for prices: sums of doubles depend on the order a parallel engine adds them in, and a
    rebuild must give the same numbers to the last bit. dbt.type_numeric() is numeric(28,6) on DuckDB, a
    128-bit integer per value; 18 digits (prices up to 10^12) fit in 64 bits, which DuckDB adds faster. -#}
{% macro type_price() %}
    {{ return(adapter.dispatch('type_price')()) }}
{% endmacro %}

{% macro default__type_price() %}
    {{ return(dbt.type_numeric()) }}
{% endmacro %}

{% macro duckdb__type_price() %}
    {{ return('decimal(18, 6)') }}
{% endmacro %}
