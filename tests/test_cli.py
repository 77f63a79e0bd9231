"""The ``hpobench`` command end to end, in subprocesses, on the embedded default benchmarks."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from importlib.metadata import entry_points
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

SMALL = ["--benchmarks", "synthetic", "--seeds", "0-1", "--budget", "10x", "--quiet"]


def hpobench(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "MPLBACKEND": "Agg", **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "hpobench", *args],
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def tables(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((out / "runs").glob("*.parquet"))}


def run_until(tmp_path: Path, out: str, args: list[str], *, finished: int) -> subprocess.Popen[bytes]:
    """Start ``hpobench run --out OUT ARGS`` in its own session; return once ``finished`` run
    records exist in ``OUT/runs`` (or after 120 s). Its stderr is a pipe, its stdout discarded."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "hpobench", "run", "--out", out, *args],
        cwd=tmp_path,
        env={**os.environ, "MPLBACKEND": "Agg"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    runs = tmp_path / out / "runs"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and len(list(runs.glob("*.json"))) < finished:
        time.sleep(0.02)
    return proc


def test_list_shows_benchmarks_and_methods_with_capabilities(tmp_path: Path) -> None:
    result = hpobench("list", "--tasks", cwd=tmp_path)  # the long form; the default groups families
    assert result.returncode == 0, result.stderr
    for name in ("synthetic/branin", "synthetic/hartmann3", "synthetic/hartmann6", "fcnet/protein_structure"):
        assert name in result.stdout
    assert "hyperband" in result.stdout
    assert "requires_fidelity" in result.stdout


def test_default_run_then_report(tmp_path: Path) -> None:
    run = hpobench("run", "--out", "study", "--jobs", "2", "--quiet", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert "60 runs" in run.stderr  # (3 synthetic tasks + fcnet_own/parkinsons) x 3 methods x 5 seeds
    assert len(tables(tmp_path / "study")) == 60
    report = hpobench("report", "study", cwd=tmp_path)
    assert report.returncode == 0, report.stderr
    md = (tmp_path / "study" / "report" / "report.md").read_text()
    for text in ("synthetic/branin", "synthetic/hartmann6", "random_search", "hyperband", "average rank"):
        assert text in md
    png = (tmp_path / "study" / "report" / "regret.png").read_bytes()
    assert png.startswith(b"\x89PNG")
    assert len(png) > 10_000


def test_same_command_twice_gives_byte_identical_tables(tmp_path: Path) -> None:
    for out in ("a", "b"):
        result = hpobench("run", "--out", out, *SMALL, cwd=tmp_path)
        assert result.returncode == 0, result.stderr
    a, b = tables(tmp_path / "a"), tables(tmp_path / "b")
    assert len(a) == 18
    assert a == b
    again = hpobench("run", "--out", "a", *SMALL, cwd=tmp_path)
    assert "0 run(s) executed, 18 already finished" in again.stdout


def test_sigkill_midway_then_rerun_equals_uninterrupted(tmp_path: Path) -> None:
    args = ["--benchmarks", "synthetic", "--methods", "random_search", "hyperband", "--seeds", "0-11"]
    args += ["--budget", "400x", "--jobs", "2", "--quiet"]
    proc = run_until(tmp_path, "killed", args, finished=4)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.communicate()
    runs = tmp_path / "killed" / "runs"
    time.sleep(0.5)  # let orphaned workers notice
    finished = len(list(runs.glob("*.json")))
    assert 4 <= finished < 72, "the study must be interrupted midway"
    resumed = hpobench("run", "--out", "killed", *args, cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    assert "already finished (resumed)" in resumed.stdout
    clean = hpobench("run", "--out", "clean", *args, cwd=tmp_path)
    assert clean.returncode == 0, clean.stderr
    assert tables(tmp_path / "killed") == tables(tmp_path / "clean")
    assert len(tables(tmp_path / "clean")) == 72


def test_an_interrupted_study_says_so_in_one_line_and_resumes(tmp_path: Path) -> None:
    args = ["--benchmarks", "synthetic", "--methods", "random_search", "hyperband", "--seeds", "0-11"]
    args += ["--budget", "400x", "--jobs", "2", "--quiet"]
    runs = tmp_path / "interrupted" / "runs"
    # several interrupts at different points of the run loop: the workers are stopped while the
    # study still holds its lock (before, half of them ended in a traceback from the lock file)
    for more in (2, 5):
        finished = len(list(runs.glob("*.json"))) + more  # runs this process wrote: it is under way
        proc = run_until(tmp_path, "interrupted", args, finished=finished)
        os.kill(proc.pid, signal.SIGINT)
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 130, err.decode()
        assert "hpobench: interrupted; re-run the same command to resume" in err.decode()
        assert "Traceback" not in err.decode()
        assert "Exception ignored" not in err.decode()
    resumed = hpobench("run", "--out", "interrupted", *args, cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    assert "already finished (resumed)" in resumed.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["run", "--methods", "nope"], "unknown method 'nope'"),
        (["run", "--benchmarks", "nope"], "unknown benchmark family 'nope'"),
        (["run", "--benchmarks", "synthetic/nope"], "unknown benchmark 'synthetic/nope'"),
        (["run", "--budget", "lots"], "cannot read budget 'lots'"),
        (
            ["run", "--data-dir", "/no/such/dir"],
            "data directory '/no/such/dir' (from --data-dir) does not exist",
        ),
        (["run", "--set", "hyperband=2"], "use METHOD.KEY=VALUE"),
        (["run", "--threads", "0"], "threads per run must be a positive integer, got '0'"),
        (["run", "--threads", "two"], "threads per run must be a positive integer, got 'two'"),
        (["run", "--timeout", "-1"], "a run's timeout must be a positive number of seconds or 0 (none)"),
        (["run", "--timeout", "nan"], "seconds or 0 (none), got 'nan'"),
        (["run", "--timeout", "soon"], "seconds or 0 (none), got 'soon'"),
        (["report", "missing"], "results directory 'missing' does not exist"),
    ],
)
def test_bad_input_gives_a_one_line_error(tmp_path: Path, args: list[str], message: str) -> None:
    result = hpobench(*args, "--quiet" if args[0] == "run" else "--x=evals", cwd=tmp_path)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_resuming_with_another_thread_limit_says_which_runs_ran_with_which(tmp_path: Path) -> None:
    args = ["--benchmarks", "synthetic/branin", "--methods", "random_search", "--budget", "5", "--quiet"]
    first = hpobench("run", "--out", "s", "--seeds", "0", "--threads", "2", *args, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert "thread limit" not in first.stderr
    resumed = hpobench("run", "--out", "s", "--seeds", "0-1", *args, cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    warning = [line for line in resumed.stderr.splitlines() if "thread limit" in line]
    assert len(warning) == 1
    assert warning[0].startswith(
        "WARNING 1 run(s) of this study ran with a thread limit of 2, not this call's 1"
    )
    assert "synthetic.branin.random_search.s0" in warning[0]
    assert "s1" not in warning[0].split("(")[1]


def test_data_benchmark_without_data_dir_says_how_to_fix(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "HPOBENCH_DATA_DIR"}
    result = subprocess.run(
        [sys.executable, "-m", "hpobench", "run", "--benchmarks", "fcnet", "--quiet"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert "fcnet/protein_structure" in result.stderr
    assert "--data-dir DIR or set $HPOBENCH_DATA_DIR" in result.stderr


def test_report_of_empty_directory_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    result = hpobench("report", "empty", cwd=tmp_path)
    assert result.returncode == 2
    assert "no finished run found" in result.stderr


def test_running_random_search_does_not_import_torch(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from hpobench.cli import main\n"
        f"assert main(['run', '--methods', 'random_search', '--seeds', '0', '--budget', '20', '--quiet', "
        f"'--out', {str(tmp_path / 'o')!r}]) == 0\n"
        "assert 'torch' not in sys.modules, 'torch was imported'\n"
        "print('ok')\n"
    )
    # cwd outside the checkout, so the installed package is imported, not the source folder
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("ok")


# Once the command has done its work, an interrupt during the interpreter's shutdown must not turn
# the exit status into "killed by SIGINT" (-2): the hook sends a real SIGINT after main() returned.
_LATE_INTERRUPT = """
import atexit, os, runpy, signal, sys, time
def late():
    os.kill(os.getpid(), signal.SIGINT)
    time.sleep(0.2)
atexit.register(late)
sys.argv = ["hpobench", "data", "list"]
runpy.run_module("hpobench", run_name="__main__")
"""


def test_an_interrupt_after_the_work_is_done_leaves_the_exit_status_alone(tmp_path: Path) -> None:
    command = [sys.executable, "-c", _LATE_INTERRUPT]
    # from a neutral folder, so that the installed package is imported, not the checkout's folder
    result = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "KeyboardInterrupt" not in result.stderr
    (entry,) = entry_points(group="console_scripts", name="hpobench")
    assert entry.value == "hpobench.cli:command"  # the installed executable goes through it too


# A Ctrl-C that lands in code a compiled module runs through PyRun_String (Cython does so while it
# imports) leaves CPython's "unhandled KeyboardInterrupt" note set even though main() handles it.
_INTERRUPT_IN_PYRUN = """
import ctypes, sys
import hpobench.cli as cli
def interrupted(args):
    ctypes.pythonapi.PyRun_SimpleString(b"raise KeyboardInterrupt")  # sets the note, prints it
    raise KeyboardInterrupt
cli._check_counts = interrupted
sys.argv = ["hpobench", "data", "list"]
cli.command()
"""


def test_an_interrupt_handled_by_the_command_exits_130_wherever_it_landed(tmp_path: Path) -> None:
    # run as `python -m`, as `python -m hpobench` runs (there CPython reads the note at exit)
    (tmp_path / "interrupt_in_pyrun.py").write_text(_INTERRUPT_IN_PYRUN, encoding="utf-8")
    command = [sys.executable, "-m", "interrupt_in_pyrun"]
    result = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert result.returncode == 130, result.stderr
    assert result.stderr.rstrip().endswith("hpobench: interrupted; re-run the same command to resume")


def test_an_interrupt_while_the_parser_is_built_is_an_interrupt(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import hpobench.cli as cli

    def interrupted() -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "build_parser", interrupted)
    assert cli.main(["data", "list"]) == cli.INTERRUPTED
    assert capsys.readouterr().err == "hpobench: interrupted; re-run the same command to resume\n"
