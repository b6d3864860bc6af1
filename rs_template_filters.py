"""Jinja filters shared by the template's files, and answers kept exactly as the user gave them.

Cookiecutter loads this module through ``_extensions`` in ``cookiecutter.json``; the template root is on
``sys.path`` for the cookiecutter CLI and cruft, and pytest adds it through ``pythonpath = ["."]``.
"""

import json

from jinja2 import Environment
from jinja2.exceptions import TemplateSyntaxError
from jinja2.ext import Extension


def quoted(text: object) -> str:
    """Quote user text as one double-quoted literal valid in TOML, YAML, JSON and Python.

    ``ensure_ascii=False`` keeps emoji and non-Latin scripts as typed: ASCII escapes would turn them into
    surrogate pairs, which TOML rejects and PyYAML corrupts.
    """
    return json.dumps(str(text), ensure_ascii=False)


def names_cookiecutter(environment: Environment, source: str) -> bool:
    """Whether ``source`` is a valid template with an expression that reads another answer."""
    try:
        tokens = list(environment.lex(source))  # the whole source: a valid start is not enough
    except TemplateSyntaxError:
        return False
    return any(kind == "name" and value == "cookiecutter" for _, kind, value in tokens)


def jinja_string(text: str) -> str:
    """A Jinja string literal that evaluates to ``text``, whatever characters it holds."""
    escaped = text.encode("unicode_escape").decode("ascii").replace('"', '\\"')
    return f'"{escaped}"'


class TextFilters(Extension):
    """Registers the ``quoted`` filter, and renders answers given on the command line as plain text.

    Cookiecutter renders every answer that does not come from the prompt as a template: a ``description`` of
    ``{{ 7*7 }}`` given on the command line, in a config file's ``default_context`` or by ``cruft update``
    (which replays ``.cruft.json`` that way) becomes ``49``, ``{% raw %}`` crashes with a traceback, and an
    expression can run code. Typed at the prompt, the same text is kept as typed. So a string compiled with
    ``from_string`` (answers, hooks, file names) stays a template only when an expression in it reads
    ``cookiecutter``: the defaults that derive one answer from another, the hooks and the templated file
    names. Any other is rendered as the literal text it is. Whole files (``get_template``) are untouched.
    """

    def __init__(self, environment: Environment) -> None:
        super().__init__(environment)
        environment.filters["quoted"] = quoted

    def preprocess(self, source: str, name: str | None, filename: str | None = None) -> str:
        if name is not None or names_cookiecutter(self.environment, source):
            return source
        start, end = self.environment.variable_start_string, self.environment.variable_end_string
        return f"{start} {jinja_string(source)} {end}"
