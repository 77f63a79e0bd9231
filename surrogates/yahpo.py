"""YAHPO Gym surrogate benchmarks (Pfisterer et al. 2022), read from the upstream data, without yahpo-gym.

Scenarios: ``lcbench`` (34 OpenML tasks, fidelity ``epoch`` 1..52), ``rbv2_xgboost`` (119) and
``rbv2_rpart`` (117) (fidelity ``trainsize`` 0.03..1), ``iaml_glmnet`` (4, ``trainsize``). Every
instance is a task named ``yahpo/<scenario>-<instance>``, e.g. ``yahpo/lcbench-3945``.

Data: ``<data_dir>/yahpo/<scenario>/{config_space.json, encoding.json, model.onnx}``, the layout
of slds-lmu/yahpo_data v1.0.2, read unchanged. Inference runs the ONNX model through onnxruntime
(``pip install "hpobench[yahpo]"``; see :mod:`hpobench.surrogates._onnx` for threads).

Encoding (exactly that of ``yahpo_gym.BenchmarkSet.objective_function`` 1.0.2, which
``benchmarks/yahpo_reference.py`` and ``tests/test_yahpo.py`` check value for value):

* the float input holds the scenario's continuous parameters in yahpo-gym's ``cont_names`` order,
  raw values (the log transforms and scaling are part of the ONNX graph), cast to float32;
  inactive parameters (xgboost's booster-dependent ones) are 0;
* the integer input holds the categorical parameters in ``cat_names`` order (instance first),
  coded by ``encoding.json``; inactive ones are coded as ``"#na#"`` (0);
* outputs are yahpo-gym's ``y_names``, in that order.

This module holds the benchmark (ONNX execution, evaluations) and the family; the scenarios'
metadata (column orders, instances, objective) is in ``_yahpo_scenarios``, reading and checking
the files in ``_yahpo_files``, validation in ``_yahpo_codec``, the model inputs in
``_yahpo_encoding``, the reference in ``_yahpo_reference`` (all in :mod:`hpobench.surrogates`).
``evaluate`` answers a batch with onnxruntime calls of at most 256 rows (run in parallel with
``$HPOBENCH_ONNX_THREADS``) and an :class:`~hpobench.contracts.batch.EvaluationBatch`; a
configuration's answer does not depend on the rest of the batch, because calls are padded to
whole row blocks (:mod:`hpobench.surrogates._onnx`; 4 rows on x86-64 with AVX-512), so one query
costs as much as 4 and batches are where the speed is. A single query takes a path of its own
(one row encoded as Python values, one row-block call, the evaluation built from Python
floats) that gives the batch's answer bit for bit. Validation takes a quick path for plain
values (a ``float``, ``int`` or ``str`` in range, keys exactly the active hyperparameters:
column by column for a batch, :meth:`YahpoCodec.all_valid`) and the full condition-aware check
otherwise.

Objective, cost and extras: the objective is the target of YAHPO's own single-objective suite
(``benchmark_suites/v1.0/single.json``): ``val_accuracy`` (percent, maximise) for lcbench, ``acc``
(maximise) for rbv2, and ``mmce`` (minimise) for iaml_glmnet, whose suite entry is multi-objective
(``mmce``, ``nf``). The cost is the scenario's runtime target (yahpo-gym's ``runtime_name``:
``time`` for lcbench, cumulative training time up to the epoch; ``timetrain`` otherwise), clipped
at 0 because the surrogate can predict small negative times. Every other output is an extra.

Seeds and ``repl``: the surrogates are deterministic (yahpo-gym's ``noisy=False``; no noisy models
ship in v1.0.2), so ``seed`` does not change the answers. rbv2's ``repl`` (which of 10
cross-validation replications a training run was) is not part of the search space and is fixed
to 10, as yahpo-gym's own experiments and mf-prior-bench do; it is not used as a noise seed,
because the model's dependence on it was not validated as a model of run-to-run noise. As in
yahpo-gym, a configuration may set it (and every other fixed parameter of a scenario, see
``Scenario.fixed``) itself: ``{..., "repl": 3}`` is answered for replication 3, with exactly
yahpo-gym's outputs; a value outside the range of ``config_space.json`` (``repl``: an integer
in 1..10) is an :class:`~hpobench.contracts.errors.InvalidConfigError`, and an omitted one takes the fixed
value, so results without it are unchanged.

Reference optimum: there is no table. :func:`estimate_reference` takes the best and worst of
20,000 random configurations at the maximal fidelity (seed 0), then refines the best with a
seeded local search (12 rounds of Gaussian steps around the 16 best). The values are stored in
:mod:`hpobench.surrogates._yahpo_optima` with the sha256 of the model they were computed from;
when the model differs they are recomputed at load. The best is an estimate: a method can
beat it (slightly negative regret), and ``Reference.source`` says so.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence
from functools import cached_property
from pathlib import Path
from typing import ClassVar

import numpy as np

from hpobench.contracts.batch import EvaluationBatch
from hpobench.contracts.benchmark import Benchmark, BenchmarkFamily, TaskInfo, paired_fidelities
from hpobench.contracts.columns import Configs, configs_of
from hpobench.contracts.errors import DataError, UnknownNameError
from hpobench.contracts.space import SpaceCodec
from hpobench.contracts.types import Config, Evaluation, Reference, Task, Trial
from hpobench.contracts.values import check_seed
from hpobench.data.datadir import verified
from hpobench.data.datasets import pinned_sha256
from hpobench.surrogates._dense import STATUS_OF_OK
from hpobench.surrogates._onnx import configured_threads
from hpobench.surrogates._yahpo_codec import YahpoCodec
from hpobench.surrogates._yahpo_encoding import YahpoEncoder
from hpobench.surrogates._yahpo_files import (
    FILES,
    ScenarioData,
    file_stamp,
    load_scenario_data,
    scenario_dir,
)
from hpobench.surrogates._yahpo_reference import (
    N_RANDOM,
    REFERENCE_SEED,
    estimate_reference,
    stored_reference,
)
from hpobench.surrogates._yahpo_scenarios import SCENARIOS, Scenario

__all__ = [
    "FAMILY",
    "SCENARIOS",
    "Scenario",
    "YahpoBenchmark",
    "YahpoFamily",
    "estimate_reference",
    "load_yahpo",
]

TAGS = frozenset({"surrogate", "yahpo"})
_MAKE = Evaluation._owned
_NAN, _INF = float("nan"), float("inf")


def _charged(cost: np.ndarray) -> np.ndarray:
    """The cost an evaluation is charged: the prediction, at least 0, and 0 where it is not finite."""
    return np.where(np.isfinite(cost), np.maximum(cost, 0.0), 0.0)


class YahpoBenchmark(Benchmark):
    """One YAHPO instance behind the Benchmark contract (see the module docstring).

    Args:
        scenario: The scenario.
        instance: The instance id.
        data: The scenario's loaded files.
        reference: Reference values of the objective, or ``None`` to estimate them now.
    """

    seed_free: ClassVar[bool] = True  # deterministic models: the seed changes no answer

    def __init__(
        self, *, scenario: Scenario, instance: str, data: ScenarioData, reference: Reference | None
    ) -> None:
        self.scenario = scenario
        self.instance = instance
        self._data = data
        self._task = Task(
            name=f"yahpo/{scenario.name}-{instance}",
            space=data.space,
            objectives=(scenario.objective,),
            fidelity=scenario.fidelity,
            tags=TAGS | {scenario.name},
        )
        self._encoder = YahpoEncoder(
            scenario=scenario,
            encoding=data.encoding,
            instance_code=data.encoding[scenario.instance_param][instance],
        )
        self._objective = scenario.y_names.index(scenario.objective.name)
        self._cost = scenario.y_names.index(scenario.cost)
        self._extra_cols = [j for j in range(len(scenario.y_names)) if j != self._objective]
        self._extra_names = tuple(scenario.y_names[j] for j in self._extra_cols)
        self._reference = reference

    @property
    def task(self) -> Task:
        """The task (constant)."""
        return self._task

    @cached_property
    def codec(self) -> SpaceCodec:
        """Validation (condition-aware, fast) and sampling for the task's space."""
        return YahpoCodec(self._task.space, self._data.fixed)

    def data_files(self) -> Mapping[str, str]:
        """The scenario's config_space.json, encoding.json and model.onnx with their sha256."""
        return dict(self._data.files)

    def encode(self, configs: Sequence[Config], fidelities: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The model inputs ``(x_cat, x_cont)`` for valid configurations, as yahpo-gym builds them.

        See :meth:`hpobench.surrogates._yahpo_encoding.YahpoEncoder.encode`.
        """
        return self._encoder.encode(configs, fidelities)

    def predict(self, configs: Sequence[Config], fidelities: Sequence[float] | np.ndarray) -> np.ndarray:
        """All outputs (yahpo-gym's ``y_names`` order) for configurations at given fidelities.

        Raises:
            InvalidConfigError: A configuration is not in the space.
        """
        self.codec.validate_all(configs)
        return self._predict(configs, np.asarray(fidelities, dtype=np.float64))

    def _predict(self, configs: Sequence[Config], fidelities: np.ndarray) -> np.ndarray:
        x_cat, x_cont = self.encode(configs, fidelities)
        return self._data.model.predict(x_cat, x_cont).astype(np.float64)

    def evaluate(self, trials: Sequence[Trial], *, seed: int) -> Sequence[Evaluation]:
        """Evaluate a batch; ``seed`` does not change the answers (deterministic).

        A batch of several trials is answered as an
        :class:`~hpobench.contracts.batch.EvaluationBatch` (each :class:`Evaluation` built when
        read). The batch runs in chunks of :attr:`OnnxModel.chunk_rows` trials, each validated,
        encoded and submitted in turn; with more than one worker (``$HPOBENCH_ONNX_THREADS`` above 1, or 0 on
        a machine with several cores) the model runs of earlier chunks overlap the validation of
        later ones (see :meth:`OnnxModel.stream`). The answers do not depend on the batch or the
        thread count.

        Raises:
            InvalidConfigError: A configuration is not in the space.
            InvalidFidelityError: A fidelity is outside the task's range.
        """
        check_seed(seed)
        if len(trials) == 1:  # one query: no chunks, no arrays of answers (the same answer)
            return [self._evaluate_one(trials[0])]
        y = self._all_outputs([t.config for t in trials], [t.fidelity for t in trials])
        values, costs = self._answers(y)
        return EvaluationBatch(
            trials=trials,
            objective_names=(self._task.objective.name,),
            values=values,
            costs=costs,
            extra_names=self._extra_names,
            extras=y[:, self._extra_cols],  # as predicted (an infinite one stays infinite)
        )

    def evaluate_arrays(
        self, configs: Configs, *, seed: int, fidelities: Sequence[float | None] | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Array form of :meth:`evaluate` for large batches: no :class:`Evaluation` objects.

        Same validation, chunks and fidelity rules as :meth:`evaluate` (``fidelities=None``: all at
        the maximal fidelity); ``seed`` does not change the answers. ``configs`` may also be
        columns (:mod:`hpobench.contracts.columns`), answered row by row.

        Returns:
            ``(values, cost)``: the objective ``(n, 1)``, NaN where the evaluation FAILED (a
            non-finite prediction), and the cost in seconds ``(n,)`` that :meth:`evaluate` charges.

        Raises:
            InvalidConfigError: A configuration is not in the space.
            InvalidFidelityError: A fidelity is outside the task's range.
            ValueError: ``fidelities`` and ``configs`` differ in length.
        """
        check_seed(seed)
        configs = configs_of(configs)
        return self._answers(self._all_outputs(list(configs), paired_fidelities(configs, fidelities)))

    def _answers(self, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(values, costs)`` of model outputs ``y``.

        The objective ``(n, 1)``, NaN where it is not finite (FAILED), and the charged cost ``(n,)``.
        """
        value = y[:, [self._objective]]
        return np.where(np.isfinite(value), value, np.nan), _charged(y[:, self._cost])

    def _all_outputs(self, configs: Sequence[Config], fidelities: Sequence[float | None]) -> np.ndarray:
        """The float64 model outputs ``(n, n_outputs)`` of a batch (see :meth:`evaluate`)."""
        model = self._data.model
        step = model.chunk_rows
        # validated and encoded chunk by chunk, overlapping the model runs of earlier chunks
        inputs = (
            self.encode(
                configs[i : i + step], self.check_configs(configs[i : i + step], fidelities[i : i + step])
            )
            for i in range(0, len(configs), step)
        )
        parts = list(model.stream(inputs))
        if not parts:
            return np.empty((0, model.n_outputs))
        return (parts[0] if len(parts) == 1 else np.concatenate(parts)).astype(np.float64)

    def _evaluate_one(self, trial: Trial) -> Evaluation:
        """:meth:`evaluate` of one trial, in Python floats (exactly a batch's item for it)."""
        fidelity = float(self.check_trials((trial,))[0])
        y = self._data.model.call_one(*self._encoder.encode_row(trial.config, fidelity))
        value, cost = y[self._objective], y[self._cost]
        ok = -_INF < value < _INF
        charged = cost if -_INF < cost < _INF and cost > 0.0 else 0.0  # np.maximum(-0.0, 0.0) is 0.0
        extras = dict(zip(self._extra_names, [y[j] for j in self._extra_cols], strict=True))
        values = {self._task.objective.name: value if ok else _NAN}
        return _MAKE(trial, values, charged, STATUS_OF_OK[ok], extras)

    def reference_values(self, configs: Sequence[Config]) -> np.ndarray:
        """The objective at the maximal fidelity (rbv2: ``repl`` 10), shape ``(n, 1)``."""
        high = np.full(len(configs), self.scenario.fidelity.high)
        return self.predict(configs, high)[:, [self._objective]]

    def optimum(self) -> Reference:
        """The stored (or, for a different model file, freshly computed) reference estimate."""
        if self._reference is None:
            self._reference = estimate_reference(self)
        return self._reference


# --- family -------------------------------------------------------------------------------------


def load_yahpo(scenario: str, instance: str, *, data_dir: Path | None) -> YahpoBenchmark:
    """Load one instance.

    Raises:
        UnknownNameError: Unknown scenario or instance.
        DataError: A file is missing or corrupt (including: differs from the manifest's sha256
            while verification is on, see :mod:`hpobench.data.datadir`), or onnxruntime is missing.
    """
    if scenario not in SCENARIOS:
        raise UnknownNameError("YAHPO scenario", scenario, sorted(SCENARIOS))
    sc = SCENARIOS[scenario]
    if instance not in sc.instances:
        raise UnknownNameError(
            "benchmark", f"yahpo/{scenario}-{instance}", [_task(scenario, i) for i in sc.instances]
        )
    folder = scenario_dir(data_dir, sc)
    for file in FILES:  # checked on every load (one hash per file and process); missing ones below
        if (folder / file).is_file():
            verified(
                folder / file, sha256=pinned_sha256(f"yahpo/{scenario}/{file}"), what=f"yahpo/{scenario}"
            )
    stamps = tuple(file_stamp(folder / f) for f in FILES)
    data = load_scenario_data(scenario, folder, stamps, configured_threads())
    if instance not in data.instances:
        raise DataError(f"yahpo/{scenario}: instance {instance!r} is not in {folder / 'config_space.json'}")
    name = _task(scenario, instance)
    return YahpoBenchmark(
        scenario=sc, instance=instance, data=data, reference=stored_reference(name, data.files)
    )


def _task(scenario: str, instance: str) -> str:
    return f"yahpo/{scenario}-{instance}"


class YahpoFamily(BenchmarkFamily):
    """The ``yahpo`` family: one multi-fidelity surrogate task per YAHPO instance (274 tasks)."""

    name = "yahpo"
    requires = ("onnxruntime",)

    def tasks(self) -> tuple[TaskInfo, ...]:
        """Describe every instance of every scenario (static; reads no data)."""
        return tuple(
            TaskInfo(
                name=_task(s.name, i),
                multi_fidelity=True,
                needs_data=True,
                tags=TAGS | {s.name},
                conditional=s.conditional,
            )
            for s in SCENARIOS.values()
            for i in s.instances
        )

    def load(self, task: str, *, data_dir: Path | None) -> YahpoBenchmark:
        """Load ``<scenario>-<instance>`` from ``<data_dir>/yahpo/<scenario>/``.

        Raises:
            UnknownNameError: No such task.
            DataError: A file is missing or corrupt, or onnxruntime is missing.
        """
        scenario, sep, instance = task.rpartition("-")
        if not sep or scenario not in SCENARIOS or instance not in SCENARIOS[scenario].instances:
            raise UnknownNameError("benchmark", f"yahpo/{task}", [i.name for i in self.tasks()])
        return load_yahpo(scenario, instance, data_dir=data_dir)


FAMILY = YahpoFamily()
"""The entry point registered as ``yahpo`` in ``hpobench.benchmarks``."""


def render_optima(data_dir: Path) -> str:
    """The source of :mod:`hpobench.surrogates._yahpo_optima`, estimated for every task anew.

    Run ``python -m hpobench.surrogates.yahpo DATA_DIR > surrogates/_yahpo_optima.py`` (then
    ``ruff format`` it) when a model changes on purpose (about 10 minutes on one core).
    """
    shas: dict[str, str] = {}
    lines: list[str] = []
    for scenario in SCENARIOS.values():
        for instance in scenario.instances:
            bench = load_yahpo(scenario.name, instance, data_dir=data_dir)
            ref = estimate_reference(bench)
            shas[scenario.name] = next(s for p, s in bench.data_files().items() if p.endswith("model.onnx"))
            name = scenario.objective.name
            lines.append(f"    {bench.task.name!r}: ({float(ref.best[name])!r}, {float(ref.worst[name])!r}),")
    source = (
        f"estimate: best of {N_RANDOM} random configurations (seed {REFERENCE_SEED}) refined by local "
        "search, worst = median of the random sample, at the maximal fidelity; a method may beat this best"
    )
    return "\n".join(
        [
            '"""Reference estimates of the YAHPO tasks (by ``python -m hpobench.surrogates.yahpo``).',
            "",
            "Task -> (best, worst) of the primary objective, estimated by",
            ":func:`hpobench.surrogates.yahpo.estimate_reference`; they apply only to the model files",
            "whose sha256 is listed (other models are estimated at load).",
            '"""',
            "",
            "from __future__ import annotations",
            "",
            "SOURCE = (",
            *(f"    {part!r}" for part in textwrap.wrap(source, 90, drop_whitespace=False)),
            ")",
            "",
            "MODEL_SHA256: dict[str, str] = {",
            *(f"    {k!r}: {v!r}," for k, v in shas.items()),
            "}",
            "",
            "OPTIMA: dict[str, tuple[float, float]] = {",
            *lines,
            "}",
            "",
        ]
    )


if __name__ == "__main__":  # pragma: no cover - regeneration script
    import sys

    if len(sys.argv) != 2:
        sys.exit("usage: python -m hpobench.surrogates.yahpo DATA_DIR > surrogates/_yahpo_optima.py")
    sys.stdout.write(render_optima(Path(sys.argv[1]).resolve()))
