"""From a config entry to an encoder: which values it reads, how it draws, where each feature is.

The one place that knows every encoding kind; the workflow steps and the example panels go
through it, so adding a kind means adding it here (and to the config schema).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from supertml.encoding.glyphs import bundled_font_path, load_font
from supertml.encoding.pixels import BlockLayout, block_layout, encode_pixels
from supertml.encoding.text import (
    TextLayout,
    TextStyle,
    encode_text,
    equal_font_layout,
    variable_font_layout,
)

__all__ = ["Encoder", "make_encoder"]

#: A feature's pixel box in the image: (row0, row1, col0, col1), half-open.
Box = tuple[int, int, int, int]

#: A representative longest HiggsML value at the given decimals (values stay below 10**4).
_WIDEST_INTEGER_PART = "-8888"


@dataclass(frozen=True)
class Encoder:
    """A resolved encoding for a given feature order.

    ``reads`` says which prepared values it takes: ``"scaled"`` (standard-scaled, NaN where
    undefined) for pixels, ``"physical"`` (unscaled, NaN where undefined) for text, which
    prints the values a physicist would recognise.
    """

    spec: Mapping[str, Any]
    features: tuple[str, ...]
    reads: Literal["scaled", "physical"]
    layout: BlockLayout | TextLayout
    style: TextStyle | None = None

    @property
    def size(self) -> int:
        """Image side in pixels."""
        return int(self.spec["size"])

    def encode(self, values: npt.ArrayLike) -> npt.NDArray[np.uint8]:
        """uint8 images ``[N, size, size]`` of values ``[N, F]`` in :attr:`features` order."""
        if isinstance(self.layout, BlockLayout):
            return encode_pixels(np.asarray(values, dtype=np.float64), self.features, self.layout)
        return encode_text(values, self.features, self.layout, self.style)

    def boxes(self) -> list[Box]:
        """Where each feature is drawn (for the feature map of the example panels).

        Pixels: the block. Text: the ink box of a typical widest value at its font size.
        """
        if isinstance(self.layout, BlockLayout):
            return self.layout.boxes()
        assert self.style is not None
        decimals = self.style.decimals
        text = _WIDEST_INTEGER_PART + ("." + "8" * decimals if decimals else "")
        boxes = []
        for (x, y), font_size in zip(self.layout.positions, self.layout.font_sizes, strict=True):
            x0, y0, x1, y1 = load_font(self.style.font_path, font_size).getbbox(text)
            boxes.append((y + int(y0), y + int(y1), x + int(x0), x + int(x1)))
        return boxes


def make_encoder(spec: Mapping[str, Any], features: Sequence[str]) -> Encoder:
    """Build the encoder of a (defaults-filled) config entry for features in this order.

    >>> enc = make_encoder({"kind": "pixels", "layout": "squares", "size": 56}, ["a", "b"])
    >>> enc.encode(np.zeros((1, 2))).shape
    (1, 56, 56)
    """
    order = tuple(features)
    kind = spec["kind"]
    if kind == "pixels":
        layout = block_layout(spec["layout"], len(order), spec["size"])
        return Encoder(spec=spec, features=order, reads="scaled", layout=layout)
    if kind == "text":
        # .get: entries resolved before undefined_text existed print undefined values as zero.
        # .get: entries resolved before the font key existed drew FreeMonoBold.
        font_path = spec["font_path"] or bundled_font_path(spec.get("font", "FreeMonoBold"))
        style = TextStyle(
            font_path=font_path,
            font_size=spec["font_size"],
            decimals=spec["decimals"],
            undefined_text=spec.get("undefined_text"),
        )
        if spec["min_font_size"] is None:
            text_layout = equal_font_layout(
                len(order), spec["size"], n_cols=spec["n_cols"], font_size=spec["font_size"]
            )
        else:
            text_layout = variable_font_layout(
                len(order),
                spec["size"],
                max_font_size=spec["font_size"],
                min_font_size=spec["min_font_size"],
                style=style,
            )
        return Encoder(spec=spec, features=order, reads="physical", layout=text_layout, style=style)
    raise ValueError(f"unknown encoding kind {kind!r}")
