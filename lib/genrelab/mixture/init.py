"""Where EM starts: the user's initial parameters checked, or initial responsibilities drawn.

:func:`check_initial` validates ``weights_init`` / ``means_init`` / ``precisions_init`` of
:class:`genrelab.mixture.em.GaussianMixtureEM` against the shapes its covariance type needs;
:func:`initial_responsibilities` draws the starting responsibilities of one initialization
(k-means++ seeds, a full k-means run, random responsibilities or random points), as
scikit-learn's ``GaussianMixture`` does.
"""

from __future__ import annotations

import numpy as np
from sklearn.cluster import KMeans, kmeans_plusplus

from genrelab.mixture import em_math


def check_initial(weights_init, means_init, precisions_init, n_components, n_features, ct):
    """The user's initial weights/means/precisions as float arrays of the right shape (or None).

    ``ct`` is the covariance type; a wrong shape, weights that do not sum to 1, or precisions
    that are not symmetric positive definite raise a ``ValueError`` naming the argument.
    """
    k, d = n_components, n_features
    weights = means = precisions = None
    if weights_init is not None:
        weights = np.asarray(weights_init, dtype=np.float64)
        if weights.shape != (k,):
            raise ValueError(f"weights_init must have shape ({k},), got {weights.shape}")
        if (
            np.any(weights < 0)
            or np.any(weights > 1)
            or not np.isclose(weights.sum(), 1.0, atol=1e-8, rtol=0)
        ):
            raise ValueError(f"weights_init must lie in [0, 1] and sum to 1, got {weights}")
    if means_init is not None:
        means = np.asarray(means_init, dtype=np.float64)
        if means.shape != (k, d):
            raise ValueError(f"means_init must have shape ({k}, {d}), got {means.shape}")
    if precisions_init is not None:
        precisions = np.asarray(precisions_init, dtype=np.float64)
        shape = {"full": (k, d, d), "tied": (d, d), "diag": (k, d), "spherical": (k,)}[ct]
        if precisions.shape != shape:
            raise ValueError(
                f"precisions_init for covariance_type={ct!r} must have shape {shape}, "
                f"got {precisions.shape}"
            )
        if ct in ("full", "tied"):
            if not np.allclose(precisions, precisions.swapaxes(-1, -2)):
                raise ValueError(f"precisions_init ({ct}) must be symmetric")
            if not em_math.is_positive_definite(precisions):
                raise ValueError(f"precisions_init ({ct}) must be positive definite")
        elif np.any(precisions <= 0):
            raise ValueError(f"precisions_init ({ct}) must be positive")
    return weights, means, precisions


def initial_responsibilities(X, n_components: int, init: str, random_state) -> np.ndarray:
    """Responsibilities ``(n_samples, n_components)`` to start one EM run from.

    ``init`` is one of ``kmeans++`` (one-hot at k-means++ seeds), ``kmeans`` (a full k-means
    run), ``random`` (uniform, normalized) or ``random_points`` (one-hot at random rows).
    """
    n, k = X.shape[0], n_components
    if init == "random":
        resp = random_state.uniform(size=(n, k))
        resp /= resp.sum(axis=1)[:, None]
        return resp
    resp = np.zeros((n, k))
    if init == "kmeans":
        labels = KMeans(n_clusters=k, n_init=1, random_state=random_state).fit(X).labels_
        resp[np.arange(n), labels] = 1.0
    elif init == "random_points":
        resp[random_state.choice(n, size=k, replace=False), np.arange(k)] = 1.0
    else:  # kmeans++
        _, indices = kmeans_plusplus(X, k, random_state=random_state)
        resp[indices, np.arange(k)] = 1.0
    return resp
