"""The one source of truth for paths, dates, seeds and resources.

Every stage reads these values, and dbt receives the same cutoffs through ``--vars``, so the train/validation
split is defined once. Any field can be overridden with an environment variable named after it with the
``{{ cookiecutter.module_name | upper }}_`` prefix, e.g.
``{{ cookiecutter.module_name | upper }}_TRAIN_CUTOFF=2025-03-01``, or in a ``.env`` file.
"""

from datetime import date
from pathlib import Path

from dotenv import load_dotenv
from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parents[2]
# dbt's profile and the warehouse clients read their settings from the environment: `.env` provides them too,
# without overriding what the shell already set.
load_dotenv(PROJECT_ROOT / ".env")


class Settings(BaseSettings):
    """Configuration of one pipeline run."""

    model_config = SettingsConfigDict(
        env_prefix="{{ cookiecutter.module_name | upper }}_",
        extra="ignore",
        frozen=True,
    )

    # Where data, artifacts and bundles live; tests point it at a temporary folder.
    workspace: Path = PROJECT_ROOT

    # Where the event log lives: empty for the workspace's data/log folder, or object storage,
    # s3://bucket/prefix (log/store.py). The transform reads a local copy of it in data/log either way.
    log_url: str = ""

    # Sample data: the synthetic log covers these days.
    sample_start: date = date(2025, 1, 6)
    sample_days: int = Field(default=56, ge=14)

    # Time-based split: sessions before train_cutoff train the model, sessions before validation_cutoff tune
    # it, and later sessions are the holdout the model gate judges on.
    train_cutoff: date = date(2025, 2, 17)
    validation_cutoff: date = date(2025, 2, 24)

    seed: int = 42

    # What the training step asks for; locally it uses at most what the machine or container allows.
    cpu: int = Field(default={{ cookiecutter.__train_cpu }}, ge=1)
    memory_mb: int = Field(default={{ cookiecutter.__train_memory_mb }}, ge=512)
    gpu: int = Field(default={{ cookiecutter.__train_gpu }}, ge=0)

    # Quality gate: fail when the training set shrinks by more than this share since the last accepted run.
    max_volume_drop: float = Field(default=0.5, gt=0, lt=1)

    # Model gate: the model must beat the trivial baseline's average precision by this much on the holdout.
    min_lift: float = Field(default=0.05, ge=0)
    # ...and score at least this much average precision above the accepted model (the champion) on the same
    # holdout: 0 accepts a challenger as good as the champion; a negative margin lets a fresher model in that
    # scores a little lower.
    min_gain_over_accepted: float = Field(default=0.0, ge=-1, le=1)

    # Monitoring gate (`make monitor`), over the newest monitor_days days of predictions, each with at least
    # min_predictions_per_day: each feature's population stability index against the training split stays at
    # most max_feature_psi (0.1 is a moderate shift, 0.2 one that matters). A feature the contract marks
    # grows_with_log_age (prior sessions: every returning shopper's count rises as the log ages, so a week
    # after training it reads as drifted however normal the traffic: PSI 1 to 4 on sample-like days) is
    # compared instead with the previous recent_reference_days days of predictions: a sudden change shows on
    # the days after it, the log's steady ageing does not. Short, so that the ageing within the window stays
    # small beside a day's noise (simulated on sample-like traffic of 200 sessions a day: PSI 0.06 on
    # average against the previous 3 days, 0.08 against 7, and over 0.2 on 0.2% and 1.5% of days).
    # Once a day's outcomes are in (outcome_days after it), its Brier score stays within max_brier_rise of the
    # accepted model's on its holdout, judged alone on a day with min_outcomes_per_day outcomes or more: a
    # day's Brier score is a mean of rare, large errors (the purchases), so over a few hundred sessions it
    # wanders past a 25% rise by chance alone. Measured on the sample's holdout (Brier 0.073, each squared
    # error's standard deviation 0.17): over 200 outcomes a 25% rise is 1.5 standard errors (a false alarm
    # on about one normal day in 15), over 1,000 it is 3.3 (one in 2,000). Below it the report says "too
    # few to judge alone", and the recent days that small are judged together once they add up to
    # min_outcomes_per_day (monitoring/performance.py): a shop with 200 outcomes a day learns within a week.
    max_feature_psi: float = Field(default=0.2, gt=0)
    min_predictions_per_day: int = Field(default=100, ge=1)
    recent_reference_days: int = Field(default=3, ge=1)
    monitor_days: int = Field(default=7, ge=1)
    outcome_days: int = Field(default=1, ge=0)
    max_brier_rise: float = Field(default=0.25, ge=0)
    min_outcomes_per_day: int = Field(default=1000, ge=1)

    # Where `make retrain` and the scheduled runs send an alert (monitoring/alerts.py): a webhook URL that
    # takes a JSON POST with a "text" field (Slack, Microsoft Teams, Mattermost, or your own receiver). Empty
    # turns alerting off, and the runs say so. A secret: kept out of logs, only its host is ever shown.
    alert_webhook_url: SecretStr = SecretStr("")

    @model_validator(mode="after")
    def _cutoffs_in_order(self) -> "Settings":
        if self.train_cutoff >= self.validation_cutoff:
            raise ValueError("train_cutoff must come before validation_cutoff")
        return self

    @property
    def data_dir(self) -> Path:
        return self.workspace / "data"

    @property
    def log_root(self) -> Path:
        """The local log, or the local copy of a log on object storage (``log_url``)."""
        return self.data_dir / "log"

    @property
    def log_dir(self) -> Path:
        """The append-only event log: ``events/ingest_date=YYYY-MM-DD/<batch id>.parquet``."""
        return self.log_root / "events"

    @property
    def quarantine_dir(self) -> Path:
        """Events that broke the contract, each with the reason, laid out like the log."""
        return self.log_root / "quarantine"

    @property
    def batches_dir(self) -> Path:
        """One manifest per batch the log received: its checksum, arrival and counts."""
        return self.log_root / "batches"

    @property
    def retractions_dir(self) -> Path:
        """Corrections: batches, or events of them, the transform leaves out. Written once, like the log."""
        return self.log_root / "retractions"

    @property
    def warehouse_path(self) -> Path:
        return self.data_dir / "warehouse.duckdb"

    @property
    def monitoring_dir(self) -> Path:
        """What `make monitor` writes: its report, plots and figures, replaced by each check."""
        return self.artifacts_dir / "monitoring"

    @property
    def dbt_dir(self) -> Path:
        """The dbt project is code, so it stays with the package whatever the workspace."""
        return PROJECT_ROOT / "dbt"

    @property
    def dbt_target_dir(self) -> Path:
        """What dbt writes (compiled SQL, run results, its saved parse) goes with the data, so runs in
        different workspaces never share it; its log goes beside it, in ``dbt_log_dir``."""
        return self.data_dir / "dbt" / "target"

    @property
    def dbt_log_dir(self) -> Path:
        return self.data_dir / "dbt" / "logs"

    @property
    def artifacts_dir(self) -> Path:
        """Every run's evidence, and the accepted run (``runs.py``)."""
        return self.workspace / "artifacts"

    @property
    def runs_dir(self) -> Path:
        """One folder per run: its quality report, evaluation, model and bundle, accepted or not."""
        return self.artifacts_dir / "runs"

    @property
    def accepted_dir(self) -> Path:
        """The accepted run (a link to its folder): what serving, the volume check and people look at."""
        return self.artifacts_dir / "accepted"

    @property
    def accepted_model_path(self) -> Path:
        return self.accepted_dir / "model" / "model.json"

    @property
    def dist_dir(self) -> Path:
        """The accepted run's deployment bundle (a link to it), where a deployment takes it from."""
        return self.workspace / "dist"

    @property
    def dbt_vars(self) -> dict[str, str]:
        """The values dbt receives as ``--vars``: the same cutoffs and log location Python uses."""
        return {
            "train_cutoff": self.train_cutoff.isoformat(),
            "validation_cutoff": self.validation_cutoff.isoformat(),
            "log_path": self.log_dir.as_posix(),
            "max_feature_psi": str(self.max_feature_psi),
            "min_predictions_per_day": str(self.min_predictions_per_day),
            "recent_reference_days": str(self.recent_reference_days),
            "monitor_days": str(self.monitor_days),
            "outcome_days": str(self.outcome_days),
        }
