"""The production warehouse on Snowflake: the connection, the schemas dbt builds into, the training set.

Snowflake is reached with the variables dbt's prod profile reads (``SNOWFLAKE_ACCOUNT``, ``SNOWFLAKE_USER``,
``SNOWFLAKE_PRIVATE_KEY_PATH``, ``SNOWFLAKE_ROLE``, ``SNOWFLAKE_WAREHOUSE``, ``SNOWFLAKE_DATABASE``, and
``SNOWFLAKE_HOST``, ``SNOWFLAKE_PORT``, ``SNOWFLAKE_PROTOCOL`` when set), so a build and every read after it
see the same database.

tests/warehouse/test_warehouse.py checks the connection parameters, and runs a prod build and the training
set's read against fakesnow, a Snowflake emulator behind the real connector; the template's runtime tier runs
`DBT_TARGET=prod make run` against fakesnow's server. Sign-in is proven by a real run.
"""

import os
import re
import warnings
from contextlib import closing
from typing import Any

import pandas as pd

with warnings.catch_warnings():
    # The connector's own copy of requests checks chardet's version, which sqlfluff (a dev tool) brings in
    # newer than that copy knows, and warns; it decodes with charset_normalizer either way.
    warnings.filterwarnings("ignore", message=r"urllib3 .* doesn't match a supported version")
    import snowflake.connector
from snowflake.connector import SnowflakeConnection
from snowflake.connector.errors import DatabaseError, ProgrammingError

from .targets import WarehouseError

# What a connection cannot do without; a key without a passphrase leaves SNOWFLAKE_PRIVATE_KEY_PASSPHRASE out.
REQUIRED_VARIABLES = (
    "SNOWFLAKE_ACCOUNT",
    "SNOWFLAKE_USER",
    "SNOWFLAKE_PRIVATE_KEY_PATH",
    "SNOWFLAKE_ROLE",
    "SNOWFLAKE_WAREHOUSE",
    "SNOWFLAKE_DATABASE",
)
# Where Snowflake answers, as in the prod profile; unset, the connector takes the account's own host over
# HTTPS on 443. Set for a private link, a proxy, or an emulator (the template runs `make run` against one).
ADDRESS_VARIABLES = {"host": "SNOWFLAKE_HOST", "port": "SNOWFLAKE_PORT", "protocol": "SNOWFLAKE_PROTOCOL"}
# Schema names are written into SQL unquoted, as dbt writes them: Snowflake folds them to upper case.
IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_$]*")
# Snowflake's "object does not exist or not authorized".
OBJECT_NOT_FOUND = 2003


def schema() -> str:
    """The schema dbt builds the models into on Snowflake, as in the prod profile."""
    return _identifier("DBT_SCHEMA", "analytics")


def raw_schema() -> str:
    """The schema of the raw table the log is loaded into, as in the event_log source."""
    return _identifier("DBT_RAW_SCHEMA", "raw")


def _identifier(variable: str, default: str) -> str:
    name = os.environ.get(variable, default)
    if not IDENTIFIER.fullmatch(name):
        raise WarehouseError(f"{variable}={name!r} is not a plain Snowflake name: use letters, digits and _")
    return name


def connection_parameters() -> dict[str, Any]:
    """Key-pair authentication from the environment, or one line naming what is missing."""
    missing = [name for name in REQUIRED_VARIABLES if not os.environ.get(name)]
    if missing:
        raise WarehouseError(
            f"{', '.join(missing)} not set: export the Snowflake credentials (see .env.example), "
            "or use DBT_TARGET=dev for the local warehouse"
        )
    return {
        "account": os.environ["SNOWFLAKE_ACCOUNT"],
        "user": os.environ["SNOWFLAKE_USER"],
        "private_key_file": os.environ["SNOWFLAKE_PRIVATE_KEY_PATH"],
        "private_key_file_pwd": os.environ.get("SNOWFLAKE_PRIVATE_KEY_PASSPHRASE") or None,
        "role": os.environ["SNOWFLAKE_ROLE"],
        "warehouse": os.environ["SNOWFLAKE_WAREHOUSE"],
        "database": os.environ["SNOWFLAKE_DATABASE"],
        "login_timeout": 30,
        # The connector reports its own usage to Snowflake by default; nothing here phones home.
        "session_parameters": {"CLIENT_TELEMETRY_ENABLED": False},
        **_address(),
    }


def _address() -> dict[str, str | int]:
    """The host, port and protocol that are set: the connector derives the host from the account only when
    it is given none."""
    address: dict[str, str | int] = {
        key: os.environ[name] for key, name in ADDRESS_VARIABLES.items() if os.environ.get(name)
    }
    if "port" in address:
        port = str(address["port"])
        if not port.isdigit():
            raise WarehouseError(f"SNOWFLAKE_PORT={port!r} is not a port number: use digits, such as 443")
        address["port"] = int(port)
    return address


def connect() -> SnowflakeConnection:
    parameters = connection_parameters()
    try:
        return snowflake.connector.connect(**parameters)
    except DatabaseError as error:
        raise WarehouseError(f"cannot connect to Snowflake: {' '.join(str(error).split())}") from error


def load_training_set() -> pd.DataFrame:
    """The training set as the last prod build left it, one row per session, in a stable order."""
    table = f"{schema()}.training_set"
    with closing(connect()) as database, closing(database.cursor()) as cursor:
        try:
            cursor.execute(f"select * from {table} order by session_id")  # noqa: S608 (names checked above)
        except ProgrammingError as error:
            if error.errno != OBJECT_NOT_FOUND:
                raise
            raise WarehouseError(
                f"Snowflake has no {table} table: run the transform stage with DBT_TARGET=prod first"
            ) from error
        # Arrow, then pandas: the connector's own pandas helpers require pandas < 3.
        result = cursor.fetch_arrow_all(force_return_table=True)
    frame: pd.DataFrame = result.to_pandas()
    # Snowflake answers with upper-case names; the training set's contract is lower case.
    frame.columns = [name.lower() for name in frame.columns]
    return frame
