"""Steps of ``workflow/rules/baselines.smk``: tabular baselines on the same prepared splits.

Every kind goes through :mod:`supertml.baselines.registry` and writes predictions in the same
contract as the CNNs, so the same scoring code scores both.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from supertml.io import write_json, write_table
from supertml.runinfo import run_provenance
from supertml.steps.data import read_features, read_frames

__all__ = ["train_baseline"]


def train_baseline(
    baseline: Mapping[str, Any],
    prepared_paths: Mapping[str, str | Path],
    *,
    features_path: str | Path,
    seed: int,
    output: str | Path,
    info_path: str | Path,
    model_path: str | Path,
    threads: int = 1,
) -> None:
    """Fit a tabular baseline on the prepared training split and score the other subsets; its
    record (``info_path``) holds what the fit reported and the run's provenance
    (:func:`supertml.runinfo.run_provenance`), and ``model_path`` the fitted model, for
    applying it to other events (:mod:`supertml.baselines.models`)."""
    # scikit-learn (and torch, for the networks) only in the jobs that fit.
    from supertml.baselines.models import save_baseline_model  # noqa: PLC0415
    from supertml.baselines.registry import fit_baseline  # noqa: PLC0415

    kind = baseline["kind"]
    # The cut settings are scoring's, not the fit's.
    fields = {k: v for k, v in baseline.items() if k not in ("kind", "preprocessing", "scoring")}
    fit = fit_baseline(
        kind,
        fields,
        read_frames(prepared_paths),
        read_features(features_path),
        seed=seed,
        threads=threads,
    )
    save_baseline_model(model_path, kind, fit.model)
    write_table(output, fit.predictions)
    write_json(info_path, {"kind": kind, **fit.info, "provenance": run_provenance()})
