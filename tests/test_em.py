"""GaussianMixtureEM: exact agreement with scikit-learn, EM's properties, degenerate input, API."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.mixture import GaussianMixture
from sklearn.utils.estimator_checks import parametrize_with_checks

from genrelab import schema, tables
from genrelab.mixture.bic import best_by_bic, bic_grid, mean_distance
from genrelab.mixture.em import COVARIANCE_TYPES, GaussianMixtureEM

TOL = 1e-6  # the bar: per-sample lower bound and parameters


# --- helpers ------------------------------------------------------------------------------
def blobs(seed: int, n: int = 600, d: int = 3, k: int = 3, spread: float = 4.0) -> np.ndarray:
    """Points from k Gaussian clusters with random covariances (no exact duplicates)."""
    rng = np.random.default_rng(seed)
    centers = rng.normal(0, spread, (k, d))
    parts = []
    for c, size in zip(centers, rng.multinomial(n, np.full(k, 1 / k))):
        A = rng.normal(0, 1, (d, d)) * 0.5 + np.eye(d)
        parts.append(c + rng.normal(size=(size, d)) @ A)
    return np.vstack(parts)


def initial_point(X: np.ndarray, k: int, covariance_type: str, seed: int = 0) -> dict:
    """The same starting point for both estimators: random rows as means, data precision."""
    rng = np.random.default_rng(seed)
    n, d = X.shape
    means = X[rng.choice(n, k, replace=False)]
    weights = rng.uniform(0.5, 1.5, k)
    cov = np.cov(X.T).reshape(d, d) + 1e-3 * np.eye(d)
    prec = np.linalg.inv(cov)
    scale = rng.uniform(0.5, 2.0, k)  # different precisions per component
    precisions = {
        "full": prec[None] * scale[:, None, None],
        "tied": prec,
        "diag": np.diag(prec)[None] * scale[:, None],
        "spherical": np.full(k, np.trace(prec) / d) * scale,
    }[covariance_type]
    return {
        "weights_init": weights / weights.sum(),
        "means_init": means,
        "precisions_init": precisions,
    }


def fit_both(X, k, covariance_type, max_iter=40, tol=0.0, **params):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ref = GaussianMixture(
            k, covariance_type=covariance_type, max_iter=max_iter, tol=tol, **params
        ).fit(X)
        ours = GaussianMixtureEM(
            k, covariance_type=covariance_type, max_iter=max_iter, tol=tol, **params
        ).fit(X)
    return ref, ours


def assert_same_fit(ref, ours, X, skip_first_bound=False):
    lb_ref, lb_ours = np.asarray(ref.lower_bounds_), ours.lower_bounds_
    assert lb_ours.shape == lb_ref.shape and ours.n_iter_ == ref.n_iter_
    start = 1 if skip_first_bound else 0
    np.testing.assert_allclose(lb_ours[start:], lb_ref[start:], rtol=0, atol=TOL)
    np.testing.assert_allclose(ours.lower_bound_, ref.lower_bound_, rtol=0, atol=TOL)
    for name in ("weights_", "means_", "covariances_", "precisions_cholesky_", "precisions_"):
        np.testing.assert_allclose(
            getattr(ours, name), getattr(ref, name), rtol=TOL, atol=TOL, err_msg=name
        )
    assert ours.converged_ == ref.converged_
    np.testing.assert_allclose(ours.score_samples(X), ref.score_samples(X), rtol=0, atol=TOL)
    np.testing.assert_allclose(ours.predict_proba(X), ref.predict_proba(X), rtol=0, atol=TOL)
    assert (ours.predict(X) == ref.predict(X)).all()
    np.testing.assert_allclose(ours.bic(X), ref.bic(X), rtol=1e-9)
    np.testing.assert_allclose(ours.aic(X), ref.aic(X), rtol=1e-9)


@pytest.fixture(scope="module")
def snapshot_sample() -> np.ndarray:
    """2,000 unique snapshot tracks x the 9 continuous features, standardized."""
    tracks, _ = tables.dedup(tables.load_tracks(invalid="drop"), "keep_first")
    X = tracks[schema.CONTINUOUS_FEATURES].to_numpy(dtype=float)
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    return X[np.random.default_rng(5).choice(len(X), 2000, replace=False)]


# --- the scikit-learn estimator contract ----------------------------------------------------
@parametrize_with_checks([GaussianMixtureEM(n_components=2, random_state=0)])
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


# --- exactness against scikit-learn --------------------------------------------------------
@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_same_path_as_sklearn_from_identical_init_synthetic(covariance_type):
    X = blobs(0)
    ref, ours = fit_both(X, 3, covariance_type, **initial_point(X, 3, covariance_type))
    assert ours.n_iter_ == 40
    assert_same_fit(ref, ours, X)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_same_path_as_sklearn_from_identical_init_snapshot(snapshot_sample, covariance_type):
    X = snapshot_sample
    ref, ours = fit_both(
        X, 5, covariance_type, max_iter=60, **initial_point(X, 5, covariance_type, seed=1)
    )
    assert_same_fit(ref, ours, X)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_same_convergence_as_sklearn_with_default_tol(snapshot_sample, covariance_type):
    X = snapshot_sample
    ref, ours = fit_both(
        X,
        4,
        covariance_type,
        max_iter=500,
        tol=1e-3,
        **initial_point(X, 4, covariance_type, seed=2),
    )
    assert ref.converged_ and ours.converged_
    assert_same_fit(ref, ours, X)


@pytest.mark.parametrize("init", ["kmeans", "random"])
@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_same_random_state_same_fit_as_sklearn(covariance_type, init):
    """kmeans / random initializations draw the same numbers as scikit-learn's, n_init included."""
    X = blobs(1, n=400)
    ref, ours = fit_both(
        X, 3, covariance_type, max_iter=25, init_params=init, random_state=7, n_init=3
    )
    assert_same_fit(ref, ours, X)


