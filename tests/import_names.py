"""The top-level import names of set-up projects' environments: what a project's package must not be called.

A package named like anything the generated project imports, indirect dependencies included, shadows it:
``src/yaml/`` would hide PyYAML from dbt. The pre-generation hook refuses those names (``IMPORT_NAMES`` in
hooks/pre_gen_project.py); this module is where that list comes from and what keeps it complete.

- ``.venv/bin/python tests/import_names.py``, run by a project's own interpreter, prints the names its
  environment holds, one a line. The slow tests do that after each ``make setup`` and fail on a name the hook
  does not know, or on a locked package this machine did not install and ``ELSEWHERE`` does not name.
- ``python -m tests.import_names <project>/.venv ...`` prints the hook's ``IMPORT_NAMES`` assignment for the
  union of those environments and ``ELSEWHERE``. Give it one set-up project per stack value (the default bake
  and tests/test_runtime.py's combinations); ``--add`` keeps the names the hook lists already instead.

Standard library only, with no import from the tests package: any environment's interpreter can run it.
"""

import argparse
import ast
import fnmatch
import importlib.machinery
import importlib.metadata
import json
import re
import site
import subprocess
import sys
import textwrap
import tomllib
from collections.abc import Iterable
from pathlib import Path

HOOK = Path(__file__).resolve().parents[1] / "hooks" / "pre_gen_project.py"
# What the hook accepts as a module_name at all: other names need no place in its list.
MODULE_NAME = re.compile(r"[a-z][a-z0-9_]*")
EXTENSIONS = (*importlib.machinery.EXTENSION_SUFFIXES, ".so", ".pyd")
# Packages a project's uv.lock holds that no environment set up here has, with the names their wheels bring
# (read off the wheels, .pth folders included). The lock is resolved for every platform and Python version, an
# environment for one; PyTorch's CUDA build (compute=one_gpu or few_gpu_nodes) is gigabytes no test installs.
ELSEWHERE = {
    "async-timeout": "async_timeout",  # Python before 3.11.3
    "cuda-bindings": "cuda",  # PyTorch's CUDA build
    "cuda-pathfinder": "cuda",
    "cuda-toolkit": "",
    "nvidia-*": "nvidia",
    "triton": "triton",
    "httpx2-jsfetch": "httpx2_jsfetch",  # Pyodide
    "pywin32-ctypes": "win32ctypes",  # Windows
    "waitress": "waitress",
    "pywin32": """
        adodbapi adsi afxres authorization axcontrol axdebug axscript bits commctrl dde demos directsound
        exchange ifilter internet isapi lib mapi mmapfile mmsystem netbios ntsecuritycon odbc perfmon
        perfmondata propsys pyisapi_loader pythoncom pythonwin pywin pywin32_bootstrap pywin32_testutil
        pywintypes rasutil regcheck regutil scripts servicemanager shell sspi sspicon taskscheduler test
        timer win2kras win32 win32api win32clipboard win32com win32comext win32con win32console win32cred
        win32crypt win32cryptcon win32event win32evtlog win32evtlogutil win32file win32gui win32gui_struct
        win32help win32inet win32inetcon win32job win32lz win32net win32netcon win32pdh win32pdhquery
        win32pdhutil win32pipe win32print win32process win32profile win32ras win32rcparser win32security
        win32service win32serviceutil win32timezone win32trace win32traceutil win32transaction win32ts
        win32ui win32uiole win32verstamp win32wnet winerror winioctlcon winnt winperf winxpgui winxptheme
    """,
}


def site_folders() -> list[Path]:
    """The running environment's site-packages folders, where everything it installed lies."""
    folders = {Path(folder).resolve() for folder in site.getsitepackages()}
    return sorted(folder for folder in folders if folder.is_dir())


def path_folders(site_folder: Path) -> list[Path]:
    """``site_folder`` and the folders inside it its ``.pth`` files put on the path (pywin32's ``win32``).

    A ``.pth`` naming a folder outside site-packages is an editable project's source: the project's own.
    """
    folders = [site_folder]
    for pth in sorted(site_folder.glob("*.pth")):
        for line in pth.read_text(errors="replace").splitlines():
            folder = (site_folder / line.strip().replace("\\", "/")).resolve()
            if line.strip() and not line.startswith(("#", "import")) and folder.is_relative_to(site_folder):
                folders.append(folder)
    return [folder for folder in folders if folder.is_dir()]


def module_name(entry: Path) -> str | None:
    """The name ``import`` finds a path entry by: a module, an extension module, a package or a namespace."""
    if entry.is_dir():
        return entry.name if (entry / "__init__.py").is_file() or holds_modules(entry) else None
    return file_module(entry.name)


