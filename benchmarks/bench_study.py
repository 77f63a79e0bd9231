"""A whole study end to end: wall time and peak memory of ``hpobench run`` and ``hpobench report``.

The study of issue 17's last row, as the CLI runs it (each command in its own process, its
worker processes included): 10 methods (random search, successive halving, Hyperband, ASHA,
BOHB, DEHB, TPE, GP-BO, CQR-BO, regularized evolution) x every single-objective task of fcnet,
fcnet_own, hpobench_nn, lcbench_own, nb201, synthetic and taskset, the 4 fitted FCNet surrogates
and the first 34 YAHPO ``lcbench`` tasks (79 tasks) x ``--seeds`` seeds at ``--budget``, with
``--jobs`` worker processes. Then ``hpobench report`` on the result.

Memory is sampled every 0.2 s as the proportional set size (PSS: each shared page split among
the processes that map it, so the fork server's pages shared by its workers count once) summed
over the command's process tree (the command, the fork server and the workers), and as the
largest single process's resident set. From the runs' provenance it then prints the time spent
inside the methods and the benchmarks, and the floor that sets: no harness can finish the
study faster than (method + benchmark seconds) / jobs. Nothing here is compared with a peer:
the goal is absolute (<= 5 min and <= 1 GB on a 2-core machine). ``--tasks-per-family N`` and ``--seeds``
shrink the study for a quick look (the goal line is then marked as not the goal's size).

Run (one command; the data folder is the one argument)::

    python benchmarks/bench_study.py /path/to/data [--seeds 10] [--budget 100x] [--jobs 2]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil
from _timing import goal_line

from hpobench.execution.runfiles import read_provenance

METHODS = (
    "random_search",
    "successive_halving",
    "hyperband",
    "asha",
    "bohb",
    "dehb",
    "tpe",
    "gp_bo",
    "cqr_bo",
    "regularized_evolution",
)
FAMILIES = ("fcnet", "fcnet_own", "hpobench_nn", "lcbench_own", "nb201", "synthetic", "taskset")
FITTED = 4  # the fitted FCNet surrogates (the first tasks of ``fitted``)
YAHPO_LCBENCH = 34
GOAL_SECONDS, GOAL_BYTES = 300.0, 1 << 30


def tasks(data_dir: Path, per_family: int | None, limits: dict[str, int] | None = None) -> list[str]:
    """The study's task names, in a fixed order (``limits``: family -> at most so many of its tasks)."""
    from hpobench.data import registry

    limits = limits or {}
    out: list[str] = []
    for family in FAMILIES:
        names = [t.name for t in registry.load_family(family, data_dir=data_dir).tasks()]
        out += names[: min(per_family or len(names), limits.get(family, len(names)))]
    fitted = [t.name for t in registry.load_family("fitted", data_dir=data_dir).tasks()]
    out += fitted[: min(FITTED, per_family or FITTED)]
    lcbench = [
        t.name for t in registry.load_family("yahpo", data_dir=data_dir).tasks() if "/lcbench-" in t.name
    ]
    out += lcbench[: min(YAHPO_LCBENCH, per_family or YAHPO_LCBENCH)]
    return out


def _role(member: psutil.Process, root: psutil.Process) -> str:
    if member.pid == root.pid:
        return "command"
    try:
        line = " ".join(member.cmdline())
    except psutil.Error:
        return "worker"
    return "fork server" if "forkserver" in line and member.ppid() == root.pid else "worker"


def measured(command: list[str]) -> tuple[float, int, int, dict[str, int]]:
    """Run ``command``; return (wall seconds, peak summed PSS of its process tree, peak single RSS,
    peak RSS by role: the command itself, its fork server, its workers)."""
    peaks = [0, 0]
    by_role: dict[str, int] = {}
    start = time.perf_counter()
    # from a neutral folder: started in a source checkout, ``python -m hpobench`` would import the
    # checkout's ``hpobench`` folder (which lacks the plugin folders) instead of the installed package
    proc = psutil.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=tempfile.gettempdir())
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            try:
                members = [proc, *proc.children(recursive=True)]
                sizes = []
                for member in members:
                    try:
                        info = member.memory_full_info()  # PSS where the kernel gives it
                        sizes.append((getattr(info, "pss", info.rss), info.rss))
                        role = _role(member, proc)
                        by_role[role] = max(by_role.get(role, 0), info.rss)
                    except psutil.Error:
                        continue
                peaks[0] = max(peaks[0], sum(pss for pss, _ in sizes))
                peaks[1] = max(peaks[1], max((rss for _, rss in sizes), default=0))
            except psutil.Error:
                pass
            done.wait(0.2)

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    _, err = proc.communicate()
    wall = time.perf_counter() - start
    done.set()
    thread.join()
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(command[:3])} ... failed ({proc.returncode}):\n{err.decode()[-2000:]}")
    return wall, peaks[0], peaks[1], by_role


