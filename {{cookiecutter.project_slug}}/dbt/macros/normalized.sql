{#- A text column as contract.toml's normalize = ["trim", "lower"] reads it, exactly as the event log judges it
    (contract.Field.normalized): spaces around it removed, and only spaces; ASCII letters lowercased, and only
    those. Engines' own trim() and lower() differ (some remove every Unicode space, some lowercase by locale),
    so the training set would differ between dev and prod. -#}
{% macro normalized(column) %}
    {{ return(adapter.dispatch('normalized')(column)) }}
{% endmacro %}

{% macro default__normalized(column) %}
    {{ return("translate(trim(" ~ column ~ ", ' '), 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz')") }}
{% endmacro %}

{% macro postgres__normalized(column) %}
    {{ return("translate(btrim(" ~ column ~ ", ' '), 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz')") }}
{% endmacro %}

{#- DuckDB's translate() costs about a second per million values (most of the transform's time at 10^7
    events). Codes are nearly always ASCII, and on ASCII text lower() lowercases exactly the letters A to Z:
    translate() is left for text with other characters (more bytes than characters). -#}
{% macro duckdb__normalized(column) %}
    {%- set trimmed = "trim(" ~ column ~ ", ' ')" -%}
    {{ return(
        "case when strlen(" ~ trimmed ~ ") = length(" ~ trimmed ~ ") then lower(" ~ trimmed ~ ")"
        ~ " else translate(" ~ trimmed ~ ", 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz') end"
    ) }}
{% endmacro %}
