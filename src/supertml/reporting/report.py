"""The report's steps: per-run figures, extra bootstrap intervals, dataset figures, the verdict.

What each workflow rule of ``workflow/rules/report.smk`` calls, plus the pure functions behind
them (tables, uncertainty choice, Markdown and its HTML rendering), so every number in the
report can be tested without Snakemake.

Uncertainties (issue 5, "every AMS carries its uncertainty"): an experiment run with several
seeds quotes the sample standard deviation over seeds (the spread of single training runs);
with one seed, an AMS at a fixed cut quotes the half-width of its bootstrap 68 % interval
(:func:`supertml.metrics.bootstrap_ams`), and a test-scanned maximum the half-width of a
bootstrap that re-scans the cut in every resample (:func:`bootstrap_max_ams`). Per-fold
statistics quote the fold standard deviation, as the study did (REFERENCE.md section 4).
"""

from __future__ import annotations

import html
import json
import math
import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from supertml.io import atomic_path, write_json, write_table
from supertml.metrics import (
    DEFAULT_B_REG,
    ams,
    bootstrap_ams,
    max_ams,
    read_predictions,
    summarise_seeds,
)
from supertml.metrics.analyses import (
    DEFAULT_LEVELS,
    ONE_SIGMA,
    BootstrapInterval,
    JsonValue,
    percentile_interval,
)
from supertml.metrics.scoring import subset_arrays
from supertml.reporting.figures import (
    plot_ams_vs_cut,
    plot_fold_distributions,
    plot_score_distributions,
    plot_training_curves,
)
from supertml.reporting.summary import collect_scores
from supertml.reporting.verdict import (
    STUDY_DOUBLE_LUMINOSITY_AMS,
    STUDY_DOUBLE_LUMINOSITY_SEPARATE,
    STUDY_TEST_OPTIMISATION_MAX,
    STUDY_TEST_OPTIMISATION_MEAN,
    STUDY_TEST_SIZE_MAX,
    ExperimentResult,
    verdict_markdown,
    verdict_rows,
)

__all__ = [
    "BOOTSTRAP_UNC",
    "SEED_UNC",
    "analyses_table",
    "bootstrap_max_ams",
    "bootstrap_run",
    "dataset_note",
    "experiment_summaries",
    "intervals_table",
    "markdown_to_html",
    "plot_fold_figure",
    "plot_run_figures",
    "plot_training_runs",
    "report_markdown",
    "run_intervals",
    "write_verdict",
]

#: Labels of the two kinds of uncertainty, as the tables print them.
SEED_UNC: Final[str] = "seed std"
BOOTSTRAP_UNC: Final[str] = "bootstrap 68 % half-width"
#: The challenge's test set (REFERENCE.md section 2), for the sample's note.
_FULL_TEST_EVENTS: Final[int] = 550_000
#: Bound on the resampled events held at once by :func:`bootstrap_max_ams` (32 MB per array).
_MAX_CHUNK: Final[int] = 4_000_000
#: Stream numbers of this module's bootstrap seeds; analyse_predictions uses streams 0-2.
_STREAM_OFFSET: Final[int] = 100
_TEST_SUBSETS: Final[tuple[str, str]] = ("public", "private")

FloatArray = NDArray[np.float64]
Record = Mapping[str, Any]


# --------------------------------------------------------------------------------------------
# Reading the per-run files


def _read_json(path: str | Path) -> dict[str, Any]:
    try:
        record: dict[str, Any] = json.loads(Path(path).read_text())
    except FileNotFoundError:
        raise FileNotFoundError(f"{path}: file not found") from None
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path}: not valid JSON ({exc})") from None
    return record


def _run_key(record: Record, source: str | Path) -> tuple[str, int]:
    missing = [k for k in ("experiment", "seed") if k not in record]
    if missing:
        raise ValueError(f"{source}: lacks the run identity key(s) {missing}")
    return str(record["experiment"]), int(record["seed"])


def _by_run(paths: Sequence[str | Path], what: str) -> dict[tuple[str, int], dict[str, Any]]:
    """JSON records keyed by (experiment, seed), each remembering its file as ``_source``."""
    runs: dict[tuple[str, int], dict[str, Any]] = {}
    for path in paths:
        record = _read_json(path)
        key = _run_key(record, path)
        if key in runs:
            raise ValueError(
                f"{path}: {what} of {key[0]} seed {key[1]} given twice "
                f"(also {runs[key]['_source']})"
            )
        runs[key] = {**record, "_source": str(path)}
    return runs


