"""Developer sessions: demo, tests, lint, typecheck and bench (``nox -s NAME``).

Every session builds its own virtual environment from ``pyproject.toml``, so the commands work on
a fresh machine. The real benchmark data is looked up in ``$HPOBENCH_DATA_DIR`` or, failing
that, in ``../shared/data`` beside the repository.
"""

from __future__ import annotations

import os
from pathlib import Path

import nox

nox.options.default_venv_backend = "venv"
nox.options.reuse_existing_virtualenvs = False
nox.options.sessions = ["lint", "typecheck", "tests"]

ROOT = Path(__file__).resolve().parent


def _data_env() -> dict[str, str]:
    env = {"MPLBACKEND": "Agg"}
    configured = os.environ.get("HPOBENCH_DATA_DIR")
    shared = ROOT.parent / "shared" / "data"
    if configured:
        env["HPOBENCH_DATA_DIR"] = configured
    elif shared.is_dir():
        env["HPOBENCH_DATA_DIR"] = str(shared)
    return env


@nox.session
def demo(session: nox.Session) -> None:
    """Install the package and run the default study on the embedded benchmarks, then report."""
    session.install(".")
    out = session.posargs[0] if session.posargs else "hpobench-results"
    session.run("hpobench", "list")
    session.run("hpobench", "run", "--jobs", "2", "--out", out)
    session.run("hpobench", "report", out)


@nox.session
def tests(session: nox.Session) -> None:
    """Run the test suite against the installed package (real data from ../shared/data when present)."""
    session.install(".[test]")
    session.run("pytest", "-q", *session.posargs, env=_data_env())


@nox.session
def lint(session: nox.Session) -> None:
    """Ruff lint and format check."""
    session.install("ruff>=0.6")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session
def typecheck(session: nox.Session) -> None:
    """mypy --strict over the installed package (plugin folders are mapped into hpobench.*)."""
    session.install(".", "mypy>=1.11", "pandas-stubs")
    with session.chdir(session.create_tmp()):
        session.run("mypy", "--config-file", str(ROOT / "pyproject.toml"), "-p", "hpobench")


@nox.session
def bench(session: nox.Session) -> None:
    """Speed benchmarks; each script compares against a baseline in the same run and prints ratios."""
    session.install(".")
    for script in sorted((ROOT / "benchmarks").glob("bench_*.py")):
        session.run("python", str(script), env=_data_env())
