"""The study's run-by-run conditions beside this project's, and every remaining difference.

For each experiment that names a ``study_row``, :func:`experiment_conditions` sets the
notebook's settings (:data:`supertml.published.STUDY_CONDITIONS`, typed from REFERENCE.md "Run
by run") beside the ones the config gives, setting by setting, in the same words, so that a
row of ours and the study's row can be read as the same procedure or not. Differences that are
known and not (yet) matchable carry their reason (:data:`KNOWN_GAPS`); any other difference is
a config choice and is shown as such.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from supertml.config import recipe_epochs
from supertml.published import (
    STUDY_COMMON,
    STUDY_CONDITIONS,
    STUDY_DER_ORDER,
    STUDY_PRI_ORDER,
    Phase,
    StudyConditions,
)

__all__ = [
    "KNOWN_GAPS",
    "Condition",
    "common_conditions",
    "conditions_markdown",
    "experiment_conditions",
]

#: Why a setting still differs where this project cannot (yet) do what the study did.
KNOWN_GAPS: Final[Mapping[str, str]] = {
    "font": "Arial is not free to ship; Liberation Sans has its metrics (same advances, so the "
    "same text extents) but its own glyph shapes",
    "split": "split.stratify of the config (label_and_jet_num is the study's)",
    "precision": "bf16 autocast on a GPU for speed (fp32 on a CPU)",
}


@dataclass(frozen=True)
class Condition:
    """One setting of one run: the study's value and ours, in the same words."""

    setting: str
    study: str
    ours: str

    @property
    def same(self) -> bool:
        return self.study == self.ours

    @property
    def why(self) -> str:
        """The reason for a difference: a known gap, or a choice of the config."""
        if self.same:
            return ""
        return KNOWN_GAPS.get(self.setting, "the config differs from the notebook")


def _rate(value: float) -> str:
    return f"{value:.0e}".replace("e-0", "e-")


def _phase_text(phase: Phase) -> str:
    epochs, rate = phase
    if isinstance(rate, tuple):
        return f"{epochs} all @ slice({_rate(rate[0])}, {_rate(rate[1])})"
    return f"{epochs} all @ {_rate(rate)}"


def _study_stages(study: StudyConditions) -> str:
    parts = [] if study.frozen is None else [f"{study.frozen[0]} head @ {_rate(study.frozen[1])}"]
    return "; ".join([*parts, *(_phase_text(p) for p in study.phases)])


def _recipe_phase(epochs: int, peak: float, spread: float, groups: int) -> Phase:
    if groups < 2 or math.isclose(spread, 1.0):
        return epochs, peak
    return epochs, (peak / spread, peak)


def _our_stages(recipe: Mapping[str, Any]) -> str:
    groups = int(recipe["layer_groups"])
    parts = []
    if recipe["kind"] == "two_stage":
        rate = "range test" if recipe["lr_find"] else _rate(float(recipe["learning_rate"]))
        parts.append(f"{recipe['frozen_epochs']} head @ {rate}")
        peak = float(recipe["unfrozen_learning_rate"] or recipe["learning_rate"])
    else:
        peak = float(recipe["learning_rate"])
        if recipe.get("lr_slice") is not None:
            peak = float(recipe["lr_slice"][1])
    phases = [_recipe_phase(int(recipe["epochs"]), peak, float(recipe["lr_spread"]), groups)]
    for cycle in recipe.get("extra_cycles") or ():
        if cycle.get("lr_slice") is not None:
            low, high = cycle["lr_slice"]
            phases.append(_recipe_phase(int(cycle["epochs"]), high, high / low, groups))
        else:
            phases.append((int(cycle["epochs"]), float(cycle["learning_rate"])))
    return "; ".join([*parts, *(_phase_text(p) for p in phases)])


def _encoding_text(encoding: Mapping[str, Any]) -> str:
    if encoding["kind"] == "text":
        return f"text {encoding['size']}"
    return f"pixels {encoding['size']} {encoding['layout']}"


def _font_text(encoding: Mapping[str, Any]) -> str | None:
    if encoding["kind"] != "text":
        return None
    path = encoding.get("font_path")
    if path:
        return f"{str(path).rsplit('/', 1)[-1].rsplit('.', 1)[0]} {encoding['font_size']}"
    font = encoding.get("font", "FreeMonoBold")
    if font == "pillow_bitmap":
        return "Pillow bitmap"
    return f"{_FONT_NAMES.get(font, font)} {encoding['font_size']}"


#: How the conditions table names the bundled fonts.
_FONT_NAMES: Final[Mapping[str, str]] = {"LiberationSans": "Liberation Sans"}


def _ordering_text(ordering: Mapping[str, Any]) -> str:
    if ordering["kind"] == "table":
        return "table"
    if ordering["kind"] == "fixed" and tuple(ordering["features"]) == (
        *STUDY_DER_ORDER,
        *STUDY_PRI_ORDER,
    ):
        return "DER"
    if ordering["kind"] == "study_der":
        return "DER, importance ranked here"
    return str(ordering["kind"])


