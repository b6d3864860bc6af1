"""The local Jinja extension: user text quoted so every format reads it back, and never rendered twice."""

import ast
import json
import tomllib

import pytest
import yaml
from cookiecutter.environment import StrictEnvironment
from hypothesis import given, settings
from hypothesis import strategies as st

from rs_template_filters import quoted

AWKWARD = [
    "plain",
    "O'Brien",
    'say "hi"',
    "back\\slash",
    "tab\there",
    "café Zürich",
    "東京の顧客",
    "rocket 🚀 emoji",
    "{{ 7*7 }} {% raw %}",
    "key: value # not a comment",
    "[section] = 'x'",
    "",
]


@pytest.mark.parametrize("text", AWKWARD)
def test_quoted_reads_back_exactly_in_every_format(text: str) -> None:
    literal = quoted(text)

    assert tomllib.loads(f"value = {literal}")["value"] == text
    assert yaml.safe_load(f"value: {literal}")["value"] == text
    assert json.loads(literal) == text
    assert ast.literal_eval(literal) == text


def test_quoted_keeps_characters_as_typed_rather_than_escaping_them() -> None:
    assert quoted("🚀 café") == '"🚀 café"'


@settings(max_examples=500, deadline=None)
@given(text=st.text())
def test_an_answer_that_reads_no_other_answer_renders_as_the_text_itself(text: str) -> None:
    """What cookiecutter does with an answer from the command line, a config file or cruft: render it."""
    environment = StrictEnvironment(
        context={"cookiecutter": {"_extensions": ["rs_template_filters.TextFilters"]}}
    )

    assert environment.from_string(text).render(cookiecutter={"project_name": "Basket Size"}) == text


@pytest.mark.parametrize(
    ("source", "rendered"),
    [
        ("{{ cookiecutter.project_name | slugify }}", "basket-size"),
        ("{{ 'a' if cookiecutter.project_name else 'b' }}", "a"),
        ("{{ 7*7 }} {{ cookiecutter.project_name }}", "49 Basket Size"),  # reads an answer: a template
        ("{{ 7*7 }} by cookiecutter", "{{ 7*7 }} by cookiecutter"),  # the word alone is just text
        (
            "{{ cookiecutter.project_name }} {% raw %} x",
            "{{ cookiecutter.project_name }} {% raw %} x",
        ),  # invalid
    ],
)
def test_only_expressions_reading_answers_are_rendered(source: str, rendered: str) -> None:
    environment = StrictEnvironment(
        context={"cookiecutter": {"_extensions": ["rs_template_filters.TextFilters"]}}
    )

    assert environment.from_string(source).render(cookiecutter={"project_name": "Basket Size"}) == rendered
