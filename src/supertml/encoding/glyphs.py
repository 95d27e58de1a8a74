"""Pre-rendered glyph bitmaps of a monospace font, for composing text images with numpy.

Drawing a string with Pillow places glyph j at the pen position ``j * advance`` (sub-pixel:
FreeMonoBold 13 advances 7.796875 px) and lays the glyphs of one string over each other into
its mask (:func:`over`). In a monospace font without kerning a glyph's bitmap therefore depends
only on its character and its position in the string, so each (position k, character c) is
rendered once, as k spaces followed by c drawn at (0, 0), and any string is composed from its
glyphs: by a maximum where they cannot share a pixel, by :func:`over` in order where they can.
Both are checked pixel for pixel against Pillow in ``tests/unit/encoding/test_text.py``.
"""

from __future__ import annotations

import functools
import importlib.resources
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import numpy as np
import numpy.typing as npt
from PIL import Image, ImageDraw, ImageFont

__all__ = [
    "BITMAP_FONT",
    "BUNDLED_FONTS",
    "GlyphBank",
    "GroupTables",
    "NotComposableError",
    "bundled_font_path",
    "default_font_path",
    "glyph_bank",
    "group_tables",
    "load_font",
]

#: Characters are indexed by their ASCII code; code 0 pads strings and, like the space, draws
#: nothing.
N_CODES = 128
# Positions apart of the glyphs rendered together when building a bank.
_STRIDE = 4


def over(
    below: npt.NDArray[np.uint8], above: npt.NDArray[np.uint8], out: npt.NDArray[np.uint8]
) -> None:
    """White ink ``above`` laid over ``below`` the way Pillow does, into ``out``.

    ``below + DIV255(above * (255 - below))`` with libImaging's exact rounding
    ``DIV255(x) = (((x + 128) >> 8) + x + 128) >> 8``: Pillow's ``font_render`` composes the
    glyphs of one string this way (``src + MULDIV255(target, 255 - src)``, the same value since
    the rounded term has the same fraction either way round), and ``ImageDraw.text`` blends a
    string's mask into the image with ``BLEND`` (Paste.c), again the same value for ink 255.
    Where one side is 0 it is the other, so for glyphs that never share a pixel it is a maximum.
    """
    low = below.astype(np.uint16)
    tmp = above.astype(np.uint16) * (255 - low) + 128
    np.add(low, ((tmp >> 8) + tmp) >> 8, out=out, casting="unsafe")


#: The ``font_path`` that names Pillow's built-in bitmap font: what ``ImageDraw.text`` drew
#: without a font in 2019 (the study's run 1); today's Pillow draws a FreeType font instead
#: unless this one is loaded explicitly. It has one size (about 11 px); ``font_size`` is moot.
BITMAP_FONT: Final[str] = "pillow:bitmap"

#: The fonts shipped in ``supertml/fonts`` by the ``font`` names of a text encoding.
BUNDLED_FONTS: Final[dict[str, str]] = {
    "FreeMonoBold": "FreeMonoBold.ttf",  # the study's (runs 9, DL)
    "LiberationSans": "LiberationSans-Regular.ttf",  # Arial's metrics (run 2), SIL OFL
}

Font = ImageFont.FreeTypeFont | ImageFont.ImageFont


class NotComposableError(ValueError):
    """A font whose strings are not their glyphs side by side (proportional, kerned, or
    Pillow's bitmap font): its images are drawn by Pillow itself, string by string."""


def default_font_path() -> str:
    """Path of the packaged FreeMonoBold.ttf, the study's font (REFERENCE.md section 5)."""
    return bundled_font_path("FreeMonoBold")


def bundled_font_path(name: str) -> str:
    """Path of a font shipped with the package (:data:`BUNDLED_FONTS`), or
    :data:`BITMAP_FONT` for ``pillow_bitmap``."""
    if name == "pillow_bitmap":
        return BITMAP_FONT
    if name not in BUNDLED_FONTS:
        raise ValueError(f"unknown font {name!r}; choose pillow_bitmap or {sorted(BUNDLED_FONTS)}")
    return str(importlib.resources.files("supertml") / "fonts" / BUNDLED_FONTS[name])


def load_font(font_path: str | None, font_size: int) -> Font:
    """Open a TrueType font, or Pillow's bitmap font for :data:`BITMAP_FONT`; ``None`` means
    the packaged FreeMonoBold.

    Raises
    ------
    FileNotFoundError, ValueError
        If the file is missing, is not a font Pillow can read, or the size is not positive.
    """
    path = default_font_path() if font_path is None else font_path
    if font_size < 1:
        raise ValueError(f"font size must be >= 1, got {font_size}")
    if path == BITMAP_FONT:
        return ImageFont.load_default_imagefont()
    if not Path(path).is_file():
        raise FileNotFoundError(f"{path}: font file not found")
    try:
        return ImageFont.truetype(path, font_size)
    except OSError as error:
        raise ValueError(f"{path}: not a font file Pillow can read ({error})") from error


