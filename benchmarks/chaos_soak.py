"""Chaos soak: a study killed at random moments and its files damaged in between still ends right.

Each iteration runs ``hpobench run`` on a small real study (4 tasks x 4 methods x 4 seeds,
``--jobs 2``) one to four times, each time stopping it at a random moment by one of: SIGKILL to
its whole process group, SIGKILL to the command alone (its workers must notice and stop), SIGKILL
to one worker (that run is recorded as failed and retried by the next call), or SIGINT. Between
attempts it damages one file at random: a bit flipped in, or a truncation of, a run's table or
record or the combined table or index; the index deleted; a stale temporary file left behind;
or nothing. Then it lets the study finish and checks that

* every evaluation equals an uninterrupted study's, read both through the combined table and
  from the run files, with no problem reported by the loader;
* no process of the study is left running.

It prints one line per iteration (what was done, OK or FAIL with why) and the failure count; a
failed iteration's folder is kept for inspection. Timing is random by design (``--seed`` fixes
the choices, not the moments the kills land).

Run::

    python benchmarks/chaos_soak.py /path/to/data --iterations 40 --seed 1 [--work /tmp/chaos]
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
import psutil

from hpobench.results.load import load_results

TASKS = (
    "synthetic/branin",
    "synthetic/hartmann3",
    "fcnet/naval_propulsion",
    "taskset/FixedTextRNNClassification_imdb_patch32_GRU128_bs128",
)
METHODS = ("random_search", "hyperband", "asha", "tpe")
KILLS = ("group", "command", "worker", "interrupt")
DAMAGES = (
    "none",
    "none",
    "truncate run table",
    "flip run table",
    "flip run record",
    "flip combined",
    "truncate combined",
    "delete index",
    "stale temporary",
)


def study_args(data_dir: Path) -> list[str]:
    args = ["--benchmarks", *TASKS, "--methods", *METHODS, "--seeds", "0-3", "--budget", "30x"]
    return [*args, "--jobs", "2", "--quiet", "--data-dir", str(data_dir)]


def start(out: Path, data_dir: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "MPLBACKEND": "Agg", "OMP_NUM_THREADS": "1"}
    command = [sys.executable, "-m", "hpobench", "run", "--out", str(out), *study_args(data_dir)]
    return subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True
    )


def evaluations(out: Path, *, combined: bool) -> tuple[pd.DataFrame, tuple[str, ...]]:
    """All evaluations of the study in ``out`` (text columns as str), sorted, and the loader's notes."""
    results = load_results(out, combined=combined)
    frame = results.evaluations.copy()
    for column in frame.columns:
        if isinstance(frame[column].dtype, pd.CategoricalDtype):
            frame[column] = frame[column].astype(str)
    return frame.sort_values(["run_id", "eval"]).reset_index(drop=True), results.problems


def stop(proc: subprocess.Popen[bytes], kind: str, rng: random.Random) -> None:
    """Stop the study ``proc`` the ``kind`` way (nothing if it has ended already)."""
    if proc.poll() is not None:
        return
    if kind == "group":
        os.killpg(proc.pid, signal.SIGKILL)
    elif kind == "command":
        os.kill(proc.pid, signal.SIGKILL)
    elif kind == "interrupt":
        os.kill(proc.pid, signal.SIGINT)
    else:  # a worker: a process started by the fork server, not the fork server itself
        try:
            members = psutil.Process(proc.pid).children(recursive=True)
            workers = [m for m in members if m.ppid() != proc.pid]
            if workers:
                rng.choice(workers).kill()
                return
        except psutil.Error:
            pass
        os.killpg(proc.pid, signal.SIGKILL)


