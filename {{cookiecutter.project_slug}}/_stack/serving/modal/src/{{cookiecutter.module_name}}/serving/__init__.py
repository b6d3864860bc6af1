"""The serving app: a Modal web function over the standard-library contract and scorer."""
