"""Pixel encoding: each feature becomes a uniformly grey block whose brightness is its value.

The study's pixel encoding (REFERENCE.md section 5, runs 3 to 8; Strong 2019, notebook
``image_formatter_pixels-squares``): a standard-scaled feature x is drawn with intensity
``round(255 * sigmoid(x))``, an undefined value stays black, ``PRI_jet_num`` is scaled by
``255 / max``. At 56 px the features are squares on a 6-column grid, feature i at column
``i mod 6`` and row ``i div 6``.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = [
    "JET_NUM_FEATURE",
    "BlockLayout",
    "encode_pixels",
    "pixel_intensities",
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

    Features fill an ``n_rows x n_cols`` grid row by row from the top-left; feature i occupies
    rows ``[r * block_height, (r + 1) * block_height)`` and columns
    ``[c * block_width, (c + 1) * block_width)`` with ``r = i // n_cols``, ``c = i % n_cols``.
    Pixels right of or below the grid stay 0.
    """

    size: int
    n_features: int
    n_cols: int
    n_rows: int
    block_height: int
    block_width: int

    def __post_init__(self) -> None:
        for name in ("size", "n_features", "n_cols", "n_rows", "block_height", "block_width"):
            if getattr(self, name) < 1:
                raise ValueError(f"BlockLayout.{name} must be >= 1, got {getattr(self, name)}")
        if self.n_rows * self.n_cols < self.n_features:
            raise ValueError(
                f"a {self.n_rows} x {self.n_cols} grid cannot hold {self.n_features} features"
            )
        if (
            self.n_rows * self.block_height > self.size
            or self.n_cols * self.block_width > self.size
        ):
            raise ValueError(
                f"{self.n_rows} rows of {self.block_height} px by {self.n_cols} columns of "
                f"{self.block_width} px do not fit a {self.size} px image"
            )

    @property
    def grid_height(self) -> int:
        """Pixel rows covered by blocks."""
        return self.n_rows * self.block_height

    @property
    def grid_width(self) -> int:
        """Pixel columns covered by blocks."""
        return self.n_cols * self.block_width

    def box(self, index: int) -> tuple[int, int, int, int]:
        """Half-open pixel box ``(row0, row1, col0, col1)`` of feature ``index``."""
        if not 0 <= index < self.n_features:
            raise IndexError(f"feature index {index} outside 0..{self.n_features - 1}")
        row, col = divmod(index, self.n_cols)
        row0 = row * self.block_height
        col0 = col * self.block_width
        return row0, row0 + self.block_height, col0, col0 + self.block_width

    def boxes(self) -> list[tuple[int, int, int, int]]:
        """The boxes of all features, in feature order."""
        return [self.box(i) for i in range(self.n_features)]


def square_layout(n_features: int, size: int, n_cols: int = 6) -> BlockLayout:
    """The study's grid of blocks (REFERENCE.md section 5, run 7: "pixels 56, 6x5 grid of squares").

    General rule: ``n_rows = ceil(n_features / n_cols)``, ``block_width = size // n_cols``,
    ``block_height = size // n_rows``, so the grid always fits the image and leftover pixels
    (fewer than one block) stay black at the right and bottom.

    For 30 features at 56 px this gives 9 px wide by 11 px high blocks, the same as the study's
    ``size // 6`` and ``6 * size // (n - 1)``. The study's height formula is not used because it
    only fits at 56 px: at 224 px it gives 46 px rows, and 5 x 46 = 230 > 224 (here 44 px).

    Raises
    ------
    ValueError
        If a block would be less than one pixel wide or high.
    """
    if n_features < 1 or n_cols < 1 or size < 1:
        raise ValueError(
            f"n_features, n_cols and size must be >= 1, got {n_features}, {n_cols}, {size}"
        )
    n_rows = math.ceil(n_features / n_cols)
    block_width = size // n_cols
    block_height = size // n_rows
    if block_width < 1 or block_height < 1:
        raise ValueError(
            f"a {size} px image is too small for {n_features} features on a {n_rows} x {n_cols} "
            f"grid: each block needs at least 1 px (need size >= {max(n_rows, n_cols)})"
        )
    return BlockLayout(
        size=size,
        n_features=n_features,
        n_cols=n_cols,
        n_rows=n_rows,
        block_height=block_height,
        block_width=block_width,
    )


def encode_pixels(
    values: npt.ArrayLike,
    feature_names: Sequence[str],
    layout: BlockLayout,
    *,
    jet_num_max: float = 3.0,
    chunk_size: int = 65536,
) -> npt.NDArray[np.uint8]:
    """Encode events as ``uint8 [N, size, size]`` images of grey blocks.

    Intensities come from :func:`pixel_intensities` (``jet_num_max`` is passed on); feature i
    fills ``layout.box(i)``; pixels outside every box are 0.
    Events are processed ``chunk_size`` at a time so the float64 intermediates stay small
    (65,536 events x 30 features x 8 B = 16 MB) whatever N is.
    """
    array = _validate_values(values, feature_names)
    if layout.n_features != len(feature_names):
        raise ValueError(
            f"layout is for {layout.n_features} features but {len(feature_names)} were given"
        )
    if chunk_size < 1:
        raise ValueError(f"chunk_size must be >= 1, got {chunk_size}")
    n_events = array.shape[0]
    n_cells = layout.n_rows * layout.n_cols
    out = np.zeros((n_events, layout.size, layout.size), dtype=np.uint8)
    for start in range(0, n_events, chunk_size):
        stop = min(start + chunk_size, n_events)
        cells = np.zeros((stop - start, n_cells), dtype=np.uint8)
        cells[:, : layout.n_features] = pixel_intensities(
            array[start:stop], feature_names, jet_num_max=jet_num_max
        )
        n_chunk = stop - start
        # Widen each cell to a block row once ([n, rows, cols * width], contiguous), then
        # broadcast that row down the block height: about 4x faster than broadcasting the
        # 9 x 11 blocks in a 5-d view, whose tiny inner axes defeat numpy's inner loops.
        block_rows = np.repeat(
            cells.reshape(n_chunk, layout.n_rows, layout.n_cols), layout.block_width, axis=2
        )
        # View of the area covered by blocks as (event, grid row, y in block, x); copy=False
        # makes numpy raise rather than silently write into a copy.
        view = out[start:stop, : layout.grid_height, : layout.grid_width].reshape(
            (n_chunk, layout.n_rows, layout.block_height, layout.grid_width), copy=False
        )
        view[...] = block_rows[:, :, None, :]
    return out