def _our_values(config: Mapping[str, Any], name: str) -> dict[str, str]:
    """Our settings of experiment ``name``, worded as :func:`_study_values` words the study's."""
    entry = config["experiments"][name]
    encoding = config["encodings"][entry["encoding"]]
    model = config["models"][entry["model"]]
    recipe = config["recipes"][entry["recipe"]]
    preset = config["preprocessing"][entry["preprocessing"]]
    scoring = {**config["scoring"], **(entry.get("scoring") or {})}
    augmented = bool(recipe["brightness"] or recipe["contrast"])
    values = {
        "encoding": _encoding_text(encoding),
        "font": _font_text(encoding) or "-",
        "preprocessing": "data-fix" if preset["data_fix"] else "raw",
        "ordering": _ordering_text(config["orderings"][entry["ordering"]]),
        "network": f"{model['architecture']}, {'ImageNet' if model['pretrained'] else 'scratch'}",
        "head": str(model["head"]),
        "batch size": str(recipe["batch_size"]),
        "stages": _our_stages(recipe),
        "epochs": str(recipe_epochs(recipe)),
        "kept epoch": "last" if recipe["monitor"] == "last" else f"best {recipe['monitor']}",
        "signal copies": str(recipe["signal_copies"]),
        "augmentation": "brightness/contrast" if augmented else "none",
        "min_pred": f"{scoring['min_pred']:g}",
        "fixed cut": f"{config['analysis']['fixed_cut']:g}",
        "monitored on": _monitor_text(float(recipe["holdout_fraction"])),
    }
    return values


def _monitor_text(holdout_fraction: float) -> str:
    if holdout_fraction == 0.0:
        return "the validation split (all training events trained on)"
    return f"{holdout_fraction:g} of the training events, held out (fastai valid_pct)"


def _study_values(study: StudyConditions) -> dict[str, str]:
    epochs = (study.frozen[0] if study.frozen else 0) + sum(p[0] for p in study.phases)
    return {
        "encoding": study.encoding,
        "font": study.font or "-",
        "preprocessing": study.preprocessing,
        "ordering": study.ordering,
        "network": f"{study.network}, {'ImageNet' if study.pretrained else 'scratch'}",
        "head": study.head,
        "batch size": str(study.batch_size),
        "stages": _study_stages(study),
        "epochs": str(epochs),
        "kept epoch": "last" if study.kept == "last" else "best val_error",
        "signal copies": str(study.signal_copies),
        "augmentation": "brightness/contrast" if study.augmentation else "none",
        "min_pred": "-" if study.min_pred is None else f"{study.min_pred:g}",
        "fixed cut": f"{study.fixed_cut:g}" if study.fixed_cut is not None else "0.5",
        "monitored on": _monitor_text(study.holdout_fraction),
    }


#: What this project does where every notebook did the same (compared with STUDY_COMMON;
#: the split is read from the config).
OURS_COMMON: Final[Mapping[str, str]] = {
    "precision": "bf16 autocast on a GPU",
}

#: The strata of ``split.stratify``, worded as STUDY_COMMON words the study's.
_STRATA: Final[Mapping[str, str]] = {
    "label": "the label",
    "label_and_jet_num": "label x PRI_jet_num",
}


def experiment_conditions(config: Mapping[str, Any], name: str) -> list[Condition]:
    """Every per-run setting of experiment ``name`` beside its study row's (``study_row``
    required); what every notebook shared is :func:`common_conditions`.

    ``config`` is a validated config (defaults and kinds resolved). A run the study scored at a
    fixed cut (DL) has no validation min_pred to compare; its fixed cut is compared instead.
    """
    row = config["experiments"][name].get("study_row")
    if row is None or str(row) not in STUDY_CONDITIONS:
        raise ValueError(f"experiments.{name}: no study_row with known conditions ({row!r})")
    study = STUDY_CONDITIONS[str(row)]
    ours, theirs = _our_values(config, name), _study_values(study)
    skip = "min_pred" if study.min_pred is None else "fixed cut"
    return [Condition(key, theirs[key], ours[key]) for key in theirs if key != skip]


def common_conditions(config: Mapping[str, Any]) -> list[Condition]:
    """The settings every notebook shared (split, events trained on, precision) beside ours."""
    ours = {
        "split": f"stratified on {_STRATA[config['split']['stratify']]}, "
        f"seed {config['split']['seed']}",
        **OURS_COMMON,
    }
    return [Condition(key, value, ours[key]) for key, value in STUDY_COMMON.items()]


def conditions_markdown(config: Mapping[str, Any]) -> str:
    """Per experiment with a study row, its differences from the notebook and why; then the
    settings every notebook shared."""
    names = [n for n, e in config["experiments"].items() if e.get("study_row") is not None]
    if not names:
        return "No experiment of this config names a study row."
    lines = [
        "| study row | notebook | experiment | settings matched | setting | study | ours | why |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name in names:
        conditions = experiment_conditions(config, name)
        row = str(config["experiments"][name]["study_row"])
        matched = f"{sum(c.same for c in conditions)} of {len(conditions)}"
        different = [c for c in conditions if not c.same]
        head = f"| {row} | {STUDY_CONDITIONS[row].notebook} | {name} | {matched} "
        if not different:
            lines.append(head + "| - | - | - | all match |")
        for i, c in enumerate(different):
            start = head if i == 0 else "| | | | "
            lines.append(start + f"| {c.setting} | {c.study} | {c.ours} | {c.why} |")
    lines += ["", "Every notebook alike:", "", "| setting | study | ours | why |"]
    lines.append("|---|---|---|---|")
    lines += [
        f"| {c.setting} | {c.study} | {c.ours} | {c.why or 'same'} |"
        for c in common_conditions(config)
    ]
    return "\n".join(lines)
