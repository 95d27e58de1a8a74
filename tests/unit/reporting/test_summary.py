"""The summary table is built from score files, in a fixed column order."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from supertml.reporting import SUMMARY_COLUMNS, collect_scores, write_summary


def score_record(
    experiment: str, kind: str, seed: int, public: float, b_reg: float = 10.0
) -> dict[str, object]:
    record: dict[str, object] = dict.fromkeys(SUMMARY_COLUMNS, 0.5)
    record.update(
        experiment=experiment,
        kind=kind,
        seed=seed,
        encoding="pixels56/table",
        model="resnet18",
        recipe="quick",
        public_ams=public,
        n_val=10,
        n_public=5,
        n_private=7,
        b_reg=b_reg,  # every score file records its scoring settings
    )
    record["extra"] = "ignored"
    return record


def write_scores(tmp_path: Path, b_reg: float = 10.0) -> list[Path]:
    records = [
        score_record("cnn_a", "cnn", 1, 2.0, b_reg),
        score_record("gbt", "gradient_boosted_trees", 0, 3.0, b_reg),
        score_record("cnn_a", "cnn", 0, 1.0, b_reg),
    ]
    paths = []
    for i, record in enumerate(records):
        path = tmp_path / f"score_{i}.json"
        path.write_text(json.dumps(record))
        paths.append(path)
    return paths


def test_rows_sorted_and_columns_fixed(tmp_path: Path) -> None:
    frame = collect_scores(write_scores(tmp_path))
    assert list(frame.columns) == list(SUMMARY_COLUMNS)
    assert list(zip(frame["experiment"], frame["seed"], strict=True)) == [
        ("cnn_a", 0),
        ("cnn_a", 1),
        ("gbt", 0),
    ]
    assert frame["public_ams"].tolist() == [1.0, 2.0, 3.0]


def test_missing_column_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text(json.dumps({"experiment": "x"}))
    with pytest.raises(ValueError, match=r"broken\.json: score file lacks kind"):
        collect_scores([path])


def test_written_files_agree(tmp_path: Path) -> None:
    split_summary = {
        "dataset": "sample",
        "source": "events.csv.gz",
        "weight_scheme": "per_class",
        "splits": {name: {"events": n} for name, n in [("val", 1), ("private", 2), ("train", 3)]},
    }
    write_summary(
        write_scores(tmp_path),
        split_summary,
        csv_path=tmp_path / "summary.csv",
        markdown_path=tmp_path / "summary.md",
    )
    csv = pd.read_csv(tmp_path / "summary.csv")
    assert csv["public_ams"].tolist() == [1.0, 2.0, 3.0]
    markdown = (tmp_path / "summary.md").read_text()
    assert "pseudo test set" in markdown
    assert "Events per subset: train 3, val 1, private 2." in markdown
    table_rows = [line for line in markdown.splitlines() if line.startswith("| cnn_a")]
    assert len(table_rows) == 2
    assert "| 2.000 |" in table_rows[1]


def test_the_page_states_the_b_reg_the_runs_were_scored_with(tmp_path: Path) -> None:
    split_summary = {"dataset": "x", "source": "x.csv", "weight_scheme": "kaggle", "splits": {}}
    write_summary(
        write_scores(tmp_path, b_reg=5.0),
        split_summary,
        csv_path=tmp_path / "summary.csv",
        markdown_path=tmp_path / "summary.md",
    )
    markdown = (tmp_path / "summary.md").read_text()
    assert "AMS with b_r = 5 (REFERENCE.md section 3)" in markdown
    assert "b_r = 10" not in markdown
