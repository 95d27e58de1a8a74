"""`snakemake --lint` finds nothing but the one finding the README explains."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from tests.workflow.helpers import REPO

pytestmark = pytest.mark.workflow

# The workflow runs in the project's own environment (the installed supertml package), which
# per-rule conda environments cannot provide; README "Development" says so.
EXPLAINED = "Specify a conda environment or container for each rule."


def test_lint_has_only_the_explained_finding() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "snakemake", "--lint"],
        cwd=REPO, capture_output=True, text=True, check=False,
    )  # fmt: skip
    output = result.stdout + result.stderr
    findings = re.findall(r"^\s+\* (.+?):?$", output, re.MULTILINE)
    assert findings, output  # the parse still sees the lint output
    assert {finding.rstrip(":") for finding in findings} == {EXPLAINED}
    assert "Lints for snakefile" not in output