@dataclass(frozen=True)
class GlyphBank:
    """Glyph bitmaps for string positions ``0 .. n_positions - 1`` of one font and size.

    ``windows[k]`` is ``uint8 [N_CODES, height, widths[k]]``: the ink of character code c at
    string position k, cropped to columns ``[x0[k], x0[k] + widths[k])`` and rows
    ``[y0, y0 + height)`` relative to the point the string is drawn at. Codes outside the
    rendered character set are blank.
    """

    font_path: str
    font_size: int
    charset: str
    y0: int
    height: int
    x0: tuple[int, ...]
    widths: tuple[int, ...]
    windows: tuple[npt.NDArray[np.uint8], ...]

    @property
    def n_positions(self) -> int:
        """How many string positions were rendered."""
        return len(self.windows)

    def ink_box(self, n_chars: int) -> tuple[int, int, int, int]:
        """Half-open ``(x0, y0, x1, y1)`` holding the ink of any string of <= n_chars characters."""
        if not 1 <= n_chars <= self.n_positions:
            raise ValueError(f"n_chars must be in 1..{self.n_positions}, got {n_chars}")
        x0 = min(self.x0[:n_chars])
        x1 = max(x + w for x, w in zip(self.x0[:n_chars], self.widths[:n_chars], strict=True))
        return x0, self.y0, x1, self.y0 + self.height


def _check_composition(
    font: ImageFont.FreeTypeFont,
    path: str,
    renders: npt.NDArray[np.uint8],
    codes: Sequence[int],
    pad: int,
) -> None:
    """Refuse fonts whose strings are not their glyphs composed (proportional, kerned, or
    glyphs overhanging by more than 1.5 advances): their images would silently differ."""
    n_positions, _, height, width = renders.shape
    for order in (codes, codes[::-1]):
        slots = [codes.index(order[k % len(order)]) for k in range(n_positions)]
        text = "".join(chr(codes[slot]) for slot in slots)
        canvas = Image.new("L", (width, height), 0)
        ImageDraw.Draw(canvas).text((pad, pad), text, fill=255, font=font)
        composed = renders[0, slots[0]].copy()
        for k in range(1, n_positions):
            over(composed, renders[k, slots[k]], out=composed)
        if not np.array_equal(composed, np.asarray(canvas)):
            raise NotComposableError(
                f"{path}: drawing {text!r} is not the composition of its glyphs (a "
                "proportional or kerned font): its text images are drawn by Pillow itself"
            )


@functools.lru_cache(maxsize=32)
def glyph_bank(font_path: str | None, font_size: int, n_positions: int, charset: str) -> GlyphBank:
    """Render every character of ``charset`` at every position ``0 .. n_positions - 1``.

    Cached: a bank of 20 positions x 14 characters takes a few milliseconds to build.
    """
    if n_positions < 1:
        raise ValueError(f"n_positions must be >= 1, got {n_positions}")
    if any(not 32 <= ord(c) < N_CODES - 1 for c in charset):
        raise ValueError(f"charset must be printable ASCII, got {charset!r}")
    path = default_font_path() if font_path is None else font_path
    font = load_font(path, font_size)
    if not isinstance(font, ImageFont.FreeTypeFont):
        raise NotComposableError(f"{path}: a bitmap font is drawn by Pillow itself")
    # A margin of one em on every side holds glyphs that overhang the pen position.
    pad = 2 * font_size
    width = 2 * pad + int(np.ceil(font.getlength(" " * (n_positions + 1))))
    height = 2 * pad + font_size
    codes = sorted({ord(c) for c in charset} - {32})
    renders = np.zeros((n_positions, len(codes), height, width), dtype=np.uint8)
    advance = font.getlength(" ")
    columns = np.arange(width) - pad
    for slot, code in enumerate(codes):
        for phase in range(_STRIDE):
            # c at every _STRIDE-th position: glyphs that far apart cannot touch, so one
            # render gives all their bitmaps (5x fewer renders than one per position). Each
            # column belongs to the position whose pen centre is nearest.
            text = "".join(chr(code) if k % _STRIDE == phase else " " for k in range(n_positions))
            canvas = Image.new("L", (width, height), 0)
            ImageDraw.Draw(canvas).text((pad, pad), text, fill=255, font=font)
            rendered = np.asarray(canvas)
            for k in range(phase, n_positions, _STRIDE):
                centre = (k + 0.5) * advance
                own = np.abs(columns + 0.5 - centre) < _STRIDE * advance / 2
                renders[k, slot][:, own] = rendered[:, own]
    _check_composition(font, path, renders, codes, pad)
    ink_rows = np.flatnonzero(renders.any(axis=(0, 1, 3)))
    if ink_rows.size == 0:
        raise ValueError(f"{path}: font draws no ink for {charset!r} at size {font_size}")
    row0, row1 = int(ink_rows[0]), int(ink_rows[-1]) + 1
    x0: list[int] = []
    widths: list[int] = []
    windows: list[npt.NDArray[np.uint8]] = []
    for k in range(n_positions):
        ink_cols = np.flatnonzero(renders[k].any(axis=(0, 1)))
        if ink_cols.size == 0:  # only blank characters: keep a 1 px blank window
            ink_cols = np.array([pad])
        col0, col1 = int(ink_cols[0]), int(ink_cols[-1]) + 1
        x0.append(col0 - pad)
        widths.append(col1 - col0)
        window = np.zeros((N_CODES, row1 - row0, col1 - col0), dtype=np.uint8)
        window[codes] = renders[k, :, row0:row1, col0:col1]
        windows.append(window)
    return GlyphBank(
        font_path=path,
        font_size=font_size,
        charset=charset,
        y0=row0 - pad,
        height=row1 - row0,
        x0=tuple(x0),
        widths=tuple(widths),
        windows=tuple(windows),
    )


