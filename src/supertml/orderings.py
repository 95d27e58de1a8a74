"""Feature orderings: the order in which an event's features are placed in its image.

REFERENCE.md section 5, "Orderings tried": table order; random permutations; all features ranked
by random-forest permutation importance; the DER features ranked by importance followed by the
primitives in a fixed order that keeps each particle's momentum components adjacent
(``study_der``, the ordering of the study's best runs, table rows 8).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pandas as pd
from sklearn.ensemble import RandomForestClassifier
from sklearn.inspection import permutation_importance

from supertml.constants import DER_FEATURES, MISSING_VALUE
from supertml.data.hep import DATA_FIX_FEATURES
from supertml.io import write_json
from supertml.published import STUDY_PRI_ORDER

__all__ = [
    "ORDERING_KINDS",
    "STUDY_PRI_ORDER",
    "feature_importances",
    "read_ordering",
    "resolve_ordering",
    "write_ordering",
]

ORDERING_KINDS: Final[tuple[str, ...]] = ("table", "random", "importance", "study_der", "fixed")

#: Forest settings: LUMIN's default random-forest parameters (``rf_check_feat_removal``:
#: ``min_samples_leaf=3, max_features=0.5``); the study tuned them per run with
#: ``get_opt_rf_params``, which a one-off ordering step does not warrant.
_FOREST_SETTINGS: Final[dict[str, Any]] = {"min_samples_leaf": 3, "max_features": 0.5}
_PERMUTATION_REPEATS: Final[int] = 5


def feature_importances(
    train: pd.DataFrame,
    features: Sequence[str],
    *,
    method: str = "permutation",
    n_estimators: int = 100,
    max_events: int = 20000,
    seed: int = 0,
) -> dict[str, float]:
    """Random-forest importance of each feature for telling signal from background.

    ``train`` is a prepared (scaled) training split with a ``label`` column and NaN where a
    feature is undefined; NaN becomes 0, as for every model here (REFERENCE.md section 5).
    At most ``max_events`` events are used (a seeded random subsample, without replacement).

    ``method="permutation"``: the forest is fitted on a random half of those events and
    scikit-learn's ``permutation_importance`` (mean accuracy drop over 5 shuffles) is measured on
    the other half. The study ranked with LUMIN's ``rf_rank_features``, i.e. rfpimp permutation
    importance on held-out (validation) events; we hold out part of the training split instead
    so the validation split, which chooses the cut, stays unseen. ``method="impurity"``: the
    forest's ``feature_importances_`` (mean decrease in impurity), fitted on all the events.

    Returns the importances keyed by feature, in descending order (ties keep ``features``
    order). Raises ``ValueError`` for a bad method, missing columns, a single class, or raw
    -999.0 values.
    """
    names = list(features)
    if method not in ("permutation", "impurity"):
        raise ValueError(f"unknown importance method {method!r} (permutation or impurity)")
    missing = [name for name in [*names, "label"] if name not in train.columns]
    if missing:
        raise ValueError(f"training frame lacks columns {missing}")
    inputs = train.loc[:, names].to_numpy(dtype=np.float64)
    if (inputs == MISSING_VALUE).any():
        raise ValueError("training frame holds -999.0 values; pass the prepared (scaled) frame")
    inputs = np.nan_to_num(inputs, nan=0.0)
    labels = train["label"].to_numpy(dtype=np.int64)
    rng = np.random.default_rng(seed)
    if len(labels) > max_events:
        keep = np.sort(rng.choice(len(labels), size=max_events, replace=False))
        inputs, labels = inputs[keep], labels[keep]
    if np.unique(labels).size < 2:
        raise ValueError("importance needs signal and background events in the training frame")

    forest = RandomForestClassifier(
        n_estimators=n_estimators, random_state=seed, n_jobs=1, **_FOREST_SETTINGS
    )
    values: npt.NDArray[np.float64]
    if method == "impurity":
        forest.fit(inputs, labels)
        values = np.asarray(forest.feature_importances_, dtype=np.float64)
    else:
        order = rng.permutation(len(labels))
        fit_part, test_part = order[: len(order) // 2], order[len(order) // 2 :]
        forest.fit(inputs[fit_part], labels[fit_part])
        result = permutation_importance(
            forest,
            inputs[test_part],
            labels[test_part],
            n_repeats=_PERMUTATION_REPEATS,
            random_state=seed,
            n_jobs=1,
        )
        values = np.asarray(result["importances_mean"], dtype=np.float64)
    ranked = np.argsort(-values, kind="stable")
    return {names[index]: float(values[index]) for index in ranked}


def _resolve(
    spec: Mapping[str, Any], features: Sequence[str], train: pd.DataFrame | None, name: str
) -> tuple[list[str], dict[str, float] | None]:
    kind = spec.get("kind")
    names = list(features)
    if kind == "table":
        return names, None
    if kind == "random":
        permutation = np.random.default_rng(int(spec.get("seed", 0))).permutation(len(names))
        return [names[index] for index in permutation], None
    if kind == "fixed":
        listed = spec.get("features")
        if not isinstance(listed, list | tuple):
            raise ValueError(f"ordering {name!r}: kind 'fixed' needs a `features` list")
        _check_permutation([str(item) for item in listed], names, f"ordering {name!r}")
        return [str(item) for item in listed], None
    if kind not in ("importance", "study_der"):
        raise ValueError(
            f"ordering {name!r}: unknown kind {kind!r} (one of {', '.join(ORDERING_KINDS)})"
        )

    if train is None:
        raise ValueError(f"ordering {name!r}: kind {kind!r} needs the prepared training split")
    ranked = names
    if kind == "study_der":
        if sorted(names) != sorted(DATA_FIX_FEATURES):
            raise ValueError(
                f"ordering {name!r}: kind 'study_der' needs the data-fix features (a "
                f"preprocessing preset with data_fix: true); missing: "
                f"{[item for item in DATA_FIX_FEATURES if item not in names]}, unexpected: "
                f"{[item for item in names if item not in DATA_FIX_FEATURES]}"
            )
        ranked = list(DER_FEATURES)
    try:
        importances = feature_importances(
            train,
            ranked,
            method=str(spec.get("method", "permutation")),
            n_estimators=int(spec.get("n_estimators", 100)),
            max_events=int(spec.get("max_events", 20000)),
            seed=int(spec.get("seed", 0)),
        )
    except ValueError as error:
        raise ValueError(f"ordering {name!r}: {error}") from error
    order = list(importances)
    if kind == "study_der":
        order += list(STUDY_PRI_ORDER)
    return order, importances


def resolve_ordering(
    spec: Mapping[str, Any],
    features: Sequence[str],
    train: pd.DataFrame | None = None,
    *,
    name: str = "<unnamed>",
) -> list[str]:
    """Return the feature list of an ordering entry of the config (keys as in its schema).

    ``features``: the features in use, in table order (``FEATURES``, or ``DATA_FIX_FEATURES``
    after the data-fix). ``train``: the prepared (scaled) training split with ``label``, needed
    by ``importance`` and ``study_der`` only. Kinds:

    - ``table``: ``features`` as given;
    - ``random``: a permutation drawn with ``numpy.random.default_rng(seed)`` (default seed 0);
    - ``importance``: all features, most important first (``feature_importances`` with the
      entry's ``method``, ``n_estimators``, ``max_events`` and ``seed``);
    - ``study_der``: the 13 DER features ranked that way (the forest sees only them), then
      ``STUDY_PRI_ORDER`` (REFERENCE.md section 5); needs ``DATA_FIX_FEATURES``;
    - ``fixed``: the entry's ``features`` list, which must be a permutation of ``features``.

    Raises ``ValueError`` naming the ordering (``name``) and the problem.
    """
    return _resolve(spec, features, train, name)[0]


def write_ordering(
    path: str | Path,
    name: str,
    spec: Mapping[str, Any],
    features: Sequence[str],
    train: pd.DataFrame | None = None,
) -> list[str]:
    """Resolve an ordering and save JSON ``{"name", "spec", "features", "importances"}``.

    ``importances`` maps each ranked feature to its importance (``importance``, ``study_der``)
    or is null. Returns the ordered feature list.
    """
    order, importances = _resolve(spec, features, train, name)
    write_json(
        path,
        {"name": name, "spec": dict(spec), "features": order, "importances": importances},
    )
    return order


def read_ordering(path: str | Path, features: Sequence[str]) -> list[str]:
    """Read a saved ordering and check it is a permutation of ``features`` (the features in use).

    Raises ``ValueError`` naming the file if it is not.
    """
    payload = json.loads(Path(path).read_text())
    listed = payload.get("features") if isinstance(payload, dict) else None
    if not isinstance(listed, list):
        raise ValueError(f"{path}: no `features` list")
    order = [str(item) for item in listed]
    _check_permutation(order, list(features), str(path))
    return order


def _check_permutation(order: list[str], features: list[str], where: str) -> None:
    duplicated = sorted({item for item in order if order.count(item) > 1})
    unknown = [item for item in order if item not in features]
    absent = [item for item in features if item not in order]
    if duplicated or unknown or absent:
        raise ValueError(
            f"{where}: not a permutation of the {len(features)} features in use "
            f"(duplicated: {duplicated}; unknown: {unknown}; missing: {absent})"
        )
