"""The quality gate: the training set checked against the contract before anything learns from it."""
