"""Batched throughput of the YAHPO adapter against the yahpo-gym package, in the same run.

    python benchmarks/bench_yahpo.py --data-dir ../shared/data [--yahpo-python PYTHON]

yahpo-gym pins ``numpy<2`` and lives in its own environment (see ``benchmarks/yahpo_reference.py``),
so this script runs itself there as a subprocess (``--worker``; that mode does not import
hpobench) on the very configurations our adapter evaluates, and reads back its outputs and
timings. Per scenario (one instance, fidelity at its maximum, rbv2 ``repl`` 10):

* ``hpobench``: ``YahpoBenchmark.evaluate`` on a batch of prepared ``Trial`` objects (validation,
  encoding, onnxruntime calls of <= 256 rows, an ``EvaluationBatch`` whose ``Evaluation`` objects
  are built when read; the one-thread batch is also timed with every evaluation read, and that
  time is printed in its goal line), ``evaluate_arrays`` on the
  same configurations (``arrays``: the same validation and model calls, the objective and cost
  as arrays instead of objects), and ``evaluate`` on single trials (padded to the model's row
  block, printed per scenario);
* ``yahpo-gym``: ``BenchmarkSet.objective_function`` on the batch of prepared dicts (its default
  ``check=True``), and on single dicts.

Both run single-threaded (``HPOBENCH_ONNX_THREADS=1`` / ``multithread=False``) and with all cores
(``0``: one chunk of the batch per core at a time, each single-threaded in onnxruntime /
``multithread=True``: onnxruntime's own intra-op threads). Timings are the best of ``--repeat``
runs; the one-thread batch, ``evaluate_arrays`` and ``onnxruntime alone`` (the adapter's own
onnxruntime calls on the same, already encoded and padded chunks: the part of the time no
change to the adapter can remove) are interleaved. The outputs must agree (rtol 1e-5) or the
script fails; the number of bit-equal outputs is printed. The batch size is a multiple of 16 so
that yahpo-gym's batch goes through onnxruntime's main code paths (see
``hpobench.surrogates._onnx``).

Goal lines (issue 17): where the ``onnx`` package is installed, the float32 matrix-product floor
of each model on this CPU (``benchmarks/yahpo_floor.py``: the time the network's linear layers
alone take, which no float32 implementation can beat) is measured, and each scenario prints
``GOAL YAHPO <scenario> batched evaluate ...``: the one-thread batch per configuration against
``<= 1.2x`` that floor, with onnxruntime's own share, and yahpo-gym's one-thread batch measured
in the same run as the peer. The 20x budget (yahpo-gym's one-thread time / 20) is printed beside
the floor as well, and so is where a single query's time goes: hpobench's single ``evaluate``
beside one 4-row onnxruntime call of the whole model, of its network core alone and numpy's
matrix products on the same layers (``yahpo_floor.py``).

yahpo-gym 1.0.2 needs ``ConfigSpace<=0.6.1`` and ``numpy<2``, so it runs in its own environment:
the interpreter ``--yahpo-python`` names, else ``$HPOBENCH_YAHPO_PYTHON`` (``nox -s bench``
builds that environment and sets it), else ``/tmp/yahpo-venv/bin/python``. (PyPI's yahpo-gym
1.0.1 installs beside ConfigSpace 1.x but fails on its first query there.)
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from _timing import goal_line, interleaved

INSTANCES = {"lcbench": "3945", "rbv2_xgboost": "12", "rbv2_rpart": "40499", "iaml_glmnet": "1489"}
PYTHON_ENV_VAR = "HPOBENCH_YAHPO_PYTHON"
FALLBACK_PYTHON = "/tmp/yahpo-venv/bin/python"
YAHPO_GYM = "1.0.2"
"""The yahpo-gym release compared with (it needs ConfigSpace<=0.6.1 and numpy<2: its own environment)."""
FIDELITY = {"lcbench": ("epoch", 52), "rbv2_xgboost": ("trainsize", 1.0), "rbv2_rpart": ("trainsize", 1.0)}


def _best(fn: Any, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def worker(job: dict[str, Any]) -> dict[str, Any]:
    """Time yahpo-gym (runs in the yahpo-gym environment)."""
    from _yahpo_gym import use_data_dir

    use_data_dir(job["data_dir"], job["tmp"])
    from yahpo_gym import BenchmarkSet

    def prepared(scenario: str, spec: dict[str, Any], multithread: bool) -> tuple[Any, list[dict[str, Any]]]:
        bench = BenchmarkSet(scenario, instance=spec["instance"], multithread=multithread)
        queries = [dict(c, **spec["fixed"]) for c in spec["configs"]]
        bench.objective_function(queries[:16])  # warm-up
        return bench, queries

    import yahpo_gym

    out: dict[str, Any] = {"version": getattr(yahpo_gym, "__version__", "?")}
    for scenario, spec in job["scenarios"].items():
        if "sizes" in spec:  # bench_surrogates.py: one thread, batches of the first k configurations
            bench, queries = prepared(scenario, spec, False)
            out[f"{scenario}/sizes"] = {
                str(k): _best(lambda b=bench, q=queries[:k]: b.objective_function(q), job["repeat"])
                for k in spec["sizes"]
            }
            continue
        for multithread in (False, True):
            bench, queries = prepared(scenario, spec, multithread)
            rows: list[Any] = []
            batch = _best(lambda b=bench, q=queries, r=rows: r.append(b.objective_function(q)), job["repeat"])
            singles = queries[: job["n_single"]]
            single = _best(lambda b=bench, q=singles: [b.objective_function(x) for x in q], 1)
            out[f"{scenario}/{multithread}"] = {
                "batch_s": batch,
                "single_s": single / len(singles),
                "outputs": np.asarray(
                    [[r[y] for y in bench.targets] for r in rows[-1]], dtype=float
                ).tolist(),
            }
    return out


def job_spec(bench: Any, scenario: str, instance: str, configs: list[dict[str, Any]]) -> dict[str, Any]:
    """The worker's description of ``configs`` of a loaded ``YahpoBenchmark``, at the maximal fidelity."""
    fid_name, fid_value = FIDELITY.get(scenario, ("trainsize", 1.0))
    fixed: dict[str, Any] = {fid_name: fid_value, bench.scenario.instance_param: instance}
    fixed.update(bench.scenario.fixed)
    if "repl" in fixed:
        fixed["repl"] = int(fixed["repl"])
    return {"instance": instance, "configs": configs, "fixed": fixed}


