"""The serving half of `make bench` measures a real bundle and adds its figures to the results."""

import json
import subprocess
import sys
import zipfile
from pathlib import Path

from {{ cookiecutter.module_name }}.release.package import build, unzipped

from ..conftest import Trained

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "serving.py"


def test_the_bundles_figures_are_added_to_the_results(tmp_path: Path, trained: Trained) -> None:
    bundle = build(trained.exported, tmp_path / "dist")
    (tmp_path / "results.json").write_text(json.dumps({"sizes": []}))
    (tmp_path / "results.md").write_text("# Pipeline benchmark\n")
    command = [sys.executable, str(SCRIPT), "--bundle", str(unzipped(bundle)), "--out", str(tmp_path)]
    subprocess.run([*command, "--cold-starts", "2", "--requests", "200"], check=True, capture_output=True)

    results = json.loads((tmp_path / "results.json").read_text())
    assert results["sizes"] == []
    figures = results["serving"]
    assert figures["zipped_bytes"] == bundle.archive.stat().st_size
    with zipfile.ZipFile(bundle.archive) as zipped:
        assert figures["unzipped_bytes"] == sum(member.file_size for member in zipped.infolist())
    assert figures["cold_start_seconds"] > figures["cold_start_in_process_seconds"] > 0
    assert 0 < figures["warm_p50_ms"] <= figures["warm_p99_ms"]
    assert 0 < figures["recording_warm_p50_ms"] <= figures["recording_warm_p99_ms"]
    table = (tmp_path / "results.md").read_text()
    assert table.startswith("# Pipeline benchmark\n")
    assert "## Serving (AWS Lambda bundle)" in table
    assert "| warm p99, recording each prediction |" in table


def test_a_missing_bundle_is_named(tmp_path: Path) -> None:
    command = [sys.executable, str(SCRIPT), "--bundle", str(tmp_path / "lambda"), "--out", str(tmp_path)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    assert done.returncode == 2
    assert f"there is no Lambda bundle at {tmp_path / 'lambda'}" in done.stderr