def _one_sigma_half_width(interval: Record, source: str) -> float:
    """Half-width of the +-1 sigma (68.27 %) interval of a bootstrap record."""
    for entry in interval.get("intervals", []):
        if math.isclose(float(entry["level"]), ONE_SIGMA, rel_tol=0.0, abs_tol=1e-9):
            return (float(entry["upper"]) - float(entry["lower"])) / 2.0
    levels = [entry.get("level") for entry in interval.get("intervals", [])]
    raise ValueError(f"{source}: no 68 % (one sigma) bootstrap interval; levels {levels}")


def _interval_bounds(interval: Record, level: float) -> tuple[float, float]:
    for entry in interval.get("intervals", []):
        if math.isclose(float(entry["level"]), level, rel_tol=0.0, abs_tol=1e-9):
            return float(entry["lower"]), float(entry["upper"])
    return math.nan, math.nan


# --------------------------------------------------------------------------------------------
# Per-run figures


def plot_run_figures(
    predictions_path: str | Path,
    score_path: str | Path,
    *,
    b_reg: float,
    scores_output: str | Path,
    ams_output: str | Path,
) -> None:
    """Validation score distributions and validation AMS against the cut of one run.

    The cut marked in both figures is the validation cut of the run's score file, so the figures
    show exactly the selection the test AMS values were computed with (REFERENCE.md section 3).
    """
    frame = read_predictions(predictions_path)
    score = _read_json(score_path)
    if "cut" not in score:
        raise ValueError(f"{score_path}: score file lacks the validation 'cut'")
    cut = float(score["cut"])
    run = f"{score.get('experiment', '?')}, seed {score.get('seed', '?')}"
    plot_score_distributions(
        frame,
        scores_output,
        title=f"{run}: validation scores (weighted, log scale)",
        cut=cut,
        subset="val",
        source=predictions_path,
    )
    plot_ams_vs_cut(
        frame,
        ams_output,
        cut=cut,
        title=f"{run}: validation AMS against the cut",
        b_reg=b_reg,
        subset="val",
        source=predictions_path,
    )


# --------------------------------------------------------------------------------------------
# Bootstrap of the double-luminosity values and of the test-scanned maxima


