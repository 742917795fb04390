"""Negative binomial (NB2) regression with an exposure offset: the count model of every analysis.

:func:`nb_glm` fits ``log E[y] = X beta + offset`` with variance ``mu + mu^2/theta`` by maximum
likelihood for beta and theta jointly (the maximum R's ``MASS::glm.nb`` finds). The returned
:class:`NBFit` carries what the covariances need: the model-based ``(X'WX)^-1`` and per-row scores
of beta (:mod:`toolkit.before_after` builds week-clustered and HAC sandwiches from them), and
:meth:`NBFit.joint_information` for sandwiches over ``(beta, log theta)``
(:mod:`toolkit.content_lift`). Both analyses are checked against R (``tests/reference/``).

Assumes the rows are independent given ``X`` for the model-based covariance; the sandwiches relax
that.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import special

from toolkit.errors import AnalysisError

__all__ = ["NBFit", "nb_glm", "hac_meat", "eventless_values"]


@dataclass
class NBFit:
    """A fitted NB2 regression (log link, offset), as ``MASS::glm.nb`` computes it.

    Attributes
    ----------
    params, cov
        Coefficients and their model-based covariance ``(X' W X)^-1`` at the fitted theta
        (what ``summary(glm.nb(...))`` reports; theta treated as known).
    theta
        The NB2 size parameter (variance ``mu + mu^2/theta``), estimated by maximum likelihood.
    mu, scores
        Fitted means and per-observation score contributions ``x_i (y_i - mu_i)/(1 + mu_i/theta)``.
    converged
        Whether Newton's method met its tolerance within ``maxit`` steps.
    """

    params: np.ndarray
    cov: np.ndarray
    theta: float
    mu: np.ndarray
    scores: np.ndarray
    loglik: float
    iterations: int
    converged: bool = True
    names: list[str] = field(default_factory=list)
    X: np.ndarray | None = field(default=None, repr=False)
    w: np.ndarray | None = field(default=None, repr=False)
    working_resid: np.ndarray | None = field(default=None, repr=False)
    y: np.ndarray | None = field(default=None, repr=False)

    def joint_information(self) -> tuple[np.ndarray, np.ndarray]:
        """Per-observation scores and the Hessian of the log-likelihood in ``(beta, log theta)``.

        For standard errors that carry the uncertainty of the estimated dispersion (the bread of
        a sandwich over both; :mod:`toolkit.content_lift` clusters with it). The score of each
        row is ``[x_i r_i, theta * d l_i / d theta]`` with ``r_i = (y_i - mu_i) theta /
        (theta + mu_i)``; their column sums are zero at the maximum.
        """
        _, scores, hessian = _joint(self.X, self.y, np.log(self.mu), self.theta)
        return scores, hessian

    def _cluster_scores_bias_reduced(self, codes: np.ndarray, g: int, cr: str) -> np.ndarray:
        """Cluster score sums with the working residuals of each cluster multiplied by
        ``(I - H_gg)^-1`` (CR3) or ``(I - H_gg)^-1/2`` (CR2), ``H_gg`` the cluster's block of the
        weighted hat matrix (Bell & McCaffrey 2002; R: ``sandwich::vcovCL(type="HC3"/"HC2")``)."""
        # R's form: (I - X_g A X_g' W_g)^{-1} (W_g r_g) = W_g^{-1/2} (I - H_gg)^{-1} W_g^{3/2} r_g,
        # H_gg = W_g^{1/2} X_g A X_g' W_g^{1/2} symmetric, A = (X'WX)^{-1}, r the working residuals
        sw = np.sqrt(self.w)
        xw = self.X * sw[:, None]
        v = self.w * sw * self.working_resid
        inv = self.cov
        out = np.zeros((g, xw.shape[1]))
        order = np.argsort(codes, kind="stable")
        bounds = np.flatnonzero(np.diff(codes[order])) + 1
        for idx in np.split(order, bounds):
            xg = xw[idx]
            m = np.eye(len(idx)) - xg @ inv @ xg.T
            vals, vecs = np.linalg.eigh(m)
            if cr == "CR3":
                # 1 - leverage: a cluster that alone decides a coefficient (a control level seen
                # in one cluster only) has leverage 1, and (I - H_gg)^-1 does not exist; near 1 it
                # multiplies the residuals without bound. Its correction is then undefined (NaN).
                if vals.min() <= _LEVERAGE_ONE:
                    out[codes[idx[0]]] = np.nan
                    continue
                u = vecs @ ((vecs.T @ v[idx]) / vals)
            else:
                u = vecs @ ((vecs.T @ v[idx]) / np.sqrt(np.clip(vals, 1e-12, None)))
            out[codes[idx[0]]] = self.X[idx].T @ (u / sw[idx])
        return out

    def robust_cov(self, kind: str = "week", *, groups: np.ndarray | None = None,
                   lag: int | None = None, adjust: bool = True, cr: str = "CR1") -> np.ndarray:
        """Sandwich covariance of the coefficients.

        ``kind="hac"``: Newey-West with Bartlett weights ``1 - j/(lag+1)`` over the rows in their
        order, no prewhitening, times ``n/(n-k)`` when ``adjust`` (R: ``sandwich::NeweyWest(fit,
        lag=lag, prewhite=FALSE, adjust=adjust)``). ``kind="week"`` (any ``groups``): cluster-robust;
        ``cr="CR1"`` (the default) with the factor ``G/(G-1) (n-1)/(n-k)`` when ``adjust`` (R:
        ``sandwich::vcovCL(fit, cluster=groups, type="HC1")``); ``cr="CR2"``/``"CR3"`` the
        bias-reduced versions (each cluster's residuals corrected by ``(I - H_gg)^-1/2`` or
        ``(I - H_gg)^-1``) with no further factor (R: ``vcovCL(..., type="HC2"/"HC3")``);
        :func:`toolkit.before_after` uses CR3. ``kind="model"``: the model-based ``cov``.
        """
        s = self.scores
        n, k = s.shape
        bread = self.cov
        if kind == "hac":
            if lag is None:
                raise AnalysisError("HAC covariance needs a lag", parameter="lag")
            meat = hac_meat(s, lag, adjust=adjust)
        elif kind in ("week", "cluster"):
            if groups is None:
                raise AnalysisError("clustered covariance needs groups", parameter="groups")
            codes, uniq = pd.factorize(groups)
            g = len(uniq)
            if cr in ("CR2", "CR3"):
                sg = self._cluster_scores_bias_reduced(codes, g, cr)
            else:
                sg = np.zeros((g, k))
                np.add.at(sg, codes, s)
            meat = sg.T @ sg
            if adjust:
                meat *= g / (g - 1) * (n - 1) / (n - k) if cr == "CR1" else 1.0
        elif kind == "model":
            return self.cov
        else:
            raise AnalysisError("unknown robust covariance", parameter="robust",
                                found=kind)
        return bread @ meat @ bread


def eventless_values(y: np.ndarray, factors: dict[str, np.ndarray]) -> tuple[dict[str, list[str]], np.ndarray]:
    """The values of each factor on whose rows ``y`` is 0 throughout, and a mask of those rows.

    A factor value without a single event has no finite maximum-likelihood effect: the fit drives
    it towards minus infinity and stops converging. Leaving its rows out gives the limit of the
    full fit, since a row whose expected count goes to 0 adds nothing to the likelihood. A factor
    whose every value is eventless (y all 0) is left to the caller's own check.

    >>> gone, rows = eventless_values(np.array([0, 0, 3, 1]), {"hour": np.array(["night", "night", "day", "eve"])})
    >>> gone, rows.tolist()
    ({'hour': ['night']}, [True, True, False, False])
    """
    y = np.asarray(y, dtype=float)
    rows, gone = np.zeros(len(y), dtype=bool), {}
    for name, values in factors.items():
        values = np.asarray(values).astype(str)
        totals = pd.Series(y).groupby(values).sum()
        zero = sorted(totals.index[totals <= 0])
        if zero and len(zero) < len(totals):
            gone[name] = zero
            rows |= np.isin(values, zero)
    return gone, rows


def hac_meat(scores: np.ndarray, lag: int, *, adjust: bool = True) -> np.ndarray:
    """Newey-West meat of per-row scores in time order: Bartlett weights ``1 - j/(lag+1)`` up to
    ``lag`` rows apart, no prewhitening, times ``n/(n-k)`` when ``adjust`` (as R's
    ``sandwich::NeweyWest``)."""
    n, k = scores.shape
    meat = scores.T @ scores
    for j in range(1, min(lag, n - 1) + 1):
        g = scores[j:].T @ scores[:-j]
        meat += (1.0 - j / (lag + 1.0)) * (g + g.T)
    if adjust:
        meat *= n / (n - k)
    return meat


def _joint(X: np.ndarray, y: np.ndarray, eta: np.ndarray, theta: float, need_hess: bool = True):
    """Log-likelihood at the linear predictor ``eta`` (``log mu``), and (with ``need_hess``) per-row
    scores and the Hessian in ``(beta, log theta)``."""
    th = theta
    mu = np.exp(eta)
    tm = th + mu
    # log Gamma(y + theta) - log Gamma(theta), without the cancellation of two numbers near
    # theta log theta that makes the likelihood noisy when theta is large (the Poisson limit)
    positive = y > 0
    log_rising = np.where(positive, special.gammaln(np.where(positive, y, 1.0))
                          - special.betaln(th, np.where(positive, y, 1.0)), 0.0)
    log_share = -np.log1p(mu / th)  # log(theta / (theta + mu))
    ll = float(np.sum(log_rising - special.gammaln(y + 1) + th * log_share + y * (eta - np.log(tm))))
    if not need_hess:
        return ll, None, None
    r = (y - mu) * th / tm
    dth = special.digamma(y + th) - special.digamma(th) + log_share + (mu - y) / tm
    scores = np.column_stack([X * r[:, None], th * dth])
    w = th * mu * (th + y) / tm**2
    k = X.shape[1]
    H = np.empty((k + 1, k + 1))
    H[:k, :k] = -(X * w[:, None]).T @ X
    H[:k, k] = H[k, :k] = X.T @ (th * (y - mu) * mu / tm**2)
    d2 = special.polygamma(1, y + th) - special.polygamma(1, th) + 1 / th - 1 / tm - (mu - y) / tm**2
    H[k, k] = th * th * d2.sum() + th * dth.sum()
    return ll, scores, H


#: largest theta: beyond it the counts show no overdispersion (the Poisson limit)
THETA_MAX = 1e8
#: ``1 - leverage`` at or below which a cluster counts as deciding a coefficient on its own (CR3
#: then has no correction for it: ``(I - H_gg)^-1`` would scale its residuals by 1e8 or more)
_LEVERAGE_ONE = 1e-8


def _coefficients_at(y, X, offset, theta, beta, tol, maxit) -> tuple[np.ndarray, bool]:
    """Fisher scoring (IRLS) for the coefficients at a fixed theta (``inf``: the Poisson model)."""
    for _ in range(maxit):
        mu = np.exp(np.clip(X @ beta + offset, -700, 700))
        w = mu / (1.0 + mu / theta)
        try:
            step = np.linalg.solve(X.T @ (X * w[:, None]), X.T @ ((y - mu) / (1.0 + mu / theta)))
        except np.linalg.LinAlgError:
            raise AnalysisError("the model matrix is singular (a control or the compared term is "
                                "constant or collinear)", parameter="controls") from None
        beta = beta + step
        if np.max(np.abs(step)) < tol:
            return beta, True
    return beta, False


def _poisson_start(y: np.ndarray, X: np.ndarray, offset: np.ndarray) -> np.ndarray:
    """Poisson coefficients: the starting values (as ``MASS::glm.nb`` starts)."""
    beta = np.zeros(X.shape[1])
    if np.allclose(X[:, 0], 1):
        beta[0] = math.log(max(y.mean(), 1e-8) / np.exp(offset).mean())
    return _coefficients_at(y, X, offset, math.inf, beta, 1e-8, 25)[0]


def nb_glm(y: Sequence[float], X: np.ndarray, offset: Sequence[float] | None = None,
           names: Sequence[str] | None = None, tol: float = 1e-10, maxit: int = 100) -> NBFit:
    """Fit an NB2 regression with a log link by maximum likelihood (beta and theta jointly).

    Newton steps on ``(beta, log theta)`` with step halving, from Poisson IRLS coefficients and a
    moment estimate of theta; it stops when a full step moves no parameter by more than ``tol``.
    This reaches the maximum ``MASS::glm.nb`` reaches (which alternates IRLS and theta steps), in
    fewer passes over the data. Counts with no overdispersion (the likelihood rises with theta
    without end) end at the Poisson limit: theta at :data:`THETA_MAX`, the coefficients those of
    the Poisson model.

    >>> rng = np.random.default_rng(1)
    >>> x = rng.normal(size=2000)
    >>> mu = np.exp(1 + 0.5 * x)
    >>> y = rng.negative_binomial(4, 4 / (4 + mu))
    >>> fit = nb_glm(y, np.column_stack([np.ones_like(x), x]))
    >>> np.round(fit.params, 1).tolist(), bool(3 < fit.theta < 5.5), fit.converged
    ([1.0, 0.5], True, True)
    """
    y = np.asarray(y, dtype=float)
    X = np.asarray(X, dtype=float)
    off = np.zeros(len(y)) if offset is None else np.asarray(offset, dtype=float)
    k = X.shape[1]
    beta = _poisson_start(y, X, off)
    mu = np.exp(X @ beta + off)
    excess = np.sum((y - mu) ** 2 - y) / np.sum(mu**2)  # moment estimate of 1/theta
    params = np.append(beta, math.log(1 / excess) if excess > 1 / THETA_MAX else math.log(THETA_MAX))
    cap = math.log(THETA_MAX)
    eta = X @ beta + off
    ll, scores, H = _joint(X, y, eta, math.exp(params[k]))
    converged, it = False, 0
    for it in range(1, maxit + 1):
        if math.exp(params[k]) > 1e4 * max(float(np.exp(eta).max()), 1.0):
            # The Poisson limit: mu^2/theta is below 1e-4 mu on every row, the likelihood is flat
            # in theta to rounding, and Newton steps in log theta are noise. Theta goes to its
            # cap and only the coefficients are solved for.
            params[k] = cap
            params[:k], converged = _coefficients_at(y, X, off, THETA_MAX, params[:k], tol, maxit)
            eta = X @ params[:k] + off
            ll, scores, H = _joint(X, y, eta, THETA_MAX)
            break
        g = scores.sum(axis=0)
        try:
            step = np.linalg.solve(H, -g)
        except np.linalg.LinAlgError:
            step = g * 1e-3
        if g @ step <= 0:  # not an ascent direction (H not negative definite): a gradient step
            step = g / max(1.0, np.abs(g).max())
        t = 1.0  # halve the step until the likelihood does not fall
        while True:
            cand = params + t * step
            cand[k] = min(cand[k], cap)
            eta_new = X @ cand[:k] + off
            ll_new = _joint(X, y, eta_new, math.exp(cand[k]), need_hess=False)[0]
            if np.isfinite(ll_new) and ll_new >= ll - 1e-12 * abs(ll):
                break
            t /= 2
            if t < 1e-10:
                break
        if t < 1e-10:  # no step along this direction keeps the likelihood: stop, not converged
            break
        params, eta = cand, eta_new
        ll, scores, H = _joint(X, y, eta, math.exp(params[k]))
        if t == 1.0 and np.max(np.abs(step[:k])) < tol and abs(step[k]) < tol:
            converged = True
            break
    mu = np.exp(eta)
    beta, theta = params[:k], THETA_MAX if params[k] >= cap else math.exp(params[k])
    w = mu / (1.0 + mu / theta)
    cov = np.linalg.inv(X.T @ (X * w[:, None]))
    return NBFit(params=beta, cov=cov, theta=theta, mu=mu,
                 scores=X * ((y - mu) / (1.0 + mu / theta))[:, None],
                 loglik=ll, iterations=it, converged=converged,
                 names=list(names) if names is not None else [f"x{i}" for i in range(k)],
                 X=X, w=w, working_resid=(y - mu) / mu, y=y)
