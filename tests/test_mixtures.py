"""The BIC grid's sentence: what it chose, and whether the choice is at the grid's edge."""

from __future__ import annotations

import numpy as np

from genrelab import mixtures


def _grid(X, ks):
    return mixtures.bic_grid(X, ks, ["full"], random_state=0)


def test_a_choice_inside_the_grid_is_said_so():
    X = np.random.default_rng(0).normal(size=(300, 2))
    text = mixtures.bic_sentence(_grid(X, [1, 2, 3]))
    assert (
        text
        == "BIC is lowest at **k = 1** with `full` covariances, inside the grid (k from 1 to 3)."
    )


def test_a_choice_at_the_largest_k_warns_that_the_curve_still_falls():
    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal(c, 0.3, size=(150, 2)) for c in (0, 5, 10)])
    text = mixtures.bic_sentence(_grid(X, [1, 2]))
    assert text.startswith("BIC is lowest at **k = 2**")
    assert "the largest k in the grid: the curve is still falling" in text
