"""What a serving target's bundle holds, as its tests/release/conftest.py declares it."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Layout:
    """``archive``: the bundle under ``dist/``; ``files``: every file it holds; ``model``: the model's."""

    archive: str
    files: set[str]
    model: str
