"""Benchmark (not a test): the full study's data path at the real data's scale, on this machine.

Builds an 818,238-event file in the Open Data layout by resampling the bundled sample
(``bench/full_size_events.py``), then runs the real workflow on it with ``config/higgsml.yaml``'s
preprocessing, orderings, encodings and baselines: every image cache the study's experiments
need (each encoding x ordering x subset), every baseline scored and analysed, and one CNN
experiment - timm's tiny ``test_resnet`` on the 56 px caches, one epoch of batch 512 (391
steps) - so that training, prediction, scoring and the analyses see full-size inputs. Snakemake's
``benchmark:`` files give each job's wall time and peak RSS; the job's outputs give its bytes.

With ``--fraction 0.125`` the same runs on an eighth of every set: the per-rule ratio of the two
runs against the ratio of events shows what scales worse than linearly.

The resampled events repeat, so training and test share events: the rehearsal's AMS and AUC
mean nothing, and the output says so.

Usage::

    .venv/bin/python bench/rehearsal.py --workdir /tmp/rehearsal-full --cores 2
    .venv/bin/python bench/rehearsal.py --workdir /tmp/rehearsal-eighth --fraction 0.125
    .venv/bin/python bench/rehearsal.py --report bench/results/rehearsal.json \
        bench/results/rehearsal-8th.json
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from full_size_events import write_full_size_file

REPO = Path(__file__).resolve().parents[1]
NOTE = (
    "Resampled events repeat (each bundled event about 100 times), so training and test sets "
    "share events: the AMS and AUC of this rehearsal mean nothing. It measures time, memory "
    "and bytes."
)
CNN = "rehearsal_pixels56_tiny"


def rehearsal_config(data: Path, events: int, name: str) -> dict[str, Any]:
    config: dict[str, Any] = yaml.safe_load((REPO / "config/higgsml.yaml").read_text())
    config["dataset"] = {"name": name, "path": str(data), "url": None, "events": events}
    config["seeds"] = [0]
    config["models"]["tiny"] = {"architecture": "test_resnet", "pretrained": False}
    config["recipes"]["capped"] = {
        "kind": "single_stage",
        "epochs": 1,
        "batch_size": 512,
        "learning_rate": 0.002,
    }
    config["experiments"][CNN] = {
        "preprocessing": "datafix",
        "encoding": "pixels56",
        "model": "tiny",
        "recipe": "capped",
    }
    return config


def targets(config: dict[str, Any]) -> list[str]:
    """Every image cache of the study's experiments, and every run of the rehearsal scored,
    analysed and bootstrapped."""
    results = f"results/{config['dataset']['name']}"
    caches = sorted(
        {
            (e.get("preprocessing", "standard"), e["encoding"], e.get("ordering", "table"))
            for e in config["experiments"].values()
        }
    )
    files = [
        f"{results}/images/{p}/{e}/{o}/{subset}.h5"
        for p, e, o in caches
        for subset in ("train", "val", "public", "private")
    ]
    for run in [CNN, *config["baselines"]]:
        for kind in ("scores", "analyses", "intervals"):
            files.append(f"{results}/{kind}/{run}/seed_0.json")
    return files


def _outputs_by_log(workdir: Path, config_path: Path, files: list[str]) -> dict[str, list[str]]:
    """Output files of every job, keyed by its log file (``snakemake --summary``)."""
    summary = subprocess.run(
        [sys.executable, "-m", "snakemake", "--snakefile", str(REPO / "Snakefile"),
         "--directory", str(workdir), "--configfile", str(config_path), "--summary", *files],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    outputs: dict[str, list[str]] = defaultdict(list)
    rows = csv.reader(summary.splitlines()[1:], delimiter="\t")
    for row in rows:
        if len(row) >= 4 and row[3] and row[3] != "-":
            outputs[row[3].split(",")[0]].append(row[0])
    return outputs


def _bytes(workdir: Path, outputs: list[str]) -> int:
    total = 0
    for name in outputs:
        path = workdir / name
        if path.is_file():
            total += path.stat().st_size
        elif path.is_dir():
            total += sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
    return total


def _events_read(rule: str, job: str, counts: dict[str, int], total: int) -> int:
    """Events a job reads: its subset's, the training split's, the scored subsets' or all."""
    scored = counts["val"] + counts["public"] + counts["private"]
    if rule == "encode_images":
        return counts[job.rsplit("_", 1)[1]]
    if rule == "order_features":
        return counts["train"]
    if rule in {"train_model", "train_baseline"}:
        return counts["train"] + counts["val"] + (scored if rule == "train_baseline" else 0)
    if rule in {"split_events", "prepare_features", "download_events"}:
        return total
    return scored


def _number(value: str | None) -> float | None:
    return None if value in (None, "NA", "") else float(value)  # type: ignore[arg-type]


def collect(
    workdir: Path, config: dict[str, Any], config_path: Path, files: list[str]
) -> list[dict[str, Any]]:
    results = workdir / "results" / config["dataset"]["name"]
    splits = json.loads((results / "splits/summary.json").read_text())
    counts = {name: entry["events"] for name, entry in splits["splits"].items()}
    outputs = _outputs_by_log(workdir, config_path, files)
    rows = []
    for tsv in sorted((results / "benchmarks").rglob("*.tsv")):
        # benchmarks/<rule>/<the job's output sub-path>.tsv
        parts = tsv.relative_to(results / "benchmarks").with_suffix("").parts
        rule, job = parts[0], "_".join(parts[1:])
        with tsv.open() as handle:
            record = next(csv.DictReader(handle, delimiter="\t"))
        log = str(tsv.relative_to(workdir)).replace("/benchmarks/", "/logs/")[: -len(".tsv")]
        produced = outputs.get(f"{log}.log", [])
        rows.append(
            {
                "rule": rule,
                "job": job,
                "events": _events_read(rule, job, counts, config["dataset"]["events"]),
                "wall_s": float(record["s"]),
                "cpu_s": _number(record.get("cpu_time")),
                "max_rss_mb": _number(record["max_rss"]),
                "output_bytes": _bytes(workdir, produced),
            }
        )
    return rows


