-- Each feature's distribution in its reference, in up to ten bins of about equal share (deciles; a feature
-- with few distinct values gets a bin per value): what feature_drift compares the predictions' features with.
-- The reference is the accepted model's training split (reference_day null: every day's), except for a
-- feature the contract marks grows_with_log_age: a count from the log's first event (prior sessions) rises
-- with the log's age whatever the shoppers do, so against the training split it reads as drifted on any day
-- after it. Its reference for a day is the previous recent_reference_days days of predictions, once they hold
-- min_predictions_per_day: a sudden change shows on the day it happens, the log's steady ageing does not.
-- A bin holds the values up to its upper edge; the last bin also holds any value above it. same_all_day marks
-- a feature every session of a reference day shares, though days differ on it (is_weekend): a day's
-- predictions hold one value of it however normal the traffic, so its PSI for a day measures the calendar,
-- not drift, and the monitoring gate leaves it out.
{%- set features = var('features').split(',') %}
{%- set log_age_features = var('log_age_features', '').split(',') %}

with days as (
    select distinct predicted_on
    from {{ ref('predictions') }}
),

reference as (
    {%- for feature in features %}
        {%- if feature in log_age_features %}
            select
                days.predicted_on as reference_day,
                '{{ feature }}' as feature,
                recent.predicted_on as session_day,
                cast(recent.{{ feature }} as {{ type_double() }}) as feature_value
            from days
            inner join {{ ref('predictions') }} as recent
                on
                    days.predicted_on > recent.predicted_on
                    and recent.predicted_on
                    >= {{ dbt.dateadd('day', -(var('recent_reference_days') | int), 'days.predicted_on') }}
        {%- else %}
            select
                cast(null as date) as reference_day,
                '{{ feature }}' as feature,
                cast(session_start as date) as session_day,
                cast({{ feature }} as {{ type_double() }}) as feature_value
            from {{ ref('training_set') }}
            where split = 'train'
        {%- endif %}
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
),

sizes as (
    select
        reference_day,
        feature
    from reference
    group by reference_day, feature
    having reference_day is null or count(*) >= {{ var('min_predictions_per_day') }}
),

deciles as (
    select
        reference.reference_day,
        reference.feature,
        reference.feature_value,
        ntile(10) over (
            partition by reference.reference_day, reference.feature order by reference.feature_value
        ) as decile
    from reference
    inner join sizes
        on
            reference.reference_day is not distinct from sizes.reference_day
            and reference.feature = sizes.feature
),

edges as (
    select distinct
        reference_day,
        feature,
        max(feature_value) over (partition by reference_day, feature, decile) as upper_edge
    from deciles
),

bins as (
    select
        reference_day,
        feature,
        upper_edge,
        row_number() over (partition by reference_day, feature order by upper_edge) as bin
    from edges
),

value_counts as (
    select
        reference_day,
        feature,
        feature_value,
        count(*) as n_values
    from reference
    group by reference_day, feature, feature_value
),

binned as (
    select
        value_counts.reference_day,
        value_counts.feature,
        value_counts.n_values,
        min(bins.bin) as bin
    from value_counts
    inner join bins
        on
            value_counts.reference_day is not distinct from bins.reference_day
            and value_counts.feature = bins.feature
            and value_counts.feature_value <= bins.upper_edge
    group by
        value_counts.reference_day, value_counts.feature, value_counts.feature_value, value_counts.n_values
),

shares as (
    select
        reference_day,
        feature,
        bin,
        sum(n_values) as n_values
    from binned
    group by reference_day, feature, bin
),

values_per_day as (
    select
        reference_day,
        feature,
        session_day,
        count(distinct feature_value) as n_distinct
    from reference
    group by reference_day, feature, session_day
),

calendar as (
    select
        values_per_day.reference_day,
        values_per_day.feature,
        max(values_per_day.n_distinct) = 1 and count(distinct bins.bin) > 1 as same_all_day
    from values_per_day
    inner join bins
        on
            values_per_day.reference_day is not distinct from bins.reference_day
            and values_per_day.feature = bins.feature
    group by values_per_day.reference_day, values_per_day.feature
)

select
    bins.reference_day,
    bins.feature,
    bins.bin,
    bins.upper_edge,
    calendar.same_all_day,
    bins.bin = max(bins.bin) over (partition by bins.reference_day, bins.feature) as is_last,
    cast(coalesce(shares.n_values, 0) as {{ type_double() }})
    / sum(coalesce(shares.n_values, 0))
        over (partition by bins.reference_day, bins.feature)
        as reference_share
from bins
left join shares
    on
        bins.reference_day is not distinct from shares.reference_day
        and bins.feature = shares.feature
        and bins.bin = shares.bin
inner join calendar
    on bins.reference_day is not distinct from calendar.reference_day and bins.feature = calendar.feature
