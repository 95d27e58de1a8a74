"""The verdict's tables: per-experiment results, the analyses of the claim, every interval.

Uncertainties ("every AMS carries its uncertainty"): an experiment run with several seeds
quotes the sample standard deviation over seeds (the spread of single training runs); with
one seed, an AMS at a fixed cut quotes the half-width of its bootstrap 68 % interval
(:func:`supertml.metrics.bootstrap.bootstrap_ams`), and a test-scanned maximum the half-width of
a bootstrap that re-scans the cut in every resample
(:func:`supertml.metrics.bootstrap.bootstrap_max_ams`). Per-fold statistics quote the fold
standard deviation, as the study did (REFERENCE.md section 4).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from supertml.constants import SCORED_SUBSETS, TEST_SUBSETS
from supertml.metrics.bootstrap import ONE_SIGMA
from supertml.metrics.seeds import VERDICT_LEVEL, summarise_seeds
from supertml.reporting.records import Record
from supertml.reporting.verdict import ExperimentResult

__all__ = [
    "BOOTSTRAP_UNC",
    "INTERVAL_COLUMNS",
    "SEED_UNC",
    "analyses_table",
    "experiment_summaries",
    "interval_bounds",
    "intervals_table",
    "one_sigma_half_width",
]

#: Labels of the two kinds of uncertainty, as the tables print them.
SEED_UNC: Final[str] = "seed std"
BOOTSTRAP_UNC: Final[str] = "bootstrap 68 % half-width"

FloatArray = NDArray[np.float64]


def one_sigma_half_width(interval: Record, source: str) -> float:
    """Half-width of the +-1 sigma (68.27 %) interval of a bootstrap record."""
    for entry in interval.get("intervals", []):
        if math.isclose(float(entry["level"]), ONE_SIGMA, rel_tol=0.0, abs_tol=1e-9):
            return (float(entry["upper"]) - float(entry["lower"])) / 2.0
    levels = [entry.get("level") for entry in interval.get("intervals", [])]
    raise ValueError(f"{source}: no 68 % (one sigma) bootstrap interval; levels {levels}")


def interval_bounds(interval: Record, level: float) -> tuple[float, float]:
    """``(lower, upper)`` of a bootstrap record's interval at ``level`` (NaN if absent)."""
    for entry in interval.get("intervals", []):
        if math.isclose(float(entry["level"]), level, rel_tol=0.0, abs_tol=1e-9):
            return float(entry["lower"]), float(entry["upper"])
    return math.nan, math.nan


def experiment_summaries(
    scores: Sequence[Record],
    analyses: Mapping[tuple[str, int], Record],
    *,
    study_rows: Mapping[str, str] | None = None,
) -> list[ExperimentResult]:
    """Per experiment, the mean public and private AMS at the validation cut, and the 95 %
    interval for one more run (:func:`supertml.metrics.seeds.single_run_interval`).

    Values come from the score files (the one scoring code path). The interval combines the
    spread over seeds (Student-t, k - 1 degrees of freedom) with the test sample's, the mean
    over seeds of the bootstrap std of each run's AMS at its cut (``bootstrap.<subset>`` of its
    analysis); with one seed it is that run's bootstrap 95 % percentile interval.

    Raises
    ------
    ValueError
        If a run has no analysis, or its analysis used another validation cut than its scores
        (stale or mismatched files).
    """
    groups: dict[str, list[Record]] = defaultdict(list)
    for record in scores:
        groups[str(record["experiment"])].append(record)
    rows = study_rows or {}
    results: list[ExperimentResult] = []
    for name in sorted(groups):
        runs = sorted(groups[name], key=lambda r: int(r["seed"]))
        kinds = sorted({str(r["kind"]) for r in runs})
        if len(kinds) != 1:
            raise ValueError(f"experiment {name!r} appears under several kinds: {kinds}")
        for record in runs:
            _check_same_cut(record, analyses)
        boots = [analyses[(name, int(r["seed"]))]["bootstrap"] for r in runs]
        fields: dict[str, Any] = {"experiment": name, "kind": kinds[0], "n_seeds": len(runs),
                                  "study_row": rows.get(name)}  # fmt: skip
        for subset in TEST_SUBSETS:
            seeds = summarise_seeds([float(r[f"{subset}_ams"]) for r in runs])
            if all(f"{subset}_ams_br0" in r for r in runs):
                fields[f"{subset}_br0"] = float(np.mean([r[f"{subset}_ams_br0"] for r in runs]))
            fields |= {
                subset: seeds.mean,
                f"{subset}_seed_std": seeds.std,
                f"{subset}_test_std": float(np.mean([float(b[subset]["std"]) for b in boots])),
                f"{subset}_bootstrap_95": interval_bounds(boots[0][subset], VERDICT_LEVEL),
            }
        results.append(ExperimentResult.from_mapping(fields))
    return results


