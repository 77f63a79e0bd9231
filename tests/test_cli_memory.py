"""hpobench.cli.memory: freed large arrays go back to the system (glibc), measured in a fresh process."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

PROBE = """
import os, sys
import numpy as np
from hpobench.cli.memory import return_freed_memory

def rss():
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")

fixed = sys.argv[1] == "fixed" and return_freed_memory()
big = np.ones(8 << 17)  # 8 MiB in its own mapping; freeing it raises glibc's dynamic threshold
del big
before = rss()
mid = np.ones(4 << 17)  # 4 MiB: below the raised threshold, so from the heap unless it is fixed
pin = np.ones(1 << 13)  # 64 KiB above it in the heap, so the heap's top cannot shrink
del mid
print(int(fixed), (rss() - before) >> 10)
"""


def _kept_kib(mode: str) -> tuple[bool, int]:
    out = subprocess.run(
        [sys.executable, "-c", PROBE, mode], capture_output=True, text=True, check=True, timeout=120
    ).stdout.split()
    return out[0] == "1", int(out[1])


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's allocator setting")
def test_a_freed_array_is_returned_once_the_threshold_is_fixed() -> None:
    fixed, kept = _kept_kib("fixed")
    if not fixed:
        pytest.skip("this C library has no mallopt (not glibc)")
    assert kept < 1024  # the 4 MiB went back to the system
    default_fixed, default_kept = _kept_kib("default")
    assert not default_fixed
    assert default_kept > 2048  # without the setting the heap keeps it (what the setting is for)


def test_the_commands_that_hold_a_study_set_it() -> None:
    import inspect

    from hpobench.cli import report, run

    for module in (run, report):
        assert "return_freed_memory()" in inspect.getsource(module)


def test_pyarrow_allocates_through_the_system_allocator_unless_the_user_chose_a_pool() -> None:
    after = "import pyarrow as pa; from hpobench.cli.memory import return_freed_memory as r; r()"
    before = "from hpobench.cli.memory import return_freed_memory as r; r(); import pyarrow as pa"
    child = "import subprocess, sys; " + (
        "print(subprocess.run([sys.executable, '-c', 'import pyarrow as pa; "
        "print(pa.default_memory_pool().backend_name)'], capture_output=True, text=True).stdout.strip())"
    )
    env = {k: v for k, v in os.environ.items() if k != "ARROW_DEFAULT_MEMORY_POOL"}
    for setup in (after, before):
        probe = f"{setup}; print(pa.default_memory_pool().backend_name); {child}"
        out = subprocess.run(
            [sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True
        )
        assert out.stdout.split() == ["system", "system"]  # this process and the ones it starts
        chosen = {**env, "ARROW_DEFAULT_MEMORY_POOL": "jemalloc"}
        kept = subprocess.run(
            [sys.executable, "-c", probe], env=chosen, capture_output=True, text=True, check=True
        )
        assert "system" not in kept.stdout.split()  # the user's choice (or arrow's fallback) stays
