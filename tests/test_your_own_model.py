"""A team follows the generated docs/your-own-model.md on a fresh project, edit by edit, as written: another
label (sessions that add to cart) and one new feature (the hour a session started). The project's own lint,
tests and pipeline then pass, and what a user sees carries the new name: the API answers
add_to_cart_probability, the evaluation reports holdout_add_to_cart_rate and the calibration plot reads
"observed add to cart rate".

One project, baked, set up and edited once (minutes: marked slow).
"""

import json
import re
from pathlib import Path

import pytest

from .conftest import bake, run

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("your-own-model")]

GUIDE = Path("docs/your-own-model.md")
# An edit in the guide: "In `<file>`, replace:", a code block, "with:", a code block.
EDIT = re.compile(
    r"^In `(?P<path>[^`]+)`, replace:\n\n```\w*\n(?P<old>.*?)```\n\nwith:\n\n```\w*\n(?P<new>.*?)```",
    re.DOTALL | re.MULTILINE,
)
EDIT_START = re.compile(r"^In `[^`]+`, replace:$", re.MULTILINE)
PREDICTION = "add_to_cart"

# What a user checks after `make run`, read through the project's own code: the accepted model answering a
# request, and the evaluation's metrics and axis labels for the model trained on the new training set.
INSPECT = """
import json, sys
from pathlib import Path
from unittest import mock

from matplotlib.axes import Axes

from {module}.model.evaluate import evaluate
from {module}.model.train import train
from {module}.serving.api import respond
from {module}.serving.scoring import Scorer
from {module}.settings import Settings
from {module}.warehouse.read import load_training_set
from tests.api_cases import SESSION

settings = Settings()
status, answer = respond(json.dumps({{"sessions": [SESSION]}}), Scorer.load(settings.accepted_model_path))
frame = load_training_set(settings)
labels = []
original = Axes.set_ylabel
def record(axes, label, *args, **kwargs):
    labels.append(label)
    return original(axes, label, *args, **kwargs)
with mock.patch.object(Axes, "set_ylabel", record):
    evaluation = evaluate(train(frame, settings), frame, settings, Path(sys.argv[1]))
print(json.dumps({{
    "status": status,
    "answer": answer,
    "features": list(SESSION),
    "metrics": sorted(evaluation.metrics),
    "ylabels": labels,
}}))
"""


def guide_edits(guide: str) -> list[re.Match[str]]:
    edits = list(EDIT.finditer(guide))
    unreadable = len(EDIT_START.findall(guide)) - len(edits)
    assert not unreadable, f"{unreadable} edits of the guide lack their two code blocks or 'with:'"
    return edits


@pytest.fixture(scope="session")
def yours(cookies_session) -> Path:
    """A default project set up, with every edit of its guide made and dbt's tests written again."""
    project = bake(cookies_session)
    run("make setup", cwd=project)
    for edit in guide_edits((project / GUIDE).read_text()):
        path = project / edit["path"]
        text = path.read_text()
        found = text.count(edit["old"])
        assert found == 1, f"{edit['path']} holds the guide's text to replace {found} times:\n{edit['old']}"
        path.write_text(text.replace(edit["old"], edit["new"]))
    run("make contract", cwd=project)
    return project


def test_the_guide_names_the_prediction_and_its_new_feature(yours: Path) -> None:
    contract = (yours / "contract.toml").read_text()

    assert f'prediction = "{PREDICTION}"' in contract
    assert "[training_set.features.start_hour]" in contract
    assert "start_hour" in (yours / "dbt" / "models" / "ml" / "_training_set.yml").read_text()


def test_lint_passes_after_the_guide(yours: Path) -> None:
    run("make lint", cwd=yours)


def test_the_projects_tests_pass_after_the_guide(yours: Path) -> None:
    output = run("make test WORKERS=1", cwd=yours)

    assert " passed" in output and " failed" not in output


def test_the_run_serves_and_evaluates_the_new_prediction(yours: Path, tmp_path: Path) -> None:
    run("make run", cwd=yours)
    [module] = [folder.name for folder in (yours / "src").iterdir() if (folder / "__init__.py").exists()]

    # With -c, the project's folder comes first on the path: its tests package imports as its pytest sees it.
    inspect = [".venv/bin/python", "-c", INSPECT.format(module=module), str(tmp_path)]
    seen = json.loads(run(inspect, cwd=yours).splitlines()[-1])

    assert seen["status"] == 200, seen["answer"]
    [prediction] = seen["answer"]["predictions"]
    assert set(prediction) == {"session_id", f"{PREDICTION}_probability"}
    assert "start_hour" in seen["features"]
    assert f"holdout_{PREDICTION}_rate" in seen["metrics"]
    assert "observed add to cart rate" in seen["ylabels"]
    assert not any("purchase" in label for label in seen["ylabels"])
