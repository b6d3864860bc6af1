"""A long step tells its progress in a few lines: a start with its size, tenths at most every few seconds, an
end with its duration; a step of unknown length, lines further and further apart."""

import pytest

from {{ cookiecutter.module_name }} import story
from {{ cookiecutter.module_name }}.story import Progress, Ticker


def test_progress_says_the_size_then_tenths_then_the_duration(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    clock = iter(float(second) for second in range(10_000))
    monkeypatch.setattr("time.monotonic", lambda: next(clock))

    with Progress("log", "writing 1,000 days", 1_000, "days") as progress:
        for _ in range(1_000):
            progress.advance()

    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "log           writing 1,000 days..."
    assert lines[1].startswith("log             10% (100 of 1,000 days, ")
    assert len(lines) == 11, "one line per tenth, not per day"
    assert lines[-1].startswith("log             done: 1,000 days in 16 min ")


def test_progress_waits_between_lines_so_a_quick_step_says_only_start_and_end(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with Progress("train", "fitting", 50, "epochs") as progress:
        for _ in range(50):
            progress.advance()

    assert [line.split()[1] for line in capsys.readouterr().out.splitlines()] == ["fitting...", "done:"]


def test_quiet_progress_says_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    with Progress("log", "writing", 3, "days", quiet=True) as progress:
        progress.advance(3)

    assert capsys.readouterr().out == ""


@pytest.mark.parametrize(("seconds", "said"), [(0.42, "0.4 s"), (12.4, "12 s"), (185, "3 min 05 s")])
def test_durations_read_as_a_person_says_them(seconds: float, said: str) -> None:
    assert story.duration(seconds) == said


@pytest.mark.usefixtures("progress_clock")
def test_a_ticker_tells_an_hour_in_ten_lines_further_and_further_apart(
    capsys: pytest.CaptureFixture[str],
) -> None:
    ticker = Ticker("train")
    for second in range(1, 3601):
        ticker.tell(f"epoch {second}")

    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "train           epoch 5 (5.0 s)"
    assert [int(line.split()[2]) for line in lines] == [5, 10, 20, 40, 80, 160, 320, 640, 1280, 2560]
    assert lines[-1].endswith("(42 min 40 s)")
    assert ticker.lines == len(lines)


@pytest.mark.usefixtures("progress_clock")
def test_a_ticker_makes_only_the_lines_it_says(capsys: pytest.CaptureFixture[str]) -> None:
    made: list[int] = []

    def line() -> str:
        made.append(len(made))
        return "made"

    ticker = Ticker("transform")
    said = [ticker.tell(line) for _ in range(6)]

    assert said == [False, False, False, False, True, False]
    assert made == [0]
    assert capsys.readouterr().out == "transform       made (5.0 s)\n"


def test_a_quiet_ticker_says_nothing(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(story, "PROGRESS_EVERY", 0.0)

    assert Ticker("train", quiet=True).tell("epoch 1")
    assert capsys.readouterr().out == ""
