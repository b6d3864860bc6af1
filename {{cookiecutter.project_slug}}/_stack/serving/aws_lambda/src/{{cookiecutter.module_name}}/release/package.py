"""Packaging: the deployment bundle for the serving target, and promotion of the accepted model.

The bundle holds the serving runtime (standard library only) and the exported model, nothing of the
training stack, so it is a few kilobytes and cold-starts in milliseconds. It is built in the run's folder
(``bundle/lambda.zip``, and beside it its files unzipped) and imported in a fresh interpreter that sees
nothing but the bundle, which must reproduce the trained model's predictions; only then is the run accepted,
and ``dist/`` shows its bundle (``promotion.py``).
"""

import sys
import zipfile
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
    check_in_fresh_interpreter,
    lay_out,
    promote,
    rebuild,
)

BUNDLE_NAME = "lambda"
# The bundle's files: the handler and what it imports, and the exported model beside it.
FILES: dict[str, str | None] = {
    **{f"{PACKAGE}/{name}": name for name in (*CORE_FILES, "serving/handler.py")},
    f"{PACKAGE}/serving/model.json": None,
}


def package(
    exported: dict[str, Any], examples: Examples, expected: list[float], settings: Settings, run: Run
) -> Bundle:
    """Build the bundle, prove it reproduces ``expected`` on ``examples``, then accept the run."""
    return promote(exported, examples, expected, settings, run, build, check)


def build(exported: dict[str, Any], out_dir: Path) -> Bundle:
    """Lay out the bundle in ``out_dir/lambda`` and zip it reproducibly (fixed timestamps and order)."""
    directory = out_dir / BUNDLE_NAME
    lay_out(directory, FILES, exported)
    archive = out_dir / f"{BUNDLE_NAME}.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zipped:
        for path in sorted(p for p in directory.rglob("*") if p.is_file()):
            info = zipfile.ZipInfo(path.relative_to(directory).as_posix(), date_time=(1980, 1, 1, 0, 0, 0))
            info.external_attr = 0o644 << 16
            zipped.writestr(info, path.read_bytes(), zipfile.ZIP_DEFLATED)
    return Bundle.of(archive, exported)


def check(staged: Bundle, examples: Examples, expected: list[float]) -> None:
    """Invoke the bundled handler with API Gateway's event, with nothing importable but the bundle."""
    script = (
        "import json, sys\n"
        "sys.path.insert(0, sys.argv[1])\n"
        f"from {PACKAGE}.serving.handler import handler\n"
        "http = {'method': 'POST'}\n"
        "event = {'version': '2.0', 'rawPath': '/predict', 'requestContext': {'http': http}}\n"
        "response = handler(event | {'body': sys.stdin.read()})\n"
        "print(json.dumps([response['statusCode'], json.loads(response['body'])]))\n"
    )
    directory = unzipped(staged)
    check_in_fresh_interpreter(script, directory, examples, expected, "the bundle", site_packages=False)


def unzipped(bundle: Bundle) -> Path:
    """The folder beside the zip that holds its files unzipped."""
    return bundle.archive.with_suffix("")


def main() -> None:
    """``make package``: rebuild the bundle from the accepted model, without retraining."""
    try:
        bundle = rebuild(Settings(), build, check)
    except StageError as error:
        sys.exit(f"error: {error}")
    print(f"bundle {bundle.archive} ({bundle.archive.stat().st_size:,} bytes zipped), model {bundle.version}")


if __name__ == "__main__":
    main()
