-- How the predictions turned out, per day, once the outcomes are in: each prediction joined by session to
-- what the session did (the training label: a purchase in the session). A day counts once the log holds
-- shoppers' events from outcome_days after it, so late purchases have had time to arrive.
with shoppers_events as (
    select
        cast(session_id as {{ dbt.type_string() }}) as session_id,
        {{ normalized('event_type') }} as event_type,
        cast(event_time as {{ dbt.type_timestamp() }}) as event_time
    from ({{ log_without_retractions() }}) as log_events
    where {{ normalized('event_type') }} != 'prediction'
),

purchasers as (
    select distinct session_id
    from shoppers_events
    where event_type = 'purchase'
),

newest as (
    select max(event_time) as newest_event
    from shoppers_events
),

outcomes as (
    select
        predictions.predicted_on,
        predictions.score,
        case when purchasers.session_id is null then 0 else 1 end as label
    from {{ ref('predictions') }} as predictions
    cross join newest
    left join purchasers on predictions.session_id = purchasers.session_id
    where
        predictions.predicted_at
        <= {{ dbt.dateadd('day', -(var('outcome_days') | int), 'newest.newest_event') }}
)

select
    predicted_on,
    count(*) as predictions_with_outcome,
    avg(score) as expected_rate,
    avg(cast(label as {{ type_double() }})) as observed_rate,
    avg((score - label) * (score - label)) as brier
from outcomes
group by predicted_on
