"""Report figures: each writes a PNG; the AMS curve agrees with brute force and max_ams."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from supertml.errors import DataValidationError
from supertml.metrics import ams, max_ams, predictions_frame
from supertml.reporting.figures import (
    ams_curve,
    plot_ams_vs_cut,
    plot_fold_distributions,
    plot_score_distributions,
    plot_training_curves,
)

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def assert_png(path: Path) -> None:
    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE
    assert len(data) > 1000
    # Atomic write: no temporary file left beside the result.
    assert [p.name for p in path.parent.iterdir() if p.name.startswith(".")] == []


def predictions(seed: int = 0, n: int = 400) -> pd.DataFrame:
    """A prediction table with a separating score and challenge-like weights."""
    rng = np.random.default_rng(seed)
    parts = []
    for i, subset in enumerate(("val", "public", "private")):
        label = (rng.random(n) < 0.35).astype(np.int64)
        score = np.clip(rng.normal(0.35 + 0.3 * label, 0.15), 0.0, 1.0).round(3)
        weight = np.where(label == 1, 0.01, 5.0) * rng.uniform(0.5, 1.5, n)
        parts.append(
            predictions_frame(subset, event_id=np.arange(n) + i * n, label=label,
                              weight=weight, score=score)
        )  # fmt: skip
    return pd.concat(parts, ignore_index=True)


def test_ams_curve_matches_brute_force_and_max_ams() -> None:
    frame = predictions()
    val = frame[frame["subset"] == "val"]
    cuts, values = ams_curve(val, 10.0)
    assert np.all(np.diff(cuts) < 0)
    assert np.array_equal(np.sort(np.unique(val["score"]))[::-1], cuts)
    score = val["score"].to_numpy()
    signal = val["label"].to_numpy() == 1
    weight = val["weight"].to_numpy()
    for cut, value in zip(cuts.tolist(), values.tolist(), strict=True):
        selected = score >= cut
        expected = ams(float(weight[selected & signal].sum()),
                       float(weight[selected & ~signal].sum()), 10.0)  # fmt: skip
        assert value == pytest.approx(expected, rel=1e-12)
    best, best_cut = max_ams(score, val["label"].to_numpy(), weight, b_reg=10.0)
    assert values.max() == pytest.approx(best, rel=1e-12)
    assert cuts[int(np.argmax(values))] == best_cut


def test_ams_curve_b_reg_changes_values() -> None:
    val = predictions().query("subset == 'val'")
    assert not np.allclose(ams_curve(val, 10.0)[1], ams_curve(val, 0.0)[1])


def test_ams_curve_refuses_mixed_subsets() -> None:
    with pytest.raises(ValueError, match=r"one subset.*'private', 'public', 'val'"):
        ams_curve(predictions())


def test_score_distributions_png(tmp_path: Path) -> None:
    out = tmp_path / "figs" / "scores.png"
    plot_score_distributions(predictions(), out, cut=0.55, title="scores")
    assert_png(out)
    plot_score_distributions(predictions(), tmp_path / "p.png", title="t", subset="private")
    assert_png(tmp_path / "p.png")


def test_score_distributions_errors_name_source(tmp_path: Path) -> None:
    frame = predictions()
    with pytest.raises(DataValidationError, match=r"preds\.parquet.*no rows for subset 'test'"):
        plot_score_distributions(frame, tmp_path / "x.png", title="t", subset="test",
                                 source="preds.parquet")  # fmt: skip
    one_class = frame[(frame["label"] == 0) | (frame["subset"] != "val")]
    with pytest.raises(DataValidationError, match="only one class"):
        plot_score_distributions(one_class, tmp_path / "x.png", title="t")
    with pytest.raises(DataValidationError, match="missing column"):
        plot_score_distributions(frame.drop(columns="weight"), tmp_path / "x.png", title="t")
    assert not (tmp_path / "x.png").exists()


def test_ams_vs_cut_png(tmp_path: Path) -> None:
    out = tmp_path / "ams.png"
    plot_ams_vs_cut(predictions(), out, cut=0.6, b_reg=10, title="AMS vs cut")
    assert_png(out)


def fold_record(rng: np.random.Generator, centre: float) -> dict[str, dict[str, list[float]]]:
    return {
        analysis: {sub: (centre + shift + 0.2 * rng.standard_normal(10)).tolist()
                   for sub in ("public", "private")}
        for analysis, shift in (("test_size", 0.0), ("test_optimisation", 0.5))
    }  # fmt: skip


def test_fold_distributions_png(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    analyses = {"cnn_pixels56": fold_record(rng, 3.4), "gbt": fold_record(rng, 3.7)}
    out = tmp_path / "folds.png"
    plot_fold_distributions(analyses, out, title="folds")
    assert_png(out)


def test_fold_distributions_rejects_bad_records(tmp_path: Path) -> None:
    rng = np.random.default_rng(2)
    record = fold_record(rng, 3.0)
    del record["test_optimisation"]["private"]
    with pytest.raises(ValueError, match=r"'exp', test_optimisation: subset 'private' missing"):
        plot_fold_distributions({"exp": record}, tmp_path / "f.png", title="t")
    record = fold_record(rng, 3.0)
    record["test_size"]["public"] = [3.0, math.nan]
    with pytest.raises(ValueError, match="finite AMS"):
        plot_fold_distributions({"exp": record}, tmp_path / "f.png", title="t")
    with pytest.raises(ValueError, match="analyses is empty"):
        plot_fold_distributions({}, tmp_path / "f.png", title="t")


def write_metrics(path: Path, *, stage: bool) -> Path:
    epochs = 6
    frame = pd.DataFrame(
        {
            "epoch": [0, 1, 2, 0, 1, 2] if stage else list(range(epochs)),
            "train_loss": np.linspace(0.7, 0.4, epochs),
            "val_loss": np.linspace(0.68, 0.45, epochs),
            "val_error": np.linspace(0.4, 0.2, epochs),
            "val_auc": np.linspace(0.6, 0.85, epochs),
            "val_ams_max": np.linspace(1.0, 2.5, epochs),
            "lr": 1e-3,
        }
    )
    if stage:
        frame["stage"] = ["frozen"] * 3 + ["unfrozen"] * 3
    frame.to_csv(path, index=False)
    return path


def test_training_curves_png(tmp_path: Path) -> None:
    runs = {
        "exp/seed_0": write_metrics(tmp_path / "a.csv", stage=False),
        "exp/seed_1": write_metrics(tmp_path / "b.csv", stage=True),
    }
    out = tmp_path / "out" / "curves.png"
    plot_training_curves(runs, out, title="training")
    assert_png(out)


def test_training_curves_errors_name_file(tmp_path: Path) -> None:
    bad = tmp_path / "metrics.csv"
    pd.DataFrame({"epoch": [0], "train_loss": [0.5]}).to_csv(bad, index=False)
    with pytest.raises(DataValidationError, match=r"metrics\.csv.*missing column"):
        plot_training_curves({"r": bad}, tmp_path / "c.png", title="t")
    with pytest.raises(FileNotFoundError, match=r"nope\.csv"):
        plot_training_curves({"r": tmp_path / "nope.csv"}, tmp_path / "c.png", title="t")
    assert not (tmp_path / "c.png").exists()
