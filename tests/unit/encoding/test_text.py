"""Tests of supertml.encoding.text: number formatting, layouts, and images against Pillow."""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from pathlib import Path

import matplotlib
import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from supertml.encoding.glyphs import (
    BITMAP_FONT,
    NotComposableError,
    bundled_font_path,
    default_font_path,
    glyph_bank,
    group_tables,
    over,
)
from supertml.encoding.text import (
    MAX_DECIMALS,
    TextLayout,
    TextStyle,
    encode_text,
    equal_font_layout,
    format_ascii,
    format_values,
    max_abs_value,
    variable_font_layout,
    variable_font_sizes,
)

N_FEATURES = 30
NAMES = [f"feature_{i}" for i in range(N_FEATURES)]


def _fstrings(values: np.ndarray, decimals: int, undefined: str) -> np.ndarray:
    """Python's own formatting, value by value: the reference."""
    return np.array(
        [[undefined if math.isnan(x) else f"{x:.{decimals}f}" for x in row] for row in values]
    )


def _real_like_events(n_events: int, seed: int) -> np.ndarray:
    """Physics-like magnitudes (0.001 to 1000), negatives, 15 % undefined, a few huge values."""
    rng = np.random.default_rng(seed)
    values = rng.normal(0.0, 1.0, (n_events, N_FEATURES)) * 10.0 ** rng.uniform(
        -3, 3, (n_events, N_FEATURES)
    )
    values[rng.random(values.shape) < 0.15] = np.nan
    values[0, 1] = -123456789.125  # runs past the right border
    values[1, 0] = 0.0
    values[1, 2] = -0.0
    values[2, 3] = 1e9
    return values


def _pillow_images(
    strings: np.ndarray, layout: TextLayout, font_path: str | None = None
) -> np.ndarray:
    """Draw each event the study's way: ImageDraw.text per feature, in order, on black."""
    path = default_font_path() if font_path is None else font_path
    fonts = {s: ImageFont.truetype(path, s) for s in set(layout.font_sizes)}
    images = []
    for row in strings:
        image = Image.new("L", (layout.size, layout.size), 0)
        draw = ImageDraw.Draw(image)
        for (x, y), size, text in zip(layout.positions, layout.font_sizes, row, strict=True):
            draw.text((x, y), str(text), fill=255, font=fonts[size])
        images.append(np.asarray(image))
    return np.stack(images)


# --- formatting ---------------------------------------------------------------------------


@pytest.mark.parametrize("decimals", range(MAX_DECIMALS + 1))
def test_format_equals_fstring_on_random_values(decimals: int) -> None:
    rng = np.random.default_rng(decimals)
    values = rng.normal(0.0, 1.0, (400, 10)) * 10.0 ** rng.uniform(-7, 6, (400, 10))
    values[rng.random(values.shape) < 0.1] = np.nan
    expected = _fstrings(values, decimals, "0" * (decimals + 1))
    got = format_values(values, decimals=decimals, undefined_text="0" * (decimals + 1))
    np.testing.assert_array_equal(got, expected)


def test_format_equals_fstring_on_exact_ties_and_edges() -> None:
    # k / 2**m with few bits are exact binary ties at 3 decimals (0.0625 -> "0.062" half-even),
    # their neighbours one ulp away must round the other way; decimal "ties" like 0.0005 are
    # not exact in binary and round by their true value.
    ties = np.array([k / 2**m for k in range(1, 200, 2) for m in (3, 4, 5, 6)] + [2.5, 1.5])
    edges = np.array(
        [
            0.0,
            -0.0,
            0.0005,
            -0.0005,
            0.0004999,
            -0.0004,
            0.0015,
            999.9995,
            9.9995,
            1e12,
            -1e12,
            123.4565,
            5e-324,
            -5e-324,
            1e-300,
        ]
    )
    values = np.concatenate([ties, -ties, np.nextafter(ties, 0), np.nextafter(ties, np.inf), edges])
    for decimals in (0, 1, 2, 3):
        column = values[:, None]
        np.testing.assert_array_equal(
            format_values(column, decimals=decimals), _fstrings(column, decimals, "0.000")
        )


