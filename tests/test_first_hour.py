"""A new user's first hour on the command line: up-front study checks, list, help and messages."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from hpobench.contracts.benchmark import BenchmarkSpec
from hpobench.contracts.budget import Budget
from hpobench.contracts.errors import UnknownNameError
from hpobench.execution.preflight import study_problems

SYNTHETIC = [BenchmarkSpec.parse("synthetic/branin")]


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


def one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 2, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("hpobench: error: ")
    return lines[0]


@pytest.mark.slow
def test_a_study_with_several_problems_fails_before_any_run_naming_each(tmp_path: Path) -> None:
    result = hpobench(
        "run",
        "--benchmarks",
        "synthetic/branin",
        "synthetic/nope",
        "--methods",
        "random_search",
        "hyperbnd",
        "hyperband",
        "--set",
        "hyperband.etaa=2",
        "--set",
        'random_search.chunk_size="many"',
        "--out",
        "study",
        "--quiet",
        cwd=tmp_path,
    )
    line = one_line_error(result)
    assert "unknown benchmark 'synthetic/nope'" in line
    assert "unknown method 'hyperbnd' (did you mean 'hyperband'?)" in line
    assert "method 'hyperband' has no argument 'etaa' (did you mean 'eta'?)" in line
    assert "random_search.chunk_size='many'" in line
    assert not (tmp_path / "study").exists()  # nothing ran, nothing was written


def test_keyword_types_are_checked_against_the_constructor() -> None:
    problems = study_problems(
        benchmarks=SYNTHETIC,
        methods=["hyperband"],
        budget=Budget.parse("5x"),
        method_kwargs={"hyperband": {"eta": "three", "min_fidelity": None}},
    )
    assert len(problems) == 1
    assert "hyperband.eta='three' is not of the type" in problems[0]
    assert (
        study_problems(
            benchmarks=SYNTHETIC,
            methods=["hyperband"],
            budget=Budget.parse("5x"),
            method_kwargs={"hyperband": {"eta": 2}},
        )
        == []
    )


def test_a_constructor_that_refuses_a_value_is_a_problem_up_front() -> None:
    problems = study_problems(
        benchmarks=SYNTHETIC,
        methods=["hyperband"],
        budget=Budget.parse("5x"),
        method_kwargs={"hyperband": {"eta": 1}},
    )
    assert problems
    assert all("hyperband" in p for p in problems)


def test_missing_extras_and_data_are_problems(monkeypatch: pytest.MonkeyPatch) -> None:
    import hpobench.execution.preflight as preflight

    real = preflight.missing_modules
    monkeypatch.setattr(preflight, "missing_modules", lambda mods: [m for m in mods if m == "onnxruntime"])
    problems = study_problems(
        benchmarks=[
            BenchmarkSpec.parse("yahpo/lcbench-3945"),
            BenchmarkSpec.parse("fcnet/protein_structure"),
        ],
        methods=["random_search"],
        budget=Budget.parse("5"),
        data_dir=None,
    )
    monkeypatch.setattr(preflight, "missing_modules", real)
    assert any("benchmark family 'yahpo' needs onnxruntime" in p and "hpobench[yahpo]" in p for p in problems)
    assert any("fcnet/protein_structure need(s) the benchmark data directory" in p for p in problems)


def _fcnet_copy(data: Path, *, leave_out: str = "") -> Path:
    """A copy of the real FCNet folder under ``data`` (without the file ``leave_out``); skips without it."""
    source = Path(os.environ.get("HPOBENCH_DATA_DIR", "/nonexistent")) / "tabular" / "fcnet"
    if not source.is_dir():
        pytest.skip("needs the real benchmark data")
    target = data / "tabular" / "fcnet"
    target.mkdir(parents=True)
    for f in source.iterdir():
        if f.name != leave_out:
            (target / f.name).write_bytes(f.read_bytes())
    return target


def test_corrupt_data_is_found_before_the_first_run(tmp_path: Path) -> None:
    table = _fcnet_copy(tmp_path) / "protein_structure.parquet"
    table.write_bytes(table.read_bytes()[:-1] + b"\0")
    problems = study_problems(
        benchmarks=[BenchmarkSpec.parse("fcnet/protein_structure")],
        methods=["random_search"],
        budget=Budget.parse("5"),
        data_dir=tmp_path,
    )
    assert len(problems) == 1
    assert problems[0].startswith("fcnet/protein_structure:")
    assert "sha256" in problems[0]


def test_a_missing_data_file_names_its_task_once(tmp_path: Path) -> None:
    target = _fcnet_copy(tmp_path, leave_out="protein_structure.parquet")
    problems = study_problems(
        benchmarks=[BenchmarkSpec.parse("fcnet/protein_structure")],
        methods=["random_search"],
        budget=Budget.parse("5"),
        data_dir=tmp_path,
    )
    missing = str(target / "protein_structure.parquet")
    assert problems == [f"fcnet/protein_structure: data file {missing!r} is missing"]


def test_a_time_budget_on_a_costless_task_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    from hpobench.surrogates.synthetic import SyntheticBenchmark

    original = SyntheticBenchmark.evaluate

    def costless(self: SyntheticBenchmark, trials: list, *, seed: int) -> list:  # type: ignore[type-arg]
        return [
            type(e)(trial=e.trial, values=e.values, cost=0.0, status=e.status, extras=e.extras)
            for e in original(self, trials, seed=seed)
        ]

    monkeypatch.setattr(SyntheticBenchmark, "evaluate", costless)
    problems = study_problems(benchmarks=SYNTHETIC, methods=["random_search"], budget=Budget.parse("1h"))
    assert problems == [
        "synthetic/branin records no evaluation cost, so the time budget 3600s never runs out: "
        "use an evaluation budget (N) or a fidelity budget (Nx)"
    ]


def test_unknown_names_suggest_the_closest_and_spell_families() -> None:
    err = UnknownNameError("benchmark family", "fcent", ["fcnet", "synthetic"])
    assert str(err) == (
        "unknown benchmark family 'fcent' (did you mean 'fcnet'?); known benchmark families: fcnet, synthetic"
    )


@pytest.mark.slow
def test_list_groups_families_with_task_counts_and_status(tmp_path: Path) -> None:
    data = os.environ.get("HPOBENCH_DATA_DIR")
    if not data or not (Path(data) / "tabular" / "fcnet").is_dir():
        pytest.skip("needs the real benchmark data")
    result = hpobench("list", "--data-dir", data, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    # one line per family and per method, not one per task
    assert not [line for line in lines if "/" in line.split()[0]], "task lines in the short listing"
    assert len(lines) < 80
    fcnet = next(line for line in lines if line.split()[:1] == ["fcnet"])
    assert "4 tasks" in fcnet
    assert "single-fidelity" in fcnet
    assert "ready (data present)" in fcnet
    for mo in ("fcnet_mo", "yahpo_mo"):  # read the data of fcnet and yahpo (BenchmarkFamily.dataset)
        assert "ready (data present)" in next(line for line in lines if line.split()[:1] == [mo])
    yahpo = next(line for line in lines if line.split()[:1] == ["yahpo"])
    assert "274 tasks" in yahpo
    assert "multi-fidelity" in yahpo
    long = hpobench("list", "--tasks", "--data-dir", data, cwd=tmp_path)
    assert "yahpo/lcbench-3945" in long.stdout
    assert len(long.stdout.splitlines()) > 300
    listed = json.loads(hpobench("list", "--json", "--data-dir", data, cwd=tmp_path).stdout)
    families = {f["name"]: f for f in listed["families"]}
    assert families["fcnet"]["ready"] is True
    assert len(families["yahpo"]["tasks"]) == 274
    assert {m["name"] for m in listed["methods"]} >= {"random_search", "hyperband"}


@pytest.mark.slow
def test_list_without_data_dir_says_what_is_needed(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "HPOBENCH_DATA_DIR"}
    result = subprocess.run(
        [sys.executable, "-m", "hpobench", "list"], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    fcnet = next(line for line in result.stdout.splitlines() if line.split()[:1] == ["fcnet"])
    assert "needs data: --data-dir DIR or $HPOBENCH_DATA_DIR" in fcnet


@pytest.mark.slow
def test_list_into_a_closed_pipe_is_not_an_error(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "hpobench", "list", "--tasks"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    assert proc.stderr is not None
    proc.stdout.close()  # the reader is gone before the command writes (like `| head` after its lines)
    err = proc.stderr.read()
    assert proc.wait(timeout=120) == 0
    assert "BrokenPipeError" not in err
    assert "Traceback" not in err


@pytest.mark.slow
def test_version_and_run_help_show_defaults(tmp_path: Path) -> None:
    version = hpobench("--version", cwd=tmp_path)
    assert version.returncode == 0
    assert version.stdout.startswith("hpobench 0.")
    helptext = " ".join(hpobench("run", "--help", cwd=tmp_path).stdout.split())
    assert "(default: random_search successive_halving hyperband)" in helptext
    for default in ("(default: 0-4)", "(default: 50x)", "(default: hpobench-results)", "(default: 1800.0)"):
        assert default in helptext
    assert "(default: True)" not in helptext  # flags say what they do, not a confusing default


@pytest.mark.slow
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--seeds", "5-2"], "seed range '5-2' is reversed: write it low-high, e.g. 2-5"),
        (["--jobs", "0"], "hpobench: error: --jobs must be a positive number of processes or -1"),
    ],
)
def test_clear_messages_for_bad_counts(tmp_path: Path, args: list[str], message: str) -> None:
    result = hpobench("run", *args, "--quiet", cwd=tmp_path)
    assert result.returncode == 2
    assert message in result.stderr
    assert "usage: hpobench [-h]" not in result.stderr  # not the top-level usage


@pytest.mark.slow
@pytest.mark.parametrize(
    ("args", "line"),
    [
        (["run", "--seeds", "5-2"], "hpobench run: error: argument --seeds: seed range '5-2' is reversed"),
        (["rnu"], "hpobench: error: invalid choice 'rnu' (did you mean 'run'?); choose from list, run,"),
        (["run", "--backend", "lokky"], "hpobench run: error: argument --backend: invalid choice 'lokky'"),
        (["data", "verfy"], "hpobench data: error: invalid choice 'verfy' (did you mean 'verify'?)"),
        (["run", "--budget", "abc"], "hpobench run: error: argument --budget: cannot read budget 'abc'"),
    ],
)
def test_argument_errors_are_one_line_with_status_2(tmp_path: Path, args: list[str], line: str) -> None:
    result = hpobench(*args, cwd=tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr  # no usage block
    assert lines[0].startswith(line)
    assert lines[0].endswith("--help)")


@pytest.mark.slow
def test_skips_and_runs_add_up_and_a_resumed_study_draws_no_bar(tmp_path: Path) -> None:
    data = os.environ.get("HPOBENCH_DATA_DIR")
    if not data or not (Path(data) / "tabular" / "fcnet").is_dir():
        pytest.skip("needs the real benchmark data")
    args = ["run", "--benchmarks", "fcnet/protein_structure", "synthetic/branin"]
    args += ["--methods", "random_search", "hyperband", "--seeds", "0-1", "--budget", "3x", "--out", "s"]
    first = hpobench(*args, "--quiet", "--data-dir", data, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert "skipped fcnet/protein_structure x hyperband" in first.stderr
    assert (
        "2 benchmark(s) x 2 method(s) x 2 seed(s) - 1 skipped pairing(s) x 2 seed(s) = 6 runs" in first.stderr
    )
    again = hpobench(*args, "--data-dir", data, cwd=tmp_path)  # with the progress bar
    assert again.returncode == 0, again.stderr
    assert "0 run(s) executed, 6 already finished" in again.stdout
    assert "6/6" not in again.stderr  # no bar for a study with nothing left to run


@pytest.mark.slow
def test_report_says_which_file_to_open_instead_of_printing_it(tmp_path: Path) -> None:
    args = ["--benchmarks", "synthetic/branin", "--seeds", "0-1", "--budget", "3x", "--out", "s", "--quiet"]
    run = hpobench("run", *args, cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    report = hpobench("report", "s", cwd=tmp_path)
    assert report.returncode == 0, report.stderr
    assert "# " not in report.stdout  # no Markdown headings on the terminal
    assert len(report.stdout.splitlines()) <= 3
    assert report.stdout.splitlines()[-1] == f"open {Path('s') / 'report' / 'report.html'}"


def test_the_contained_checks_give_the_same_problems_and_leave_no_task_data_here(data_dir: Path) -> None:
    import hpobench.surrogates.fcnet as fcnet
    from hpobench.execution.preflight import contained_study_problems

    arguments = {
        "benchmarks": [BenchmarkSpec.parse("fcnet/protein_structure"), *SYNTHETIC],
        "methods": ["hyperband", "hyperbnd"],
        "budget": Budget.parse("5x"),
        "method_kwargs": {"hyperband": {"eta": "three"}},
        "data_dir": data_dir,
    }
    fcnet._load.cache_clear()
    contained = contained_study_problems(**arguments)
    assert fcnet._load.cache_info().currsize == 0  # the table was loaded in the checking process only
    assert len(contained) == 2
    assert contained == study_problems(**arguments)
    assert fcnet._load.cache_info().currsize == 1


@pytest.mark.parametrize("jobs", [2, 3, -1])
def test_checks_shared_out_among_processes_give_the_same_problems_in_the_same_order(
    data_dir: Path, jobs: int
) -> None:
    from hpobench.execution.preflight import contained_study_problems

    # problems of the study as a whole (an unknown method, --set naming a method not in it) and of
    # the tasks (a value the constructor refuses: one sentence per task hyperband is planned on,
    # in the tasks' order; FCNet has no fidelity, so it has none)
    synthetic = [BenchmarkSpec.parse(f"synthetic/{name}") for name in ("branin", "hartmann3", "hartmann6")]
    benchmarks = [
        *synthetic[:2],
        BenchmarkSpec.parse("fcnet/protein_structure"),
        BenchmarkSpec.parse("taskset/FixedTextRNNClassification_imdb_patch32_GRU128_bs128"),
        synthetic[2],
    ]
    arguments = {
        "benchmarks": benchmarks,
        "methods": ["hyperband", "hyperbnd", "random_search"],
        "budget": Budget.parse("600s"),
        "method_kwargs": {"hyperband": {"eta": 1.0}, "tpe": {}},
        "data_dir": data_dir,
    }
    expected = study_problems(**arguments)
    assert contained_study_problems(jobs=jobs, **arguments) == expected
    assert len(expected) == 2 + len(benchmarks) - 1  # the case holds the problems said above
    assert [p for p in expected if "refuses its arguments" in p] == [
        p for spec in benchmarks for p in expected if f"refuses its arguments on {spec.name}:" in p
    ]
    # tasks that need the data folder when none is given: one sentence naming them in order
    arguments = {**arguments, "data_dir": None, "budget": Budget.parse("5")}
    expected = study_problems(**arguments)
    assert contained_study_problems(jobs=jobs, **arguments) == expected
    assert expected[-1].startswith(
        "fcnet/protein_structure, taskset/FixedTextRNNClassification_imdb_patch32_GRU128_bs128 "
        "need(s) the benchmark data directory"
    )


def test_shared_out_checks_that_cannot_finish_say_why_once() -> None:
    from hpobench.execution.preflight import contained_study_problems

    problems = contained_study_problems(
        jobs=2,
        benchmarks=[BenchmarkSpec(family="no_such_family", task="t"), *SYNTHETIC * 3],
        methods=["random_search"],
        budget=Budget.parse("5"),
    )
    assert len(problems) == 1
    assert problems[0].startswith("the study could not be checked before its first run: UnknownNameError")
    assert "no_such_family" in problems[0]


def test_contained_checks_that_cannot_finish_are_one_problem_saying_why() -> None:
    from hpobench.execution.preflight import contained_study_problems

    problems = contained_study_problems(
        benchmarks=[BenchmarkSpec(family="no_such_family", task="t")],
        methods=["random_search"],
        budget=Budget.parse("5"),
    )
    assert len(problems) == 1
    assert problems[0].startswith("the study could not be checked before its first run: UnknownNameError")
    assert "no_such_family" in problems[0]