@pytest.mark.parametrize(
    "init, sk_init", [("kmeans++", "k-means++"), ("random_points", "random_from_data")]
)
@pytest.mark.parametrize("covariance_type", ["full", "diag", "spherical"])
def test_point_inits_pick_sklearn_seeds(covariance_type, init, sk_init):
    """Same seed points as scikit-learn; only its unnormalized initial weights move the first
    bound."""
    X = blobs(2, n=400)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ref = GaussianMixture(
            3,
            covariance_type=covariance_type,
            init_params=sk_init,
            random_state=3,
            max_iter=20,
            tol=0,
        ).fit(X)
        ours = GaussianMixtureEM(
            3, covariance_type=covariance_type, init_params=init, random_state=3, max_iter=20, tol=0
        ).fit(X)
    assert_same_fit(ref, ours, X, skip_first_bound=True)


def test_n_init_keeps_best_lower_bound():
    X = blobs(3, n=300, k=4, spread=2.0)
    one = GaussianMixtureEM(4, init_params="random", random_state=0, max_iter=200).fit(X)
    many = GaussianMixtureEM(4, init_params="random", random_state=0, max_iter=200, n_init=6).fit(X)
    singles = []
    rs = np.random.RandomState(0)  # the same stream the restarts draw from
    for _ in range(6):
        singles.append(
            GaussianMixtureEM(4, init_params="random", random_state=rs, max_iter=200)
            .fit(X)
            .lower_bound_
        )
    assert many.lower_bound_ == pytest.approx(max(singles), abs=1e-12)
    assert many.lower_bound_ >= one.lower_bound_


# --- properties (hypothesis) -----------------------------------------------------------------
problems = st.fixed_dictionaries(
    {
        "seed": st.integers(0, 2**31 - 1),
        "n": st.integers(30, 250),
        "d": st.integers(1, 4),
        "k": st.integers(1, 4),
        "covariance_type": st.sampled_from(COVARIANCE_TYPES),
        "init": st.sampled_from(["kmeans++", "random", "random_points", "kmeans"]),
    }
)
prop_settings = settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