def run_worker(
    python: str, data_dir: Path, scenarios: dict[str, Any], *, repeat: int, n_single: int = 0
) -> dict[str, Any]:
    """Run :func:`worker` in the yahpo-gym environment at ``python`` and return what it measured.

    Args:
        python: The interpreter of the environment that has yahpo-gym.
        data_dir: The project's data directory (with ``yahpo/`` in it).
        scenarios: Per scenario: ``instance``, ``configs`` (dicts), ``fixed`` (values every query
            adds) and, optionally, ``sizes`` (batch sizes to time with one thread instead of the
            batch / single / all-cores measurements).
        repeat: Timings are the best of this many runs.
        n_single: Configurations timed one by one.
    """
    from hpobench.surrogates import _onnx

    with tempfile.TemporaryDirectory() as tmp:
        job_path = Path(tmp) / "job.json"
        job = {"tmp": tmp, "data_dir": str(data_dir / "yahpo"), "scenarios": scenarios, "repeat": repeat}
        job_path.write_text(json.dumps({**job, "n_single": n_single}))
        env = {k: v for k, v in os.environ.items() if k != _onnx.THREADS_ENV_VAR}
        proc = subprocess.run(
            [python, __file__, "--worker", str(job_path)], env=env, capture_output=True, text=True
        )
        if proc.returncode != 0:
            sys.exit(f"yahpo-gym worker failed:\n{proc.stderr[-3000:]}")
        result: dict[str, Any] = json.loads(job_path.with_suffix(".out.json").read_text())
        return result


