"""Tests of supertml.encoding.pixels: intensities, block layout, whole images."""

from __future__ import annotations

import math

import numpy as np
import pytest

from supertml.constants import FEATURES
from supertml.encoding.pixels import (
    BlockLayout,
    block_layout,
    encode_pixels,
    pixel_intensities,
    rectangle_layout,
    square_layout,
)

JET = FEATURES.index("PRI_jet_num")

# (scaled value, grey level worked out by hand from round(255 / (1 + exp(-x)))).
HAND_VALUES = [
    (0.0, 128),  # 127.5 exactly: half-to-even and half-up agree
    (math.nan, 0),  # undefined -> black
    (40.0, 255),
    (-40.0, 0),
    (1.0, 186),  # 186.42
    (-1.0, 69),  # 68.58
    (2.0, 225),  # 224.60
    (-2.0, 30),  # 30.40
    (0.5, 159),  # 158.73
    (-0.5, 96),  # 96.27
    (3.0, 243),  # 242.91
    (-3.0, 12),  # 12.09
]


def _hand_event() -> tuple[np.ndarray, list[int]]:
    """One event over the 30 table-order features, and its 30 expected grey levels."""
    # Cycling 12 values over 30 blocks makes horizontal (i, i+1) and vertical (i, i+6)
    # neighbours differ, so a misplaced block shows.
    pairs = [HAND_VALUES[i % len(HAND_VALUES)] for i in range(len(FEATURES))]
    pairs[JET] = (2.0, 170)  # 2 * 255 / 3, not through the sigmoid
    values = np.array([[v for v, _ in pairs]])
    return values, [g for _, g in pairs]


def _image_by_loops(levels: list[int], size: int, width: int, height: int) -> np.ndarray:
    """The layout rule written out pixel by pixel, independently of BlockLayout."""
    image = np.zeros((size, size), dtype=np.uint8)
    for y in range(size):
        for x in range(size):
            col, row = x // width, y // height
            index = row * 6 + col
            if col < 6 and index < len(levels):
                image[y, x] = levels[index]
    return image


def test_intensities_of_hand_values() -> None:
    values = np.array([[v for v, _ in HAND_VALUES]])
    names = [f"f{i}" for i in range(len(HAND_VALUES))]
    got = pixel_intensities(values, names)
    assert got.dtype == np.uint8
    assert got.tolist() == [[g for _, g in HAND_VALUES]]


def test_intensities_match_study_formula_on_random_values() -> None:
    values = np.random.default_rng(1).normal(scale=3.0, size=(50, 4))
    expected = [[round(255 / (1 + math.exp(-x))) for x in row] for row in values.tolist()]
    assert pixel_intensities(values, ["a", "b", "c", "d"]).tolist() == expected


def test_extreme_values_saturate_without_warnings() -> None:
    # pytest turns an overflow RuntimeWarning into an error, so this also checks stability.
    values = np.array([[1e308, -1e308, np.inf, -np.inf, 800.0, -800.0]])
    got = pixel_intensities(values, list("abcdef"))
    assert got.tolist() == [[255, 0, 255, 0, 255, 0]]


def test_jet_num_is_scaled_linearly_and_clipped() -> None:
    values = np.array([[0.0], [1.0], [2.0], [3.0], [5.0], [-1.0], [np.nan]])
    got = pixel_intensities(values, ["PRI_jet_num"])
    assert got[:, 0].tolist() == [0, 85, 170, 255, 255, 0, 0]


def test_rounding_is_half_to_even() -> None:
    # 1 * 255 / 510 = 0.5 -> 0 and 3 * 255 / 510 = 1.5 -> 2 (half-up would give 1 and 2).
    got = pixel_intensities(np.array([[1.0], [3.0]]), ["PRI_jet_num"], jet_num_max=510.0)
    assert got[:, 0].tolist() == [0, 2]


def test_intensities_reject_bad_input() -> None:
    with pytest.raises(ValueError, match="2-d"):
        pixel_intensities(np.zeros(3), ["a", "b", "c"])
    with pytest.raises(ValueError, match="3 feature columns but 2"):
        pixel_intensities(np.zeros((1, 3)), ["a", "b"])
    with pytest.raises(ValueError, match="duplicate"):
        pixel_intensities(np.zeros((1, 2)), ["a", "a"])
    with pytest.raises(ValueError, match="jet_num_max"):
        pixel_intensities(np.zeros((1, 1)), ["a"], jet_num_max=0.0)


