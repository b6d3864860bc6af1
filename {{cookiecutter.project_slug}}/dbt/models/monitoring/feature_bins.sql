-- Each feature's distribution in the accepted model's training split, in up to ten bins of about equal share
-- (deciles; a feature with few distinct values gets a bin per value): what feature_drift compares the
-- predictions' features with. A bin holds the values up to its upper edge; the last bin also holds any value
-- above it. same_all_day marks a feature every session of a training day shares, though days differ on it
-- (is_weekend): a day's predictions hold one value of it however normal the traffic, so its PSI for a day
-- measures the calendar, not drift, and the monitoring gate leaves it out.
{%- set features = var('features').split(',') %}

with reference as (
    {%- for feature in features %}
        select
            '{{ feature }}' as feature,
            cast(session_start as date) as session_day,
            cast({{ feature }} as {{ type_double() }}) as feature_value
        from {{ ref('training_set') }}
        where split = 'train'
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
),

deciles as (
    select
        feature,
        feature_value,
        ntile(10) over (partition by feature order by feature_value) as decile
    from reference
),

edges as (
    select distinct
        feature,
        max(feature_value) over (partition by feature, decile) as upper_edge
    from deciles
),

bins as (
    select
        feature,
        upper_edge,
        row_number() over (partition by feature order by upper_edge) as bin
    from edges
),

value_counts as (
    select
        feature,
        feature_value,
        count(*) as n_values
    from reference
    group by feature, feature_value
),

binned as (
    select
        value_counts.feature,
        value_counts.n_values,
        min(bins.bin) as bin
    from value_counts
    inner join bins
        on value_counts.feature = bins.feature and value_counts.feature_value <= bins.upper_edge
    group by value_counts.feature, value_counts.feature_value, value_counts.n_values
),

shares as (
    select
        feature,
        bin,
        sum(n_values) as n_values
    from binned
    group by feature, bin
),

values_per_day as (
    select
        feature,
        session_day,
        count(distinct feature_value) as n_distinct
    from reference
    group by feature, session_day
),

calendar as (
    select
        values_per_day.feature,
        max(values_per_day.n_distinct) = 1 and count(distinct bins.bin) > 1 as same_all_day
    from values_per_day
    inner join bins on values_per_day.feature = bins.feature
    group by values_per_day.feature
)

select
    bins.feature,
    bins.bin,
    bins.upper_edge,
    bins.bin = max(bins.bin) over (partition by bins.feature) as is_last,
    calendar.same_all_day,
    cast(coalesce(shares.n_values, 0) as {{ type_double() }})
    / sum(coalesce(shares.n_values, 0)) over (partition by bins.feature) as reference_share
from bins
left join shares on bins.feature = shares.feature and bins.bin = shares.bin
inner join calendar on bins.feature = calendar.feature
