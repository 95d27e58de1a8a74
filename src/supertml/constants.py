"""Facts of the ATLAS Higgs ML challenge 2014 data set.

Source: CERN Open Data record 328 (DOI 10.7483/OPENDATA.ATLAS.ZBP2.M5T8) and the challenge
documentation (Adam-Bourdarios et al., "Learning to discover: the Higgs boson machine learning
challenge", 2014). See ``shared/REFERENCE.md`` sections 2 and 3.
"""

from typing import Final

__all__ = [
    "DER_FEATURES",
    "FEATURES",
    "KAGGLE_SET_SIZES",
    "MISSING_VALUE",
    "NB_TOTAL",
    "NS_TOTAL",
    "PRI_FEATURES",
    "SCORED_SUBSETS",
    "SUBSETS",
    "TEST_SUBSETS",
]

#: The 13 derived features, in the order of the challenge files.
DER_FEATURES: Final[tuple[str, ...]] = (
    "DER_mass_MMC",
    "DER_mass_transverse_met_lep",
    "DER_mass_vis",
    "DER_pt_h",
    "DER_deltaeta_jet_jet",
    "DER_mass_jet_jet",
    "DER_prodeta_jet_jet",
    "DER_deltar_tau_lep",
    "DER_pt_tot",
    "DER_sum_pt",
    "DER_pt_ratio_lep_tau",
    "DER_met_phi_centrality",
    "DER_lep_eta_centrality",
)

#: The 17 primitive features, in the order of the challenge files.
PRI_FEATURES: Final[tuple[str, ...]] = (
    "PRI_tau_pt",
    "PRI_tau_eta",
    "PRI_tau_phi",
    "PRI_lep_pt",
    "PRI_lep_eta",
    "PRI_lep_phi",
    "PRI_met",
    "PRI_met_phi",
    "PRI_met_sumet",
    "PRI_jet_num",
    "PRI_jet_leading_pt",
    "PRI_jet_leading_eta",
    "PRI_jet_leading_phi",
    "PRI_jet_subleading_pt",
    "PRI_jet_subleading_eta",
    "PRI_jet_subleading_phi",
    "PRI_jet_all_pt",
)

#: All 30 features in table order.
FEATURES: Final[tuple[str, ...]] = DER_FEATURES + PRI_FEATURES

#: Marker of an undefined value in the challenge files.
MISSING_VALUE: Final[float] = -999.0

#: Total signal weight of each of the Kaggle sets t, b and v (KaggleWeight is normalised per set).
NS_TOTAL: Final[float] = 691.988607712
#: Total background weight of each of the Kaggle sets t, b and v.
NB_TOTAL: Final[float] = 410999.847322

#: Events per KaggleSet in the full Open Data file.
KAGGLE_SET_SIZES: Final[dict[str, int]] = {"t": 250_000, "b": 100_000, "v": 450_000, "u": 18_238}

#: The subsets of every split data set, in the order every table lists them.
SUBSETS: Final[tuple[str, ...]] = ("train", "val", "public", "private")
#: The subsets a trained model is scored on (train never is): validation, then the test set.
SCORED_SUBSETS: Final[tuple[str, ...]] = ("val", "public", "private")
#: The two halves of the challenge's test set: Kaggle's public (b) and private (v) leaderboard.
TEST_SUBSETS: Final[tuple[str, ...]] = ("public", "private")