def test_format_of_signed_zero_and_small_negatives_matches_python() -> None:
    got = format_values(np.array([[-0.0, -0.0004, 0.0, 0.0004]]))
    assert list(got[0]) == ["-0.000", "-0.000", "0.000", "0.000"]


def test_format_bound_is_exact_and_enforced() -> None:
    limit = max_abs_value(3)
    inside = np.array([[np.nextafter(limit, 0), -np.nextafter(limit, 0), 123456789012.345]])
    np.testing.assert_array_equal(format_values(inside), _fstrings(inside, 3, ""))
    with pytest.raises(ValueError, match="2\\*\\*53"):
        format_values(np.array([[limit]]))
    with pytest.raises(ValueError, match="infinities"):
        format_values(np.array([[np.inf]]))


def test_format_ascii_pads_with_nul_and_writes_undefined_text() -> None:
    codes = format_ascii(np.array([[1.5, np.nan, -10.25]]), undefined_text="nan")
    assert codes.dtype == np.uint8
    assert codes.shape == (1, 3, 7)
    assert bytes(codes[0, 0]) == b"1.500\0\0"
    assert bytes(codes[0, 1]) == b"nan\0\0\0\0"
    assert bytes(codes[0, 2]) == b"-10.250"


# --- the assumptions the glyph bank rests on -----------------------------------------------


def _render(font: ImageFont.FreeTypeFont, text: str) -> np.ndarray:
    image = Image.new("L", (140, 40), 0)
    ImageDraw.Draw(image).text((5, 5), text, fill=255, font=font)
    return np.asarray(image)


def test_packaged_font_at_13_px_composes_numbers_by_maximum() -> None:
    # Why a maximum composes the study's strings exactly: at size 13 each glyph of
    # "-8041.957" drawn alone at its position covers pixels no other glyph covers, and
    # together they are the string Pillow draws.
    font = ImageFont.truetype(default_font_path(), 13)
    text = "-8041.957"
    glyphs = np.array([_render(font, " " * k + c) for k, c in enumerate(text)])
    assert ((glyphs > 0).sum(axis=0) <= 1).all()
    np.testing.assert_array_equal(glyphs.max(axis=0), _render(font, text))
    bank = glyph_bank(None, 13, 12, "-.0123456789")
    digits = ["-.0123456789"] + [".0123456789"] * 8
    assert group_tables(bank, 9, position_chars=digits).disjoint
    # "--" does touch at 13 px, so a bank that allowed "-" anywhere must compose in order.
    assert not group_tables(bank, 9).disjoint


def test_overlapping_glyphs_compose_by_pillows_over_not_maximum() -> None:
    # At 8 px neighbouring glyphs of the packaged font share pixels: Pillow lays each glyph
    # over the string so far (255 - m weighting), which a maximum does not reproduce.
    font = ImageFont.truetype(default_font_path(), 8)
    text = "-8041.957"
    glyphs = [_render(font, " " * k + c) for k, c in enumerate(text)]
    whole = _render(font, text)
    assert (np.max(glyphs, axis=0) != whole).any()
    composed = glyphs[0].copy()
    for glyph in glyphs[1:]:
        over(composed, glyph, out=composed)
    np.testing.assert_array_equal(composed, whole)
    bank = glyph_bank(None, 8, 12, "-.0123456789")
    assert not group_tables(bank, 9, position_chars=["-.0123456789"] + [".0123456789"] * 8).disjoint


def test_over_values_worked_by_hand() -> None:
    # 63 over 8: 63 + round(8 * 192 / 255) = 63 + 6; 1 over 92: 92 + round(163 / 255) = 93.
    below = np.array([8, 92, 0, 200, 255], dtype=np.uint8)
    above = np.array([63, 1, 77, 0, 255], dtype=np.uint8)
    out = np.empty_like(below)
    over(below, above, out=out)
    assert out.tolist() == [69, 93, 77, 200, 255]


def test_overlapping_glyphs_encode_like_pillow() -> None:
    values = _real_like_events(20, seed=11)
    layout = equal_font_layout(N_FEATURES, 224, font_size=8)
    images = encode_text(values, NAMES, layout)
    np.testing.assert_array_equal(images, _pillow_images(_fstrings(values, 3, "0.000"), layout))


