"""The steps of data.smk on the bundled sample: splits, their summary, prepared features."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from supertml.constants import FEATURES, SUBSETS
from supertml.data.download import DownloadError
from supertml.steps.data import download_events, read_features
from tests.unit.steps.chain import run_data_and_images


@pytest.fixture(scope="module")
def chain(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return run_data_and_images(tmp_path_factory.mktemp("chain"))


def test_split_events_writes_every_subset_and_counts_them(chain: dict[str, Any]) -> None:
    summary = chain["summary"]
    assert summary["dataset"] == "steps"
    assert summary["source_format"] == "opendata"
    for subset in SUBSETS:
        frame = pd.read_parquet(chain["split"][subset])
        assert len(frame) == summary["splits"][subset]["events"] > 0
        assert set(frame["subset"]) == {subset}
    assert sum(s["events"] for s in summary["splits"].values()) == 8004


def test_prepare_features_scales_on_train_and_keeps_the_physical_values(
    chain: dict[str, Any],
) -> None:
    features = read_features(chain["features"])
    assert features == list(FEATURES)
    train = pd.read_parquet(chain["prepared"]["train"])
    defined = train["DER_mass_vis"]
    assert defined.mean() == pytest.approx(0.0, abs=1e-9)  # standard-scaled on train
    physical = pd.read_parquet(chain["physical"]["train"])
    assert physical["DER_mass_vis"].min() > 0  # GeV, unscaled
    assert physical["DER_mass_MMC"].isna().any()  # -999 becomes undefined (NaN)


def test_download_events_reports_an_unreachable_url_with_the_path(tmp_path: Path) -> None:
    target = tmp_path / "events.csv.gz"
    with pytest.raises(DownloadError, match=f"copy it to {target}"):
        download_events("http://127.0.0.1:9/events.csv.gz", target, events=10)
