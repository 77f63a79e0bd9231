"""The stored reference runs of ``hpobench regress``: the store, and how it is (re)generated.

The reference store (``hpobench/results/reference/``, package data, from the repository's
``results/reference/``) holds the final normalised regret of every shipped method on a fixed
suite (:mod:`hpobench.evaluation.suites`) in one compact Parquet table (``reference.parquet``, one
row per run) with its provenance (``reference.json``: package versions, method hyperparameters,
data checksums, reference optima, the command). :func:`update_reference` (``hpobench regress
--update-reference [NAME ...]``) re-runs methods and replaces their rows, keeping the others'.
"""

from __future__ import annotations

import importlib.util
import json
import os
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import metadata, resources
from pathlib import Path
from typing import Any

import pandas as pd

from hpobench.contracts.benchmark import BenchmarkSpec
from hpobench.contracts.errors import DataError, HpobenchError
from hpobench.data.registry import METHODS_GROUP, load_method
from hpobench.evaluation.scoring import run_scored
from hpobench.evaluation.suites import REFERENCE_BUDGET, REFERENCE_SEEDS, SUITES, Suite, _check_data, _suite
from hpobench.execution.planning import plan_study
from hpobench.execution.store import atomic_write_bytes, scan_runs

__all__ = [
    "NOT_IN_SHIPPED_REFERENCE",
    "ReferenceStore",
    "default_reference_dir",
    "shipped_methods",
    "update_reference",
]


NOT_IN_SHIPPED_REFERENCE: dict[str, str] = {
    "dpl": "refits a 5-network ensemble at every one-step decision (0.44 s per refinement at 1,000 curve "
    "points, 250 epochs at each fit from scratch): 40 runs at 30x take hours on 2 cores",
    "dyhpo": "refits a deep-kernel GP at every one-step decision (1.7 s per refinement at 1,000 curve "
    "points, 250 steps at each fit from scratch): 40 runs at 30x take hours on 2 cores",
    "ifbo": "one FT-PFN forward pass per one-step decision (70-125 ms at 50-200 curve points on 2 "
    "cores) and thousands of decisions per 30x run: 40 runs take over an hour on 2 cores",
}
"""Shipped methods without shipped reference runs, with the reason (measured with
``benchmarks/bench_freeze_thaw.py``). Regress them against a store of your own:
``hpobench regress --update-reference dpl --reference-dir DIR`` then ``hpobench regress dpl
--reference-dir DIR``; ``update_reference`` without names leaves them out."""


TABLE = "reference.parquet"


RECORD = "reference.json"


FORMAT_VERSION = 1


def default_reference_dir() -> Path:
    """The reference store shipped with the package (``hpobench/results/reference``)."""
    return Path(str(resources.files("hpobench.results") / "reference"))


def shipped_methods() -> list[str]:
    """Names of the methods registered by the hpobench distribution itself, sorted."""
    names = set()
    for ep in metadata.entry_points(group=METHODS_GROUP):
        dist = getattr(ep, "dist", None)
        if dist is not None and dist.name == "hpobench":
            names.add(ep.name)
    return sorted(names)


def _available(name: str) -> bool:
    return all(importlib.util.find_spec(mod) is not None for mod in load_method(name).requires)


@dataclass(frozen=True)
class ReferenceStore:
    """A folder holding ``reference.parquet`` (one row per run) and ``reference.json``."""

    path: Path

    def scores(self) -> pd.DataFrame:
        """All stored runs (columns of :data:`hpobench.evaluation.scoring.SCORE_COLUMNS` minus run_id/error).

        Raises:
            DataError: The store has no table.
        """
        table = self.path / TABLE
        if not table.is_file():
            raise DataError(
                f"no reference runs in {self.path} (missing {TABLE}); "
                "create them with `hpobench regress --update-reference`"
            )
        return pd.read_parquet(table)

    def record(self) -> dict[str, Any]:
        """The provenance record (an empty dict when absent)."""
        path = self.path / RECORD
        if not path.is_file():
            return {}
        out = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(out, dict):
            raise DataError(f"{path} does not hold a JSON object")
        return out

    def methods(self) -> list[str]:
        """Methods with stored runs."""
        return sorted(self.scores()["method"].astype(str).unique())

    def select(
        self, method: str, *, benchmarks: Sequence[str] | None = None, seeds: Sequence[int] | None = None
    ) -> pd.DataFrame:
        """Stored runs of ``method`` on ``benchmarks`` x ``seeds`` (all when ``None``).

        Raises:
            HpobenchError: No stored run of ``method``.
        """
        scores = self.scores()
        rows = scores[scores["method"] == method]
        if rows.empty:
            raise HpobenchError(
                f"no stored reference runs for method {method!r} in {self.path} "
                f"(stored: {', '.join(self.methods())}); compare with --against NAME"
                + (
                    f" ({method} has none shipped: {NOT_IN_SHIPPED_REFERENCE[method]})"
                    if method in NOT_IN_SHIPPED_REFERENCE
                    else ""
                )
            )
        if benchmarks is not None:
            rows = rows[rows["benchmark"].isin(list(benchmarks))]
        if seeds is not None:
            rows = rows[rows["seed"].isin(list(seeds))]
        return rows.reset_index(drop=True)

    def upsert(self, scores: pd.DataFrame, record: Mapping[str, Any]) -> pd.DataFrame:
        """Store ``scores``, replacing stored rows of the same (method, benchmark, seed).

        ``method`` is the name the rows are stored under; ``record`` is merged into the
        provenance record (mappings key by key).

        Returns:
            The whole stored table after the update.
        """
        try:
            old = self.scores()
            current = self.record()
        except DataError:
            old, current = scores.iloc[:0], {}
        key = ["method", "benchmark", "seed"]
        new_keys = pd.MultiIndex.from_frame(scores[key].astype({"seed": "int64"}))
        kept = old[~pd.MultiIndex.from_frame(old[key].astype({"seed": "int64"})).isin(new_keys)]
        merged = pd.concat([kept, scores[list(kept.columns)] if len(old) else scores], ignore_index=True)
        for name, value in record.items():
            if isinstance(value, Mapping) and isinstance(current.get(name), dict):
                current[name].update(value)
            else:
                current[name] = value
        self.write(merged, current)
        return merged

    def write(self, scores: pd.DataFrame, record: Mapping[str, Any]) -> None:
        """Replace the store's table and record (atomically, file by file)."""
        self.path.mkdir(parents=True, exist_ok=True)
        table = scores.sort_values(["method", "benchmark", "seed"], kind="stable").reset_index(drop=True)
        columns = {
            "benchmark": "string",
            "method": "string",
            "seed": "int64",
            "budget": "string",
            "status": "string",
            "evaluations": "int64",
            "fidelity_spent": "float64",
            "regret": "float64",
            "normalized_regret": "float64",
            "ref_best": "float64",
            "ref_worst": "float64",
        }
        table = table[list(columns)].astype(columns)
        data = table.to_parquet(index=False, compression="zstd")
        atomic_write_bytes(self.path / TABLE, data)
        text = json.dumps(record, indent=1, sort_keys=True, default=str) + "\n"
        atomic_write_bytes(self.path / RECORD, text.encode("utf-8"))


