"""Exploration helpers: profiles, similarity, and the sentences written from the numbers."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from genrelab import explore


def _table() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    steady = pd.DataFrame({"genre": "steady", "tempo": rng.normal(120, 1, 200)})
    loose = pd.DataFrame({"genre": "loose", "tempo": rng.uniform(70, 170, 200)})
    return pd.concat([steady, loose], ignore_index=True)


def test_the_tempo_sentence_names_the_narrowest_and_widest_label():
    text = explore.tempo_spread_sentence(_table())
    assert text.startswith("**steady** has the narrowest tempo band")
    assert "**loose** spreads widest" in text
    assert "(median 120)" in text


def test_strongest_correlations_in_order_and_sign():
    rng = np.random.default_rng(1)
    a = rng.normal(size=500)
    frame = pd.DataFrame(
        {"a": a, "b": a + 0.3 * rng.normal(size=500), "c": -a + rng.normal(size=500)}
    )
    positive, negative = explore.strongest_correlations(frame.corr(), n=1)
    assert [p[:2] for p in positive] == [("a", "b")]
    assert [p[:2] for p in negative] == [("a", "c")]
    text = explore.correlation_sentence(frame.corr(), n=1)
    assert text.startswith("Strongest together: a and b (r = +0.9")
    assert "Strongest against: a and c (r = -0.6" in text


def test_no_negative_pair_is_said_plainly():
    frame = pd.DataFrame({"a": [1.0, 2, 3, 4], "b": [1.0, 2, 3, 5]})
    assert explore.correlation_sentence(frame.corr()).endswith("Strongest against: none.")


def test_the_shape_sentence_names_the_most_skewed_features_and_their_zeros():
    rng = np.random.default_rng(2)
    frame = pd.DataFrame(
        {
            "normal": rng.normal(size=1000),
            "zeros": np.where(rng.random(1000) < 0.4, 0.0, rng.exponential(size=1000)),
        }
    )
    text = explore.shape_sentence(frame, ["normal", "zeros"], n=1)
    assert text.startswith("The features least like a Gaussian: zeros (|skew| ")
    share = int(re.search(r", (\d+)% of tracks at exactly 0", text).group(1))
    assert 35 <= share <= 45  # 40% drawn at zero
    assert "normal" not in text
