"""The arithmetic of :class:`genrelab.mixture.em.GaussianMixtureEM`: sufficient statistics, one EM
step.

Every component's log density is a linear function of a few per-row statistics of the data,
``z(x) = [upper triangle of x x', x, 1]`` (``[x*x, x, 1]`` diagonal, ``[|x|^2, x, 1]``
spherical): :func:`row_statistics` computes them, :func:`coefficients` turns the parameters into
the matrix ``C`` with ``log p(component, x) = C @ z(x)``, and :func:`em_iteration` does one
E-step and the M-step's products block by block. The Cholesky helpers move between
covariances and precision factors the way scikit-learn's ``mixture`` module does.
The estimator (``genrelab.mixture.em``) is the only user; these functions validate nothing.
"""

from __future__ import annotations

import math

import numpy as np
from threadpoolctl import ThreadpoolController

_LOG_2PI = math.log(2.0 * math.pi)
_BLOCK_FLOATS = 2**18  # rows are processed in blocks of about 2 MiB of statistics (cache-sized)

_SINGULAR_MESSAGE = (
    "Fitting the mixture model failed because component {k} has an ill-defined covariance "
    "(for instance a single point or points collapsed onto one value; reg_covar={reg}). Try fewer "
    "components, a larger reg_covar, or scale the input data."
)


_threadpools: ThreadpoolController | None = None


def one_blas_thread():
    """A context in which BLAS uses one thread (as scikit-learn's KMeans does in its fit).

    EM's matrix products here are small and cache-sized: a second thread brings little and its
    synchronization, on a machine shared with other work, made a BIC grid several times slower
    (see CHANGELOG.md, 0.1.0). The controller is built once (it scans the loaded libraries).
    """
    global _threadpools
    if _threadpools is None:
        _threadpools = ThreadpoolController()
    return _threadpools.limit(limits=1, user_api="blas")


# --- the per-row statistics and their coefficients -------------------------------------
def _n_quadratic(covariance_type: str, n_features: int) -> int:
    """How many quadratic statistics a row contributes for this covariance type."""
    if covariance_type in ("full", "tied"):
        return n_features * (n_features + 1) // 2
    return n_features if covariance_type == "diag" else 1


def row_statistics(X: np.ndarray, center: np.ndarray, covariance_type: str) -> np.ndarray:
    """The statistics ``[quadratic terms, x, 1]`` of each row of ``X - center``, one row per
    statistic.

    Returns ``Zt`` of shape ``(n_statistics, n_samples)`` (statistics as rows, so that the
    per-sample reductions of the E-step run over contiguous memory). Quadratic terms: the
    upper triangle of ``x x'`` in ``np.triu_indices`` order (full, tied), ``x * x`` (diag) or
    ``|x|^2`` (spherical).
    """
    n, d = X.shape
    q = _n_quadratic(covariance_type, d)
    Zt = np.empty((q + d + 1, n))
    xt = Zt[q : q + d]
    np.subtract(X.T, center[:, None], out=xt)
    if covariance_type in ("full", "tied"):
        row = 0
        for i in range(d):
            np.multiply(xt[i:], xt[i], out=Zt[row : row + d - i])
            row += d - i
    elif covariance_type == "diag":
        np.multiply(xt, xt, out=Zt[:d])
    else:
        np.einsum("ij,ij->j", xt, xt, out=Zt[0])
    Zt[-1] = 1.0
    return Zt


