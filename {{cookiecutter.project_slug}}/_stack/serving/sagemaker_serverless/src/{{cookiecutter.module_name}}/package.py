"""Packaging: ``model.tar.gz`` for the SageMaker serverless endpoint, and promotion of the accepted model.

SageMaker unpacks the archive into ``/opt/ml/model``: the exported model, and in ``code/`` the inference
functions with the contract and the scorer they import, standard library only, so nothing of the training
stack ships and the container needs no extra package. Before anything is replaced, the archive itself is
unpacked and invoked in a fresh interpreter that sees nothing but its ``code/`` and the standard library; it
must reproduce the trained model's predictions. Only then do ``dist/model.tar.gz`` and the accepted model move
into place, so a failed run leaves the previous ones untouched.
"""

import gzip
import io
import json
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .promotion import PackagingError, accept, accepted_model, check_predictions
from .settings import Settings

SOURCE_DIR = Path(__file__).resolve().parent
# The folder's name, not __name__'s prefix: under `python -m` (make package) __name__ is "__main__".
PACKAGE = SOURCE_DIR.name
ARCHIVE_NAME = "model.tar.gz"
# The archive's members: where each comes from in this package (None: the exported model itself).
MEMBERS = {
    "model.json": None,
    "code/inference.py": "serving/inference.py",
    f"code/{PACKAGE}/__init__.py": "__init__.py",
    f"code/{PACKAGE}/contract.py": "contract.py",
    f"code/{PACKAGE}/scoring.py": "scoring.py",
}
# Sessions' features, as pandas' ``to_dict(orient="records")`` gives them.
Examples = Sequence[Mapping[Hashable, Any]]


@dataclass(frozen=True)
class Bundle:
    """The published archive, what the CloudFormation stack's model points at once uploaded to S3."""

    archive: Path
    version: str

    @property
    def size_bytes(self) -> int:
        return self.archive.stat().st_size


def package(
    exported: dict[str, Any], examples: Examples, expected: list[float], settings: Settings
) -> Bundle:
    """Build the archive, prove it reproduces ``expected`` on ``examples``, then publish it and the model."""
    settings.dist_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=settings.dist_dir, prefix=".build-") as scratch:
        staged = build_archive(exported, Path(scratch) / ARCHIVE_NAME)
        check_archive(staged.archive, examples, expected)
        bundle = Bundle(staged.archive.replace(settings.dist_dir / ARCHIVE_NAME), staged.version)
    accept(exported, settings)
    return bundle


def build_archive(exported: dict[str, Any], archive: Path) -> Bundle:
    """Write the archive reproducibly: the same model gives the same bytes (fixed order, times and owners)."""
    with (
        archive.open("wb") as raw,
        gzip.GzipFile(filename="", fileobj=raw, mode="wb", mtime=0) as zipped,
        tarfile.open(fileobj=zipped, mode="w", format=tarfile.PAX_FORMAT) as tar,
    ):
        for name, source in sorted(MEMBERS.items()):
            data = (
                (json.dumps(exported, indent=2) + "\n").encode()
                if source is None
                else (SOURCE_DIR / source).read_bytes()
            )
            member = tarfile.TarInfo(name)
            member.size, member.mode = len(data), 0o644
            tar.addfile(member, io.BytesIO(data))
    return Bundle(archive, str(exported.get("version", "unversioned")))


def check_archive(archive: Path, examples: Examples, expected: list[float]) -> None:
    """Unpack the archive, invoke it in a fresh, isolated interpreter: it must answer ``expected``."""
    script = (
        "import json, sys\n"
        "sys.path.insert(0, sys.argv[1] + '/code')\n"
        "import inference\n"
        "print(json.dumps(inference.invoke(inference.model_fn(sys.argv[1]), sys.stdin.read())))\n"
    )
    with tempfile.TemporaryDirectory(prefix=".model-", dir=archive.parent) as model_dir:
        unpack(archive, Path(model_dir))
        # -I ignores the environment, the user site and the current folder; -S drops site-packages: the
        # archive's code is the only thing importable beyond the standard library, as in the container.
        result = subprocess.run(  # noqa: S603 (fixed command, our own interpreter)
            [sys.executable, "-I", "-S", "-c", script, model_dir],
            input=json.dumps({"sessions": examples}),
            capture_output=True,
            text=True,
            check=False,
        )
    if result.returncode != 0:
        raise PackagingError(f"the archive failed to answer a request:\n{result.stderr.strip()}")
    status, body = json.loads(result.stdout)
    if status != 200:
        raise PackagingError(f"the archive answered {status}: {body}")
    answered = [p["purchase_probability"] for p in json.loads(body)["predictions"]]
    check_predictions(answered, expected, "the archive")


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
    settings = Settings()
    exported = accepted_model(settings)
    settings.dist_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=settings.dist_dir, prefix=".build-") as scratch:
        staged = build_archive(exported, Path(scratch) / ARCHIVE_NAME)
        bundle = Bundle(staged.archive.replace(settings.dist_dir / ARCHIVE_NAME), staged.version)
    print(f"archive {bundle.archive} ({bundle.size_bytes:,} bytes), model {bundle.version}")


if __name__ == "__main__":
    main()
