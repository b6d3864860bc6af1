-- Each session sits in the split its start time implies, so no later session can leak into training.

select
    session_id,
    session_start,
    split
from {{ ref('training_set') }}
where
    (split = 'train' and session_start >= {{ cutoff('train_cutoff') }})
    or (split = 'validation' and session_start < {{ cutoff('train_cutoff') }})
    or (split = 'validation' and session_start >= {{ cutoff('validation_cutoff') }})
    or (split = 'test' and session_start < {{ cutoff('validation_cutoff') }})
