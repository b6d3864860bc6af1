-- The training set against what it is built from, in one query that returns a row per broken rule (as the
-- rules tests do, so each is reported by its name):
--   training_set_covers_every_session: no session is lost or invented between the log and the training set.
--     `sessions` has a row for each session id among the staged events (its group by cannot lose or invent
--     one, and its rules refuse a null id), so its rows are counted instead of the distinct ids of every
--     event.
--   training_set_split_follows_cutoffs: each session sits in the split its start time implies, so no later
--     session can leak into training.

with checked as (
    select
        count(*) as n_sessions,
        count(case when {{ split_misses_cutoffs() }} then 1 end) as wrong_splits,
        min(
            case
                when {{ split_misses_cutoffs() }}
                    then {{ dbt.concat([
                        "'session_id=\"'", "session_id", "'\", split=\"'", "split", "'\", session_start=\"'",
                        "cast(session_start as " ~ dbt.type_string() ~ ")", "'\"'"
                    ]) }}
            end
        ) as wrong_split_example
    from {{ ref('training_set') }}
),

logged as (
    select count(*) as n_sessions
    from {{ ref('sessions') }}
),

results as (
    select
        'training_set_covers_every_session' as rule_name,
        abs(logged.n_sessions - checked.n_sessions) as failures,
        {{ dbt.concat([
            "'sessions='", "cast(logged.n_sessions as " ~ dbt.type_string() ~ ")",
            "', training_set='", "cast(checked.n_sessions as " ~ dbt.type_string() ~ ")"
        ]) }} as example
    from checked
    cross join logged
    union all
    select
        'training_set_split_follows_cutoffs' as rule_name,
        wrong_splits as failures,
        wrong_split_example as example
    from checked
)

select
    rule_name,
    failures,
    example
from results
where failures > 0
