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

The scenarios' metadata (column orders, instances, objective) is in
:mod:`hpobench.surrogates._yahpo_scenarios`. ``evaluate`` answers a batch with onnxruntime calls
of at most 256 rows (run in parallel with ``$HPOBENCH_ONNX_THREADS``); a configuration's answer
does not depend on the rest of the batch, because calls are padded to whole row blocks
(:mod:`hpobench.surrogates._onnx`; 4 rows on x86-64 with AVX-512), so one query costs as much as
4 and batches are where the speed is. Validation takes a quick path for plain values (a
``float``, ``int`` or ``str`` in range, keys exactly the active hyperparameters) and the full
condition-aware check otherwise.

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

import json
import math
import textwrap
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

import ConfigSpace as CS
import numpy as np

from hpobench.contracts.benchmark import Benchmark, BenchmarkFamily, TaskInfo, paired_fidelities
from hpobench.contracts.errors import DataError, InvalidConfigError, UnknownNameError
from hpobench.contracts.space import SpaceCodec
from hpobench.contracts.types import Config, Evaluation, Reference, Task, Trial
from hpobench.contracts.values import check_seed
from hpobench.data.datadir import file_sha256, verified
from hpobench.data.datasets import pinned_sha256
from hpobench.surrogates._dense import STATUS_OF_OK, row_dicts
from hpobench.surrogates._onnx import OnnxModel, configured_threads, load_onnx_model
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

NA = "#na#"
"""yahpo-gym's code word for an inactive categorical parameter (encoded as 0)."""
N_RANDOM = 20_000
"""Random configurations of the reference estimate."""
REFERENCE_SEED = 0

TAGS = frozenset({"surrogate", "yahpo"})
_MAKE = Evaluation._owned


def _trial(config: Config, fidelity: float | None) -> Trial:
    return Trial(config=config, fidelity=fidelity)


def _charged(cost: np.ndarray) -> np.ndarray:
    """The cost an evaluation is charged: the prediction, at least 0, and 0 where it is not finite."""
    return np.where(np.isfinite(cost), np.maximum(cost, 0.0), 0.0)


# --- reading the upstream files ---------------------------------------------------------------


def _read_json(path: Path, what: str) -> Any:
    if not path.is_file():
        raise DataError(f"{what}: data file {str(path)!r} is missing")
    try:
        with path.open("rb") as fh:
            return json.load(fh)
    except (OSError, ValueError) as exc:
        raise DataError(f"{what}: cannot read JSON {str(path)!r}: {exc}") from exc


def _hyperparameter(raw: Mapping[str, Any]) -> Any:
    name, kind = str(raw["name"]), raw["type"]
    if kind == "uniform_float":
        return CS.UniformFloatHyperparameter(
            name, float(raw["lower"]), float(raw["upper"]), default_value=raw["default"], log=bool(raw["log"])
        )
    if kind == "uniform_int":
        return CS.UniformIntegerHyperparameter(
            name, int(raw["lower"]), int(raw["upper"]), default_value=raw["default"], log=bool(raw["log"])
        )
    if kind == "categorical":
        return CS.CategoricalHyperparameter(
            name, [str(c) for c in raw["choices"]], default_value=str(raw["default"])
        )
    raise ValueError(f"unsupported hyperparameter type {kind!r} of {name!r}")


def _condition(raw: Mapping[str, Any], hps: Mapping[str, Any]) -> Any:
    child, parent = hps[raw["child"]], hps[raw["parent"]]
    if raw["type"] == "EQ":
        return CS.EqualsCondition(child, parent, raw["value"])
    if raw["type"] == "IN":
        return CS.InCondition(child, parent, list(raw["values"]))
    raise ValueError(f"unsupported condition type {raw['type']!r}")


