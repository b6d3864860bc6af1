"""Where the event log's files live: the local disk (the default), or S3-compatible object storage.

One setting chooses: ``log_url`` (``{{ cookiecutter.module_name | upper }}_LOG_URL``), empty for the
workspace's ``data/log`` folder, or ``s3://bucket/prefix``. Either store keeps the log's guarantees with the
same two operations: ``write_once`` creates a file unless it exists, in one step (a hard link on disk, a
conditional ``PUT`` with ``If-None-Match: *`` on S3), so racing producers leave exactly one and readers never
see half of one; nothing is ever overwritten or deleted.

Readers (dbt on DuckDB, the warehouse loaders) read local files: a log on object storage is copied to
``data/log`` first (``copy_to_local``), which only ever adds the objects the copy lacks, since they never
change. S3-compatible services other than AWS (MinIO, Cloudflare R2, a test server) are reached by setting
``AWS_ENDPOINT_URL_S3``; credentials come from the usual AWS variables or roles, never from this code.
"""

import functools
import os
import time
from pathlib import Path
from typing import Any, Protocol

from ..atomic import write_once
from ..errors import StageError
from ..settings import Settings

# A conditional PUT racing another on the same key may be answered 409 rather than 412: try again, and the
# answer becomes "written" or "already there".
CONFLICT_RETRIES = 5


class StoreError(StageError, OSError):
    """The log's storage is unusable or refused a request; the message names the problem and the fix."""


class LogStore(Protocol):
    """The log's files by key, a path relative to the log's root: ``events/ingest_date=.../b1.parquet``."""

    def write_once(self, key: str, content: bytes) -> bool:
        """Create ``key`` with ``content`` unless it exists; False when it was already there."""
        ...

    def read(self, key: str) -> bytes | None:
        """The content of ``key``, or None when there is no such file."""
        ...

    def exists(self, key: str) -> bool: ...

    def keys(self, folder: str) -> list[str]:
        """Every committed file under ``folder``, sorted (files being written are never listed)."""
        ...

    def find(self, folder: str, name: str) -> str | None:
        """The key of the file called ``name`` in any partition of ``folder``, if there is one."""
        ...

    def where(self, key: str) -> str:
        """Where ``key`` is, for people: a path or a URL."""
        ...