def _floor(data_dir: Path) -> tuple[dict[str, Any] | None, str]:
    """``yahpo_floor.py``'s floor per scenario, or ``(None, why not)`` (it needs the ``onnx`` package)."""
    script = Path(__file__).with_name("yahpo_floor.py")
    proc = subprocess.run(
        [sys.executable, str(script), "--data-dir", str(data_dir), "--json"], capture_output=True, text=True
    )
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["failed"])[-1][:160]
        return None, f"{script.name} failed ({last}; it needs `pip install onnx`)"
    floor: dict[str, Any] = json.loads(proc.stdout)
    return floor, ""


def _print_budget(floor: dict[str, Any], theirs_s: dict[str, float]) -> None:
    """The 20x budget (yahpo-gym's one-thread time / 20) beside the matrix-product floor."""
    cores = os.cpu_count() or 1
    print(f"20x target against the float32 matrix-product floor (yahpo_floor.py; {cores} cores):")
    for scenario, seconds in theirs_s.items():
        budget, one = seconds / 20 * 1e6, floor[scenario]["floor_us"]
        verdict = "below the 1-core floor" if budget < one else "above the 1-core floor"
        print(
            f"{scenario:<14}20x budget {budget:6.2f} us/config; floor {one:6.2f} us (1 core), "
            f"{one / cores:6.2f} us ({cores} cores, perfect scaling): {verdict}"
        )


def _print_single(floor: dict[str, Any], ours: dict[str, Any]) -> None:
    """Where a single query's time goes: hpobench's evaluate against yahpo_floor.py's single-call rows."""
    print(
        "single query, one thread: hpobench's evaluate (timed above) beside yahpo_floor.py's 4-row calls "
        "(min over interleaved rounds, without hpobench's work in between)"
    )
    for scenario in INSTANCES:
        single = floor[scenario]["single"]
        mine = ours[scenario]["timing"]["1"]["single_s"] * 1e6
        model, core, products = single["model_us"], single["network_us"], single["products_us"]
        print(
            f"{scenario:<14}hpobench evaluate {mine:6.1f} us; onnxruntime whole model {model:6.1f} us, "
            f"its network core alone {core:6.1f} us, the matrix products alone {products:6.1f} us"
        )


def yahpo_python(requested: str | None) -> tuple[str | None, str]:
    """The interpreter that runs yahpo-gym, or ``(None, why none)``.

    ``requested`` if given, else ``$HPOBENCH_YAHPO_PYTHON`` (``nox -s bench`` builds that
    environment and sets it), else ``/tmp/yahpo-venv/bin/python``; it must exist.
    """
    python = requested or os.environ.get(PYTHON_ENV_VAR) or FALLBACK_PYTHON
    if Path(python).exists():
        return python, ""
    return None, (
        f"no yahpo-gym interpreter at {python} (create it with `python3 -m venv /tmp/yahpo-venv && "
        f"/tmp/yahpo-venv/bin/pip install yahpo-gym=={YAHPO_GYM}`, or name one in ${PYTHON_ENV_VAR})"
    )


