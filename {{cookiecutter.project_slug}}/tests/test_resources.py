"""Training takes what the container allows, not what the host has."""

from pathlib import Path

import pytest

from {{ cookiecutter.module_name }} import resources


@pytest.fixture
def cgroup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(resources, "CGROUP", tmp_path)
    monkeypatch.setattr("os.sched_getaffinity", lambda _: set(range(64)), raising=False)
    return tmp_path


def test_a_cgroup_v2_quota_caps_the_cores(cgroup: Path) -> None:
    (cgroup / "cpu.max").write_text("200000 100000\n")

    assert resources.usable_cpus(16) == 2


def test_without_a_quota_the_request_and_the_machine_decide(cgroup: Path) -> None:
    (cgroup / "cpu.max").write_text("max 100000\n")

    assert resources.usable_cpus(16) == 16
    assert resources.usable_cpus(100) == 64


def test_a_cgroup_v1_quota_caps_the_cores(cgroup: Path) -> None:
    (cgroup / "cpu").mkdir()
    (cgroup / "cpu" / "cpu.cfs_quota_us").write_text("150000\n")
    (cgroup / "cpu" / "cpu.cfs_period_us").write_text("100000\n")

    assert resources.usable_cpus(8) == 1


def test_memory_is_capped_by_the_container_limit(cgroup: Path) -> None:
    (cgroup / "memory.max").write_text(str(4 * 2**30))

    assert resources.usable_memory_mb(16_000) == 4096
    (cgroup / "memory.max").write_text("max\n")
    assert resources.usable_memory_mb(16_000) == 16_000