def bootstrap_max_ams(
    scores: ArrayLike,
    labels: ArrayLike,
    weights: ArrayLike,
    *,
    b_reg: float = DEFAULT_B_REG,
    n_resamples: int = 1000,
    levels: Sequence[float] = DEFAULT_LEVELS,
    seed: int = 0,
) -> BootstrapInterval:
    """Percentile bootstrap of the test-scanned maximum AMS (Efron and Tibshirani 1993, ch. 13).

    Each resample draws the N events with replacement (weights unchanged, so the luminosity and
    the AMS scale stay those of the set), and the cut is scanned again over every distinct score:
    the spread of "the best AMS a cut tuned on this set reaches" (the study's test-set
    optimisation, REFERENCE.md section 4). A resample is an event-count vector; s and b of
    "score >= c" are its weighted cumulative sums in descending score order, so each resample
    costs O(N) after one sort, and AMS goes through :func:`supertml.metrics.ams`. The maximum of
    a noisy curve is biased upwards in the resamples; read the interval as a spread.

    Raises
    ------
    ValueError
        On invalid events (as :func:`supertml.metrics.max_ams`), ``n_resamples`` < 2 or a level
        outside (0, 1).
    """
    if isinstance(n_resamples, bool) or n_resamples < 2:
        raise ValueError(f"n_resamples must be an integer >= 2, got {n_resamples!r}")
    checked = tuple(float(level) for level in levels)
    if not checked or not all(0.0 < level < 1.0 for level in checked):
        raise ValueError(f"levels must be non-empty and each in (0, 1), got {list(levels)}")
    # max_ams validates the events (shapes, labels, finite values).
    point, point_cut = max_ams(scores, labels, weights, b_reg=b_reg)
    score_f = np.asarray(scores, dtype=np.float64)
    order = np.argsort(-score_f, kind="stable")
    descending = score_f[order]
    is_signal = np.asarray(labels)[order] == 1
    weight_f = np.asarray(weights, dtype=np.float64)[order]
    signal_w = np.where(is_signal, weight_f, 0.0)
    background_w = np.where(is_signal, 0.0, weight_f)
    # "score >= c" for each distinct c ends at the last event of its group of tied scores.
    ends = np.flatnonzero(np.append(descending[1:] != descending[:-1], True))
    n = score_f.size
    rng = np.random.default_rng(seed)
    maxima = np.empty(n_resamples, dtype=np.float64)
    block = max(1, _MAX_CHUNK // n)
    for start in range(0, n_resamples, block):
        k = min(block, n_resamples - start)
        draws = rng.integers(0, n, size=(k, n))
        # Counts per (resample, event) in one bincount: row r owns bins [r n, (r + 1) n).
        offsets = (np.arange(k, dtype=np.int64) * n)[:, None]
        counts = np.bincount((draws + offsets).ravel(), minlength=k * n).reshape(k, n)
        # Draws index the events as given (reproducible from the seed alone); sums run in
        # descending score order.
        counts = counts[:, order]
        s = np.cumsum(counts * signal_w, axis=1)[:, ends]
        b = np.cumsum(counts * background_w, axis=1)[:, ends]
        maxima[start : start + k] = ams(s, b, b_reg).max(axis=1)
    return percentile_interval(
        maxima, point=point, cut=point_cut, n_events=n, seed=seed, levels=checked
    )


def _stream_seed(seed: int, stream: int) -> int:
    """A reproducible 32-bit seed per (seed, stream), as analyse_predictions derives its own."""
    return int(np.random.SeedSequence([seed, _STREAM_OFFSET + stream]).generate_state(1)[0])


def run_intervals(
    frame: pd.DataFrame, analysis: Record, *, source: str | Path = "<analysis in memory>"
) -> dict[str, JsonValue]:
    """Bootstrap intervals of the run's AMS values that the analysis JSON gives without one.

    For every cut of the double-luminosity check (the validation cut and the fixed 0.5): the
    merged set (public + private, weights untouched: two luminosities), the normalised merged
    set (each subset scaled by its share of the test events, as
    :func:`supertml.metrics.analyses.analyse_double_luminosity` does), and the public and
    private AMS except at the validation cut, where the analysis's ``bootstrap`` already holds
    them (same cut, same events: one interval per quantity in the report). For the
    whole public and private sets: the test-scanned maximum (:func:`bootstrap_max_ams`).
    Resamples, levels, ``b_reg`` and the seed come from the analysis's ``settings``.
    """
    settings = analysis.get("settings")
    luminosity = analysis.get("double_luminosity")
    if not isinstance(settings, Mapping) or not isinstance(luminosity, Mapping):
        raise ValueError(f"{source}: analysis lacks 'settings' or 'double_luminosity'")
    b_reg = float(settings["b_reg"])
    n_resamples = int(settings["n_bootstrap"])
    seed = int(settings["seed"])
    levels = DEFAULT_LEVELS
    public, private = (subset_arrays(frame, name) for name in _TEST_SUBSETS)
    n_public, n_private = public[0].size, private[0].size
    factors = (n_public / (n_public + n_private), n_private / (n_public + n_private))
    scores = np.concatenate([public[0], private[0]])
    labels = np.concatenate([public[1], private[1]])
    merged_w = np.concatenate([public[2], private[2]])
    normal_w = np.concatenate([public[2] * factors[0], private[2] * factors[1]])
    sets = {
        "public": public,
        "private": private,
        "merged": (scores, labels, merged_w),
        "normalised": (scores, labels, normal_w),
    }
    at_cuts: dict[str, JsonValue] = {}
    stream = 0
    validation_cut = float(analysis["validation_cut"]["cut"])
    for entry in luminosity["at_cuts"]:
        cut = float(entry["cut"])
        values: dict[str, JsonValue] = {"cut": cut}
        for name, (s, y, w) in sets.items():
            if name in _TEST_SUBSETS and cut == validation_cut:
                continue  # the analysis's own bootstrap is this very interval
            values[name] = bootstrap_ams(
                s, y, w, cut, b_reg=b_reg, n_resamples=n_resamples, levels=levels,
                seed=_stream_seed(seed, stream),
            ).to_dict()  # fmt: skip
            stream += 1
        at_cuts[str(entry["name"])] = values
    maxima: dict[str, JsonValue] = {}
    for name in _TEST_SUBSETS:
        s, y, w = sets[name]
        maxima[name] = bootstrap_max_ams(
            s, y, w, b_reg=b_reg, n_resamples=n_resamples, levels=levels,
            seed=_stream_seed(seed, stream),
        ).to_dict()  # fmt: skip
        stream += 1
    return {
        "settings": {"b_reg": b_reg, "n_resamples": n_resamples, "seed": seed,
                     "levels": list(levels)},
        "double_luminosity": at_cuts,
        "test_optimisation": maxima,
    }  # fmt: skip


def bootstrap_run(
    predictions_path: str | Path, analysis_path: str | Path, *, output: str | Path
) -> None:
    """Write :func:`run_intervals` of one run, with the run's identity, into a JSON file."""
    analysis = _read_json(analysis_path)
    frame = read_predictions(predictions_path)
    identity: dict[str, Any] = {
        key: analysis[key] for key in ("experiment", "kind", "seed") if key in analysis
    }
    write_json(
        output,
        {**identity, **run_intervals(frame, analysis, source=analysis_path),
         "analysis": str(analysis_path)},
    )  # fmt: skip


# --------------------------------------------------------------------------------------------
# Dataset figures


def plot_training_runs(
    labels: Sequence[str], metrics_paths: Sequence[str | Path], *, output: str | Path, title: str
) -> None:
    """Training curves of every CNN run in one figure; ``labels[i]`` names ``metrics_paths[i]``."""
    if len(labels) != len(metrics_paths):
        raise ValueError(f"{len(labels)} labels for {len(metrics_paths)} metrics files")
    plot_training_curves(dict(zip(labels, metrics_paths, strict=True)), output, title=title)


def _fold_values(
    analysis_paths: Sequence[str | Path],
) -> dict[str, dict[str, dict[str, list[float]]]]:
    """Per experiment, the fold AMS values of both analyses, pooled over its seeds."""
    pooled: dict[str, dict[str, dict[str, list[float]]]] = {}
    for (experiment, _), record in sorted(_by_run(analysis_paths, "analysis").items()):
        entry = pooled.setdefault(experiment, {})
        for analysis in ("test_size", "test_optimisation"):
            if analysis not in record:
                raise ValueError(f"{record['_source']}: lacks the {analysis!r} analysis")
            for subset in _TEST_SUBSETS:
                values = record[analysis][subset]["ams"]["values"]
                entry.setdefault(analysis, {}).setdefault(subset, []).extend(values)
    return pooled


def plot_fold_figure(
    analysis_paths: Sequence[str | Path], *, output: str | Path, title: str
) -> None:
    """Per-fold AMS of both analyses of the claim, every experiment, folds pooled over seeds."""
    if not analysis_paths:
        raise ValueError("no analysis files to plot")
    plot_fold_distributions(_fold_values(analysis_paths), output, title=title)


# --------------------------------------------------------------------------------------------
# Tables


def dataset_note(dataset: str, split_summary: Record) -> str | None:
    """Why this run's numbers cannot be compared with the paper's and the study's, or None.

    Given for the bundled sample (``dataset == "sample"``) and for any pseudo test set (weights
    rescaled per class, ``weight_scheme == "per_class"``, REFERENCE.md/DESIGN data flow 2): the
    paper and the study scored the full 550,000-event Kaggle test set.
    """
    pseudo = split_summary.get("weight_scheme") == "per_class"
    if dataset != "sample" and not pseudo:
        return None
    splits = split_summary.get("splits", {})
    n_test = sum(int(splits.get(name, {}).get("events", 0)) for name in _TEST_SUBSETS)
    what = (
        "the bundled 8,004-event sample of real challenge events"
        if dataset == "sample"
        else f"data set {dataset!r}"
    )
    counts = (
        f" ({splits['public']['events']} public, {splits['private']['events']} private events)"
        if all(name in splits for name in _TEST_SUBSETS)
        else ""
    )
    scale = f", about {_FULL_TEST_EVENTS / n_test:,.0f} times fewer" if n_test else ""
    return (
        f"this run uses {what}. Its test set is a pseudo test set carved from training events"
        f"{counts}{scale} than the 550,000 of the challenge, with weights rescaled per class to "
        "the challenge totals. The AMS values are on the challenge's scale but fluctuate "
        "strongly (above all the test-scanned maxima), so they are NOT comparable with the "
        "paper's 3.979 or the study's numbers: read them as a demonstration of the pipeline. "
        "Run the full data (config/higgsml.yaml) for a verdict."
    )


def experiment_summaries(
    scores: Sequence[Record],
    analyses: Mapping[tuple[str, int], Record],
    *,
    study_rows: Mapping[str, str] | None = None,
) -> list[ExperimentResult]:
    """Per experiment, the mean public and private AMS at the validation cut and its uncertainty.

    Values come from the score files (the one scoring code path). Uncertainty: the sample std
    over seeds (:func:`supertml.metrics.summarise_seeds`) with more than one seed, labelled
    :data:`SEED_UNC`; with one seed, the half-width of the bootstrap 68 % interval of the same
    AMS in the run's analysis (``bootstrap.public``/``private``), labelled :data:`BOOTSTRAP_UNC`.

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
        public = summarise_seeds([float(r["public_ams"]) for r in runs])
        private = summarise_seeds([float(r["private_ams"]) for r in runs])
        for record in runs:
            _check_same_cut(record, analyses)
        if public.n > 1 and public.std is not None and private.std is not None:
            public_unc, private_unc, label = (
                public.std,
                private.std,
                f"{SEED_UNC} ({public.n} seeds)",
            )
        else:
            analysis = analyses[(name, int(runs[0]["seed"]))]
            source = str(analysis.get("_source", name))
            public_unc = _one_sigma_half_width(analysis["bootstrap"]["public"], source)
            private_unc = _one_sigma_half_width(analysis["bootstrap"]["private"], source)
            label = BOOTSTRAP_UNC
        results.append(
            ExperimentResult(
                experiment=name, kind=kinds[0], public=public.mean, private=private.mean,
                public_unc=public_unc, private_unc=private_unc, n_seeds=public.n,
                study_row=rows.get(name), unc_label=label,
            )
        )  # fmt: skip
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


@dataclass(frozen=True)
class _Quantity:
    """One row of the analyses table: where its per-run value and 68 % interval live."""

    analysis: str
    quantity: str
    cut_name: str | None = None


def _quantities(cut_names: Sequence[str]) -> list[tuple[_Quantity, tuple[str, ...]]]:
    """The rows of the analyses table, each with the subsets it is given for."""
    specs: list[tuple[_Quantity, tuple[str, ...]]] = [
        (_Quantity(analysis, f"fold {stat}"), _TEST_SUBSETS)
        for analysis in ("test_size", "test_optimisation")
        for stat in ("mean", "std", "min", "max")
    ]
    specs.append((_Quantity("test_optimisation", "whole-set max"), _TEST_SUBSETS))
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
    if quantity.analysis in ("test_size", "test_optimisation"):
        stat = quantity.quantity.removeprefix("fold ")
        part = analysis[quantity.analysis][subset]
        if stat == "whole-set max":
            boot = None if intervals is None else intervals["test_optimisation"][subset]
            value = float(part["whole_ams"])
            return value, (math.nan if boot is None else _one_sigma_half_width(boot, source))
        return float(part["ams"][stat]), math.nan
    # double luminosity
    entry = next(
        e for e in analysis["double_luminosity"]["at_cuts"] if e["name"] == quantity.cut_name
    )
    if subset == "ratio":
        return (math.nan if entry["ratio"] is None else float(entry["ratio"])), math.nan
    value = float(entry[f"{subset}_ams"])
    if subset in _TEST_SUBSETS and float(entry["cut"]) == float(analysis["validation_cut"]["cut"]):
        # The same interval the verdict quotes for this AMS.
        return value, _one_sigma_half_width(analysis["bootstrap"][subset], source)
    if intervals is None:
        return value, math.nan
    boot = intervals["double_luminosity"][str(quantity.cut_name)][subset]
    return value, _one_sigma_half_width(boot, source)


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

    - test size / test-set optimisation: the fold ``mean``, ``std``, ``min`` and ``max`` per
      subset; test-set optimisation also the ``whole-set max`` (scan over the whole subset);
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


_INTERVAL_COLUMNS: Final[tuple[str, ...]] = (
    "experiment", "seed", "quantity", "subset", "cut", "point", "mean", "std",
    "lower_68", "upper_68", "lower_95", "upper_95", "n_resamples",
)  # fmt: skip


def _interval_row(
    run: tuple[str, int], quantity: str, subset: str, *, cut: float, boot: Record
) -> dict[str, Any]:
    low68, high68 = _interval_bounds(boot, ONE_SIGMA)
    low95, high95 = _interval_bounds(boot, 0.95)
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
    each cut and the test-scanned whole-set maxima. Columns: :data:`_INTERVAL_COLUMNS`.
    """
    rows: list[dict[str, Any]] = []
    for key in sorted(analyses):
        record = analyses[key]
        cut = float(record["validation_cut"]["cut"])
        for subset in ("val", *_TEST_SUBSETS):
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
        for subset in _TEST_SUBSETS:
            boot = extra["test_optimisation"][subset]
            rows.append(_interval_row(key, "whole-set max (cut re-scanned)", subset,
                                      cut=float(boot["cut"]), boot=boot))  # fmt: skip
    return pd.DataFrame(rows, columns=list(_INTERVAL_COLUMNS))


# --------------------------------------------------------------------------------------------
# Markdown and HTML


def _num(value: float, unc: float = math.nan) -> str:
    if not math.isfinite(value):
        return "-"
    if math.isfinite(unc) and unc > 0.0:
        return f"{value:.3f} ± {unc:.3f}"
    return f"{value:.3f}"


def _md_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return [*lines, ""]


def _cell(table: pd.DataFrame, experiment: str, analysis: str, quantity: str, subset: str) -> str:
    # The analysis must be part of the key: both fold analyses have a "fold mean" row.
    hit = table[
        (table["experiment"] == experiment)
        & (table["analysis"] == analysis)
        & (table["quantity"] == quantity)
        & (table["subset"] == subset)
    ]
    if hit.empty:
        return "-"
    row = hit.iloc[0]
    return _num(float(row["value"]), float(row["uncertainty"]))


def _unc_note(table: pd.DataFrame, experiment: str) -> str:
    n = int(table.loc[table["experiment"] == experiment, "n_seeds"].iloc[0])
    return f"{n} ({SEED_UNC})" if n > 1 else "1"


def _analysis_sections(table: pd.DataFrame) -> list[str]:
    experiments = sorted(table["experiment"].unique()) if not table.empty else []
    lines = ["## 2. The analyses of the claim (REFERENCE.md section 4)", ""]
    lines += [
        "Each test subset split into random folds (public and private events together, as the "
        "study split its 550k); weights in a fold scaled by (events of the subset) / (its "
        "events in the fold). With one seed, the fold mean carries the fold std (the spread of "
        "single folds, as the study quoted it) and min/max are the extreme folds; with several "
        "seeds every value is the mean over seeds ± the seed std.",
        "",
        "### 2a. Test-size hypothesis: AMS per fold at the validation cut",
        "",
    ]
    header = ["experiment", "seeds"]
    for subset in _TEST_SUBSETS:
        header += [f"{subset} mean", f"{subset} min", f"{subset} max"]
    rows = []
    for e in experiments:
        row = [e, _unc_note(table, e)]
        for subset in _TEST_SUBSETS:
            row += [
                _cell(table, e, "test_size", f"fold {stat}", subset)
                for stat in ("mean", "min", "max")
            ]
        rows.append(row)
    pub_max, priv_max = STUDY_TEST_SIZE_MAX
    rows.append(["study (SENet154, pixels)", "-", "-", "-", f"{pub_max:.2f}", "-", "-",
                 f"{priv_max:.2f}"])  # fmt: skip
    lines += _md_table(header, rows)
    lines += [
        "### 2b. Test-set optimisation: cut scanned for the maximum (not a legitimate score)",
        "",
    ]
    header = ["experiment", "seeds"]
    for subset in _TEST_SUBSETS:
        header += [f"{subset} fold mean", f"{subset} fold max", f"{subset} whole-set max"]
    rows = []
    for e in experiments:
        row = [e, _unc_note(table, e)]
        for subset in _TEST_SUBSETS:
            row += [_cell(table, e, "test_optimisation", q, subset)
                    for q in ("fold mean", "fold max", "whole-set max")]  # fmt: skip
        rows.append(row)
    (opt_pub, opt_priv), (mean_pub, mean_priv) = (STUDY_TEST_OPTIMISATION_MAX,
                                                  STUDY_TEST_OPTIMISATION_MEAN)  # fmt: skip
    rows.append(["study (SENet154, pixels)", "-", f"{mean_pub:.2f}", f"{opt_pub:.2f}", "-",
                 f"{mean_priv:.2f}", f"{opt_priv:.2f}", "-"])  # fmt: skip
    lines += _md_table(header, rows)
    lines += [
        "### 2c. Double luminosity: public + private scored as one set",
        "",
        "`merged`: the two subsets as one set with their weights untouched (each is normalised "
        "to the challenge totals, so together they stand for two luminosities); `normalised`: "
        "the same set rescaled to one luminosity (each subset weighted by its share of the "
        "test events). `ratio` = merged / normalised, about sqrt(2) = 1.414 when public and "
        "private are alike.",
        "",
    ]
    header = ["experiment", "seeds", "cut", "public", "private", "merged", "normalised", "ratio"]
    rows = []
    for e in experiments:
        part = table[(table["experiment"] == e) & (table["analysis"] == "double_luminosity")]
        for quantity in part["quantity"].unique():
            cut = float(part.loc[part["quantity"] == quantity, "cut"].iloc[0])
            name = str(quantity).removeprefix("at ").removesuffix(" cut")
            rows.append(
                [e, _unc_note(table, e), f"{name} ({cut:.4f})"]
                + [_cell(table, e, "double_luminosity", str(quantity), s)
                   for s in ("public", "private", "merged", "normalised", "ratio")]
            )  # fmt: skip
    lumi_pub, lumi_priv = STUDY_DOUBLE_LUMINOSITY_SEPARATE
    rows.append(["study (SENet154, text 224)", "-", "fixed (0.5000)", f"{lumi_pub:.3f}",
                 f"{lumi_priv:.3f}", f"{STUDY_DOUBLE_LUMINOSITY_AMS:.3f}", "-", "-"])  # fmt: skip
    lines += _md_table(header, rows)
    return lines


def _interval_section(table: pd.DataFrame) -> list[str]:
    lines = [
        "## 3. Bootstrap intervals",
        "",
        "Percentile bootstrap per run (events resampled with replacement, weights unchanged; "
        "the cut fixed, except for the whole-set maxima, where it is scanned again in every "
        "resample). 68 % is the one-sigma level.",
        "",
    ]
    header = ["experiment", "seed", "quantity", "subset", "cut", "AMS", "68 % interval",
              "95 % interval", "resamples"]  # fmt: skip
    rows = [
        [str(r.experiment), str(r.seed), str(r.quantity), str(r.subset), f"{r.cut:.4f}",
         f"{r.point:.3f}", f"[{r.lower_68:.3f}, {r.upper_68:.3f}]",
         f"[{r.lower_95:.3f}, {r.upper_95:.3f}]", str(r.n_resamples)]
        for r in table.itertuples(index=False)
    ]  # fmt: skip
    return lines + _md_table(header, rows)


def _runs_section(scores: pd.DataFrame, analyses: Mapping[tuple[str, int], Record]) -> list[str]:
    lines = [
        "## 4. Every run",
        "",
        "Scores of each (experiment, seed) as in `summary.csv`, the test AMS at the validation "
        "cut with its bootstrap 68 % half-width.",
        "",
    ]
    header = ["experiment", "kind", "seed", "val AUC", "cut", "val AMS at cut", "val AMS max",
              "public AMS", "private AMS"]  # fmt: skip
    rows = []
    for r in scores.itertuples(index=False):
        analysis = analyses.get((str(r.experiment), int(r.seed)), {})
        source = str(analysis.get("_source", r.experiment))
        unc = {
            s: _one_sigma_half_width(analysis["bootstrap"][s], source) if analysis else math.nan
            for s in ("val", *_TEST_SUBSETS)
        }
        rows.append([
            str(r.experiment), str(r.kind), str(r.seed), f"{float(r.val_auc):.3f}",
            f"{float(r.cut):.4f}", _num(float(r.val_ams_at_cut), unc["val"]),
            _num(float(r.val_ams_max)), _num(float(r.public_ams), unc["public"]),
            _num(float(r.private_ams), unc["private"]),
        ])  # fmt: skip
    return lines + _md_table(header, rows)


def report_markdown(
    dataset: str,
    results: Sequence[ExperimentResult],
    *,
    analyses: pd.DataFrame,
    intervals: pd.DataFrame,
    scores: pd.DataFrame,
    analysis_records: Mapping[tuple[str, int], Record],
    note: str | None,
) -> str:
    """The verdict page: claim vs study vs this run, the analyses, the intervals, every run."""
    lines = [
        f"# Does SuperTML reach AMS 3.979? Verdict for data set `{dataset}`",
        "",
        "## 1. Claim vs study vs this run",
        "",
        "Public and private test AMS at the cut chosen on validation (b_r = 10). This run: the "
        "mean over seeds; its uncertainty is the seed std with several seeds, else the "
        "bootstrap 68 % half-width of the single run (the note column says which).",
        "",
        verdict_markdown(results, dataset_note=note),
    ]
    lines += _analysis_sections(analyses)
    lines += _interval_section(intervals)
    lines += _runs_section(scores, analysis_records)
    return "\n".join(lines)


_INLINE: Final[tuple[tuple[re.Pattern[str], str], ...]] = (
    (re.compile(r"`([^`]+)`"), r"<code>\1</code>"),
    (re.compile(r"\*\*([^*]+)\*\*"), r"<strong>\1</strong>"),
    (re.compile(r"(?<![\w*])\*([^*\s][^*]*)\*(?![\w*])"), r"<em>\1</em>"),
)

_STYLE: Final[str] = """
body { font-family: system-ui, sans-serif; margin: 1.5em; color: #222; max-width: 80em; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; font-size: 0.9em; }
th, td { border: 1px solid #bbb; padding: 0.25em 0.6em; text-align: left; }
th { background: #eee; } tr:nth-child(even) td { background: #f7f7f7; }
code { background: #f0f0f0; padding: 0 0.2em; }
"""


def _inline(text: str) -> str:
    out = html.escape(text, quote=False)
    for pattern, replacement in _INLINE:
        out = pattern.sub(replacement, out)
    return out


def _table_cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def markdown_to_html(markdown: str, *, title: str) -> str:
    """A standalone HTML page of the Markdown this module writes (no external resources).

    Handles exactly what :func:`report_markdown` produces: ``#`` headings, pipe tables with a
    ``|---|`` separator line, ``-`` lists, paragraphs, and inline code, bold and italic. Every
    text is HTML-escaped first. (Snakemake reports show HTML inline but offer Markdown only as a
    download; no Markdown package is a project dependency.)
    """
    body: list[str] = []
    lines = markdown.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        stripped = line.strip()
        if not stripped:
            i += 1
            continue
        heading = re.match(r"^(#{1,6})\s+(.*)$", stripped)
        if heading:
            level = len(heading.group(1))
            body.append(f"<h{level}>{_inline(heading.group(2))}</h{level}>")
            i += 1
        elif stripped.startswith("|"):
            block = []
            while i < len(lines) and lines[i].strip().startswith("|"):
                block.append(lines[i])
                i += 1
            has_header = len(block) > 1 and re.fullmatch(r"\|?[\s:|-]+\|?", block[1].strip())
            rows = [block[0], *block[2:]] if has_header else block
            body.append("<table>")
            for n, row in enumerate(rows):
                tag = "th" if has_header and n == 0 else "td"
                cells = "".join(f"<{tag}>{_inline(c)}</{tag}>" for c in _table_cells(row))
                body.append(f"<tr>{cells}</tr>")
            body.append("</table>")
        elif stripped.startswith("- "):
            body.append("<ul>")
            while i < len(lines) and lines[i].strip().startswith("- "):
                body.append(f"<li>{_inline(lines[i].strip()[2:])}</li>")
                i += 1
            body.append("</ul>")
        else:
            paragraph = []
            while (
                i < len(lines)
                and lines[i].strip()
                and not re.match(r"^(#|\||- )", lines[i].strip())
            ):
                paragraph.append(lines[i].strip())
                i += 1
            body.append(f"<p>{_inline(' '.join(paragraph))}</p>")
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{html.escape(title)}</title>\n<style>{_STYLE}</style>\n</head>\n<body>\n"
        + "\n".join(body)
        + "\n</body>\n</html>\n"
    )


