{#- dbt.type_float() is a 4-byte REAL on DuckDB and a double everywhere else: features and prices want doubles. -#}
{% macro type_double() %}
    {{ return(adapter.dispatch('type_double')()) }}
{% endmacro %}

{% macro default__type_double() %}
    {{ return(dbt.type_float()) }}
{% endmacro %}

{% macro duckdb__type_double() %}
    {{ return('double') }}
{% endmacro %}
