"""Text encodings (SuperTML_EF and SuperTML_VF): each feature's value written into the image.

One topic, hence one module of about 560 lines: the text images' layouts (equal and
variable font), their style and the vectorised drawing that must match Pillow's pixel for
pixel.

The study's text images (REFERENCE.md section 5, runs 1 and 9; Strong 2019, notebook
``image_formatter-HiggsML``): 224 px, white text on black, FreeMonoBold 13, each value written
with ``f"{x:.3f}"`` by Pillow's ``ImageDraw.text``, feature i at
``x = (0.25 + i mod 2) * size // 2``, ``y = (i div 2) * 2 * size // n`` (n features).

Decisions, each a physicist may want to know:

* **Undefined values** (NaN here, -999 in the raw data) are written as ``0.000``: the study
  zeroed undefined values and its images show ``0.000`` in their place (the notebook's
  de-processed table prints 0.000 for e.g. ``DER_deltaeta_jet_jet`` of 0-jet events).
  ``TextStyle.undefined_text`` changes it; ``None`` means zero in the chosen format.
  The study's float32 round trip also printed 0-jet ``PRI_jet_num`` as ``-0.000``; from exact
  physical values this module prints ``0.000`` (``-0.0`` itself prints ``-0.000``, as Python).
* **Numbers** equal Python's ``f"{x:.{decimals}f}"`` character for character: the value is
  multiplied by ``10**decimals`` with an error-free product (Dekker), so the rounding to an
  integer is the correctly rounded, half-to-even one that Python's formatting does on the exact
  binary value. This holds for ``|x| < 2**53 / 10**decimals`` (9.0e12 at 3 decimals); larger or
  infinite values are rejected.
* **Positions** are whole pixels. The study's ``//`` already floors them; whole pixels matter
  because Pillow renders a fractional position with a sub-pixel offset, which a glyph bank
  rendered at (0, 0) would not reproduce.
* **Rendering** composes pre-rendered glyphs (:mod:`supertml.encoding.glyphs`) with numpy and
  is pixel-identical to drawing each string with ``ImageDraw.text`` in feature order on a black
  ``L`` image (the study drew on RGB with white; every channel equals the ``L`` image). Pillow
  lays each glyph, and then each string, over what is there:
  ``out = m + old * (255 - m) / 255`` with libImaging's rounding
  (:func:`supertml.encoding.glyphs.over`). Where no two glyphs or strings can share a pixel
  (FreeMonoBold 13 numbers; the study's 224 px rows are 14 to 15 px apart for 10 px of ink)
  that equals a maximum or a copy, which is used because it is faster; otherwise (small
  images, small fonts) the exact rule is applied in Pillow's order. Tests compare with
  Pillow at 224, 112 and 64 px and at font size 8, where glyphs touch.
* **Other fonts**: a font whose strings are not its glyphs side by side (Pillow's bitmap font
  of the study's run 1, Liberation Sans standing in for run 2's Arial) is drawn by Pillow
  itself, string by string: the same images, about a millisecond each.
* **Variable font** (SuperTML_VF, paper's variant; not run by the study): see
  :func:`variable_font_layout`.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from PIL import Image, ImageDraw

from supertml.encoding.glyphs import (
    GlyphBank,
    GroupTables,
    NotComposableError,
    glyph_bank,
    group_tables,
    load_font,
    over,
)

__all__ = [
    "MAX_DECIMALS",
    "TextLayout",
    "TextStyle",
    "encode_text",
    "equal_font_layout",
    "format_ascii",
    "format_values",
    "max_abs_value",
    "variable_font_layout",
    "variable_font_sizes",
]

#: Most decimals supported: 10**decimals must stay below 2**26 for the exact product.
MAX_DECIMALS = 6
_DIGITS = "0123456789"
_BASE_CHARSET = " -." + _DIGITS
# Integers below 2**53 have at most 16 decimal digits.
_MAX_INT_DIGITS = 16


@dataclass(frozen=True)
class TextStyle:
    """How values are written: font file and default size, decimals, text of undefined values.

    ``font_path=None`` is the packaged FreeMonoBold (:data:`~supertml.encoding.glyphs.
    BITMAP_FONT` is Pillow's bitmap font); ``undefined_text=None`` is zero in the
    chosen format (``"0.000"`` at 3 decimals, what the study's images show). ``font_size`` is
    the size :func:`equal_font_layout` is called with; :func:`encode_text` draws every feature
    at its layout's size.
    """

    font_path: str | None = None
    font_size: int = 13
    decimals: int = 3
    undefined_text: str | None = None

    def __post_init__(self) -> None:
        if self.font_size < 1:
            raise ValueError(f"TextStyle.font_size must be >= 1, got {self.font_size}")
        if not 0 <= self.decimals <= MAX_DECIMALS:
            raise ValueError(
                f"TextStyle.decimals must be in 0..{MAX_DECIMALS}, got {self.decimals}"
            )
        text = self.undefined_text
        if text is not None and (not text or any(not 33 <= ord(c) < 127 for c in text)):
            raise ValueError(
                "TextStyle.undefined_text must be non-empty printable ASCII without spaces, "
                f"got {text!r}"
            )

    @property
    def undefined(self) -> str:
        """The text written for an undefined value."""
        if self.undefined_text is None:
            return f"{0.0:.{self.decimals}f}"
        return self.undefined_text

    @property
    def charset(self) -> str:
        """Every character a string of this style can contain."""
        return "".join(sorted(set(_BASE_CHARSET) | set(self.undefined)))

    @property
    def max_length(self) -> int:
        """Longest string this style can produce: sign, 16 digits, point, decimals."""
        number = 1 + _MAX_INT_DIGITS + (1 + self.decimals if self.decimals else 0)
        return max(number, len(self.undefined))


@dataclass(frozen=True)
class TextLayout:
    """Where and how large each feature's text is drawn in a ``size x size`` image.

    ``positions[i]`` is the whole-pixel ``(x, y)`` passed to ``ImageDraw.text`` for feature i
    (its top-left anchor, Pillow's default ``"la"``); ``font_sizes[i]`` its font size.
    """

    size: int
    positions: tuple[tuple[int, int], ...]
    font_sizes: tuple[int, ...]

    def __post_init__(self) -> None:
        if self.size < 1:
            raise ValueError(f"TextLayout.size must be >= 1, got {self.size}")
        if len(self.positions) != len(self.font_sizes):
            raise ValueError(
                f"TextLayout has {len(self.positions)} positions but {len(self.font_sizes)} "
                "font sizes"
            )
        if not self.positions:
            raise ValueError("TextLayout needs at least one feature")
        if any(s < 1 for s in self.font_sizes):
            raise ValueError(f"TextLayout font sizes must be >= 1, got {self.font_sizes}")

    @property
    def n_features(self) -> int:
        """Number of features laid out."""
        return len(self.positions)


def equal_font_layout(
    n_features: int, size: int, *, n_cols: int = 2, font_size: int = 13
) -> TextLayout:
    """The study's SuperTML_EF layout (REFERENCE.md section 5, "Layouts").

    Feature i is drawn at ``x = floor((0.25 + i mod n_cols) * size / n_cols)``,
    ``y = floor((i div n_cols) * size / n_rows)`` with ``n_rows = ceil(n_features / n_cols)``.
    For 2 columns and an even number of features this is exactly the study's
    ``((0.25 + i % 2) * size // 2, (i // 2) * 2 * size // n)``: at 224 px and 30 features,
    x in {28, 140} and rows 14 or 15 px apart. (The study's ``2 * size / n`` pushes the last
    row of an odd n off the image; ``size / n_rows`` does not.)
    """
    if n_features < 1 or size < 1 or n_cols < 1:
        raise ValueError(
            f"n_features, size and n_cols must be >= 1, got {n_features}, {size}, {n_cols}"
        )
    n_rows = math.ceil(n_features / n_cols)
    positions = tuple(
        (
            math.floor((0.25 + i % n_cols) * size / n_cols),
            (i // n_cols) * size // n_rows,
        )
        for i in range(n_features)
    )
    return TextLayout(size=size, positions=positions, font_sizes=(font_size,) * n_features)


def variable_font_sizes(n_features: int, max_font_size: int, min_font_size: int) -> list[int]:
    """Font size of each importance rank: linear from max (rank 0) to min (last rank), rounded.

    ``round(max - (max - min) * r / (n - 1))`` (Python's round); one feature gets ``max``.
    """
    if n_features < 1:
        raise ValueError(f"n_features must be >= 1, got {n_features}")
    if not 1 <= min_font_size <= max_font_size:
        raise ValueError(
            f"need 1 <= min_font_size <= max_font_size, got {min_font_size}, {max_font_size}"
        )
    if n_features == 1:
        return [max_font_size]
    span = max_font_size - min_font_size
    return [round(max_font_size - span * r / (n_features - 1)) for r in range(n_features)]


def _shelf_pack(
    boxes: Sequence[tuple[int, int, int, int]], size: int, gap: int
) -> list[tuple[int, int]] | None:
    """Draw positions for ink boxes ``(x0, y0, x1, y1)`` (relative to the draw point) packed
    in shelves, or None if they do not fit."""
    positions: list[tuple[int, int]] = []
    cursor_x, shelf_y, shelf_height = 0, 0, 0
    for x0, y0, x1, y1 in boxes:
        width, height = x1 - x0, y1 - y0
        if width > size:
            return None
        if cursor_x + width > size:  # start a new shelf below the tallest box of this one
            cursor_x, shelf_y, shelf_height = 0, shelf_y + shelf_height + gap, 0
        if shelf_y + height > size:
            return None
        positions.append((cursor_x - x0, shelf_y - y0))
        cursor_x += width + gap
        shelf_height = max(shelf_height, height)
    return positions


def variable_font_layout(
    n_features: int,
    size: int,
    *,
    max_font_size: int,
    min_font_size: int,
    style: TextStyle | None = None,
    max_int_digits: int = 4,
    gap: int = 1,
) -> TextLayout:
    """SuperTML_VF layout (Sun et al. 2019, section 3): more important features in larger text.

    Features are given in importance order (feature 0 most important). Sizes follow
    :func:`variable_font_sizes`. Each feature reserves the ink box of the longest string it is
    expected to show, ``max_int_digits`` integer digits with sign and ``style.decimals``
    decimals (``-1234.567`` by default; HiggsML values stay below 10**4) or the undefined
    text, measured from the glyph bank of its size. Boxes are shelf-packed: left to right with
    ``gap`` pixels between them, a new shelf below the tallest box of the last one when the
    row is full. If they do not fit, all sizes are multiplied by a common factor
    ``1 - 0.05 j`` (j = 1, 2, ..., rounded, at least 1) until they do. Longer strings than
    reserved run past their box (and are clipped at the border), as in the study's layout.

    Raises
    ------
    ValueError
        If even font size 1 does not fit.
    """
    style = TextStyle() if style is None else style
    if max_int_digits < 1:
        raise ValueError(f"max_int_digits must be >= 1, got {max_int_digits}")
    base = variable_font_sizes(n_features, max_font_size, min_font_size)
    n_chars = max(
        1 + max_int_digits + (1 + style.decimals if style.decimals else 0), len(style.undefined)
    )
    for step in range(20):
        factor = 1.0 - 0.05 * step
        sizes = [max(1, round(s * factor)) for s in base]
        banks = {s: _bank(style, s) for s in set(sizes)}
        boxes = [banks[s].ink_box(n_chars) for s in sizes]
        positions = _shelf_pack(boxes, size, gap)
        if positions is not None:
            return TextLayout(size=size, positions=tuple(positions), font_sizes=tuple(sizes))
    raise ValueError(
        f"{n_features} features of up to {n_chars} characters do not fit a {size} px image "
        f"even at 5% of font sizes {max_font_size}..{min_font_size}"
    )


def _as_values(values: npt.ArrayLike, decimals: int) -> npt.NDArray[np.float64]:
    array = np.asarray(values, dtype=np.float64)
    if array.ndim != 2:
        raise ValueError(f"values must be a 2-d array [events, features], got shape {array.shape}")
    if np.isinf(array).any():
        raise ValueError("values contain infinities; mark undefined values with NaN")
    limit = max_abs_value(decimals)
    with np.errstate(invalid="ignore"):
        too_large = np.abs(array) >= limit
    if too_large.any():
        raise ValueError(
            f"values must satisfy |x| < 2**53 / 10**{decimals} = {limit:.4g} to be formatted "
            f"exactly; largest is {np.nanmax(np.abs(array)):.6g}"
        )
    return array


def _round_scaled(magnitude: npt.NDArray[np.float64], decimals: int) -> npt.NDArray[np.int64]:
    """``round(magnitude * 10**decimals)`` to the nearest integer, ties to even, on exact values.

    Dekker's product: ``p + e == magnitude * 10**decimals`` exactly, since 10**decimals has
    fewer than 27 significant bits and ``magnitude * 10**decimals < 2**53`` (checked by the
    caller). With ``r = rint(p)`` and ``d = p - r`` (exact), the exact value is ``r + d + e``,
    so comparing e with ``0.5 - d`` and ``-(0.5 + d)`` decides whether to step r up or down,
    and equality is a true tie. Those limits are exact for p >= 1/4 (d is then a multiple of
    2**-54 in [-1/2, 1/2], or Sterbenz applies), and below that |e| < 2**-55 is far from them.
    Tested against f-strings on exact binary ties, their neighbours and random values.
    """
    scale = float(10**decimals)
    p = magnitude * scale
    split = magnitude * 134217729.0  # 2**27 + 1
    high = split - (split - magnitude)
    low = magnitude - high
    e = (high * scale - p) + low * scale
    r = np.rint(p)
    d = p - r
    r_int = r.astype(np.int64)
    odd = (r_int % 2) == 1
    up_limit = 0.5 - d
    down_limit = -(0.5 + d)
    up = (e > up_limit) | ((e == up_limit) & odd)
    down = (e < down_limit) | ((e == down_limit) & odd)
    result: npt.NDArray[np.int64] = r_int + up.astype(np.int64) - down.astype(np.int64)
    return result


def format_ascii(
    values: npt.ArrayLike, *, decimals: int = 3, undefined_text: str = "0.000"
) -> npt.NDArray[np.uint8]:
    """ASCII codes of ``f"{x:.{decimals}f}"`` for every value, without a per-value loop.

    Returns ``uint8 [N, F, L]``, left-aligned and padded with code 0, L the longest string;
    NaN gives ``undefined_text``. ``codes.view(f"S{L}")[..., 0]`` are the strings as bytes.
    """
    array = _as_values(values, decimals)
    n_events, n_features = array.shape
    undefined = np.isnan(array)
    negative = np.signbit(array) & ~undefined  # -0.0 and -0.0004 print "-0.000" as in Python
    magnitude = np.where(undefined, 0.0, np.abs(array))
    scaled = _round_scaled(magnitude, decimals)
    integer = scaled // 10**decimals
    n_int = np.ones(array.shape, dtype=np.int64)
    for j in range(1, _MAX_INT_DIGITS):
        n_int += integer >= 10**j
    sign = negative.astype(np.int64)
    number_length = sign + n_int + (1 + decimals if decimals else 0)
    length = np.where(undefined, len(undefined_text), number_length)
    width = int(length.max()) if length.size else 1
    codes = np.zeros((n_events, n_features, width), dtype=np.uint8)
    if codes.size == 0:
        return codes
    # Digit e of the integer ``scaled`` counts from the right, so the last decimal is e = 0.
    n_exponents = int(n_int.max()) + decimals
    powers = 10 ** np.arange(n_exponents, dtype=np.int64)
    digits = ((scaled[..., None] // powers) % 10).astype(np.uint8) + np.uint8(ord("0"))
    # t: place within the unsigned number; integer digit t has exponent n_int - 1 - t + d,
    # the point is at t = n_int, fraction digit t has exponent n_int + d - t.
    t = np.arange(width, dtype=np.int32) - sign[..., None].astype(np.int32)
    n_int3 = n_int[..., None].astype(np.int32)
    exponent = np.where(t < n_int3, n_int3 - 1 - t + decimals, n_int3 + decimals - t)
    np.clip(exponent, 0, n_exponents - 1, out=exponent)
    chars = np.take_along_axis(digits, exponent, axis=2)
    chars[t == n_int3] = ord(".")
    chars[t < 0] = ord("-")
    chars[np.arange(width) >= length[..., None]] = 0
    codes[...] = chars
    undefined_codes = np.zeros(width, dtype=np.uint8)
    undefined_codes[: len(undefined_text)] = np.frombuffer(undefined_text.encode("ascii"), np.uint8)
    codes[undefined] = undefined_codes
    return codes


def format_values(
    values: npt.ArrayLike, *, decimals: int = 3, undefined_text: str = "0.000"
) -> npt.NDArray[np.str_]:
    """The strings :func:`format_ascii` encodes, as a ``str`` array ``[N, F]``."""
    codes = format_ascii(values, decimals=decimals, undefined_text=undefined_text)
    as_bytes = np.ascontiguousarray(codes).view(f"S{codes.shape[2]}")[..., 0]
    result: npt.NDArray[np.str_] = as_bytes.astype(np.str_)
    return result


def max_abs_value(decimals: int) -> float:
    """Largest magnitude (exclusive) that :func:`format_ascii` formats exactly."""
    return float(2**53) / float(10**decimals)


def _position_chars(style: TextStyle, n_chars: int) -> list[str]:
    """Characters that can occur at each string position: a sign only first."""
    undefined = style.undefined
    return [
        ("-" if k == 0 else "") + "." + _DIGITS + (undefined[k] if k < len(undefined) else "")
        for k in range(n_chars)
    ]


def _bank(style: TextStyle, font_size: int) -> GlyphBank:
    return glyph_bank(style.font_path, font_size, style.max_length, style.charset)


def _any_overlap(boxes: Sequence[tuple[int, int, int, int]]) -> bool:
    """Whether any two half-open boxes ``(x0, y0, x1, y1)`` share a pixel."""
    array = np.array(boxes)
    x0, y0, x1, y1 = (array[:, j] for j in range(4))
    overlap = (
        (x0[:, None] < x1[None, :])
        & (x0[None, :] < x1[:, None])
        & (y0[:, None] < y1[None, :])
        & (y0[None, :] < y1[:, None])
    )
    np.fill_diagonal(overlap, False)
    return bool(overlap.any())


def _clip(start: int, length: int, size: int) -> tuple[int, int]:
    return max(start, 0), min(start + length, size)


def _string_masks(codes: npt.NDArray[np.uint8], tables: GroupTables) -> npt.NDArray[np.uint8]:
    """Ink of one feature's strings, ``uint8 [n, height, width]`` over ``tables``' box."""
    n_events, n_chars = codes.shape
    group, base = tables.group, tables.n_symbols
    n_padded = len(tables.tables) * group
    symbols = np.zeros((n_events, n_padded), dtype=np.intp)
    symbols[:, :n_chars] = tables.symbols[codes]
    weights = base ** np.arange(group, dtype=np.intp)
    combos = symbols.reshape(n_events, len(tables.tables), group) @ weights
    mask = np.take(tables.tables[0], combos[:, 0], axis=0)
    buffer = np.empty_like(mask)
    for g in range(1, len(tables.tables)):
        np.take(tables.tables[g], combos[:, g], axis=0, out=buffer)
        if tables.disjoint:
            np.maximum(mask, buffer, out=mask)
        else:  # glyphs share pixels: lay them over each other in string order, as Pillow
            over(mask, buffer, out=mask)
    return mask


def _blend_into(
    image: npt.NDArray[np.uint8], mask: npt.NDArray[np.uint8], x0: int, y0: int
) -> None:
    """Pillow's white-ink fill through a mask (libImaging Paste.c ``fill_mask_L``, BLEND with
    DIV255): ``out = round((old * (255 - m) + 255 * m) / 255)``, the mask's (0, 0) at (x0, y0)."""
    height, width = mask.shape[1:]
    row0, row1 = _clip(y0, height, image.shape[1])
    col0, col1 = _clip(x0, width, image.shape[2])
    if row0 >= row1 or col0 >= col1:
        return
    view = image[:, row0:row1, col0:col1]
    over(view, mask[:, row0 - y0 : row1 - y0, col0 - x0 : col1 - x0], out=view)


def _drawn_by_pillow(
    array: npt.NDArray[np.float64], layout: TextLayout, style: TextStyle, chunk_size: int
) -> npt.NDArray[np.uint8]:
    """The images of :func:`encode_text` drawn string by string with ``ImageDraw.text``: for
    fonts whose strings are not their glyphs side by side (Pillow's bitmap font, proportional
    fonts such as Liberation Sans). Slower (about a millisecond an image), same contract."""
    fonts = {s: load_font(style.font_path, s) for s in set(layout.font_sizes)}
    size = layout.size
    out = np.zeros((array.shape[0], size, size), dtype=np.uint8)
    for start in range(0, array.shape[0], chunk_size):
        codes = format_ascii(
            array[start : start + chunk_size],
            decimals=style.decimals,
            undefined_text=style.undefined,
        )
        for i, row in enumerate(codes):
            canvas = Image.new("L", (size, size), 0)
            draw = ImageDraw.Draw(canvas)
            for (x, y), font_size, text in zip(
                layout.positions, layout.font_sizes, row, strict=True
            ):
                string = text.tobytes().rstrip(b"\0").decode("ascii")
                draw.text((x, y), string, fill=255, font=fonts[font_size])
            out[start + i] = np.asarray(canvas)
    return out


def encode_text(
    values: npt.ArrayLike,
    feature_names: Sequence[str],
    layout: TextLayout,
    style: TextStyle | None = None,
    *,
    chunk_size: int = 1024,
) -> npt.NDArray[np.uint8]:
    """Write every event's values into a ``uint8 [N, size, size]`` image, white on black.

    Parameters
    ----------
    values
        ``[N, F]`` physical (unscaled) feature values in the order of ``feature_names``; NaN
        marks an undefined value.
    feature_names
        The F feature names (checked for count and duplicates only).
    layout
        Position and font size of each feature (:func:`equal_font_layout`,
        :func:`variable_font_layout`).
    style
        Font file, decimals and undefined text; ``style.font_size`` is not used here.
    chunk_size
        Events per step. Besides the output, a step holds one feature's string masks,
        ``chunk_size x height x width`` bytes (0.7 MB per 1024 events for 9 characters at size
        13), and integer temporaries of ``chunk_size x F x characters`` (about 10 MB); the
        glyph tables take at most 8 MB per group of characters and font size.

    Returns
    -------
    Images identical to drawing ``f"{x:.{decimals}f}"`` of each feature, in feature order, with
    Pillow's ``ImageDraw.text((x, y), text, fill=255, font=font)`` on a black ``L`` image.
    """
    style = TextStyle() if style is None else style
    array = _as_values(values, style.decimals)
    names = list(feature_names)
    if array.shape[1] != len(names):
        raise ValueError(
            f"values has {array.shape[1]} feature columns but {len(names)} feature names were given"
        )
    if len(set(names)) != len(names):
        duplicates = sorted(name for name, count in Counter(names).items() if count > 1)
        raise ValueError(f"duplicate feature names: {duplicates}")
    if layout.n_features != len(names):
        raise ValueError(f"layout is for {layout.n_features} features but {len(names)} were given")
    if chunk_size < 1:
        raise ValueError(f"chunk_size must be >= 1, got {chunk_size}")
    size = layout.size
    try:
        banks = {s: _bank(style, s) for s in set(layout.font_sizes)}
    except NotComposableError:
        return _drawn_by_pillow(array, layout, style, chunk_size)
    tables: dict[tuple[int, int], GroupTables] = {}
    out = np.zeros((array.shape[0], size, size), dtype=np.uint8)
    for start in range(0, array.shape[0], chunk_size):
        stop = min(start + chunk_size, array.shape[0])
        codes = format_ascii(
            array[start:stop], decimals=style.decimals, undefined_text=style.undefined
        )
        image = out[start:stop]
        n_chars = codes.shape[2]
        for font_size, bank in banks.items():
            if (font_size, n_chars) not in tables:
                tables[font_size, n_chars] = group_tables(
                    bank, n_chars, position_chars=_position_chars(style, n_chars)
                )
        feature_tables = [tables[s, n_chars] for s in layout.font_sizes]
        boxes = [
            (x + t.x0, y + t.y0, x + t.x0 + t.width, y + t.y0 + t.height)
            for (x, y), t in zip(layout.positions, feature_tables, strict=True)
        ]
        # Without overlap each pixel gets ink from one string only, and Pillow's blend onto
        # black is the mask itself, so the mask is copied; otherwise blend as Pillow does.
        blend = _any_overlap(boxes)
        for f, (box, t) in enumerate(zip(boxes, feature_tables, strict=True)):
            mask = _string_masks(codes[:, f], t)
            if blend:
                _blend_into(image, mask, box[0], box[1])
                continue
            row0, row1 = _clip(box[1], t.height, size)
            col0, col1 = _clip(box[0], t.width, size)
            if row0 < row1 and col0 < col1:
                image[:, row0:row1, col0:col1] = mask[
                    :, row0 - box[1] : row1 - box[1], col0 - box[0] : col1 - box[0]
                ]
    return out
