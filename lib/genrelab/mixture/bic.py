"""Choosing and reading Gaussian mixtures: the BIC grid, the seed study's "mean distance", and
notebook 04's part 1 as small results.

* :func:`seed_mixture` - the seed study's 2-D mixture and its test song (:class:`SeedMixture`);
* :func:`choose_by_bic` - the BIC grid and its choice (:class:`BicChoice`);
* :func:`fit_clusters` - a mixture's clusters against the genre labels (:class:`ClusterFit`);
* :func:`genre_metrics` - the ``gmm`` section of ``metrics.json`` from those.

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
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import adjusted_mutual_info_score, adjusted_rand_score
from sklearn.utils import check_random_state
from tqdm.auto import tqdm

from genrelab import execution, memo
from genrelab.mixture.em import COVARIANCE_TYPES, GaussianMixtureEM

if TYPE_CHECKING:  # the optional Dask extra
    from distributed import Client

__all__ = [
    "mean_distance",
    "bic_grid",
    "best_by_bic",
    "bic_sentence",
    "SeedMixture",
    "seed_mixture",
    "BicChoice",
    "choose_by_bic",
    "ClusterFit",
    "fit_clusters",
    "genre_metrics",
]


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
    """One cell of ``bic_grid``: fit, then the table's row (here or on a Dask worker)."""
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


@memo.cached(ignore=["scheduler"])
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
        ``"tcp://host:8786"`` fits every cell as a Dask task (``X`` scattered once). A progress
        bar counts the fits. With an integer ``random_state`` the table is the same either way.
    **params
        Passed to :class:`~genrelab.mixture.em.GaussianMixtureEM` (``random_state``,
        ``n_init``, ``max_iter``, ...).

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
    cells: list[dict[str, Any]] = [
        {"n_components": int(k), "covariance_type": ct}
        for ct in covariance_types
        for k in n_components
    ]
    with execution.cluster(scheduler) as client:
        if client is None:
            cells_bar = tqdm(cells, desc="BIC grid", unit="fit")  # as the Dask path shows one
            rows = [_fit_cell(X, **cell, params=params) for cell in cells_bar]
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
    """The row of ``bic_grid``'s table with the lowest BIC."""
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


# --- notebook 04, part 1 ----------------------------------------------------------------------
@dataclass(frozen=True)
class SeedMixture:
    """The seed study's mixture on two features, and where its test song falls."""

    features: list[str]
    gmm: GaussianMixtureEM
    X: np.ndarray
    labels: np.ndarray
    mean_distance: float
    test_song: list[float]
    posterior: np.ndarray  # p(component | song), one value per component
    song_log_likelihood: float

    def table(self) -> pd.DataFrame:
        """One row per component: its mean of each feature, weight and tracks."""
        k = self.gmm.n_components
        table = pd.DataFrame(self.gmm.means_, columns=self.features).assign(
            weight=self.gmm.weights_, tracks=np.bincount(self.labels, minlength=k)
        )
        table.index.name = "cluster"
        return table

    def posterior_table(self) -> pd.DataFrame:
        """One row: the posterior probability of each component given the test song."""
        columns = [f"p(cluster {c} | song)" for c in range(self.gmm.n_components)]
        return pd.DataFrame([self.posterior], columns=columns, index=["test song"])

    def metrics(self) -> dict[str, Any]:
        """The ``gmm.seed_2d`` part of ``metrics.json``."""
        return {
            "features": self.features,
            "covariance_type": self.gmm.covariance_type,
            "means": self.gmm.means_,
            "weights": self.gmm.weights_,
            "lower_bound": self.gmm.lower_bound_,
            "mean_distance": self.mean_distance,
            "test_song": self.test_song,
            "test_song_posterior": self.posterior,
        }


def seed_mixture(
    tracks: pd.DataFrame,
    features: Sequence[str],
    test_song: Sequence[float],
    n_components: int = 2,
    covariance_type: str = "diag",
    **params,
) -> SeedMixture:
    """Fit the seed's mixture on the raw ``features`` of ``tracks`` and place ``test_song``.

    ``params`` go to :class:`~genrelab.mixture.em.GaussianMixtureEM` (``n_init``, ``max_iter``,
    ``tol``,
    ``random_state``).
    """
    if missing := [f for f in features if f not in tracks.columns]:
        raise ValueError(
            f"seed_features {list(features)}: the table has no column {missing}; "
            f"choose two of {[c for c in tracks.columns if tracks[c].dtype.kind == 'f']}"
        )
    if len(test_song) != len(features):
        raise ValueError(
            f"the test song has {len(test_song)} values for {len(features)} features {features}"
        )
    X = tracks[list(features)].to_numpy(dtype=float)
    gmm = GaussianMixtureEM(n_components, covariance_type=covariance_type, **params)
    labels = gmm.fit_predict(X)
    song = np.asarray([test_song], dtype=float)
    return SeedMixture(
        features=list(features),
        gmm=gmm,
        X=X,
        labels=labels,
        mean_distance=mean_distance(X, gmm.means_, gmm.predict_proba(X)),
        test_song=list(test_song),
        posterior=gmm.predict_proba(song)[0],
        song_log_likelihood=float(gmm.score_samples(song)[0]),
    )


