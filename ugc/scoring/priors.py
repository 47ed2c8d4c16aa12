"""Empirical-Bayes Beta priors and posteriors for rates (clicks per impression, ...).

An asset with 3 clicks in 10 impressions has a posterior close to its group's prior,
one with 300 in 10,000 a posterior close to 3 %: the prior is worth `strength`
impressions, learnt from how much the library's rates actually vary.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# A group needs this many assets with data before its own prior is trusted.
MIN_GROUP_ASSETS = 5
# Bounds on the prior's weight (alpha + beta, in impressions or clicks): never so weak
# that one lucky click wins, never so strong that evidence cannot move it.
MIN_STRENGTH = 2.0
MAX_STRENGTH = 1_000.0
# The prior when nothing is known at all: a weak 2 % click rate.
FALLBACK_MEAN = 0.02
FALLBACK_STRENGTH = 50.0


@dataclass(frozen=True)
class BetaPrior:
    alpha: float
    beta: float

    @property
    def mean(self) -> float:
        return self.alpha / (self.alpha + self.beta)

    def as_list(self) -> list[float]:
        return [round(self.alpha, 9), round(self.beta, 9)]


FALLBACK = BetaPrior(FALLBACK_MEAN * FALLBACK_STRENGTH, (1 - FALLBACK_MEAN) * FALLBACK_STRENGTH)


def fit_beta(
    successes: np.ndarray, trials: np.ndarray, fallback: BetaPrior = FALLBACK
) -> BetaPrior:
    """Method of moments on the observed rates of items with trials, weighted by trials.

    The observed variance holds binomial noise as well as true spread; the noise part
    (mean(1-mean) / trials on average) is taken out before solving for alpha + beta.
    """
    successes = np.asarray(successes, dtype=np.float64)
    trials = np.asarray(trials, dtype=np.float64)
    seen = trials > 0
    if seen.sum() < MIN_GROUP_ASSETS:
        return fallback
    n, k = trials[seen], successes[seen]
    rates = k / n
    mean = float(np.average(rates, weights=n))
    if not 0.0 < mean < 1.0:
        return fallback
    variance = float(np.average((rates - mean) ** 2, weights=n))
    noise = mean * (1 - mean) * float(np.mean(1.0 / n))
    spread = max(variance - noise, 1e-12)
    strength = mean * (1 - mean) / spread - 1.0
    strength = float(np.clip(strength, MIN_STRENGTH, MAX_STRENGTH))
    return BetaPrior(mean * strength, (1 - mean) * strength)


def fit_group_priors(
    groups: np.ndarray, successes: np.ndarray, trials: np.ndarray
) -> dict[int, BetaPrior]:
    """One prior per group code; a group too small for its own falls back to the library's."""
    library = fit_beta(successes, trials)
    priors: dict[int, BetaPrior] = {}
    for code in np.unique(groups):
        mask = groups == code
        priors[int(code)] = fit_beta(successes[mask], trials[mask], fallback=library)
    priors[-1] = library  # the library-wide prior, for groups not seen at fit time
    return priors


def prior_arrays(groups: np.ndarray, priors: dict[int, BetaPrior]) -> tuple[np.ndarray, np.ndarray]:
    """Each item's prior alpha and beta, by its group code."""
    library = priors.get(-1, FALLBACK)
    codes = np.asarray(groups)
    alpha = np.full(codes.shape, library.alpha, dtype=np.float64)
    beta = np.full(codes.shape, library.beta, dtype=np.float64)
    for code, prior in priors.items():
        mask = codes == code
        alpha[mask] = prior.alpha
        beta[mask] = prior.beta
    return alpha, beta


def posterior(
    alpha: np.ndarray, beta: np.ndarray, successes: np.ndarray, trials: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Beta posterior after `successes` in `trials` (failures clipped at zero)."""
    successes = np.asarray(successes, dtype=np.float64)
    failures = np.maximum(np.asarray(trials, dtype=np.float64) - successes, 0.0)
    return alpha + successes, beta + failures
