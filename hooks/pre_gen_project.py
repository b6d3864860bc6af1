"""Check every answer before anything is generated: one line per problem, naming the field and the fix.

Cookiecutter renders this file with the answers, then runs it inside the new project folder; a non-zero exit
makes it delete that folder, so a rejected answer leaves nothing behind. Standard library only: this runs in
the user's cookiecutter environment. cruft runs it twice per update, in temporary folders: it must only read.
A refusal ends with one command that bakes again with every answer, those to fix last, so none is typed twice.

What Cookiecutter prints itself, no template can change (cookiecutter 2.7):
- after this hook's lines, "Stopping generation because pre_gen_project hook script didn't exit successfully"
  and a traceback: it logs every failed hook with logger.exception, whatever the hook printed;
- a value outside a menu given by name (command line, --config-file, extra_context) stops it with a ValueError
  traceback naming the menu's items, before any hook runs; at the prompt, a menu takes only its numbers;
- a project folder that exists stops it after the questions, before any hook runs, with
  `Error: "<folder>" directory already exists`, unless --overwrite-if-exists (-f) is given: then this hook
  runs in that folder, and refuses to mix another stack's files into the project it holds;
- an --output-dir folder it had to create stays, empty, when it deletes a refused project.
"""

import json
import keyword
import os
import re
import shlex
import sys
import unicodedata
from email.headerregistry import Address
from pathlib import Path

# BEGIN options.toml answers: `make options` writes what follows, up to END, from cookiecutter.json
ANSWERS = {
    "project_name": {{ cookiecutter.project_name | quoted }},
    "project_slug": {{ cookiecutter.project_slug | quoted }},
    "module_name": {{ cookiecutter.module_name | quoted }},
    "description": {{ cookiecutter.description | quoted }},
    "author_name": {{ cookiecutter.author_name | quoted }},
    "author_email": {{ cookiecutter.author_email | quoted }},
    "license": {{ cookiecutter.license | quoted }},
    "python_version": {{ cookiecutter.python_version | quoted }},
    "ml_value": {{ cookiecutter.ml_value | quoted }},
    "team_size": {{ cookiecutter.team_size | quoted }},
    "data_volume": {{ cookiecutter.data_volume | quoted }},
    "compute": {{ cookiecutter.compute | quoted }},
    "orchestrator": {{ cookiecutter.orchestrator | quoted }},
    "warehouse": {{ cookiecutter.warehouse | quoted }},
    "data_quality": {{ cookiecutter.data_quality | quoted }},
    "tracking": {{ cookiecutter.tracking | quoted }},
    "model": {{ cookiecutter.model | quoted }},
    "serving": {{ cookiecutter.serving | quoted }},
    "ci": {{ cookiecutter.ci | quoted }},
}
# END options.toml answers

# The values each choice accepts. Cookiecutter checks an answer given by name against its menu, but not one
# read from a replay file (--replay) or a recorded answer edited by hand: this is where those are caught.
# BEGIN options.toml choices: `make options` writes what follows, up to END, from options.toml
CHOICES = {
    "license": ("MIT", "Apache-2.0", "BSD-3-Clause", "proprietary"),
    "python_version": ("3.11", "3.12", "3.13"),
    "ml_value": ("under_1m", "1m_to_10m", "10m_to_100m"),
    "team_size": ("1_to_10", "11_to_30", "31_to_100"),
    "data_volume": ("under_100gb", "100gb_to_1tb", "1tb_to_10tb"),
    "compute": ("cpu", "one_gpu", "few_gpu_nodes"),
    "orchestrator": ("metaflow", "prefect", "none"),
    "warehouse": ("duckdb", "postgres", "snowflake", "bigquery"),
    "data_quality": ("pandera", "great_expectations", "dbt_only"),
    "tracking": ("none", "mlflow", "wandb"),
    "model": ("sklearn", "lightgbm", "pytorch"),
    "serving": ("aws_lambda", "sagemaker_serverless", "gcp_cloud_run", "modal", "none"),
    "ci": ("github", "gitlab", "none"),
}
STACK_CHOICES = ("orchestrator", "warehouse", "data_quality", "tracking", "model", "serving", "ci")
# END options.toml choices