def _check_same_cut(score: Record, analyses: Mapping[tuple[str, int], Record]) -> None:
    key = (str(score["experiment"]), int(score["seed"]))
    if key not in analyses:
        raise ValueError(f"no analysis file for {key[0]} seed {key[1]}")
    analysis = analyses[key]
    cut, other = float(score["cut"]), float(analysis["validation_cut"]["cut"])
    if not math.isclose(cut, other, rel_tol=1e-12, abs_tol=1e-12):
        raise ValueError(
            f"{analysis.get('_source', key)}: validation cut {other} differs from the score "
            f"file's {cut} for {key[0]} seed {key[1]}: the files come from different predictions "
            "or settings; rerun the workflow"
        )


#: The fold analyses of a run's analysis record: the test-size hypothesis at the validation cut
#: and at the validation max-AMS cut (the study's choice), and test-set optimisation.
FOLD_ANALYSES: Final[tuple[str, ...]] = ("test_size", "test_size_at_max_cut", "test_optimisation")


@dataclass(frozen=True)
class _Quantity:
    """One row of the analyses table: where its per-run value and 68 % interval live."""

    analysis: str
    quantity: str
    cut_name: str | None = None


def _quantities(cut_names: Sequence[str]) -> list[tuple[_Quantity, tuple[str, ...]]]:
    """The rows of the analyses table, each with the subsets it is given for."""
    specs: list[tuple[_Quantity, tuple[str, ...]]] = [
        (_Quantity(analysis, f"fold {stat}"), TEST_SUBSETS)
        for analysis in FOLD_ANALYSES
        for stat in ("mean", "std", "min", "max")
    ]
    specs.append((_Quantity("test_optimisation", "whole-set max"), TEST_SUBSETS))
    specs += [
        (_Quantity("double_luminosity", f"at {name} cut", name),
         ("public", "private", "merged", "normalised", "ratio"))
        for name in cut_names
    ]  # fmt: skip
    return specs


def _value_and_interval(
    quantity: _Quantity, subset: str, analysis: Record, intervals: Record | None
) -> tuple[float, float]:
    """(value, bootstrap 68 % half-width or NaN) of one quantity of one run."""
    source = str(analysis.get("_source", "analysis"))
    if quantity.analysis in FOLD_ANALYSES:
        stat = quantity.quantity.removeprefix("fold ")
        part = analysis[quantity.analysis][subset]
        if stat == "whole-set max":
            boot = None if intervals is None else intervals["test_optimisation"][subset]
            value = float(part["whole_ams"])
            return value, (math.nan if boot is None else one_sigma_half_width(boot, source))
        return float(part["ams"][stat]), math.nan
    # double luminosity
    entry = next(
        e for e in analysis["double_luminosity"]["at_cuts"] if e["name"] == quantity.cut_name
    )
    if subset == "ratio":
        return (math.nan if entry["ratio"] is None else float(entry["ratio"])), math.nan
    value = float(entry[f"{subset}_ams"])
    if subset in TEST_SUBSETS and float(entry["cut"]) == float(analysis["validation_cut"]["cut"]):
        # The same interval the verdict quotes for this AMS.
        return value, one_sigma_half_width(analysis["bootstrap"][subset], source)
    if intervals is None:
        return value, math.nan
    boot = intervals["double_luminosity"][str(quantity.cut_name)][subset]
    return value, one_sigma_half_width(boot, source)


def analyses_table(
    analyses: Mapping[tuple[str, int], Record],
    intervals: Mapping[tuple[str, int], Record] | None = None,
) -> pd.DataFrame:
    """The analyses of the claim per experiment, one row per (experiment, quantity, subset).

    Columns: ``experiment``, ``kind``, ``n_seeds``, ``analysis``, ``quantity``, ``subset``,
    ``cut`` (mean over seeds: the validation cut for the test-size folds, the scanned cut of a
    whole-set maximum, the check's cut for double luminosity; NaN for the per-fold scanned cuts),
    ``value`` (mean over seeds),
    ``uncertainty`` and ``uncertainty_kind``. Quantities (REFERENCE.md section 4):

    - test size (at the validation cut, and at the validation max-AMS cut as the study ran it)
      and test-set optimisation: the fold ``mean``, ``std``, ``min`` and ``max`` per subset;
      test-set optimisation also the ``whole-set max`` (scan over the whole subset);
    - double luminosity, per cut (``validation`` and ``fixed``): ``public``, ``private``,
      ``merged`` (one set, unrescaled), ``normalised`` and their ``ratio``.

    Uncertainty: with several seeds the sample std over seeds of each quantity; with one seed
    the fold std for the fold mean (the spread of single-fold values, as the study quoted it),
    and the bootstrap 68 % half-width (from ``intervals``) for the whole-set maxima and the
    double-luminosity AMS values; NaN where none applies (fold std, min, max; ratio with one
    seed), with ``uncertainty_kind`` saying so.
    """
    by_experiment: dict[str, list[tuple[int, Record]]] = defaultdict(list)
    for (experiment, seed), record in analyses.items():
        by_experiment[experiment].append((seed, record))
    rows: list[dict[str, Any]] = []
    for experiment in sorted(by_experiment):
        runs = sorted(by_experiment[experiment], key=lambda item: item[0])
        first = runs[0][1]
        cut_names = [str(e["name"]) for e in first["double_luminosity"]["at_cuts"]]
        for quantity, subsets in _quantities(cut_names):
            for subset in subsets:
                pairs = [
                    _value_and_interval(
                        quantity, subset, record,
                        None if intervals is None else intervals.get((experiment, seed)),
                    )
                    for seed, record in runs
                ]  # fmt: skip
                values = np.array([v for v, _ in pairs], dtype=np.float64)
                cuts = [_cut_of(quantity, record, subset) for _, record in runs]
                unc, kind = _uncertainty(quantity, subset, values, pairs, runs)
                rows.append({
                    "experiment": experiment,
                    "kind": str(first.get("kind", "")),
                    "n_seeds": len(runs),
                    "analysis": quantity.analysis,
                    "quantity": quantity.quantity,
                    "subset": subset,
                    "cut": float(np.mean(cuts)),
                    "value": float(np.mean(values)) if np.isfinite(values).all() else math.nan,
                    "uncertainty": unc,
                    "uncertainty_kind": kind,
                })  # fmt: skip
    return pd.DataFrame(rows)


