"""What a run tells the person watching it: a line per stage with its figures, and progress for long steps.

Lines go to standard output and are flushed at once, so every orchestrator shows them as they happen, even
one that runs each stage in a process of its own. Progress is a start line with the size of the work, a line
at each tenth of the way at most every ``PROGRESS_EVERY`` seconds, and an end line with the duration: a few
lines in a CI log, never a bar redrawn per item. A step whose length is not known ahead (training until the
validation score stops improving, dbt's models and tests of very unequal cost) is told by a ``Ticker``
instead: lines further and further apart, about ten in an hour.
"""

import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Self

# The widest stage name, so that the figures line up in a column.
STAGE_WIDTH = len("quality gate")
# Seconds between two progress lines, at least.
PROGRESS_EVERY = 5.0


def now() -> float:
    """The clock progress is timed with (a test replaces it, to tell an hour's lines in a second)."""
    return time.monotonic()


def say(stage: str, text: str) -> None:
    """One line of a stage's story: ``transform     dbt build passed: ...``."""
    print(f"{stage:<{STAGE_WIDTH}}  {text}", flush=True)


def duration(seconds: float) -> str:
    """``0.4 s``, ``12 s``, ``3 min 05 s``: as precise as a person reading a log wants."""
    if seconds < 10:
        return f"{seconds:.1f} s"
    if seconds < 60:
        return f"{seconds:.0f} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest:02d} s"


def shown(path: Path) -> str:
    """A path as a person types it: relative to the current folder when it is inside it."""
    try:
        return str(path.absolute().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


class Progress:
    """Progress through ``total`` units of a long step, told in a few lines.

    ``with Progress("log", "writing a sample of 200,000 events", 30, "days") as progress:`` says what starts,
    ``progress.advance()`` after each unit, and the end line gives the duration; ``quiet`` tells nothing.
    """

    def __init__(self, stage: str, what: str, total: int, unit: str, *, quiet: bool = False) -> None:
        self.stage, self.what, self.total, self.unit, self.quiet = stage, what, max(total, 1), unit, quiet
        self.done = 0
        self.started = self.last_line = now()
        self.next_tenth = 1

    def __enter__(self) -> Self:
        self._say(f"{self.what}...")
        return self

    def advance(self, units: int = 1) -> None:
        self.done += units
        tenth = self.done * 10 // self.total
        moment = now()
        if tenth >= self.next_tenth and self.done < self.total and moment - self.last_line >= PROGRESS_EVERY:
            so_far = f"{self.done:,} of {self.total:,} {self.unit}, {duration(moment - self.started)}"
            self._say(f"  {tenth * 10}% ({so_far})")
            self.last_line = moment
        self.next_tenth = max(self.next_tenth, tenth + 1)

    @property
    def elapsed(self) -> float:
        return now() - self.started

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if kind is None:
            self._say(f"  done: {self.done:,} {self.unit} in {duration(self.elapsed)}")

    def _say(self, text: str) -> None:
        if not self.quiet:
            say(self.stage, text)


class Ticker:
    """Progress of a step whose length is not known ahead, told between the caller's own start and end lines.

    ``tell`` is called at each unit of work (an epoch, a boosting round, a finished dbt node) with its line,
    or a function making it (so a line not said costs nothing). A line is said at most every
    ``PROGRESS_EVERY`` seconds, and at least as long after the previous one as the step had run before it, so
    lines come after about 5, 10, 20, 40 s...: ten lines tell an hour, whatever the number of units, and a
    long step is never silent for long compared with its age.
    Safe to call from several threads (dbt reports its nodes from its worker threads).
    """

    def __init__(self, stage: str, *, quiet: bool = False) -> None:
        self.stage, self.quiet = stage, quiet
        self.started = now()
        self.next_line = self.started + PROGRESS_EVERY
        self.lines = 0
        self._lock = threading.Lock()

    def tell(self, line: str | Callable[[], str]) -> bool:
        """Say ``line`` with the time since the start if a line is due; whether it was said."""
        with self._lock:
            moment = now()
            if moment < self.next_line:
                return False
            elapsed = moment - self.started
            self.next_line = moment + max(PROGRESS_EVERY, elapsed)
            self.lines += 1
            if not self.quiet:
                text = line if isinstance(line, str) else line()
                say(self.stage, f"  {text} ({duration(elapsed)})")
            return True