def fitted(p, X, **params):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return GaussianMixtureEM(
            p["k"],
            covariance_type=p["covariance_type"],
            init_params=p["init"],
            random_state=p["seed"],
            **params,
        ).fit(X)


@prop_settings
@given(problems)
def test_responsibilities_sum_to_one(p):
    X = blobs(p["seed"], n=p["n"], d=p["d"], k=max(p["k"], 1))
    gmm = fitted(p, X, max_iter=30)
    far = X[:5] + 1e4  # raw densities underflow to 0 out here; log space does not
    for Y in (X, far):
        resp = gmm.predict_proba(Y)
        assert np.isfinite(resp).all() and (resp >= 0).all()
        np.testing.assert_allclose(resp.sum(axis=1), 1.0, rtol=0, atol=1e-12)
    assert np.isfinite(gmm.score_samples(far)).all()


@prop_settings
@given(problems)
def test_lower_bound_never_decreases(p):
    X = blobs(p["seed"], n=p["n"], d=p["d"], k=max(p["k"], 1))
    gmm = fitted(p, X, max_iter=60, tol=0.0)
    lb = gmm.lower_bounds_
    assert len(lb) == 60 and np.isfinite(lb).all()
    # EM is monotone for the exact M-step; reg_covar (1e-6 on the diagonal) makes it maximise a
    # nearby objective, so at convergence the bound may dip by ~1e-9 (seen: -6.6e-10 on a 1-D,
    # k=2 problem). A wrong M-step or E-step loses orders of magnitude more.
    assert (np.diff(lb) >= -1e-8 * (1 + np.abs(lb[1:]))).all(), np.diff(lb).min()


@prop_settings
@given(problems, st.randoms(use_true_random=False))
def test_predictions_invariant_to_row_order(p, rnd):
    X = blobs(p["seed"], n=p["n"], d=p["d"], k=max(p["k"], 1))
    perm = np.array(rnd.sample(range(len(X)), len(X)))
    start = initial_point(X, p["k"], p["covariance_type"], seed=p["seed"] % 1000)
    a = GaussianMixtureEM(p["k"], covariance_type=p["covariance_type"], max_iter=30, tol=0, **start)
    b = GaussianMixtureEM(p["k"], covariance_type=p["covariance_type"], max_iter=30, tol=0, **start)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        labels_a = a.fit_predict(X)
        labels_b = b.fit_predict(X[perm])
    np.testing.assert_allclose(a.means_, b.means_, rtol=1e-7, atol=1e-8)
    np.testing.assert_allclose(a.lower_bounds_, b.lower_bounds_, rtol=1e-9, atol=1e-9)
    proba_a, proba_b = a.predict_proba(X), b.predict_proba(X)
    np.testing.assert_allclose(proba_a, proba_b, rtol=0, atol=1e-6)
    top = np.sort(proba_a, axis=1)
    clear = top[:, -1] - (top[:, -2] if p["k"] > 1 else 0.0) > 1e-6  # rows without a near-tie
    assert (labels_a[perm][clear] == labels_b[clear]).all()
    assert (a.predict(X)[clear] == b.predict(X)[clear]).all()