def _cut_of(quantity: _Quantity, record: Record, subset: str) -> float:
    if quantity.analysis == "double_luminosity":
        entry = next(
            e for e in record["double_luminosity"]["at_cuts"] if e["name"] == quantity.cut_name
        )
        return float(entry["cut"])
    if quantity.quantity == "whole-set max":
        return float(record["test_optimisation"][subset]["whole_cut"])
    if quantity.analysis == "test_size":
        return float(record["validation_cut"]["cut"])
    if quantity.analysis == "test_size_at_max_cut":
        return float(record["validation_cut"]["val_ams_max_cut"])
    return math.nan


def _uncertainty(
    quantity: _Quantity,
    subset: str,
    values: FloatArray,
    pairs: Sequence[tuple[float, float]],
    runs: Sequence[tuple[int, Record]],
) -> tuple[float, str]:
    if values.size > 1:
        if not np.isfinite(values).all():
            return math.nan, "none (undefined in a seed)"
        return float(summarise_seeds(values.tolist()).std or 0.0), SEED_UNC
    if quantity.quantity == "fold mean":
        record = runs[0][1]
        return float(record[quantity.analysis][subset]["ams"]["std"]), "fold std"
    if quantity.quantity.startswith("fold "):
        return math.nan, "none (fold statistic; see fold std)"
    half = pairs[0][1]
    if math.isfinite(half):
        return half, BOOTSTRAP_UNC
    return math.nan, "none (one seed)"


INTERVAL_COLUMNS: Final[tuple[str, ...]] = (
    "experiment", "seed", "quantity", "subset", "cut", "point", "mean", "std",
    "lower_68", "upper_68", "lower_95", "upper_95", "n_resamples",
)  # fmt: skip


def _interval_row(
    run: tuple[str, int], quantity: str, subset: str, *, cut: float, boot: Record
) -> dict[str, Any]:
    low68, high68 = interval_bounds(boot, ONE_SIGMA)
    low95, high95 = interval_bounds(boot, 0.95)
    return {
        "experiment": run[0], "seed": run[1], "quantity": quantity, "subset": subset,
        "cut": cut, "point": float(boot["point"]), "mean": float(boot["mean"]),
        "std": float(boot["std"]), "lower_68": low68, "upper_68": high68,
        "lower_95": low95, "upper_95": high95, "n_resamples": int(boot["n_resamples"]),
    }  # fmt: skip


def intervals_table(
    analyses: Mapping[tuple[str, int], Record],
    intervals: Mapping[tuple[str, int], Record] | None = None,
) -> pd.DataFrame:
    """Every bootstrap interval per run: point, mean, std, 68 % and 95 % bounds.

    Rows per (experiment, seed): the AMS at the validation cut on ``val``, ``public`` and
    ``private`` (from the analysis), then, from ``intervals``, the double-luminosity values at
    each cut and the test-scanned whole-set maxima. Columns: :data:`INTERVAL_COLUMNS`.
    """
    rows: list[dict[str, Any]] = []
    for key in sorted(analyses):
        record = analyses[key]
        cut = float(record["validation_cut"]["cut"])
        for subset in SCORED_SUBSETS:
            rows.append(_interval_row(key, "at validation cut", subset, cut=cut,
                                      boot=record["bootstrap"][subset]))  # fmt: skip
        extra = None if intervals is None else intervals.get(key)
        if extra is None:
            continue
        for name, entry in extra["double_luminosity"].items():
            for subset in ("public", "private", "merged", "normalised"):
                if subset not in entry:
                    continue  # at the validation cut: the analysis's own interval above
                rows.append(_interval_row(key, f"double luminosity, {name} cut", subset,
                                          cut=float(entry["cut"]), boot=entry[subset]))  # fmt: skip
        for subset in TEST_SUBSETS:
            boot = extra["test_optimisation"][subset]
            rows.append(_interval_row(key, "whole-set max (cut re-scanned)", subset,
                                      cut=float(boot["cut"]), boot=boot))  # fmt: skip
    return pd.DataFrame(rows, columns=list(INTERVAL_COLUMNS))
