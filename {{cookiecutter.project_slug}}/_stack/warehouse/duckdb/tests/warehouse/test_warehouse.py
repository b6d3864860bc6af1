"""The prod target on DuckDB: another warehouse file, built from the same log and read the same way."""

from pathlib import Path

import pandas as pd
import pytest

from {{ cookiecutter.module_name }}.settings import Settings
from {{ cookiecutter.module_name }}.warehouse.read import load_training_set
from {{ cookiecutter.module_name }}.warehouse.targets import WarehouseError
from {{ cookiecutter.module_name }}.warehouse.transform import build


def test_prod_builds_its_own_file_with_the_same_training_set(
    tiny_log: Settings, training_frame: pd.DataFrame, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    prod_file = tmp_path / "prod" / "warehouse.duckdb"
    prod_file.parent.mkdir()
    monkeypatch.setenv("DBT_DUCKDB_PROD_PATH", str(prod_file))
    monkeypatch.setenv("DBT_TARGET", "prod")

    build(tiny_log)

    assert prod_file.exists()
    assert not tiny_log.warehouse_path.exists()
    pd.testing.assert_frame_equal(load_training_set(tiny_log), training_frame, check_exact=True)


def test_prod_needs_its_file_named(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DBT_DUCKDB_PROD_PATH", raising=False)
    monkeypatch.setenv("DBT_TARGET", "prod")

    with pytest.raises(WarehouseError, match=r"^DBT_DUCKDB_PROD_PATH is not set"):
        load_training_set(settings)
