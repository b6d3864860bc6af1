-- An event sent twice (a producer's retry) must be the same event both times. Staging keeps the copy that
-- arrived first, so when a producer reuses an id for another event, that event is left out: a warning naming
-- the ids, not an error, since the log accepted both copies. Retract the batch at fault and send its events
-- again under new ids. (The fields compared are contract.toml's events: keep the list in step with it.)
{{ config(severity='warn') }}

with events as {{ not_materialized() }} (
    {{ log_without_retractions() }}
),

-- Only the ids logged more than once are compared (staging lists their later copies), not every event of
-- the log.
repeated_ids as (
    select distinct event_id
    from {{ ref('stg_later_copies') }}
)

select
    events.event_id,
    count(*) as copies
from events
inner join repeated_ids on events.event_id = repeated_ids.event_id
group by events.event_id
-- Compared as text, so a file of another type (which staging's tests catch) does not stop it.
having
    {%- set fields = ['event_time', 'session_id', 'user_id', 'event_type', 'product_id', 'category'] %}
    {%- for column in fields + ['price'] %}
        {{ 'or ' if not loop.first }}min(coalesce(cast(events.{{ column }} as {{ dbt.type_string() }}), ''))
        <> max(coalesce(cast(events.{{ column }} as {{ dbt.type_string() }}), ''))
    {%- endfor %}
