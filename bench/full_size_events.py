"""Benchmark input (not a test): an 818,238-event file in the CERN Open Data layout, made by
resampling the bundled 8,004 real events, for rehearsing the full study's data path.

Per Kaggle set as in the real file (REFERENCE.md section 2): 250,000 ``t``, 100,000 ``b``,
450,000 ``v``, 18,238 ``u`` events, each set 34.27 % signal by count (the real training set's
share), drawn with replacement from the sample's signal and background events; EventIds
unique (100000 upwards); ``KaggleWeight`` rescaled within each set and class to sum to
Ns = 691.988607712 and Nb = 410999.847322, ``Weight`` to the same totals over the whole file.
Feature values are copied as the sample's text, so the file parses exactly as the real one.

The events repeat (each sample event about 100 times): training and test sets share events,
so no AMS of a run on this file means anything. It measures time, memory and bytes only.

Usage::

    .venv/bin/python bench/full_size_events.py /tmp/atlas-higgs-full-size.csv.gz [--fraction 1]
"""

from __future__ import annotations

import argparse
import gzip
from pathlib import Path

import numpy as np
import pandas as pd

from supertml.constants import KAGGLE_SET_SIZES, NB_TOTAL, NS_TOTAL

__all__ = ["write_full_size_file"]

SAMPLE = (
    Path(__file__).resolve().parents[1]
    / "resources/higgsml-sample/atlas-higgs-challenge-2014-v2-sample.csv.gz"
)
SIGNAL_SHARE = 85_667 / 250_000  # the real training set's signal fraction by count


def write_full_size_file(path: Path, *, fraction: float = 1.0, seed: int = 0) -> dict[str, int]:
    """Write the resampled file (``fraction`` of every set's size) and return the set sizes."""
    sample = pd.read_csv(SAMPLE, dtype=str, keep_default_na=False)
    rng = np.random.default_rng(seed)
    by_label = {label: sample[sample["Label"] == label] for label in ("s", "b")}
    parts = []
    sizes = {name: round(size * fraction) for name, size in KAGGLE_SET_SIZES.items()}
    for kaggle_set, size in sizes.items():
        n_signal = round(size * SIGNAL_SHARE)
        for label, count, total in (("s", n_signal, NS_TOTAL), ("b", size - n_signal, NB_TOTAL)):
            source = by_label[label]
            drawn = source.iloc[rng.integers(0, len(source), size=count)].copy()
            weight = drawn["KaggleWeight"].astype(float).to_numpy()
            kaggle_weight = weight * total / weight.sum()
            drawn["KaggleSet"] = kaggle_set
            drawn["KaggleWeight"] = [f"{w:.12g}" for w in kaggle_weight]
            # Weight: normalised over the whole file (each set's share of its events).
            share = size / sum(sizes.values())
            drawn["Weight"] = [f"{w:.12g}" for w in kaggle_weight * share]
            parts.append(drawn)
    events = pd.concat(parts, ignore_index=True)
    events = events.iloc[rng.permutation(len(events))].reset_index(drop=True)
    events["EventId"] = [str(100000 + i) for i in range(len(events))]
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with gzip.open(tmp, "wt", compresslevel=6, newline="") as handle:
        events.to_csv(handle, index=False)
    tmp.replace(path)
    return sizes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("path", type=Path)
    parser.add_argument("--fraction", type=float, default=1.0, help="of every set's size")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    sizes = write_full_size_file(args.path, fraction=args.fraction, seed=args.seed)
    print(f"wrote {args.path}: {sum(sizes.values()):,} events {sizes}")


if __name__ == "__main__":
    main()
