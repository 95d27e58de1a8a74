"""Table rows to images: encoders (pixels for now) and the HDF5 image cache."""

from __future__ import annotations

from supertml.encoding.cache import FORMAT_VERSION, ImageCache, read_image_cache, write_image_cache
from supertml.encoding.pixels import (
    JET_NUM_FEATURE,
    BlockLayout,
    encode_pixels,
    pixel_intensities,
    square_layout,
)

__all__ = [
    "FORMAT_VERSION",
    "JET_NUM_FEATURE",
    "BlockLayout",
    "ImageCache",
    "encode_pixels",
    "pixel_intensities",
    "read_image_cache",
    "square_layout",
    "write_image_cache",
]
