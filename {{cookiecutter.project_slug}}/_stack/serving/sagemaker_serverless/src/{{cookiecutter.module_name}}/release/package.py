"""Packaging: ``model.tar.gz`` for the SageMaker serverless endpoint, and promotion of the accepted model.

SageMaker unpacks the archive into ``/opt/ml/model``: the exported model, and in ``code/`` the inference
functions with the API, the contract and the scorer they import, standard library only, so nothing of the
training stack ships and the container needs no extra package. The archive is built in the run's folder,
unpacked and invoked in a fresh interpreter that sees nothing but its ``code/`` and the standard library; it
must reproduce the trained model's predictions before the run is accepted and ``dist/model.tar.gz`` shows it
(``promotion.py``).
"""

import gzip
import io
import sys
import tarfile
import tempfile
from pathlib import Path
from typing import Any

from ..errors import StageError
from ..runs import Run
from ..settings import Settings
from .promotion import (
    CORE_FILES,
    PACKAGE,
    Bundle,
    Examples,
    PackagingError,
    check_in_fresh_interpreter,
    file_content,
    promote,
    rebuild,
)

ARCHIVE_NAME = "model.tar.gz"
# The archive's members: where each comes from in this package (None: the exported model itself).
MEMBERS: dict[str, str | None] = {
    "model.json": None,
    "code/inference.py": "serving/inference.py",
    **{f"code/{PACKAGE}/{name}": name for name in CORE_FILES},
}


def package(
    exported: dict[str, Any], examples: Examples, expected: list[float], settings: Settings, run: Run
) -> Bundle:
    """Build the archive, prove it reproduces ``expected`` on ``examples``, then accept the run."""
    return promote(exported, examples, expected, settings, run, build, check)


def build(exported: dict[str, Any], out_dir: Path) -> Bundle:
    """Write ``out_dir/model.tar.gz`` reproducibly: the same model, the same bytes (order, times, owners)."""
    archive = out_dir / ARCHIVE_NAME
    out_dir.mkdir(parents=True, exist_ok=True)
    with (
        archive.open("wb") as raw,
        gzip.GzipFile(filename="", fileobj=raw, mode="wb", mtime=0) as zipped,
        tarfile.open(fileobj=zipped, mode="w", format=tarfile.PAX_FORMAT) as tar,
    ):
        for name, source in sorted(MEMBERS.items()):
            data = file_content(source, exported)
            member = tarfile.TarInfo(name)
            member.size, member.mode = len(data), 0o644
            tar.addfile(member, io.BytesIO(data))
    return Bundle.of(archive, exported)


def check(staged: Bundle, examples: Examples, expected: list[float]) -> None:
    """Unpack the archive and invoke it with nothing importable but its ``code/``, as in the container."""
    script = (
        "import json, sys\n"
        "sys.path.insert(0, sys.argv[1] + '/code')\n"
        "import inference\n"
        "status, body = inference.invoke(inference.model_fn(sys.argv[1]), sys.stdin.read())\n"
        "print(json.dumps([status, json.loads(body)]))\n"
    )
    with tempfile.TemporaryDirectory(prefix=".model-", dir=staged.archive.parent) as model_dir:
        unpack(staged.archive, Path(model_dir))
        check_in_fresh_interpreter(
            script, Path(model_dir), examples, expected, "the archive", site_packages=False
        )


def unpack(archive: Path, model_dir: Path) -> None:
    """Unpack the archive as SageMaker does, refusing anything but the expected files."""
    with tarfile.open(archive) as tar:
        for member in tar.getmembers():
            content = tar.extractfile(member) if member.name in MEMBERS else None
            if content is None:
                raise PackagingError(f"the archive holds an unexpected member: {member.name}")
            target = model_dir / member.name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content.read())


def main() -> None:
    """``make package``: rebuild the archive from the accepted model, without retraining."""
    try:
        bundle = rebuild(Settings(), build, check)
    except StageError as error:
        sys.exit(f"error: {error}")
    print(f"archive {bundle.archive} ({bundle.archive.stat().st_size:,} bytes), model {bundle.version}")


if __name__ == "__main__":
    main()
