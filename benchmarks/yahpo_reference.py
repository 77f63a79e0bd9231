"""Compute reference outputs of the ``yahpo-gym`` package, for ``tests/test_yahpo.py``.

Run it in a SEPARATE environment holding yahpo-gym (its pins, e.g. ``numpy<2``, conflict with
this project's), pointed at the upstream data::

    python3 -m venv /tmp/yahpo-venv && /tmp/yahpo-venv/bin/pip install yahpo-gym==1.0.2
    /tmp/yahpo-venv/bin/python benchmarks/yahpo_reference.py --data-dir ../shared/data/yahpo \\
        --out tests/data/yahpo_reference.json

It does not import hpobench. For three instances per scenario it samples 48 configurations from
yahpo-gym's own search space (fidelity parameters dropped, instance fixed; ConfigSpace seeded with
a fixed seed per instance), and records ``BenchmarkSet.objective_function`` for all of them in one
call at three fidelities (rbv2: ``repl`` = 10, as the hpobench adapter fixes it). One call of 48
rows: onnxruntime computes leftover rows of a batch (beyond a multiple of its kernel blocks) with
other code paths whose results differ in the last bits, so yahpo-gym's own answer for a
configuration depends slightly on the batch; 48 rows avoid leftovers and give the answers of the
main code path, which the adapter always uses. yahpo-gym's local configuration is written to a
temporary file (``_yahpo_gym.use_data_dir``), never to ``~/.config``.

With ``--repl`` it records rbv2's ``repl`` instead (``tests/data/yahpo_repl_reference.json``): for
one instance of each rbv2 scenario, 24 configurations, each at every ``repl`` from 1 to 10, at
``trainsize`` 0.5, in one call of 240 rows (a multiple of 48)::

    /tmp/yahpo-venv/bin/python benchmarks/yahpo_reference.py --data-dir ../shared/data/yahpo \
        --repl --out tests/data/yahpo_repl_reference.json
"""

from __future__ import annotations

import argparse
import hashlib
import json
import tempfile
from pathlib import Path
from typing import Any

CASES = {
    "lcbench": (("3945", "167168", "189906"), "epoch", (1, 10, 52)),
    "rbv2_xgboost": (("12", "1501", "40499"), "trainsize", (0.03, 0.5, 1.0)),
    "rbv2_rpart": (("14", "40499", "41163"), "trainsize", (0.03, 0.5, 1.0)),
    "iaml_glmnet": (("1489", "1067", "40981"), "trainsize", (0.03, 0.5, 1.0)),
}
N_CONFIGS = 48
SEED = 20240601
REPL_CASES = {"rbv2_xgboost": "1501", "rbv2_rpart": "40499"}
REPL_CONFIGS = 24
REPLS = tuple(range(1, 11))
REPL_TRAINSIZE = 0.5


def _short(value: Any) -> float:
    """The shortest decimal that reads back to the same float32 (outputs are float32)."""
    import numpy as np

    return float(str(np.float32(value)))


def _sample(bench: Any, space: Any, n: int) -> list[dict[str, Any]]:
    """``n`` configurations of yahpo-gym's space, as plain Python values, without the instance."""
    configs = []
    for c in space.sample_configuration(n):
        config = {name: v.item() if hasattr(v, "item") else v for name, v in c.get_dictionary().items()}
        config.pop(bench.config.instance_names)
        configs.append(config)
    return configs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, required=True, help="the yahpo_data folder")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--repl", action="store_true", help="record rbv2's repl (see the docstring)")
    args = parser.parse_args()
    data_dir = args.data_dir.resolve()
    with tempfile.TemporaryDirectory() as tmp:
        from _yahpo_gym import use_data_dir

        use_data_dir(data_dir, tmp)
        import numpy as np
        import onnxruntime
        import yahpo_gym
        from yahpo_gym import BenchmarkSet

        cases = []
        for index, (scenario, instance) in enumerate(REPL_CASES.items() if args.repl else ()):
            bench = BenchmarkSet(scenario, instance=instance, multithread=False)
            space = bench.get_opt_space(drop_fidelity_params=True, seed=SEED + 7 + index)
            configs = _sample(bench, space, REPL_CONFIGS)
            fixed = {"trainsize": REPL_TRAINSIZE, bench.config.instance_names: instance}
            query = [dict(c, repl=r, **fixed) for c in configs for r in REPLS]
            rows = bench.objective_function(query)
            outputs = [[_short(r[y]) for y in bench.targets] for r in rows]
            cases.append(
                {
                    "scenario": scenario,
                    "instance": instance,
                    "trainsize": REPL_TRAINSIZE,
                    "y_names": list(bench.targets),
                    "configs": [dict(c, repl=r) for c in configs for r in REPLS],
                    "outputs": outputs,
                }
            )
        for index, (scenario, (instances, fidelity, values)) in enumerate(() if args.repl else CASES.items()):
            for k, instance in enumerate(instances):
                bench = BenchmarkSet(scenario, instance=instance, multithread=False)
                space = bench.get_opt_space(drop_fidelity_params=True, seed=SEED + 100 * index + k)
                configs = _sample(bench, space, N_CONFIGS)
                outputs = {}
                for value in values:
                    fixed = {fidelity: value, bench.config.instance_names: instance}
                    query = [dict(c, **fixed) for c in configs]
                    if scenario.startswith("rbv2_"):
                        query = [dict(q, repl=10) for q in query]
                    rows = bench.objective_function(query)
                    outputs[repr(value)] = [[_short(r[y]) for y in bench.targets] for r in rows]
                cases.append(
                    {
                        "scenario": scenario,
                        "instance": instance,
                        "fidelity": fidelity,
                        "y_names": list(bench.targets),
                        "configs": configs,
                        "outputs": outputs,
                    }
                )
        models = {s: hashlib.sha256((data_dir / s / "model.onnx").read_bytes()).hexdigest() for s in CASES}
        result = {
            "meta": {
                "yahpo_gym": getattr(yahpo_gym, "__version__", "1.0.2"),
                "onnxruntime": onnxruntime.__version__,
                "numpy": np.__version__,
                "data_version": (data_dir / "VERSION").read_text().strip(),
                "model_sha256": models,
                "batch": REPL_CONFIGS * len(REPLS) if args.repl else N_CONFIGS,
                "seed": SEED,
                "script": "benchmarks/yahpo_reference.py",
            },
            "cases": cases,
        }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, separators=(",", ":")) + "\n")
    if args.repl:
        print(f"wrote {args.out}: {len(cases)} instances x {REPL_CONFIGS} configurations x {len(REPLS)} repl")
    else:
        print(f"wrote {args.out}: {len(cases)} instances x {N_CONFIGS} configurations x 3 fidelities")


if __name__ == "__main__":
    main()
