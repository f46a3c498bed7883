"""A Gaussian mixture fitted by expectation-maximization, with the scikit-learn estimator contract.

:class:`GaussianMixtureEM` is a drop-in for :class:`sklearn.mixture.GaussianMixture` (same
parameters, same fitted attributes, same meaning of ``weights_init`` / ``means_init`` /
``precisions_init``): started from the same point it follows the same path, iteration by
iteration (the tests check the lower bound of every iteration and the final parameters to
1e-6). It is k-dimensional, vectorized, and works in log space through the Cholesky factors
of the precision matrices, so tiny densities never underflow to 0/0.

Each EM iteration is two matrix products per cache-sized block of samples over a few per-row
sufficient statistics, with BLAS on one thread (:func:`genrelab.mixture.em_math.row_statistics`,
:func:`~genrelab.mixture.em_math.em_iteration`, :func:`~genrelab.mixture.em_math.one_blas_thread`).

The arithmetic lives in :mod:`genrelab.mixture.em_math`, the starting point in
:mod:`genrelab.mixture.init`; model selection by BIC in :mod:`genrelab.mixture.bic`.

Example
-------
>>> import numpy as np
>>> from genrelab.mixture.em import GaussianMixtureEM
>>> rng = np.random.default_rng(0)
>>> X = np.vstack([rng.normal(0, 1, (200, 2)), rng.normal(6, 1, (200, 2))])
>>> gmm = GaussianMixtureEM(n_components=2, random_state=0).fit(X)
>>> np.sort(gmm.means_[:, 0]).round(1)
array([-0.1,  6. ])
>>> gmm.predict_proba([[6.0, 6.0]]).max().round(3)
np.float64(1.0)
"""

from __future__ import annotations

import math
import numbers
import warnings
from typing import cast

import numpy as np
from sklearn.base import BaseEstimator, DensityMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted, validate_data

from genrelab.mixture import em_math
from genrelab.mixture.init import check_initial, initial_responsibilities

__all__ = [
    "COVARIANCE_TYPES",
    "INIT_PARAMS",
    "GaussianMixtureEM",
]

#: The covariance structures, as in scikit-learn.
COVARIANCE_TYPES: tuple[str, ...] = ("full", "tied", "diag", "spherical")
#: Initializations: k-means++ seeds, a full k-means run, random responsibilities, random points.
INIT_PARAMS: tuple[str, ...] = ("kmeans++", "kmeans", "random", "random_points")
# scikit-learn's names for two of them are accepted too
_INIT_ALIASES = {"k-means++": "kmeans++", "random_from_data": "random_points"}


