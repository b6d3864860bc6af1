-- The model's recorded predictions (serving/recording.py), one row per scored session, each once: when, which
-- request and model, the score it answered and the features it received (kept in the event's extras). Read
-- from the log itself, so a prediction recorded a minute ago is monitored without rebuilding the warehouse.
{%- set features = var('features').split(',') %}

with recorded as (
    select
        event_id,
        batch_id,
        cast(event_time as {{ dbt.type_timestamp() }}) as predicted_at,
        cast(session_id as {{ dbt.type_string() }}) as session_id,
        {{ json_text('extras', 'request_id') }} as request_id,
        {{ json_text('extras', 'model_version') }} as model_version,
        cast({{ json_text('extras', 'score') }} as {{ type_double() }}) as score,
        {%- for feature in features %}
            cast({{ json_text('extras', 'features.' ~ feature) }} as {{ type_double() }}) as {{ feature }},
        {%- endfor %}
        row_number() over (partition by event_id order by ingest_time, batch_id) as copy_number
    from ({{ log_without_retractions() }}) as log_events
    where {{ normalized('event_type') }} = 'prediction'
)

select
    event_id,
    batch_id,
    predicted_at,
    cast(predicted_at as date) as predicted_on,
    session_id,
    request_id,
    model_version,
    {%- for feature in features %}
        {{ feature }},
    {%- endfor %}
    score
from recorded
where copy_number = 1
