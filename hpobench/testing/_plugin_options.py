"""The options of a pytest session with the hpobench plugin, read once and frozen.

:meth:`HpoOptions.from_config` reads the ``--hpo-*`` options (registered by
:mod:`hpobench.pytest_options`) and raises ``pytest.UsageError`` naming a bad value;
:func:`parse_seeds` reads ``"0-9"`` / ``"0,3,7"`` seed lists (the ``--hpo-seeds`` and marker form).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from hpobench.contracts.budget import Budget
from hpobench.contracts.errors import HpobenchError
from hpobench.data.datadir import resolve_data_dir


def parse_seeds(text: str) -> tuple[int, ...]:
    seeds: list[int] = []
    for part in str(text).split(","):
        lo, sep, hi = part.strip().partition("-")
        seeds.extend(range(int(lo), int(hi) + 1) if sep else [int(lo)])
    if not seeds or min(seeds) < 0:
        raise ValueError(f"seeds must be non-negative integers, got {text!r}")
    return tuple(dict.fromkeys(seeds))


@dataclass(frozen=True, kw_only=True)
class HpoOptions:
    """The session's hpobench options.

    Attributes:
        seeds: ``--hpo-seeds`` (``None``: the marker's or :data:`DEFAULT_SEEDS`).
        budget: ``--hpo-budget`` (``None``: the marker's or :data:`DEFAULT_BUDGET`).
        jobs: ``--hpo-jobs``.
        data_dir: ``--hpo-data-dir`` or ``$HPOBENCH_DATA_DIR``.
        update_reference: ``--hpo-update-reference``.
        out: ``--hpo-out`` (``None``: a session temporary directory).
        reference_dir: ``--hpo-reference-dir`` / ini ``hpo_reference_dir`` (``None``: packaged).
    """

    seeds: tuple[int, ...] | None
    budget: Budget | None
    jobs: int
    data_dir: Path | None
    update_reference: bool
    out: Path | None
    reference_dir: Path | None

    @classmethod
    def from_config(cls, config: pytest.Config) -> HpoOptions:
        """Read the options (raising ``pytest.UsageError`` for bad values)."""
        try:
            seeds = config.getoption("hpo_seeds")
            budget = config.getoption("hpo_budget")
            ref = config.getoption("hpo_reference_dir") or config.getini("hpo_reference_dir") or None
            out = config.getoption("hpo_out")
            return cls(
                seeds=None if seeds is None else parse_seeds(seeds),
                budget=None if budget is None else Budget.parse(budget),
                jobs=int(config.getoption("hpo_jobs")),
                data_dir=resolve_data_dir(config.getoption("hpo_data_dir")),
                update_reference=bool(config.getoption("hpo_update_reference")),
                out=None if out is None else Path(out),
                reference_dir=None if ref is None else Path(config.rootpath, str(ref)),
            )
        except (ValueError, HpobenchError) as exc:
            raise pytest.UsageError(f"hpobench: {exc}") from exc
