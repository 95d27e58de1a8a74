"""The published numbers, checked against REFERENCE.md's (typed here from it, not from code)."""

from __future__ import annotations

from supertml.constants import KAGGLE_SET_SIZES, NB_TOTAL, NS_TOTAL
from supertml.published import (
    KAGGLE_WINNER_PRIVATE_AMS,
    PAPER_CLAIM_AMS,
    STUDY_BEST,
    STUDY_BY_ROW,
    STUDY_DOUBLE_LUMINOSITY_AMS,
    STUDY_DOUBLE_LUMINOSITY_SEPARATE,
    STUDY_MIN_PRED,
    STUDY_RESULTS,
    STUDY_TEST_B_REG,
    STUDY_TEST_OPTIMISATION_MAX,
    STUDY_TEST_SIZE_MAX,
)


def test_challenge_totals_of_reference_section_2() -> None:
    assert NS_TOTAL == 691.988607712
    assert NB_TOTAL == 410999.847322
    assert KAGGLE_SET_SIZES == {"t": 250_000, "b": 100_000, "v": 450_000, "u": 18_238}
    assert sum(KAGGLE_SET_SIZES.values()) == 818_238


def test_claim_winner_and_study_of_reference_sections_1_4_5() -> None:
    assert (PAPER_CLAIM_AMS, KAGGLE_WINNER_PRIVATE_AMS) == (3.979, 3.80581)
    assert STUDY_DOUBLE_LUMINOSITY_AMS == 4.007
    assert STUDY_DOUBLE_LUMINOSITY_SEPARATE == (2.830, 2.837)
    assert STUDY_TEST_SIZE_MAX == (3.94, 3.67)
    assert STUDY_TEST_OPTIMISATION_MAX == (5.79, 3.87)
    assert (STUDY_BEST.row, STUDY_BEST.public, STUDY_BEST.private) == ("8", 3.425, 3.549)
    assert (STUDY_BY_ROW["6"].public, STUDY_BY_ROW["6"].private) == (3.501, 3.479)
    assert [r.row for r in STUDY_RESULTS] == [
        "1", "2", "3", "4", "5", "6", "7", "8a", "8", "8-scratch", "9", "DL",
    ]  # fmt: skip


def test_cut_settings_of_reference_run_by_run() -> None:
    # REFERENCE.md "Run by run", column min_pred; "AMS details": the test score used b_r = 0.
    assert STUDY_MIN_PRED == {
        "1": 0.8, "2": 0.8, "3": 0.8, "4": 0.8, "5": 0.8, "6": 0.75, "7": 0.8, "8a": 0.8,
        "8": 0.8, "8-scratch": 0.8, "9": 0.75,
    }  # fmt: skip
    assert STUDY_TEST_B_REG == 0.0


def test_rows_2_8a_and_dl_of_reference_section_5() -> None:
    row2, row8a, dl = STUDY_BY_ROW["2"], STUDY_BY_ROW["8a"], STUDY_BY_ROW["DL"]
    assert (row2.val_max, row2.val_cut, row2.public, row2.private) == (3.098, 3.019, 2.783, 2.825)
    assert (row8a.val_max, row8a.val_cut, row8a.public, row8a.private) == (
        3.885, 3.783, 3.379, 3.516,
    )  # fmt: skip
    assert (dl.val_max, dl.public, dl.private) == (None, 2.830, 2.837)
