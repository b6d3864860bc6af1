-- The log's events, typed and cleaned, each event exactly once, without the retracted ones. A producer retry
-- can put the same event in two batches; the copy that arrived first wins, so rebuilding from the log always
-- picks the same one. Event types and categories are normalized as contract.toml says (trim, lowercase).
-- Prices become exact decimals: sums and means of doubles depend on the order a parallel engine adds them
-- in, and a rebuild must give the same numbers to the last bit. The shoppers' events only: the model's
-- recorded predictions are events too, and this is the one place they are left out (dbt/models/monitoring
-- reads them).

with log_events as {{ not_materialized() }} (
    {{ log_without_retractions() }}
),

typed as {{ not_materialized() }} (
    select
        cast(event_id as {{ dbt.type_string() }}) as event_id,
        cast(event_time as {{ dbt.type_timestamp() }}) as event_time,
        cast(ingest_time as {{ dbt.type_timestamp() }}) as ingest_time,
        cast(source as {{ dbt.type_string() }}) as source,
        cast(batch_id as {{ dbt.type_string() }}) as batch_id,
        cast(session_id as {{ dbt.type_string() }}) as session_id,
        cast(user_id as {{ dbt.type_string() }}) as user_id,
        {{ normalized('cast(event_type as ' ~ dbt.type_string() ~ ')') }} as event_type,
        cast(product_id as {{ dbt.type_string() }}) as product_id,
        {{ normalized('cast(category as ' ~ dbt.type_string() ~ ')') }} as category,
        cast(price as {{ type_price() }}) as price
    from log_events
),

-- Nearly every event is logged once. Ranking copies needs every event sorted by id, so only the ids logged
-- more than once are ranked; the rest pass straight through (measured by `make bench`).
repeated_keys as (
    select {{ dedup_key('event_id') }} as dedup_key
    from typed
    -- Missing ids are left to the not_null tests (and would make `not in` below match nothing).
    where event_id is not null
    group by {{ dedup_key('event_id') }}
    having count(*) > 1
),

ranked as (
    -- An id logged once is its own first copy; the copies of a repeated id are numbered by arrival.
    select
        *,
        1 as copy_number
    from typed
    where
        event_id is null
        or {{ dedup_key('event_id') }} not in (select repeated_keys.dedup_key from repeated_keys)
    union all
    select
        *,
        row_number() over (partition by event_id order by ingest_time, batch_id) as copy_number
    from typed
    where {{ dedup_key('event_id') }} in (select repeated_keys.dedup_key from repeated_keys)
)

select
    event_id,
    event_time,
    ingest_time,
    source,
    batch_id,
    session_id,
    user_id,
    event_type,
    product_id,
    category,
    price
from ranked
where copy_number = 1 and coalesce(event_type, '') != 'prediction'
