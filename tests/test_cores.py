"""``--jobs -1`` and "one per core" count the cores a process may use, not the machine's.

A batch job (SLURM, ``taskset``) holds a process to a few cores by its CPU affinity, a container by
its cgroup's CPU quota; ``os.cpu_count()`` sees neither. Real worker pools are started under a real
affinity restriction (a child process that restricts itself) and under a quota file of the layout
the kernel writes; joblib's own count, which reads the same sources, is the peer.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import joblib
import pytest

from hpobench.contracts import cores
from hpobench.contracts.cores import available_cores, cgroup_cpu_limit
from hpobench.execution.containment import Limits, run_contained
from hpobench.execution.threads import local_workers, thread_share
from hpobench.surrogates import _onnx

needs_affinity = pytest.mark.skipif(not hasattr(os, "sched_setaffinity"), reason="no CPU affinity here")
needs_two_cores = pytest.mark.skipif(available_cores() < 2, reason="one usable core: nothing to restrict")


def _cgroup(root: Path, *, v2: str | None = None, v1: tuple[str, str] | None = None) -> Path:
    """A cgroup mount point with the files the kernel writes (``cpu.max``; ``cpu/cpu.cfs_*_us``)."""
    root.mkdir(parents=True, exist_ok=True)
    if v2 is not None:
        (root / "cpu.max").write_text(v2 + "\n")
    if v1 is not None:
        (root / "cpu").mkdir(exist_ok=True)
        (root / "cpu" / "cpu.cfs_quota_us").write_text(v1[0] + "\n")
        (root / "cpu" / "cpu.cfs_period_us").write_text(v1[1] + "\n")
    return root


@pytest.mark.parametrize(
    ("v2", "v1", "expected"),
    [
        ("200000 100000", None, 2),
        ("150000 100000", None, 2),  # a part of a core counts as a core
        ("50000 100000", None, 1),
        ("max 100000", None, None),  # cgroup v2 without a quota
        ("max 100000", ("300000", "100000"), None),  # v2 answers: v1's files are not read
        (None, ("300000", "100000"), 3),
        (None, ("-1", "100000"), None),  # cgroup v1 without a quota
        ("garbage", ("100000", "100000"), 1),  # an unreadable cpu.max: v1 is asked
        ("abc 100000", None, None),
        (None, None, None),  # no cgroup file system (not Linux)
    ],
)
def test_the_cgroup_quota_is_read_as_the_kernel_writes_it(
    tmp_path: Path, v2: str | None, v1: tuple[str, str] | None, expected: int | None
) -> None:
    assert cgroup_cpu_limit(_cgroup(tmp_path / "cgroup", v2=v2, v1=v1)) == expected


def test_the_count_agrees_with_joblib_here() -> None:
    assert available_cores() == joblib.cpu_count()
    assert 1 <= available_cores() <= (os.cpu_count() or 1)


@needs_affinity
@needs_two_cores
def test_a_process_held_to_one_core_starts_one_worker_for_minus_one(tmp_path: Path) -> None:
    script = """
import json, os
os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
import joblib
from hpobench.contracts.cores import available_cores
from hpobench.execution.containment import Limits, run_contained
from hpobench.execution.threads import local_workers, thread_share
seen = []
results = list(run_contained(abs, [-1, -2, -3, -4], jobs=-1, limits=Limits(), on_workers=seen.append))
print(json.dumps({
    "values": sorted(r.value for r in results),
    "workers": max(map(len, seen)),
    "ours": available_cores(),
    "joblib": joblib.cpu_count(),
    "local": local_workers(-1),
    "share": thread_share(1),
    "machine": os.cpu_count(),
}))
"""
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    got = json.loads(done.stdout.strip().splitlines()[-1])
    assert got["machine"] >= 2  # the machine has more cores than the process may use
    assert got["values"] == [1, 2, 3, 4]
    assert got["workers"] == got["ours"] == got["joblib"] == got["local"] == got["share"] == 1


@needs_two_cores
def test_a_cgroup_quota_of_one_core_starts_one_worker_for_minus_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cores, "CGROUP_ROOT", _cgroup(tmp_path / "cgroup", v2="100000 100000"))
    assert available_cores() == local_workers(-1) == thread_share(1) == 1
    seen: list[list[int]] = []
    results = list(run_contained(abs, [-1, -2, -3, -4], jobs=-1, limits=Limits(), on_workers=seen.append))
    assert sorted(r.value for r in results if r.value is not None) == [1, 2, 3, 4]
    assert max(map(len, seen)) == 1
    monkeypatch.setattr(cores, "CGROUP_ROOT", _cgroup(tmp_path / "none", v2="max 100000"))
    assert available_cores() == local_workers(-1) > 1


@needs_two_cores
def test_onnx_threads_zero_take_one_per_usable_core(
    data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("onnxruntime")
    model = data_dir / "yahpo" / "lcbench" / "model.onnx"
    monkeypatch.setenv(_onnx.THREADS_ENV_VAR, "0")
    monkeypatch.setattr(cores, "CGROUP_ROOT", _cgroup(tmp_path / "cgroup", v2="100000 100000"))
    _onnx._load.cache_clear()
    try:
        assert _onnx.load_onnx_model(model, what="lcbench").workers == 1
        monkeypatch.setattr(cores, "CGROUP_ROOT", _cgroup(tmp_path / "none", v2="max 100000"))
        _onnx._load.cache_clear()
        assert _onnx.load_onnx_model(model, what="lcbench").workers == available_cores() > 1
    finally:
        _onnx._load.cache_clear()


@needs_affinity
@needs_two_cores
def test_hpobench_run_says_how_many_jobs_run_on_how_many_usable_cores(tmp_path: Path) -> None:
    one = min(os.sched_getaffinity(0))
    study = [
        "--benchmarks",
        "synthetic/branin",
        "--methods",
        "random_search",
        "--seeds",
        "0-2",
        "--budget",
        "5",
    ]
    lines = {}
    for jobs in ("-1", "3", "1"):
        done = subprocess.run(
            [sys.executable, "-m", "hpobench", "run", *study, "--jobs", jobs, "--out", f"s{jobs}", "--quiet"],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
            preexec_fn=lambda: os.sched_setaffinity(0, {one}),  # the command held to one core
        )
        assert done.returncode == 0, done.stderr
        lines[jobs] = next(x for x in done.stderr.splitlines() if x.startswith("study: "))
    assert "3 runs, budget 5evals each, 1 job(s) (one per usable core) ->" in lines["-1"]
    assert "3 job(s) on 1 usable core(s): the runs share cores ->" in lines["3"]
    assert "budget 5evals each, 1 job(s) ->" in lines["1"]
