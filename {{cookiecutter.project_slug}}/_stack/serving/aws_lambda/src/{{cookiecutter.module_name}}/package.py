"""Packaging: the deployment bundle for the serving target, and promotion of the accepted model.

The bundle holds the serving runtime (standard library only) and the exported model, nothing of the
training stack, so it is a few kilobytes and cold-starts in milliseconds. Before anything is replaced, the new
bundle is imported in a fresh interpreter that sees nothing but the bundle and must reproduce the trained
model's predictions; only then do the bundle and ``artifacts/model/model.json`` move into place, so a failed
run leaves the previous model untouched.
"""

import json
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .promotion import PackagingError, accept, accepted_model, check_predictions
from .settings import Settings

SOURCE_DIR = Path(__file__).resolve().parent
# The folder's name, not __name__'s prefix: under `python -m` (make package) __name__ is "__main__".
PACKAGE = SOURCE_DIR.name
# What the bundle needs from this package: the handler, the contract and scorer, and the package markers.
RUNTIME_FILES = ("__init__.py", "contract.py", "scoring.py", "serving/__init__.py", "serving/handler.py")
BUNDLE_NAME = "lambda"
# Sessions' features, as pandas' ``to_dict(orient="records")`` gives them.
Examples = Sequence[Mapping[Hashable, Any]]


@dataclass(frozen=True)
class Bundle:
    directory: Path
    archive: Path
    version: str

    @property
    def unzipped_bytes(self) -> int:
        return sum(path.stat().st_size for path in self.directory.rglob("*") if path.is_file())

    @property
    def zipped_bytes(self) -> int:
        return self.archive.stat().st_size


def package(
    exported: dict[str, Any], examples: Examples, expected: list[float], settings: Settings
) -> Bundle:
    """Build the bundle, prove it reproduces ``expected`` on ``examples``, then publish bundle and model."""
    settings.dist_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=settings.dist_dir, prefix=".build-") as scratch:
        staged = build_bundle(exported, Path(scratch))
        check_bundle(staged.directory, examples, expected)
        bundle = _publish(staged, settings.dist_dir)
    accept(exported, settings)
    return bundle


def build_bundle(exported: dict[str, Any], out_dir: Path) -> Bundle:
    """Lay out the bundle in ``out_dir/lambda`` and zip it reproducibly (fixed timestamps and order)."""
    directory = out_dir / BUNDLE_NAME
    for relative in RUNTIME_FILES:
        target = directory / PACKAGE / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(SOURCE_DIR / relative, target)
    (directory / PACKAGE / "serving" / "model.json").write_text(json.dumps(exported, indent=2) + "\n")

    archive = out_dir / f"{BUNDLE_NAME}.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zipped:
        for path in sorted(p for p in directory.rglob("*") if p.is_file()):
            info = zipfile.ZipInfo(path.relative_to(directory).as_posix(), date_time=(1980, 1, 1, 0, 0, 0))
            info.external_attr = 0o644 << 16
            zipped.writestr(info, path.read_bytes(), zipfile.ZIP_DEFLATED)
    return Bundle(directory, archive, str(exported.get("version", "unversioned")))


def check_bundle(directory: Path, examples: Examples, expected: list[float]) -> None:
    """Invoke the bundled handler in a fresh, isolated interpreter; its answers must equal ``expected``."""
    event = {
        "version": "2.0",
        "rawPath": "/predict",
        "requestContext": {"http": {"method": "POST"}},
        "body": json.dumps({"sessions": examples}),
    }
    script = (
        "import json, sys\n"
        "sys.path.insert(0, sys.argv[1])\n"
        f"from {PACKAGE}.serving.handler import handler\n"
        "print(json.dumps(handler(json.load(sys.stdin))))\n"
    )
    # -I ignores the environment, the user site and the current folder; -S drops site-packages: the bundle is
    # the only thing importable beyond the standard library, as on Lambda.
    result = subprocess.run(  # noqa: S603 (fixed command, our own interpreter)
        [sys.executable, "-I", "-S", "-c", script, str(directory)],
        input=json.dumps(event),
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise PackagingError(f"the bundle failed to answer a request:\n{result.stderr.strip()}")
    response = json.loads(result.stdout)
    if response["statusCode"] != 200:
        raise PackagingError(f"the bundle answered {response['statusCode']}: {response['body']}")
    answered = [p["purchase_probability"] for p in json.loads(response["body"])["predictions"]]
    check_predictions(answered, expected, "the bundle")


def _publish(staged: Bundle, dist_dir: Path) -> Bundle:
    """Swap the staged bundle into ``dist/``; the old one is removed only once the new one is in place."""
    final = Bundle(dist_dir / BUNDLE_NAME, dist_dir / f"{BUNDLE_NAME}.zip", staged.version)
    retired = staged.directory.with_name("retired")
    if final.directory.exists():
        final.directory.rename(retired)
    staged.directory.rename(final.directory)
    staged.archive.replace(final.archive)
    shutil.rmtree(retired, ignore_errors=True)
    return final


def main() -> None:
    """``make package``: rebuild the bundle from the accepted model, without retraining."""
    settings = Settings()
    exported = accepted_model(settings)
    settings.dist_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=settings.dist_dir, prefix=".build-") as scratch:
        bundle = _publish(build_bundle(exported, Path(scratch)), settings.dist_dir)
    print(f"bundle {bundle.archive} ({bundle.zipped_bytes:,} bytes zipped), model {bundle.version}")


if __name__ == "__main__":
    main()
