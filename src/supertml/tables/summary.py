"""Paper vs study vs this run on the small tables: the comparison of REFERENCE.md section 5.

Published accuracies (REFERENCE.md section 5, "Small data sets"): the paper (Sun et al. 2019,
SuperTML, arXiv 1903.06246, its table of small data sets) and the reproduction study (Strong
2019, CMS ML workshop; Strong 2020, appendix B). This run's accuracies come from the per-run
records of the workflow (:func:`supertml.steps.tables.train_table_model` for the CNN,
:func:`supertml.tables.baselines.run_baselines` for the trees), one per (model, labels, seed).

Decisions, each a physicist may want to know:

* **One test row is a big step**: Iris' test split has 30 rows, so one row is 3.3 % (the
  paper's 93.33 % is 28 of 30, the study's 96.7 % 29 of 30). The table states the step and
  the chance level (the share of the commonest test class) per table.
* **Chance**, two ways: ``chance`` is always guessing the commonest test class; ``guess`` is
  guessing at random with the training class shares, sum_k q_k p_k (q training, p test
  shares), with its binomial spread ``guess_std`` = sqrt(guess (1 - guess) / n_test) - where a
  model that learnt nothing lands, so where the shuffled-label controls should fall (one
  shuffle of a small table can keep a few more true labels than that by chance, and a
  flexible model then learns them).
* **Spread over seeds**: "this run" is the mean over seeds, with the sample standard
  deviation (ddof=1) when there are several; the test split itself is the same for every seed
  (the table's own split seed).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

import numpy as np
import pandas as pd

from supertml.published import PUBLISHED_ACCURACIES

__all__ = [
    "COMPARISON_COLUMNS",
    "METHODS",
    "comparison_frame",
    "comparison_markdown",
    "method_of",
    "reference_of",
]


#: Rows of the comparison per table, in report order, with their descriptions.
METHODS: Final[Mapping[str, str]] = {
    "cnn": "CNN on text images (SuperTML)",
    "cnn_shuffled": "CNN, shuffled training labels",
    "random_forest": "random forest",
    "random_forest_shuffled": "random forest, shuffled training labels",
    "gbt": "boosted trees (paper: xgboost)",
    "gbt_shuffled": "boosted trees, shuffled training labels",
}

#: Columns of tables_summary.csv, in order.
COMPARISON_COLUMNS: Final[tuple[str, ...]] = (
    "table",
    "method",
    "description",
    "paper",
    "paper_what",
    "study",
    "study_what",
    "accuracy_mean",
    "accuracy_std",
    "accuracy_min",
    "accuracy_max",
    "n_seeds",
    "n_test",
    "n_classes",
    "chance",
    "guess",
    "guess_std",
)


def reference_of(entry: Mapping[str, Any]) -> str | None:
    """The published numbers a config entry ``tables.<name>`` is compared with: its
    ``reference``, else its spec's source when that has published numbers (iris, wine)."""
    reference = entry.get("reference")
    if reference is not None:
        return str(reference)
    source = entry.get("spec", {}).get("source")
    return str(source) if source in PUBLISHED_ACCURACIES else None


def method_of(record: Mapping[str, Any]) -> str:
    """The comparison row of one accuracy record: its model, ``_shuffled`` for the control."""
    model = str(record["model"])
    return f"{model}_shuffled" if record["shuffled_labels"] else model