def _parse_space(
    raw: Any, scenario: Scenario, instance_choices_out: list[str]
) -> tuple[CS.ConfigurationSpace, dict[str, Any]]:
    """Build the task space (instance, fidelity and fixed parameters removed) from ConfigSpace JSON.

    Returns:
        ``(space, fixed)``: the search space, and the scenario's fixed parameters as numeric
        hyperparameters (range from the JSON, default the scenario's value, which must lie in it).
    """
    if raw.get("forbiddens"):
        raise ValueError("forbidden clauses are not supported")
    hps = {h["name"]: h for h in raw["hyperparameters"]}
    expected = set(scenario.cont_names) | set(scenario.cat_names)
    if set(hps) != expected:
        raise ValueError(f"hyperparameters {sorted(hps)} differ from yahpo-gym's {sorted(expected)}")
    instance_choices_out.extend(str(c) for c in hps[scenario.instance_param]["choices"])
    fid = hps[scenario.fidelity.name]
    if (float(fid["lower"]), float(fid["upper"])) != (scenario.fidelity.low, scenario.fidelity.high):
        raise ValueError(
            f"fidelity {scenario.fidelity.name!r} range [{fid['lower']}, {fid['upper']}] differs"
        )
    kept = {name: _hyperparameter(h) for name, h in hps.items() if name not in scenario.hidden}
    space = CS.ConfigurationSpace(name=f"yahpo/{scenario.name}")
    space.add(list(kept.values()))
    conditions = [_condition(c, kept) for c in raw.get("conditions", [])]
    if conditions:
        space.add(conditions)
    fixed: dict[str, Any] = {}
    for name, value in scenario.fixed.items():
        spec = hps[name]
        if spec["type"] not in ("uniform_int", "uniform_float"):
            raise ValueError(f"fixed parameter {name!r} is not numeric")
        if not float(spec["lower"]) <= value <= float(spec["upper"]):
            raise ValueError(
                f"fixed value {value!r} of {name!r} is outside [{spec['lower']}, {spec['upper']}]"
            )
        default = int(value) if spec["type"] == "uniform_int" else value
        fixed[name] = _hyperparameter({**spec, "default": default})  # our default, not the JSON's
    return space, fixed


_FILES = ("config_space.json", "encoding.json", "model.onnx")
"""The files of a scenario folder that are read (each pinned in the manifest)."""


@dataclass(frozen=True, kw_only=True)
class _ScenarioData:
    space: CS.ConfigurationSpace
    fixed: Mapping[str, Any]
    instances: frozenset[str]
    encoding: Mapping[str, Mapping[str, int]]
    model: OnnxModel
    files: Mapping[str, str]


def _scenario_dir(data_dir: Path | None, scenario: Scenario) -> Path:
    what = f"yahpo/{scenario.name}"
    if data_dir is None:
        raise DataError(
            f"{what} needs the benchmark data directory: pass --data-dir DIR or set $HPOBENCH_DATA_DIR "
            f"(expected files: DIR/yahpo/{scenario.name}/config_space.json, encoding.json, model.onnx)"
        )
    return (data_dir / "yahpo" / scenario.name).resolve()


def _stamp(path: Path) -> tuple[int, int]:
    try:
        stat = path.stat()
    except OSError:
        return (-1, -1)
    return (stat.st_size, stat.st_mtime_ns)


@lru_cache(maxsize=8)
def _load_scenario(
    name: str, folder: Path, stamps: tuple[tuple[int, int], ...], threads: int
) -> _ScenarioData:
    """Read and check one scenario folder; cached on the files' sizes and mtimes and the threads."""
    scenario = SCENARIOS[name]
    what = f"yahpo/{name}"
    space_path, encoding_path = folder / "config_space.json", folder / "encoding.json"
    raw_space = _read_json(space_path, what)
    choices: list[str] = []
    try:
        space, fixed = _parse_space(raw_space, scenario, choices)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise DataError(f"{what}: {str(space_path)!r} is not the expected ConfigSpace JSON: {exc}") from exc
    raw_encoding = _read_json(encoding_path, what)
    encoding = _check_encoding(raw_encoding, scenario, space, choices, what=f"{what} ({encoding_path})")
    model = load_onnx_model(folder / "model.onnx", what=what)
    shapes = (model.n_cat, model.n_cont, model.n_outputs)
    expected = (len(scenario.cat_names), len(scenario.cont_names), len(scenario.y_names))
    if shapes != expected:
        raise DataError(
            f"{what}: model.onnx has (categorical, continuous, output) widths {shapes}, "
            f"yahpo-gym's {name} has {expected}"
        )
    files = {str(p): file_sha256(p) for p in (space_path, encoding_path, model.path)}
    return _ScenarioData(
        space=space,
        fixed=fixed,
        instances=frozenset(choices),
        encoding=encoding,
        model=model,
        files=files,
    )