# The template as the user named it (a path or gh:owner/name), for the command that bakes again.
TEMPLATE = {{ cookiecutter._template | default("") | quoted }}
# Where a project made from this template records its answers: plain cookiecutter, and cruft.
RECORDED_ANSWERS = {".template-answers.json": ("answers",), ".cruft.json": ("context", "cookiecutter")}

# Every top-level name the environment of any stack can import, indirect dependencies included (`src/yaml/`
# would hide PyYAML from dbt), other platforms' too: a package named like one of them would shadow it.
# `python -m tests.import_names` regenerates the list from set-up projects; the template's slow tests fail
# when an environment holds a name it lacks.
IMPORT_NAMES = """
    adbc_driver_duckdb adodbapi adsi afxres agate aiohappyeyeballs aiohttp aiosignal aiosqlite alembic altair
    amplitude annotated_doc annotated_types anyio apprise arrow asgi_lifespan asn1crypto ast_serialize
    async_timeout asyncpg attr attrs authorization axcontrol axdebug axscript babel backports beartype
    binaryornot bits blinker boto3 botocore burner_redis cachetools cbor2 certifi cffi cfgv cfnlint chardet
    charset_normalizer check_jsonschema click cloudpickle colorama commctrl contourpy cookiecutter coolname
    coreweave_evaluations cronsim cruft cryptography cuda cycler cyclopts daff databricks dateparser
    dateparser_cli dateparser_data dateparser_scripts dateutil db_dtypes dbt dbt_common dbt_extractor
    dbt_semantic_interfaces dbtlabs dde deepdiff demos detect_secrets diff_cover directsound distlib distro
    docker docket docstring_parser dotenv dsi_pydantic_shim duckdb exceptiongroup exchange execnet fakesnow
    fastapi fastjsonschema filelock flask flask_cors fonttools frozenlist fsspec functorch git gitdb google
    google_auth_oauthlib google_crc32c graphene graphql graphql_relay graphviz great_expectations greenlet
    griffe griffecli grpc grpc_status grpclib gunicorn h11 h2 hpack httpcore httpcore2 httpx httpx2
    httpx2_jsfetch huey humanize hyperframe hypothesis identify idna ifilter importlib_metadata iniconfig
    internet isapi isodate isympy itsdangerous jaraco jeepney jinja2 jinja2_humanize_extension
    jinja2_simple_tags jmespath joblib jsonpatch jsonpatch_cli jsonpointer jsonschema
    jsonschema_specifications jupyter jupyter_core jwt key_value keyring kiwisolver leather lib librt lightgbm
    mako mapi markdown markdown_it markupsafe marshmallow mashumaro matplotlib mdurl metaflow mistune mlflow
    mmapfile mmsystem modal modal_docs modal_proto modal_version more_itertools moto mpl_toolkits mpmath
    msgpack multidict mypy mypy_extensions mypyc narwhals nbformat nbstripout netbios networkx nodeenv
    ntsecuritycon numpy nvidia oauthlib odbc openssl opentelemetry orderly_set orjson packaging pandas
    pandas_gbq pandera parsedatetime pathspec pendulum perfmon perfmondata pil platformdirs pluggy pre_commit
    pre_commit_hooks prefect prettytable prometheus_client propcache propsys proto psutil psycopg2 py
    py_partiql_parser pyarrow pyasn1 pyasn1_modules pycparser pydantic pydantic_core pydantic_extra_types
    pydantic_settings pydata_google_auth pygments pyisapi_loader pylab pyparsing pytest python_discovery
    pythoncom pythonjsonlogger pythonwin pytimeparse pytz pywin pywin32_bootstrap pywin32_testutil pywintypes
    rasutil readchar redis referencing regcheck regex regress regutil requests requests_oauthlib responses
    retrying rfc3339_validator rich rich_rst rpds ruamel ruff s3transfer sagemaker_inference scipy scripts
    secretstorage semver servicemanager setuptools shell shellingham six sklearn skops slugify smmap sniffio
    snowflake snowplow_tracker sortedcontainers sqlalchemy sqlfluff sqlfluff_templater_dbt sqlglot sqlparse
    sspi sspicon starlette sympy synchronicity taskscheduler tblib tenacity test text_unidecode threadpoolctl
    timer toml tomlkit torch torchgen tqdm traitlets triton truststore typeguard typer typing_extensions
    typing_inspect typing_inspection tzdata tzlocal uncalled_for urllib3 uvicorn vertex_ray vertexai
    virtualenv waitress wandb watchfiles wcwidth websockets werkzeug whenever win2kras win32 win32api
    win32clipboard win32com win32comext win32con win32console win32cred win32crypt win32cryptcon win32ctypes
    win32event win32evtlog win32evtlogutil win32file win32gui win32gui_struct win32help win32inet win32inetcon
    win32job win32lz win32net win32netcon win32pdh win32pdhquery win32pdhutil win32pipe win32print
    win32process win32profile win32ras win32rcparser win32security win32service win32serviceutil win32timezone
    win32trace win32traceutil win32transaction win32ts win32ui win32uiole win32verstamp win32wnet winerror
    winioctlcon winnt winperf winxpgui winxptheme xdist xmltodict xxhash yaml yarl zipp
"""
DEPENDENCIES = frozenset(IMPORT_NAMES.split())
# The project's own top-level folders: a package named like one would be mistaken for it (`tests` is one).
PROJECT_FOLDERS = {"benchmarks", "dbt", "deploy", "docs", "flows", "scripts", "src", "tests"}
# Scripts run by their path put their own folder first on the import path: a package named like one of them
# would import the script instead (flows/training_flow.py, benchmarks/*.py, scripts/*.py).
PROJECT_SCRIPTS = {"pipeline", "serving", "template", "training_flow"}
TEXT_LIMITS = {"project_name": 80, "description": 300, "author_name": 100, "author_email": 254}
# Control, format, line and paragraph separator, and surrogate characters; but the zero-width joiner and
# non-joiner are part of emoji sequences and of how some scripts (Persian, Indic) are written.
INVISIBLE = {"Cc", "Cf", "Zl", "Zp", "Cs"}
JOINERS = {"\u200c", "\u200d"}
SLUG = re.compile(r"[a-z][a-z0-9]*(-[a-z0-9]+)*")
MODULE = re.compile(r"[a-z][a-z0-9_]*")
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+")
NAME_AND_ADDRESS = re.compile(r"[^<>]*<([^<>]*)>")  # Jane Doe <jane@example.com>
# A template expression reading another answer: `cruft update` would substitute it, the prompt does not.
# (Braces in brackets: this file is itself a template.)
ANSWER_REFERENCE = re.compile(r"[{]([{]|%)(?:(?![}%][}]).)*\bcookiecutter\b", re.DOTALL)


