"""What points W&B at the team's account, or keeps its files outside the workspace: every test runs without
them (fixtures_tracking.py)."""

TRACKER_VARIABLES = ("WANDB_API_KEY", "WANDB_MODE", "WANDB_DIR", "WANDB_DATA_DIR", "WANDB_CACHE_DIR")
