"""A YAHPO scenario folder read and checked: the search space, the categorical codes and the ONNX model.

:func:`load_scenario_data` reads ``<data_dir>/yahpo/<scenario>/{config_space.json, encoding.json,
model.onnx}`` (slds-lmu/yahpo_data v1.0.2, unchanged) into a frozen :class:`ScenarioData`, checking
each file against yahpo-gym's column orders (:mod:`hpobench.surrogates._yahpo_scenarios`); a file
that is missing or does not match is a :class:`~hpobench.contracts.errors.DataError` naming it. The result is
cached per process on the files' sizes and mtimes and the ONNX thread count. Checksums against the
manifest are the caller's (:func:`hpobench.surrogates.yahpo.load_yahpo`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import ConfigSpace as CS

from hpobench.contracts.errors import DataError
from hpobench.data.datadir import file_sha256
from hpobench.surrogates._onnx import OnnxModel, load_onnx_model
from hpobench.surrogates._yahpo_scenarios import SCENARIOS, Scenario

NA = "#na#"
"""yahpo-gym's code word for an inactive categorical parameter (encoded as 0)."""


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


FILES = ("config_space.json", "encoding.json", "model.onnx")
"""The files of a scenario folder that are read (each pinned in the manifest)."""


@dataclass(frozen=True, kw_only=True)
class ScenarioData:
    space: CS.ConfigurationSpace
    fixed: Mapping[str, Any]
    instances: frozenset[str]
    encoding: Mapping[str, Mapping[str, int]]
    model: OnnxModel
    files: Mapping[str, str]


def scenario_dir(data_dir: Path | None, scenario: Scenario) -> Path:
    what = f"yahpo/{scenario.name}"
    if data_dir is None:
        raise DataError(
            f"{what} needs the benchmark data directory: pass --data-dir DIR or set $HPOBENCH_DATA_DIR "
            f"(expected files: DIR/yahpo/{scenario.name}/config_space.json, encoding.json, model.onnx)"
        )
    return (data_dir / "yahpo" / scenario.name).resolve()


def file_stamp(path: Path) -> tuple[int, int]:
    try:
        stat = path.stat()
    except OSError:
        return (-1, -1)
    return (stat.st_size, stat.st_mtime_ns)


@lru_cache(maxsize=8)
def load_scenario_data(
    name: str, folder: Path, stamps: tuple[tuple[int, int], ...], threads: int
) -> ScenarioData:
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
    return ScenarioData(
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
