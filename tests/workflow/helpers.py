"""Running the real workflow in a scratch directory."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "resources" / "higgsml-sample" / "atlas-higgs-challenge-2014-v2-sample.csv.gz"


def run_snakemake(
    workdir: Path, config: dict[str, Any] | Path, *args: str, check: bool = True
) -> subprocess.CompletedProcess[str]:
    """Run snakemake on the repository's Snakefile inside ``workdir`` with ``config``."""
    if isinstance(config, dict):
        config_path = workdir / "config.yaml"
        config_path.write_text(yaml.safe_dump(config))
    else:
        config_path = config
    command = [
        sys.executable, "-m", "snakemake",
        "--snakefile", str(REPO / "Snakefile"),
        "--directory", str(workdir),
        "--configfile", str(config_path),
        *args,
    ]  # fmt: skip
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    result = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    if check and result.returncode != 0:
        pytest.fail(f"snakemake failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return result


def tiny_config(dataset_path: Path = SAMPLE) -> dict[str, Any]:
    """The bundled real sample through every stage, with the smallest model and images."""
    return {
        "dataset": {"name": "tiny", "path": str(dataset_path)},
        "seeds": [0],
        "encodings": {"pixels12": {"kind": "pixels", "layout": "squares", "size": 12}},
        "models": {"tiny": {"architecture": "test_resnet", "pretrained": False}},
        "recipes": {"one_epoch": {"epochs": 1, "batch_size": 256, "learning_rate": 0.005}},
        "experiments": {
            "pixels12_tiny": {"encoding": "pixels12", "model": "tiny", "recipe": "one_epoch"}
        },
        "baselines": {"gbt": {"kind": "gradient_boosted_trees", "max_iter": 20}},
    }


def job_counts(output: str) -> dict[str, int]:
    """Parse the 'Job stats' table of a dry run into {rule: count}."""
    table = output.split("Job stats:")[1].split("total", maxsplit=1)[0]
    return {m[1]: int(m[2]) for m in re.finditer(r"^(\w+)\s+(\d+)\s*$", table, re.MULTILINE)}
