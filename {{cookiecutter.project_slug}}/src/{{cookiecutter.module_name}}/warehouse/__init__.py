"""The warehouse: dbt rebuilds it from the log, and the training set is read back from it."""
