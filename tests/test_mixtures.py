"""Choosing and reading mixtures: the BIC sentence, the choice, the clusters against genres."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from genrelab import mixture


def _grid(X, ks):
    return mixture.bic_grid(X, ks, ["full"], random_state=0)


def test_a_choice_inside_the_grid_is_said_so():
    X = np.random.default_rng(0).normal(size=(300, 2))
    text = mixture.bic_sentence(_grid(X, [1, 2, 3]))
    assert (
        text
        == "BIC is lowest at **k = 1** with `full` covariances, inside the grid (k from 1 to 3)."
    )


def test_a_choice_at_the_largest_k_warns_that_the_curve_still_falls():
    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal(c, 0.3, size=(150, 2)) for c in (0, 5, 10)])
    text = mixture.bic_sentence(_grid(X, [1, 2]))
    assert text.startswith("BIC is lowest at **k = 2**")
    assert "the largest k in the grid: the curve is still falling" in text


# --- notebook 04's part 1 as small results ------------------------------------------------------
def _three_blobs():
    rng = np.random.default_rng(1)
    X = np.vstack([rng.normal(c, 0.3, size=(100, 2)) for c in (0, 5, 10)])
    return X, np.repeat(["a", "b", "c"], 100)


def test_separated_blobs_are_found_and_recorded():
    X, genres = _three_blobs()
    choice = mixture.choose_by_bic(X, [1, 2, 3, 4], ["full", "spherical"], random_state=0)
    assert choice.k == 3 and not choice.at_grid_edge and choice.n_samples == 300
    assert choice.table().shape == (4, 2)
    chosen = mixture.fit_clusters(X, genres, choice.k, choice.covariance_type, random_state=0)
    assert chosen.ari > 0.99 and chosen.ami > 0.99
    one_per_genre = mixture.fit_clusters(X, genres, 3, "full", random_state=0)
    metrics = mixture.genre_metrics(choice, chosen, one_per_genre)
    assert metrics["k_bic"] == 3 and metrics["k_genres"]["k"] == 3
    assert metrics["ari_vs_genre"] == chosen.ari and metrics["bic"] == chosen.gmm.bic(X)


def test_seed_mixture_places_the_song_and_names_a_missing_column():
    X, _ = _three_blobs()
    tracks = pd.DataFrame(X, columns=["acousticness", "energy"])
    fit = mixture.seed_mixture(tracks, ["acousticness", "energy"], [10.0, 10.0], random_state=0)
    far = int(np.argmax(fit.gmm.means_[:, 0]))  # the component nearer the song
    assert fit.posterior[far] > 0.99 and np.isclose(fit.posterior.sum(), 1)
    assert fit.table()["tracks"].sum() == len(tracks)
    assert fit.metrics()["mean_distance"] == fit.mean_distance > 0
    with pytest.raises(ValueError, match=r"no column \['valence'\]"):
        mixture.seed_mixture(tracks, ["acousticness", "valence"], [0.1, 0.2])
    with pytest.raises(ValueError, match="2 features"):
        mixture.seed_mixture(tracks, ["acousticness", "energy"], [0.1])
