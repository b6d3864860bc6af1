"""Paths the docs name, read from the docs themselves.

A test that makes one of them (the quarantine, the failed build, a failed check's cases: paths only a failure
writes, so no run shows them) asks for it here by its last part and checks that the code writes exactly
there: when the code or the README moves it, the test fails, rather than the README pointing at nothing.
"""

import re
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]


def documented_path(name: str, doc: str = "README.md") -> Path:
    """The path ``doc`` names in its inline code whose last part is ``name``, relative to the workspace."""
    text = (PROJECT / doc).read_text(encoding="utf-8")
    named = {span.rstrip("/") for span in re.findall(r"`([^`\s]+)`", text)}
    found = sorted(path for path in named if Path(path).name == name)
    assert len(found) == 1, f"{doc} names {len(found)} paths ending in {name!r} ({found}); expected one"
    return Path(found[0])
