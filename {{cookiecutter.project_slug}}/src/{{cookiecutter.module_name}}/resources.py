"""What this machine, or the container it runs in, really offers: a training step must not take more.

``os.cpu_count()`` reports the host's cores even inside a container limited to two; the cgroup files say what
the scheduler will actually give.
"""

import os
from pathlib import Path

CGROUP = Path("/sys/fs/cgroup")


def usable_cpus(requested: int) -> int:
    """The cores to use: what was requested, capped by CPU affinity and the container's CPU quota."""
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    quota = _cgroup_cpu_quota()
    if quota is not None:
        cpus = min(cpus, quota)
    return max(1, min(requested, cpus))


def usable_memory_mb(requested: int) -> int:
    """The memory to plan for: what was requested, capped by the container's memory limit."""
    limit = _read_int(CGROUP / "memory.max") or _read_int(CGROUP / "memory" / "memory.limit_in_bytes")
    if limit is None:
        return requested
    return max(1, min(requested, limit // 2**20))


def duckdb_memory_limit_mb(requested: int) -> int:
    """Half of what the step may use: DuckDB spills to disk past its limit, Python needs the rest."""
    return usable_memory_mb(requested) // 2


def _cgroup_cpu_quota() -> int | None:
    """Whole cores allowed by cgroup v2 ``cpu.max`` or cgroup v1 ``cpu.cfs_quota_us``, if limited."""
    try:
        quota, period = (CGROUP / "cpu.max").read_text().split()
        if quota != "max":
            return max(1, int(quota) // int(period))
        return None
    except (OSError, ValueError):
        pass
    quota_us = _read_int(CGROUP / "cpu" / "cpu.cfs_quota_us")
    period_us = _read_int(CGROUP / "cpu" / "cpu.cfs_period_us")
    if quota_us and period_us and quota_us > 0:
        return max(1, quota_us // period_us)
    return None


def _read_int(path: Path) -> int | None:
    try:
        return int(path.read_text().strip())
    except (OSError, ValueError):
        return None
