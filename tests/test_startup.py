"""Start-up: ``import hpobench`` and the command line's parser import nothing heavy.

Each check runs in a fresh interpreter (``cwd=tmp_path``, so the installed package is imported,
not the checkout's folder) and lists which heavy modules ended up in ``sys.modules``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

HEAVY = ("numpy", "pandas", "scipy", "ConfigSpace", "torch", "matplotlib", "pyarrow", "joblib", "sklearn")


def imported_after(code: str, cwd: Path) -> list[str]:
    """The heavy top-level modules imported by ``code`` in a fresh interpreter."""
    probe = f"{code}\nimport json, sys\nprint(json.dumps(sorted({{m.split('.')[0] for m in sys.modules}})))"
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=cwd, capture_output=True, text=True, check=True, timeout=120
    )
    loaded = set(json.loads(done.stdout.strip().splitlines()[-1]))
    return sorted(loaded & set(HEAVY))


def test_import_hpobench_imports_nothing_heavy(tmp_path: Path) -> None:
    assert imported_after("import hpobench", tmp_path) == []


def test_the_public_names_still_resolve_on_first_use(tmp_path: Path) -> None:
    import hpobench
    from hpobench.contracts.types import Task

    assert hpobench.Task is Task
    assert "Benchmark" in dir(hpobench)
    code = "import hpobench\nassert hpobench.Trial.__name__ == 'Trial'\nassert hpobench.__version__"
    assert "numpy" in imported_after(code, tmp_path)  # a real import happened on first use


def test_building_the_parser_and_reading_run_arguments_imports_nothing_heavy(tmp_path: Path) -> None:
    code = (
        "from hpobench.cli import build_parser\n"
        "args = build_parser().parse_args(['run', '--jobs', '2', '--budget', '10x', '--seeds', '0-2'])\n"
        "assert args.jobs == 2"
    )
    assert imported_after(code, tmp_path) == []


def test_run_help_prints_without_heavy_imports(tmp_path: Path) -> None:
    code = (
        "import contextlib, io\n"
        "from hpobench.cli import main\n"
        "out = io.StringIO()\n"
        "with contextlib.redirect_stdout(out), contextlib.suppress(SystemExit):\n"
        "    main(['run', '--help'])\n"
        "assert '--jobs' in out.getvalue()"
    )
    assert imported_after(code, tmp_path) == []


def test_the_fit_and_quality_modules_keep_their_arguments() -> None:
    import argparse

    from hpobench.surrogates import fitting, quality
    from hpobench.surrogates.fitted import MODELS_DIR

    fit = argparse.ArgumentParser()
    fitting.add_arguments(fit)
    assert fit.parse_args(["--family", "fcnet", "--out", "x"]).seed == 0
    qual = argparse.ArgumentParser()
    quality.add_arguments(qual)
    assert qual.parse_args([]).models is None  # read as the shipped models directory
    assert MODELS_DIR.is_dir()


def test_plugin_origins_and_versions_are_read_once_per_process_until_a_refresh() -> None:
    from hpobench.data import registry
    from hpobench.execution import runner

    registry.refresh()
    first = registry.plugin_origin(registry.METHODS_GROUP, "random_search")
    first["version"] = "changed by the caller"  # a caller's copy: the cache is not touched
    again = registry.plugin_origin(registry.METHODS_GROUP, "random_search")
    assert again["version"] != "changed by the caller"
    assert again["entry_point"] == "hpobench.methods.random_search:RandomSearch"
    assert registry._origin.cache_info().hits >= 1  # metadata parsed once, not once per run
    registry.refresh()
    assert registry._origin.cache_info().currsize == 0
    versions = runner._versions()
    versions["numpy"] = "changed by the caller"
    assert runner._versions()["numpy"] != "changed by the caller"
