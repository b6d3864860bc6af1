-- The monitoring gate's drift check (`make monitor`): no feature of a recent day's predictions has drifted
-- from its reference (the training split; the previous days' predictions for a feature growing with the
-- log's age) by more than max_feature_psi. A row per day and feature over it. Only the newest
-- monitor_days days of predictions count, and only days with min_predictions_per_day predictions or more: a
-- handful of requests says nothing about a distribution. A feature every session of a day shares
-- (same_all_day: is_weekend) is left out: a single day of it always looks drifted.
with newest as (
    select max(predicted_on) as newest_day
    from {{ ref('feature_drift') }}
)

select
    feature_drift.feature,
    feature_drift.predicted_on,
    feature_drift.predictions,
    feature_drift.psi,
    {{ var('max_feature_psi') }} as threshold
from {{ ref('feature_drift') }} as feature_drift
cross join newest
where
    feature_drift.predictions >= {{ var('min_predictions_per_day') }}
    and not feature_drift.same_all_day
    and feature_drift.predicted_on
    > {{ dbt.dateadd('day', -(var('monitor_days') | int), 'newest.newest_day') }}
    and feature_drift.psi > {{ var('max_feature_psi') }}
