"""Batched inference of ONNX surrogate models through onnxruntime (an optional dependency).

onnxruntime is imported when the first model is loaded, never at import time of this module, so
listing benchmarks does not need it (``pip install "hpobench[yahpo]"``). Sessions are cached per
process, keyed on the resolved path, size and mtime of the model file and the thread count, so
every task of a scenario shares one session.

Batch independence: onnxruntime's CPU kernels (MLAS) compute a matrix product in blocks of rows
with one code path and the leftover rows with others, whose results differ in the last bits (up
to ~1e-5 relative on the YAHPO models; one- and two-row products take yet other paths). So that
a row's answer never depends on the other rows of its batch, every onnxruntime call gets a
multiple of the session's *row block* (padded by repeating the last row): the smallest of
4, 8, 12, 16, 32, 48 and 96 rows for which calls of that many rows, starting at rows 0 to 3 of
a probe batch (so that every row also sits at other positions), reproduce one 96-row call bit
for bit. The probe runs once, when the model is loaded, with the session's settings. On x86-64
with AVX-512 it finds 4 for the YAHPO models: a single query costs as much as 4 rows.

Chunks: a batch runs as calls of at most 256 rows (a multiple of the row block), which keeps a
call's intermediate activations (256 rows x ~900 floats) in the core's L2 cache; one call of
2,048 rows is up to 1.6x slower per row.

Threads: ``$HPOBENCH_ONNX_THREADS`` (default 1: studies fan out runs over processes, and more
threads per process would oversubscribe the cores) is the number of chunks that run at the same
time, from a thread pool (``0``: one per core this process may use); each call runs
single-threaded in onnxruntime, which releases the GIL while it computes. Chunks are cut at the
same rows whatever the thread count, so answers do not depend on it either.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from hpobench.contracts.cores import available_cores
from hpobench.contracts.errors import DataError

__all__ = ["THREADS_ENV_VAR", "OnnxModel", "configured_threads", "load_onnx_model"]

THREADS_ENV_VAR = "HPOBENCH_ONNX_THREADS"
_CHUNK = 256
"""Rows per onnxruntime call (rounded down to a multiple of the row block): fits the L2 cache."""
_PROBE_ROWS = 96
_PROBE_STARTS = (0, 1, 2, 3)
_BLOCKS = (4, 8, 12, 16, 32, 48, 96)
"""Candidate row blocks: divisors of the probe batch (one and two rows take special code paths)."""


def _import_onnxruntime() -> Any:
    try:
        import onnxruntime  # untyped: see the mypy override for onnxruntime.* in pyproject.toml
    except ImportError as exc:
        raise DataError('ONNX surrogate models need onnxruntime: pip install "hpobench[yahpo]"') from exc
    return onnxruntime


def configured_threads() -> int:
    """``$HPOBENCH_ONNX_THREADS`` (default 1; 0 means one per usable core), for cache keys of loaded models.

    Raises:
        DataError: The variable is not a non-negative integer.
    """
    raw = os.environ.get(THREADS_ENV_VAR, "1").strip() or "1"
    try:
        threads = int(raw)
    except ValueError:
        raise DataError(f"${THREADS_ENV_VAR} must be a non-negative integer, got {raw!r}") from None
    if threads < 0:
        raise DataError(f"${THREADS_ENV_VAR} must be a non-negative integer, got {raw!r}")
    return threads


@dataclass(frozen=True, kw_only=True)
class OnnxModel:
    """A loaded model with two inputs, an int32 ``(n, n_cat)`` and a float32 ``(n, n_cont)`` matrix.

    Attributes:
        path: The model file.
        session: The onnxruntime ``InferenceSession``.
        cat_input: Name of the integer input.
        cont_input: Name of the float input.
        n_cat: Columns of the integer input.
        n_cont: Columns of the float input.
        n_outputs: Columns of the (first) output.
        row_block: Every call is padded to a multiple of this many rows (see the module docstring).
        workers: Chunks of a batch that run at the same time (``$HPOBENCH_ONNX_THREADS``, 0 resolved).
    """

    path: Path
    session: Any
    cat_input: str
    cont_input: str
    n_cat: int
    n_cont: int
    n_outputs: int
    row_block: int = 1
    workers: int = 1

    @property
    def chunk_rows(self) -> int:
        """Rows per onnxruntime call: at most 256, a multiple of :attr:`row_block`."""
        return max(self.row_block, _CHUNK - _CHUNK % self.row_block)

    def predict(self, x_cat: np.ndarray, x_cont: np.ndarray) -> np.ndarray:
        """Run the model on a batch, padded to a multiple of :attr:`row_block`, in chunks of <= 256 rows.

        Args:
            x_cat: ``(n, n_cat)`` int32 codes.
            x_cont: ``(n, n_cont)`` float32 values.

        Returns:
            ``(n, n_outputs)`` float32 predictions (row ``i`` depends on row ``i`` of the inputs only).
        """
        n = x_cat.shape[0]
        self._check_shapes(x_cat, x_cont)
        if n == 0:
            return np.empty((0, self.n_outputs), dtype=np.float32)
        step = self.chunk_rows
        parts = list(self.stream((x_cat[i : i + step], x_cont[i : i + step]) for i in range(0, n, step)))
        return parts[0] if len(parts) == 1 else np.concatenate(parts)

    def stream(self, batches: Iterable[tuple[np.ndarray, np.ndarray]]) -> Iterator[np.ndarray]:
        """Predictions for a stream of ``(x_cat, x_cont)`` batches of at most :attr:`chunk_rows` rows.

        With one worker, each batch runs when it is drawn from ``batches``. With more, a lone batch
        runs on the caller's thread; otherwise every batch goes to the thread pool as soon as it is
        drawn (the first once the second is), and the results come back in order: the
        caller's work that produces the next batch (validation, encoding) and its work on the
        results it has already received overlap the model runs. If drawing a batch raises, the
        runs already submitted are finished (or cancelled) before the error propagates.

        Yields:
            ``(rows, n_outputs)`` float32 predictions, one array per batch.
        """
        if self.workers <= 1:
            for x_cat, x_cont in batches:
                yield self._call(x_cat, x_cont)
            return
        it = iter(batches)
        first = next(it, None)
        if first is None:
            return
        second = next(it, None)
        if second is None:  # one batch: the hand-off to a pool thread would cost more
            yield self._call(*first)
            return
        pool = _pool(self.workers, os.getpid())
        futures = [pool.submit(self._call, *first), pool.submit(self._call, *second)]
        try:
            for x_cat, x_cont in it:
                futures.append(pool.submit(self._call, x_cat, x_cont))
        except BaseException:
            for future in futures:
                future.cancel()
            wait(futures)
            raise
        for future in futures:
            yield future.result()

    def call_one(self, cat: Sequence[int], cont: Sequence[float]) -> list[float]:
        """The outputs for one row of inputs, as Python floats (the float32 values, exactly).

        The row is cast as :meth:`predict`'s inputs are (``cont`` through float64 to float32) and
        repeated to fill one row block, which is what :meth:`predict` runs for a batch of one
        row: the answer is the same, bit for bit.

        Args:
            cat: ``n_cat`` integer codes.
            cont: ``n_cont`` numbers.
        """
        if len(cat) != self.n_cat or len(cont) != self.n_cont:
            raise ValueError(
                f"{self.path.name}: a row has {self.n_cat} codes and {self.n_cont} numbers, "
                f"got {len(cat)} and {len(cont)}"
            )
        block = self.row_block
        x_cat = np.empty((block, self.n_cat), dtype=np.int32)
        x_cat[:] = np.array(cat, dtype=np.int32)
        x_cont = np.empty((block, self.n_cont), dtype=np.float32)
        x_cont[:] = np.array(cont, dtype=np.float64).astype(np.float32)
        out = self.session.run(None, {self.cat_input: x_cat, self.cont_input: x_cont})[0]
        row: list[float] = np.asarray(out[0], dtype=np.float32).tolist()
        if len(row) != self.n_outputs:
            raise ValueError(f"{self.path.name}: expected {self.n_outputs} outputs, got {len(row)}")
        return row

    def _check_shapes(self, x_cat: np.ndarray, x_cont: np.ndarray) -> None:
        n = x_cat.shape[0]
        if x_cat.shape != (n, self.n_cat) or x_cont.shape != (n, self.n_cont):
            raise ValueError(
                f"{self.path.name}: inputs must have shapes (n, {self.n_cat}) and (n, {self.n_cont}), "
                f"got {x_cat.shape} and {x_cont.shape}"
            )

    def _call(self, x_cat: np.ndarray, x_cont: np.ndarray) -> np.ndarray:
        """One onnxruntime call on at most :attr:`chunk_rows` rows, padded to a multiple of the row block."""
        self._check_shapes(x_cat, x_cont)
        n = x_cat.shape[0]
        if n > self.chunk_rows:
            raise ValueError(f"{self.path.name}: a call takes at most {self.chunk_rows} rows, got {n}")
        pad = -n % self.row_block
        if pad:
            x_cat = np.concatenate([x_cat, np.repeat(x_cat[-1:], pad, axis=0)])
            x_cont = np.concatenate([x_cont, np.repeat(x_cont[-1:], pad, axis=0)])
        feed = {
            self.cat_input: np.ascontiguousarray(x_cat, dtype=np.int32),
            self.cont_input: np.ascontiguousarray(x_cont, dtype=np.float32),
        }
        out = np.asarray(self.session.run(None, feed)[0], dtype=np.float32)
        return out[:n] if pad else out


@lru_cache(maxsize=4)
def _pool(workers: int, pid: int) -> ThreadPoolExecutor:
    """A pool of ``workers`` threads for process ``pid`` (created on first use, kept for the process).

    Keyed on the process id: a process forked after the pool was made inherits the pool object
    but not its threads, and work submitted to it would never run.
    """
    return ThreadPoolExecutor(max_workers=workers, thread_name_prefix="hpobench-onnx")


def load_onnx_model(path: Path, *, what: str) -> OnnxModel:
    """Load (or reuse) the model at ``path``.

    Args:
        path: An ``.onnx`` file with inputs ``x_cat`` (int32) and ``x_cont`` (float32) of shapes
            ``(batch, k)`` and one float output of shape ``(batch, m)``, as YAHPO Gym exports them.
        what: Human name of the benchmark, for error messages.

    Raises:
        DataError: onnxruntime is missing, the file is missing or not a loadable ONNX model, or its
            inputs and outputs do not have that layout.
    """
    if not path.is_file():
        raise DataError(f"{what}: model file {str(path)!r} is missing")
    resolved = path.resolve()
    stat = resolved.stat()
    return _load(resolved, stat.st_size, stat.st_mtime_ns, configured_threads(), what)


@lru_cache(maxsize=16)
def _load(path: Path, size: int, mtime_ns: int, threads: int, what: str) -> OnnxModel:
    ort = _import_onnxruntime()
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    try:
        session = ort.InferenceSession(str(path), sess_options=options, providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime raises its own exception types for corrupt models
        raise DataError(f"{what}: cannot load ONNX model {str(path)!r}: {exc}") from exc
    inputs = {i.name: i for i in session.get_inputs()}
    outputs = session.get_outputs()
    cat, cont = inputs.get("x_cat"), inputs.get("x_cont")
    if cat is None or cont is None or len(inputs) != 2 or not outputs:
        raise DataError(
            f"{what}: ONNX model {str(path)!r} must have inputs x_cat and x_cont and one output, "
            f"has inputs {sorted(inputs)} and {len(outputs)} output(s)"
        )
    widths = [_width(x.shape) for x in (cat, cont, outputs[0])]
    if cat.type != "tensor(int32)" or cont.type != "tensor(float)" or None in widths:
        raise DataError(
            f"{what}: ONNX model {str(path)!r} has unexpected input types or shapes: "
            f"x_cat {cat.type} {cat.shape}, x_cont {cont.type} {cont.shape}, output {outputs[0].shape}"
        )
    n_cat, n_cont, n_out = (int(w) for w in widths if w is not None)
    model = OnnxModel(
        path=path,
        session=session,
        cat_input=cat.name,
        cont_input=cont.name,
        n_cat=n_cat,
        n_cont=n_cont,
        n_outputs=n_out,
        workers=threads or available_cores(),
    )
    try:
        block = _probe_row_block(model)
    except Exception as exc:  # a model that loads but cannot run
        raise DataError(f"{what}: cannot run ONNX model {str(path)!r}: {exc}") from exc
    return replace(model, row_block=block)


def _probe_row_block(model: OnnxModel) -> int:
    """The smallest candidate block whose calls reproduce one 96-row call bit for bit (module docstring)."""
    rng = np.random.default_rng(0)
    x_cat = np.zeros((_PROBE_ROWS, model.n_cat), dtype=np.int32)  # code 0: every categorical's "#na#"
    x_cont = rng.uniform(0.5, 2.0, (_PROBE_ROWS, model.n_cont)).astype(np.float32)
    whole = replace(model, row_block=_PROBE_ROWS).predict(x_cat, x_cont)
    for block in _BLOCKS:
        candidate = replace(model, row_block=block)
        # calls starting at rows 0 to 3 (so that every row also sits at other positions)
        if all(
            np.array_equal(
                np.concatenate(
                    [
                        candidate.predict(x_cat[i : i + block], x_cont[i : i + block])
                        for i in range(start, _PROBE_ROWS, block)
                    ]
                ),
                whole[start:],
                equal_nan=True,
            )
            for start in _PROBE_STARTS
        ):
            return block
    return _PROBE_ROWS


def _width(shape: Any) -> int | None:
    """The fixed second dimension of a ``(batch, k)`` shape, or ``None``."""
    if not isinstance(shape, (list, tuple)) or len(shape) != 2 or not isinstance(shape[1], int):
        return None
    return int(shape[1])
