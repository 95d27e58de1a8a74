"""The full study's plan (not a benchmark, a calculation): jobs per rule from a dry run of
``config/higgsml.yaml`` and GPU hours per experiment from the throughputs measured on an H200
(``supertml.cluster.requests.THROUGHPUT``, bench/RESULTS.md). ``--write-readme`` puts it into
README.md between its ``study-plan`` markers; ``tests/workflow/test_study_plan.py`` checks the
README holds exactly what this prints.

Usage::

    .venv/bin/python bench/study_plan.py [--write-readme]
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
from pathlib import Path

from supertml.cluster.plan import (
    gpu_rules,
    job_counts,
    local_rules,
    plan_experiments,
    study_plan_section,
)
from supertml.config import load_config

REPO = Path(__file__).resolve().parents[1]
CONFIG = REPO / "config/higgsml.yaml"
MARKERS = ("<!-- study-plan:start", "<!-- study-plan:end -->")


def dry_run(config: Path = CONFIG) -> str:
    """``snakemake -n`` of ``config`` in an empty directory (shipped files under resources/)."""
    with tempfile.TemporaryDirectory() as workdir:
        (Path(workdir) / "resources").symlink_to(REPO / "resources")
        result = subprocess.run(
            [sys.executable, "-m", "snakemake", "--snakefile", str(REPO / "Snakefile"),
             "--directory", workdir, "--configfile", str(config), "-n"],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
    return result.stdout


def study_plan(config: Path = CONFIG) -> str:
    output = dry_run(config)
    return study_plan_section(
        job_counts(output),
        gpu=gpu_rules(output),
        local=local_rules(sorted((REPO / "workflow/rules").glob("*.smk"))),
        plans=plan_experiments(load_config(config)),
    )


def _block(readme: str) -> re.Match[str]:
    match = re.search(
        re.escape(MARKERS[0]) + r"[^\n]*\n(.*?)" + re.escape(MARKERS[1]), readme, re.S
    )
    if match is None:
        raise ValueError("README.md has no study-plan markers")
    return match


def readme_block(readme: str) -> str:
    """What README.md holds between its study-plan markers (without the last newline)."""
    return _block(readme)[1].removesuffix("\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--write-readme", action="store_true")
    args = parser.parse_args()
    plan = study_plan()
    if not args.write_readme:
        print(plan)
        return
    readme = REPO / "README.md"
    text = readme.read_text()
    start, end = _block(text).span(1)
    readme.write_text(text[:start] + plan + "\n" + text[end:])
    print(f"wrote the study plan into {readme}")


if __name__ == "__main__":
    main()
