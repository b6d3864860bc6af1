-- The log's events, typed and cleaned, each event exactly once, without the retracted ones. A producer retry
-- can put the same event in two batches; the copy that arrived first wins (stg_later_copies lists the
-- others), so rebuilding from the log always picks the same one. Event types and categories are normalized as
-- contract.toml says (trim, lowercase). Prices become exact decimals: sums and means of doubles depend on the
-- order a parallel engine adds them in, and a rebuild must give the same numbers to the last bit.
-- A view (dbt_project.yml): `sessions` aggregates the events as it reads them, where a table would first
-- write every event to the warehouse (half of the transform's time, measured by `make bench`).
-- The shoppers' events only: the model's recorded predictions are events too, and this is the one place
-- they are left out (dbt/models/monitoring reads them).

with log_events as {{ not_materialized() }} (
    {{ log_without_retractions() }}
),

first_copies as {{ not_materialized() }} (
    select log_events.*
    from log_events
    where
        not exists (
            select 1
            from {{ ref('stg_later_copies') }} as later_copies
            where later_copies.event_id = log_events.event_id and later_copies.batch_id = log_events.batch_id
        )
)

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
from first_copies
where coalesce({{ normalized('cast(event_type as ' ~ dbt.type_string() ~ ')') }}, '') != 'prediction'