def _goal_lines(
    ours: dict[str, Any], theirs: dict[str, Any] | None, floor: dict[str, Any] | None, *, n: int, why: str
) -> None:
    """One ``GOAL`` line per scenario: the one-thread batch against 1.2x the matrix-product floor."""
    for scenario in INSTANCES:
        measure = f"YAHPO {scenario} batched evaluate, 1 thread, {n} configurations"
        if floor is None:
            print(
                goal_line(
                    measure, value="floor not measured", goal="<= 1.2x the floor", met=False, peer_text=why
                )
            )
            continue
        mine = ours[scenario]["timing"]["1"]["batch_s"] / n * 1e6
        ort = ours[scenario]["ort_s"] / n * 1e6
        bound = floor[scenario]["floor_us"]
        if theirs is None:
            peer_text = f"yahpo-gym not measured: {why}"
        else:
            other = theirs[f"{scenario}/False"]["batch_s"] / n * 1e6
            peer_text = (
                f"yahpo-gym {theirs.get('version', '?')} batch, 1 thread, same run: {other:.2f} us/config "
                f"({other / mine:.1f}x ours)"
            )
        read = ours[scenario]["timing"]["1"]["read_s"] / n * 1e6
        value = (
            f"{mine:.2f} us/config = {mine / bound:.2f}x the 1-core float32 matrix-product floor "
            f"({bound:.2f} us), {read:.2f} us = {read / bound:.2f}x with every Evaluation read; "
            f"onnxruntime's calls alone {ort:.2f} us = {ort / bound:.2f}x"
        )
        print(
            goal_line(
                measure, value=value, goal="<= 1.2x the floor", met=mine <= 1.2 * bound, peer_text=peer_text
            )
        )