def damage(out: Path, rng: random.Random) -> str:
    """Damage one file of the study in ``out`` at random; say what was done."""
    runs = sorted((out / "runs").glob("*")) if (out / "runs").is_dir() else []
    combined = sorted((out / "combined").glob("*")) if (out / "combined").is_dir() else []
    choice = rng.choice(DAMAGES)
    target: Path | None = None
    if choice in ("truncate run table", "flip run table"):
        target = rng.choice([p for p in runs if p.suffix == ".parquet"] or [None])
    elif choice == "flip run record":
        target = rng.choice([p for p in runs if p.suffix == ".json"] or [None])
    elif choice in ("flip combined", "truncate combined"):
        target = rng.choice(combined or [None])
    elif choice == "delete index":
        target = out / "combined" / "runs.json"
    elif choice == "stale temporary" and runs:
        (out / "runs" / ".tmp-stale").write_bytes(b"left by a killed writer")
        return choice
    if target is None or not target.is_file():
        return "none"
    data = bytearray(target.read_bytes())
    if choice == "delete index":
        target.unlink()
    elif choice.startswith("truncate"):
        target.write_bytes(bytes(data[: rng.randrange(max(1, len(data)))]))
    elif data:
        at = rng.randrange(len(data))
        data[at] ^= 1 << rng.randrange(8)
        target.write_bytes(bytes(data))
    return f"{choice} {target.name}"


def finish(out: Path, data_dir: Path) -> tuple[int, str]:
    """Run the study to its end (twice if a killed worker left a failed run to retry)."""
    proc = start(out, data_dir)
    _, err = proc.communicate()
    if proc.returncode != 0:
        proc = start(out, data_dir)
        _, err = proc.communicate()
    return proc.returncode, err.decode(errors="replace")[-500:]


def check(out: Path, expected: pd.DataFrame) -> list[str]:
    """Why the finished study in ``out`` is not the uninterrupted one (empty: it is)."""
    wrong: list[str] = []
    for combined in (True, False):
        got, problems = evaluations(out, combined=combined)
        if problems:
            wrong.append(f"problems (combined={combined}): {list(problems[:3])}")
        try:
            pd.testing.assert_frame_equal(got, expected, check_like=True)
        except AssertionError as exc:
            wrong.append(f"differs (combined={combined}): {str(exc)[:300]}")
    time.sleep(0.5)
    stray = [
        p
        for p in psutil.process_iter(["cmdline"])
        if p.info["cmdline"] and str(out) in " ".join(p.info["cmdline"])
    ]
    if stray:
        wrong.append(f"{len(stray)} process(es) of the study still running")
    return wrong


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data_dir", type=Path, help="the benchmark data folder")
    parser.add_argument("--iterations", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--work", type=Path, default=None, help="folder for the studies (default: temporary)")
    parser.add_argument("--max-wait", type=float, default=4.0, help="latest moment of a kill, in seconds")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    work = args.work or Path(tempfile.mkdtemp(prefix="chaos-"))
    reference = work / "reference"
    shutil.rmtree(reference, ignore_errors=True)
    started = time.perf_counter()
    code, err = finish(reference, args.data_dir)
    if code != 0:
        raise SystemExit(f"the uninterrupted study failed ({code}): {err}")
    print(f"uninterrupted study: {time.perf_counter() - started:.1f} s")
    expected, _ = evaluations(reference, combined=False)
    failures = 0
    for iteration in range(args.iterations):
        out = work / f"s{args.seed}_{iteration}"
        shutil.rmtree(out, ignore_errors=True)
        log: list[str] = []
        for _ in range(rng.randrange(1, 5)):
            proc = start(out, args.data_dir)
            time.sleep(rng.uniform(0.0, args.max_wait))
            kind = rng.choice(KILLS)
            stop(proc, kind, rng)
            proc.communicate()
            log.append(f"{kind} (exit {proc.returncode})")
            time.sleep(0.3)
            log.append(damage(out, rng))
        code, err = finish(out, args.data_dir)
        wrong = [f"final run exited {code}: {err}"] if code != 0 else check(out, expected)
        failures += bool(wrong)
        print("FAIL" if wrong else "OK  ", out.name, "; ".join(log), " ".join(wrong), flush=True)
        if not wrong:
            shutil.rmtree(out, ignore_errors=True)
    print(f"{failures} failure(s) in {args.iterations} iteration(s); work folder {work}")


if __name__ == "__main__":
    main()
