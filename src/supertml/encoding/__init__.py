"""Table rows to images: pixel and text encoders, the encoder registry and the HDF5 cache."""

from __future__ import annotations

from supertml.encoding.cache import (
    FORMAT_VERSION,
    ImageCache,
    ImageCacheWriter,
    ImageChunk,
    check_image_cache,
    iter_image_chunks,
    read_image_cache,
    write_image_cache,
)
from supertml.encoding.pixels import (
    JET_NUM_FEATURE,
    BlockLayout,
    block_layout,
    encode_pixels,
    pixel_intensities,
    rectangle_layout,
    square_layout,
)
from supertml.encoding.text import (
    TextLayout,
    TextStyle,
    encode_text,
    equal_font_layout,
    variable_font_layout,
)

__all__ = [
    "FORMAT_VERSION",
    "JET_NUM_FEATURE",
    "BlockLayout",
    "ImageCache",
    "ImageCacheWriter",
    "ImageChunk",
    "TextLayout",
    "TextStyle",
    "block_layout",
    "check_image_cache",
    "encode_pixels",
    "encode_text",
    "equal_font_layout",
    "iter_image_chunks",
    "pixel_intensities",
    "read_image_cache",
    "rectangle_layout",
    "square_layout",
    "variable_font_layout",
    "write_image_cache",
]
