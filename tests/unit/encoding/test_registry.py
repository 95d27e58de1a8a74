"""Tests of supertml.encoding.registry: config entries to encoders."""

from __future__ import annotations

from typing import Any

import numpy as np

from supertml.config import ENCODING_DEFAULTS
from supertml.encoding.registry import make_encoder
from supertml.encoding.text import TextStyle, encode_text, equal_font_layout

TEXT: dict[str, Any] = {"kind": "text", **ENCODING_DEFAULTS["text"], "size": 48, "decimals": 1}


def test_text_undefined_values_print_the_configured_text() -> None:
    values = np.array([[1.5, np.nan]])
    encoder = make_encoder({**TEXT, "undefined_text": "nan"}, ["a", "b"])
    assert encoder.style is not None
    assert encoder.style.undefined == "nan"
    layout = equal_font_layout(2, 48, font_size=13)
    expected = encode_text(values, ["a", "b"], layout, TextStyle(decimals=1, undefined_text="nan"))
    np.testing.assert_array_equal(encoder.encode(values), expected)
    # The default (null) prints zero, which the "nan" images must differ from.
    zero = make_encoder(TEXT, ["a", "b"]).encode(values)
    assert not np.array_equal(zero, expected)


def test_entry_without_undefined_text_still_prints_zero() -> None:
    entry = {key: value for key, value in TEXT.items() if key != "undefined_text"}
    encoder = make_encoder(entry, ["a"])
    assert encoder.style is not None
    assert encoder.style.undefined == "0.0"
