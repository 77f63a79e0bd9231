"""The model inputs of a YAHPO instance: a batch as two matrices, or one query as two rows.

Exactly yahpo-gym's encoding (``yahpo_gym.BenchmarkSet.objective_function`` 1.0.2; see
:mod:`hpobench.surrogates.yahpo`): the float input holds the continuous parameters in the
scenario's ``cont_names`` order (the fidelity, fixed parameters at their scenario value when
omitted, inactive parameters 0), cast to float32 from float64; the integer input holds the
categorical codes in ``cat_names`` order (the instance's code, ``"#na#"`` for inactive ones).

:meth:`YahpoEncoder.encode_row` gives one configuration's rows as Python lists, for the
single-query path; cast as :meth:`YahpoEncoder.encode` casts them, they are its rows bit for bit
(``tests/test_yahpo_single.py`` checks it).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

import numpy as np

from hpobench.contracts.types import Config
from hpobench.surrogates._yahpo_files import NA
from hpobench.surrogates._yahpo_scenarios import Scenario

__all__ = ["YahpoEncoder"]


@dataclass(frozen=True, kw_only=True)
class YahpoEncoder:
    """The encoding of one YAHPO instance.

    Attributes:
        scenario: The scenario (column orders, fidelity, fixed parameters).
        encoding: Categorical codes per parameter (``encoding.json``).
        instance_code: The instance's code in the instance column.
    """

    scenario: Scenario
    encoding: Mapping[str, Mapping[str, int]]
    instance_code: int

    def encode(self, configs: Sequence[Config], fidelities: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The model inputs for valid configurations.

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
            else:
                cont[:, j] = _column(configs, name, sc.fixed.get(name, 0.0))
        cat = np.empty((n, len(sc.cat_names)), dtype=np.int32)
        for j, name in enumerate(sc.cat_names):
            if name == sc.instance_param:
                cat[:, j] = self.instance_code
            else:
                cat[:, j] = list(map(self.encoding[name].__getitem__, _column(configs, name, NA)))
        return cat, cont.astype(np.float32)

    def encode_row(self, config: Config, fidelity: float) -> tuple[list[int], list[Any]]:
        """One valid configuration's ``(cat, cont)`` rows, uncast (see the module docstring).

        ``cont`` holds the configuration's own values (``int`` or ``float``) and ``fidelity``;
        casting it to float64 and then to float32 gives :meth:`encode`'s row.
        """
        sc = self.scenario
        fid_name, fixed = sc.fidelity.name, sc.fixed
        cont = [
            fidelity if name == fid_name else config.get(name, fixed.get(name, 0.0)) for name in sc.cont_names
        ]
        cat = [
            self.instance_code if name == sc.instance_param else self.encoding[name][config.get(name, NA)]
            for name in sc.cat_names
        ]
        return cat, cont


def _column(configs: Sequence[Config], name: str, default: Any) -> list[Any]:
    """Each configuration's value of ``name``, ``default`` where it has none.

    One C-level pass when every configuration has it (the usual case), else a lookup each.
    """
    try:
        return list(map(itemgetter(name), configs))
    except KeyError:  # an inactive or omitted parameter somewhere: look each one up
        return [c.get(name, default) for c in configs]
