{#- A value inside a JSON text column, as text: `path` is dot-separated keys ("features.n_pageviews"). Each
    engine spells it its own way. -#}
{% macro json_text(column, path) %}
    {{ return(adapter.dispatch('json_text')(column, path)) }}
{% endmacro %}

{% macro default__json_text(column, path) %}
    {{ return("(cast(" ~ column ~ " as json) #>> '{" ~ path.split('.') | join(',') ~ "}')") }}
{% endmacro %}

{% macro duckdb__json_text(column, path) %}
    {{ return("json_extract_string(" ~ column ~ ", '$." ~ path ~ "')") }}
{% endmacro %}

{% macro snowflake__json_text(column, path) %}
    {{ return("json_extract_path_text(" ~ column ~ ", '" ~ path ~ "')") }}
{% endmacro %}

{% macro bigquery__json_text(column, path) %}
    {{ return("json_value(" ~ column ~ ", '$." ~ path ~ "')") }}
{% endmacro %}