class GaussianMixtureEM(DensityMixin, BaseEstimator):
    """Gaussian mixture model fitted by expectation-maximization.

    Parameters
    ----------
    n_components : int, default=1
        Number of mixture components.
    covariance_type : {"full", "tied", "diag", "spherical"}, default="full"
        ``full``: each component its own covariance matrix; ``tied``: one shared matrix;
        ``diag``: each its own diagonal matrix; ``spherical``: each its own single variance.
    tol : float, default=1e-3
        Convergence threshold: EM stops when the lower bound (the mean log-likelihood per
        sample) changes by less than ``tol``. ``0`` runs exactly ``max_iter`` iterations.
    reg_covar : float, default=1e-6
        Added to the diagonal of every covariance, so they stay positive definite.
    max_iter : int, default=100
        EM iterations per initialization.
    n_init : int, default=1
        Initializations; the one with the largest final lower bound is kept.
    init_params : {"kmeans++", "kmeans", "random", "random_points"}, default="kmeans++"
        How responsibilities are initialized: one-hot on k-means++ seeds, on a full k-means
        run, uniform random responsibilities, or one-hot on points drawn at random.
        scikit-learn's spellings ``"k-means++"`` and ``"random_from_data"`` are accepted.
    weights_init : array-like of shape (n_components,), default=None
        Initial weights (they must sum to 1); ``None`` uses ``init_params``.
    means_init : array-like of shape (n_components, n_features), default=None
        Initial means.
    precisions_init : array-like, default=None
        Initial precisions (inverse covariances), shaped as in scikit-learn:
        ``(n_components, n_features, n_features)`` for full, ``(n_features, n_features)``
        for tied, ``(n_components, n_features)`` for diag, ``(n_components,)`` for spherical.
    random_state : int, RandomState instance or None, default=None
        Seeds the initialization and :meth:`sample`.

    Attributes
    ----------
    weights_ : ndarray of shape (n_components,)
    means_ : ndarray of shape (n_components, n_features)
    covariances_ : ndarray
        Shaped like ``precisions_init`` for the covariance type.
    precisions_ : ndarray
        The inverse covariances.
    precisions_cholesky_ : ndarray
        Upper-triangular ``U`` with ``precisions_ = U @ U.T`` (scikit-learn's convention).
    converged_ : bool
        Whether the best initialization reached ``tol``.
    n_iter_ : int
        EM iterations of the best initialization.
    lower_bound_ : float
        Mean log-likelihood per sample at the last iteration of the best initialization
        (evaluated, as scikit-learn does, with the parameters before the last M-step).
    lower_bounds_ : ndarray of shape ``(n_iter_,)``
        The lower bound of every iteration of the best initialization.
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Only when ``X`` had string column names.

    Notes
    -----
    Started from the same ``weights_init``, ``means_init`` and ``precisions_init``,
    scikit-learn's ``GaussianMixture`` and this class agree on every iteration's lower bound
    and on the fitted parameters to rounding error. With the same ``random_state`` and the
    ``kmeans``/``random`` initializations they also start from the same point; with
    ``kmeans++``/``random_points`` they pick the same seed points, but scikit-learn's initial
    weights are ``1/n_samples`` each (not normalized), so only its first lower bound differs;
    for ``tied`` covariances scikit-learn's initial shared covariance also sums the scatter of
    every row while the responsibilities cover only the seeds, whereas here it is the seeds'
    own scatter (``reg_covar`` on the diagonal), so the first E-step assigns points to the
    nearest seed and the two paths differ from there.

    Examples
    --------
    >>> import numpy as np
    >>> from genrelab.mixture.em import GaussianMixtureEM
    >>> rng = np.random.default_rng(1)
    >>> X = np.vstack([rng.normal(-3, 1, (300, 2)), rng.normal(3, 0.5, (100, 2))])
    >>> gmm = GaussianMixtureEM(n_components=2, covariance_type="diag", random_state=0).fit(X)
    >>> gmm.converged_, gmm.weights_.round(2).tolist() in ([0.75, 0.25], [0.25, 0.75])
    (True, True)
    >>> bool(np.all(np.diff(gmm.lower_bounds_) >= 0))
    True
    >>> labels = gmm.predict(X)
    >>> bool((labels == gmm.fit_predict(X)).all())
    True
    """

    def __init__(
        self,
        n_components=1,
        *,
        covariance_type="full",
        tol=1e-3,
        reg_covar=1e-6,
        max_iter=100,
        n_init=1,
        init_params="kmeans++",
        weights_init=None,
        means_init=None,
        precisions_init=None,
        random_state=None,
    ):
        self.n_components = n_components
        self.covariance_type = covariance_type
        self.tol = tol
        self.reg_covar = reg_covar
        self.max_iter = max_iter
        self.n_init = n_init
        self.init_params = init_params
        self.weights_init = weights_init
        self.means_init = means_init
        self.precisions_init = precisions_init
        self.random_state = random_state

    # --- validation ---------------------------------------------------------------------
    def _check_params(self) -> str:
        """Validate the constructor arguments; return the canonical init_params name."""

        def integer(name, low):
            value = getattr(self, name)
            if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < low:
                raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")

        def real(name):
            value = getattr(self, name)
            if not isinstance(value, numbers.Real) or not (value >= 0) or not math.isfinite(value):
                raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")

        integer("n_components", 1)
        integer("max_iter", 0)
        integer("n_init", 1)
        real("tol")
        real("reg_covar")
        if self.covariance_type not in COVARIANCE_TYPES:
            raise ValueError(
                f"covariance_type must be one of {COVARIANCE_TYPES}, got {self.covariance_type!r}"
            )
        init = _INIT_ALIASES.get(self.init_params, self.init_params)
        if init not in INIT_PARAMS:
            raise ValueError(f"init_params must be one of {INIT_PARAMS}, got {self.init_params!r}")
        return init

    def _validate_X(self, X, reset: bool) -> np.ndarray:
        """float64, C-ordered, finite; NaN/inf reported by row and column."""
        X = validate_data(
            self,
            X,
            reset=reset,
            dtype=np.float64,
            order="C",
            ensure_all_finite=False,
            ensure_min_samples=2 if reset else 1,
        )
        bad = ~np.isfinite(X)
        if bad.any():
            rows, cols = np.nonzero(bad)
            names = getattr(self, "feature_names_in_", None)
            col = names[cols[0]] if names is not None else f"column {cols[0]}"
            raise ValueError(
                f"Input X contains NaN or infinity in {bad.sum()} cell(s): first at row {rows[0]}, "
                f"{col!s} (value {X[rows[0], cols[0]]}). Drop or impute these rows first."
            )
        return X

    # --- fitting ------------------------------------------------------------------------------
    def fit(self, X, y=None):
        """Fit the mixture by EM (``n_init`` initializations, the best lower bound kept).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Finite values; NaN or infinity raise a ValueError naming the first row and column.
        y : ignored

        Returns
        -------
        self : GaussianMixtureEM
        """
        self.fit_predict(X)
        return self

    def fit_predict(self, X, y=None):
        """Fit the mixture and return each sample's most probable component.

        The labels come from a final E-step with the fitted parameters, so they equal
        ``fit(X).predict(X)`` for any ``max_iter`` and ``tol``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : ignored

        Returns
        -------
        labels : ndarray of shape (n_samples,)
        """
        init = self._check_params()
        X = self._validate_X(X, reset=True)
        with em_math.one_blas_thread():
            return self._fit_predict(X, init)

    def _fit_predict(self, X: np.ndarray, init: str) -> np.ndarray:
        n, d = X.shape
        k, ct = self.n_components, self.covariance_type
        if n < k:
            raise ValueError(
                f"Expected n_samples >= n_components but got n_components = {k}, n_samples = {n}"
            )
        weights0, means0, precisions0 = check_initial(
            self.weights_init, self.means_init, self.precisions_init, k, d, ct
        )
        random_state = check_random_state(self.random_state)

        shift = X.mean(axis=0)
        Zt = em_math.row_statistics(X, shift, ct)  # the per-row statistics, computed once per fit
        blocks = em_math.blocks(n, Zt.shape[0])

        best, best_lb = None, -np.inf
        for _ in range(self.n_init):
            # initial parameters: from responsibilities, overridden by what the user gave
            if weights0 is None or means0 is None or precisions0 is None:
                resp = initial_responsibilities(X, k, init, random_state)
                weights, means_c, cov = em_math.m_step(resp.T @ Zt.T, ct, d, self.reg_covar)
                del resp
            else:
                weights = means_c = cov = None
            weights = weights if weights0 is None else weights0
            means_c = means_c if means0 is None else means0 - shift
            if precisions0 is None:
                prec_chol = em_math.precision_cholesky(cov, ct, self.reg_covar)
            else:
                prec_chol = em_math.precision_cholesky_from_precisions(precisions0, ct)
                cov = em_math.covariances_from_precision_cholesky(prec_chol, ct)

            lower_bounds = []
            lb, converged = -np.inf, False
            for _it in range(self.max_iter):
                S, loglik = em_math.em_iteration(
                    Zt, em_math.coefficients(ct, weights, means_c, prec_chol), blocks
                )
                weights, means_c, cov = em_math.m_step(S, ct, d, self.reg_covar)
                prec_chol = em_math.precision_cholesky(cov, ct, self.reg_covar)
                prev, lb = lb, loglik / n
                lower_bounds.append(lb)
                if abs(lb - prev) < self.tol:
                    converged = True
                    break
            if best is None or lb > best_lb:
                best_lb = lb
                best = (
                    weights,
                    means_c + shift,
                    cov,
                    prec_chol,
                    converged,
                    len(lower_bounds),
                    lower_bounds,
                )
        del Zt

        (
            self.weights_,
            self.means_,
            self.covariances_,
            self.precisions_cholesky_,
            self.converged_,
            self.n_iter_,
            lower_bounds,
        ) = cast(tuple, best)  # set by the first restart: its lower bound beats -inf
        self.lower_bound_ = best_lb
        self.lower_bounds_ = np.asarray(lower_bounds, dtype=np.float64)
        U = self.precisions_cholesky_
        self.precisions_ = U @ U.swapaxes(-1, -2) if ct in ("full", "tied") else U**2
        if not self.converged_ and self.max_iter > 0:
            warnings.warn(
                f"EM did not converge in max_iter={self.max_iter} iterations "
                f"(tol={self.tol}) for the "
                "best initialization: increase max_iter or tol, or check for degenerate data.",
                ConvergenceWarning,
                stacklevel=2,
            )
        # final E-step through the same code as predict, so fit_predict(X) == fit(X).predict(X)
        return self._weighted_log_prob(X).argmax(axis=0)

    # --- evaluation -------------------------------------------------------------------------
    def _weighted_log_prob(self, X: np.ndarray) -> np.ndarray:
        """``log(weight_k) + log N(x | mean_k, cov_k)``, components x samples, block by block."""
        ct = self.covariance_type
        center = (
            self.weights_ @ self.means_
        )  # any fixed point works; the mixture mean is well conditioned
        coef = em_math.coefficients(
            ct, self.weights_, self.means_ - center, self.precisions_cholesky_
        )
        n = X.shape[0]
        out = np.empty((self.n_components, n))
        with em_math.one_blas_thread():
            for rows in em_math.blocks(n, coef.shape[1]):
                np.matmul(coef, em_math.row_statistics(X[rows], center, ct), out=out[:, rows])
        return out

    def _checked(self, X) -> np.ndarray:
        check_is_fitted(self)
        return self._validate_X(X, reset=False)

    def score_samples(self, X):
        """Log-likelihood of each sample, ``log p(x)``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        log_prob : ndarray of shape (n_samples,)
        """
        return em_math.log_normalize_inplace(self._weighted_log_prob(self._checked(X)))

    def score(self, X, y=None):
        """Mean log-likelihood per sample of ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : ignored

        Returns
        -------
        float
        """
        return float(self.score_samples(X).mean())

    def predict(self, X):
        """The most probable component of each sample.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        labels : ndarray of shape (n_samples,)
        """
        return self._weighted_log_prob(self._checked(X)).argmax(axis=0)

    def predict_proba(self, X):
        """Posterior probability of each component given each sample, ``p(component | x)``.

        (The seed study's ``p_class_given_data``.) Rows sum to 1.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        resp : ndarray of shape (n_samples, n_components)
        """
        Lt = self._weighted_log_prob(self._checked(X))
        em_math.log_normalize_inplace(Lt)
        return Lt.T

    def _n_parameters(self) -> int:
        k, d = self.means_.shape
        cov = {"full": k * d * (d + 1) / 2, "diag": k * d, "tied": d * (d + 1) / 2, "spherical": k}
        return int(cov[self.covariance_type] + k * d + k - 1)

    def _criteria(self, X) -> tuple[float, float]:
        """(BIC, AIC) on ``X``, from one evaluation of the log-likelihood."""
        n = np.shape(X)[0]
        minus_2_loglik = -2 * self.score(X) * n
        n_par = self._n_parameters()
        return minus_2_loglik + n_par * math.log(n), minus_2_loglik + 2 * n_par

    def bic(self, X):
        """Bayesian information criterion on ``X`` (lower is better).

        ``-2 * log-likelihood + n_parameters * log(n_samples)``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        float
        """
        return self._criteria(X)[0]

    def aic(self, X):
        """Akaike information criterion on ``X`` (lower is better).

        ``-2 * log-likelihood + 2 * n_parameters``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        float
        """
        return self._criteria(X)[1]

    def sample(self, n_samples=1):
        """Draw samples from the fitted mixture (seeded by ``random_state``).

        Parameters
        ----------
        n_samples : int, default=1

        Returns
        -------
        X : ndarray of shape (n_samples, n_features)
        labels : ndarray of shape (n_samples,)
            The component each sample was drawn from.
        """
        check_is_fitted(self)
        if not isinstance(n_samples, numbers.Integral) or n_samples < 1:
            raise ValueError(f"n_samples must be an integer >= 1, got {n_samples!r}")
        rng = check_random_state(self.random_state)
        k, d = self.means_.shape
        counts = rng.multinomial(n_samples, self.weights_ / self.weights_.sum())
        labels = np.repeat(np.arange(k), counts)
        z = rng.standard_normal((n_samples, d))
        ct = self.covariance_type
        if ct in ("full", "tied"):
            chol = np.linalg.cholesky(
                self.covariances_ if ct == "full" else np.broadcast_to(self.covariances_, (k, d, d))
            )
            X = np.einsum("nj,nij->ni", z, chol[labels])
        else:
            sd = np.sqrt(self.covariances_)
            X = z * (sd[labels] if ct == "diag" else sd[labels, None])
        X += self.means_[labels]
        return X, labels
