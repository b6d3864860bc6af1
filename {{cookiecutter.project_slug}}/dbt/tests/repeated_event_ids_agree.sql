-- An event sent twice (a producer's retry) must be the same event both times. Staging keeps the copy that
-- arrived first, so when a producer reuses an id for another event, that event is left out: a warning naming
-- the ids, not an error, since the log accepted both copies. Retract the batch at fault and send its events
-- again under new ids. (The fields compared are contract.toml's events: keep the list in step with it.)
{{ config(severity='warn') }}

with events as {{ not_materialized() }} (
    {{ log_without_retractions() }}
),

-- Nearly every id is logged once: the repeated ones are found by their dedup_key (a 64-bit hash on DuckDB),
-- so that only their copies are grouped by the id itself, not every event of the log. (An id that only shares
-- its key with another is alone in its group, and agrees with itself.)
repeated_keys as (
    select {{ dedup_key('event_id') }} as dedup_key
    from events
    where event_id is not null
    group by {{ dedup_key('event_id') }}
    having count(*) > 1
)

select
    events.event_id,
    count(*) as copies
from events
inner join repeated_keys on {{ dedup_key('events.event_id') }} = repeated_keys.dedup_key
where events.event_id is not null
group by events.event_id
-- Compared as text, so a file of another type (which staging's tests catch) does not stop it.
having
    {%- set fields = ['event_time', 'session_id', 'user_id', 'event_type', 'product_id', 'category'] %}
    {%- for column in fields + ['price'] %}
        {{ 'or ' if not loop.first }}min(coalesce(cast(events.{{ column }} as {{ dbt.type_string() }}), ''))
        <> max(coalesce(cast(events.{{ column }} as {{ dbt.type_string() }}), ''))
    {%- endfor %}