def test_layout_geometry_56() -> None:
    layout = square_layout(30, 56)
    assert (layout.n_rows, layout.n_cols) == (5, 6)
    assert (layout.block_height, layout.block_width) == (11, 9)
    # The study's formulas (REFERENCE.md section 5) at 56 px.
    assert (layout.block_width, layout.block_height) == (56 // 6, 6 * 56 // (30 - 1))
    assert layout.box(0) == (0, 11, 0, 9)
    assert layout.box(7) == (11, 22, 9, 18)
    assert layout.box(29) == (44, 55, 45, 54)
    assert len(layout.boxes()) == 30


def test_layout_geometry_224() -> None:
    layout = square_layout(30, 224)
    assert (layout.n_rows, layout.n_cols) == (5, 6)
    assert (layout.block_height, layout.block_width) == (44, 37)
    assert layout.box(29) == (176, 220, 185, 222)
    assert layout.grid_height <= 224
    assert layout.grid_width <= 224


def test_layout_too_small_or_inconsistent() -> None:
    assert square_layout(30, 6).block_width == 1
    with pytest.raises(ValueError, match="too small"):
        square_layout(30, 5)
    with pytest.raises(ValueError, match="cannot hold"):
        BlockLayout(size=56, n_features=30, n_cols=6, n_rows=4, block_height=11, block_width=9)
    with pytest.raises(ValueError, match="do not fit"):
        BlockLayout(size=56, n_features=30, n_cols=6, n_rows=5, block_height=12, block_width=9)
    with pytest.raises(IndexError):
        square_layout(30, 56).box(30)


def test_hand_built_event_image_56() -> None:
    values, levels = _hand_event()
    images = encode_pixels(values, FEATURES, square_layout(30, 56))
    assert images.shape == (1, 56, 56)
    assert images.dtype == np.uint8
    expected = _image_by_loops(levels, size=56, width=9, height=11)
    np.testing.assert_array_equal(images[0], expected)
    # Spot checks read straight off the rule: top-left block is feature 0 (value 0.0), the
    # block right of it feature 1 (undefined), jet_num (22) at row 3, column 4.
    assert images[0, 0, 0] == 128
    assert images[0, 5, 12] == 0
    assert images[0, 33, 36] == 170
    assert not images[0, :, 54:].any()
    assert not images[0, 55, :].any()


def test_many_events_match_loop_rule_whatever_the_chunk_size() -> None:
    rng = np.random.default_rng(7)
    values = rng.normal(size=(7, 30))
    values[rng.random(values.shape) < 0.2] = np.nan
    values[:, JET] = rng.integers(0, 4, size=7)
    layout = square_layout(30, 56)
    images = encode_pixels(values, FEATURES, layout, chunk_size=3)
    levels = pixel_intensities(values, FEATURES)
    for n in range(7):
        expected = _image_by_loops(levels[n].tolist(), size=56, width=9, height=11)
        np.testing.assert_array_equal(images[n], expected)
    np.testing.assert_array_equal(encode_pixels(values, FEATURES, layout), images)


def test_zero_events() -> None:
    images = encode_pixels(np.empty((0, 30)), FEATURES, square_layout(30, 56))
    assert images.shape == (0, 56, 56)
    assert images.dtype == np.uint8


def test_feature_order_permutes_blocks() -> None:
    rng = np.random.default_rng(3)
    values = rng.normal(size=(2, 30))
    values[:, JET] = [1, 3]
    layout = square_layout(30, 56)
    base = encode_pixels(values, FEATURES, layout)
    perm = rng.permutation(30)
    permuted = encode_pixels(values[:, perm], [FEATURES[j] for j in perm], layout)
    assert not np.array_equal(base, permuted)
    for k, j in enumerate(perm):
        r0, r1, c0, c1 = layout.box(k)
        s0, s1, d0, d1 = layout.box(int(j))
        np.testing.assert_array_equal(permuted[:, r0:r1, c0:c1], base[:, s0:s1, d0:d1])


def test_jet_num_is_recognised_by_name() -> None:
    values = np.zeros((1, 30))
    values[0, JET] = 2.0
    renamed = list(FEATURES)
    renamed[JET] = "not_jet_num"
    layout = square_layout(30, 56)
    r0, _, c0, _ = layout.box(JET)
    assert encode_pixels(values, FEATURES, layout)[0, r0, c0] == 170
    assert encode_pixels(values, renamed, layout)[0, r0, c0] == 225  # sigmoid(2)


def test_encode_rejects_mismatched_layout() -> None:
    with pytest.raises(ValueError, match="layout is for 30 features but 29"):
        encode_pixels(np.zeros((1, 29)), FEATURES[:29], square_layout(30, 56))
    with pytest.raises(ValueError, match="chunk_size"):
        encode_pixels(np.zeros((1, 30)), FEATURES, square_layout(30, 56), chunk_size=0)


def test_fewer_features_than_grid_cells_leave_black_cells() -> None:
    layout = square_layout(4, 12, n_cols=3)  # 2 x 3 grid, 4 blocks of 6 x 4 px
    images = encode_pixels(np.full((1, 4), 40.0), ["a", "b", "c", "d"], layout)
    assert images[0, :6, :].min() == 255
    assert images[0, 6:, :4].min() == 255
    assert not images[0, 6:, 4:].any()


def _notebook_rectangles(levels: np.ndarray, size: int) -> np.ndarray:
    """The study's ``event2img`` (notebook ``image_formatter_pixels``), slicing kept verbatim."""
    arr = np.zeros([size, size], dtype=np.uint8)
    width, height = size // 2, 2 * size // (len(levels) - 1)
    for i, f in enumerate(levels):
        arr[
            (i % 2) * width : ((i % 2) + 1) * width, (i // 2) * height : ((i + 2) // 2) * height
        ] = f
    return arr


def test_rectangle_geometry_224_matches_the_study() -> None:
    layout = rectangle_layout(30, 224)
    assert (layout.n_rows, layout.n_cols) == (2, 15)
    # The notebook's width = size // 2 (rows) and height = 2 * size // (n - 1) (columns).
    assert (layout.block_height, layout.block_width) == (224 // 2, 2 * 224 // 29) == (112, 15)
    assert layout.fill == "columns"
    assert layout.clip
    assert layout.box(0) == (0, 112, 0, 15)
    assert layout.box(1) == (112, 224, 0, 15)
    assert layout.box(2) == (0, 112, 15, 30)
    assert layout.box(29) == (112, 224, 210, 224)  # the last column is cut to 14 px
    assert (layout.grid_height, layout.grid_width) == (224, 224)


def test_rectangles_reproduce_the_notebook_pixel_for_pixel() -> None:
    rng = np.random.default_rng(11)
    values = rng.normal(size=(3, 30))
    values[rng.random(values.shape) < 0.2] = np.nan
    values[:, JET] = [0, 2, 3]
    images = encode_pixels(values, FEATURES, rectangle_layout(30, 224))
    levels = pixel_intensities(values, FEATURES)
    for n in range(3):
        np.testing.assert_array_equal(images[n], _notebook_rectangles(levels[n], 224))


def test_hand_built_event_image_rectangles() -> None:
    values, levels = _hand_event()
    image = encode_pixels(values, FEATURES, block_layout("rectangles", 30, 224))[0]
    expected = np.zeros((224, 224), dtype=np.uint8)
    for y in range(224):
        for x in range(224):
            expected[y, x] = levels[(x // 15) * 2 + y // 112]
    np.testing.assert_array_equal(image, expected)
    # Read off the rule: feature 0 (value 0.0) top-left, feature 1 (undefined) below it,
    # jet_num (22) in column 11, top row; feature 29 (value -1.0) in the cut last column.
    assert image[0, 0] == 128
    assert image[200, 3] == 0
    assert image[50, 11 * 15 + 7] == 170
    assert image[223, 223] == 69


@pytest.mark.parametrize("kind", ["squares", "rectangles"])
@pytest.mark.parametrize("n_features", [1, 2, 7, 30, 31])
def test_any_size_gives_disjoint_nonempty_blocks(kind: str, n_features: int) -> None:
    smallest = 15 if kind == "rectangles" else 6
    for size in range(smallest + 1, 300, 7):
        layout = block_layout(kind, n_features, size)  # type: ignore[arg-type]
        owner = np.full((size, size), -1)
        for i, (r0, r1, c0, c1) in enumerate(layout.boxes()):
            assert 0 <= r0 < r1 <= size, (size, i)
            assert 0 <= c0 < c1 <= size, (size, i)
            assert (owner[r0:r1, c0:c1] == -1).all(), f"block {i} overlaps at {size} px"
            owner[r0:r1, c0:c1] = i
        if kind == "rectangles" and n_features > 1:
            widths = [c1 - c0 for _, _, c0, c1 in layout.boxes()]
            # The cut last column keeps at least half a block; an uncut grid leaves < n_cols px.
            assert 2 * min(widths) >= layout.block_width, size
            assert size - layout.grid_width < layout.n_cols, size


def test_rectangles_at_56_fill_the_width_without_cut() -> None:
    layout = rectangle_layout(30, 56)
    # ceil(56 / 15) = 4 would leave the last column 0 px, so 56 // 15 = 3 and 11 px stay black.
    assert (layout.block_height, layout.block_width, layout.clip) == (28, 3, False)
    assert layout.grid_width == 45


def test_block_layout_dispatch_and_errors() -> None:
    assert block_layout("squares", 30, 56) == square_layout(30, 56)
    assert block_layout("rectangles", 30, 224) == rectangle_layout(30, 224)
    with pytest.raises(ValueError, match="unknown pixel layout 'circles'"):
        block_layout("circles", 30, 56)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="too small"):
        rectangle_layout(30, 14)
    with pytest.raises(ValueError, match="even with the last row and column cut"):
        BlockLayout(
            size=20, n_features=4, n_cols=2, n_rows=2, block_height=20, block_width=10, clip=True
        )
    with pytest.raises(ValueError, match="fill"):
        BlockLayout(
            size=20,
            n_features=4,
            n_cols=2,
            n_rows=2,
            block_height=10,
            block_width=10,
            fill="diagonal",  # type: ignore[arg-type]
        )
