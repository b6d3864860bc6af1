"""Writing files so that a reader, or a process killed at any moment, never sees half of one.

Both write the content to a hidden temporary file beside the target and sync it first. ``write_once`` then
hard-links it into place, which fails when the target exists: two writers racing leave exactly one file, the
log's guarantee. ``write_atomically`` renames it over the target: readers see the old file or the new one.
"""

import os
import uuid
from pathlib import Path


def write_once(path: Path, content: bytes) -> bool:
    """Write ``path`` unless it exists; False when it was already there (its content is left as it is)."""
    temporary = _staged(path, content)
    try:
        try:
            os.link(temporary, path)
        except FileExistsError:
            return False
        fsync_dir(path.parent)
        return True
    finally:
        temporary.unlink(missing_ok=True)


def write_atomically(path: Path, content: bytes) -> None:
    """Replace ``path`` with ``content`` in one step."""
    temporary = _staged(path, content)
    try:
        temporary.replace(path)
        fsync_dir(path.parent)
    finally:
        temporary.unlink(missing_ok=True)


def fsync_dir(directory: Path) -> None:
    """Make a new directory entry durable (a no-op where directories cannot be opened, e.g. Windows)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _staged(path: Path, content: bytes) -> Path:
    """``content`` in a hidden temporary file beside ``path``, synced to disk."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    with open(temporary, "wb") as handle:
        handle.write(content)
        handle.flush()
        os.fsync(handle.fileno())
    return temporary