class LocalStore:
    """The log in a folder on the local disk."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def write_once(self, key: str, content: bytes) -> bool:
        return write_once(self.root / key, content)

    def read(self, key: str) -> bytes | None:
        try:
            return (self.root / key).read_bytes()
        except FileNotFoundError:
            return None

    def exists(self, key: str) -> bool:
        return (self.root / key).is_file()

    def keys(self, folder: str) -> list[str]:
        # Files being written are hidden (``.<name>.<random>.tmp``): only committed files are listed.
        return sorted(
            path.relative_to(self.root).as_posix()
            for path in (self.root / folder).rglob("*")
            if path.is_file() and not path.name.startswith(".")
        )

    def find(self, folder: str, name: str) -> str | None:
        found = next((self.root / folder).glob(f"*/{name}"), None)
        return None if found is None else found.relative_to(self.root).as_posix()

    def where(self, key: str) -> str:
        return str(self.root / key)


class ObjectStore:
    """The log in an S3 bucket, under a prefix: each file one object, created once, never replaced."""

    def __init__(self, bucket: str, prefix: str) -> None:
        self.bucket, self.prefix = bucket, prefix.strip("/")

    def write_once(self, key: str, content: bytes) -> bool:
        for _ in range(CONFLICT_RETRIES):
            try:
                self._call("put_object", key, Body=content, IfNoneMatch="*")
                return True
            except _RefusedError as refused:
                if refused.status == 412:  # PreconditionFailed: the object exists
                    return False
                if refused.status != 409:  # ConditionalRequestConflict: another write of it is in flight
                    raise refused.error from None
                time.sleep(0.1)
        raise StoreError(f"{self.where(key)} stayed in conflict with another write: send the batch again")

    def read(self, key: str) -> bytes | None:
        try:
            content: bytes = self._call("get_object", key)["Body"].read()
        except _RefusedError as refused:
            if refused.status == 404:
                return None
            raise refused.error from None
        return content

    def exists(self, key: str) -> bool:
        try:
            self._call("head_object", key)
        except _RefusedError as refused:
            if refused.status == 404:
                return False
            raise refused.error from None
        return True

    def keys(self, folder: str) -> list[str]:
        root = f"{self.prefix}/" if self.prefix else ""
        pages = _client().get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=root + folder)
        try:
            found = [item["Key"][len(root) :] for page in pages for item in page.get("Contents", [])]
        except _client_errors() as error:
            raise self._error("list", folder, error) from None
        return sorted(found)

    def find(self, folder: str, name: str) -> str | None:
        return next((key for key in self.keys(f"{folder}/") if key.rsplit("/", 1)[-1] == name), None)

    def where(self, key: str) -> str:
        return f"s3://{self.bucket}/{self._key(key)}"

    def _key(self, key: str) -> str:
        return f"{self.prefix}/{key}" if self.prefix else key

    def _call(self, operation: str, key: str, **arguments: Any) -> Any:
        try:
            return getattr(_client(), operation)(Bucket=self.bucket, Key=self._key(key), **arguments)
        except _client_errors() as error:
            response = getattr(error, "response", {})
            status = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            raise _RefusedError(status, self._error(operation, key, error)) from None

    def _error(self, operation: str, key: str, error: Exception) -> StoreError:
        return StoreError(
            f"object storage refused {operation} {self.where(key)} ({' '.join(str(error).split())}): check "
            "that the bucket exists and that the credentials in the environment (AWS_* variables, or the "
            "machine's role) may read and write it"
        )


class _RefusedError(Exception):
    """A request the object store answered with an error: its HTTP status, and the error to raise."""

    def __init__(self, status: int | None, error: StoreError) -> None:
        super().__init__(str(error))
        self.status, self.error = status, error


def open_store(settings: Settings) -> LogStore:
    """The store ``settings.log_url`` names: the workspace's ``data/log`` when it is empty."""
    url = settings.log_url.strip()
    if not url:
        return LocalStore(settings.log_root)
    scheme, _, rest = url.partition("://")
    bucket, _, prefix = rest.partition("/")
    if scheme != "s3" or not bucket:
        raise StoreError(
            f"log_url {url!r} is not a log location: leave it empty for data/log, or give "
            "s3://bucket/prefix (S3-compatible storage too, with AWS_ENDPOINT_URL_S3 set)"
        )
    return ObjectStore(bucket, prefix)


def copy_to_local(settings: Settings) -> int:
    """Copy what the local copy of a log on object storage lacks into ``data/log``; how many files.

    Files are written once and never change, so a file already copied is up to date: each call only adds the
    new ones, each in one step (readers of the copy never see half a file). A local log is its own copy.
    """
    store = open_store(settings)
    if isinstance(store, LocalStore):
        return 0
    local = LocalStore(settings.log_root)
    copied = 0
    for folder in ("batches/", "events/", "quarantine/", "retractions/"):
        present = set(local.keys(folder))
        for key in store.keys(folder):
            content = None if key in present else store.read(key)
            if content is not None:
                copied += local.write_once(key, content)
    return copied


def _client_errors() -> tuple[type[Exception], ...]:
    try:
        from botocore.exceptions import BotoCoreError, ClientError
    except ImportError:  # then no client was made, and no request failed
        return ()
    return (BotoCoreError, ClientError)


def _client() -> Any:
    return _client_of_process(os.getpid())


@functools.cache
def _client_of_process(pid: int) -> Any:
    """One S3 client per process: a client must not cross a fork, and creating one takes a while."""
    try:
        import boto3
    except ImportError:
        raise StoreError(
            "a log on object storage needs boto3, which this environment lacks: `uv sync --extra s3`"
        ) from None
    return boto3.client("s3")
