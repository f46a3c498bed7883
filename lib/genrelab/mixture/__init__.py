"""Gaussian mixtures fitted by EM: the estimator, its arithmetic, the BIC grid, partition scores
(notebook 04, part 1).

Modules, in the order their imports flow:

em_math    the EM arithmetic: sufficient statistics, one iteration, Cholesky factors
init       where EM starts: initial parameters checked, responsibilities drawn
em         ``GaussianMixtureEM``, scikit-learn's estimator contract
partition  two partitions compared: contingency, matched agreement, ARI, AMI
bic        the BIC grid, the chosen mixture against the genres, the seed study's mixture

The public names of the modules below are importable from the package itself.
"""

from __future__ import annotations

from genrelab.mixture.bic import (
    BicChoice,
    ClusterFit,
    SeedMixture,
    best_by_bic,
    bic_grid,
    bic_sentence,
    choose_by_bic,
    fit_clusters,
    genre_metrics,
    mean_distance,
    seed_mixture,
)
from genrelab.mixture.em import (
    GaussianMixtureEM,
)
from genrelab.mixture.partition import (
    contingency,
    hungarian_agreement,
    label_shares,
    matched_contingency,
    partition_scores,
)

__all__ = [
    "BicChoice",
    "ClusterFit",
    "GaussianMixtureEM",
    "SeedMixture",
    "best_by_bic",
    "bic_grid",
    "bic_sentence",
    "choose_by_bic",
    "contingency",
    "fit_clusters",
    "genre_metrics",
    "hungarian_agreement",
    "label_shares",
    "matched_contingency",
    "mean_distance",
    "partition_scores",
    "seed_mixture",
]
