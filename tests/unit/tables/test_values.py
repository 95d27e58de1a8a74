"""Values for the encoders: 1-decimal text with 'nan' for missing, train-fitted scaling."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from supertml.data.preprocess import StandardScaler
from supertml.encoding.pixels import encode_pixels, square_layout
from supertml.encoding.text import encode_text, equal_font_layout
from supertml.tables import (
    TableSpec,
    fit_table_scaler,
    load_table,
    scaled_values,
    text_strings,
    text_style,
    text_values,
)


def test_text_is_one_decimal_as_python_prints_it() -> None:
    values = [0.25, 0.35, -0.04, 1234.56, np.nan, 7.0, 2.0]
    frame = pd.DataFrame([values], columns=list("abcdefg"))
    expected = [f"{v:.1f}" for v in values]
    assert expected == ["0.2", "0.3", "-0.0", "1234.6", "nan", "7.0", "2.0"]
    np.testing.assert_array_equal(text_strings(frame), [expected])


def test_adult_like_text_values(adult_like: dict[str, Any]) -> None:
    splits = load_table(TableSpec.from_mapping(adult_like, name="adult"))
    strings = text_strings(splits.train)
    np.testing.assert_array_equal(strings[2], ["38.0", "0.0", "215646.0", "nan"])
    np.testing.assert_array_equal(strings[4, 1], "nan")  # missing category
    np.testing.assert_array_equal(strings[0, 1], "2.0")  # State-gov's code
    assert text_values(splits.train).dtype == np.float64


def test_style_and_missing_text_differs_from_zero() -> None:
    style = text_style(font_size=8)
    assert (style.decimals, style.undefined, style.font_size) == (1, "nan", 8)
    layout = equal_font_layout(2, 32, font_size=8)
    images = encode_text(np.array([[np.nan, 1.0], [0.0, 1.0]]), ["x", "y"], layout, style)
    assert images.shape == (2, 32, 32)
    assert not np.array_equal(images[0], images[1])  # 'nan' is drawn, not '0.0'
    assert images[0].max() > 0


def test_scaler_fits_train_present_values_only() -> None:
    train = pd.DataFrame(
        {
            "a": [1.0, 2.0, np.nan, 3.0],
            "const": [5.0, 5.0, 5.0, 5.0],
            "empty": [np.nan] * 4,
        }
    )
    test = pd.DataFrame({"a": [2.0, np.nan], "const": [6.0, 5.0], "empty": [1.0, np.nan]})
    scaler = fit_table_scaler(train)
    assert scaler.mean == pytest.approx((2.0, 5.0, 0.0))
    assert scaler.std == pytest.approx((np.sqrt(2 / 3), 1.0, 1.0))
    scaled = scaler.scale_columns(train)
    np.testing.assert_allclose(np.nanmean(scaled[:, 0]), 0.0, atol=1e-12)
    np.testing.assert_allclose(np.nanstd(scaled[:, 0]), 1.0)
    assert np.isnan(scaled[2, 0])
    np.testing.assert_allclose(scaler.scale_columns(test), [[0.0, 1.0, 1.0], [np.nan, 0.0, np.nan]])
    assert StandardScaler.from_dict(scaler.to_dict()) == scaler


def test_scaler_errors() -> None:
    scaler = fit_table_scaler(pd.DataFrame({"a": [1.0, 2.0]}))
    with pytest.raises(ValueError, match=r"lacks columns \['a'\]"):
        scaler.scale_columns(pd.DataFrame({"b": [1.0]}))
    with pytest.raises(ValueError, match="infinities"):
        fit_table_scaler(pd.DataFrame({"a": [1.0, np.inf]}))
    with pytest.raises(ValueError, match="finite and positive"):
        StandardScaler(features=("a",), mean=(0.0,), std=(0.0,))


def test_scaled_iris_feeds_the_pixel_encoder() -> None:
    splits = load_table(TableSpec(name="iris", source="iris"))
    scaler, train, test = scaled_values(splits)
    assert train.shape == (120, 4)
    assert test.shape == (30, 4)
    np.testing.assert_allclose(train.mean(axis=0), 0.0, atol=1e-12)
    assert not np.allclose(test.mean(axis=0), 0.0, atol=1e-3)  # test uses the train statistics
    np.testing.assert_allclose(test, (splits.test.to_numpy() - scaler.mean) / scaler.std)
    images = encode_pixels(test, splits.features, square_layout(4, 12))
    assert images.shape == (30, 12, 12)
    assert len(np.unique(images)) > 10
