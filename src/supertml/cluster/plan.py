"""The GPU time a configured study needs, before anything runs.

For each CNN experiment of a config: the images its training pushes through the network (every
epoch of both stages, signal copies, the range test, a validation pass per epoch) and the
images its scoring reads (validation and test, test-time-augmented copies), divided by the
throughput measured for that network and image size on one H200
(:data:`supertml.cluster.requests.THROUGHPUT`). The full data set's split sizes are the
defaults (200,000 train, 50,000 validation, 550,000 test: REFERENCE.md section 2). The same
numbers, times a safety factor, are what the training and scoring jobs ask SLURM for.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from supertml.cluster.requests import (
    GPU_SAFETY_FACTOR,
    JOB_OVERHEAD_MINUTES,
    epoch_images,
    throughput,
)
from supertml.config import recipe_epochs

__all__ = [
    "FULL_DATA_EVENTS",
    "ExperimentPlan",
    "gpu_rules",
    "job_counts",
    "job_table_markdown",
    "local_rules",
    "plan_experiments",
    "plan_markdown",
]

#: Events per subset of the full Open Data file with the study's split (REFERENCE.md 2, 5).
FULL_DATA_EVENTS: Mapping[str, int] = {
    "train": 200_000,
    "val": 50_000,
    "public": 100_000,
    "private": 450_000,
}

#: Signal share of the training set by count, 85,667 of 250,000 (REFERENCE.md section 2).
SIGNAL_SHARE = 85_667 / 250_000


@dataclass(frozen=True)
class ExperimentPlan:
    """One experiment's GPU time per seed on one H200, and how its throughput was found."""

    experiment: str
    network: str
    size: int
    epochs: int
    train_rate: float
    basis: str
    train_hours: float
    predict_hours: float
    seeds: int

    @property
    def hours_per_seed(self) -> float:
        return self.train_hours + self.predict_hours

    @property
    def hours(self) -> float:
        return self.hours_per_seed * self.seeds

    @property
    def requested_hours(self) -> float:
        """The wall time a training plus a scoring job of one seed ask for, first attempt."""
        return GPU_SAFETY_FACTOR * self.hours_per_seed + 2 * JOB_OVERHEAD_MINUTES / 60


def plan_experiments(
    config: Mapping[str, Any], events: Mapping[str, int] = FULL_DATA_EVENTS
) -> list[ExperimentPlan]:
    """The plan of every experiment of a validated ``config`` on ``events`` per subset."""
    plans = []
    for name, experiment in config["experiments"].items():
        encoding = config["encodings"][experiment["encoding"]]
        model = config["models"][experiment["model"]]
        recipe = config["recipes"][experiment["recipe"]]
        epochs = recipe_epochs(recipe)
        rate, basis = throughput(model["architecture"], int(encoding["size"]))
        range_test = int(recipe["lr_find_steps"]) * int(recipe["batch_size"]) * recipe["lr_find"]
        per_epoch = epoch_images(
            events["train"], round(SIGNAL_SHARE * events["train"]), int(recipe["signal_copies"])
        )
        trained = epochs * per_epoch + range_test
        validated = epochs * events["val"]
        scored = (1 + int(recipe["tta"])) * (events["val"] + events["public"] + events["private"])
        plans.append(
            ExperimentPlan(
                experiment=name,
                network=model["architecture"],
                size=int(encoding["size"]),
                epochs=epochs,
                train_rate=rate.train,
                basis=basis,
                train_hours=(trained / rate.train + validated / rate.inference) / 3600,
                predict_hours=scored / rate.inference / 3600,
                seeds=len(config["seeds"]),
            )
        )
    return plans


def plan_markdown(plans: list[ExperimentPlan]) -> str:
    """The plan as a Markdown table, with the grid's total."""
    lines = [
        "| experiment | network @ px | epochs | training img/s (H200) | H200 h per seed | seeds "
        "| H200 h | requested h per seed |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for plan in plans:
        lines.append(
            f"| {plan.experiment} | {plan.network} @ {plan.size} | {plan.epochs} "
            f"| {plan.train_rate:,.0f} ({plan.basis}) "
            f"| {plan.hours_per_seed:.2f} | {plan.seeds} | {plan.hours:.2f} "
            f"| {plan.requested_hours:.1f} |"
        )
    total = sum(plan.hours for plan in plans)
    lines.append(f"| **all** | | | | | | **{total:.1f}** | |")
    return "\n".join(lines)


def job_counts(dry_run_output: str) -> dict[str, int]:
    """``{rule: jobs}`` from the "Job stats" table a ``snakemake -n`` prints (without ``all``)."""
    if "Job stats:" not in dry_run_output:
        raise ValueError("no 'Job stats:' table in the output (was it a dry run with jobs?)")
    table = dry_run_output.split("Job stats:")[1].split("total", maxsplit=1)[0]
    rows = re.finditer(r"^(\w+)\s+(\d+)\s*$", table, re.MULTILINE)
    return {m[1]: int(m[2]) for m in rows if m[1] != "all"}


def gpu_rules(dry_run_output: str) -> set[str]:
    """Rules whose jobs in a ``snakemake -n`` listing request a GPU (``gpu=`` resources)."""
    rules = set()
    for block in re.split(r"^(?:local)?rule ", dry_run_output, flags=re.MULTILINE)[1:]:
        name, _, body = block.partition(":")
        resources = re.search(r"^\s+resources: (.*)$", body, re.MULTILINE)
        if resources and re.search(r"\bgpu=[1-9]", resources[1]):
            rules.add(name.strip())
    return rules


def local_rules(rule_files: list[Path]) -> set[str]:
    """Rules a workflow declares ``localrules`` (they run where Snakemake runs)."""
    names: set[str] = set()
    for path in rule_files:
        for block in re.findall(
            r"^\s*localrules:\s*\n((?:\s+\w+,?\s*\n)+)", path.read_text(), re.M
        ):
            names.update(re.findall(r"\w+", block))
    return names


def job_table_markdown(
    counts: Mapping[str, int], *, gpu_rules: set[str], local_rules: set[str]
) -> str:
    """Jobs per rule as a Markdown table, most jobs first, with where each rule runs."""
    lines = ["| rule | jobs | runs on |", "|---|---|---|"]
    for rule, jobs in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
        where = "CPU node"
        if rule in gpu_rules:
            where = "GPU node"
        elif rule in local_rules:
            where = "head node"
        lines.append(f"| {rule} | {jobs} | {where} |")
    lines.append(f"| **all** | **{sum(counts.values())}** | |")
    return "\n".join(lines)


def study_plan_section(
    counts: Mapping[str, int],
    *,
    gpu: set[str],
    local: set[str],
    plans: list[ExperimentPlan],
) -> str:
    """The README's plan of a configured study: its jobs per rule, then its GPU hours."""
    return (
        job_table_markdown(counts, gpu_rules=gpu, local_rules=local)
        + "\n\nGPU time per experiment on one H200, from the measured training and scoring "
        "rates (training counted at the full rate in every epoch, so the frozen stage is "
        'over-estimated; "requested" is what its training and scoring jobs ask SLURM for, '
        f"{GPU_SAFETY_FACTOR:g} x the estimate plus {JOB_OVERHEAD_MINUTES} min each, for "
        "slower GPUs):\n\n" + plan_markdown(plans)
    )