def _by_rule(record: dict[str, Any]) -> dict[str, dict[str, Any]]:
    rules: dict[str, dict[str, Any]] = {}
    for job in record["jobs"]:
        row = rules.setdefault(
            job["rule"], {"jobs": 0, "events": [], "wall": 0.0, "longest": 0.0, "rss": 0.0,
                          "bytes": 0},
        )  # fmt: skip
        row["jobs"] += 1
        row["events"].append(job["events"])
        row["wall"] += job["wall_s"]
        row["longest"] = max(row["longest"], job["wall_s"])
        row["rss"] = max(row["rss"], job["max_rss_mb"] or 0.0)
        row["bytes"] += job["output_bytes"]
    return rules


def report(full: dict[str, Any], small: dict[str, Any]) -> str:
    """Markdown tables of a full-size rehearsal, with the ratio to one at a fraction."""
    ratio = full["events"] / small["events"]
    rules, fewer = _by_rule(full), _by_rule(small)
    lines = [
        f"| rule | jobs | events per job | wall s (all jobs) | longest job s | peak RSS MB "
        f"| output MB | wall ratio to the 1/{round(ratio)} run |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for rule, row in sorted(rules.items(), key=lambda item: -item[1]["wall"]):
        low, high = min(row["events"]), max(row["events"])
        events = f"{low:,}" if low == high else f"{low:,} - {high:,}"
        lines.append(
            f"| {rule} | {row['jobs']} | {events} | {row['wall']:.1f} | {row['longest']:.1f} "
            f"| {row['rss']:,.0f} | {row['bytes'] / 1e6:,.1f} "
            f"| {row['wall'] / fewer[rule]['wall']:.1f} |"
        )
    caches: dict[str, list[float]] = {}
    for job in full["jobs"]:
        if job["rule"] == "encode_images":
            name = job["job"].rsplit("_", 1)[0]
            entry = caches.setdefault(name, [0, 0, 0.0])
            entry[0] += job["events"]
            entry[1] += job["output_bytes"]
            entry[2] += job["wall_s"]
    lines += [
        "",
        "| cache (preprocessing_encoding_ordering) | events | GB | bytes per event "
        "| encode s (4 jobs) |",
        "|---|---|---|---|---|",
    ]
    for name, (events, size, wall) in sorted(caches.items(), key=lambda item: -item[1][1]):
        lines.append(
            f"| {name} | {events:,.0f} | {size / 1e9:.3f} | {size / events:,.0f} | {wall:.1f} |"
        )
    total = sum(entry[1] for entry in caches.values())
    lines.append(f"| **all caches** | | **{total / 1e9:.2f}** | | |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--report",
        nargs=2,
        type=Path,
        metavar=("FULL_JSON", "FRACTION_JSON"),
        help="print the Markdown tables of two finished rehearsals and stop",
    )
    parser.add_argument("--workdir", type=Path)
    parser.add_argument("--fraction", type=float, default=1.0)
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--out", type=Path, default=REPO / "bench/results")
    args = parser.parse_args()
    if args.report:
        full, small = (json.loads(path.read_text()) for path in args.report)
        print(report(full, small))
        return
    if args.workdir is None:
        parser.error("--workdir is required to run a rehearsal")
    args.workdir.mkdir(parents=True, exist_ok=True)
    data = args.workdir / "atlas-higgs-resampled.csv.gz"
    start = time.monotonic()
    sizes = write_full_size_file(data, fraction=args.fraction)
    build_s = time.monotonic() - start
    events = sum(sizes.values())
    name = "rehearsal" if args.fraction == 1 else f"rehearsal-{round(1 / args.fraction)}th"
    config = rehearsal_config(data, events, name)
    config_path = args.workdir / "rehearsal.yaml"
    config_path.write_text(yaml.safe_dump(config, sort_keys=False))
    files = targets(config)
    command = [
        sys.executable, "-m", "snakemake", "--snakefile", str(REPO / "Snakefile"),
        "--directory", str(args.workdir), "--configfile", str(config_path),
        "--cores", str(args.cores), *files,
    ]  # fmt: skip
    start = time.monotonic()
    run = subprocess.run(command, capture_output=True, text=True, check=False)
    wall_s = time.monotonic() - start
    (args.workdir / "snakemake.stderr").write_text(run.stderr)
    if run.returncode != 0:
        print(run.stderr[-5000:], file=sys.stderr)
        raise SystemExit(f"the rehearsal failed ({run.returncode}); see {args.workdir}")
    rows = collect(args.workdir, config, config_path, files)
    record = {
        "note": NOTE,
        "machine": f"{platform.node()}, {os.cpu_count()} CPUs, {platform.platform()}",
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "command": " ".join(sys.argv),
        "fraction": args.fraction,
        "events": events,
        "sets": sizes,
        "file_bytes": data.stat().st_size,
        "build_file_s": round(build_s, 1),
        "workflow_wall_s": round(wall_s, 1),
        "jobs": rows,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    out = args.out / f"{name}.json"
    out.write_text(json.dumps(record, indent=1) + "\n")
    print(f"{NOTE}\nwrote {out}: {len(rows)} jobs, workflow {wall_s:.0f} s")


if __name__ == "__main__":
    main()
