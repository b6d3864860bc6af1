-- Each day's predictions: how many, for how many sessions, by how many model versions, and how their scores
-- spread (the share in each tenth of the probability scale, score_0 for [0, 0.1) up to score_9 for [0.9, 1]).
select
    predicted_on,
    count(*) as predictions,
    count(distinct session_id) as sessions,
    count(distinct model_version) as model_versions,
    {%- for tenth in range(10) %}
        avg(case when least(floor(score * 10), 9) = {{ tenth }} then 1.0 else 0.0 end) as score_{{ tenth }},
    {%- endfor %}
    avg(score) as mean_score
from {{ ref('predictions') }}
group by predicted_on
