"""The negative binomial fitter shared by the analyses (toolkit.nbreg).

Agreement with MASS::glm.nb is checked in tests/test_before_after_reference.py and
tests/test_content_lift_reference.py; here: the Poisson limit (checked against statsmodels'
Poisson GLM, an independent implementation), the joint information (checked against finite
differences of the log-likelihood) and the convergence flag.
"""

from __future__ import annotations

import numpy as np
import pytest
import statsmodels.api as sm

from toolkit.errors import AnalysisError
from toolkit.nbreg import THETA_MAX, _joint, eventless_values, nb_glm


@pytest.fixture(scope="module")
def design():
    rng = np.random.default_rng(7)
    x = rng.normal(size=1500)
    X = np.column_stack([np.ones_like(x), x])
    offset = np.log(rng.uniform(50, 500, size=len(x)))
    return rng, X, offset


def test_underdispersed_counts_reach_the_poisson_limit(design):
    rng, X, offset = design
    # binomial counts: variance below the mean, so the likelihood rises with theta without end
    y = rng.binomial(40, 0.25 * np.exp(0.1 * X[:, 1]) / np.exp(0.1 * X[:, 1]).max())
    fit = nb_glm(y, X)
    poisson = sm.GLM(y, X, family=sm.families.Poisson()).fit(tol=1e-12)
    assert fit.converged and fit.theta == THETA_MAX
    np.testing.assert_allclose(fit.params, poisson.params, rtol=1e-6)
    np.testing.assert_allclose(np.sqrt(np.diag(fit.cov)), poisson.bse, rtol=1e-6)


def test_joint_information_matches_finite_differences(design):
    rng, X, offset = design
    mu = np.exp(-3 + 0.4 * X[:, 1] + offset)
    y = rng.negative_binomial(3, 3 / (3 + mu))
    fit = nb_glm(y, X, offset)
    scores, H = fit.joint_information()
    np.testing.assert_allclose(scores.sum(axis=0), 0, atol=1e-6 * np.abs(scores).sum())  # at the maximum

    def ll(p):
        return _joint(X, y, X @ p[:2] + offset, np.exp(p[2]), need_hess=False)[0]

    p0 = np.append(fit.params, np.log(fit.theta))
    h = 1e-4
    numeric = np.empty((3, 3))
    for i in range(3):
        for j in range(3):
            e_i, e_j = np.eye(3)[i] * h, np.eye(3)[j] * h
            numeric[i, j] = (ll(p0 + e_i + e_j) - ll(p0 + e_i - e_j) - ll(p0 - e_i + e_j)
                             + ll(p0 - e_i - e_j)) / (4 * h * h)
    np.testing.assert_allclose(H, numeric, rtol=1e-4)


def test_convergence_is_reported(design):
    rng, X, offset = design
    mu = np.exp(-3 + 0.4 * X[:, 1] + offset)
    y = rng.negative_binomial(3, 3 / (3 + mu))
    assert not nb_glm(y, X, offset, maxit=1).converged
    assert nb_glm(y, X, offset).converged


def test_a_singular_design_is_a_project_error(design):
    _, X, offset = design
    with pytest.raises(AnalysisError, match="singular"):
        nb_glm(np.ones(len(X)), np.column_stack([X, X[:, 1]]), offset)


def test_theta_cap_is_the_documented_poisson_limit():
    assert THETA_MAX == 1e8


def test_leaving_out_an_eventless_value_is_the_limit_of_fitting_it():
    # the premise of eventless_values, checked with statsmodels (an independent fitter): with a
    # dummy for a value whose rows have no event, the NB GLM drives that dummy towards -infinity
    # and the other coefficients approach the fit without those rows
    rng = np.random.default_rng(11)
    n = 600
    x = rng.normal(size=n)
    night = np.arange(n) % 15 == 0
    offset = np.log(rng.uniform(50, 500, size=n))
    y = rng.negative_binomial(4, 4 / (4 + np.exp(-4 + 0.3 * x + offset))).astype(float)
    y[night] = 0
    gone, rows = eventless_values(y, {"hour": np.where(night, "night", "day")})
    assert gone == {"hour": ["night"]} and (rows == night).all()
    family = sm.families.NegativeBinomial(alpha=0.25)
    full = sm.GLM(y, np.column_stack([np.ones(n), x, night]), family=family, offset=offset).fit(maxiter=200)
    kept = sm.GLM(y[~rows], np.column_stack([np.ones(n), x])[~rows], family=family, offset=offset[~rows]).fit()
    assert full.params[2] < -15  # on its way to minus infinity
    np.testing.assert_allclose(full.params[:2], kept.params, atol=1e-6)
    # a factor with no event anywhere is left to the caller (nothing to compare with)
    gone, rows = eventless_values(np.zeros(4), {"hour": np.array(["a", "a", "b", "b"])})
    assert gone == {} and not rows.any()
