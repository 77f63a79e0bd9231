"""Freeze-thaw methods against random search, Hyperband and ASHA on LCBench-style curves.

Paper: Rakotoarison, Adriaensen, Mallik, Garibov, Bergman & Hutter, "In-Context Freeze-Thaw
Bayesian Optimization for Hyperparameter Optimization", ICML 2024 (ifBO), whose Figure 4 shows
ifBO, DyHPO and DPL ahead of random search, Hyperband and ASHA in anytime normalised regret on
LCBench (and PD1, TaskSet) at equal budget.

Claim checked: at equal budget (``--budget`` multiples of one full training, default 20x),
DyHPO and DPL (and ``ifbo`` when it is installed) each reach lower *anytime* normalised regret
than random search, Hyperband and ASHA. The freeze-thaw baseline (``freeze_thaw``) runs beside
them as the floor a curve model must beat; it is reported, not tested. Anytime regret of a run:
the mean, over the ten budget points ``k / 10`` of the budget (``k = 1..10``, in fidelity spent,
continuation charged only its extra epochs), of the normalised regret of the incumbent at that
point (1 before the first result). The incumbent is the best configuration at any fidelity,
scored by its value at the maximal fidelity (``any_fidelity``), as the paper's regret curves
are. Paired one-sided Wilcoxon over (task, seed), alpha 0.05 per comparison.

Tasks (``--family``, default ``both``): the eight ``lcbench_own`` tasks (shipped in the package,
50 epochs, continuation) and four YAHPO ``lcbench`` surrogate tasks (52 epochs; need the data
directory and onnxruntime). YAHPO's surrogate declares no continuation, so there every
freeze-thaw step retrains from scratch and is charged its whole fidelity (as Hyperband's and
ASHA's promotions are there): that is not the freeze-thaw setting of the paper, and the verdict
is reported per family for this reason. ``--tasks N`` keeps the first N tasks of each family.

Output: the claim's verdict on every task together (exit status) and on each family, each
comparison with its means, paired differences, one-sided Wilcoxon p-value and number of
(task, seed) pairs; a line per candidate saying whether it beat all three baselines; mean final
and anytime regret and the mean method wall seconds per run of each method.

Deviations from the paper: our tables and surrogates instead of LCBench's 2,000-configuration
grids, 1 worker, budgets in full trainings instead of 1,000 epochs of training, the methods'
defaults of hpobench (see their docstrings), and with ``--max-steps N`` a coarser fidelity grid
for the freeze-thaw methods (N steps instead of one per epoch; fewer, larger decisions).

Run: ``python protocols/freeze_thaw_lcbench.py [--family both|lcbench_own|yahpo_lcbench]
[--tasks N] [--seeds N] [--budget 20x] [--max-steps N] [--jobs N] [--data-dir DIR] [--out DIR]``;
exit status 0 when the claim held on every task together, 1 when it did not, 2 on bad input.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from hpobench.contracts.errors import HpobenchError
from hpobench.data.datadir import resolve_data_dir
from hpobench.data.registry import load_method
from hpobench.evaluation.claims import Claim, ClaimResult, Comparison, Relation, evaluate_comparison
from hpobench.evaluation.scoring import run_scored
from hpobench.execution.runfiles import RUNS_DIR
from hpobench.results.load import load_results
from hpobench.results.regret import Incumbent, add_regret, resolve_references

LCBENCH_OWN = tuple(
    f"lcbench_own/{t}"
    for t in ("australian", "phoneme", "segment", "vehicle", "german", "magic", "satimage", "spambase")
)
YAHPO_LCBENCH = ("yahpo/lcbench-3945", "yahpo/lcbench-34539", "yahpo/lcbench-167168", "yahpo/lcbench-189908")
FAMILIES = {"lcbench_own": LCBENCH_OWN, "yahpo_lcbench": YAHPO_LCBENCH}
CANDIDATES = ("dyhpo", "dpl")
BASELINES = ("random_search", "hyperband", "asha")
FLOOR = "freeze_thaw"
POINTS = 10
"""Number of budget points the anytime regret averages over."""


def _ifbo_available() -> bool:
    """Whether ``ifbo`` can run with its default (hpobench's own) FT-PFN weights."""
    try:
        cls = load_method("ifbo")
        for module in cls.requires:
            __import__(module)
        from hpobench.methods._ftpfn import DEFAULT_WEIGHTS
    except Exception:  # not registered, an optional dependency missing, or its plugin fails to import
        return False
    return DEFAULT_WEIGHTS.is_file()


def make_claim(
    benchmarks: tuple[str, ...], *, budget: str, seeds: int, max_steps: int | None = None
) -> Claim:
    """The claim on ``benchmarks``: every candidate beats every baseline in anytime regret.

    ``max_steps`` (when given) is passed to the freeze-thaw methods (candidates and floor).
    """
    candidates = (*CANDIDATES, "ifbo") if _ifbo_available() else CANDIDATES
    methods = (*candidates, FLOOR, *BASELINES)
    kwargs = {} if max_steps is None else {m: {"max_steps": int(max_steps)} for m in (*candidates, FLOOR)}
    grid = "" if max_steps is None else f"; freeze-thaw methods with max_steps={max_steps}"
    return Claim(
        name="freeze_thaw_lcbench",
        paper="Rakotoarison et al. 2024, In-Context Freeze-Thaw BO (ifBO), ICML",
        statement="at equal budget, "
        + ", ".join(candidates)
        + " reach lower anytime normalised regret than random search, Hyperband and ASHA",
        benchmarks=benchmarks,
        budgets=dict.fromkeys(methods, budget),
        comparisons=tuple(
            Comparison(method=c, relation=Relation.BEATS, baseline=b) for c in candidates for b in BASELINES
        ),
        seeds=tuple(range(seeds)),
        column="anytime_regret",
        method_kwargs=kwargs,
        note=(
            "ifbo skipped (no shipped FT-PFN weights yet): DyHPO and DPL only; "
            if "ifbo" not in candidates
            else ""
        )
        + f"anytime regret = mean normalised regret at {POINTS} budget points; freeze_thaw reported only"
        + grid
        + (
            "; YAHPO lcbench has no continuation: freeze-thaw steps retrain from scratch there"
            if any(b.startswith("yahpo/") for b in benchmarks)
            else ""
        ),
    )


def anytime_regret(out: Path, *, budget_x: float) -> pd.Series:
    """Anytime normalised regret of every run of the study in ``out`` (index: run id)."""
    loaded = load_results(out)
    runs, _ = resolve_references(loaded.runs, loaded.evaluations)
    scored = add_regret(loaded.evaluations, runs, incumbent=Incumbent.ANY_FIDELITY)
    checkpoints = budget_x * np.arange(1, POINTS + 1) / POINTS
    values = {}
    for run_id, frame in scored.groupby("run_id", sort=True):
        spent = frame["fidelity_spent"].to_numpy(dtype=float)
        regret = frame["normalized_regret"].to_numpy(dtype=float)
        regret = np.where(np.isfinite(regret), regret, 1.0)
        last = np.searchsorted(spent, checkpoints * (1 + 1e-9), side="right") - 1
        at = np.where(last >= 0, regret[np.maximum(last, 0)], 1.0)
        values[run_id] = float(at.mean())
    return pd.Series(values, name="anytime_regret")


def method_seconds(out: Path) -> pd.Series:
    """Wall seconds spent inside the method per run (from each run's provenance; index: run id)."""
    values = {}
    for path in sorted((out / RUNS_DIR).glob("*.json")):
        record = json.loads(path.read_text())
        timing = record.get("timing") or {}
        if "run_id" in record and "method_seconds" in timing:
            values[str(record["run_id"])] = float(timing["method_seconds"])
    return pd.Series(values, name="method_seconds", dtype=float)


def evaluate(claim: Claim, scores: pd.DataFrame) -> ClaimResult:
    """Test the claim's comparisons on the rows of ``scores`` whose task is one of the claim's."""
    rows = scores[scores["benchmark"].isin(claim.benchmarks)].reset_index(drop=True)
    tests = tuple(
        evaluate_comparison(c, rows, alpha=claim.alpha, column=claim.column) for c in claim.comparisons
    )
    return ClaimResult(claim=claim, tests=tests, scores=rows)


def check(
    claim: Claim, *, budget_x: float, data_dir: Path | None, jobs: int, out: Path | None
) -> tuple[ClaimResult, pd.DataFrame]:
    """Run the claim's study and test the comparisons on anytime regret.

    Returns:
        The result on every task of the claim, and the scores (one row per run) with the
        columns ``anytime_regret`` and ``method_seconds`` added.
    """
    with tempfile.TemporaryDirectory(prefix="hpobench-freeze-thaw-") as tmp:
        where = out or Path(tmp)
        plan = claim.plan()
        scored = run_scored(plan, out=where, jobs=jobs, data_dir=data_dir, incumbent=claim.incumbent)
        if scored.summary.failed:
            run_id, error = scored.summary.failed[0]
            raise HpobenchError(f"{len(scored.summary.failed)} run(s) failed, e.g. {run_id}: {error}")
        anytime = anytime_regret(where, budget_x=budget_x)
        seconds = method_seconds(where)
    scores = scored.scores.copy()
    scores["anytime_regret"] = anytime.reindex(scores["run_id"]).to_numpy()
    scores["method_seconds"] = seconds.reindex(scores["run_id"]).to_numpy()
    return evaluate(claim, scores), scores


def candidate_lines(result: ClaimResult) -> list[str]:
    """One line per candidate: whether it beat every baseline, with the p-values."""
    lines = []
    for candidate in dict.fromkeys(t.comparison.method for t in result.tests):
        tests = [t for t in result.tests if t.comparison.method == candidate]
        held = all(t.held for t in tests)
        ps = ", ".join(f"{t.comparison.baseline} p = {t.pvalue:.3g}" for t in tests)
        lines.append(f"  {candidate}: {'HELD' if held else 'NOT HELD'} against all baselines ({ps})")
    return lines


def report(result: ClaimResult, scores: pd.DataFrame, *, families: dict[str, tuple[str, ...]]) -> str:
    """The verdict on every task together, per candidate, per family, and the per-method numbers."""
    n_pairs = scores[["benchmark", "seed"]].drop_duplicates().shape[0]
    lines = [
        f"== every task together ({len(result.claim.benchmarks)} tasks x {len(result.claim.seeds)} seeds"
        f" = {n_pairs} pairs per comparison)",
        result.report(),
        "per candidate (every task together):",
        *candidate_lines(result),
    ]
    if len(families) > 1:
        for family, tasks in families.items():
            part = replace(result.claim, name=f"{result.claim.name}[{family}]", benchmarks=tasks)
            sub = evaluate(part, scores)
            held = "HELD" if sub.held else "did NOT hold"
            lines.append(f"== {family} only ({len(tasks)} tasks x {len(result.claim.seeds)} seeds): {held}")
            lines.extend(t.describe() for t in sub.tests)
            lines.extend(candidate_lines(sub))
    columns = ["normalized_regret", "anytime_regret", "method_seconds"]
    table = scores.groupby("method_name", sort=True)[columns]
    lines.append("mean final and anytime normalised regret, and method wall seconds per run, per method:")
    lines.append(table.mean().to_string(float_format=lambda v: f"{v:.4f}"))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Command line: run the claim, print the report, exit 0/1/2."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--tasks", type=int, default=None, help="use only the first N tasks of each family")
    parser.add_argument("--budget", default="20x", help="budget of every method, in multiples (Nx)")
    parser.add_argument("--family", choices=[*FAMILIES, "both"], default="both")
    parser.add_argument("--max-steps", type=int, default=None, help="fidelity steps of freeze-thaw methods")
    parser.add_argument("--out", default=None)
    args = parser.parse_args(argv)
    try:
        if not str(args.budget).endswith("x"):
            raise ValueError(
                f"--budget must be a multiple of the maximal fidelity (e.g. 20x), got {args.budget!r}"
            )
        budget_x = float(str(args.budget)[:-1])
        if args.tasks is not None and args.tasks < 1:
            raise ValueError(f"--tasks must be at least 1, got {args.tasks}")
        if args.seeds < 2:
            raise ValueError(f"--seeds must be at least 2 for a paired test, got {args.seeds}")
        if args.max_steps is not None and args.max_steps < 2:
            raise ValueError(f"--max-steps must be at least 2, got {args.max_steps}")
        data_dir = resolve_data_dir(args.data_dir)
        names = list(FAMILIES) if args.family == "both" else [args.family]
        families = {f: FAMILIES[f][: args.tasks] for f in names}
        tasks = tuple(t for f in names for t in families[f])
        claim = make_claim(tasks, budget=args.budget, seeds=args.seeds, max_steps=args.max_steps)
        result, scores = check(
            claim,
            budget_x=budget_x,
            data_dir=data_dir,
            jobs=args.jobs,
            out=None if args.out is None else Path(args.out),
        )
    except (HpobenchError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(report(result, scores, families=families))
    return 0 if result.held else 1


if __name__ == "__main__":
    raise SystemExit(main())
