"""What yahpo-gym 1.0.2 knows about the supported YAHPO scenarios (data for :mod:`.yahpo`).

Copied from yahpo-gym's ``benchmarks/lcbench.py``, ``rbv2.py`` and ``iaml.py`` configuration dicts
(input and output column orders) and from the v1.0.2 ``config_space.json`` files (instances and
fidelity ranges); the objective is the target of YAHPO's ``benchmark_suites/v1.0/single.json``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from hpobench.contracts.types import Direction, Fidelity, Objective

__all__ = ["SCENARIOS", "Scenario"]


@dataclass(frozen=True, kw_only=True)
class Scenario:
    """What yahpo-gym 1.0.2 knows about a scenario (its ``benchmarks/*.py`` configuration dicts).

    Attributes:
        name: Scenario (folder) name.
        instances: Instance ids, as in ``config_space.json``.
        instance_param: The parameter that selects the instance.
        cont_names: Float input columns, in order.
        cat_names: Integer input columns, in order.
        y_names: Output columns, in order.
        fidelity: The fidelity dimension (a parameter named in ``cont_names``).
        fixed: Parameters held constant (not searched), with their value; a configuration may
            set them itself, within their ``config_space.json`` range (see :mod:`.yahpo`).
        objective: The optimised output.
        cost: The runtime output used as the evaluation cost.
        conditional: Whether the task's search space keeps conditions of ``config_space.json``
            (checked against the data in the tests).
    """

    name: str
    instances: tuple[str, ...]
    instance_param: str
    cont_names: tuple[str, ...]
    cat_names: tuple[str, ...]
    y_names: tuple[str, ...]
    fidelity: Fidelity
    objective: Objective
    cost: str
    fixed: Mapping[str, float] = field(default_factory=dict)
    conditional: bool = False

    @property
    def hidden(self) -> frozenset[str]:
        """Parameters of ``config_space.json`` that are not in a task's search space."""
        return frozenset({self.instance_param, self.fidelity.name, *self.fixed})


def _ids(text: str) -> tuple[str, ...]:
    return tuple(text.split())


_RBV2_Y = ("acc", "bac", "auc", "brier", "f1", "logloss", "timetrain", "timepredict", "memory")
_IAML_Y = (
    "mmce",
    "f1",
    "auc",
    "logloss",
    "ramtrain",
    "rammodel",
    "rampredict",
    "timetrain",
    "timepredict",
    "mec",
    "ias",
    "nf",
)
_TRAINSIZE = Fidelity(name="trainsize", low=0.03, high=1.0)
_ACC = Objective(name="acc", direction=Direction.MAXIMIZE)


def _rbv2(
    *,
    name: str,
    instances: tuple[str, ...],
    cont_names: tuple[str, ...],
    cat_names: tuple[str, ...],
    conditional: bool = False,
) -> Scenario:
    """An rbv2 scenario: yahpo-gym's shared rbv2 settings, ``repl`` fixed to 10."""
    return Scenario(
        name=name,
        instances=instances,
        instance_param="task_id",
        cont_names=cont_names,
        cat_names=cat_names,
        y_names=_RBV2_Y,
        fidelity=_TRAINSIZE,
        objective=_ACC,
        cost="timetrain",
        fixed={"repl": 10.0},
        conditional=conditional,
    )


SCENARIOS: Mapping[str, Scenario] = {
    s.name: s
    for s in (
        Scenario(
            name="lcbench",
            instances=_ids(
                "3945 7593 34539 126025 126026 126029 146212 167104 167149 167152 167161 167168 167181 "
                "167184 167185 167190 167200 167201 168329 168330 168331 168335 168868 168908 168910 189354 "
                "189862 189865 189866 189873 189905 189906 189908 189909"
            ),
            instance_param="OpenML_task_id",
            cont_names=(
                "epoch",
                "batch_size",
                "learning_rate",
                "momentum",
                "weight_decay",
                "num_layers",
                "max_units",
                "max_dropout",
            ),
            cat_names=("OpenML_task_id",),
            y_names=(
                "time",
                "val_accuracy",
                "val_cross_entropy",
                "val_balanced_accuracy",
                "test_cross_entropy",
                "test_balanced_accuracy",
            ),
            fidelity=Fidelity(name="epoch", low=1, high=52, integer=True),
            objective=Objective(name="val_accuracy", direction=Direction.MAXIMIZE),
            cost="time",
        ),
        _rbv2(
            name="rbv2_xgboost",
            conditional=True,  # booster-dependent parameters
            instances=_ids(
                "16 40923 41143 470 1487 40499 40966 41164 1497 40975 1461 41278 11 54 300 40984 31 1067 "
                "1590 40983 41163 41165 182 1220 41159 41169 42 188 1457 1480 6332 181 1479 40670 40536 "
                "41138 41166 6 14 29 458 1056 1462 1494 40701 12 1493 44 307 334 40982 41142 38 1050 469 "
                "23381 41157 15 4541 23 4134 40927 40981 41156 3 1049 40900 1063 23512 40979 1040 1068 "
                "41161 22 1489 41027 24 4135 23517 1053 1468 312 377 1515 18 1476 1510 41162 28 375 1464 "
                "40685 40996 41146 41216 40668 41212 32 60 4538 40496 41150 37 46 554 1475 1485 1501 1111 "
                "4534 41168 151 4154 40978 40994 50 1478 1486 40498"
            ),
            cont_names=(
                "nrounds",
                "eta",
                "gamma",
                "lambda",
                "alpha",
                "subsample",
                "max_depth",
                "min_child_weight",
                "colsample_bytree",
                "colsample_bylevel",
                "rate_drop",
                "skip_drop",
                "trainsize",
                "repl",
            ),
            cat_names=("task_id", "booster", "num.impute.selected.cpo"),
        ),
        _rbv2(
            name="rbv2_rpart",
            instances=_ids(
                "41138 4135 40981 4134 40927 1220 4154 40923 41163 40996 4538 40978 375 1111 40496 40966 "
                "41150 4534 40900 40536 41156 1590 1457 458 469 41157 11 1461 1462 1464 15 40975 41142 "
                "40701 40994 23 1468 40668 29 31 6332 37 4541 40670 23381 151 188 41164 1475 1476 41159 "
                "1478 41169 23512 1479 41212 1480 300 41168 41143 1053 41027 1067 1063 41162 3 6 1485 1056 "
                "12 14 16 18 40979 22 1515 554 334 24 1486 23517 1493 28 1487 1068 1050 1049 32 1489 470 "
                "1494 41161 41165 182 312 40984 1501 40685 38 42 44 46 40982 1040 41146 377 40499 50 54 "
                "41166 307 1497 60 1510 40983 40498 181"
            ),
            cont_names=("cp", "maxdepth", "minbucket", "minsplit", "trainsize", "repl"),
            cat_names=("task_id", "num.impute.selected.cpo"),
        ),
        Scenario(
            name="iaml_glmnet",
            instances=_ids("40981 41146 1489 1067"),
            instance_param="task_id",
            cont_names=("alpha", "s", "trainsize"),
            cat_names=("task_id",),
            y_names=_IAML_Y,
            fidelity=_TRAINSIZE,
            objective=Objective(name="mmce", direction=Direction.MINIMIZE),
            cost="timetrain",
        ),
    )
}
"""The supported scenarios, by name."""
