"""Shared fixtures: every test works in its own temporary workspace, never in the project's data folder."""

import shutil
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from {{ cookiecutter.module_name }}.sample import write_sample
from {{ cookiecutter.module_name }}.settings import Settings
from {{ cookiecutter.module_name }}.transform import build
from {{ cookiecutter.module_name }}.warehouse import load_training_set

# Big enough that every split has sessions and purchases, small enough to build in seconds.
TINY_SAMPLE_EVENTS = 30_000


@pytest.fixture(autouse=True, scope="session")
def _workspace_outside_the_project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Tests work in a temporary folder on the local warehouse, whatever `.env` says for real runs."""
    workspace = str(tmp_path_factory.mktemp("workspace"))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("{{ cookiecutter.module_name | upper }}_WORKSPACE", workspace)
        patch.setenv("DBT_TARGET", "dev")
        yield


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings whose data, artifacts and bundles live in a fresh temporary folder."""
    return Settings(workspace=tmp_path)


@pytest.fixture(scope="session")
def _tiny_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    workspace = tmp_path_factory.mktemp("tiny-log")
    write_sample(TINY_SAMPLE_EVENTS, Settings(workspace=workspace), progress=False)
    return workspace / "data" / "log"


@pytest.fixture
def tiny_log(settings: Settings, _tiny_log: Path) -> Settings:
    """The settings fixture, with a tiny sample log already in its workspace (generated once per session)."""
    shutil.copytree(_tiny_log, settings.data_dir / "log")
    return settings


@pytest.fixture(scope="session")
def _built(_tiny_log: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    workspace = tmp_path_factory.mktemp("built")
    shutil.copytree(_tiny_log, workspace / "data" / "log")
    build(Settings(workspace=workspace))
    return workspace


@pytest.fixture
def built(settings: Settings, _built: Path) -> Settings:
    """The settings fixture, with the tiny log already built into a warehouse (built once per session)."""
    shutil.copytree(_built / "data", settings.data_dir)
    return settings


@pytest.fixture(scope="session")
def training_frame(_built: Path) -> pd.DataFrame:
    """The tiny sample's training set; copy it before changing it."""
    return load_training_set(Settings(workspace=_built))
{%- if cookiecutter.tracking != "none" %}


@pytest.fixture(autouse=True)
def _no_shared_tracking(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests record runs in their temporary workspace, never on the team's tracking server."""
{%- if cookiecutter.tracking == "mlflow" %}
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
{%- else %}
    for variable in ("WANDB_API_KEY", "WANDB_MODE"):
        monkeypatch.delenv(variable, raising=False)
{%- endif %}
{%- endif %}
