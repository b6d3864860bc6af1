"""What points MLflow at the team's tracking server: every test runs without it (fixtures_tracking.py)."""

TRACKER_VARIABLES = ("MLFLOW_TRACKING_URI",)
