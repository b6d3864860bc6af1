"""The serving app: FastAPI over the standard-library scoring API and scorer, none of the training stack."""
