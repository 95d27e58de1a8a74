"""The verdict page in Markdown: claim vs study vs this run, the analyses, the intervals, runs.

Every published number comes from :mod:`supertml.published`; every setting the page states
(b_r) from the run's own records.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Final

import pandas as pd

from supertml.constants import KAGGLE_SET_SIZES, SCORED_SUBSETS, TEST_SUBSETS
from supertml.minimums import small_subsets_note
from supertml.published import (
    PAPER_CLAIM_AMS,
    STUDY_DOUBLE_LUMINOSITY_AMS,
    STUDY_DOUBLE_LUMINOSITY_SEPARATE,
    STUDY_TEST_OPTIMISATION_MAX,
    STUDY_TEST_OPTIMISATION_MEAN,
    STUDY_TEST_SIZE_MAX,
)
from supertml.reporting.records import Record, b_reg_text
from supertml.reporting.tables import SEED_UNC, one_sigma_half_width
from supertml.reporting.verdict import ExperimentResult, verdict_markdown

__all__ = ["comparable_with_claim", "dataset_note", "report_markdown"]

#: The challenge's test set, Kaggle's public and private sets (REFERENCE.md section 2).
FULL_TEST_EVENTS: Final[int] = KAGGLE_SET_SIZES["b"] + KAGGLE_SET_SIZES["v"]


def comparable_with_claim(dataset: str, split_summary: Record) -> bool:
    """Whether this run's AMS can be set against the paper's and the study's: not for the
    bundled sample or any pseudo test set (weights rescaled per class), whose test set is a
    small sample of training events (:func:`dataset_note` says why)."""
    return dataset != "sample" and split_summary.get("weight_scheme") != "per_class"


def dataset_note(dataset: str, split_summary: Record) -> str | None:
    """Why this run's numbers cannot be compared with the paper's and the study's, or None.

    Given for the bundled sample (``dataset == "sample"``) and for any pseudo test set (weights
    rescaled per class, ``weight_scheme == "per_class"``, REFERENCE.md/DESIGN data flow 2): the
    paper and the study scored the full 550,000-event Kaggle test set. Any data set with scored
    subsets below the meaningful size also gets the warning of
    :func:`supertml.minimums.small_subsets_note`.
    """
    small = small_subsets_note(split_summary)
    if comparable_with_claim(dataset, split_summary):
        return small
    splits = split_summary.get("splits", {})
    n_test = sum(int(splits.get(name, {}).get("events", 0)) for name in TEST_SUBSETS)
    what = (
        "the bundled 8,004-event sample of real challenge events"
        if dataset == "sample"
        else f"data set {dataset!r}"
    )
    counts = (
        f" ({splits['public']['events']} public, {splits['private']['events']} private events)"
        if all(name in splits for name in TEST_SUBSETS)
        else ""
    )
    scale = f", about {FULL_TEST_EVENTS / n_test:,.0f} times fewer" if n_test else ""
    return (
        f"this run uses {what}. Its test set is a pseudo test set carved from training events"
        f"{counts}{scale} than the {FULL_TEST_EVENTS:,} of the challenge, with weights rescaled "
        "per class to "
        "the challenge totals. The AMS values are on the challenge's scale but fluctuate "
        "strongly (above all the test-scanned maxima), so they are NOT comparable with the "
        f"paper's {PAPER_CLAIM_AMS:.3f} or the study's numbers: read them as a demonstration "
        "of the pipeline. "
        "Run the full data (config/higgsml.yaml) for a verdict."
    ) + (f" {small}" if small else "")


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
        f"study split its {FULL_TEST_EVENTS // 1000}k); weights in a fold scaled by (events of "
        "the subset) / (its events in the fold). With one seed, the fold mean carries the fold "
        "std (the spread of single folds, as the study quoted it) and min/max are the extreme "
        "folds; with several seeds every value is the mean over seeds ± the seed std.",
        "",
    ]
    return (
        lines
        + _test_size_section(table, experiments)
        + _optimisation_section(table, experiments)
        + _luminosity_section(table, experiments)
    )


def _test_size_section(table: pd.DataFrame, experiments: Sequence[str]) -> list[str]:
    lines = ["### 2a. Test-size hypothesis: AMS per fold at the validation cut", ""]
    header = ["experiment", "seeds"]
    for subset in TEST_SUBSETS:
        header += [f"{subset} mean", f"{subset} min", f"{subset} max"]
    rows = []
    for e in experiments:
        row = [e, _unc_note(table, e)]
        for subset in TEST_SUBSETS:
            row += [
                _cell(table, e, "test_size", f"fold {stat}", subset)
                for stat in ("mean", "min", "max")
            ]
        rows.append(row)
    pub_max, priv_max = STUDY_TEST_SIZE_MAX
    rows.append(["study (SENet154, pixels)", "-", "-", "-", f"{pub_max:.2f}", "-", "-",
                 f"{priv_max:.2f}"])  # fmt: skip
    return lines + _md_table(header, rows)


def _optimisation_section(table: pd.DataFrame, experiments: Sequence[str]) -> list[str]:
    lines = [
        "### 2b. Test-set optimisation: cut scanned for the maximum (not a legitimate score)",
        "",
    ]
    header = ["experiment", "seeds"]
    for subset in TEST_SUBSETS:
        header += [f"{subset} fold mean", f"{subset} fold max", f"{subset} whole-set max"]
    rows = []
    for e in experiments:
        row = [e, _unc_note(table, e)]
        for subset in TEST_SUBSETS:
            row += [_cell(table, e, "test_optimisation", q, subset)
                    for q in ("fold mean", "fold max", "whole-set max")]  # fmt: skip
        rows.append(row)
    (opt_pub, opt_priv), (mean_pub, mean_priv) = (STUDY_TEST_OPTIMISATION_MAX,
                                                  STUDY_TEST_OPTIMISATION_MEAN)  # fmt: skip
    rows.append(["study (SENet154, pixels)", "-", f"{mean_pub:.2f}", f"{opt_pub:.2f}", "-",
                 f"{mean_priv:.2f}", f"{opt_priv:.2f}", "-"])  # fmt: skip
    return lines + _md_table(header, rows)


def _luminosity_section(table: pd.DataFrame, experiments: Sequence[str]) -> list[str]:
    lines = [
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
    return lines + _md_table(header, rows)


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
            s: one_sigma_half_width(analysis["bootstrap"][s], source) if analysis else math.nan
            for s in SCORED_SUBSETS
        }
        rows.append([
            str(r.experiment), str(r.kind), str(r.seed), f"{float(r.val_auc):.3f}",
            f"{float(r.cut):.4f}", _num(float(r.val_ams_at_cut), unc["val"]),
            _num(float(r.val_ams_max)), _num(float(r.public_ams), unc["public"]),
            _num(float(r.private_ams), unc["private"]),
        ])  # fmt: skip
    return lines + _md_table(header, rows)


#: A run's provenance as the page shows it: its label and the record's ``provenance``.
RunProvenance = tuple[str, Record | None]


def _cuda_cell(record: Record) -> str:
    """CUDA / cuDNN of a run; a CUDA build of torch that ran on the CPU says so, rather than
    a version that reads as if the GPU had been used."""
    if record["cuda"] is None:
        return "-"
    if str(record["device"]).startswith("CPU"):
        return f"not used (torch built for CUDA {record['cuda']})"
    return f"{record['cuda']} / {record['cudnn'] or '-'}"


def _provenance_section(runs: Sequence[RunProvenance]) -> list[str]:
    """Per run its commit, host, device, CUDA and SLURM job, and a library set shared by runs."""
    lines = [
        "## 5. What produced each run",
        "",
        "Recorded by each training job (`supertml.runinfo`): the repository commit "
        "(`+dirty`: tracked files differed from it), host, device, CUDA / cuDNN, SLURM job, and "
        "the versions of the libraries that shape the numbers (one set per distinct combination).",
        "",
    ]
    sets: dict[str, str] = {}
    rows = []
    for label, record in runs:
        if record is None:
            rows.append([label, "not recorded (trained before runs kept their provenance)"]
                        + ["-"] * 5)  # fmt: skip
            continue
        libraries = ", ".join(f"{k} {v}" for k, v in record["libraries"].items())
        name = sets.setdefault(libraries, chr(ord("A") + len(sets)))
        commit = str(record["commit"])
        if len(commit.removesuffix("+dirty")) == 40:  # a git hash: its first 12 digits
            commit = commit[:12] + ("+dirty" if commit.endswith("+dirty") else "")
        cuda = _cuda_cell(record)
        rows.append([label, commit,
                     str(record["host"]), str(record["device"]), cuda,
                     str(record["slurm_job_id"] or "-"), name])  # fmt: skip
    header = ["run", "commit", "host", "device", "CUDA / cuDNN", "SLURM job", "libraries"]
    lines += _md_table(header, rows)
    lines += [f"Library set {name}: {libraries}." for libraries, name in sets.items()]
    return [*lines, ""]


def report_markdown(
    dataset: str,
    results: Sequence[ExperimentResult],
    *,
    analyses: pd.DataFrame,
    intervals: pd.DataFrame,
    scores: pd.DataFrame,
    analysis_records: Mapping[tuple[str, int], Record],
    note: str | None,
    b_reg: Sequence[float],
    comparable: bool = True,
    conditions: str | None = None,
    provenance: Sequence[RunProvenance] = (),
    applied: Sequence[Record] = (),
) -> str:
    """The verdict page: claim vs study vs this run, the analyses, the intervals, every run.

    ``b_reg``: the regularisation term(s) the runs were scored with (from their score files);
    ``comparable``: whether the data allow a judgement against the claim
    (:func:`comparable_with_claim`); ``conditions``: the study's conditions beside ours
    (Markdown), shown as section 1a when given; ``provenance``: per run its label and recorded
    provenance (None if its record has none), shown as section 5; ``applied``: the scores
    JSON of each run applied to other events (config ``apply``), shown as section 6.
    """
    lines = [
        f"# Does SuperTML reach AMS {PAPER_CLAIM_AMS:.3f}? Verdict for data set `{dataset}`",
        "",
        "## 1. Claim vs study vs this run",
        "",
        f"Public and private test AMS at the cut chosen on validation ({b_reg_text(b_reg)}). "
        "This run: the mean over seeds, and the 95 % interval for ONE more run (the claim is "
        "one run): with several seeds a Student-t interval over seeds (k - 1 degrees of "
        "freedom) widened by the test sample's bootstrap spread, with one seed the test-set "
        "bootstrap alone; the column says what it covers. Published numbers carry no "
        "uncertainty.",
        "",
        verdict_markdown(results, dataset_note=note, comparable=comparable),
    ]
    if conditions:
        lines += [
            "### 1a. Conditions: each study row's notebook beside the experiment that "
            "reproduces it",
            "",
            'Settings typed from the notebooks (REFERENCE.md "Run by run") against this run\'s '
            "config; every setting that differs is named with the reason.",
            "",
            conditions,
            "",
        ]
    lines += _analysis_sections(analyses)
    lines += _interval_section(intervals)
    lines += _runs_section(scores, analysis_records)
    if provenance:
        lines += _provenance_section(provenance)
    if applied:
        lines += _applied_section(applied)
    return "\n".join(lines)


def _applied_section(records: Sequence[Record]) -> list[str]:
    """Per application, run and subset: the events, those selected at the run's validation
    cut, and where the file has labels the AMS there."""
    lines = [
        "## 6. Runs applied to other events",
        "",
        "Each run scored events it never saw (config `apply`), prepared with its own fitted "
        "preprocessing and, for a CNN, its ordering and encoding; selected at its own "
        "validation cut. The AMS (b_r as above) uses the file's own weights and exists only "
        "where the file has labels. Each run's Kaggle submission is "
        "`applied/<application>/submissions/<run>/seed_<seed>.csv`.",
        "",
    ]
    rows = []
    for record in records:
        for subset, entry in record["subsets"].items():
            ams = f"{entry['ams']:.3f}" if entry["labelled"] else "no labels"
            rows.append([
                str(record["application"]["name"]), f"{record['experiment']}/seed_{record['seed']}",
                subset, f"{entry['events']:,}", f"{entry['selected']:,}",
                f"{record['cut']:.4f}", ams,
            ])  # fmt: skip
    header = ["application", "run", "subset", "events", "selected", "cut", "AMS at cut"]
    return [*lines, *_md_table(header, rows)]
