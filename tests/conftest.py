"""Suite-wide rules: in CI a skipped test is a failure unless it says why it may skip there."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """Under ``CI`` (set by .ci/run), turn a skip into a failure unless the test is marked
    ``skip_allowed`` with the reason that holds there (e.g. no GPU on CI's machine): a skip must
    never hide a test that stopped running."""
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    if report.skipped and os.environ.get("CI") and item.get_closest_marker("skip_allowed") is None:
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
        report.outcome = "failed"
        report.longrepr = f"skipped under CI without a skip_allowed marker: {reason}"
