"""Running the real workflow in a scratch directory."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "resources" / "higgsml-sample" / "atlas-higgs-challenge-2014-v2-sample.csv.gz"


def run_snakemake(
    workdir: Path,
    config: dict[str, Any] | Path,
    *args: str,
    check: bool = True,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run snakemake on the repository's Snakefile inside ``workdir`` with ``config`` (and
    ``env`` added to the environment)."""
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
    environment = {**os.environ, "PYTHONWARNINGS": "ignore", **(env or {})}
    result = subprocess.run(command, capture_output=True, text=True, env=environment, check=False)
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