def _check_encoding(
    raw: Any, scenario: Scenario, space: CS.ConfigurationSpace, instances: list[str], *, what: str
) -> dict[str, dict[str, int]]:
    if not isinstance(raw, dict):
        raise DataError(f"{what}: expected a JSON object of categorical codes")
    out: dict[str, dict[str, int]] = {}
    for name in scenario.cat_names:
        codes = raw.get(name)
        hp = space[name] if name != scenario.instance_param else None
        needed = instances if hp is None else [str(c) for c in getattr(hp, "choices", ())]
        if not isinstance(codes, dict) or any(not isinstance(codes.get(v), int) for v in [NA, *needed]):
            raise DataError(f"{what}: no integer code for every value of {name!r} (and {NA!r})")
        out[name] = {str(k): int(v) for k, v in codes.items()}
    return out


# --- validation ---------------------------------------------------------------------------------


def _single(hp: Any) -> CS.ConfigurationSpace:
    """A space holding only ``hp``."""
    space = CS.ConfigurationSpace(name=hp.name)
    space.add(hp)
    return space


class _Codec(SpaceCodec):
    """A :class:`SpaceCodec` whose validation handles EQ/IN conditions without building Configurations.

    ConfigSpace's ``Configuration`` costs tens of microseconds; YAHPO queries cost a few, so the
    condition structure (a child is active iff its parent is active and takes one of the listed
    values) is checked directly. Other condition kinds fall back to the base class.

    ``fixed``: the scenario's fixed parameters (rbv2's ``repl``), which a configuration may carry
    in addition to the searched ones, as in yahpo-gym; each must then lie in its range (an
    omitted one takes the scenario's value). Sampling never draws them.
    """

    def __init__(self, space: CS.ConfigurationSpace, fixed: Mapping[str, Any] | None = None) -> None:
        super().__init__(space)
        self._fixed = {name: SpaceCodec(_single(hp)) for name, hp in (fixed or {}).items()}
        self._parents: dict[str, tuple[str, frozenset[Any]]] = {}
        self._simple = True
        for cond in space.conditions:
            if isinstance(cond, CS.EqualsCondition):
                allowed = frozenset([cond.value])
            elif isinstance(cond, CS.InCondition):
                allowed = frozenset(cond.values)
            else:
                self._simple = False
                break
            self._parents[cond.child.name] = (cond.parent.name, allowed)
        self._parent_names = tuple(sorted({parent for parent, _ in self._parents.values()}))
        self._active_sets: dict[tuple[Any, ...], frozenset[str]] = {}
        self._fast: dict[str, tuple[type, Any, Any]] = {}
        self._fast_usable = self._simple and not space.forbidden_clauses
        for name in self.names:
            hp = space[name]
            if isinstance(hp, CS.CategoricalHyperparameter) and all(isinstance(c, str) for c in hp.choices):
                self._fast[name] = (str, frozenset(hp.choices), None)
            elif isinstance(hp, CS.UniformIntegerHyperparameter):
                self._fast[name] = (int, int(hp.lower), int(hp.upper))
            elif isinstance(hp, CS.UniformFloatHyperparameter):
                self._fast[name] = (float, float(hp.lower), float(hp.upper))
            else:
                self._fast_usable = False

    def __reduce__(self) -> tuple[Any, ...]:
        return (_Codec, (self.space, {name: c.space[name] for name, c in self._fixed.items()}))

    def _active(self, name: str, config: Mapping[str, Any]) -> bool:
        link = self._parents.get(name)
        if link is None:
            return True
        parent, allowed = link
        return self._active(parent, config) and config.get(parent) in allowed

    def sample(self, rng: np.random.Generator, n: int) -> list[dict[str, Any]]:
        """Draw ``n`` configurations: every hyperparameter from its prior, then the inactive ones dropped.

        This is ConfigSpace's distribution for EQ/IN conditions, drawn column-wise from ``rng``
        (ConfigSpace's own conditional sampler costs about a millisecond per configuration).
        """
        if not self._simple or not self._parents:
            return super().sample(rng, n)
        if n < 0:
            raise ValueError(f"n must be non-negative, got {n}")
        columns = {name: self._samplers[name](rng, n) for name in self.names}
        out = []
        for i in range(n):
            full = {name: columns[name][i] for name in self.names}
            out.append({k: v for k, v in full.items() if self._active(k, full)})
        return out

    def _valid_fast(self, config: Any) -> bool:
        """Whether ``config`` is valid by a quick check that accepts only plain values.

        ``True`` only for a mapping whose keys are exactly the active hyperparameters (a
        function of the parents' values, memoised) and whose values are a ``float``, ``int`` or
        ``str`` inside the range or choices. ``False`` leaves the verdict (and the error
        message) to the full check, which also accepts numpy scalars and ints for floats.
        """
        if not isinstance(config, Mapping):
            return False
        try:
            key = tuple(config.get(p) for p in self._parent_names)
            active = self._active_sets.get(key)
        except TypeError:  # an unhashable value
            return False
        if active is None:
            active = frozenset(name for name in self.names if self._active(name, config))
            if len(self._active_sets) < 1024:  # parents are categorical: few keys unless values are bad
                self._active_sets[key] = active
        if config.keys() != active:
            return False
        fast = self._fast
        for name, value in config.items():
            kind, low, high = fast[name]
            if type(value) is not kind:
                return False
            if kind is str:
                if value not in low:
                    return False
            elif not low <= value <= high:
                return False
        return True

    def validate(self, config: Mapping[str, Any]) -> None:
        """Raise :class:`InvalidConfigError` naming the offending hyperparameter, if any.

        A hyperparameter is required exactly when it is active (its parent condition holds);
        an inactive one must be absent, as in yahpo-gym (which refuses inactive values). Fixed
        parameters may be present (see the class docstring).
        """
        if self._fast_usable and self._valid_fast(config):
            return
        if self._fixed and isinstance(config, Mapping) and not self._fixed.keys().isdisjoint(config):
            config = self._without_fixed(config)
            if self._fast_usable and self._valid_fast(config):
                return
        if not self._simple or not self._parents:
            super().validate(config)
            return
        self._check_names(config)
        for name in self.names:
            active = self._active(name, config)
            if name not in config:
                if active:
                    raise InvalidConfigError(f"hyperparameter {name!r} is missing from the configuration")
                continue
            if not active:
                raise InvalidConfigError(f"hyperparameter {name!r} is inactive here and must be absent")
            self._check_value(name, config[name])

    def _without_fixed(self, config: Mapping[str, Any]) -> dict[str, Any]:
        """``config`` without its fixed parameters, after checking their values."""
        for name, codec in self._fixed.items():
            if name in config and not codec.is_valid({name: config[name]}):
                hp = codec.space[name]
                assert isinstance(hp, CS.UniformIntegerHyperparameter | CS.UniformFloatHyperparameter)
                kind = "an integer" if isinstance(hp, CS.UniformIntegerHyperparameter) else "a number"
                raise InvalidConfigError(
                    f"value {config[name]!r} is not allowed for the fixed parameter {name!r} of "
                    f"{self.space.name}: it must be {kind} in [{hp.lower}, {hp.upper}] "
                    f"(omit it for the default, {hp.default_value!r})"
                )
        return {k: v for k, v in config.items() if k not in self._fixed}