# --- degenerate input ------------------------------------------------------------------------
def assert_no_nan_parameters(gmm):
    for name in (
        "weights_",
        "means_",
        "covariances_",
        "precisions_cholesky_",
        "precisions_",
        "lower_bounds_",
    ):
        assert np.isfinite(getattr(gmm, name)).all(), name


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_all_duplicate_points_give_a_regularized_fit(covariance_type):
    X = np.tile([[0.3, -1.2, 5.0]], (50, 1))
    gmm = GaussianMixtureEM(3, covariance_type=covariance_type, random_state=0).fit(X)
    assert_no_nan_parameters(gmm)
    np.testing.assert_allclose(gmm.means_, np.tile(X[0], (3, 1)), atol=1e-9)
    expected = {
        "full": np.tile(np.eye(3), (3, 1, 1)),
        "tied": np.eye(3),
        "diag": np.ones((3, 3)),
        "spherical": np.ones(3),
    }
    np.testing.assert_allclose(
        gmm.covariances_, 1e-6 * expected[covariance_type], rtol=0, atol=1e-12
    )
    assert (gmm.predict(X) == gmm.predict(X[:1])[0]).all()


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_many_duplicates_and_a_constant_column(covariance_type):
    rng = np.random.default_rng(0)
    X = np.vstack([np.tile([[1.0, 2.0]], (40, 1)), rng.normal(size=(60, 2))])
    X = np.column_stack([X, np.full(len(X), 7.0)])  # a constant column
    gmm = GaussianMixtureEM(3, covariance_type=covariance_type, random_state=0).fit(X)
    assert_no_nan_parameters(gmm)
    assert np.isfinite(gmm.score_samples(X)).all()
    np.testing.assert_allclose(gmm.means_[:, 2], 7.0, atol=1e-9)
    variance_const = {
        "full": gmm.covariances_[:, 2, 2] if covariance_type == "full" else None,
        "tied": gmm.covariances_[2, 2] if covariance_type == "tied" else None,
        "diag": gmm.covariances_[:, 2] if covariance_type == "diag" else None,
    }.get(covariance_type)
    if variance_const is not None:
        np.testing.assert_allclose(variance_const, 1e-6, rtol=1e-6)


def test_no_regularization_on_collapsed_points_is_a_clear_error():
    X = np.tile([[1.0, 2.0]], (20, 1))
    with pytest.raises(ValueError, match="ill-defined covariance.*reg_covar"):
        GaussianMixtureEM(2, reg_covar=0.0, random_state=0).fit(X)


def test_fewer_samples_than_components_is_a_clear_error():
    with pytest.raises(ValueError, match="n_components = 5, n_samples = 3"):
        GaussianMixtureEM(5).fit(np.arange(6.0).reshape(3, 2))


def test_nan_is_a_clear_error_naming_row_and_column():
    X = pd.DataFrame({"energy": [0.1, 0.2, 0.3, 0.4], "acousticness": [0.5, np.nan, 0.2, 0.1]})
    with pytest.raises(ValueError, match=r"row 1, acousticness"):
        GaussianMixtureEM(2).fit(X)
    gmm = GaussianMixtureEM(2, random_state=0).fit(X.fillna(0.3))
    with pytest.raises(ValueError, match="NaN or infinity.*row 0"):
        gmm.predict(pd.DataFrame({"energy": [np.inf], "acousticness": [0.1]}))


@pytest.mark.parametrize(
    "params, message",
    [
        ({"covariance_type": "banana"}, "covariance_type"),
        ({"init_params": "nope"}, "init_params"),
        ({"n_components": 0}, "n_components"),
        ({"reg_covar": -1.0}, "reg_covar"),
        ({"weights_init": [0.2, 0.2]}, "weights_init"),
        ({"means_init": np.zeros((2, 3))}, r"means_init must have shape \(2, 2\)"),
        ({"precisions_init": -np.ones(2), "covariance_type": "spherical"}, "positive"),
        ({"precisions_init": np.ones((2, 2, 2))}, "positive definite"),
    ],
)
def test_bad_parameters_are_clear_errors(params, message):
    with pytest.raises(ValueError, match=message):
        GaussianMixtureEM(**{"n_components": 2, **params}).fit(blobs(0, n=50, d=2, k=2))


