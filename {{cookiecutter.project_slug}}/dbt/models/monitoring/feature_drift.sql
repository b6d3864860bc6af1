-- How far each feature's distribution in a day's predictions is from its reference (feature_bins: the
-- accepted model's training split, or for a feature growing with the log's age the previous days'
-- predictions): the population stability index (PSI) over feature_bins' bins,
--     PSI = sum over bins of (share today - reference share) * ln(share today / reference share),
-- each share floored at 0.0001 so an empty bin counts without dividing by zero. Rule of thumb: under 0.1 the
-- same population, 0.1 to 0.2 a moderate shift, over 0.2 a shift that matters (max_feature_psi in settings).
-- A day without a reference for a feature (no recent predictions yet) has no row for it: it is not judged.
{%- set features = var('features').split(',') %}

with day_values as (
    {%- for feature in features %}
        select
            predicted_on,
            '{{ feature }}' as feature,
            {{ feature }} as feature_value,
            count(*) as n_values
        from {{ ref('predictions') }}
        group by predicted_on, {{ feature }}
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
),

binned as (
    select
        day_values.predicted_on,
        day_values.feature,
        day_values.n_values,
        coalesce(min(feature_bins.bin), max(last_bins.bin)) as bin
    from day_values
    inner join {{ ref('feature_bins') }} as last_bins
        on
            day_values.feature = last_bins.feature
            and (last_bins.reference_day is null or last_bins.reference_day = day_values.predicted_on)
            and last_bins.is_last
    left join {{ ref('feature_bins') }} as feature_bins
        on
            day_values.feature = feature_bins.feature
            and feature_bins.reference_day is not distinct from last_bins.reference_day
            and day_values.feature_value <= feature_bins.upper_edge
    group by day_values.predicted_on, day_values.feature, day_values.feature_value, day_values.n_values
),

counts as (
    select
        predicted_on,
        feature,
        bin,
        sum(n_values) as n_values
    from binned
    group by predicted_on, feature, bin
),

days as (
    select
        predicted_on,
        count(*) as predictions
    from {{ ref('predictions') }}
    group by predicted_on
),

shares as (
    select
        days.predicted_on,
        days.predictions,
        feature_bins.feature,
        feature_bins.reference_day is not null as against_recent,
        feature_bins.same_all_day,
        greatest(feature_bins.reference_share, 0.0001) as expected,
        greatest(
            cast(coalesce(counts.n_values, 0) as {{ type_double() }}) / days.predictions, 0.0001
        ) as actual
    from days
    inner join {{ ref('feature_bins') }} as feature_bins
        on feature_bins.reference_day is null or feature_bins.reference_day = days.predicted_on
    left join counts
        on
            days.predicted_on = counts.predicted_on
            and feature_bins.feature = counts.feature
            and feature_bins.bin = counts.bin
)

select
    predicted_on,
    feature,
    predictions,
    against_recent,
    same_all_day,
    sum((actual - expected) * ln(actual / expected)) as psi
from shares
group by predicted_on, feature, predictions, against_recent, same_all_day