# --- the benchmark ------------------------------------------------------------------------------


class YahpoBenchmark(Benchmark):
    """One YAHPO instance behind the Benchmark contract (see the module docstring).

    Args:
        scenario: The scenario.
        instance: The instance id.
        data: The scenario's loaded files.
        reference: Reference values of the objective, or ``None`` to estimate them now.
    """

    def __init__(
        self, *, scenario: Scenario, instance: str, data: _ScenarioData, reference: Reference | None
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
        self._instance_code = data.encoding[scenario.instance_param][instance]
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
        return _Codec(self._task.space, self._data.fixed)

    def data_files(self) -> Mapping[str, str]:
        """The scenario's config_space.json, encoding.json and model.onnx with their sha256."""
        return dict(self._data.files)

    def encode(self, configs: Sequence[Config], fidelities: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The model inputs for valid configurations, exactly as yahpo-gym builds them.

        Args:
            configs: Valid configurations of the task's space.
            fidelities: One fidelity per configuration.

        Returns:
            ``(x_cat, x_cont)``: int32 ``(n, len(cat_names))`` and float32 ``(n, len(cont_names))``.
        """
        sc, n = self.scenario, len(configs)
        cont = np.empty((n, len(sc.cont_names)), dtype=np.float64)
        for j, name in enumerate(sc.cont_names):
            if name == sc.fidelity.name:
                cont[:, j] = fidelities
            elif name in sc.fixed:
                default = sc.fixed[name]
                cont[:, j] = [c.get(name, default) for c in configs]
            else:
                cont[:, j] = [c.get(name, 0.0) for c in configs]
        cat = np.empty((n, len(sc.cat_names)), dtype=np.int32)
        for j, name in enumerate(sc.cat_names):
            if name == sc.instance_param:
                cat[:, j] = self._instance_code
            else:
                codes = self._data.encoding[name]
                cat[:, j] = [codes[c.get(name, NA)] for c in configs]
        return cat, cont.astype(np.float32)

    def predict(self, configs: Sequence[Config], fidelities: Sequence[float] | np.ndarray) -> np.ndarray:
        """All outputs (yahpo-gym's ``y_names`` order) for configurations at given fidelities.

        Raises:
            InvalidConfigError: A configuration is not in the space.
        """
        for config in configs:
            self.codec.validate(config)
        return self._predict(configs, np.asarray(fidelities, dtype=np.float64))

    def _predict(self, configs: Sequence[Config], fidelities: np.ndarray) -> np.ndarray:
        x_cat, x_cont = self.encode(configs, fidelities)
        return self._data.model.predict(x_cat, x_cont).astype(np.float64)

    def evaluate(self, trials: Sequence[Trial], *, seed: int) -> list[Evaluation]:
        """Evaluate a batch; ``seed`` does not change the answers (deterministic).

        The batch runs in chunks of :attr:`OnnxModel.chunk_rows` trials, each validated, encoded and
        submitted in turn; with more than one worker (``$HPOBENCH_ONNX_THREADS`` above 1, or 0 on
        a machine with several cores) the model runs of earlier chunks overlap the validation of
        later ones (see :meth:`OnnxModel.stream`). The answers do not depend on the batch or the
        thread count.

        Raises:
            InvalidConfigError: A configuration is not in the space.
            InvalidFidelityError: A fidelity is outside the task's range.
        """
        check_seed(seed)
        out: list[Evaluation] = []
        for part, y in self._outputs(trials):
            out += self._evaluations(part, y)
        return out

    def evaluate_arrays(
        self, configs: Sequence[Config], *, seed: int, fidelities: Sequence[float | None] | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Array form of :meth:`evaluate` for large batches: no :class:`Evaluation` objects.

        Same validation, chunks and fidelity rules as :meth:`evaluate` (``fidelities=None``: all at
        the maximal fidelity); ``seed`` does not change the answers.

        Returns:
            ``(values, cost)``: the objective ``(n, 1)``, NaN where the evaluation FAILED (a
            non-finite prediction), and the cost in seconds ``(n,)`` that :meth:`evaluate` charges.

        Raises:
            InvalidConfigError: A configuration is not in the space.
            InvalidFidelityError: A fidelity is outside the task's range.
            ValueError: ``fidelities`` and ``configs`` differ in length.
        """
        check_seed(seed)
        trials = list(map(_trial, configs, paired_fidelities(configs, fidelities)))
        y = np.empty((0, self._data.model.n_outputs))
        parts = [out for _, out in self._outputs(trials)]
        if parts:
            y = parts[0] if len(parts) == 1 else np.concatenate(parts)
        value = y[:, [self._objective]]
        return np.where(np.isfinite(value), value, np.nan), _charged(y[:, self._cost])

    def _outputs(self, trials: Sequence[Trial]) -> Iterator[tuple[Sequence[Trial], np.ndarray]]:
        """``(chunk of trials, float64 model outputs)`` pairs, in order (see :meth:`evaluate`)."""
        model = self._data.model
        chunks = [trials[i : i + model.chunk_rows] for i in range(0, len(trials), model.chunk_rows)]
        # validated and encoded chunk by chunk, overlapping the model runs of earlier chunks
        inputs = (self.encode([t.config for t in part], self.check_trials(part)) for part in chunks)
        for part, y in zip(chunks, model.stream(inputs), strict=True):
            yield part, y.astype(np.float64)

    def _evaluations(self, trials: Sequence[Trial], y: np.ndarray) -> list[Evaluation]:
        """Evaluations of ``trials`` from the model's outputs ``y`` (one row per trial)."""
        value, cost = y[:, self._objective], y[:, self._cost]
        ok = np.isfinite(value)
        objective = self._task.objective.name
        values = row_dicts((objective,), np.where(ok, value, np.nan)[:, None])
        costs: list[float] = _charged(cost).tolist()
        statuses = map(STATUS_OF_OK.__getitem__, ok.tolist())
        extras = row_dicts(self._extra_names, y[:, self._extra_cols])
        return list(map(_MAKE, trials, values, costs, statuses, extras))

    def reference_values(self, configs: Sequence[Config]) -> np.ndarray:
        """The objective at the maximal fidelity (rbv2: ``repl`` 10), shape ``(n, 1)``."""
        high = np.full(len(configs), self.scenario.fidelity.high)
        return self.predict(configs, high)[:, [self._objective]]

    def optimum(self) -> Reference:
        """The stored (or, for a different model file, freshly computed) reference estimate."""
        if self._reference is None:
            self._reference = estimate_reference(self)
        return self._reference


# --- reference estimate -------------------------------------------------------------------------


def _unit(hp: Any, value: float) -> float:
    lo, hi = float(hp.lower), float(hp.upper)
    if hp.log:
        return (math.log(value) - math.log(lo)) / (math.log(hi) - math.log(lo))
    return (value - lo) / (hi - lo)


def _from_unit(hp: Any, u: float) -> Any:
    lo, hi = float(hp.lower), float(hp.upper)
    u = min(max(u, 0.0), 1.0)
    value = math.exp(math.log(lo) + u * (math.log(hi) - math.log(lo))) if hp.log else lo + u * (hi - lo)
    value = min(max(value, lo), hi)
    if isinstance(hp, CS.UniformIntegerHyperparameter):
        return int(min(max(round(value), int(hp.lower)), int(hp.upper)))
    return value


def _neighbour(codec: _Codec, config: Config, sigma: float, rng: np.random.Generator) -> dict[str, Any]:
    """A Gaussian step (in the unit cube, log scale where the space is) from ``config``."""
    space = codec.space
    out: dict[str, Any] = {}
    p_cat = 1.0 / len(codec.names)
    for name in codec.names:
        hp = space[name]
        if isinstance(hp, CS.CategoricalHyperparameter):
            current = config.get(name, hp.default_value)
            out[name] = str(rng.choice(list(hp.choices))) if rng.random() < p_cat else current
        elif name in config:
            out[name] = _from_unit(hp, _unit(hp, float(config[name])) + sigma * float(rng.normal()))
        else:  # inactive before the step: a fresh value, kept only if the step activates it
            out[name] = _from_unit(hp, float(rng.random()))
    return {k: v for k, v in out.items() if codec._active(k, out)}


def estimate_reference(
    benchmark: YahpoBenchmark, *, n_random: int = N_RANDOM, seed: int = REFERENCE_SEED
) -> Reference:
    """Estimate the objective's best and worst values at the maximal fidelity.

    ``worst`` is the median of ``n_random`` configurations sampled from the space's prior (as
    for the tables: normalised regret about 1 for a random configuration); ``best`` the best of
    them, refined by 12 rounds
    of local search: 32 Gaussian steps (sigma 0.1, 0.05, 0.02, 0.01 in the unit cube, three
    rounds each) from each of the 16 best configurations so far, keeping the 16 best. All
    randomness comes from ``np.random.default_rng(seed)``.

    Args:
        benchmark: The instance.
        n_random: Size of the random sample.
        seed: Seed of the sample and the search.
    """
    rng = np.random.default_rng(seed)
    codec = benchmark.codec
    assert isinstance(codec, _Codec)
    sign = benchmark.task.objective.direction.sign
    configs: list[Config] = list(codec.sample(rng, n_random))
    losses = sign * benchmark.reference_values(configs)[:, 0]
    finite = np.isfinite(losses)
    if not finite.any():
        raise DataError(
            f"{benchmark.task.name}: the model gives no finite value on {n_random} configurations"
        )
    # the median configuration, as for the tables (non-finite answers count as the worst)
    worst_loss = float(np.median(np.where(finite, losses, np.inf)))
    order = np.argsort(np.where(finite, losses, np.inf), kind="stable")[:16]
    elite = [(float(losses[i]), configs[i]) for i in order]
    for sigma in (0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.02, 0.02, 0.02, 0.01, 0.01, 0.01):
        steps = [_neighbour(codec, c, sigma, rng) for _, c in elite for _ in range(32)]
        step_losses = sign * benchmark.reference_values(steps)[:, 0]
        pool = elite + [(float(v), c) for v, c in zip(step_losses, steps, strict=True) if math.isfinite(v)]
        pool.sort(key=lambda item: item[0])
        elite = pool[:16]
    name = benchmark.task.objective.name
    return Reference(
        best={name: sign * elite[0][0]},
        worst={name: sign * worst_loss},
        source=(
            f"estimate: best of {n_random} random configurations (seed {seed}) refined by local search, "
            f"worst = median of the random sample, at the maximal fidelity; a method may beat this best"
        ),
    )


# --- family -------------------------------------------------------------------------------------


def _stored_reference(task: str, files: Mapping[str, str]) -> Reference | None:
    from hpobench.surrogates._yahpo_optima import MODEL_SHA256, OPTIMA, SOURCE

    scenario = task.split("/", 1)[1].rsplit("-", 1)[0]
    entry = OPTIMA.get(task)
    model_sha = next((sha for path, sha in files.items() if path.endswith("model.onnx")), None)
    if entry is None or model_sha is None or MODEL_SHA256.get(scenario) != model_sha:
        return None
    name = SCENARIOS[scenario].objective.name
    return Reference(best={name: entry[0]}, worst={name: entry[1]}, source=f"stored {SOURCE}")


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
    folder = _scenario_dir(data_dir, sc)
    for file in _FILES:  # checked on every load (one hash per file and process); missing ones below
        if (folder / file).is_file():
            verified(
                folder / file, sha256=pinned_sha256(f"yahpo/{scenario}/{file}"), what=f"yahpo/{scenario}"
            )
    stamps = tuple(_stamp(folder / f) for f in _FILES)
    data = _load_scenario(scenario, folder, stamps, configured_threads())
    if instance not in data.instances:
        raise DataError(f"yahpo/{scenario}: instance {instance!r} is not in {folder / 'config_space.json'}")
    name = _task(scenario, instance)
    return YahpoBenchmark(
        scenario=sc, instance=instance, data=data, reference=_stored_reference(name, data.files)
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
            TaskInfo(name=_task(s.name, i), multi_fidelity=True, needs_data=True, tags=TAGS | {s.name})
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
