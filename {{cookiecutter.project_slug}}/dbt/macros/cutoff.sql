{#- A split cutoff from --vars as a timestamp literal. The dates come from Settings (the one source of truth),
    so there is deliberately no default here: a build without them fails instead of silently using stale dates. -#}
{% macro cutoff(name) %}
    {{ return(dbt.cast("'" ~ var(name) ~ "'", dbt.type_timestamp())) }}
{% endmacro %}
