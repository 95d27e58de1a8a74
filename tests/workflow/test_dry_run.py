"""`snakemake -n` over every shipped config, and what an edit to one entry reruns."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from supertml.cluster.plan import job_counts
from tests.workflow.helpers import REPO, run_snakemake, tiny_config

pytestmark = pytest.mark.workflow


@pytest.mark.parametrize("name", sorted(p.name for p in (REPO / "config").glob("*.yaml")))
def test_dry_run_of_shipped_config_is_clean(name: str, tmp_path: Path) -> None:
    # Shipped configs name files under resources/, relative to the working directory.
    (tmp_path / "resources").symlink_to(REPO / "resources")
    result = run_snakemake(tmp_path, REPO / "config" / name, "-n")
    counts = job_counts(result.stdout)
    assert counts["summarise_scores"] == 1
    assert counts["score_predictions"] >= 2


def test_default_config_is_used_without_configfile(tmp_path: Path) -> None:
    shutil.copytree(REPO / "config", tmp_path / "config")
    (tmp_path / "resources").symlink_to(REPO / "resources")
    result = subprocess.run(
        [sys.executable, "-m", "snakemake", "--snakefile", str(REPO / "Snakefile"),
         "--directory", str(tmp_path), "-n"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "results/sample/summary.md" in result.stdout


def test_configfile_replaces_default_config_instead_of_merging(tmp_path: Path) -> None:
    shutil.copytree(REPO / "config", tmp_path / "config")
    result = run_snakemake(tmp_path, tiny_config(), "-n")
    assert "pixels56_resnet18" not in result.stdout  # an experiment of config/config.yaml
    assert "pixels12_tiny" in result.stdout


def test_unknown_config_key_fails_naming_it(tmp_path: Path) -> None:
    config = tiny_config()
    config["recipes"]["one_epoch"]["epohcs"] = 3
    result = run_snakemake(tmp_path, config, "-n", check=False)
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert "recipes.one_epoch" in output
    assert "'epohcs' was unexpected" in output
