"""Start-up of the ``hpobench`` command and of ``import hpobench``, against the bare interpreter.

Each case is a fresh interpreter (a subprocess started from a temporary folder, so the
installed package is imported), timed on the wall clock, interleaved (:mod:`_timing`), min and
median over ``--repeats``:

* ``python -c pass``: the interpreter alone (the physical limit of any Python command);
* ``import hpobench``;
* ``hpobench run --help`` (through ``python -m hpobench``);
* ``hpobench list``: imports every plugin to describe it (ConfigSpace included), shown for
  reference; it has no goal;
* ``import the runner``: ``import hpobench.execution.runner``, what every worker process needs
  (ConfigSpace, pandas, pyarrow): the floor under the next case;
* ``hpobench run, 1 run``: a whole one-run study (random search, 10 evaluations of
  ``synthetic/branin``, a fresh folder each time), from start to exit. Its workers are forked
  from a fork server that imports the runner in a process of its own, started before the
  command's own imports so that the two overlap; no goal, shown against the floor above.

Then ``python -X importtime`` of ``hpobench run --help`` lists the slowest imports left.

Usage: python benchmarks/bench_startup.py [--repeats 7]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from _timing import goal_line, interleaved

GOAL_SECONDS = 0.3
STUDY = ("-m", "hpobench", "run", "--benchmarks", "synthetic/branin", "--methods", "random_search")
STUDY += ("--seeds", "0", "--budget", "10", "--quiet")


def _command(*args: str) -> list[str]:
    return [sys.executable, *args]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    cwd = tempfile.mkdtemp(prefix="hpobench-startup-")
    commands = {
        "python -c pass": _command("-c", "pass"),
        "import hpobench": _command("-c", "import hpobench"),
        "hpobench run --help": _command("-m", "hpobench", "run", "--help"),
        "hpobench list": _command("-m", "hpobench", "list"),
        "import the runner": _command("-c", "import hpobench.execution.runner"),
        "hpobench run, 1 run": _command(*STUDY, "--out", "study"),
    }

    def case(command: list[str]) -> object:
        def call() -> None:
            shutil.rmtree(Path(cwd) / "study", ignore_errors=True)  # a fresh study each time
            subprocess.run(command, cwd=cwd, check=True, capture_output=True)

        return call

    timings = interleaved({name: case(c) for name, c in commands.items()}, repeats=args.repeats)
    print(f"fresh interpreters, {args.repeats} interleaved repeats, wall seconds (min / median)")
    for name, timing in timings.items():
        print(f"{name:<22} {timing.min:>7.3f} / {timing.median:<7.3f}")
    profile = subprocess.run(
        _command("-X", "importtime", "-m", "hpobench", "run", "--help"),
        cwd=cwd,
        capture_output=True,
        text=True,
    )
    rows = []
    for line in profile.stderr.splitlines():
        parts = line.split("|")
        if len(parts) == 3 and parts[1].strip().isdigit():
            rows.append((int(parts[1]), parts[2].rstrip()))
    print("slowest imports of `hpobench run --help` (cumulative us):")
    for us, name in sorted(rows, reverse=True)[:8]:
        print(f"  {us:>9} {name}")
    help_s = timings["hpobench run --help"].min
    floor = timings["python -c pass"].min
    print(
        goal_line(
            "`hpobench run --help`",
            value=f"{help_s:.3f} s",
            peer_text=f"bare interpreter {floor:.3f} s",
            goal=f"<= {GOAL_SECONDS} s",
            met=help_s <= GOAL_SECONDS,
        )
    )


if __name__ == "__main__":
    main()
