"""The serving app: FastAPI over the standard-library contract and scorer; nothing of the training stack."""