def file_module(name: str) -> str | None:
    """The module a file is, if any: ``six`` for ``six.py``, ``_yaml`` for ``_yaml.cpython-311-*.so``."""
    if name.endswith(".py"):
        return name.removesuffix(".py")
    suffix = next((suffix for suffix in EXTENSIONS if name.endswith(suffix)), None)
    return name.removesuffix(suffix).split(".")[0] if suffix else None


def holds_modules(folder: Path) -> bool:
    """Whether a folder without ``__init__.py`` is a namespace package (``google``), not data files."""
    return any(file_module(path.name) for path in folder.rglob("*"))


def declared_names(distribution: importlib.metadata.Distribution) -> set[str]:
    """The top-level names a distribution's metadata declares, read as ``packages_distributions()`` does."""
    top_level = distribution.read_text("top_level.txt")
    if top_level:
        return set(top_level.split())
    modules = [file for file in distribution.files or [] if file_module(file.name)]
    return {file.parts[0] if len(file.parts) > 1 else file_module(file.name) or "" for file in modules}


def is_local(distribution: importlib.metadata.Distribution) -> bool:
    """Whether it was installed from a folder, editable or not: the project itself, never a dependency."""
    origin = distribution.read_text("direct_url.json")
    return "dir_info" in json.loads(origin or "{}")


def environment_names(site_folders: list[Path]) -> set[str]:
    """Every top-level name an environment can import, but the project's own package.

    Both what the distributions' metadata declares and what lies on the path without metadata. Names are
    lowercased (on case-insensitive file systems, macOS's and Windows', ``pil/`` and ``PIL/`` are one folder)
    and kept if a module_name could take them.
    """
    distributions = list(importlib.metadata.distributions(path=[str(folder) for folder in site_folders]))
    declared = {name for d in distributions if not is_local(d) for name in declared_names(d)}
    projects = {name for d in distributions if is_local(d) for name in declared_names(d)} - declared
    folders = [folder for site_folder in site_folders for folder in path_folders(site_folder)]
    found = {module_name(entry) for folder in folders for entry in folder.iterdir()}
    names = {name.lower() for name in (declared | found) - projects if name}
    return {name for name in names if MODULE_NAME.fullmatch(name)}


def names_in(venv: Path) -> set[str]:
    """The names of the environment in ``venv`` (a project's ``.venv``), as its own interpreter sees them."""
    command = [str(venv / "bin" / "python"), "-I", __file__]  # -I: no PYTHONPATH, no user site-packages
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{result.stderr}")
    return set(result.stdout.split())


def normalized(package: str) -> str:
    """A package name as lock files and installers compare them (PEP 503)."""
    return re.sub(r"[-_.]+", "-", package).lower()


def not_installed(project: Path) -> set[str]:
    """Packages of the project's uv.lock its environment lacks: other platforms' and Pythons'."""
    locked = {
        normalized(package["name"]) for package in tomllib.loads((project / "uv.lock").read_text())["package"]
    }
    site_packages = [str(folder) for folder in (project / ".venv").glob("lib/python*/site-packages")]
    installed = {normalized(d.metadata["Name"]) for d in importlib.metadata.distributions(path=site_packages)}
    return locked - installed


def unexplained(packages: Iterable[str]) -> list[str]:
    """Those of ``packages`` ``ELSEWHERE`` does not name: their import names are in no list yet."""
    return sorted(p for p in packages if not any(fnmatch.fnmatch(p, pattern) for pattern in ELSEWHERE))


def elsewhere_names() -> set[str]:
    """The names the packages in ``ELSEWHERE`` bring."""
    return {name for names in ELSEWHERE.values() for name in names.split()}


def hook_names() -> set[str]:
    """The names the hook refuses as dependencies, read from its source (a template, not a module)."""
    [listed] = [
        node.value
        for node in ast.parse(HOOK.read_text()).body
        if isinstance(node, ast.Assign)
        and any(getattr(t, "id", None) == "IMPORT_NAMES" for t in node.targets)
    ]
    text: str = ast.literal_eval(listed)
    return set(text.split())


def hook_assignment(names: set[str]) -> str:
    """``IMPORT_NAMES`` as the hook writes it: sorted, whitespace-separated, wrapped at 110 columns."""
    lines = textwrap.wrap(" ".join(sorted(names)), width=106, break_on_hyphens=False)
    return 'IMPORT_NAMES = """\n' + "".join(f"    {line}\n" for line in lines) + '"""'


def main(arguments: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.import_names", description=__doc__.split("\n")[0])
    parser.add_argument("venvs", nargs="*", type=Path, help="set-up projects' .venv folders")
    parser.add_argument("--add", action="store_true", help="keep the names the hook lists already")
    options = parser.parse_args(arguments)
    if not options.venvs:  # run by an environment's interpreter: its own names
        print("\n".join(sorted(environment_names(site_folders()))))
        return 0
    names = elsewhere_names() | {name for venv in options.venvs for name in names_in(venv)}
    print(hook_assignment(names | hook_names() if options.add else names))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