def blocks(n_samples: int, n_statistics: int) -> list[slice]:
    """Row blocks of about ``_BLOCK_FLOATS`` statistics each."""
    size = int(np.clip(_BLOCK_FLOATS // n_statistics, 256, 16384))
    return [slice(a, min(a + size, n_samples)) for a in range(0, n_samples, size)]


def coefficients(covariance_type, weights, means_c, prec_chol) -> np.ndarray:
    """Rows ``C`` such that ``C @ Zt`` is each component's weighted log density.

    ``means_c`` are the means in the centered coordinates of ``Zt``; ``prec_chol`` is the
    precision Cholesky factor in scikit-learn's convention (``precision = U @ U.T``).
    """
    k, d = means_c.shape
    log_det = _log_det_cholesky(prec_chol, covariance_type, d)  # = 0.5 log det(precision)
    if covariance_type in ("full", "tied"):
        U = prec_chol if covariance_type == "full" else np.broadcast_to(prec_chol, (k, d, d))
        P = U @ U.transpose(0, 2, 1)
        iu0, iu1 = np.triu_indices(d)
        quad = P[:, iu0, iu1] * np.where(iu0 == iu1, 1.0, 2.0)
        Pm = np.einsum("kij,kj->ki", P, means_c)
    elif covariance_type == "diag":
        p = prec_chol**2
        quad, Pm = p, p * means_c
    else:
        p = prec_chol**2
        quad, Pm = p[:, None], p[:, None] * means_c
    const = np.einsum("ki,ki->k", Pm, means_c)
    coef = np.empty((k, quad.shape[1] + d + 1))
    coef[:, : quad.shape[1]] = -0.5 * quad
    coef[:, quad.shape[1] : -1] = Pm  # -0.5 * (-2 P mu)
    coef[:, -1] = -0.5 * (const + d * _LOG_2PI) + log_det + np.log(weights)
    return coef


def _log_det_cholesky(prec_chol, covariance_type, n_features) -> np.ndarray:
    """``log det`` of the precision Cholesky factors (half the log-det of the precisions)."""
    if covariance_type == "full":
        return np.log(np.diagonal(prec_chol, axis1=1, axis2=2)).sum(axis=1)
    if covariance_type == "tied":
        return np.log(np.diag(prec_chol)).sum()
    if covariance_type == "diag":
        return np.log(prec_chol).sum(axis=1)
    return n_features * np.log(prec_chol)


def _normalize_inplace(Lt: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Turn weighted log densities ``Lt`` (components x samples) into responsibilities in place.

    One log-sum-exp pass: subtract each sample's maximum ``m``, exponentiate, divide by the
    sum ``s``. Returns ``(m, s)``: ``log p(x) = m + log(s)``, with ``1 <= s <= n_components``.
    """
    m = Lt.max(axis=0)
    Lt -= m
    # exp(-700) ~ 1e-304: flooring there changes no sum, and keeps exp off its slow subnormal path
    np.maximum(Lt, -700.0, out=Lt)
    np.exp(Lt, out=Lt)
    s = Lt.sum(axis=0)
    Lt *= np.reciprocal(s)
    return m, s


def log_normalize_inplace(Lt: np.ndarray) -> np.ndarray:
    """``_normalize_inplace``, returning ``log p(x)`` of each sample."""
    m, s = _normalize_inplace(Lt)
    np.log(s, out=s)
    s += m
    return s


def _sum_log(s: np.ndarray, n_components: int) -> float:
    """``sum(log(s))`` for ``1 <= s <= n_components``, with one log per chunk of products.

    A product of ``c`` such values stays below ``n_components ** c <= e**700`` (no overflow),
    so ``log`` runs on ``len(s) / c`` numbers instead of ``len(s)`` (it costs as much as the
    E-step's ``exp``); the relative rounding of a product is ``c * eps``, about 1e-13.
    """
    if n_components == 1:
        return 0.0  # s == 1
    c = max(1, int(700.0 / math.log(n_components)))
    full = len(s) - len(s) % c
    return float(np.log(s[:full].reshape(-1, c).prod(axis=1)).sum() + np.log(s[full:]).sum())


def em_iteration(Zt, coef, blocks) -> tuple[np.ndarray, float]:
    """One E-step and the statistics of the M-step, block by block (each block read once).

    Returns ``S = R @ Zt.T`` (components x statistics) and the total log-likelihood. The
    components are padded with zero rows to a multiple of 4, the row count BLAS's matrix
    kernels work in (6 components run slower than 8 otherwise); padded rows get zero
    responsibility.
    """
    k = coef.shape[0]
    padded = np.zeros((-(-k // 4) * 4, coef.shape[1]))
    padded[:k] = coef
    S = np.zeros((padded.shape[0], Zt.shape[0]))
    total = 0.0
    for rows in blocks:
        Zb = Zt[:, rows]
        Rb = padded @ Zb  # weighted log densities ...
        m, s = _normalize_inplace(Rb[:k])  # ... turned into responsibilities
        total += m.sum() + _sum_log(s, k)
        Rb[k:] = 0.0
        S += Rb @ Zb.T
    return S[:k], total


# --- parameters from statistics -----------------------------------------------------------
def _unpack_upper(vech: np.ndarray, d: int) -> np.ndarray:
    """Symmetric ``(..., d, d)`` matrices from their upper triangles in triu order."""
    iu0, iu1 = np.triu_indices(d)
    out = np.empty((*vech.shape[:-1], d, d))
    out[..., iu0, iu1] = vech
    out[..., iu1, iu0] = vech
    return out


def m_step(S, covariance_type, d, reg_covar):
    """Weights, centered means and covariances from ``S = R @ Zt.T`` (``R``: responsibilities)."""
    q = _n_quadratic(covariance_type, d)
    nk = S[:, -1] + 10 * np.finfo(np.float64).eps
    means = S[:, q : q + d] / nk[:, None]
    if covariance_type == "full":
        cov = _unpack_upper(S[:, :q] / nk[:, None], d)
        cov -= means[:, :, None] * means[:, None, :]
        cov[:, np.arange(d), np.arange(d)] += reg_covar
    elif covariance_type == "tied":
        # the responsibility-weighted scatter of all components, shared
        cov = (_unpack_upper(S[:, :q].sum(axis=0), d) - (nk[:, None] * means).T @ means) / nk.sum()
        cov.flat[:: d + 1] += reg_covar
    elif covariance_type == "diag":
        cov = S[:, :d] / nk[:, None] - means**2 + reg_covar
    else:
        cov = (S[:, 0] / nk - np.einsum("ki,ki->k", means, means)) / d + reg_covar
    return nk / nk.sum(), means, cov


def precision_cholesky(covariances, covariance_type, reg_covar) -> np.ndarray:
    """Upper factors ``U`` with ``inv(covariance) = U @ U.T``; a clear error if not definite."""
    if covariance_type in ("full", "tied"):
        try:
            chol = np.linalg.cholesky(covariances)  # all components in one call
        except np.linalg.LinAlgError:
            stack = covariances if covariance_type == "full" else covariances[None]
            k = next(k for k, cov in enumerate(stack) if not is_positive_definite(cov))
            raise ValueError(_SINGULAR_MESSAGE.format(k=k, reg=reg_covar)) from None
        # inv(L) is lower triangular; triu drops rounding noise above the diagonal
        return np.triu(np.linalg.inv(chol).swapaxes(-1, -2))
    bad = np.flatnonzero(~(np.asarray(covariances) > 0).reshape(len(covariances), -1).all(axis=1))
    if bad.size:
        raise ValueError(_SINGULAR_MESSAGE.format(k=int(bad[0]), reg=reg_covar))
    return 1.0 / np.sqrt(covariances)


def is_positive_definite(matrix) -> bool:
    try:
        np.linalg.cholesky(matrix)
    except np.linalg.LinAlgError:
        return False
    return True


def precision_cholesky_from_precisions(precisions, covariance_type) -> np.ndarray:
    """``U`` (upper) with ``precision = U @ U.T``, from the precisions themselves."""
    if covariance_type in ("full", "tied"):
        # Cholesky of the row/column-reversed matrix, reversed back, is upper triangular
        flip = precisions[..., ::-1, ::-1]
        return np.linalg.cholesky(flip)[..., ::-1, ::-1].copy()
    return np.sqrt(precisions)


def covariances_from_precision_cholesky(prec_chol, covariance_type) -> np.ndarray:
    if covariance_type in ("full", "tied"):
        d = prec_chol.shape[-1]
        # precision = U U'  =>  covariance = inv(U)' inv(U)
        inv = np.linalg.solve(prec_chol, np.broadcast_to(np.eye(d), prec_chol.shape))
        return inv.swapaxes(-1, -2) @ inv
    return 1.0 / prec_chol**2


# --- the estimator ---------------------------------------------------------------------------
