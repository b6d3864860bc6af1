-- The copies of events logged more than once (a producer's retry puts the same event in two batches), all
-- but the first to arrive: stg_events leaves these out. Nearly every id is logged once, so this table is
-- tiny, and finding it is the only time a build groups every event id of the log: stg_events, its tests and
-- repeated_event_ids_agree read this table instead.

with log_events as {{ not_materialized() }} (
    {{ log_without_retractions() }}
),

-- Ranking copies needs every event sorted by id, so only the ids whose dedup_key repeats are ranked (an id
-- that only shares its key with another is ranked alone, and is its own first copy).
repeated_keys as (
    select {{ dedup_key('event_id') }} as dedup_key
    from log_events
    -- Missing ids are left to the not_null tests (and would make `in` below match nothing).
    where event_id is not null
    group by {{ dedup_key('event_id') }}
    having count(*) > 1
),

ranked as (
    -- A batch holds an id once (the log quarantines a repeat), so an id and a batch name one copy.
    select
        cast(event_id as {{ dbt.type_string() }}) as event_id,
        cast(batch_id as {{ dbt.type_string() }}) as batch_id,
        row_number() over (
            partition by event_id
            order by cast(ingest_time as {{ dbt.type_timestamp() }}), batch_id
        ) as copy_number
    from log_events
    where {{ dedup_key('event_id') }} in (select repeated_keys.dedup_key from repeated_keys)
)

select
    event_id,
    batch_id,
    copy_number
from ranked
where copy_number > 1
