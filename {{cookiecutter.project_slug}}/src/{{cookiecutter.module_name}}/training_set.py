"""The training set's columns, as the contract (``contract.toml``, training_set) declares them.

dbt's ``training_set`` model produces them and every later stage reads them. Adding a feature means adding a
column to ``dbt/models/ml/training_set.sql`` and an entry under ``[training_set.features]``: the model picks
it up from ``FEATURES``, and dbt's tests, the quality gate and serving check it from the same declaration.
What the label means is named once too (``prediction``): serving's answer field (``OUTPUT``) and the words of
the evaluation derive from it (docs/your-own-model.md).
"""

from .contract import load

CONTRACT = load().training_set
KEY = CONTRACT.key
LABEL = CONTRACT.label
PREDICTION = CONTRACT.prediction
OUTPUT = CONTRACT.output
SPLIT = CONTRACT.split
SPLITS = CONTRACT.splits
HOLDOUT = SPLITS[-1]
FEATURES = CONTRACT.feature_names
COLUMNS = tuple(column.name for column in CONTRACT.all_columns)
