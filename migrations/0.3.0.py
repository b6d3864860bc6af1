"""Leads to 0.3.0: the generated package laid out by stage (CHANGELOG.md, "The package laid out by stage").

cruft's merge carries the moved files themselves, with the repository's edits, as renames. What it cannot
see is the repository's own code importing them by their old names: `make update-template` rewrites those
imports from this table (`event_log` is now `log/events.py`...), and names each edited file that the
template moved too far for a merge (it says where its edits go).
"""

# Old module inside the package -> its new place (dotted, inside the package).
MODULES = {
    "event_log": "log.events",
    "sample": "log.sample",
    "targets": "warehouse.targets",
    "warehouse": "warehouse.read",
    "transform": "warehouse.transform",
    "dbt_contract": "warehouse.dbt_tests",
    "production": "warehouse.production",
    "load_raw": "warehouse.load_raw",
    "raw_tables": "warehouse.raw_tables",
    "gate": "quality.gate",
    "quality": "quality.checks",
    "train": "model.train",
    "evaluate": "model.evaluate",
    "tracking": "model.tracking",
    "promotion": "release.promotion",
    "package": "release.package",
    "api": "serving.api",
    "scoring": "serving.scoring",
    "serve_local": "serving.serve_local",
    "local_server": "serving.local_server",
}
