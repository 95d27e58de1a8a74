"""Benchmark (not a test): applying trained runs to a Kaggle ``test.csv`` of the full size.

The file: the 550,000 test events (Kaggle sets ``b`` and ``v``) of ``full_size_events.py``'s
resampled file, written in Kaggle's ``test.csv`` layout (``EventId`` and the 30 features).
Then, in one process and in the workflow's order, each step of ``apply.smk`` on it with the
runs of a finished default run (``--results``, e.g. a ``make run`` directory's
``results/sample``): read, prepare, each baseline, the CNN on ``--cnn-events`` of the events
(the whole file if 0), score and submission. Prints seconds per step and the peak RSS.

Usage::

    .venv/bin/snakemake --cores 2            # the default run, for its trained runs
    .venv/bin/python bench/apply_full_size.py --results results/sample --work /tmp/apply550k
"""

from __future__ import annotations

import argparse
import json
import resource
import time
from pathlib import Path

import pandas as pd
from full_size_events import write_full_size_file  # beside this script (on sys.path)

from supertml.constants import FEATURES
from supertml.steps.apply import (
    apply_baseline,
    apply_model,
    prepare_applied_events,
    read_applied_events,
    score_applied,
    write_submission,
)


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=Path, required=True)
    parser.add_argument("--work", type=Path, required=True)
    parser.add_argument("--cnn", default="pixels56_resnet18")
    parser.add_argument("--baselines", nargs="*", default=["gbt", "gbt_tuned", "fc_net"])
    parser.add_argument("--cnn-events", type=int, default=0)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    work, results = args.work, args.results
    work.mkdir(parents=True, exist_ok=True)
    timings: dict[str, float] = {}

    def step(name: str, call) -> None:  # type: ignore[no-untyped-def]
        tick = time.perf_counter()
        call()
        timings[name] = time.perf_counter() - tick
        print(f"{name}: {timings[name]:.1f} s, peak RSS {_peak_mb():.0f} MB", flush=True)

    test = work / "test.csv.gz"
    if not test.exists():
        full = work / "full.csv.gz"
        write_full_size_file(full)
        events = pd.read_csv(full, dtype=str, keep_default_na=False)
        events = events[events["KaggleSet"].isin(["b", "v"])][["EventId", *FEATURES]]
        events.to_csv(test, index=False, compression="gzip")
        full.unlink()
    step("read_applied_events", lambda: read_applied_events(
        test, output=work / "events.parquet", summary_path=work / "events.json"))  # fmt: skip
    features = results / "prepared/standard/features.json"
    step("prepare_applied_events", lambda: prepare_applied_events(
        work / "events.parquet", features, scaled_output=work / "scaled.parquet",
        physical_output=work / "physical.parquet"))  # fmt: skip
    runs = list(args.baselines)
    for name in args.baselines:
        step(f"apply_baseline {name}", lambda name=name: apply_baseline(
            results / f"runs/{name}/seed_0/model.joblib", work / "scaled.parquet",
            output=work / f"{name}.parquet", threads=args.threads))  # fmt: skip
    if args.cnn:
        values = work / "scaled.parquet"
        if args.cnn_events:
            values = work / "scaled_part.parquet"
            pd.read_parquet(work / "scaled.parquet").iloc[: args.cnn_events].to_parquet(values)
        from supertml.config import load_config  # noqa: PLC0415

        config = load_config(Path("config/config.yaml"))
        spec = config["encodings"][config["experiments"][args.cnn]["encoding"]]
        step(f"apply_model {args.cnn}", lambda: apply_model(
            results / f"runs/{args.cnn}/seed_0/model.ckpt", values,
            ordering_path=results / "orderings/standard/table.json", features_path=features,
            encoding=spec, output=work / f"{args.cnn}.parquet", threads=args.threads))  # fmt: skip
        runs.append(args.cnn)
    for name in runs:
        scores = results / f"scores/{name}/seed_0.json"
        step(f"score_applied {name}", lambda name=name, scores=scores: score_applied(
            work / f"{name}.parquet", scores, identity={"experiment": name},
            application={"name": "bench", "events": str(test)},
            output=work / f"{name}_scores.json"))  # fmt: skip
        step(f"write_submission {name}", lambda name=name, scores=scores: write_submission(
            work / f"{name}.parquet", scores, output=work / f"{name}_submission.csv"))  # fmt: skip
    print(json.dumps({"timings_s": timings, "peak_rss_mb": _peak_mb()}, indent=2))


if __name__ == "__main__":
    main()
