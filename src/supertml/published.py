"""Every number this project quotes from the paper, the study, Kaggle or LUMIN, in one place.

Pages, tables and figures format these values; none types them into its text. Sources
(shared/REFERENCE.md names them all): the SuperTML paper (Sun et al. 2019, arXiv 1903.06246);
the reproduction study (G. Strong, "Attempted reproduction of SuperTML", CMS ML workshop 2019;
Strong 2020, Mach. Learn.: Sci. Technol. 1 045006, appendix B); the Kaggle 2014 challenge's
leaderboard.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

__all__ = [
    "KAGGLE_WINNER_PRIVATE_AMS",
    "LUMIN_ENSEMBLE_PRIVATE_AMS",
    "PAPER_CLAIM_AMS",
    "PUBLISHED_ACCURACIES",
    "STUDY_BEST",
    "STUDY_BY_ROW",
    "STUDY_COMMON",
    "STUDY_CONDITIONS",
    "STUDY_DER_ORDER",
    "STUDY_DOUBLE_LUMINOSITY_AMS",
    "STUDY_DOUBLE_LUMINOSITY_SEPARATE",
    "STUDY_MIN_PRED",
    "STUDY_PRI_ORDER",
    "STUDY_RESULTS",
    "STUDY_TEST_B_REG",
    "STUDY_TEST_OPTIMISATION_MAX",
    "STUDY_TEST_OPTIMISATION_MEAN",
    "STUDY_TEST_SIZE_MAX",
    "PublishedAccuracy",
    "StudyConditions",
    "StudyResult",
]

# -- the Higgs ML challenge -------------------------------------------------------------------

#: AMS claimed by SuperTML on the Higgs ML challenge (Sun et al. 2019, arXiv 1903.06246;
#: REFERENCE.md section 1).
PAPER_CLAIM_AMS: Final[float] = 3.979

#: Winning private-leaderboard AMS of the 2014 Kaggle challenge, G. Melis (REFERENCE.md
#: sections 1 and 6).
KAGGLE_WINNER_PRIVATE_AMS: Final[float] = 3.80581

#: Private AMS range of LUMIN's ensemble of 10 fully connected nets (Strong 2020, Mach. Learn.:
#: Sci. Technol. 1 045006; REFERENCE.md section 6): "about 3.80 to 3.82".
LUMIN_ENSEMBLE_PRIVATE_AMS: Final[tuple[float, float]] = (3.80, 3.82)

#: b_r of the study's test AMS at the cut (``score_test_df``); its validation cut and every scan
#: used the challenge's 10 (REFERENCE.md section 5, "AMS details": about 0.004 lower).
STUDY_TEST_B_REG: Final[float] = 0.0

#: The study's double-luminosity check: public and private scored together as one set without
#: rescaling weights (SENet154, text 224, single stage, cut 0.5; REFERENCE.md section 4).
STUDY_DOUBLE_LUMINOSITY_AMS: Final[float] = 4.007
#: The same run's (public, private) AMS scored separately, as it should be (REFERENCE.md
#: section 4).
STUDY_DOUBLE_LUMINOSITY_SEPARATE: Final[tuple[float, float]] = (2.830, 2.837)

#: Test-size hypothesis, SENet154 pixels, 10 folds at the validation cut: (public, private)
#: maxima over folds (REFERENCE.md section 4).
STUDY_TEST_SIZE_MAX: Final[tuple[float, float]] = (3.94, 3.67)

#: Test-set optimisation, 10 folds with the cut scanned per fold: (public, private) maxima and
#: means over folds (REFERENCE.md section 4). Not legitimate scores.
STUDY_TEST_OPTIMISATION_MAX: Final[tuple[float, float]] = (5.79, 3.87)
STUDY_TEST_OPTIMISATION_MEAN: Final[tuple[float, float]] = (4.14, 3.59)


@dataclass(frozen=True)
class StudyResult:
    """One row of the study's results table (REFERENCE.md section 5).

    ``row`` is the study's run number; the table has two runs numbered 8, the second (no
    ImageNet pretraining) is keyed ``"8-scratch"`` here, and the double-luminosity notebook
    ``"DL"``. ``epochs`` is "frozen+full" as in the study. ``val_max``/``val_cut``: validation
    AMS at its maximum and at the chosen cut (None where the study gives none: DL was scored
    at a fixed cut); ``public``/``private``: test AMS at the validation (DL: fixed) cut.
    """

    row: str
    encoding: str
    model: str
    epochs: str
    val_max: float | None
    val_cut: float | None
    public: float
    private: float


#: The study's results, REFERENCE.md section 5, in its order.
STUDY_RESULTS: Final[tuple[StudyResult, ...]] = (
    StudyResult("1", "text 224", "ResNet34", "4+8", 2.910, 2.800, 2.786, 2.742),
    StudyResult("2", "text 224, Arial 13", "ResNet34", "4+4", 3.098, 3.019, 2.783, 2.825),
    StudyResult("3", "pixels 224", "ResNet34", "4+4", 3.617, 3.444, 3.292, 3.325),
    StudyResult("4", "pixels 224 + augmentation", "ResNet34", "4+4", 3.610, 3.446, 3.242, 3.355),
    StudyResult("5", "pixels 224", "SE-ResNet50", "4+4", 3.714, 3.595, 3.359, 3.485),
    StudyResult("6", "pixels 224", "SENet154", "4+4", 3.718, 3.641, 3.501, 3.479),
    StudyResult("7", "pixels 56", "SE-ResNet50", "4+4", 3.666, 3.443, 3.303, 3.409),
    StudyResult("8a", "squares 56, DER-ordered", "SENet154", "4+4", 3.885, 3.783, 3.379, 3.516),
    StudyResult(
        "8",
        "squares 56, DER-ordered, signal duplicated",
        "SE-ResNet50",
        "4+1+4",
        3.813,
        3.749,
        3.425,
        3.549,
    ),
    StudyResult(
        "8-scratch",
        "squares 56, DER-ordered, signal duplicated, no pretraining",
        "SE-ResNet50",
        "8",
        3.807,
        3.730,
        3.509,
        3.511,
    ),
    StudyResult("9", "text 224, single stage", "SENet154", "8", 3.250, 3.116, 2.947, 2.957),
    StudyResult(
        "DL",
        "text 224, raw features, single stage, fixed cut 0.5",
        "SENet154",
        "4",
        None,
        None,
        *STUDY_DOUBLE_LUMINOSITY_SEPARATE,
    ),
)

#: min_pred of each notebook's cut, by study row (REFERENCE.md "Run by run"; rows 2 and 8a are
#: not in the results table; the double-luminosity run used a fixed cut of 0.5 instead).
STUDY_MIN_PRED: Final[Mapping[str, float]] = {
    "1": 0.8, "2": 0.8, "3": 0.8, "4": 0.8, "5": 0.8, "6": 0.75, "7": 0.8, "8a": 0.8,
    "8": 0.8, "8-scratch": 0.8, "9": 0.75,
}  # fmt: skip

#: The study's best image result by private AMS (row 8: 3.425 public / 3.549 private).
STUDY_BEST: Final[StudyResult] = max(STUDY_RESULTS, key=lambda r: r.private)

#: The study's results by row (``study_row`` of an experiment).
STUDY_BY_ROW: Final[dict[str, StudyResult]] = {r.row: r for r in STUDY_RESULTS}


# -- the small tables (REFERENCE.md section 5, "Small data sets") ------------------------


@dataclass(frozen=True)
class PublishedAccuracy:
    """A published test accuracy (a fraction) and what produced it."""

    accuracy: float
    what: str


#: Published accuracies by reference table, source ("paper" / "study") and method
#: (REFERENCE.md section 5). The paper's baseline was xgboost; ours is scikit-learn's
#: histogram gradient boosting, so it sits in the ``gbt`` row.
PUBLISHED_ACCURACIES: Final[Mapping[str, Mapping[str, Mapping[str, PublishedAccuracy]]]] = {
    "iris": {
        "paper": {
            "cnn": PublishedAccuracy(0.9333, "SuperTML"),
            "gbt": PublishedAccuracy(0.9333, "xgboost"),
        },
        "study": {
            "cnn": PublishedAccuracy(0.967, "ResNet34, pretrained and from scratch"),
            "cnn_shuffled": PublishedAccuracy(0.23, "ResNet34, shuffled labels"),
            "random_forest": PublishedAccuracy(0.967, "random forest"),
        },
    },
    "wine": {
        "paper": {
            "cnn": PublishedAccuracy(0.9730, "SuperTML"),
            "gbt": PublishedAccuracy(0.9688, "xgboost"),
        },
        "study": {
            "cnn": PublishedAccuracy(0.971, "ResNet34 single-stage; two-stage 91.4 %"),
            "random_forest": PublishedAccuracy(1.0, "random forest"),
        },
    },
    "adult": {
        "paper": {
            "cnn": PublishedAccuracy(0.8764, "SuperTML"),
            "gbt": PublishedAccuracy(0.8732, "xgboost"),
        },
        "study": {},
    },
}


#: The study's fixed DER order of its DER-ordered images (REFERENCE.md section 5: the DER
#: features by its forest's importance), before the primitives of STUDY_PRI_ORDER.
STUDY_DER_ORDER: Final[tuple[str, ...]] = (
    "DER_mass_transverse_met_lep", "DER_mass_MMC", "DER_pt_ratio_lep_tau", "DER_mass_vis",
    "DER_deltar_tau_lep", "DER_sum_pt", "DER_pt_h", "DER_met_phi_centrality", "DER_pt_tot",
    "DER_deltaeta_jet_jet", "DER_prodeta_jet_jet", "DER_lep_eta_centrality", "DER_mass_jet_jet",
)  # fmt: skip

#: The primitives' fixed order of the study's DER-ordered images (REFERENCE.md section 5),
#: named as ``DATA_FIX_FEATURES`` names them (the study's ``met_pt`` is our ``PRI_met``).
STUDY_PRI_ORDER: Final[tuple[str, ...]] = (
    "PRI_lep_px",
    "PRI_lep_pz",
    "PRI_met_px",
    "PRI_met_py",
    "PRI_met_sumet",
    "PRI_met",
    "PRI_tau_px",
    "PRI_tau_py",
    "PRI_tau_pz",
    "PRI_jet_all_pt",
    "PRI_jet_num",
    "PRI_jet_leading_px",
    "PRI_jet_leading_py",
    "PRI_jet_leading_pz",
    "PRI_jet_subleading_px",
    "PRI_jet_subleading_py",
    "PRI_jet_subleading_pz",
)


# -- how each notebook ran (REFERENCE.md "Run by run" and section 5) ---------------------------

#: A phase of all layers: (epochs, fastai slice (lo, hi)) or (epochs, one rate for every group).
Phase = tuple[int, tuple[float, float] | float]


@dataclass(frozen=True)
class StudyConditions:
    """One notebook's settings, as REFERENCE.md's run-by-run table gives them.

    ``encoding``: "text 224", "pixels 224 rectangles" or "pixels 56 squares"; ``font``: text
    runs' font ("Pillow bitmap", "Arial 13", "FreeMonoBold 13"); ``network``: the timm name of
    the weights used; ``head``: "dense" (fastai's default head) or "concat_linear"
    (``lin_ftrs=[]``); ``frozen``: (epochs, rate) of the head-only stage, None for a single
    stage; ``phases``: the all-layers one-cycle phases in order; ``kept``: "last" or "best val
    error"; ``min_pred``: None where the run was scored at ``fixed_cut``;
    ``holdout_fraction``: the training share fastai held out to monitor (``valid_pct``).
    """

    row: str
    notebook: str
    encoding: str
    font: str | None
    preprocessing: str
    ordering: str
    network: str
    pretrained: bool
    head: str
    batch_size: int
    frozen: tuple[int, float] | None
    phases: tuple[Phase, ...]
    kept: str
    signal_copies: int
    augmentation: bool
    min_pred: float | None
    fixed_cut: float | None = None
    holdout_fraction: float = 0.2  # fastai's valid_pct in every notebook


_RESNET34: Final[str] = "resnet34.tv_in1k"
_SE50: Final[str] = "legacy_seresnet50"
_SE154: Final[str] = "legacy_senet154"
_PIX224: Final[str] = "pixels 224 rectangles"
_PIX56: Final[str] = "pixels 56 squares"

#: Every notebook of the study, by row (REFERENCE.md "Run by run").
STUDY_CONDITIONS: Final[Mapping[str, StudyConditions]] = {
    c.row: c
    for c in (
        StudyConditions("1", "0_resnet34", "text 224", "Pillow bitmap", "data-fix", "table",
                        _RESNET34, True, "dense", 128, (4, 3e-3), ((8, (3e-7, 3e-5)),), "last",
                        1, False, 0.8),
        StudyConditions("2", "1_resnet34", "text 224", "Arial 13", "data-fix", "table",
                        _RESNET34, True, "dense", 128, (4, 3e-3), ((4, (1e-6, 3e-5)),), "last",
                        1, False, 0.8),
        StudyConditions("3", "2_resnet34", _PIX224, None, "data-fix", "table", _RESNET34, True,
                        "dense", 128, (4, 3e-3), ((4, (1e-7, 3e-6)),), "last", 1, False, 0.8),
        StudyConditions("4", "3_resnet34", _PIX224, None, "data-fix", "table", _RESNET34, True,
                        "dense", 128, (4, 3e-3), ((4, (8e-7, 8e-6)),), "last", 1, True, 0.8),
        StudyConditions("5", "4_senet50", _PIX224, None, "data-fix", "table", _SE50, True,
                        "dense", 64, (4, 1e-2), ((4, (1e-6, 3e-5)),), "last", 1, False, 0.8),
        StudyConditions("6", "5_senet154", _PIX224, None, "data-fix", "table", _SE154, True,
                        "dense", 20, (4, 1e-2), ((4, (1e-6, 3e-5)),), "last", 1, False, 0.75),
        StudyConditions("7", "6_senet50", _PIX56, None, "data-fix", "table", _SE50, True,
                        "dense", 512, (4, 3e-2), ((4, (1e-6, 3e-5)),), "last", 1, False, 0.8),
        StudyConditions("8a", "7_senet154", _PIX56, None, "data-fix", "DER", _SE154, True,
                        "dense", 200, (4, 3e-2), ((4, (1e-8, 1e-6)),), "last", 1, False, 0.8),
        StudyConditions("8", "8_senet50", _PIX56, None, "data-fix", "DER", _SE50, True, "dense",
                        512, (4, 3e-2), ((1, (1e-7, 1e-5)), (4, (1e-6, 3e-4))), "last", 2,
                        False, 0.8),
        StudyConditions("8-scratch", "8_senet50_NoPreTrain", _PIX56, None, "data-fix", "DER",
                        _SE50, False, "dense", 512, None, ((4, 3e-2), (4, 4e-3)), "last", 2,
                        False, 0.8),
        StudyConditions("9", "9_senet154", "text 224", "FreeMonoBold 13", "data-fix", "table",
                        _SE154, True, "concat_linear", 20, None, ((8, (1e-6, 2e-4)),),
                        "best val error", 1, False, 0.75),
        StudyConditions("DL", "higgsml1_senet154_singlestage", "text 224", "FreeMonoBold 13",
                        "raw", "table", _SE154, True, "concat_linear", 20, None,
                        ((4, (1e-6, 2e-4)),), "best val error", 1, False, None, 0.5),
    )
}  # fmt: skip

#: What every notebook shared (REFERENCE.md section 5): the split and the numeric precision.
STUDY_COMMON: Final[Mapping[str, str]] = {
    "split": "stratified on label x PRI_jet_num, seed 1337",  # LUMIN's -f PRI_jet_num
    "precision": "fp32",
}