def problems(answers: dict[str, str]) -> list[str]:
    """Every problem with the answers, each one line naming the field, the value and the fix."""
    texts = {field: text_problem(field, answers[field], limit) for field, limit in TEXT_LIMITS.items()}
    found = [problem for problem in texts.values() if problem]

    slug = answers["project_slug"]
    if not SLUG.fullmatch(slug) or len(slug) > 64:
        found.append(
            f"project_slug {slug!r} is not a valid folder name: use lowercase letters, digits and single "
            "hyphens, starting with a letter, at most 64 characters (e.g. project_slug=purchase-intent)"
        )

    module = answers["module_name"]
    if not MODULE.fullmatch(module) or len(module) > 40:
        found.append(
            f"module_name {module!r} is not a valid Python package name: use lowercase letters, digits and "
            "underscores, starting with a letter, at most 40 characters (e.g. module_name=purchase_intent)"
        )
    elif keyword.iskeyword(module) or keyword.issoftkeyword(module):
        found.append(f"module_name {module!r} is a Python keyword: choose another, e.g. {module}_model")
    elif module in sys.stdlib_module_names:
        found.append(f"module_name {module!r} shadows the standard library: choose another, e.g. {module}_ml")
    elif module in DEPENDENCIES or module in PROJECT_FOLDERS or module in PROJECT_SCRIPTS:
        found.append(f"module_name {module!r} shadows a dependency or folder: choose e.g. {module}_ml")

    email = answers["author_email"]
    if not texts["author_email"] and not EMAIL.fullmatch(email):  # one line per answer
        found.append(email_problem(email))
    elif not texts["author_email"] and not packaging_accepts(email):
        found.append(
            f"author_email {email!r} is not an address Python packaging accepts (it refuses to install the "
            "project): use ASCII letters, digits and . _ + - ' before the @, e.g. name@example.com"
        )

    for field, allowed in CHOICES.items():
        answer, names = answers[field], ", ".join(allowed)
        if answer.isdigit() and answer not in allowed:
            found.append(f"{field} {answer!r} is a menu's number: give the value's name, one of {names}")
        elif answer not in allowed:
            found.append(f"{field} {answer!r} is not available: choose one of {names}")
    return found


