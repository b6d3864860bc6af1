"""Jinja filters shared by the template's files.

Cookiecutter loads this module through ``_extensions`` in ``cookiecutter.json``; the template root is on
``sys.path`` for the cookiecutter CLI and cruft, and pytest adds it through ``pythonpath = ["."]``.
"""

import json

from jinja2 import Environment
from jinja2.ext import Extension


def quoted(text: object) -> str:
    """Quote user text as one double-quoted literal valid in TOML, YAML, JSON and Python.

    ``ensure_ascii=False`` keeps emoji and non-Latin scripts as typed: ASCII escapes would turn them into
    surrogate pairs, which TOML rejects and PyYAML corrupts.
    """
    return json.dumps(str(text), ensure_ascii=False)


class TextFilters(Extension):
    """Registers the ``quoted`` filter."""

    def __init__(self, environment: Environment) -> None:
        super().__init__(environment)
        environment.filters["quoted"] = quoted
