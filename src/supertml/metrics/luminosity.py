"""The double-luminosity check: public and private scored as one set (REFERENCE.md section 4).

AMS does not self-normalise: each test subset's weights stand for one luminosity, so the two
merged without rescaling stand for two, and the AMS grows by about sqrt(2) - the study's
explanation of the claimed 3.979 (Strong 2019).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from supertml.io import JsonValue
from supertml.metrics.ams import DEFAULT_B_REG
from supertml.metrics.checks import check_cut
from supertml.metrics.cut import ams_at_cut
from supertml.metrics.events import SubsetEvents, subset_events
from supertml.metrics.scoring import IN_MEMORY

__all__ = [
    "DoubleLuminosity",
    "DoubleLuminosityAtCut",
    "analyse_double_luminosity",
    "double_luminosity",
]


@dataclass(frozen=True)
class DoubleLuminosityAtCut:
    """Public, private and merged AMS at one cut (see :func:`analyse_double_luminosity`).

    ``merged_ams``: public+private as one set, weights untouched (two luminosities).
    ``normalised_ams``: the merged set rescaled to one luminosity. ``ratio``: merged over
    normalised, about sqrt(2) when public and private are alike; None if ``normalised_ams`` is 0.
    """

    name: str
    cut: float
    public_ams: float
    private_ams: float
    merged_ams: float
    normalised_ams: float
    ratio: float | None

    def to_dict(self) -> dict[str, JsonValue]:
        """JSON-ready dict."""
        return {
            "name": self.name,
            "cut": self.cut,
            "public_ams": self.public_ams,
            "private_ams": self.private_ams,
            "merged_ams": self.merged_ams,
            "normalised_ams": self.normalised_ams,
            "ratio": self.ratio,
        }


@dataclass(frozen=True)
class DoubleLuminosity:
    """The double-luminosity check at several cuts (REFERENCE.md section 4).

    ``normalisation_factors``: the factor applied to each subset's weights in the normalised
    merged set, ``(public, private) = (n_public, n_private) / n_merged``. ``luminosity_ratio``:
    summed weights of the unrescaled merged set over those of the normalised one (2 when both
    subsets are normalised to the same totals, as the prediction contract requires).
    """

    n_public: int
    n_private: int
    normalisation_factors: tuple[float, float]
    luminosity_ratio: float
    at_cuts: tuple[DoubleLuminosityAtCut, ...]

    def to_dict(self) -> dict[str, JsonValue]:
        """JSON-ready dict."""
        return {
            "n_public": self.n_public,
            "n_private": self.n_private,
            "normalisation_factors": {
                "public": self.normalisation_factors[0],
                "private": self.normalisation_factors[1],
            },
            "luminosity_ratio": self.luminosity_ratio,
            "at_cuts": [entry.to_dict() for entry in self.at_cuts],
        }


def double_luminosity(
    subsets: Mapping[str, SubsetEvents], cuts: Mapping[str, float], b_reg: float
) -> DoubleLuminosity:
    if not cuts:
        raise ValueError("cuts is empty: give at least one named cut, e.g. {'validation': c}")
    public, private = subsets["public"], subsets["private"]
    n_merged = public.size + private.size
    factors = (public.size / n_merged, private.size / n_merged)
    scores = np.concatenate([public.scores, private.scores])
    labels = np.concatenate([public.labels, private.labels])
    merged_w = np.concatenate([public.weights, private.weights])
    normal_w = np.concatenate([public.weights * factors[0], private.weights * factors[1]])
    total_normal = float(np.sum(normal_w))
    entries = []
    for name, raw_cut in cuts.items():
        cut = check_cut(f"cut {name!r}", raw_cut)
        merged = ams_at_cut(scores, labels, merged_w, cut, b_reg=b_reg)
        normalised = ams_at_cut(scores, labels, normal_w, cut, b_reg=b_reg)
        entries.append(
            DoubleLuminosityAtCut(
                name=str(name),
                cut=cut,
                public_ams=ams_at_cut(
                    public.scores, public.labels, public.weights, cut, b_reg=b_reg
                ),
                private_ams=ams_at_cut(
                    private.scores, private.labels, private.weights, cut, b_reg=b_reg
                ),
                merged_ams=merged,
                normalised_ams=normalised,
                ratio=merged / normalised if normalised > 0.0 else None,
            )
        )
    return DoubleLuminosity(
        n_public=public.size,
        n_private=private.size,
        normalisation_factors=factors,
        luminosity_ratio=float(np.sum(merged_w)) / total_normal if total_normal > 0 else 0.0,
        at_cuts=tuple(entries),
    )


def analyse_double_luminosity(
    frame: pd.DataFrame,
    cuts: Mapping[str, float],
    *,
    b_reg: float = DEFAULT_B_REG,
    source: str | Path = IN_MEMORY,
) -> DoubleLuminosity:
    """Double-luminosity check: public+private scored as ONE set without rescaling the weights.

    REFERENCE.md section 4 (Strong 2019): AMS does not self-normalise. Each test subset's weights
    are normalised to the full challenge totals (Ns, Nb), i.e. each subset alone stands for one
    luminosity; merging them unrescaled sums to 2 Ns, 2 Nb, two luminosities. Since
    AMS ~ s / sqrt(b) for s << b, doubling s and b inflates it by about sqrt(2) (study, SENet154
    text, cut 0.5: 2.830 public / 2.837 private but 4.007 merged, matching the claimed 3.979).

    Normalisation of the merged set (derivation). The weight-factor convention (REFERENCE.md
    section 3) gives a random subset of n_sub of the n_test events weights w * n_test / n_sub,
    where w is the event's weight in the whole test set. The merged set IS the whole test set
    (n_merged = n_public + n_private), so its properly normalised weights undo each subset's
    factor: public weights times n_public / n_merged, private times n_private / n_merged. The
    class totals are then exactly (n_public Ns + n_private Ns) / n_merged = Ns (and Nb): one
    luminosity, every event at its own weight. (A uniform factor 1/2 also restores the totals and
    equals this only when n_public = n_private; with Kaggle's 100k:450k it would count each public
    event 4.5 times as much as a private one.) When public and private are alike,
    ``merged_ams / normalised_ams`` is then about sqrt(2).

    Parameters
    ----------
    cuts
        Named cuts, e.g. ``{"validation": cut, "fixed": 0.5}``; one result per entry, in order.

    Raises
    ------
    DataValidationError
        If ``frame`` breaks the prediction contract (named as ``source``).
    ValueError
        If ``cuts`` is empty or holds a non-finite cut.
    """
    return double_luminosity(subset_events(frame, source), cuts, b_reg)
