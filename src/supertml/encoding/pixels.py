"""Pixel encoding: each feature becomes a uniformly grey block whose brightness is its value.

The study's pixel encoding (REFERENCE.md section 5, runs 3 to 8; Strong 2019, notebook
``image_formatter_pixels-squares``): a standard-scaled feature x is drawn with intensity
``round(255 * sigmoid(x))``, an undefined value stays black, ``PRI_jet_num`` is scaled by
``255 / max``. At 56 px the features are squares on a 6-column grid, feature i at column
``i mod 6`` and row ``i div 6`` (:func:`square_layout`). At 224 px (notebook
``image_formatter_pixels``) they are two rows of tall thin rectangles (:func:`rectangle_layout`).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

__all__ = [
    "JET_NUM_FEATURE",
    "BlockLayout",
    "LayoutKind",
    "block_layout",
    "encode_pixels",
    "pixel_intensities",
    "rectangle_layout",
    "square_layout",
]

#: The one categorical feature: drawn from its integer value, not through the sigmoid.
JET_NUM_FEATURE = "PRI_jet_num"


def _validate_values(
    values: npt.ArrayLike, feature_names: Sequence[str]
) -> npt.NDArray[np.float64]:
    array = np.asarray(values, dtype=np.float64)
    if array.ndim != 2:
        raise ValueError(f"values must be a 2-d array [events, features], got shape {array.shape}")
    if array.shape[1] != len(feature_names):
        raise ValueError(
            f"values has {array.shape[1]} feature columns but {len(feature_names)} feature names "
            "were given"
        )
    if len(set(feature_names)) != len(feature_names):
        duplicates = sorted(name for name, count in Counter(feature_names).items() if count > 1)
        raise ValueError(f"duplicate feature names: {duplicates}")
    return array


def _stable_sigmoid(x: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    # exp(-|x|) lies in (0, 1], so neither branch can overflow for any finite or infinite x
    # (the study's 1 / (1 + exp(-x)) warned of overflow for x < -709).
    z = np.exp(-np.abs(x))
    result: npt.NDArray[np.float64] = np.where(x >= 0, 1.0 / (1.0 + z), z / (1.0 + z))
    return result


def pixel_intensities(
    values: npt.ArrayLike,
    feature_names: Sequence[str],
    *,
    jet_num_max: float = 3.0,
) -> npt.NDArray[np.uint8]:
    """Grey level of every feature of every event.

    Parameters
    ----------
    values
        ``[N, F]`` standard-scaled features in the order of ``feature_names``; NaN marks an
        undefined value (the raw -999.0). ``PRI_jet_num``, if present, is its unscaled integer
        value 0..3.
    feature_names
        The F feature names, in column order.
    jet_num_max
        The largest jet multiplicity; the study divided by the column maximum, 3.

    Returns
    -------
    ``uint8 [N, F]``: ``round(255 * sigmoid(x))`` for scaled features (REFERENCE.md section 5,
    "255*sigmoid(x)"); 0 (black) for undefined values; ``round(value * 255 / jet_num_max)``
    clipped to 0..255 for ``PRI_jet_num``.

    Notes
    -----
    Rounding is numpy's round-half-to-even (``np.rint``), the same as the study's ``np.round``
    and as ``torch.round``, so a later GPU port gives identical bytes. The only half-way case
    that occurs in practice is x = 0 exactly (255 * 0.5 = 127.5), which goes to 128 under
    both half-to-even and half-up.

    The study set undefined values to 0 after scaling and then blacked out every exact 0, so a
    defined value equal to the training mean was also black there; NaN keeps the two apart here.
    """
    array = _validate_values(values, feature_names)
    if not jet_num_max > 0:
        raise ValueError(f"jet_num_max must be positive, got {jet_num_max}")
    scaled = 255.0 * _stable_sigmoid(array)
    names = list(feature_names)
    if JET_NUM_FEATURE in names:
        col = names.index(JET_NUM_FEATURE)
        scaled[:, col] = np.clip(array[:, col] * (255.0 / jet_num_max), 0.0, 255.0)
    # NaN -> 0 after the arithmetic; np.nan_to_num avoids an invalid-cast warning on astype.
    scaled = np.nan_to_num(scaled, nan=0.0)
    return np.rint(scaled).astype(np.uint8)


@dataclass(frozen=True)
class BlockLayout:
    """Where each feature's block lies in a square ``size x size`` image.

    Blocks of ``block_height x block_width`` px tile an ``n_rows x n_cols`` grid from the
    top-left. ``fill="rows"`` puts feature i at grid row ``i // n_cols``, column ``i % n_cols``
    (the study's squares); ``fill="columns"`` puts it at row ``i % n_rows``, column
    ``i // n_rows`` (the study's rectangles, where features 2k and 2k + 1 share a column).
    With ``clip=True`` the last grid row or column may run past the image edge and is cut
    there (the study's rectangles at 224 px); every block must still keep at least 1 px.
    Pixels right of or below the grid stay 0.
    """

    size: int
    n_features: int
    n_cols: int
    n_rows: int
    block_height: int
    block_width: int
    fill: Literal["rows", "columns"] = "rows"
    clip: bool = False

    def __post_init__(self) -> None:
        for name in ("size", "n_features", "n_cols", "n_rows", "block_height", "block_width"):
            if getattr(self, name) < 1:
                raise ValueError(f"BlockLayout.{name} must be >= 1, got {getattr(self, name)}")
        if self.fill not in ("rows", "columns"):
            raise ValueError(f"BlockLayout.fill must be 'rows' or 'columns', got {self.fill!r}")
        if self.n_rows * self.n_cols < self.n_features:
            raise ValueError(
                f"a {self.n_rows} x {self.n_cols} grid cannot hold {self.n_features} features"
            )
        if self.clip:
            # Only the last row / column may be cut, and it must keep at least one pixel.
            fits = (self.n_rows - 1) * self.block_height < self.size and (
                self.n_cols - 1
            ) * self.block_width < self.size
        else:
            fits = (
                self.n_rows * self.block_height <= self.size
                and self.n_cols * self.block_width <= self.size
            )
        if not fits:
            raise ValueError(
                f"{self.n_rows} rows of {self.block_height} px by {self.n_cols} columns of "
                f"{self.block_width} px do not fit a {self.size} px image"
                + (" even with the last row and column cut" if self.clip else "")
            )

    @property
    def grid_height(self) -> int:
        """Pixel rows covered by blocks."""
        return min(self.n_rows * self.block_height, self.size)

    @property
    def grid_width(self) -> int:
        """Pixel columns covered by blocks."""
        return min(self.n_cols * self.block_width, self.size)

    def cell(self, index: int) -> tuple[int, int]:
        """Grid ``(row, column)`` of feature ``index``."""
        if not 0 <= index < self.n_features:
            raise IndexError(f"feature index {index} outside 0..{self.n_features - 1}")
        if self.fill == "rows":
            row, col = divmod(index, self.n_cols)
        else:
            col, row = divmod(index, self.n_rows)
        return row, col

    def box(self, index: int) -> tuple[int, int, int, int]:
        """Half-open pixel box ``(row0, row1, col0, col1)`` of feature ``index``."""
        row, col = self.cell(index)
        row0 = row * self.block_height
        col0 = col * self.block_width
        return (
            row0,
            min(row0 + self.block_height, self.size),
            col0,
            min(col0 + self.block_width, self.size),
        )

    def boxes(self) -> list[tuple[int, int, int, int]]:
        """The boxes of all features, in feature order."""
        return [self.box(i) for i in range(self.n_features)]


def _check_counts(n_features: int, size: int, n_lines: int, lines: str) -> None:
    if n_features < 1 or n_lines < 1 or size < 1:
        raise ValueError(
            f"n_features, {lines} and size must be >= 1, got {n_features}, {n_lines}, {size}"
        )


def _sized_layout(
    size: int,
    n_features: int,
    *,
    n_rows: int,
    n_cols: int,
    block_height: int,
    block_width: int,
    what: str,
    fill: Literal["rows", "columns"] = "rows",
    clip: bool = False,
) -> BlockLayout:
    """The layout, or a ValueError saying the image is too small for 1 px blocks."""
    if block_width < 1 or block_height < 1:
        raise ValueError(
            f"a {size} px image is too small for {n_features} features as {n_rows} x {n_cols} "
            f"{what}: each needs at least 1 px (need size >= {max(n_rows, n_cols)})"
        )
    return BlockLayout(
        size=size,
        n_features=n_features,
        n_cols=n_cols,
        n_rows=n_rows,
        block_height=block_height,
        block_width=block_width,
        fill=fill,
        clip=clip,
    )


def square_layout(n_features: int, size: int, n_cols: int = 6) -> BlockLayout:
    """The study's grid of blocks (REFERENCE.md section 5, run 7: "pixels 56, 6x5 grid of squares").

    General rule: ``n_rows = ceil(n_features / n_cols)``, ``block_width = size // n_cols``,
    ``block_height = size // n_rows``, so the grid always fits the image and leftover pixels
    (fewer than one block) stay black at the right and bottom. Filled row by row.

    For 30 features at 56 px this gives 9 px wide by 11 px high blocks, the same as the study's
    ``size // 6`` and ``6 * size // (n - 1)`` (notebook ``image_formatter_pixels-squares``).
    The study's height formula is not used because it only fits at 56 px: at 224 px it gives
    46 px rows, and 5 x 46 = 230 > 224 (here 44 px).

    Raises
    ------
    ValueError
        If a block would be less than one pixel wide or high.
    """
    _check_counts(n_features, size, n_cols, "n_cols")
    n_rows = math.ceil(n_features / n_cols)
    return _sized_layout(
        size,
        n_features,
        n_rows=n_rows,
        n_cols=n_cols,
        block_height=size // n_rows,
        block_width=size // n_cols,
        what="blocks",
    )


def rectangle_layout(n_features: int, size: int, n_rows: int = 2) -> BlockLayout:
    """The study's thin rectangles (REFERENCE.md section 5, runs 3 to 6: "pixels 224").

    The study (notebook ``image_formatter_pixels``, ``event2img``) filled
    ``arr[(i%2)*w:((i%2)+1)*w, (i//2)*h:((i+2)//2)*h]`` with ``w = size//2`` and
    ``h = 2*size//(n-1)``. Numpy's first axis is the image row, so although the notebook calls
    ``w`` a width, the image has two *rows* of tall rectangles: feature i at row ``i % 2``,
    column ``i // 2`` (filled column by column). At 224 px with 30 features: 15 columns of
    112 x 15 px rectangles, of which the last is cut by the image edge to 14 px
    (14 x 15 = 210; numpy clips the slice 210:225).

    General rule, for any size and feature count: ``n_cols = ceil(n_features / n_rows)``,
    ``block_height = size // n_rows``, and ``block_width = ceil(size / n_cols)`` with the last
    column cut at the edge, as in the study, provided the cut column keeps at least half a
    block; otherwise ``block_width = size // n_cols`` and fewer than ``n_cols`` px stay black
    at the right. At 224 px and 30 features the first branch gives the study's 15 px
    (ceil(224 / 15) = 15, last column 14 px >= 7.5). The study's own ``2*size//(n-1)`` is not
    used as the rule because it is tied to n = 30 and at small sizes leaves wide black margins
    (11 of 56 px at 56 px).

    Raises
    ------
    ValueError
        If a rectangle would be less than one pixel wide or high.
    """
    _check_counts(n_features, size, n_rows, "n_rows")
    n_cols = math.ceil(n_features / n_rows)
    block_height = size // n_rows
    block_width = math.ceil(size / n_cols)
    last_width = size - (n_cols - 1) * block_width
    if 2 * last_width < block_width:
        block_width = size // n_cols
    return _sized_layout(
        size,
        n_features,
        n_rows=n_rows,
        n_cols=n_cols,
        block_height=block_height,
        block_width=block_width,
        what="rectangles",
        fill="columns",
        clip=n_cols * block_width > size,
    )


#: Names of the layouts :func:`block_layout` knows.
LayoutKind = Literal["squares", "rectangles"]


def block_layout(kind: LayoutKind, n_features: int, size: int) -> BlockLayout:
    """The study's layout ``kind`` for ``n_features`` at ``size`` px, with its default grid.

    ``"squares"``: :func:`square_layout` (6 columns; the study's 56 px images);
    ``"rectangles"``: :func:`rectangle_layout` (2 rows; the study's 224 px images).
    """
    if kind == "squares":
        return square_layout(n_features, size)
    if kind == "rectangles":
        return rectangle_layout(n_features, size)
    raise ValueError(f"unknown pixel layout {kind!r}; known: 'squares', 'rectangles'")


def _grid_cells(intensities: npt.NDArray[np.uint8], layout: BlockLayout) -> npt.NDArray[np.uint8]:
    """``[n, n_rows, n_cols]`` grey levels of the grid cells; cells without a feature are 0."""
    n_events = intensities.shape[0]
    cells = np.zeros((n_events, layout.n_rows * layout.n_cols), dtype=np.uint8)
    cells[:, : layout.n_features] = intensities
    if layout.fill == "rows":
        return cells.reshape(n_events, layout.n_rows, layout.n_cols)
    # Column-major: flat index col * n_rows + row; transpose to [n, rows, cols].
    grid: npt.NDArray[np.uint8] = np.ascontiguousarray(
        cells.reshape(n_events, layout.n_cols, layout.n_rows).transpose(0, 2, 1)
    )
    return grid


def encode_pixels(
    values: npt.ArrayLike,
    feature_names: Sequence[str],
    layout: BlockLayout,
    *,
    jet_num_max: float = 3.0,
    chunk_size: int = 8192,
) -> npt.NDArray[np.uint8]:
    """Encode events as ``uint8 [N, size, size]`` images of grey blocks.

    Intensities come from :func:`pixel_intensities` (``jet_num_max`` is passed on); feature i
    fills ``layout.box(i)``; pixels outside every box are 0.
    Events are processed ``chunk_size`` at a time so the intermediates stay small
    (8,192 events x 2 rows x 224 px = 3.7 MB at 224 px) whatever N is. The output itself is
    N x size x size bytes: for splits too large for memory, call this on slices of the events
    and write each slice with :class:`supertml.encoding.cache.ImageCacheWriter`.
    """
    array = _validate_values(values, feature_names)
    if layout.n_features != len(feature_names):
        raise ValueError(
            f"layout is for {layout.n_features} features but {len(feature_names)} were given"
        )
    if chunk_size < 1:
        raise ValueError(f"chunk_size must be >= 1, got {chunk_size}")
    n_events = array.shape[0]
    out = np.zeros((n_events, layout.size, layout.size), dtype=np.uint8)
    # Pixel widths of the grid columns and heights of the grid rows; only the last may be cut.
    col_widths = np.full(layout.n_cols, layout.block_width)
    col_widths[-1] = layout.grid_width - (layout.n_cols - 1) * layout.block_width
    row_edges = [min(r * layout.block_height, layout.size) for r in range(layout.n_rows + 1)]
    for start in range(0, n_events, chunk_size):
        stop = min(start + chunk_size, n_events)
        cells = _grid_cells(
            pixel_intensities(array[start:stop], feature_names, jet_num_max=jet_num_max), layout
        )
        # Widen each cell to a block row once ([n, rows, grid width], contiguous), then
        # broadcast that row down each block's height: the loop runs over grid rows (2 to 5),
        # never over events, and the inner copies run along whole contiguous pixel rows.
        block_rows = np.repeat(cells, col_widths, axis=2)
        for row in range(layout.n_rows):
            out[start:stop, row_edges[row] : row_edges[row + 1], : layout.grid_width] = block_rows[
                :, row, None, :
            ]
    return out