@dataclass(frozen=True)
class GroupTables:
    """Bitmaps of whole groups of ``group`` consecutive characters, at a string's full width.

    For strings of up to ``n_chars`` characters drawn at (0, 0) the ink lies in
    ``bank.ink_box(n_chars)``; ``tables[g][combo]`` is ``uint8 [height, width]`` over that box,
    the maximum of the glyphs of characters ``g * group .. g * group + group - 1`` whose symbols
    (``symbols[ascii code]``, 0 = blank) spell ``combo`` in base ``n_symbols``, least
    significant first. A string is then the maximum of ``ceil(n_chars / group)`` table rows,
    each a contiguous block, which numpy composes far faster than many narrow glyph windows.
    """

    x0: int
    y0: int
    width: int
    height: int
    disjoint: bool
    group: int
    n_symbols: int
    symbols: npt.NDArray[np.intp]
    tables: tuple[npt.NDArray[np.uint8], ...]


def group_tables(
    bank: GlyphBank,
    n_chars: int,
    *,
    position_chars: Sequence[str] | None = None,
    max_bytes: int = 8 << 20,
) -> GroupTables:
    """Build :class:`GroupTables` for strings of up to ``n_chars`` characters of ``bank``.

    ``position_chars[k]`` lists the characters that can occur at string position k (default:
    the whole charset). If no two positions can put ink on the same pixel (``disjoint``; true
    of FreeMonoBold 13 numbers, whose "--" would touch but never occurs; false at 8 px),
    groups are combined by a maximum and the group size is the largest of 3, 2, 1 whose table
    stays under ``max_bytes``. Otherwise glyphs must be laid
    over each other in string order, as Pillow does, and the group size is 1.
    """
    x0, y0, x1, y1 = bank.ink_box(n_chars)
    width, height = x1 - x0, y1 - y0
    chars = sorted({ord(c) for c in bank.charset} - {32})
    symbols = np.zeros(N_CODES, dtype=np.intp)
    symbols[chars] = np.arange(1, len(chars) + 1)
    n_symbols = len(chars) + 1
    singles = []
    for k in range(n_chars):
        full = np.zeros((n_symbols, height, width), dtype=np.uint8)
        col = bank.x0[k] - x0
        full[1:, :, col : col + bank.widths[k]] = bank.windows[k][chars]
        singles.append(full)
    if position_chars is None:
        position_chars = [bank.charset] * n_chars
    coverage = np.zeros((height, width), dtype=np.int64)
    for k, single in enumerate(singles):
        possible = [symbols[ord(c)] for c in position_chars[k] if c != " "]
        coverage += single[possible].any(axis=0)
    disjoint = bool((coverage <= 1).all())
    group = 1
    if disjoint:
        group = next((g for g in (3, 2) if n_symbols**g * width * height <= max_bytes), 1)
    tables = []
    for start in range(0, n_chars, group):
        members = singles[start : start + group]
        table = np.zeros((n_symbols ** len(members), height, width), dtype=np.uint8)
        shape = (n_symbols,) * len(members)
        for j, single in enumerate(members):
            # combo index = sum s_j * n**j, i.e. C order over (s_last, ..., s_0).
            axes = [1] * len(members)
            axes[len(members) - 1 - j] = n_symbols
            expanded = np.broadcast_to(
                single.reshape((*axes, height, width)), (*shape, height, width)
            )
            np.maximum(table, expanded.reshape(table.shape), out=table)
        tables.append(table)
    return GroupTables(
        x0=x0,
        y0=y0,
        width=width,
        height=height,
        disjoint=disjoint,
        group=group,
        n_symbols=n_symbols,
        symbols=symbols,
        tables=tuple(tables),
    )