def _onnx_feeds(bench: Any, configs: list[dict[str, Any]], fid_value: float) -> list[dict[str, np.ndarray]]:
    """The adapter's own onnxruntime inputs for ``configs``: encoded chunks, padded to the row block."""
    model = bench._data.model
    step = model.chunk_rows
    feeds = []
    for i in range(0, len(configs), step):
        part = configs[i : i + step]
        x_cat, x_cont = bench.encode(part, np.full(len(part), float(fid_value)))
        pad = -len(part) % model.row_block
        if pad:
            x_cat = np.concatenate([x_cat, np.repeat(x_cat[-1:], pad, axis=0)])
            x_cont = np.concatenate([x_cont, np.repeat(x_cont[-1:], pad, axis=0)])
        feeds.append(
            {model.cat_input: np.ascontiguousarray(x_cat), model.cont_input: np.ascontiguousarray(x_cont)}
        )
    return feeds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--data-dir", type=Path, default=Path(os.environ.get("HPOBENCH_DATA_DIR", "../shared/data"))
    )
    parser.add_argument(
        "--yahpo-python",
        default=None,
        help=f"interpreter with yahpo-gym (default: ${PYTHON_ENV_VAR}, else {FALLBACK_PYTHON})",
    )
    parser.add_argument("--n", type=int, default=2048, help="batch size (a multiple of 16)")
    parser.add_argument("--n-single", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--worker", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker is not None:
        job = json.loads(args.worker.read_text())
        args.worker.with_suffix(".out.json").write_text(json.dumps(worker(job)))
        return

    from hpobench.contracts.types import Trial
    from hpobench.surrogates import _onnx, yahpo

    data_dir = args.data_dir.resolve()
    jobs: dict[str, Any] = {}
    ours: dict[str, Any] = {}
    for scenario, instance in INSTANCES.items():
        fid_value = FIDELITY.get(scenario, ("trainsize", 1.0))[1]
        results = {}
        ort_s = math.nan
        for threads in ("1", "0"):
            os.environ[_onnx.THREADS_ENV_VAR] = threads
            bench = yahpo.load_yahpo(scenario, instance, data_dir=data_dir)
            configs = bench.codec.sample(np.random.default_rng(0), args.n)
            trials = [Trial(config=c, fidelity=fid_value) for c in configs]
            fids = [fid_value] * args.n
            cases = {
                "batch": lambda b=bench, t=trials: b.evaluate(t, seed=0),
                "arrays": lambda b=bench, c=configs, f=fids: b.evaluate_arrays(c, seed=0, fidelities=f),
            }
            if threads == "1":
                cases["batch, read"] = lambda b=bench, t=trials: list(b.evaluate(t, seed=0))
                feeds = _onnx_feeds(bench, configs, fid_value)
                session = bench._data.model.session
                cases["onnxruntime"] = lambda s=session, fs=feeds: [s.run(None, f) for f in fs]
            timed = interleaved(cases, repeats=args.repeat)
            single = _best(lambda b=bench, t=trials: [b.evaluate([x], seed=0) for x in t[: args.n_single]], 1)
            results[threads] = {
                "batch_s": timed["batch"].min,
                "arrays_s": timed["arrays"].min,
                "single_s": single / args.n_single,
            }
            if "onnxruntime" in timed:
                ort_s = timed["onnxruntime"].min
                results[threads]["read_s"] = timed["batch, read"].min
        outputs = bench.predict(configs, np.full(args.n, float(fid_value)))
        ours[scenario] = {
            "timing": results,
            "ort_s": ort_s,
            "outputs": outputs,
            "row_block": bench._data.model.row_block,
        }
        jobs[scenario] = job_spec(bench, scenario, instance, configs)

    floor, floor_why = _floor(data_dir)
    python, why = yahpo_python(args.yahpo_python)
    if python is None:
        print(f"batch of {args.n} configurations; hpobench only, us per configuration (configs/s)")
        for scenario in INSTANCES:
            for threads in ("1", "0"):
                a = ours[scenario]["timing"][threads]["batch_s"] / args.n
                label = "1" if threads == "1" else "all"
                print(f"{scenario:<14}{label:<9}{a * 1e6:>10.2f} ({1 / a:>9,.0f})")
        print(f"yahpo-gym comparison skipped: {why}")
        if floor is not None:
            _print_single(floor, ours)
        _goal_lines(ours, None, floor, n=args.n, why=floor_why if floor is None else why)
        return

    theirs = run_worker(python, data_dir, jobs, repeat=args.repeat, n_single=args.n_single)

    print(f"batch of {args.n} configurations, {os.cpu_count()} CPUs; us per configuration (configs/s)")
    header = f"{'scenario':<14}{'threads':<9}{'hpobench batch':>22}{'yahpo-gym batch':>22}{'ratio':>8}"
    header += f"{'arrays':>9}{'ratio':>7}"
    print(header + f"{'hpobench single':>18}{'yahpo-gym single':>18}{'single ratio':>14}")
    equal = total = 0
    for scenario in INSTANCES:
        for threads, multithread in (("1", "False"), ("0", "True")):
            mine = ours[scenario]["timing"][threads]
            other = theirs[f"{scenario}/{multithread}"]
            np.testing.assert_allclose(
                ours[scenario]["outputs"],
                np.asarray(other["outputs"]),
                rtol=1e-5,
                atol=1e-7,
                err_msg=f"{scenario}: outputs differ from yahpo-gym",
            )
            theirs32 = np.asarray(other["outputs"], dtype=np.float32)
            equal += int(np.sum(np.asarray(ours[scenario]["outputs"], dtype=np.float32) == theirs32))
            total += theirs32.size
            a, b = mine["batch_s"] / args.n, other["batch_s"] / args.n
            label = "1" if threads == "1" else "all"
            sa, sb = mine["single_s"], other["single_s"]
            arr = mine["arrays_s"] / args.n
            print(
                f"{scenario:<14}{label:<9}{a * 1e6:>10.2f} ({1 / a:>9,.0f}){b * 1e6:>10.1f} ({1 / b:>9,.0f})"
                f"{b / a:>7.1f}x{arr * 1e6:>9.2f}{b / arr:>6.1f}x"
                f"{sa * 1e6:>17.0f}{sb * 1e6:>18.0f}{sb / sa:>13.1f}x"
            )
    if floor is None:
        print(f"matrix-product floor skipped: {floor_why}")
    else:
        _print_budget(floor, {s: theirs[f"{s}/False"]["batch_s"] / args.n for s in INSTANCES})
        _print_single(floor, ours)
    blocks = ", ".join(f"{s} {ours[s]['row_block']}" for s in INSTANCES)
    print(f"row blocks (rows per padded single query): {blocks}")
    print(f"outputs: equal to yahpo-gym's (rtol 1e-5) for every scenario; {equal} of {total} bit-equal")
    _goal_lines(ours, theirs, floor, n=args.n, why=floor_why)


if __name__ == "__main__":
    main()