def _record_entries(out: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """Per-method and per-task provenance gathered from a study's intact run records."""
    methods: dict[str, Any] = {}
    tasks: dict[str, Any] = {}
    for check in scan_runs(out).values():
        if check.provenance is None:
            continue  # not finished intact: the study reports it
        prov = check.provenance
        spec = prov["spec"]
        entry = methods.setdefault(spec["method"], {"runs": 0, "failed": 0})
        entry["runs"] += 1
        entry["failed"] += prov.get("status") != "ok"
        if "method_params" in prov:
            entry["params"] = prov["method_params"]
        files = {Path(p).name: sha for p, sha in (prov.get("data_files") or {}).items()}
        tasks[spec["benchmark"]] = {"reference": prov.get("reference"), "data_files": files}
        if "pareto_reference" in prov:
            tasks[spec["benchmark"]]["pareto_reference"] = prov["pareto_reference"]
        entry["versions"] = prov.get("versions", {})
    return methods, tasks


def record_seeds(store: ReferenceStore) -> list[int]:
    """Seeds recorded in ``store``'s provenance (none for a new store)."""
    return [int(x) for x in store.record().get("seeds", [])]


def update_reference(
    *,
    methods: Sequence[str] | None = None,
    suite: str | Suite = "default",
    seeds: Sequence[int] = REFERENCE_SEEDS,
    store: ReferenceStore | None = None,
    data_dir: str | os.PathLike[str] | None = None,
    jobs: int = 1,
    out: str | os.PathLike[str] | None = None,
    log: Any = print,
) -> ReferenceStore:
    """(Re)generate stored reference runs on every task of a suite (the shipped store: ``default``).

    Args:
        methods: Methods to (re)run; default: every shipped method whose optional dependencies are
            installed. Rows of other methods already in the store are kept.
        suite: Suite whose tasks are run (:data:`SUITES`, or a :class:`Suite`).
        seeds: Seeds of the runs (the shipped store: :data:`REFERENCE_SEEDS`).
        store: Where to write (default: the packaged store).
        data_dir: Benchmark data directory (the default suite needs it).
        jobs: Worker processes.
        out: Study directory to keep the runs; a temporary one if ``None``.
        log: Called with progress lines.

    Raises:
        DataError: No data directory.
        HpobenchError: A named method is unknown or every run of a method failed.
    """
    store = store or ReferenceStore(default_reference_dir())
    names = (
        list(methods)
        if methods
        else [m for m in shipped_methods() if _available(m) and m not in NOT_IN_SHIPPED_REFERENCE]
    )
    chosen = _suite(suite)
    specs = [BenchmarkSpec.parse(b) for b in chosen.benchmarks]
    _check_data(specs, data_dir, chosen.name)
    plan = plan_study(benchmarks=specs, methods=names, seeds=list(seeds), budget=REFERENCE_BUDGET)
    log(f"reference: {len(plan.runs)} runs ({len(names)} methods) -> {store.path}")
    with tempfile.TemporaryDirectory(prefix="hpobench-reference-") as tmp:
        study = Path(out or tmp)
        data = None if data_dir is None else Path(data_dir)
        scored = run_scored(plan, out=study, jobs=jobs, data_dir=data)
        method_records, task_records = _record_entries(study)
    new = scored.scores
    new = new.assign(method=new["method_name"])
    for name in names:
        rows = new[new["method"] == name]
        if len(rows) and (rows["status"] != "ok").all():
            raise HpobenchError(f"every reference run of {name} failed: {rows['error'].iloc[0]}")
    merged = store.upsert(
        new,
        {
            "format": FORMAT_VERSION,
            "generated_by": "hpobench regress --update-reference --data-dir DATA_DIR",
            "budget": str(REFERENCE_BUDGET),
            "seeds": sorted(set(record_seeds(store)) | set(seeds)),
            "suites": {s.name: list(s.benchmarks) for s in (*SUITES.values(), chosen)},
            "methods": {n: method_records.get(n, {}) for n in names},
            "tasks": task_records,
        },
    )
    log(f"reference: wrote {len(merged)} runs of {merged['method'].nunique()} methods to {store.path}")
    return store
