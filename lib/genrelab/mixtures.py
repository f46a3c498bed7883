"""Choosing and reading Gaussian mixtures: the BIC grid and the seed study's "mean distance".

Example
-------
>>> import numpy as np
>>> from genrelab import mixtures
>>> X = np.random.default_rng(0).normal(size=(300, 2))
>>> grid = mixtures.bic_grid(X, [1, 2], ["full"], random_state=0)
>>> int(mixtures.best_by_bic(grid)["n_components"])
1
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from functools import partial
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state

from . import execution
from .em import COVARIANCE_TYPES, GaussianMixtureEM

if TYPE_CHECKING:  # the optional Dask extra
    from distributed import Client

__all__ = ["mean_distance", "bic_grid", "best_by_bic"]


# --- the seed study's statistic and model selection -----------------------------------------
def mean_distance(X, means, resp) -> float:
    """The seed study's "mean distance": the probability-weighted distance of points to the means.

    ``(1 / n) * sum_i sum_k resp[i, k] * ||X[i] - means[k]||``: how far, on average, a point
    lies from the components it is attributed to (in the units of ``X``).

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
    means : array-like of shape (n_components, n_features)
    resp : array-like of shape (n_samples, n_components)
        Posterior probabilities, e.g. ``gmm.predict_proba(X)``.

    Returns
    -------
    float

    Examples
    --------
    >>> mean_distance([[0.0, 0.0], [3.0, 4.0]], [[0.0, 0.0]], [[1.0], [1.0]])
    2.5
    """
    X, means, resp = (np.asarray(a, dtype=np.float64) for a in (X, means, resp))
    if X.ndim != 2 or means.ndim != 2 or resp.shape != (X.shape[0], means.shape[0]):
        raise ValueError(
            f"shapes do not fit: X {X.shape}, means {means.shape}, resp {resp.shape} "
            "(expected (n, d), (k, d), (n, k))"
        )
    sq = (X * X).sum(1)[:, None] - 2 * X @ means.T + (means * means).sum(1)[None, :]
    return float((resp * np.sqrt(np.maximum(sq, 0.0))).sum() / X.shape[0])


def _fit_cell(X, n_components: int, covariance_type: str, params: dict) -> dict:
    """One cell of :func:`bic_grid`: fit, then the table's row (here or on a Dask worker)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # the table says it
        gmm = GaussianMixtureEM(
            n_components=n_components, covariance_type=covariance_type, **params
        ).fit(X)
    bic, aic = gmm._criteria(X)
    return {
        "n_components": int(n_components),
        "covariance_type": covariance_type,
        "bic": bic,
        "aic": aic,
        "lower_bound": gmm.lower_bound_,
        "n_parameters": gmm._n_parameters(),
        "n_iter": gmm.n_iter_,
        "converged": bool(gmm.converged_),
        "n_samples": len(X),
    }


def bic_grid(
    X,
    n_components: Iterable[int] = range(1, 11),
    covariance_types: Iterable[str] = COVARIANCE_TYPES,
    *,
    max_samples: int | None = None,
    scheduler: str | Client | None = None,
    **params,
) -> pd.DataFrame:
    """Fit a mixture for every (number of components, covariance type) and tabulate BIC/AIC.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
    n_components : iterable of int
    covariance_types : iterable of str
    max_samples : int, optional
        Fit on a random subset of this many rows (drawn with ``random_state``) to keep a
        large grid quick; ``None`` or 0 uses every row.
    scheduler : str, distributed.Client or None
        Where the fits run (:mod:`genrelab.execution`): empty reads ``GENRELAB_DASK_SCHEDULER``
        and, when that is empty too, fits one after the other here; ``"local:N"`` or
        ``"tcp://host:8786"`` fits every cell as a Dask task (``X`` scattered once, a progress
        bar). With an integer ``random_state`` the table is the same either way.
    **params
        Passed to :class:`GaussianMixtureEM` (``random_state``, ``n_init``, ``max_iter``, ...).

    Returns
    -------
    pandas.DataFrame
        One row per fit, tidy: ``n_components``, ``covariance_type``, ``bic``, ``aic``,
        ``lower_bound`` (mean log-likelihood per sample), ``n_parameters``, ``n_iter``,
        ``converged``, ``n_samples`` (rows fitted).

    Raises
    ------
    genrelab.execution.TaskError
        On a cluster, for the first cell whose fit failed (naming the cell).

    Examples
    --------
    >>> import numpy as np
    >>> X = np.random.default_rng(0).normal(size=(300, 2))
    >>> grid = bic_grid(X, [1, 2], ["full", "spherical"], random_state=0)
    >>> best = best_by_bic(grid)
    >>> int(best["n_components"]), best["covariance_type"]
    (1, 'spherical')
    """
    X = np.asarray(X, dtype=np.float64)
    if max_samples and len(X) > max_samples:
        rng = check_random_state(params.get("random_state"))
        X = X[np.sort(rng.choice(len(X), max_samples, replace=False))]
    cells = [
        {"n_components": int(k), "covariance_type": ct}
        for ct in covariance_types
        for k in n_components
    ]
    with execution.cluster(scheduler) as client:
        if client is None:
            rows = [_fit_cell(X, **cell, params=params) for cell in cells]
        else:
            outcomes = execution.map_tasks(
                partial(_fit_cell, params=params),
                cells,
                client,
                shared={"X": X},
                desc="BIC grid",
                unit="fit",
            )
            rows = execution.values(outcomes, labels=cells)
    return pd.DataFrame(rows)


def best_by_bic(grid: pd.DataFrame) -> pd.Series:
    """The row of :func:`bic_grid`'s table with the lowest BIC."""
    return grid.loc[grid["bic"].idxmin()]


def bic_sentence(grid: pd.DataFrame) -> str:
    """What the BIC grid chose, and whether the choice sits at the grid's largest k (the curve
    still falling: more components would still pay), as one Markdown sentence."""
    best = best_by_bic(grid)
    k, ct = int(best["n_components"]), best["covariance_type"]
    largest = int(grid["n_components"].max())
    text = f"BIC is lowest at **k = {k}** with `{ct}` covariances"
    if k == largest:
        return (
            f"{text}, the largest k in the grid: the curve is still falling, so more components "
            "would still pay, and the chosen k says more about the grid than about the data."
        )
    return f"{text}, inside the grid (k from {int(grid['n_components'].min())} to {largest})."