def comparison_frame(
    records: Sequence[Mapping[str, Any]],
    facts: Mapping[str, Mapping[str, Any]],
    references: Mapping[str, str | None],
) -> pd.DataFrame:
    """One row per (table, method): published accuracies beside this run's over seeds.

    ``records``: accuracy records (``table``, ``model``, ``shuffled_labels``, ``seed``,
    ``accuracy``). ``facts``: per table its split summary (``n_test``, ``train_class_counts``,
    ``test_class_counts``, ``classes``). ``references``: per table the name of its published
    numbers in :data:`supertml.published.PUBLISHED_ACCURACIES` (None: none). Tables come in
    the order of ``facts``; a method appears when it has a record or a published number.
    """
    frame = pd.DataFrame(
        [
            {
                "table": r["table"],
                "method": method_of(r),
                "seed": int(r["seed"]),
                "accuracy": float(r["accuracy"]),
            }
            for r in records
        ],
        columns=["table", "method", "seed", "accuracy"],
    )
    unknown = sorted(set(frame["table"]) - set(facts))
    if unknown:
        raise ValueError(f"accuracy records of tables {unknown} without a split summary")
    rows = []
    for table, fact in facts.items():
        counts = np.asarray(fact["test_class_counts"], dtype=np.float64)
        train_counts = np.asarray(fact["train_class_counts"], dtype=np.float64)
        n_test = int(fact["n_test"])
        guess = float(np.dot(train_counts / train_counts.sum(), counts / counts.sum()))
        published = PUBLISHED_ACCURACIES.get(references.get(table) or "", {})
        mine = frame[frame["table"] == table]
        for method, description in METHODS.items():
            values = mine.loc[mine["method"] == method, "accuracy"].to_numpy(np.float64)
            paper = published.get("paper", {}).get(method)
            study = published.get("study", {}).get(method)
            if values.size == 0 and paper is None and study is None:
                continue
            rows.append(
                {
                    "table": table,
                    "method": method,
                    "description": description,
                    "paper": paper.accuracy if paper else np.nan,
                    "paper_what": paper.what if paper else "",
                    "study": study.accuracy if study else np.nan,
                    "study_what": study.what if study else "",
                    "accuracy_mean": values.mean() if values.size else np.nan,
                    "accuracy_std": values.std(ddof=1) if values.size > 1 else np.nan,
                    "accuracy_min": values.min() if values.size else np.nan,
                    "accuracy_max": values.max() if values.size else np.nan,
                    "n_seeds": int(values.size),
                    "n_test": n_test,
                    "n_classes": len(fact["classes"]),
                    "chance": float(counts.max() / counts.sum()),
                    "guess": guess,
                    "guess_std": float(np.sqrt(guess * (1.0 - guess) / n_test)),
                }
            )
    return pd.DataFrame(rows, columns=list(COMPARISON_COLUMNS))


def _percent(value: float, what: str = "") -> str:
    if np.isnan(value):
        return "-"
    return f"{100 * value:.1f} %" + (f" ({what})" if what else "")


def _ours(row: pd.Series) -> str:
    if row["n_seeds"] == 0:
        return "not run"
    text = f"{100 * row['accuracy_mean']:.1f} %"
    if row["n_seeds"] > 1:
        text += f" ± {100 * row['accuracy_std']:.1f} ({row['n_seeds']} seeds)"
    return text


def comparison_markdown(frame: pd.DataFrame) -> str:
    """The comparison as Markdown: one table, then each table's test size and chance level."""
    lines = [
        "# Small data sets: paper vs study vs this run (test accuracy)",
        "",
        "Paper: Sun et al. 2019 (SuperTML). Study: Strong 2019/2020 (REFERENCE.md section 5).",
        "This run: mean over seeds (± sample standard deviation over seeds, when several).",
        "Shuffled training labels are the study's sanity check: they should fall to chance.",
        "",
        "| table | method | paper | study | this run |",
        "|---|---|---|---|---|",
    ]
    for _, row in frame.iterrows():
        lines.append(
            f"| {row['table']} | {row['description']} | {_percent(row['paper'], row['paper_what'])}"
            f" | {_percent(row['study'], row['study_what'])} | {_ours(row)} |"
        )
    lines.append("")
    for table, group in frame.groupby("table", sort=False):
        first = group.iloc[0]
        lines.append(
            f"- {table}: {first['n_test']} test rows, {first['n_classes']} classes; one row is "
            f"{100 / first['n_test']:.1f} %. Always the commonest test class: "
            f"{100 * first['chance']:.1f} %; guessing with the training class shares: "
            f"{100 * first['guess']:.1f} ± {100 * first['guess_std']:.1f} % (binomial), where "
            "a model that learnt nothing lands."
        )
    return "\n".join(lines) + "\n"