def email_problem(email: str) -> str:
    """Why ``email`` is not an address, and the form that is."""
    named = NAME_AND_ADDRESS.fullmatch(email)
    if named:
        return (
            f"author_email {email!r} is a name and an address: give the address alone, e.g. "
            f"author_email={named[1].strip() or 'name@example.com'} (the name goes in author_name)"
        )
    if email.count("@") != 1:
        why = "it needs exactly one @"
    elif any(character.isspace() for character in email):
        why = "it contains a space"
    else:
        why = "it needs a domain with a dot after the @"
    return f"author_email {email!r} is not an email address ({why}): use the form name@example.com"


def recorded_answers() -> dict[str, str]:
    """The answers of the project already in this folder (baked over with -f), or none for a new folder."""
    for name, keys in RECORDED_ANSWERS.items():
        try:
            recorded = json.loads(Path(name).read_text(encoding="utf-8"))
            for key in keys:
                recorded = recorded[key]
        except (OSError, ValueError, KeyError, TypeError):
            continue
        if isinstance(recorded, dict):
            return recorded
    return {}


def stack_problems(answers: dict[str, str], recorded: dict[str, str]) -> list[str]:
    """Another stack value over a project would leave the old value's files beside the new one's."""
    return [
        f"{field} {new!r} is not the {old!r} of the project in this folder: baking over it would leave "
        f"{old}'s files beside {new}'s. To switch, run `make change-stack {field}={new}` in the project "
        f"(it swaps the files and keeps your edits), or keep {field}={old}"
        for field in STACK_CHOICES
        if field in recorded and (old := recorded[field]) != (new := answers[field])
    ]


def replay_command(answers: dict[str, str], to_fix: list[str]) -> str:
    """The command that bakes again with every answer given, those to fix last: edit them, and run it."""
    words = ["cookiecutter", TEMPLATE or "<template>", "--no-input"]
    output = Path.cwd().parent  # this hook runs in the project folder
    if os.environ.get("PWD") != str(output):  # where the user ran cookiecutter, as their shell says
        words += ["--output-dir", str(output)]
    fields = [field for field in answers if field not in to_fix] + to_fix
    return shlex.join([*words, *(f"{field}={answers[field]}" for field in fields)])


def packaging_accepts(email: str) -> bool:
    """Whether build backends (hatchling, through the email package) can write the address into metadata."""
    try:
        Address(display_name="x", addr_spec=email)
    except (ValueError, TypeError):  # the email package's header errors are ValueErrors
        return False
    return True


def text_problem(field: str, text: str, limit: int) -> str | None:
    """Free text must be one plain line: it lands in TOML, YAML, JSON and Markdown files."""
    if not text.strip():
        return f"{field} is empty: give a value"
    if text != text.strip():
        return f"{field} {text!r} starts or ends with spaces: remove them"
    if any(unicodedata.category(character) in INVISIBLE for character in set(text) - JOINERS):
        return f"{field} {text!r} contains a line break or control character: use one plain line"
    if len(text) > limit:
        return f"{field} is {len(text)} characters long: use at most {limit}"
    if ANSWER_REFERENCE.search(text):
        return f"{field} {text!r} refers to other answers through template syntax: write the text out"
    return None


def main() -> int:
    recorded = recorded_answers()
    if recorded:
        print(
            "note: this folder holds a project made from this template. `make update-template` in it merges "
            "the template's changes with yours; baking over it with -f overwrites every file the template "
            "makes.",
            file=sys.stderr,
        )
    found = problems(ANSWERS) + stack_problems(ANSWERS, recorded)
    for problem in found:
        print(f"error: {problem}", file=sys.stderr)
    if found:
        # Each problem starts with the field it is about.
        to_fix = list(dict.fromkeys(problem.split()[0] for problem in found))
        print(
            f"Nothing was generated. Your answers, with {', '.join(to_fix)} last to fix, as one command:\n"
            f"  {replay_command(ANSWERS, to_fix)}\n"
            "(Cookiecutter then says that this check stopped it, with a traceback of its own: nothing more.)",
            file=sys.stderr,
        )
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
