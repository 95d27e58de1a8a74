"""One function per workflow rule of the small tables (workflow/rules/tables.smk).

The paper's small data sets (REFERENCE.md section 5, "Small data sets") go through the same
encode / train path as the HiggsML events: the table is loaded and split once
(:func:`split_table`), its rows are written as text images into the project's image caches
(:func:`encode_table_images`), a CNN is trained per seed on the true and on shuffled labels
(:func:`shuffle_table_labels`, :func:`train_table_model`), tree baselines are fitted on the
same split (:func:`fit_table_baselines`), and everything lands in one comparison with the
paper's and the study's numbers (:func:`summarise_tables`).

Decisions, each a physicist may want to know:

* **The test rows are the caches' ``val`` subset.** The image cache and the trainer know the
  subsets train / val / public / private; a table has train and test. Training evaluates the
  ``val`` cache after every epoch (loss and error rate in ``metrics.csv``) but keeps the
  **last** epoch (the config refuses any other ``monitor`` for a table), so nothing is chosen
  on the test rows: they are only watched.
* **Shuffled-label control**: the training labels permuted with ``numpy.random.default_rng
  (seed)``, exactly as the tree baselines' control
  (:func:`supertml.tables.baselines.fit_baseline`); test labels never change.
* **Missing values** print as ``nan`` in text images unless the encoding sets
  ``undefined_text`` (see :mod:`supertml.tables.values`).
* Every weight is 1: accuracy counts rows.

Torch, Lightning and timm are imported inside the training function only, matplotlib inside
the encoding function: the other jobs would otherwise pay seconds of imports each.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Final, cast

import numpy as np
import pandas as pd

from supertml.encoding import read_image_cache, write_image_cache
from supertml.encoding.registry import make_encoder
from supertml.errors import DataValidationError
from supertml.io import atomic_path, write_json, write_table
from supertml.tables.baselines import (
    BASELINE_MODELS,
    BaselineModel,
    accuracy,
    chance_level,
    run_baselines,
)
from supertml.tables.loading import TabularSplits, load_table
from supertml.tables.spec import TableSpec
from supertml.tables.summary import comparison_frame, comparison_markdown
from supertml.tables.values import MISSING_TEXT, scaled_values, text_values

__all__ = [
    "ID_COLUMN",
    "LABEL_COLUMN",
    "TABLE_VARIANTS",
    "encode_table_images",
    "fit_table_baselines",
    "read_table_splits",
    "shuffle_table_labels",
    "split_table",
    "summarise_tables",
    "table_encoding",
    "train_table_model",
]

#: Columns the split files add to the features: the class code and the row's id.
LABEL_COLUMN: Final[str] = "label"
ID_COLUMN: Final[str] = "row_id"

#: The CNN runs of a table: on the true labels, and the shuffled-label control.
TABLE_VARIANTS: Final[Mapping[str, bool]] = {"cnn": False, "cnn_shuffled": True}

# Which of the table's rows each cache subset holds (written into the cache's attributes).
_ROWS: Final[Mapping[str, str]] = {"train": "train", "val": "test"}


def split_table(
    spec: Mapping[str, Any],
    *,
    name: str,
    train_output: str | Path,
    test_output: str | Path,
    summary_output: str | Path,
) -> None:
    """Load the table a config entry describes and write its coded train and test splits.

    The Parquet files hold the feature columns (float64, NaN = missing, categorical columns as
    codes) plus ``label`` (class code) and ``row_id`` (line in the file, or row index of the
    scikit-learn data set); the JSON summary holds the class names, categories and counts.
    """
    splits = load_table(TableSpec.from_mapping(spec, name=name))
    clash = sorted({LABEL_COLUMN, ID_COLUMN} & set(splits.features))
    if clash:
        raise DataValidationError(
            Path(str(spec.get("path", name))),
            f"feature columns {clash} clash with the columns the workflow adds; rename them "
            "with the spec's `columns`",
        )
    for frame, labels, ids, output in (
        (splits.train, splits.train_labels, splits.train_ids, train_output),
        (splits.test, splits.test_labels, splits.test_ids, test_output),
    ):
        write_table(output, frame.assign(**{LABEL_COLUMN: labels, ID_COLUMN: ids}))
    summary = {
        **splits.summary(),
        "source": spec.get("source"),
        "category_names": {column: list(cats) for column, cats in splits.categories.items()},
    }
    write_json(summary_output, summary)


def read_table_splits(
    train_path: str | Path, test_path: str | Path, summary_path: str | Path
) -> TabularSplits:
    """The :class:`TabularSplits` that :func:`split_table` wrote."""
    summary = json.loads(Path(summary_path).read_text())
    features = list(summary["features"])
    frames = [pd.read_parquet(path) for path in (train_path, test_path)]
    for path, frame in zip((train_path, test_path), frames, strict=True):
        absent = sorted(set(features) - set(frame.columns))
        if absent:
            raise DataValidationError(Path(path), f"lacks feature columns {absent}")
    train, test = frames
    return TabularSplits(
        name=str(summary["table"]),
        train=train[features].astype(np.float64),
        test=test[features].astype(np.float64),
        train_labels=train[LABEL_COLUMN].to_numpy(np.int64),
        test_labels=test[LABEL_COLUMN].to_numpy(np.int64),
        classes=tuple(str(c) for c in summary["classes"]),
        categories={k: tuple(v) for k, v in summary["category_names"].items()},
        train_ids=train[ID_COLUMN].to_numpy(np.int64),
        test_ids=test[ID_COLUMN].to_numpy(np.int64),
    )


def table_encoding(encoding: Mapping[str, Any]) -> dict[str, Any]:
    """The encoding entry as a table uses it: text prints missing values ``nan`` unless the
    entry sets ``undefined_text`` (zero would read as a real 0)."""
    resolved = dict(encoding)
    if resolved["kind"] == "text" and resolved.get("undefined_text") is None:
        resolved["undefined_text"] = MISSING_TEXT
    return resolved


def encode_table_images(
    train_path: str | Path,
    test_path: str | Path,
    summary_path: str | Path,
    encoding: Mapping[str, Any],
    *,
    train_output: str | Path,
    val_output: str | Path,
    examples_output: str | Path,
    provenance: Mapping[str, str | int | float],
) -> None:
    """Encode the training rows (subset ``train``) and the test rows (subset ``val``, see the
    module docstring) as images, in the table's column order, and draw examples of each class.

    Text encodings print the table's own values (1 decimal in the study); pixel encodings
    draw values standard-scaled with statistics of the training rows.
    """
    splits = read_table_splits(train_path, test_path, summary_path)
    resolved = table_encoding(encoding)
    encoder = make_encoder(resolved, splits.features)
    if encoder.reads == "scaled":
        _, train_values, test_values = scaled_values(splits)
    else:
        train_values, test_values = text_values(splits.train), text_values(splits.test)
    test_images = encoder.encode(test_values)
    parts = {
        "train": (encoder.encode(train_values), splits.train_labels, splits.train_ids),
        "val": (test_images, splits.test_labels, splits.test_ids),
    }
    outputs = {"train": train_output, "val": val_output}
    for subset, (images, labels, ids) in parts.items():
        write_image_cache(
            outputs[subset],
            images=images,
            label=labels,
            weight=np.ones(len(labels)),
            event_id=ids,
            subset=np.full(len(labels), subset),
            encoding=resolved,
            feature_order=splits.features,
            extra_attrs={**provenance, "values": encoder.reads, "table_rows": _ROWS[subset]},
            num_classes=splits.n_classes,
        )
    # Imported here: matplotlib is for this step alone among the table steps.
    from supertml.tables.figures import plot_class_examples  # noqa: PLC0415

    plot_class_examples(
        test_images,
        splits.test_labels,
        splits.classes,
        examples_output,
        title=f"{splits.name}: test rows as the network sees them",
    )


def shuffle_table_labels(train_cache: str | Path, *, seed: int, output: str | Path) -> None:
    """Copy a training cache with its labels permuted by ``numpy.random.default_rng(seed)``:
    the images stay, the link between image and class is broken, the class shares are kept."""
    cache = read_image_cache(train_cache)
    assert cache.images is not None  # read with images
    reserved = {
        "format_version", "encoding", "feature_order", "supertml_version", "h5py_version",
        "numpy_version", "created_utc", "num_classes", "complete",
    }  # fmt: skip
    # The encode step's provenance travels on; the writer sets the reserved ones itself (and
    # refuses them as extras, so a new reserved attribute fails loudly here, never silently).
    kept = {k: v for k, v in cache.attrs.items() if k not in reserved}
    write_image_cache(
        output,
        images=cache.images,
        label=np.random.default_rng(seed).permutation(cache.label),
        weight=cache.weight,
        event_id=cache.event_id,
        subset=cache.subset,
        encoding=cache.encoding,
        feature_order=cache.feature_order,
        extra_attrs={**kept, "shuffled_labels_seed": seed, "shuffled_from": str(train_cache)},
        num_classes=cache.num_classes,
    )


def train_table_model(
    model: Mapping[str, Any],
    recipe: Mapping[str, Any],
    *,
    table: str,
    variant: str,
    seed: int,
    summary_path: str | Path,
    train_cache: str | Path,
    val_cache: str | Path,
    out_dir: str | Path,
    predictions_output: str | Path,
    accuracy_output: str | Path,
    threads: int = 1,
) -> float:
    """Train a CNN on a table's training images, score its test rows, return the accuracy.

    ``variant`` is ``cnn`` or ``cnn_shuffled`` (``train_cache`` is then the shuffled copy);
    ``model`` and ``recipe`` are resolved config entries. Writes into ``out_dir`` what
    :func:`supertml.training.train_classifier` writes, then the test rows' class
    probabilities (``predictions_output``) and the accuracy record (``accuracy_output``).
    """
    # Lazy: torch, Lightning and timm cost seconds to import (module docstring).
    from supertml.training import TrainSettings, train_classifier  # noqa: PLC0415
    from supertml.training.classify import predict_classes  # noqa: PLC0415

    if variant not in TABLE_VARIANTS:
        raise ValueError(f"unknown variant {variant!r}; known: {list(TABLE_VARIANTS)}")
    if recipe.get("monitor", "last") != "last":
        raise ValueError(
            f"table {table!r}: the recipe's monitor must be 'last', not {recipe['monitor']!r}: "
            "the table's test rows are the validation subset, so choosing an epoch on them "
            "would tune on the test set"
        )
    summary = json.loads(Path(summary_path).read_text())
    classes = [str(c) for c in summary["classes"]]
    settings = TrainSettings(
        **dict(model),
        **{key: value for key, value in recipe.items() if key != "kind"},
        num_classes=len(classes),
        seed=seed,
    )
    checkpoint = train_classifier(
        settings, train_cache=train_cache, val_cache=val_cache, out_dir=out_dir, threads=threads
    )
    predictions = predict_classes(checkpoint, val_cache, threads=threads)
    write_table(
        predictions_output,
        predictions.to_frame(classes).rename(columns={"event_id": ID_COLUMN}),
    )
    score = accuracy(predictions.label, predictions.predicted)
    write_json(
        accuracy_output,
        {
            "table": table,
            "model": "cnn",
            "shuffled_labels": TABLE_VARIANTS[variant],
            "seed": seed,
            "accuracy": score,
            "chance": chance_level(predictions.label),
            "n_train": int(summary["n_train"]),
            "n_test": len(predictions.label),
            "n_classes": len(classes),
            "architecture": settings.architecture,
            "epochs": settings.total_epochs,
        },
    )
    return score


def fit_table_baselines(
    train_path: str | Path,
    test_path: str | Path,
    summary_path: str | Path,
    *,
    models: Sequence[str] = BASELINE_MODELS,
    seeds: Sequence[int],
    output: str | Path,
    threads: int = 1,
) -> None:
    """Fit each tree baseline on true and shuffled labels, once per seed; write the records."""
    unknown = sorted(set(models) - set(BASELINE_MODELS))
    if unknown:
        raise ValueError(f"unknown baseline models {unknown}; known: {list(BASELINE_MODELS)}")
    splits = read_table_splits(train_path, test_path, summary_path)
    chosen = cast(Sequence[BaselineModel], tuple(models))
    results = [
        result.to_dict()
        for seed in seeds
        for result in run_baselines(splits, chosen, seed=seed, threads=threads)
    ]
    write_json(output, {"table": splits.name, "results": results})


def summarise_tables(
    references: Mapping[str, str | None],
    *,
    summaries: Mapping[str, str | Path],
    accuracies: Sequence[str | Path],
    baselines: Sequence[str | Path],
    csv_output: str | Path,
    markdown_output: str | Path,
) -> pd.DataFrame:
    """The paper vs study vs this run comparison of every table, as CSV and Markdown.

    ``references``: per table the name of its published numbers (``iris``, ``wine``,
    ``adult`` or None); ``summaries``: per table its split summary; ``accuracies``: the CNN
    runs' accuracy records; ``baselines``: the tables' baseline files.
    """
    records: list[dict[str, Any]] = [json.loads(Path(p).read_text()) for p in accuracies]
    for path in baselines:
        records.extend(json.loads(Path(path).read_text())["results"])
    facts = {table: json.loads(Path(path).read_text()) for table, path in summaries.items()}
    frame = comparison_frame(records, facts, references)
    write_table(csv_output, frame)
    with atomic_path(markdown_output) as tmp:
        tmp.write_text(comparison_markdown(frame))
    return frame
