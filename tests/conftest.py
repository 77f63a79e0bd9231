"""Shared fixtures: the real benchmark data directory (skips when absent), regression-test plugins."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from hpobench.data.datadir import ENV_VAR

_FALLBACK = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The benchmark data directory: ``$HPOBENCH_DATA_DIR``, else ``../shared/data``; skips if absent."""
    raw = os.environ.get(ENV_VAR)
    path = Path(raw).expanduser() if raw else _FALLBACK
    if not path.is_dir():
        source = f"${ENV_VAR}" if raw else "the fallback ../shared/data"
        pytest.skip(f"benchmark data directory {str(path)!r} (from {source}) does not exist")
    return path.resolve()


@pytest.fixture(scope="module")
def plugins(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Install the misbehaving test plugins of ``plugin_dist.py`` for one test module."""
    from plugin_dist import activate, deactivate, write_plugin_dist

    dest = write_plugin_dist(tmp_path_factory.mktemp("plugins"))
    activate(dest)
    yield dest
    deactivate(dest)


@pytest.fixture(scope="module")
def regress_plugins(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Install the two random-search versions of ``regress_plugins.py`` for one test module."""
    from regress_plugins import install, uninstall

    dest = install(tmp_path_factory.mktemp("regress-plugins"))
    yield dest
    uninstall(dest)


@pytest.fixture(scope="module")
def mo_family(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Register the multi-objective test family ``testmo`` of ``mo_plugin.py`` for one test module."""
    from mo_plugin import install, uninstall

    dest = install(tmp_path_factory.mktemp("mo-plugin"))
    yield dest
    uninstall(dest)
