"""How many events a run needs: below these the workflow stops, near them it warns.

README, "Too few events". Every subset (train, val, public, private) needs
:data:`MIN_CLASS_EVENTS` events of each class: a cut, an AUC and an AMS need both. The
validation cut needs the top ``scoring.top_perc`` % of the validation events to hold one event,
and each test subset needs two events per fold of ``analysis.n_folds`` (:data:`EVENTS_PER_FOLD`).
The workflow checks these before any job (:mod:`supertml.preflight`). Below
:data:`MEANINGFUL_EVENTS` events in a scored subset the run goes ahead, but its AMS values are
dominated by a handful of events, and the summary and the verdict say so
(:func:`small_subsets_note`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from supertml.constants import SCORED_SUBSETS

__all__ = [
    "EVENTS_PER_FOLD",
    "MEANINGFUL_EVENTS",
    "MIN_CLASS_EVENTS",
    "small_subsets",
    "small_subsets_note",
]

#: Events of each class every subset must hold (a cut, an AUC, a score need both classes).
MIN_CLASS_EVENTS: Final[int] = 5
#: Events per fold each test subset must hold for the analyses' ``n_folds`` folds.
EVENTS_PER_FOLD: Final[int] = 2
#: Below this many events a scored subset's AMS is dominated by a handful of events.
MEANINGFUL_EVENTS: Final[int] = 1000


def small_subsets(split_summary: Mapping[str, Any]) -> dict[str, int]:
    """Scored subsets of a split (``splits/summary.json``) with fewer than
    :data:`MEANINGFUL_EVENTS` events, and their sizes."""
    splits = split_summary.get("splits", {})
    sizes = {name: int(splits[name]["events"]) for name in SCORED_SUBSETS if name in splits}
    return {name: n for name, n in sizes.items() if n < MEANINGFUL_EVENTS}


def small_subsets_note(split_summary: Mapping[str, Any]) -> str | None:
    """The summary's and the verdict's warning when scored subsets are below
    :data:`MEANINGFUL_EVENTS` events, or None."""
    small = small_subsets(split_summary)
    if not small:
        return None
    listed = ", ".join(f"{name} {n:,}" for name, n in small.items())
    return (
        f"Too few events to mean much: subsets of fewer than {MEANINGFUL_EVENTS:,} events "
        f"({listed}) give AMS values dominated by a handful of events, above all the maxima "
        '(README, "Too few events").'
    )
