"""Lower bound on the time of one YAHPO surrogate query on this CPU: its matrix products alone.

    python benchmarks/yahpo_floor.py --data-dir ../shared/data [--json]

Reads each scenario's ``model.onnx`` with the ``onnx`` package (``pip install onnx``; only this
script needs it), counts the multiply-adds of its ``Gemm``/``MatMul`` nodes per row (the
residual MLP's linear layers; embeddings, elementwise ops and BatchNorm are left out, so the
bound is optimistic), and times numpy's float32 matrix product (the BLAS numpy was built with,
one thread: the variables below are set before numpy loads) on exactly those layer shapes at
256-row calls (the adapter's chunk). The floor is the model's FLOPs at that measured rate: no
implementation that computes the same network in float32 on one core of this CPU can answer a
configuration faster. ``bench_yahpo.py`` prints it beside the measured times and the 20x budget.

A single query is another matter: the adapter pads it to the model's row block (4 rows) and pays
one whole onnxruntime call. Per scenario the script also times, interleaved (min over rounds),
one 4-row call of the whole model, of its network core alone (the subgraph from the first linear
layer's input to the last one's output, cut out with ``onnx.utils.extract_model``: no input
scaling, embeddings or output transforms) and of numpy's matrix products on the same layer
shapes at 4 rows. What the whole model takes beyond its core is onnxruntime's cost of the
per-column input and output nodes; what the core takes beyond the products is its own.
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402  (the thread variables must be set before numpy is imported)
import json  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402
from _timing import interleaved  # noqa: E402

SCENARIOS = ("lcbench", "rbv2_xgboost", "rbv2_rpart", "iaml_glmnet")
ROWS = 256
SINGLE_ROWS = 4  # the row block the adapter pads a single query to (hpobench.surrogates._onnx)


def layer_shapes(model_path: Path) -> list[tuple[int, int]]:
    """``(fan_in, fan_out)`` of every Gemm/MatMul with a constant weight, in graph order."""
    import onnx
    from onnx import numpy_helper

    graph = onnx.load(str(model_path)).graph
    weights = {t.name: numpy_helper.to_array(t).shape for t in graph.initializer}
    shapes = []
    for node in graph.node:
        if node.op_type not in ("Gemm", "MatMul") or node.input[1] not in weights:
            continue
        rows, cols = weights[node.input[1]]
        attrs = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
        shapes.append((cols, rows) if attrs.get("transB", 0) else (rows, cols))
    return shapes


def layer_products(shapes: list[tuple[int, int]], *, rows: int) -> Any:
    """A function that runs ``rows`` rows through the layer products once (float32, one thread)."""
    rng = np.random.default_rng(0)
    inputs = [rng.standard_normal((rows, k), dtype=np.float32) for k, _ in shapes]
    weights = [rng.standard_normal((k, n), dtype=np.float32) for k, n in shapes]
    outs = [np.empty((rows, n), dtype=np.float32) for _, n in shapes]
    layers = list(zip(inputs, weights, outs, strict=True))

    def run() -> None:
        for x, w, o in layers:
            np.matmul(x, w, out=o)

    return run


def product_seconds(shapes: list[tuple[int, int]], *, rows: int, repeat: int) -> float:
    """Best time of one pass of ``rows`` rows through the layer products (float32, one thread)."""
    run = layer_products(shapes, rows=rows)
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
    return best


def _session(path: Path) -> Any:
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = options.inter_op_num_threads = 1
    return onnxruntime.InferenceSession(str(path), sess_options=options, providers=["CPUExecutionProvider"])


def single_query(model_path: Path, shapes: list[tuple[int, int]], *, rounds: int) -> dict[str, float]:
    """Microseconds of one 4-row call: the whole model, its network core alone, the matrix products."""
    import tempfile

    import onnx
    import onnx.utils

    graph = onnx.load(str(model_path)).graph
    linear = [n for n in graph.node if n.op_type in ("Gemm", "MatMul")]
    rng = np.random.default_rng(0)
    whole = _session(model_path)
    feed = {}
    for item in whole.get_inputs():
        shape = (SINGLE_ROWS, int(item.shape[1]))
        if item.type == "tensor(int32)":
            feed[item.name] = np.zeros(shape, dtype=np.int32)  # code 0: every categorical's "#na#"
        else:
            feed[item.name] = rng.uniform(0.5, 2.0, shape).astype(np.float32)
    with tempfile.TemporaryDirectory() as folder:
        core_path = Path(folder) / "core.onnx"
        cut = ([linear[0].input[0]], [linear[-1].output[0]])  # first linear layer's input, last one's output
        onnx.utils.extract_model(str(model_path), str(core_path), *cut)
        core = _session(core_path)
    core_input = core.get_inputs()[0]
    core_feed = {core_input.name: rng.standard_normal((SINGLE_ROWS, shapes[0][0])).astype(np.float32)}
    products = layer_products(shapes, rows=SINGLE_ROWS)
    calls = 200
    cases = {
        "model_us": lambda: [whole.run(None, feed) for _ in range(calls)],
        "network_us": lambda: [core.run(None, core_feed) for _ in range(calls)],
        "products_us": lambda: [products() for _ in range(calls)],
    }
    return {name: t.min / calls * 1e6 for name, t in interleaved(cases, repeats=rounds).items()}


def floors(data_dir: Path, *, repeat: int) -> dict[str, dict[str, Any]]:
    """Per scenario: FLOPs per row, measured GFLOP/s and the floor in microseconds per configuration."""
    out = {}
    for scenario in SCENARIOS:
        shapes = layer_shapes(data_dir / "yahpo" / scenario / "model.onnx")
        flops = 2 * sum(k * n for k, n in shapes)
        seconds = product_seconds(shapes, rows=ROWS, repeat=repeat)
        out[scenario] = {
            "flops_per_row": flops,
            "gflops": flops * ROWS / seconds / 1e9,
            "floor_us": seconds / ROWS * 1e6,
            "single": single_query(data_dir / "yahpo" / scenario / "model.onnx", shapes, rounds=5),
        }
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--data-dir", type=Path, default=Path(os.environ.get("HPOBENCH_DATA_DIR", "../shared/data"))
    )
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument("--json", action="store_true", help="print JSON (for bench_yahpo.py)")
    args = parser.parse_args()
    result = floors(args.data_dir, repeat=args.repeat)
    if args.json:
        print(json.dumps(result))
        return
    print(f"float32 matrix products alone, one thread, {ROWS}-row calls (numpy {np.__version__})")
    for scenario, r in result.items():
        print(
            f"{scenario:<14}{r['flops_per_row'] / 1e6:6.2f} MFLOP/config  {r['gflops']:6.1f} GFLOP/s  "
            f"floor {r['floor_us']:6.2f} us/config"
        )
    print(f"one {SINGLE_ROWS}-row call (a single query), one thread, min over 5 interleaved rounds:")
    for scenario, r in result.items():
        print(f"{scenario:<14}{single_text(r['single'])}")


def single_text(single: dict[str, float]) -> str:
    """One line: a single query's whole model, network core and matrix products, in microseconds."""
    return (
        f"onnxruntime whole model {single['model_us']:6.1f} us, its network core alone "
        f"{single['network_us']:6.1f} us, the matrix products alone {single['products_us']:6.1f} us"
    )


if __name__ == "__main__":
    main()
