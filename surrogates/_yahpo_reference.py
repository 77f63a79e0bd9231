"""Reference values of a YAHPO task: estimated by random sampling and local search, or read from storage.

:func:`estimate_reference` estimates the objective's best and worst at the maximal fidelity
(see its docstring; deterministic for a seed). :func:`stored_reference` returns the estimate
stored in :mod:`hpobench.surrogates._yahpo_optima` when the task's model file has the sha256 it
was computed from, else ``None`` (then the benchmark estimates anew). The unit-cube steps
(:func:`neighbour`) serve the multi-objective front estimate too.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import ConfigSpace as CS
import numpy as np

from hpobench.contracts.benchmark import Benchmark
from hpobench.contracts.errors import DataError
from hpobench.contracts.types import Config, Reference
from hpobench.surrogates._yahpo_codec import YahpoCodec
from hpobench.surrogates._yahpo_scenarios import SCENARIOS

N_RANDOM = 20_000
"""Random configurations of the reference estimate."""


REFERENCE_SEED = 0


def to_unit(hp: Any, value: float) -> float:
    lo, hi = float(hp.lower), float(hp.upper)
    if hp.log:
        return (math.log(value) - math.log(lo)) / (math.log(hi) - math.log(lo))
    return (value - lo) / (hi - lo)


def from_unit(hp: Any, u: float) -> Any:
    lo, hi = float(hp.lower), float(hp.upper)
    u = min(max(u, 0.0), 1.0)
    value = math.exp(math.log(lo) + u * (math.log(hi) - math.log(lo))) if hp.log else lo + u * (hi - lo)
    value = min(max(value, lo), hi)
    if isinstance(hp, CS.UniformIntegerHyperparameter):
        return int(min(max(round(value), int(hp.lower)), int(hp.upper)))
    return value


def neighbour(codec: YahpoCodec, config: Config, sigma: float, rng: np.random.Generator) -> dict[str, Any]:
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
            out[name] = from_unit(hp, to_unit(hp, float(config[name])) + sigma * float(rng.normal()))
        else:  # inactive before the step: a fresh value, kept only if the step activates it
            out[name] = from_unit(hp, float(rng.random()))
    return {k: v for k, v in out.items() if codec._active(k, out)}


def estimate_reference(
    benchmark: Benchmark, *, n_random: int = N_RANDOM, seed: int = REFERENCE_SEED
) -> Reference:
    """Estimate the objective's best and worst values at the maximal fidelity.

    ``worst`` is the median of ``n_random`` configurations sampled from the space's prior (as
    for the tables: normalised regret about 1 for a random configuration); ``best`` the best of
    them, refined by 12 rounds
    of local search: 32 Gaussian steps (sigma 0.1, 0.05, 0.02, 0.01 in the unit cube, three
    rounds each) from each of the 16 best configurations so far, keeping the 16 best. All
    randomness comes from ``np.random.default_rng(seed)``.

    Args:
        benchmark: A YAHPO task's benchmark (its codec a :class:`YahpoCodec`).
        n_random: Size of the random sample.
        seed: Seed of the sample and the search.
    """
    rng = np.random.default_rng(seed)
    codec = benchmark.codec
    assert isinstance(codec, YahpoCodec)
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
        steps = [neighbour(codec, c, sigma, rng) for _, c in elite for _ in range(32)]
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


def stored_reference(task: str, files: Mapping[str, str]) -> Reference | None:
    from hpobench.surrogates._yahpo_optima import MODEL_SHA256, OPTIMA, SOURCE

    scenario = task.split("/", 1)[1].rsplit("-", 1)[0]
    entry = OPTIMA.get(task)
    model_sha = next((sha for path, sha in files.items() if path.endswith("model.onnx")), None)
    if entry is None or model_sha is None or MODEL_SHA256.get(scenario) != model_sha:
        return None
    name = SCENARIOS[scenario].objective.name
    return Reference(best={name: entry[0]}, worst={name: entry[1]}, source=f"stored {SOURCE}")
