{#- Every event in the log but those a retraction names: the whole batch (no event_id) or events of it.
    Staging and the tests that read the log itself start from here, so a retraction clears them all. -#}
{% macro log_without_retractions() %}
    select events.*
    from {{ source('event_log', 'events') }} as events
    where
        not exists (
            select 1
            from {{ source('event_log', 'retractions') }} as retractions
            where retractions.batch_id = events.batch_id and retractions.event_id is null
        )
        and not exists (
            select 1
            from {{ source('event_log', 'retractions') }} as retractions
            where retractions.batch_id = events.batch_id and retractions.event_id = events.event_id
        )
{% endmacro %}
