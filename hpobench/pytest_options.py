"""The ``--hpo-*`` command-line options of the pytest plugin, registered early (``pytest11``).

pytest parses the command line before it imports a ``conftest.py``, so options of a plugin
enabled there (``pytest_plugins = [...]``) are unknown at that moment: ``--hpo-data-dir DIR``
(with a space) would make pytest take ``DIR`` for a test path and fail with "unrecognized
arguments". This module is the only part of hpobench registered under the ``pytest11`` entry
point: it adds the options and the ``hpo_reference_dir`` ini key and nothing else (no markers,
no hooks, no fixtures, no imports beyond the standard library), so unrelated test suites only
see a few more lines in ``pytest --help``. The plugin itself,
:mod:`hpobench.testing.pytest_plugin`, stays opt-in and registers the same options itself when
this module is not loaded (``-p no:hpobench`` or ``PYTEST_DISABLE_PLUGIN_AUTOLOAD``).
"""

from __future__ import annotations

from typing import Any

__all__ = ["DEFAULT_BUDGET", "DEFAULT_SEEDS", "add_hpo_options", "pytest_addoption"]

DEFAULT_SEEDS = "0-9"
"""Seeds of the plugin's runs when neither the option nor the marker names them."""
DEFAULT_BUDGET = "30x"
"""Budget of the plugin's runs when neither the option nor the marker names it."""


def add_hpo_options(parser: Any) -> None:
    """Register the ``--hpo-*`` options and the ``hpo_reference_dir`` ini key on ``parser``, once.

    Idempotent: the plugin and this module may both call it, in either order (``-p`` plugins
    load before entry points).

    Args:
        parser: pytest's ``Parser`` (typed loosely so this module imports nothing at start-up).
    """
    group = parser.getgroup("hpobench", "hpobench: benchmark HPO methods (-p hpobench.testing.pytest_plugin)")
    if any("--hpo-seeds" in option.names() for option in group.options):
        return
    group.addoption(
        "--hpo-seeds", default=None, help=f"seeds of every run, e.g. 0-4 (default {DEFAULT_SEEDS})"
    )
    group.addoption(
        "--hpo-budget", default=None, help=f"budget of every run: N, Nx or Ns (default {DEFAULT_BUDGET})"
    )
    group.addoption(
        "--hpo-jobs", type=int, default=1, help="worker processes for the runs (-1: one per usable core)"
    )
    group.addoption(
        "--hpo-data-dir", default=None, help="benchmark data directory (default $HPOBENCH_DATA_DIR)"
    )
    group.addoption(
        "--hpo-update-reference",
        action="store_true",
        help="store this session's results as the reference runs instead of comparing with them",
    )
    group.addoption("--hpo-out", default=None, help="keep (and resume) the session's runs in this directory")
    group.addoption("--hpo-reference-dir", default=None, help="reference store (default: hpobench's own)")
    parser.addini("hpo_reference_dir", "reference store of hpo_reference (relative to rootdir)", default="")


def pytest_addoption(parser: Any) -> None:
    """Register the options (pytest hook; runs before any ``conftest.py`` is imported)."""
    add_hpo_options(parser)
