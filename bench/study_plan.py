"""The full study's plan (not a benchmark, a calculation): jobs per rule from a dry run of
``config/higgsml.yaml`` and GPU hours per experiment from the throughputs measured on an H200
(``supertml.cluster.requests.THROUGHPUT``, bench/RESULTS.md), and the study's conditions
beside the config's (``supertml.conditions``). ``--write-readme`` puts them into README.md
between its ``study-plan`` and ``study-conditions`` markers;
``tests/workflow/test_study_plan.py`` checks the README holds exactly what this prints.

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
from supertml.conditions import conditions_markdown
from supertml.config import load_config

REPO = Path(__file__).resolve().parents[1]
CONFIG = REPO / "config/higgsml.yaml"
MARKERS = ("<!-- study-plan:start", "<!-- study-plan:end -->")
CONDITION_MARKERS = ("<!-- study-conditions:start", "<!-- study-conditions:end -->")


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


def study_conditions(config: Path = CONFIG) -> str:
    """Each study row's notebook beside the experiment of ``config`` that reproduces it."""
    return conditions_markdown(load_config(config))


def _block(readme: str, markers: tuple[str, str] = MARKERS) -> re.Match[str]:
    match = re.search(
        re.escape(markers[0]) + r"[^\n]*\n(.*?)" + re.escape(markers[1]), readme, re.S
    )
    if match is None:
        raise ValueError(f"README.md has no {markers[0]} ... {markers[1]} markers")
    return match


def readme_block(readme: str, markers: tuple[str, str] = MARKERS) -> str:
    """What README.md holds between a pair of markers (without the last newline)."""
    return _block(readme, markers)[1].removesuffix("\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--write-readme", action="store_true")
    args = parser.parse_args()
    sections = ((MARKERS, study_plan()), (CONDITION_MARKERS, study_conditions()))
    if not args.write_readme:
        print("\n\n".join(text for _, text in sections))
        return
    readme = REPO / "README.md"
    text = readme.read_text()
    for markers, section in sections:
        start, end = _block(text, markers).span(1)
        text = text[:start] + section + "\n" + text[end:]
    readme.write_text(text)
    print(f"wrote the study plan and conditions into {readme}")


if __name__ == "__main__":
    main()