# --------------------------------------------------------------------------------------------
# The verdict step


def write_verdict(
    score_paths: Sequence[str | Path],
    analysis_paths: Sequence[str | Path],
    interval_paths: Sequence[str | Path],
    split_summary_path: str | Path,
    *,
    dataset: str,
    markdown_path: str | Path,
    html_path: str | Path,
    verdict_csv: str | Path,
    analyses_csv: str | Path,
    intervals_csv: str | Path,
    study_rows: Mapping[str, str] | None = None,
) -> str:
    """Write the verdict page (Markdown and HTML) and its three tables as CSV; return the page.

    ``verdict_csv``: the claim-vs-study-vs-this-run rows (:func:`verdict_rows`);
    ``analyses_csv``: :func:`analyses_table`; ``intervals_csv``: :func:`intervals_table`. Every
    score file needs the analysis and interval files of the same (experiment, seed).
    """
    if not score_paths:
        raise ValueError("no score files: nothing to report")
    scores = collect_scores(score_paths)
    score_records = [_read_json(path) for path in score_paths]
    analyses = _by_run(analysis_paths, "analysis")
    intervals = _by_run(interval_paths, "interval file")
    wanted = {_run_key(r, p) for r, p in zip(score_records, score_paths, strict=True)}
    for have, what in ((analyses, "analysis"), (intervals, "interval")):
        missing = sorted(wanted - set(have))
        if missing:
            raise ValueError(f"no {what} file for run(s) {missing}")
    split_summary = _read_json(split_summary_path)
    results = experiment_summaries(score_records, analyses, study_rows=study_rows)
    analysis_frame = analyses_table(analyses, intervals)
    interval_frame = intervals_table(analyses, intervals)
    page = report_markdown(
        dataset,
        results,
        analyses=analysis_frame,
        intervals=interval_frame,
        scores=scores,
        analysis_records=analyses,
        note=dataset_note(dataset, split_summary),
    )
    with atomic_path(markdown_path) as tmp:
        tmp.write_text(page, encoding="utf-8")
    with atomic_path(html_path) as tmp:
        tmp.write_text(markdown_to_html(page, title=f"SuperTML verdict: {dataset}"),
                       encoding="utf-8")  # fmt: skip
    write_table(verdict_csv, pd.DataFrame(verdict_rows(results)))
    write_table(analyses_csv, analysis_frame)
    write_table(intervals_csv, interval_frame)
    return page