def time_inside_runs(out: Path) -> tuple[dict[str, float], dict[str, float]]:
    """Seconds the runs of the study in ``out`` spent, from their provenance: totals
    (``method``, ``benchmark``, ``wall``: the sum of the runs' own wall times) and each method's
    own time."""
    totals = {"method": 0.0, "benchmark": 0.0, "wall": 0.0}
    by_method: dict[str, float] = {}
    for path in sorted((out / "runs").glob("*.json")):
        record = read_provenance(path)
        timing = record.get("timing", {})
        totals["method"] += float(timing.get("method_seconds", 0.0))
        # the benchmark's time: its evaluations and the reference values asked for after the loop
        totals["benchmark"] += float(timing.get("benchmark_seconds", 0.0))
        totals["benchmark"] += float(timing.get("reference_seconds", 0.0))
        totals["wall"] += float(record.get("wall_seconds", 0.0))
        name = record["spec"]["method"]
        by_method[name] = by_method.get(name, 0.0) + float(timing.get("method_seconds", 0.0))
    return totals, by_method


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "data_dir",
        type=Path,
        nargs="?",
        default=os.environ.get("HPOBENCH_DATA_DIR"),
        help="benchmark data folder (default: $HPOBENCH_DATA_DIR)",
    )
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--budget", default="100x")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--tasks-per-family", type=int, default=None, help="shrink the study (default: all)")
    parser.add_argument(
        "--limit",
        action="append",
        default=[],
        metavar="FAMILY=N",
        help="at most N tasks of FAMILY (e.g. taskset=4, where only those tables are at hand)",
    )
    parser.add_argument("--no-report", action="store_true", help="skip timing hpobench report")
    parser.add_argument(
        "--out", type=Path, default=None, help="keep the study here (default: a temporary folder)"
    )
    args = parser.parse_args()
    try:
        limits = {k: int(v) for k, v in (item.split("=", 1) for item in args.limit)}
    except ValueError:
        parser.error("--limit takes FAMILY=N")
    if args.data_dir is None:
        parser.error("give the data folder (or set $HPOBENCH_DATA_DIR)")
    data_dir = Path(args.data_dir).resolve()  # the commands run from another folder
    names = tasks(data_dir, args.tasks_per_family, limits)
    out = (args.out or Path(tempfile.mkdtemp(prefix="bench-study-")) / "study").resolve()
    env_cmd = [sys.executable, "-m", "hpobench"]
    run = [*env_cmd, "run", "--benchmarks", *names, "--methods", *METHODS, "--seeds", f"0-{args.seeds - 1}"]
    run += [
        "--budget",
        args.budget,
        "--jobs",
        str(args.jobs),
        "--data-dir",
        str(data_dir),
        "--out",
        str(out),
    ]
    runs = len(names) * len(METHODS) * args.seeds
    print(
        f"study: {len(METHODS)} methods x {len(names)} tasks x {args.seeds} seeds at {args.budget}, "
        f"--jobs {args.jobs} (at most {runs} runs; pairings a method cannot run are skipped)"
    )
    print(f"{os.cpu_count()} core(s) here")
    try:
        launched = time.time()
        wall, tree, single, roles = measured(run)
        print(
            f"hpobench run:    {wall:7.1f} s, peak {tree / 2**20:7.0f} MiB (PSS, process tree), "
            f"{single / 2**20:6.0f} MiB (largest process)"
        )
        written = [p.stat().st_mtime for p in (out / "runs").glob("*.parquet")]
        print(
            f"  serial parts: the first run file {min(written) - launched:.1f} s after launch (imports, "
            f"the study's checks, workers started, a first run), the last {max(written) - launched:.1f} s, "
            f"exit {launched + wall - max(written):.1f} s after the last (the combined table)"
        )
        by_role = ", ".join(f"{k} {v / 2**20:.0f} MiB" for k, v in roles.items())
        print(f"  peak resident set by role: {by_role}")
        inside, by_method = time_inside_runs(out)
        print(
            f"  inside the runs: methods {inside['method']:.0f} s, benchmarks {inside['benchmark']:.0f} s, "
            f"the rest {inside['wall'] - inside['method'] - inside['benchmark']:.0f} s "
            f"(summed run walls {inside['wall']:.0f} s)"
        )
        top = sorted(by_method.items(), key=lambda kv: -kv[1])[:4]
        print("  methods' own time, largest: " + ", ".join(f"{k} {v:.0f} s" for k, v in top))
        floor = (inside["method"] + inside["benchmark"]) / args.jobs
        print(
            f"  floor with these methods and benchmarks as they are: (methods + benchmarks) / "
            f"{args.jobs} jobs = {floor:.0f} s; the methods alone: {inside['method'] / args.jobs:.0f} s"
        )
        r_tree = None
        if not args.no_report:
            r_wall, r_tree, r_single, _ = measured([*env_cmd, "report", str(out)])
            print(
                f"hpobench report: {r_wall:7.1f} s, peak {r_tree / 2**20:7.0f} MiB (PSS, process tree), "
                f"{r_single / 2**20:6.0f} MiB (largest process)"
            )
    finally:
        if args.out is None:
            shutil.rmtree(out.parent, ignore_errors=True)
    size = (
        ""
        if args.tasks_per_family is None and not limits and args.seeds == 10
        else " (a smaller study than the goal's)"
    )
    measure = (
        f"whole study {len(METHODS)}x{len(names)}x{args.seeds} at {args.budget}, --jobs {args.jobs}{size}"
    )
    print(goal_line(f"{measure}, run wall", value=f"{wall:.0f} s", goal="<= 300 s", met=wall <= GOAL_SECONDS))
    print(
        goal_line(
            f"{measure}, run peak memory (PSS, process tree)",
            value=f"{tree / 2**30:.2f} GiB",
            goal="<= 1 GiB",
            met=tree <= GOAL_BYTES,
        )
    )
    if r_tree is not None:
        print(
            goal_line(
                f"{measure}, report peak memory",
                value=f"{r_tree / 2**30:.2f} GiB",
                goal="<= 1 GiB",
                met=r_tree <= GOAL_BYTES,
            )
        )


if __name__ == "__main__":
    main()
