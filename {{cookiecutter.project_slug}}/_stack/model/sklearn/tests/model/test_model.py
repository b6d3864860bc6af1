"""scikit-learn: a long training tells each regularization strength tried and its validation score."""

import re

import pandas as pd
import pytest

from {{ cookiecutter.module_name }} import story
from {{ cookiecutter.module_name }}.model.train import C_GRID, train
from {{ cookiecutter.module_name }}.settings import Settings

from ..conftest import progress_lines


@pytest.mark.usefixtures("progress_clock")
def test_a_long_training_tells_each_regularization_tried_and_its_score(
    training_frame: pd.DataFrame, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # No minimum wait, and a second per strength tried: lines at the 1st, 2nd and 4th, each as long after
    # the previous one as the training had run before it.
    monkeypatch.setattr(story, "PROGRESS_EVERY", 0.0)

    train(training_frame, Settings())

    told = progress_lines(capsys.readouterr().out, "choosing the regularization")
    line = re.compile(
        r"train {11}choosing the regularization: (\d) of (\d) tried, C (\S+): "
        r"validation average precision 0\.\d+ \("
    )
    parsed = [line.match(each) for each in told]
    assert [(found[1], found[2], found[3]) if found else None for found in parsed] == [
        (str(tried), str(len(C_GRID)), str(C_GRID[tried - 1])) for tried in (1, 2, 4)
    ], told