def test_white_text_on_rgb_equals_l_image_in_every_channel() -> None:
    # The study drew on an RGB image; one L channel holds the same bytes.
    font = ImageFont.truetype(default_font_path(), 13)
    rgb = Image.new("RGB", (60, 20), (0, 0, 0))
    grey = Image.new("L", (60, 20), 0)
    ImageDraw.Draw(rgb).text((3, 2), "-12.345", fill=(255, 255, 255), font=font)
    ImageDraw.Draw(grey).text((3, 2), "-12.345", fill=255, font=font)
    for channel in range(3):
        np.testing.assert_array_equal(np.asarray(rgb)[..., channel], np.asarray(grey))


def test_glyph_bank_builds_one_window_per_position() -> None:
    bank = glyph_bank(None, 13, 9, "-.0123456789")
    assert bank.n_positions == 9
    assert all(
        w.shape == (128, bank.height, width)
        for w, width in zip(bank.windows, bank.widths, strict=True)
    )
    # Code 0 (padding) and the space draw nothing; a digit does.
    assert not bank.windows[3][0].any()
    assert not bank.windows[3][ord(" ")].any()
    assert bank.windows[3][ord("8")].any()


# --- layouts --------------------------------------------------------------------------------


# 60 and 230 px put x on .5 and .75: there floor (the study's int()) and round differ.
@pytest.mark.parametrize("size", [224, 112, 100, 60, 230])
def test_equal_font_layout_is_the_studys_formula(size: int) -> None:
    layout = equal_font_layout(N_FEATURES, size)
    study = [
        (int((0.25 + (i % 2)) * size // 2), (i // 2) * 2 * size // N_FEATURES)
        for i in range(N_FEATURES)
    ]
    assert list(layout.positions) == study
    assert layout.font_sizes == (13,) * N_FEATURES


def test_equal_font_layout_at_224_px_has_the_studys_coordinates() -> None:
    layout = equal_font_layout(N_FEATURES, 224)
    assert {x for x, _ in layout.positions} == {28, 140}
    assert [y for _, y in layout.positions[::2]] == [
        0,
        14,
        29,
        44,
        59,
        74,
        89,
        104,
        119,
        134,
        149,
        164,
        179,
        194,
        209,
    ]


def test_variable_font_sizes_are_linear_in_rank() -> None:
    assert variable_font_sizes(5, 20, 12) == [20, 18, 16, 14, 12]
    assert variable_font_sizes(1, 20, 12) == [20]
    with pytest.raises(ValueError, match="min_font_size"):
        variable_font_sizes(5, 10, 12)


def _ink_boxes(layout: TextLayout, n_chars: int) -> list[tuple[int, int, int, int]]:
    style = TextStyle()
    boxes = []
    for (x, y), size in zip(layout.positions, layout.font_sizes, strict=True):
        bank = glyph_bank(None, size, style.max_length, style.charset)
        x0, y0, x1, y1 = bank.ink_box(n_chars)
        boxes.append((x + x0, y + y0, x + x1, y + y1))
    return boxes


@pytest.mark.parametrize(("max_size", "min_size"), [(20, 8), (40, 20)])
def test_variable_font_layout_geometry(max_size: int, min_size: int) -> None:
    layout = variable_font_layout(N_FEATURES, 224, max_font_size=max_size, min_font_size=min_size)
    sizes = layout.font_sizes
    assert all(a >= b for a, b in itertools.pairwise(sizes))
    assert sizes[0] > sizes[-1]
    boxes = _ink_boxes(layout, 9)  # "-1234.567", the reserved string
    for i, (x0, y0, x1, y1) in enumerate(boxes):
        assert 0 <= x0 < x1 <= 224
        assert 0 <= y0 < y1 <= 224
        for a0, b0, a1, b1 in boxes[i + 1 :]:
            assert not (x0 < a1 and a0 < x1 and y0 < b1 and b0 < y1)
    if max_size == 40:  # 30 strings of 9 characters at 40 px cannot fit 224 px: scaled down
        assert sizes[0] < 40


def test_variable_font_layout_that_cannot_fit_raises() -> None:
    with pytest.raises(ValueError, match="do not fit a 8 px image"):
        variable_font_layout(N_FEATURES, 8, max_font_size=13, min_font_size=8)


# --- images against Pillow ----------------------------------------------------------------


@pytest.mark.parametrize("size", [224, 112, 64])
def test_equal_font_images_are_pixel_identical_to_pillow(size: int) -> None:
    # 224: the study's images; 112: rows 7 px apart, so strings overlap and Pillow's blend is
    # exercised; 64: columns overlap and long strings run off the border.
    values = _real_like_events(20, seed=size)
    layout = equal_font_layout(N_FEATURES, size)
    images = encode_text(values, NAMES, layout)
    assert images.dtype == np.uint8
    assert images.shape == (20, size, size)
    expected = _pillow_images(_fstrings(values, 3, "0.000"), layout)
    np.testing.assert_array_equal(images, expected)


def test_overlapping_strings_blend_rather_than_max() -> None:
    # Two strings drawn 3 px apart overlap heavily; Pillow's blend differs from a maximum.
    layout = TextLayout(size=40, positions=((2, 2), (4, 5)), font_sizes=(13, 13))
    values = np.array([[8888.888, 8888.888]])
    image = encode_text(values, ["a", "b"], layout)
    expected = _pillow_images(np.array([["8888.888", "8888.888"]]), layout)
    np.testing.assert_array_equal(image, expected)
    first = _pillow_images(np.array([["8888.888"]]), TextLayout(40, ((2, 2),), (13,)))
    second = _pillow_images(np.array([["8888.888"]]), TextLayout(40, ((4, 5),), (13,)))
    assert (np.maximum(first, second) != expected).any()


def test_variable_font_images_are_pixel_identical_to_pillow() -> None:
    values = _real_like_events(20, seed=7)
    layout = variable_font_layout(N_FEATURES, 224, max_font_size=20, min_font_size=8)
    images = encode_text(values, NAMES, layout)
    np.testing.assert_array_equal(images, _pillow_images(_fstrings(values, 3, "0.000"), layout))


def test_undefined_values_are_drawn_as_chosen_text() -> None:
    values = np.full((2, N_FEATURES), np.nan)
    values[1] = 1.0
    layout = equal_font_layout(N_FEATURES, 224)
    default = encode_text(values, NAMES, layout)
    # The study's zeroed undefined values print as 0.000.
    np.testing.assert_array_equal(default[0], _pillow_images(np.full((1, 30), "0.000"), layout)[0])
    style = TextStyle(undefined_text="-999", decimals=2)
    custom = encode_text(values, NAMES, layout, style)
    expected = _pillow_images(np.array([["-999"] * 30, ["1.00"] * 30]), layout)
    np.testing.assert_array_equal(custom, expected)


def test_chunking_does_not_change_images() -> None:
    values = _real_like_events(13, seed=3)
    layout = equal_font_layout(N_FEATURES, 112)
    np.testing.assert_array_equal(
        encode_text(values, NAMES, layout, chunk_size=4), encode_text(values, NAMES, layout)
    )


def test_explicit_font_path_gives_the_same_images() -> None:
    values = _real_like_events(3, seed=4)
    layout = equal_font_layout(N_FEATURES, 224)
    np.testing.assert_array_equal(
        encode_text(values, NAMES, layout, TextStyle(font_path=default_font_path())),
        encode_text(values, NAMES, layout),
    )


def test_a_proportional_font_has_no_glyph_bank_and_is_drawn_by_pillow() -> None:
    # matplotlib (a dependency) ships DejaVu Sans, whose digits are not all one width.
    proportional = str(Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf")
    with pytest.raises(NotComposableError, match="not the composition of its glyphs"):
        glyph_bank(proportional, 13, 9, "-.0123456789")
    values = _real_like_events(4, seed=5)
    layout = equal_font_layout(N_FEATURES, 224)
    np.testing.assert_array_equal(
        encode_text(values, NAMES, layout, TextStyle(font_path=proportional)),
        _pillow_images(_fstrings(values, 3, "0.000"), layout, font_path=proportional),
    )


def test_no_events_gives_an_empty_stack() -> None:
    images = encode_text(np.empty((0, N_FEATURES)), NAMES, equal_font_layout(N_FEATURES, 224))
    assert images.shape == (0, 224, 224)
    assert images.dtype == np.uint8


# --- bad input ----------------------------------------------------------------------------


def _call(values: object, names: Sequence[str], layout: TextLayout) -> None:
    encode_text(values, names, layout)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("values", "names", "n_layout", "message"),
    [
        (np.zeros(N_FEATURES), NAMES, N_FEATURES, "2-d array"),
        (np.zeros((1, N_FEATURES)), NAMES[:-1], N_FEATURES, "29 feature names"),
        (np.zeros((1, 2)), ["a", "a"], 2, "duplicate feature names"),
        (np.zeros((1, N_FEATURES)), NAMES, 10, "layout is for 10 features"),
    ],
)
def test_bad_input_is_rejected(
    values: np.ndarray, names: list[str], n_layout: int, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        _call(values, names, equal_font_layout(n_layout, 224))


def test_missing_font_file_is_named(tmp_path: Path) -> None:
    missing = f"{tmp_path}/NoSuchFont.ttf"
    with pytest.raises(FileNotFoundError, match=r"NoSuchFont\.ttf: font file not found"):
        encode_text(
            np.zeros((1, 2)), ["a", "b"], equal_font_layout(2, 64), TextStyle(font_path=missing)
        )


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"decimals": 7}, "decimals"),
        ({"font_size": 0}, "font_size"),
        ({"undefined_text": "n a"}, "undefined_text"),
        ({"undefined_text": ""}, "undefined_text"),
    ],
)
def test_bad_style_is_rejected(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        TextStyle(**kwargs)  # type: ignore[arg-type]


# --- the study's other fonts: Pillow's bitmap font (run 1), Arial's metrics (run 2) ---------


def test_pillows_bitmap_font_draws_exactly_as_pillow_without_a_font() -> None:
    # Run 1 called ImageDraw.text with no font: in 2019's Pillow that was the bitmap font,
    # which today's Pillow loads only on request (load_default() gives a FreeType font now).
    values = _real_like_events(12, seed=21)
    layout = equal_font_layout(N_FEATURES, 224, font_size=13)
    got = encode_text(values, NAMES, layout, TextStyle(font_path=BITMAP_FONT))
    bitmap = ImageFont.load_default_imagefont()
    assert not isinstance(bitmap, ImageFont.FreeTypeFont)
    strings = _fstrings(values, 3, "0.000")
    for event, row in enumerate(strings):
        image = Image.new("L", (224, 224), 0)
        draw = ImageDraw.Draw(image)
        for (x, y), text in zip(layout.positions, row, strict=True):
            draw.text((x, y), str(text), fill=255, font=bitmap)
        np.testing.assert_array_equal(got[event], np.asarray(image))
    # And it is not the FreeType default: the two fonts draw different pixels.
    assert not np.array_equal(got, encode_text(values, NAMES, layout, TextStyle()))


def test_liberation_sans_is_proportional_and_drawn_exactly_as_pillow() -> None:
    path = bundled_font_path("LiberationSans")
    with pytest.raises(NotComposableError, match="proportional or kerned"):
        glyph_bank(path, 13, 20, "-.0123456789")
    values = _real_like_events(12, seed=22)
    layout = equal_font_layout(N_FEATURES, 224, font_size=13)
    got = encode_text(values, NAMES, layout, TextStyle(font_path=path))
    expected = _pillow_images(_fstrings(values, 3, "0.000"), layout, font_path=path)
    np.testing.assert_array_equal(got, expected)
    # Arial's metrics: the digit advance of Liberation Sans 13 is Arial's 7.23 px (0.556 em).
    font = ImageFont.truetype(path, 13)
    assert font.getlength("0") == pytest.approx(0.556 * 13, abs=0.01)
    assert font.getlength(".") != font.getlength("0")  # proportional


def test_unknown_bundled_font_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown font 'Arial'"):
        bundled_font_path("Arial")