# --- the rest of the API -------------------------------------------------------------------------
def test_not_fitted_and_convergence_warning():
    X = blobs(4, n=200, d=2)
    with pytest.raises(NotFittedError):
        GaussianMixtureEM(2).predict(X)
    with pytest.warns(ConvergenceWarning, match="did not converge"):
        gmm = GaussianMixtureEM(3, max_iter=2, tol=1e-12, random_state=0).fit(X)
    assert not gmm.converged_ and gmm.n_iter_ == 2 and len(gmm.lower_bounds_) == 2
    with pytest.warns(ConvergenceWarning):
        labels = gmm.fit_predict(X)
    assert (labels == gmm.predict(X)).all()


def test_max_iter_zero_keeps_the_initial_parameters():
    X = blobs(5, n=100, d=2, k=2)
    start = initial_point(X, 2, "full")
    gmm = GaussianMixtureEM(2, max_iter=0, **start).fit(X)
    assert gmm.n_iter_ == 0 and gmm.lower_bound_ == -np.inf and len(gmm.lower_bounds_) == 0
    np.testing.assert_allclose(gmm.means_, start["means_init"])
    np.testing.assert_allclose(gmm.precisions_, start["precisions_init"], rtol=1e-10)
    np.testing.assert_allclose(np.linalg.inv(gmm.covariances_), start["precisions_init"], rtol=1e-8)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_sample_follows_the_mixture(covariance_type):
    X = blobs(6, n=600, d=2, k=2, spread=8)
    gmm = GaussianMixtureEM(2, covariance_type=covariance_type, random_state=0).fit(X)
    S, labels = gmm.sample(20000)
    assert S.shape == (20000, 2) and labels.shape == (20000,)
    np.testing.assert_allclose(np.bincount(labels, minlength=2) / 20000, gmm.weights_, atol=0.02)
    for k in range(2):
        np.testing.assert_allclose(S[labels == k].mean(axis=0), gmm.means_[k], atol=0.1)
    full_cov = {
        "full": lambda k: gmm.covariances_[k],
        "tied": lambda k: gmm.covariances_,
        "diag": lambda k: np.diag(gmm.covariances_[k]),
        "spherical": lambda k: np.eye(2) * gmm.covariances_[k],
    }[covariance_type]
    np.testing.assert_allclose(np.cov(S[labels == 0].T), full_cov(0), rtol=0.1, atol=0.05)
    again, _ = gmm.sample(20000)
    np.testing.assert_array_equal(S, again)  # seeded by random_state


def test_mean_distance_is_the_weighted_distance_to_the_means():
    rng = np.random.default_rng(0)
    X, means = rng.normal(size=(30, 3)), rng.normal(size=(4, 3))
    resp = rng.dirichlet(np.ones(4), size=30)
    by_hand = (
        sum(resp[i, k] * np.linalg.norm(X[i] - means[k]) for i in range(30) for k in range(4)) / 30
    )
    assert mean_distance(X, means, resp) == pytest.approx(by_hand, rel=1e-12)
    with pytest.raises(ValueError, match="shapes do not fit"):
        mean_distance(X, means, resp[:, :2])


def test_bic_grid_finds_the_true_number_of_components():
    X = blobs(8, n=900, d=2, k=3, spread=10)
    grid = bic_grid(X, range(1, 6), ["full", "spherical"], random_state=0, n_init=2)
    assert list(grid.columns[:4]) == ["n_components", "covariance_type", "bic", "aic"]
    assert len(grid) == 10 and grid["converged"].all()
    best = best_by_bic(grid)
    assert best["n_components"] == 3
    one = grid.query("n_components == 3 and covariance_type == 'full'").iloc[0]
    gmm = GaussianMixtureEM(3, random_state=0, n_init=2).fit(X)
    assert one["bic"] == pytest.approx(gmm.bic(X), rel=1e-12)
    sub = bic_grid(X, [3], ["full"], max_samples=200, random_state=0)
    assert sub["n_samples"].tolist() == [200] and grid["n_samples"].eq(900).all()
    assert sub["bic"].iloc[0] < one["bic"]  # fewer rows, smaller -2 log-likelihood