@dataclass(frozen=True)
class BicChoice:
    """The BIC grid (``bic_grid``) and the (k, covariance type) with the lowest BIC."""

    grid: pd.DataFrame
    k: int
    covariance_type: str

    @property
    def n_samples(self) -> int:
        """Rows the grid was fitted on."""
        return int(self.grid["n_samples"].iloc[0])

    @property
    def at_grid_edge(self) -> bool:
        """The choice is the grid's largest k: more components might still pay."""
        return self.k == int(self.grid["n_components"].max())

    def table(self) -> pd.DataFrame:
        """BIC by number of components (rows) and covariance type (columns)."""
        return self.grid.pivot(index="n_components", columns="covariance_type", values="bic")

    def sentence(self) -> str:
        """The choice in one Markdown sentence (:func:`bic_sentence`)."""
        return bic_sentence(self.grid)


def choose_by_bic(
    X,
    n_components: Iterable[int],
    covariance_types: Iterable[str],
    *,
    max_samples: int | None = None,
    **params,
) -> BicChoice:
    """``bic_grid`` and its lowest BIC (:func:`best_by_bic`)."""
    grid: pd.DataFrame = bic_grid(
        X, n_components, covariance_types, max_samples=max_samples, **params
    )
    best = best_by_bic(grid)
    return BicChoice(grid, int(best["n_components"]), str(best["covariance_type"]))


@dataclass(frozen=True)
class ClusterFit:
    """A mixture fitted on ``X``: its clusters, their agreement with the genres, its BIC."""

    gmm: GaussianMixtureEM
    labels: np.ndarray
    ari: float  # adjusted Rand index of clusters vs genres (0 = chance, 1 = the genres)
    ami: float  # adjusted mutual information, likewise
    bic: float  # on the rows it was fitted on


def fit_clusters(
    X, genres, n_components: int, covariance_type: str = "full", **params
) -> ClusterFit:
    """Fit a :class:`~genrelab.mixture.em.GaussianMixtureEM` on ``X`` and compare its clusters with
    the
    ``genres`` of the same rows (ARI, AMI; NaN when ``genres`` is None). ``params`` go to the
    estimator."""
    X = np.asarray(X, dtype=float)
    gmm = GaussianMixtureEM(n_components, covariance_type=covariance_type, **params)
    labels = gmm.fit_predict(X)
    ari = ami = float("nan")  # no genres (a table without labels): nothing to compare with
    if genres is not None:
        genres = np.asarray(genres)
        ari = float(adjusted_rand_score(genres, labels))
        ami = float(adjusted_mutual_info_score(genres, labels))
    return ClusterFit(gmm=gmm, labels=labels, ari=ari, ami=ami, bic=float(gmm.bic(X)))


def genre_metrics(choice: BicChoice, chosen: ClusterFit, one_per_genre: ClusterFit | None) -> dict:
    """The ``gmm`` section of ``metrics.json``: the BIC choice, the chosen mixture against the
    genres, and the same covariance type with one component per genre (``one_per_genre`` None:
    a table without genres, and the comparisons with them are left out)."""
    if one_per_genre is None:
        return {
            "k_bic": choice.k,
            "covariance_type_bic": choice.covariance_type,
            "bic_n_tracks": choice.n_samples,
            "k_bic_at_grid_edge": choice.at_grid_edge,
            "lower_bound": chosen.gmm.lower_bound_,
            "converged": chosen.gmm.converged_,
            "n_iter": chosen.gmm.n_iter_,
            "bic": chosen.bic,
        }
    return {
        "k_bic": choice.k,
        "covariance_type_bic": choice.covariance_type,
        "bic_n_tracks": choice.n_samples,
        "k_bic_at_grid_edge": choice.at_grid_edge,
        "ari_vs_genre": chosen.ari,
        "ami_vs_genre": chosen.ami,
        "lower_bound": chosen.gmm.lower_bound_,
        "converged": chosen.gmm.converged_,
        "n_iter": chosen.gmm.n_iter_,
        "bic": chosen.bic,
        "k_genres": {
            "k": one_per_genre.gmm.n_components,
            "ari_vs_genre": one_per_genre.ari,
            "ami_vs_genre": one_per_genre.ami,
        },
    }
