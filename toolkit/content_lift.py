"""Does labelled content (e.g. personal posts) earn more engagement than the rest?

:func:`content_lift` compares the posts a label marks (the *treatment*, e.g. personal posts) with
all other posts (the *baseline*) on one or several engagement metrics, per unit of exposure
(impressions by default), with one or several methods, and returns a :class:`~toolkit.result.Result`
whose ``lift`` is the relative difference of the engagement rate (``0.25`` = +25 %).

Methods
-------
``glm``
    Negative binomial (NB2) regression of the count on the label with a ``log(exposure)`` offset,
    dispersion estimated by maximum likelihood, controls for time (linear trend or month), weekday,
    hour band and media type, and standard errors clustered by week (two-way by week and account,
    with account effects, when several accounts are pooled). ``lift = exp(beta) - 1``.
``permutation``
    The week-stratified (Mantel-Haenszel) rate ratio, with labels permuted within weeks: an exact
    conditional test under "labels are exchangeable within a week", robust to trends, seasonality
    and day-to-day shocks, not to a difference in media type or hour between the two kinds of post
    unless those are given as ``strata=`` (cells within weeks). Vectorised numpy.
``bootstrap``
    A block bootstrap over weeks of the same rate ratio (weeks resampled with replacement), with
    Hesterberg's expanded percentile interval for its few weeks.
``mannwhitney``, ``welch``
    The per-post rate (count / exposure) compared by a Mann-Whitney U test (effect size: rank-biserial
    correlation) and by Welch's t test (effect size: Cohen's d). They treat posts as independent.
``bayes``
    A posterior for the week-stratified rate ratio from the Bayesian bootstrap over weeks (Dirichlet
    weights on weeks, i.e. a non-informative Dirichlet-process model of weeks), giving P(lift > 0)
    and P(lift > ``threshold``); deterministic given ``seed``. Its tails are widened for the weeks
    it learns from, as the posterior of a mean with unknown variance is (Student t rather than
    normal; :func:`expanded_prob`); with a handful of weeks, whose draws cannot reach those tails,
    it takes that t posterior itself.

Every row also carries the minimum lift the test could detect with 80 % power at ``alpha`` and the
achieved power at the observed lift, computed from that method's standard error of ``log(1 + lift)``
(with the t distribution the glm and welch test with and the one bootstrap's and bayes's expanded
tails stand for, a normal one for the other methods).

>>> from toolkit.simulate import simulate_profile
>>> posts = simulate_profile(days=120, personal_lift=0.3, seed=4).posts
>>> r = content_lift(posts, label=("content_label", "personal"), metric="likes", method="glm")
>>> r.table.loc[0, ["method", "metric"]].tolist()
['glm', 'likes']
>>> bool(r.table.loc[0, "ci_low"] < 0.3 < r.table.loc[0, "ci_high"])
True
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize, stats

from toolkit.errors import AnalysisError, is_fraction, is_seed, name_list, unordered_date
from toolkit.labels import label_mask
from toolkit.nbreg import NBFit, eventless_values, nb_glm
from toolkit.result import Result, format_pct

__all__ = [
    "content_lift",
    "METHODS",
    "CONTROLS",
    "DEFAULT_CONTROLS",
    "STRATA",
    "ASSUMPTIONS",
    "adjust_pvalues",
    "rate_ratio_permutation",
    "hour_band",
]

METHODS = ("glm", "permutation", "bootstrap", "mannwhitney", "welch", "bayes")
#: control name -> what it adds to the glm
CONTROLS = {
    "trend": "a linear time trend",
    "period": "month effects",
    "weekday": "weekday effects",
    "hour": "hour-band effects (night, morning, afternoon, evening; 'unknown' when the time is not known)",
    "media_type": "media-type effects",
}
DEFAULT_CONTROLS = ("trend", "weekday", "hour", "media_type")
#: what permutation, bootstrap and bayes can compare within besides the week (``strata=``): the
#: glm's control names for the same columns
STRATA = ("media_type", "hour", "weekday")
#: stratified methods: labelled and other posts compared within weeks (and ``strata``)
_STRATIFIED = ("permutation", "bootstrap", "bayes")
#: their false positive rates when media types drive engagement and the label's media mix differs
#: (docs/validation.md, "When the assumptions bend")
_MEDIA_CONFOUNDED = "72-73%"
ADJUST = ("holm", "bh", "none")
HOUR_BANDS = ("night", "morning", "afternoon", "evening")

ASSUMPTIONS = {
    "glm": ("glm: counts are negative binomial (NB2, variance mu + mu^2/theta, theta estimated by ML "
            "and reported as dispersion) with mean proportional to exposure (a log-exposure offset; "
            "with exposure=None none, and the rate is per post); the label effect is multiplicative "
            "and the same across controls; errors are independent between weeks (clustered within "
            "weeks, and within accounts when several are pooled), inference from t with weeks - 1 "
            "df; the trend control is a straight line, so a jump in the account's level at the date "
            "the share of labelled posts changes leaks into the lift (simulated: +30% jump as the "
            "share went from 0.2 to 0.6, 9% false positives at alpha 0.05): then pass change= with "
            "that date, which gives the jump its own term and the label an effect on each side (4-6% "
            "simulated), or prefer permutation or bootstrap; the posts of a control value with no "
            "event at all are left out (that value's effect has no finite estimate, and the fit "
            "without them is the limit of the fit with them)"),
    "permutation": ("permutation: under no lift, labels are exchangeable among the posts of the same "
                    "week (and account, and strata= cell); the statistic is the week-stratified "
                    "Mantel-Haenszel rate ratio; p is twice the smaller one-sided p (the null's two "
                    "tails counted apart, as scipy.stats.permutation_test), and the interval inverts "
                    "that test assuming a constant shift of the log ratio, so the two agree up to one "
                    "resample"),
    "bootstrap": ("bootstrap: weeks are independent draws (block bootstrap over weeks) and enough of "
                  "them (20+) hold both labelled and other posts, the only weeks that inform the "
                  "week-stratified rate ratio; the interval is Hesterberg's expanded percentile "
                  "interval (percentiles at Phi(-sqrt(G / (G - 1)) t(G - 1)) instead of at alpha / 2, G "
                  "those weeks) against the few-weeks narrowness of the plain one; p is the smallest "
                  "alpha whose interval excludes 0, plus 1 / (resamples + 1); sparse counts skew the "
                  "ratio: with about 26 such weeks at 0.4 posts a day it rejected 6.3% of true nulls "
                  "at alpha 0.05 (simulated)"),
    "mannwhitney": ("mannwhitney: posts are independent (ignores day-to-day shocks and trends); compares "
                    "the distributions of per-post rates; lift is the ratio of median rates with a "
                    "week-block bootstrap percentile interval (at most 2,000 resamples); p is the U "
                    "test's, which treats posts as independent and asks whether one kind's rates tend "
                    "to be higher, not whether the medians differ, so p and the interval can disagree on "
                    "whether there is a lift, in either direction"),
    "welch": ("welch: posts are independent (ignores day-to-day shocks and trends); per-post rates have "
              "finite variance and their means are near normal; lift is the ratio of mean rates "
              "(delta-method interval on its log); p is Welch's t-test of equal means, a different "
              "scale, so near p = alpha the two can disagree on whether there is a lift; when the share "
              "of labelled posts changes as the account's level moves, it compares periods, not labels "
              "(simulated: 76% false positives)"),
    "bayes": ("bayes: posterior of the week-stratified rate ratio under a non-informative "
              "Dirichlet-process model of weeks (Bayesian bootstrap: flat Dirichlet(1, ..., 1) "
              "weights on the observed weeks); weeks independent; lift is the posterior median "
              "(observed_lift the data's own ratio), the interval the equal-tailed credible interval; "
              "its tails are widened for the G weeks holding both labelled and other posts (the only "
              "ones that inform it), as a normal posterior becomes Student t on G - 1 df when the "
              "variance is unknown, and P(lift > x) is read from the widened posterior (with so few "
              "weeks that fewer than 5 draws lie beyond a widened tail, from the t posterior about "
              "the median with the draws' widened spread); sparse counts "
              "skew the ratio: with about 26 such weeks at 0.4 posts a day its interval excluded 0 in "
              "7.8% of true nulls (simulated), so it wants about 40 or more: prefer permutation then"),
}


# ---------------------------------------------------------------------------------------------
# Data preparation
# ---------------------------------------------------------------------------------------------
@dataclass
class _Data:
    y: np.ndarray
    exposure: np.ndarray
    treat: np.ndarray
    week: np.ndarray  # codes of the cluster "week"
    stratum: np.ndarray  # codes of account x week (x after change) (x strata=)
    account: np.ndarray
    frame: pd.DataFrame  # aligned covariates
    n_dropped: dict[str, int] = field(default_factory=dict)


def hour_band(published_at: pd.Series, time_known: pd.Series | None = None) -> pd.Series:
    """The hour band of each post: night (0-5), morning (6-11), afternoon (12-17), evening (18-23).

    Posts whose time of day is not known get ``"unknown"``.

    >>> t = pd.Series(pd.to_datetime(["2024-01-01 03:00", "2024-01-01 13:30"], utc=True))
    >>> hour_band(t).tolist()
    ['night', 'afternoon']
    >>> hour_band(t, pd.Series([True, False])).tolist()
    ['night', 'unknown']
    """
    hours = published_at.dt.hour.to_numpy(dtype=float, na_value=np.nan)
    idx = np.where(np.isnan(hours), 0, hours // 6).astype(int)
    out = np.array(HOUR_BANDS, dtype=object)[idx]
    unknown = np.isnan(hours)
    if time_known is not None:
        unknown = unknown | ~time_known.to_numpy(dtype=bool, na_value=False)
    out[unknown] = "unknown"
    return pd.Series(out, index=published_at.index, dtype="string")


def _label_text(label: Any) -> str:
    if isinstance(label, tuple) and len(label) == 2:
        column, value = label
        values = list(value) if isinstance(value, (list, tuple, set, frozenset)) else [value]
        return f"{column} = {'/'.join(map(str, values))}"
    return f"{label} = True"  # a True/False column


def _label_values(posts: pd.DataFrame, label: Any, shown: int = 8) -> str:
    """What the label's column holds, for an error when the label marks no post.

    >>> _label_values(pd.DataFrame({"c": ["b", "a", "b", None]}), ("c", "personal"))
    "c = personal on no post; its values: 'b' (2 posts), 'a' (1), missing (1)"
    """
    column = label[0] if isinstance(label, tuple) else label
    counts = posts[column].value_counts(dropna=False)
    parts = [("missing" if pd.isna(value) else repr(value) if isinstance(value, str) else str(value))
             + (f" ({n} posts)" if i == 0 else f" ({n})")
             for i, (value, n) in enumerate(counts.head(shown).items())]
    more = f", and {len(counts) - shown} more" if len(counts) > shown else ""
    what = _label_text(label)
    return f"{what} on no post; its values: {', '.join(parts)}{more}"


def _prepare(posts: pd.DataFrame, label: Any, metric: str, exposure: str | None,
             change: Any = None, strata: Sequence[str] = ()) -> tuple[_Data, str]:
    if not isinstance(posts, pd.DataFrame):
        raise AnalysisError("posts must be a pandas DataFrame", parameter="posts",
                            found=type(posts).__name__)
    if "published_at" not in posts.columns:
        raise AnalysisError("posts need a published_at column (weeks define the clusters)",
                            column="published_at", found=sorted(map(str, posts.columns)))
    treat = label_mask(posts, label)
    if len(posts) and not treat.fillna(False).any():
        raise AnalysisError("the label marks no post as under test; check its column and value, or "
                            "label the posts first: toolkit.label_personal (a heuristic) or hand labels "
                            "joined by toolkit.labels.combine_labels (notebook 03 shows both)",
                            parameter="label", found=_label_values(posts, label))
    from toolkit import metrics  # noqa: PLC0415

    y = metrics.checked_counts(metrics.metric_values(posts, metric), posts, parameter="metric",
                               column=metric).array
    if exposure is None:
        e = pd.array(np.ones(len(posts)), dtype="Float64")
    else:
        if exposure not in posts.columns:
            raise AnalysisError("exposure column not found", parameter="exposure", column=exposure,
                                found=sorted(map(str, posts.columns)))
        try:
            e = pd.array(posts[exposure], dtype="Float64")
        except (TypeError, ValueError):
            raise AnalysisError("the exposure must be a numeric column", parameter="exposure",
                                column=exposure, found=str(posts[exposure].dtype)) from None
        negative = np.asarray((e < 0).fillna(False))
        if negative.any():
            raise AnalysisError("exposures must be zero or more", parameter="exposure", column=exposure,
                                found=metrics._first_bad(posts[exposure], negative, posts, "negative"))
        if len(posts) and not np.asarray((e > 0).fillna(False)).any():
            raise AnalysisError("exposure is zero or missing on every post; pass exposure=None to "
                                "compare counts per post", parameter="exposure", column=exposure,
                                found=f"{int(e.isna().sum())} missing, {int((e == 0).sum())} zero")
    try:
        t = pd.Series(pd.to_datetime(posts["published_at"], utc=True), index=posts.index)
    except (TypeError, ValueError) as exc:
        raise AnalysisError("published_at must hold dates and times", column="published_at",
                            found=str(exc).splitlines()[0].split(". You might")[0]) from None
    bad_y = np.asarray(y.isna())
    bad_e = np.asarray(e.isna() | (e <= 0))
    bad_l = np.asarray(treat.isna())
    bad_t = np.asarray(t.isna())
    keep = ~(bad_y | bad_e | bad_l | bad_t)
    dropped = {"metric missing": int(bad_y.sum()),
               "exposure missing or 0": int((bad_e & ~bad_y).sum()),
               "label missing": int((bad_l & ~bad_y & ~bad_e).sum()),
               "time missing": int((bad_t & ~bad_l & ~bad_y & ~bad_e).sum())}
    dropped = {k: v for k, v in dropped.items() if v}
    sub = posts.loc[keep]
    if (np.asarray(y[keep]) < 0).any():
        raise AnalysisError("metric counts must be zero or more", parameter="metric", column=metric)
    ts = t[keep]
    days = (ts.dt.tz_convert("UTC").dt.tz_localize(None) - pd.Timestamp("1970-01-05")).dt.days
    week_no = (days.to_numpy() // 7).astype(np.int64)
    account = (sub["account"].astype("string").fillna("").to_numpy(dtype=object)
               if "account" in sub.columns else np.full(len(sub), "", dtype=object))
    acc_codes = pd.factorize(account)[0]
    week_codes = pd.factorize(week_no, sort=True)[0]
    frame = pd.DataFrame({"time": ts.to_numpy(), "days": days.to_numpy(dtype=float),
                          "week": week_no, "account": account}, index=sub.index)
    frame["weekday"] = ts.dt.day_of_week.to_numpy()
    frame["month"] = (ts.dt.year * 100 + ts.dt.month).to_numpy()
    known = sub["time_known"] if "time_known" in sub.columns else None
    frame["hour"] = hour_band(ts, known).to_numpy()
    if "media_type" in sub.columns:
        frame["media_type"] = sub["media_type"].astype("string").fillna("unknown").to_numpy()
    else:
        frame["media_type"] = "unknown"
    strat_keys = acc_codes.astype(np.int64) * 1_000_000 + week_codes
    if change is not None:
        if (why := unordered_date(change)) is not None:
            raise AnalysisError(why, parameter="change", found=repr(change))
        try:
            ch = pd.Timestamp(change)
        except (TypeError, ValueError):
            ch = pd.NaT
        if pd.isna(ch):
            raise AnalysisError("the change must be a date like 2024-07-01", parameter="change",
                                found=change)
        ch = ch.tz_localize("UTC") if ch.tzinfo is None else ch.tz_convert("UTC")
        after = (ts >= ch).to_numpy()
        frame["after"] = after
        strat_keys = strat_keys * 2 + after
        if after.all() or not after.any():
            raise AnalysisError("the change date leaves no posts on one side", parameter="change",
                                found=str(ch.date()))
    for name in strata:  # cells within account x week (x side): one per value of each stratum
        codes, values = pd.factorize(frame[name])
        strat_keys = strat_keys * max(len(values), 1) + codes
    data = _Data(
        y=np.asarray(y[keep], dtype=float),
        exposure=np.asarray(e[keep], dtype=float),
        treat=np.asarray(treat[keep], dtype=bool),
        week=week_codes,
        stratum=pd.factorize(strat_keys)[0],
        account=acc_codes,
        frame=frame,
        n_dropped=dropped,
    )
    if len(data.y) and not (data.y > 0).any():
        raise AnalysisError("the metric is zero on every usable post: there is no engagement to compare",
                            parameter="metric", column=metric, found=f"{len(data.y):,} posts, all 0")
    n_t = int(data.treat.sum())
    if n_t < 2 or len(data.y) - n_t < 2:
        raise AnalysisError("need at least 2 labelled and 2 other posts with the metric and exposure",
                            parameter="label", found=f"{n_t} labelled, {len(data.y) - n_t} others")
    return data, metric


# ---------------------------------------------------------------------------------------------
# Negative binomial GLM (fitted by toolkit.nbreg), clustered over (beta, log theta)
# ---------------------------------------------------------------------------------------------
def _cluster_meat(scores: np.ndarray, groups: np.ndarray) -> np.ndarray:
    codes, inv = np.unique(groups, return_inverse=True)
    sums = np.zeros((len(codes), scores.shape[1]))
    np.add.at(sums, inv, scores)
    return sums.T @ sums, len(codes)


def _clustered_vcov(fit: NBFit, clusters: Sequence[np.ndarray]) -> tuple[np.ndarray, int]:
    """Cluster-robust (one- or two-way, Cameron-Gelbach-Miller) covariance of ``(beta, log theta)``
    with the CR1 factor: the dispersion's uncertainty is carried into the coefficients' errors."""
    scores, hessian = fit.joint_information()
    n, p = scores.shape
    bread = np.linalg.inv(-hessian)

    def part(groups):
        meat, g = _cluster_meat(scores, groups)
        c = g / (g - 1) * (n - 1) / (n - p) if g > 1 else 1.0
        return c * bread @ meat @ bread, g

    v, g0 = part(clusters[0])
    if len(clusters) == 2:
        v1, _ = part(clusters[1])
        v12, _ = part(clusters[0].astype(np.int64) * 1_000_003 + clusters[1])
        v = v + v1 - v12
        w, vec = np.linalg.eigh((v + v.T) / 2)
        v = (vec * np.clip(w, 0, None)) @ vec.T
    return v, g0


def _spanning_columns(X: np.ndarray, tol: float = 1e-10) -> list[int]:
    """Columns not spanned by the columns before them: a Cholesky sweep of the scaled Gram matrix
    (its diagonal is the squared diagonal of R in X = QR), tiny k x k arithmetic instead of a QR of X."""
    scale = np.sqrt((X**2).mean(axis=0))
    Z = X / np.where(scale > 0, scale, 1.0)
    G = Z.T @ Z / len(Z)
    k = G.shape[0]
    L = np.zeros((k, k))
    keep = []
    for j in range(k):
        v = G[j, j] - L[j, :j] @ L[j, :j]
        if v <= tol * max(G[j, j], 1e-300):
            continue
        keep.append(j)
        L[j, j] = np.sqrt(v)
        L[j + 1:, j] = (G[j + 1:, j] - L[j + 1:, :j] @ L[j, :j]) / L[j, j]
    return keep


def _independent_columns(X: np.ndarray, candidates: list[int]) -> list[int]:
    """Greedy exact-rank check over ``candidates``, used only when the screen found a dependent column."""
    keep: list[int] = []
    for j in candidates:
        if np.linalg.matrix_rank(X[:, keep + [j]]) == len(keep) + 1:
            keep.append(j)
    return keep


#: why a requested control was not fitted: it has one value on every post
_SKIP_REASONS = {"trend": "all posts on one day", "period": "all posts in one month",
                 "weekday": "all posts on one weekday", "hour": "all posts in one hour band",
                 "media_type": "all posts of one media type"}


def _design(d: _Data, controls: Sequence[str], with_change: bool
            ) -> tuple[np.ndarray, list[str], list[str], list[str], dict[str, str]]:
    """Model matrix, its column names, the controls used, terms left out as collinear, and the
    requested controls not fitted (control -> why)."""
    f = d.frame
    cols = [np.ones(len(d.y)), d.treat.astype(float)]
    names = ["intercept", "label"]
    used = []
    skipped: dict[str, str] = {}
    if with_change:
        cols += [f["after"].to_numpy(dtype=float), (d.treat & f["after"].to_numpy()).astype(float)]
        names += ["after", "label:after"]
    n_acc = len(np.unique(d.account))
    factors = []
    if n_acc > 1:
        factors.append(("account", f["account"]))
    for c in controls:
        if c == "trend":
            days = f["days"].to_numpy()
            if days.std() > 0:
                cols.append((days - days.mean()) / 365.25)
                names.append("trend")
                used.append(c)
            else:
                skipped[c] = _SKIP_REASONS[c]
        elif c == "period":
            factors.append(("period", f["month"]))
        elif c == "weekday":
            factors.append(("weekday", f["weekday"]))
        elif c == "hour":
            factors.append(("hour", f["hour"]))
        elif c == "media_type":
            factors.append(("media_type", f["media_type"]))
    for name, values in factors:
        codes, levels = pd.factorize(pd.Series(values).astype(str), sort=True)
        if len(levels) < 2:
            if name in ("hour", "media_type") and list(levels) == ["unknown"]:
                skipped[name] = "time of day not known" if name == "hour" else "media type not known"
            elif name != "account":
                skipped[name] = _SKIP_REASONS[name]
            continue
        dummies = np.eye(len(levels))[codes][:, 1:]
        for j, lev in enumerate(levels[1:]):
            cols.append(dummies[:, j])
            names.append(f"{name}[{lev}]")
        if name != "account":
            used.append(name if name != "period" else "period")
    X = np.column_stack(cols)
    # drop columns that are collinear with earlier ones (e.g. a media type only personal posts have):
    # one QR of the scaled matrix; a tiny diagonal entry means "spanned by the columns before it"
    # controls enter before the label terms, so a label that the controls explain is the one that is
    # found dependent (and reported), not a control silently dropped in its place
    protected = list(range(1, 4 if with_change else 2))
    order = [0] + [j for j in range(1, X.shape[1]) if j not in protected] + protected
    kept = set(order[j] for j in _spanning_columns(X[:, order]))
    lost = [names[j] for j in protected if j not in kept]
    if lost:
        raise AnalysisError("the label cannot be told apart from the controls (e.g. every labelled post "
                            "has one media type); drop that control", parameter="controls", found=lost)
    keep = [j for j in range(X.shape[1]) if j in kept]
    if len(keep) < X.shape[1]:
        keep = _independent_columns(X, keep)
    dropped = [names[j] for j in range(X.shape[1]) if j not in keep]
    return X[:, keep], [names[j] for j in keep], used, dropped, skipped


# ---------------------------------------------------------------------------------------------
# Stratified rate ratio: permutation, bootstrap, bayes
# ---------------------------------------------------------------------------------------------
def _stratum_sums(d: _Data):
    s = d.stratum
    n_s = s.max() + 1
    yT = np.bincount(s, d.y * d.treat, n_s)
    eT = np.bincount(s, d.exposure * d.treat, n_s)
    yA = np.bincount(s, d.y, n_s)
    eA = np.bincount(s, d.exposure, n_s)
    return yT, eT, yA, eA


def _mh_parts(yT, eT, yA, eA):
    """Per-stratum numerator and denominator of the Mantel-Haenszel rate ratio."""
    with np.errstate(invalid="ignore", divide="ignore"):
        num = np.where(eA > 0, yT * (eA - eT) / eA, 0.0)
        den = np.where(eA > 0, (yA - yT) * eT / eA, 0.0)
    return num, den


def _log_ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.log(num) - np.log(den)


def _random_subset_sums(rng: np.random.Generator, ye1: np.ndarray, b: int, k: int):
    """Sums of ``y`` and ``e`` over ``b`` uniformly random ``k``-subsets of the rows of ``ye1``.

    Each row draws i.i.d. integer keys (16-bit for small strata, 32-bit otherwise; raw generator
    output is the cheapest source of random bits) and takes the ``k`` smallest: ``np.partition`` finds the k-th key and a 0/1 matrix product
    sums the rows at or below it. When the k-th key is tied, the row selects more than ``k`` posts;
    such rows (a few percent at most) are redrawn with float64 keys and ``argpartition``. The keys are
    exchangeable, so both the untied rows and the redrawn ones are uniform k-subsets: the resamples are
    exact random permutations.
    """
    m = len(ye1)
    dtype = np.uint16 if m <= 2048 else np.uint32
    n = b * m
    per_word = 8 // np.dtype(dtype).itemsize
    # raw 64-bit outputs of the bit generator, viewed as 16- or 32-bit keys: the cheapest random bits
    keys = rng.bit_generator.random_raw(-(-n // per_word)).view(dtype)[:n].reshape(b, m)
    kth = np.partition(keys, k - 1, axis=1)[:, k - 1:k]
    sums = (keys <= kth).astype(np.float64) @ ye1
    tied = np.flatnonzero(sums[:, 2] != k)
    if len(tied):
        idx = np.argpartition(rng.random((len(tied), m)), k - 1, axis=1)[:, :k]
        sums[tied] = ye1[idx].sum(axis=1)
    return sums[:, 0], sums[:, 1]


def rate_ratio_permutation(y: np.ndarray, exposure: np.ndarray, treat: np.ndarray,
                           strata: np.ndarray, n_resamples: int = 10_000, seed: int = 0,
                           batch_elements: int = 4_000_000) -> tuple[float, np.ndarray]:
    """Observed log Mantel-Haenszel rate ratio and its permutation null distribution.

    Labels are permuted within strata: in each resample and stratum, the labelled posts are a
    uniformly random subset of the stratum's posts of the observed size (the smallest of i.i.d.
    random keys, see :func:`_random_subset_sums`), so every resample is an exact random permutation.
    Resamples are processed in batches, one stratum at a time, so memory stays at about
    ``batch_elements`` keys.

    >>> rng = np.random.default_rng(1)
    >>> y = rng.poisson(5, 200).astype(float); e = np.ones(200); t = np.arange(200) % 3 == 0
    >>> obs, null = rate_ratio_permutation(y, e, t, np.arange(200) // 20, n_resamples=500)
    >>> null.shape
    (500,)
    """
    rng = np.random.default_rng(seed)
    y = np.asarray(y, dtype=float)
    e = np.asarray(exposure, dtype=float)
    treat = np.asarray(treat, dtype=bool)
    strata = pd.factorize(np.asarray(strata))[0]
    order = np.argsort(strata, kind="stable")
    y, e, treat, strata = y[order], e[order], treat[order], strata[order]
    bounds = np.flatnonzero(np.diff(strata)) + 1
    starts = np.r_[0, bounds]
    ends = np.r_[bounds, len(y)]
    sizes = ends - starts
    k_t = np.add.reduceat(treat.astype(np.int64), starts)
    yA = np.add.reduceat(y, starts)
    eA = np.add.reduceat(e, starts)
    num, den = _mh_parts(np.add.reduceat(y * treat, starts), np.add.reduceat(e * treat, starts), yA, eA)
    observed = float(_log_ratio(num.sum(), den.sum()))
    # strata with both groups are the only ones that vary under permutation
    varying = np.flatnonzero((k_t > 0) & (k_t < sizes))
    fixed_num = num.sum() - num[varying].sum()
    fixed_den = den.sum() - den[varying].sum()
    null = np.empty(n_resamples)
    ye1 = np.column_stack([y, e, np.ones(len(y))])
    per = max(1, int(batch_elements // max(1, len(y))))
    for b0 in range(0, n_resamples, per):
        b = min(per, n_resamples - b0)
        tot_num = np.full(b, fixed_num)
        tot_den = np.full(b, fixed_den)
        for s in varying:
            a, z, k = starts[s], ends[s], int(k_t[s])
            pick = min(k, (z - a) - k)  # select the smaller group: fewer ties, same information
            sy, se = _random_subset_sums(rng, ye1[a:z], b, pick)
            if pick != k:  # we picked the baseline posts
                sy, se = yA[s] - sy, eA[s] - se
            tot_num += sy * (eA[s] - se) / eA[s]
            tot_den += (yA[s] - sy) * se / eA[s]
        null[b0:b0 + b] = _log_ratio(tot_num, tot_den)
    return observed, null


# ---------------------------------------------------------------------------------------------
# Multiplicity and power
# ---------------------------------------------------------------------------------------------
def adjust_pvalues(p: Sequence[float], method: str = "holm") -> np.ndarray:
    """Holm (family-wise error) or Benjamini-Hochberg (false discovery rate) adjusted p-values.

    Missing p-values stay missing and do not count in the family.

    >>> adjust_pvalues([0.01, 0.04, 0.03], "holm").round(3).tolist()  # R: p.adjust(..., "holm")
    [0.03, 0.06, 0.06]
    >>> adjust_pvalues([0.01, 0.04, 0.03], "bh").round(3).tolist()    # R: p.adjust(..., "BH")
    [0.03, 0.04, 0.04]
    """
    p = np.asarray(p, dtype=float)
    out = np.full(p.shape, np.nan)
    ok = ~np.isnan(p)
    q = p[ok]
    m = len(q)
    if m == 0 or method == "none":
        out[ok] = q
        return out
    order = np.argsort(q, kind="stable")
    sq = q[order]
    if method == "holm":
        adj = np.maximum.accumulate((m - np.arange(m)) * sq)
    elif method in ("bh", "fdr_bh"):
        adj = np.minimum.accumulate((m / np.arange(m, 0, -1) * sq[::-1]))[::-1]
    else:
        raise AnalysisError("unknown multiplicity adjustment", parameter="adjust", found=method)
    res = np.empty(m)
    res[order] = np.minimum(adj, 1.0)
    out[ok] = res
    return out


#: methods whose interval and test use a t distribution with the row's ``df`` (bootstrap's and
#: bayes's through their expanded tails)
_T_METHODS = ("glm", "welch", "bootstrap", "bayes")


def _power(lift: float, se: float, alpha: float, power: float = 0.8,
           df: float | None = None) -> tuple[float, float]:
    """(achieved power at the observed lift, minimum detectable lift at ``power``) for a two-sided
    test of ``log(1 + lift)`` with standard error ``se``: a z-test, or a t-test with ``df`` degrees
    of freedom (the glm's weeks - 1, Welch's, or bootstrap's weeks with both kinds of post - 1)
    whose power comes from the noncentral t."""
    if not np.isfinite(se) or se <= 0:
        return float("nan"), float("nan")
    if df is None or not np.isfinite(df):
        z = stats.norm.ppf(1 - alpha / 2)
        mdl = math.expm1((z + stats.norm.ppf(power)) * se)

        def power_at(delta):
            return float(stats.norm.cdf(delta - z) + stats.norm.cdf(-delta - z))
    else:
        tq = stats.t.ppf(1 - alpha / 2, df)

        def power_at(delta):
            # scipy's noncentral t cdf returns nan for some far lower tails (cdf(-1.99, 78, 9.66));
            # on a grid of df 1-5000, alpha 0.001-0.2 that happens only for noncentralities of
            # 4.95 or more, where the tail is below 1e-11: it counts as 0
            lower = float(np.nan_to_num(stats.nct.cdf(-tq, df, delta), nan=0.0))
            return float(stats.nct.sf(tq, df, delta)) + lower

        # the noncentrality with exactly ``power``: it lies above tq (power there is ~0.5) for power > 0.5
        hi = tq + stats.norm.ppf(power) + 1.0
        while power_at(hi) < power:
            hi *= 2
        mdl = math.expm1(optimize.brentq(lambda nc: power_at(nc) - power, 0.0, hi, xtol=1e-10) * se)
    if not np.isfinite(lift) or lift <= -1:
        return float("nan"), mdl
    return power_at(abs(math.log1p(lift)) / se), mdl


# ---------------------------------------------------------------------------------------------
# The methods; each returns a list of row dicts
# ---------------------------------------------------------------------------------------------
def _term_posts(d: _Data, term: str) -> np.ndarray:
    """The posts a term compares: those before or after the change for ``"label, before
    change"`` / ``"label, after change"``, every post otherwise (``"label"``, ``"gain after
    change"``, which sets the two periods against each other)."""
    if term in ("label, before change", "label, after change") and "after" in d.frame.columns:
        after = d.frame["after"].to_numpy(dtype=bool)
        return after if term == "label, after change" else ~after
    return np.ones(len(d.treat), dtype=bool)


def _weeks_with_both(d: _Data, posts: np.ndarray) -> int:
    """Weeks in which some stratum (account x week, and side of the change and ``strata=`` cells)
    has both labelled and other posts among ``posts``: the only weeks that inform the
    week-stratified rate ratio.

    >>> d = _Data(y=np.zeros(5), exposure=np.ones(5), treat=np.array([1, 0, 1, 1, 0], bool),
    ...           week=np.array([0, 0, 1, 2, 2]), stratum=np.array([0, 0, 1, 2, 2]),
    ...           account=np.zeros(5), frame=pd.DataFrame(index=range(5)))
    >>> _weeks_with_both(d, np.ones(5, bool))
    2
    """
    n_s = d.stratum.max() + 1 if len(d.stratum) else 0
    labelled = np.bincount(d.stratum[posts & d.treat], minlength=n_s) > 0
    other = np.bincount(d.stratum[posts & ~d.treat], minlength=n_s) > 0
    both = np.zeros(n_s, dtype=bool)
    both[: len(labelled)] = labelled & other
    return len(np.unique(d.week[both[d.stratum] & posts]))


def _term_weeks_with_both(d: _Data, term: str) -> int:
    """The weeks that inform a term's week-stratified ratio (:func:`_weeks_with_both`); for
    ``"gain after change"`` the fewer of the two sides', as the side with fewer such weeks limits
    the difference (as the conservative degrees of freedom of Welch's test, min(n1, n2) - 1)."""
    if term == "gain after change":
        return min(_term_weeks_with_both(d, "label, before change"),
                   _term_weeks_with_both(d, "label, after change"))
    return _weeks_with_both(d, _term_posts(d, term))


def _row(method, metric, lift, lo, hi, p, d: _Data, se, term="label", **extra):
    posts = _term_posts(d, term)
    return {"method": method, "metric": metric, "lift": lift, "ci_low": lo, "ci_high": hi,
            "p_value": p, "n_baseline": int((~d.treat & posts).sum()),
            "n_treatment": int((d.treat & posts).sum()),
            "term": term, "se_log": se, "weeks": int(d.week.max()) + 1,
            "weeks_with_both": _term_weeks_with_both(d, term), **extra}


def _check_weeks(d: _Data, method: str) -> None:
    """glm, bootstrap and bayes measure uncertainty from week-to-week variation: with posts in one
    week there is none to measure, and their interval would shrink to the estimate itself. With a
    change date, each side of it has its own lift and needs its own weeks."""
    if "after" in d.frame.columns:
        after = d.frame["after"].to_numpy(dtype=bool)
        sides = {" before the change": ~after, " after the change": after}
    else:
        sides = {"": np.ones(len(d.week), dtype=bool)}
    for side, rows in sides.items():
        n_weeks = len(np.unique(d.week[rows]))
        if n_weeks < 2:
            raise AnalysisError(f"method {method!r} measures uncertainty from week-to-week variation "
                                f"and needs posts in at least 2 weeks{side}; "
                                + ("move the change date or collect more weeks" if side else
                                   "use method='permutation' or 'welch', or collect more weeks"),
                                parameter="method",
                                found=f"{method}: posts in {n_weeks} week{side}")


def _check_engaged(d: _Data, metric: str, label_text: str) -> None:
    """The glm's label effect is a log rate ratio: when every post of a group it compares has a
    metric of 0, that ratio is 0 or infinite and the model cannot converge on it. Name the group,
    not the model. With a change date, each period's labelled and other posts are compared."""
    groups = {f"posts with {label_text}": d.treat, "the other posts": ~d.treat}
    if "after" in d.frame.columns:
        after = d.frame["after"].to_numpy(dtype=bool)
        groups = {f"{name} {side} the change": rows & (after if side == "after" else ~after)
                  for name, rows in groups.items() for side in ("before", "after")}
    for name, rows in groups.items():
        if rows.any() and not (d.y[rows] > 0).any():
            n = int(rows.sum())
            raise AnalysisError(f"no engagement among the {name}: {metric} is 0 on all {n} of them, "
                                "so the rate ratio is 0 or infinite and the glm has no estimate; "
                                "check the metric and the label", parameter="metric", column=metric,
                                found=f"{n} posts, all 0")


#: the glm's factor controls and the columns of ``_Data.frame`` that hold them
_FACTORS = {"period": "month", "weekday": "weekday", "hour": "hour", "media_type": "media_type"}


def _without_unengaged_values(d: _Data, controls: Sequence[str]) -> tuple[_Data, dict[str, list[str]]]:
    """``d`` without the posts of control values on which the metric is 0 on every post, and
    those values per control (:func:`toolkit.nbreg.eventless_values`: such a value has no finite
    effect, and the fit without its posts is the limit of the fit with them)."""
    factors = {c: d.frame[_FACTORS[c]].to_numpy() for c in controls if c in _FACTORS}
    gone, empty = eventless_values(d.y, factors)
    if not empty.any():
        return d, {}
    keep = ~empty
    return replace(d, y=d.y[keep], exposure=d.exposure[keep], treat=d.treat[keep], week=d.week[keep],
                   stratum=d.stratum[keep], account=d.account[keep], frame=d.frame.loc[keep]), gone


def _glm(d: _Data, metric, controls, level, change, label_text="the label") -> tuple[list[dict], dict]:
    _check_weeks(d, "glm")
    _check_engaged(d, metric, label_text)
    n_before = len(d.y)
    d, unengaged = _without_unengaged_values(d, controls)
    n_unengaged = n_before - len(d.y)
    X, names, used, dropped_terms, skipped = _design(d, controls, change is not None)
    if len(d.y) < X.shape[1] + 10:
        raise AnalysisError(f"too few posts ({len(d.y)}) for a model with {X.shape[1]} coefficients; "
                            "use fewer controls (controls=[]) or more posts", parameter="controls",
                            found=", ".join(names))
    offset = np.log(d.exposure)
    fit = nb_glm(d.y, X, offset, names=names)
    if not fit.converged:
        raise AnalysisError("the negative binomial model did not converge", parameter="method",
                            found=f"glm, {fit.iterations} iterations")
    clusters = [d.week] if len(np.unique(d.account)) < 2 else [d.week, d.account]
    v, g = _clustered_vcov(fit, clusters)
    k = len(names)
    se = np.sqrt(np.diag(v)[:k])
    df = max(g - 1, 1)
    tq = stats.t.ppf(0.5 + level / 2, df)
    rows = []

    def est(vec, term):
        b = float(vec @ fit.params)
        s = float(np.sqrt(vec @ v[:k, :k] @ vec))
        p = float(2 * stats.t.sf(abs(b / s), df))
        return _row("glm", metric, math.expm1(b), math.expm1(b - tq * s), math.expm1(b + tq * s), p, d, s,
                    term=term, statistic=b / s, df=float(df), dispersion=fit.theta)

    unit = np.zeros(k)
    if change is None:
        unit[names.index("label")] = 1
        rows.append(est(unit, "label"))
    else:
        before = unit.copy(); before[names.index("label")] = 1
        after = before.copy(); after[names.index("label:after")] = 1
        inter = unit.copy(); inter[names.index("label:after")] = 1
        rows += [est(before, "label, before change"), est(after, "label, after change"),
                 est(inter, "gain after change")]
    details = {"coefficients": pd.DataFrame({"term": names, "estimate": fit.params, "se": se}),
               "theta": fit.theta, "controls_used": used, "controls_skipped": skipped, "clusters": g,
               "dropped_terms": dropped_terms, "unengaged_values": unengaged,
               "unengaged_posts": n_unengaged}
    return rows, details


def _mh_week_parts(d: _Data):
    yT, eT, yA, eA = _stratum_sums(d)
    num, den = _mh_parts(yT, eT, yA, eA)
    # blocks for resampling: weeks (shared across accounts and sides of the change)
    s_week = np.zeros(len(num), dtype=np.int64)
    s_week[d.stratum] = d.week
    after = np.zeros(len(num), dtype=bool)
    if "after" in d.frame.columns:
        after[d.stratum] = d.frame["after"].to_numpy()
    n_w = d.week.max() + 1
    parts = {}
    for key, sel in (("all", np.ones(len(num), bool)), ("before", ~after), ("after", after)):
        parts[key] = (np.bincount(s_week[sel], num[sel], n_w), np.bincount(s_week[sel], den[sel], n_w))
    return parts, n_w


def _resampled_terms(parts, weights, change):
    """log rate ratios for each term from week weights (B x weeks)."""
    out = {}
    if change is None:
        num, den = parts["all"]
        out["label"] = _log_ratio(weights @ num, weights @ den)
    else:
        b = _log_ratio(weights @ parts["before"][0], weights @ parts["before"][1])
        a = _log_ratio(weights @ parts["after"][0], weights @ parts["after"][1])
        out = {"label, before change": b, "label, after change": a, "gain after change": a - b}
    return out


def _quantile(values: np.ndarray, q) -> np.ndarray:
    """``np.quantile`` where +-inf are values beyond every finite one: interpolating next to an
    infinite value gives that infinity (``np.quantile`` itself returns NaN there)."""
    big = 1e300
    out = np.quantile(np.clip(values, -big, big), q)
    return np.where(np.abs(out) > 1e200, np.copysign(np.inf, out), out)


def _usable(values: np.ndarray, observed: float, metric: str, term: str) -> tuple[np.ndarray, dict]:
    """Resampled log ratios without the NaN ones (no event in either group: undefined), keeping
    +-inf (no event in one group: a value beyond every finite one), and their counts."""
    if not np.isfinite(observed):
        raise AnalysisError("the rate ratio is undefined (no engagement in one group)", parameter="metric",
                            found=f"{metric}, {term}")
    v = values[~np.isnan(values)]
    if len(v) == 0:
        raise AnalysisError("every resample has an undefined rate ratio (too few engaged posts)",
                            parameter="metric", found=f"{metric}, {term}")
    return v, {"resamples": len(v), "resamples_dropped": len(values) - len(v),
               "resamples_infinite": int(np.isinf(v).sum())}


def _widening(weeks: int, bayesian: bool) -> float:
    """How much wider than their spread the t posterior of a mean over ``weeks`` blocks is, as a
    standard deviation: the plain bootstrap's variance of a mean is ``S / G`` and the Bayesian
    bootstrap's ``S / (G + 1)`` (Rubin 1981), with ``S`` the blocks' variance about their mean; the
    t interval's squared scale is ``S / (G - 1)``."""
    g = max(int(weeks), 2)
    return math.sqrt((g + 1 if bayesian else g) / (g - 1))


def expanded_tail(level: float, weeks: int, bayesian: bool = False) -> float:
    """The lower percentile of Hesterberg's expanded percentile interval at ``level`` from
    ``weeks`` independent blocks: ``Phi(-sqrt(G / (G - 1)) * t_{G-1}(1/2 + level/2))`` instead of
    ``(1 - level) / 2``. The plain percentile interval is too narrow with few blocks (for a mean, by
    the factors ``sqrt((G - 1) / G)`` and ``z / t``); this widens it by both, so that for a
    symmetric statistic it matches the t interval (Hesterberg 2015, "What teachers should know about
    the bootstrap", The American Statistician 69(4), arXiv:1411.5279; R: ``resample::ExpandProbs``).
    ``bayesian=True`` does the same for draws of the Bayesian bootstrap, whose spread is narrower
    still, by ``sqrt(G / (G + 1))``: the factor is ``sqrt((G + 1) / (G - 1))``.

    >>> round(expanded_tail(0.95, 26), 4), round(expanded_tail(0.95, 10**6), 4)
    (0.0179, 0.025)
    >>> round(expanded_tail(0.95, 26, bayesian=True), 4)
    0.0162
    """
    g = max(int(weeks), 2)
    return float(stats.norm.cdf(-_widening(g, bayesian) * stats.t.ppf(0.5 + level / 2, g - 1)))


def expanded_p(share: float, weeks: int) -> float:
    """The two-sided p-value that goes with :func:`expanded_tail`: the smallest ``1 - level``
    whose expanded interval leaves out 0, when a fraction ``share`` of the resampled statistics
    lies beyond 0 (on the side away from the estimate).

    >>> expanded_p(expanded_tail(0.95, 26), 26)  # on the edge of the 95% interval
    0.05
    """
    g = max(int(weeks), 2)
    if share <= 0:
        return 0.0
    return float(round(2 * stats.t.cdf(stats.norm.ppf(min(share, 0.5)) / _widening(g, False), g - 1), 12))


def _informative_weeks(d: _Data, method: str, terms: Sequence[str]) -> dict[str, int]:
    """Per term, the weeks that inform the week-stratified ratio (:func:`_term_weeks_with_both`).
    With fewer than 2, resampling weeks cannot show any uncertainty: bootstrap and bayes refuse."""
    sides = {t: _term_weeks_with_both(d, t) for t in terms}
    for term, g in sides.items():
        if g < 2:
            where = "" if term == "label" else f" ({term})"
            raise AnalysisError(f"method {method!r} learns its uncertainty from the weeks in which "
                                "labelled and other posts meet (in one account and, with a change date, "
                                "on one side of it, and in one strata= cell) and needs 2 or more; use "
                                "method='permutation', fewer strata, or collect more weeks",
                                parameter="method",
                                found=f"{method}: {g} such week{'' if g == 1 else 's'}{where}")
    return sides


def _bootstrap(d, metric, level, change, n_resamples, rng) -> tuple[list[dict], dict[str, np.ndarray]]:
    """Rows of the week-block bootstrap, and its resampled log rate ratios per term."""
    _check_weeks(d, "bootstrap")
    parts, n_w = _mh_week_parts(d)
    counts = rng.multinomial(n_w, np.full(n_w, 1.0 / n_w), size=n_resamples).astype(float)
    obs = _resampled_terms(parts, np.ones((1, n_w)), change)
    boot = _resampled_terms(parts, counts, change)
    weeks = _informative_weeks(d, "bootstrap", list(boot))
    rows, draws = [], {}
    for term, values in boot.items():
        o = float(obs[term][0])
        v, counts = _usable(values, o, metric, term)
        g = weeks[term]
        # expanded percentile interval: its percentiles stand for G weeks, not for infinitely many;
        # the p-value inverts it, plus 1 / (B + 1), so the two agree except within that margin
        tail = expanded_tail(level, g)
        lo, hi = _quantile(v, [tail, 1 - tail])
        share = min(np.mean(v <= 0), np.mean(v >= 0))
        p = min(1.0, expanded_p(share, g) + 1 / (len(v) + 1))
        se = float(np.std(v[np.isfinite(v)], ddof=1)) * _widening(g, False)
        rows.append(_row("bootstrap", metric, math.expm1(o), math.expm1(lo), math.expm1(hi),
                         p, d, se, term=term, df=float(g - 1), **counts))
        draws[term] = v
    return rows, draws


def expanded_prob(share: float, weeks: int) -> float:
    """A posterior probability ``P(theta <= x)`` of the Bayesian bootstrap over ``weeks`` blocks,
    mapped to the same probability of the few-weeks posterior whose interval is
    ``expanded_tail(level, weeks, bayesian=True)``: ``T_{G-1}(Phi^-1(share) / sqrt((G + 1) / (G -
    1)))``. It inverts the expansion, so ``x`` lies outside that interval exactly when this
    probability does.

    For a normal mean, the Bayesian bootstrap's posterior is about normal with variance
    ``S / (G + 1)`` (``S`` the blocks' variance about their mean; Rubin 1981, "The Bayesian
    bootstrap", Annals of Statistics 9(1)); the posterior under the usual non-informative prior of
    normal theory (``p(mu, sigma^2) ~ 1 / sigma^2``) is Student t on G - 1 degrees of freedom with
    scale ``sqrt(S / (G - 1))`` (Gelman et al., "Bayesian Data Analysis", 3rd ed., section 3.2).
    This maps the first onto the second, keeping the draws' own skew.

    >>> round(expanded_prob(0.025, 26), 4), expanded_prob(0.5, 26)
    (0.0355, 0.5)
    >>> round(expanded_prob(expanded_tail(0.95, 26, bayesian=True), 26), 12)
    0.025
    """
    g = max(int(weeks), 2)
    if share <= 0 or share >= 1:
        return float(share)
    return float(stats.t.cdf(stats.norm.ppf(share) / _widening(g, True), g - 1))


#: the fewest posterior draws beyond each widened tail for bayes to read its interval from the
#: draws; with fewer (a handful of weeks, or few resamples) it takes the t posterior (see _bayes)
_FEWEST_TAIL_DRAWS = 5


def _bayes(d, metric, level, change, n_resamples, rng, threshold) -> tuple[list[dict], dict[str, np.ndarray]]:
    """Rows of the Bayesian bootstrap over weeks, its tails widened for the weeks it has, and its
    posterior draws of the log rate ratio per term."""
    _check_weeks(d, "bayes")
    parts, n_w = _mh_week_parts(d)
    weights = rng.dirichlet(np.ones(n_w), size=n_resamples)
    obs = _resampled_terms(parts, np.ones((1, n_w)), change)
    draws = _resampled_terms(parts, weights, change)
    weeks = _informative_weeks(d, "bayes", list(draws))
    rows, kept = [], {}
    for term, values in draws.items():
        v, counts = _usable(values, float(obs[term][0]), metric, term)
        kept[term] = v
        g = weeks[term]
        median = float(_quantile(v, 0.5))
        finite = v[np.isfinite(v)]
        se = float(np.std(finite, ddof=1)) * _widening(g, True) if len(finite) > 1 else float("nan")
        tail = expanded_tail(level, g, bayesian=True)
        if tail * len(v) >= _FEWEST_TAIL_DRAWS or not (np.isfinite(se) and se > 0):
            # the few-weeks posterior (see expanded_prob): its quantiles are the draws' quantiles at
            # the expanded tails, and its probabilities the draws' shares mapped the same way
            lo_q, hi_q = _quantile(v, [tail, 1 - tail])
            below = lambda x: expanded_prob(float(np.mean(v <= x)), g)  # noqa: E731
        else:
            # so few weeks that the draws cannot reach those tails (a ratio of weighted sums never
            # leaves the range of the weeks' own ratios): the t posterior itself, about the median
            # with the widened spread
            half = float(stats.t.ppf(0.5 + level / 2, g - 1)) * se
            lo_q, hi_q = median - half, median + half
            below = lambda x: float(stats.t.cdf((x - median) / se, g - 1))  # noqa: E731
        rows.append(_row("bayes", metric, math.expm1(median), math.expm1(lo_q), math.expm1(hi_q),
                         float("nan"), d, se, term=term, df=float(g - 1),
                         prob_positive=1 - below(0.0), prob_above_threshold=1 - below(math.log1p(threshold)),
                         threshold=threshold, observed_lift=math.expm1(float(obs[term][0])), **counts))
    return rows, kept


def _permutation(d, metric, level, n_resamples, seed) -> list[dict]:
    if _weeks_with_both(d, _term_posts(d, "label")) == 0:
        raise AnalysisError("method 'permutation' compares labelled and other posts within weeks (in one "
                            "account and one strata= cell) and no week holds both; use method='glm', "
                            "fewer strata, or collect more weeks", parameter="method",
                            found="permutation: 0 such weeks")
    obs, null = rate_ratio_permutation(d.y, d.exposure, d.treat, d.stratum, n_resamples, seed)
    null, counts = _usable(null, obs, metric, "label")
    # two-sided p: twice the smaller one-sided p, as scipy.stats.permutation_test, so that it falls
    # below 1 - level exactly when the equal-tailed interval below leaves out 0 (up to one resample);
    # an infinite resample (no labelled event) lies beyond every finite observed ratio
    above = (1 + np.sum(null >= obs - 1e-12)) / (len(null) + 1)
    below = (1 + np.sum(null <= obs + 1e-12)) / (len(null) + 1)
    p = float(min(1.0, 2 * min(above, below)))
    lo_q, hi_q = _quantile(null, [0.5 - level / 2, 0.5 + level / 2])
    return [_row("permutation", metric, math.expm1(obs), math.expm1(obs - hi_q), math.expm1(obs - lo_q), p,
                 d, float(np.std(null[np.isfinite(null)], ddof=1)), **counts)]


def _rates(d):
    r = d.y / d.exposure
    return r[d.treat], r[~d.treat]


def _welch(d, metric, level) -> list[dict]:
    a, b = _rates(d)
    t = stats.ttest_ind(a, b, equal_var=False)
    ma, mb = a.mean(), b.mean()
    va, vb = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
    df = float(t.df)
    # delta method on log(ma / mb)
    se = math.sqrt(va / ma**2 + vb / mb**2) if ma > 0 and mb > 0 else float("nan")
    tq = stats.t.ppf(0.5 + level / 2, df)
    lr = math.log(ma / mb) if ma > 0 and mb > 0 else float("nan")
    sp = math.sqrt(((len(a) - 1) * a.var(ddof=1) + (len(b) - 1) * b.var(ddof=1)) / (len(a) + len(b) - 2))
    return [_row("welch", metric, ma / mb - 1, math.expm1(lr - tq * se), math.expm1(lr + tq * se),
                 float(t.pvalue), d, se, statistic=float(t.statistic), df=df,
                 effect_size=(ma - mb) / sp if sp > 0 else float("nan"), effect_size_name="cohen_d",
                 mean_diff=ma - mb)]


def _mannwhitney(d, metric, level, n_resamples, rng) -> list[dict]:
    a, b = _rates(d)
    u = stats.mannwhitneyu(a, b, alternative="two-sided", method="asymptotic", use_continuity=True)
    rbc = 2 * u.statistic / (len(a) * len(b)) - 1
    med_a, med_b = np.median(a), np.median(b)
    lr = math.log(med_a / med_b) if med_a > 0 and med_b > 0 else float("nan")
    # week-block bootstrap of the log ratio of medians for the interval: resampling weeks gives each
    # post the weight "times its week was drawn"; weighted medians over sorted rates, vectorised
    n_w = d.week.max() + 1
    B = min(n_resamples, 2000)
    counts = rng.multinomial(n_w, np.full(n_w, 1.0 / n_w), size=B).astype(np.int64)
    rate = d.y / d.exposure
    meds = []
    for group in (d.treat, ~d.treat):
        order = np.argsort(rate[group], kind="stable")
        values = rate[group][order]
        weeks = d.week[group][order]
        med = np.empty(B)
        step = max(1, 5_000_000 // max(1, len(values)))  # keep each block of weights small
        for c0 in range(0, B, step):
            cs = np.cumsum(counts[c0:c0 + step][:, weeks], axis=1)
            total = cs[:, -1]
            i1 = np.minimum(np.sum(cs < ((total + 1) // 2)[:, None], axis=1), len(values) - 1)
            i2 = np.minimum(np.sum(cs < (total // 2 + 1)[:, None], axis=1), len(values) - 1)
            m = (values[i1] + values[i2]) / 2
            m[total == 0] = np.nan
            med[c0:c0 + step] = m
        meds.append(med)
    with np.errstate(divide="ignore", invalid="ignore"):
        logs = np.log(meds[0]) - np.log(meds[1])
    logs = logs[np.isfinite(logs)]
    if np.isfinite(lr) and len(logs) > 10 and n_w > 1:  # one week: no week-to-week variation
        lo_q, hi_q = np.quantile(logs - lr, [0.5 - level / 2, 0.5 + level / 2])
        lo, hi, se = math.expm1(lr + lo_q), math.expm1(lr + hi_q), float(np.std(logs, ddof=1))
    else:
        lo = hi = se = float("nan")
    return [_row("mannwhitney", metric, math.expm1(lr) if np.isfinite(lr) else float("nan"), lo, hi,
                 float(u.pvalue), d, se, statistic=float(u.statistic), effect_size=float(rbc),
                 effect_size_name="rank_biserial")]


def _cells(strata: Sequence[str]) -> str:
    """What the week-stratified methods compare within, in words.

    >>> _cells([]), _cells(["media_type", "hour"])
    ('weeks', 'week x media type x hour cells')
    """
    return f"week x {' x '.join(n.replace('_', ' ') for n in strata)} cells" if strata else "weeks"


def _and(names: Sequence[str]) -> str:
    """``"a, b and c"``."""
    return ", ".join(names[:-1]) + " and " + names[-1] if len(names) > 1 else names[0]


#: total variation distance between the labelled and the other posts' mix of media types (or hour
#: bands) from which the text shows what comparing within that mix would change
_MIX_GAP = 0.10


def _mh_lift(d: _Data, stratum: np.ndarray) -> float:
    """The Mantel-Haenszel rate ratio - 1 of labelled vs other posts within the cells ``stratum``."""
    codes = pd.factorize(stratum)[0]
    num, den = _mh_parts(*_stratum_sums(replace(d, stratum=codes)))
    return float(np.expm1(_log_ratio(num.sum(), den.sum())))


def _mix_notes(by_metric: Mapping[str, _Data], methods: Sequence[str], strata: Sequence[str],
               glm_controls: Sequence[str], label_text: str) -> list[str]:
    """Notes for when labelled and other posts differ in media type or hour band (posts whose value
    is known; total variation distance of the two mixes at least :data:`_MIX_GAP`) and that is not
    one of the ``strata``: the week-stratified methods (``methods``) would read a difference in
    engagement between media types or hours as a lift. The note gives their ratio as it is and
    within the finer cells, for each metric (``by_metric``: each metric's prepared posts; the mix is
    the first metric's posts'), so the reader sees whether it matters. ``glm_controls``: the glm's
    controls when it runs too (empty otherwise).

    >>> frame = pd.DataFrame({"media_type": ["photo"] * 40 + ["link"] * 40, "hour": "morning"})
    >>> y = np.r_[np.full(40, 2.0), np.full(40, 1.0)]  # photos earn twice what links earn
    >>> d = _Data(y=y, exposure=np.ones(80), treat=np.arange(80) < 30, week=np.zeros(80, int),
    ...           stratum=np.zeros(80, int), account=np.zeros(80), frame=frame)
    >>> print(*_mix_notes({"likes": d}, ["permutation"], [], [], "content_label = personal"))  # doctest: +NORMALIZE_WHITESPACE
    Posts with content_label = personal differ from the others in media type (link 0% vs 80%, photo
    100% vs 20%): permutation compares them within weeks, so a difference in engagement between media
    types is part of its lift: +67% as it compares them, +0% within week x media type cells
    (strata=['media_type']).
    >>> print(*_mix_notes({"likes": d, "shares": d}, ["permutation"], [], [], "content_label = personal"))
    ... # doctest: +NORMALIZE_WHITESPACE
    Posts with content_label = personal differ from the others in media type (link 0% vs 80%, photo
    100% vs 20%): permutation compares them within weeks, so a difference in engagement between media
    types is part of its lift: likes +67% as it compares them, +0% within week x media type cells;
    shares +67% and +0% (strata=['media_type']).
    """
    out = []
    cells = _cells(strata)
    d = next(iter(by_metric.values()))
    for name, say, control in (("media_type", "media type", "media_type"), ("hour", "hour band", "hour")):
        if name in strata:
            continue
        values = d.frame[name].astype(str).to_numpy()
        known = values != "unknown"
        table = pd.crosstab(values[known], d.treat[known])
        if table.shape[0] < 2 or table.shape[1] < 2:  # one value, or one kind of post
            continue
        share = table / table.sum(axis=0)
        if 0.5 * float((share[True] - share[False]).abs().sum()) < _MIX_GAP:
            continue
        gaps = (share[True] - share[False]).abs().sort_values(ascending=False).index[:2]
        shown = ", ".join(f"{v} {share.loc[v, True]:.0%} vs {share.loc[v, False]:.0%}" for v in sorted(gaps))
        finer = [*strata, name]
        names, one = _and(methods), len(methods) == 1
        figures = []
        for metric, dm in by_metric.items():
            codes = pd.factorize(dm.frame[name].astype(str).to_numpy())
            as_is = format_pct(_mh_lift(dm, dm.stratum))
            within = format_pct(_mh_lift(dm, dm.stratum.astype(np.int64) * (len(codes[1]) + 1) + codes[0]))
            named = f"{metric} " if len(by_metric) > 1 else ""
            figures.append(f"{named}{as_is} as {'it compares' if one else 'they compare'} them, {within} "
                           f"within {_cells(finer)}" if not figures else f"{named}{as_is} and {within}")
        glm = f"; the glm controls for {say}" if control in glm_controls else ""
        out.append(f"Posts with {label_text} differ from the others in {say} ({shown}): {names} "
                   f"compare{'s' if one else ''} them within {cells}, so a difference in engagement "
                   f"between {say}s is part of {'its' if one else 'their'} lift: "
                   f"{'; '.join(figures)} (strata={finer!r}){glm}.")
    return out


def _zero_rate_note(d: _Data, metric: str, label_text: str, exposure: str | None, method: str) -> list[str]:
    """Why a per-post method's lift or interval is missing: a group's typical rate is 0.

    mannwhitney's lift is a ratio of median rates, welch's interval is on the log of a ratio of mean
    rates; either is undefined when that group's median (or mean) rate is 0.

    >>> d = _Data(y=np.array([0.0, 0, 1, 2, 3]), exposure=np.ones(5),
    ...           treat=np.array([True, True, False, False, False]), week=np.zeros(5, int),
    ...           stratum=np.zeros(5, int), account=np.zeros(5, int), frame=pd.DataFrame())
    >>> print(_zero_rate_note(d, "likes", "content_label = personal", "impressions", "mannwhitney")[0])
    mannwhitney (likes): no lift: the median likes per impression is 0 among the posts with content_label = personal (at least half of them have none), so the ratio of medians is undefined; the p-value still compares the two groups' rates.
    >>> print(_zero_rate_note(d, "likes", "content_label = personal", None, "welch")[0])
    welch (likes): no interval: the mean likes per post is 0 among the posts with content_label = personal (none of them has any), so the log of the ratio of means is undefined; the p-value still compares the two groups' means.
    """
    typical, word, why, lost, undefined, compared = {
        "mannwhitney": (np.median, "median", "at least half of them have none", "lift",
                        "the ratio of medians", "rates"),
        "welch": (np.mean, "mean", "none of them has any", "interval", "the log of the ratio of means",
                  "means"),
    }[method]
    a, b = _rates(d)
    zero = [name for name, rates in ((f"the posts with {label_text}", a), ("the other posts", b))
            if len(rates) and typical(rates) <= 0]
    if not zero:
        return []
    per = f"per {exposure.rstrip('s')}" if exposure else "per post"
    return [f"{method} ({metric}): no {lost}: the {word} {metric} {per} is 0 among "
            f"{' and among '.join(zero)} ({why}), so {undefined} is undefined; the p-value still "
            f"compares the two groups' {compared}."]


# ---------------------------------------------------------------------------------------------
# Public function
# ---------------------------------------------------------------------------------------------
def content_lift(
    posts: pd.DataFrame,
    label: str | tuple[str, Any] = ("content_label", "personal"),
    metric: str | Sequence[str] = "engagements",
    exposure: str | None = "impressions",
    method: str | Sequence[str] = "glm",
    controls: Sequence[str] | None = None,
    n_resamples: int = 10_000,
    seed: int = 0,
    level: float = 0.95,
    adjust: str = "holm",
    threshold: float = 0.1,
    change: Any = None,
    alpha: float = 0.05,
    strata: str | Sequence[str] | None = None,
) -> Result:
    """Do the labelled posts earn more engagement per unit of exposure than the other posts?

    Parameters
    ----------
    posts
        A posts table (canonical columns; at least ``published_at``, the metric, the exposure and the
        label column).
    label
        A boolean column (True = the posts under test, e.g. personal posts) or a ``(column, value)``
        pair (value may be a list of values); posts with a missing label are left out and counted.
    metric
        One count column or a list of them; ``"engagements"`` and ``"weighted_engagement"`` are
        computed by :func:`toolkit.metrics.engagement` when absent.
    exposure
        The exposure column (``"impressions"``, ``"reach"``, ``"followers"``) or ``None`` (per post).
    method
        One of :data:`METHODS` or a list of them (one table row per method, metric and term).
    controls
        glm controls among :data:`CONTROLS`; ``None`` = :data:`DEFAULT_CONTROLS`; ``[]`` = none.
        Account effects are added whenever several accounts are pooled.
    n_resamples, seed
        Resamples for permutation, bootstrap and bayes (and, up to 2,000, for mannwhitney's
        interval), and the seed that makes them reproducible.
    level
        Confidence (credible) level of the intervals.
    adjust
        ``"holm"`` (family-wise error), ``"bh"`` (false discovery rate) or ``"none"``: the adjustment
        of ``p_adjusted`` across metrics, within each method and term.
    threshold
        The lift the bayes method reports ``P(lift > threshold)`` for (0.1 = +10 %).
    change
        A strategy-change date: the table then has, per method, the lift before and after the change
        and the ``"gain after change"`` (ratio of the two rate ratios, minus 1), i.e. did labelled
        posts gain more after the change. Supported by glm, bootstrap and bayes. The before and
        after rows count, in ``n_baseline``/``n_treatment``, the posts of their own period; the gain
        row counts every post.
    alpha
        Significance level for the power / minimum detectable lift columns.
    strata
        Names among :data:`STRATA` (``"media_type"``, ``"hour"``, ``"weekday"``): permutation,
        bootstrap and bayes then compare labelled and other posts within week x these cells, not
        within weeks only, so that a difference in media type (or hour band, or weekday) between
        the two kinds of post is not read as a lift. Each cell must hold both kinds to count, so
        fewer weeks inform the comparison. The text says when the two kinds differ in media type
        or hour band and those are not strata.

    Returns
    -------
    Result
        ``table`` columns: the standard ones (bayes, a posterior, leaves ``p_value`` and
        ``p_adjusted`` empty and gives ``prob_positive`` and ``prob_above_threshold``; its interval
        is a credible interval), then ``p_adjusted``, ``term``, ``power`` (achieved, at
        the observed lift), ``min_detectable_lift`` (80 % power at ``alpha``: from the t test of glm
        and welch; for bootstrap and bayes a t approximation with ``weeks_with_both - 1`` df from
        ``se_log``, the spread of their draws; for the others a normal approximation from
        ``se_log``, since mannwhitney's rank test has no lift scale), ``se_log``,
        ``weeks_with_both`` (weeks in which labelled and other posts of one account, and side of a
        change, meet: the only weeks that inform permutation, bootstrap and bayes; for the gain
        after a change, the fewer of the two sides') and
        method-specific columns (``effect_size``, ``prob_positive``, ...; glm's ``dispersion`` is
        the NB2 size ``theta`` of the variance ``mu + mu^2 / theta``, as in
        :func:`toolkit.before_after` and :class:`toolkit.design.History`: smaller is more
        overdispersed; counts with no overdispersion reach the cap :data:`toolkit.nbreg.THETA_MAX`).
        ``details["bootstrap"][metric][term]`` holds bootstrap's resampled log rate ratios (those
        with a defined ratio), from which its interval and p-value are read;
        ``details["bayes"][metric][term]`` bayes's posterior draws of the log rate ratio, from
        which its interval and probabilities are read (see :func:`expanded_prob`).

    Examples
    --------
    >>> from toolkit.simulate import simulate_profile
    >>> posts = simulate_profile(days=90, seed=2).posts
    >>> r = content_lift(posts, label=("content_label", "personal"), metric=["likes", "comments"],
    ...                  method=["glm", "welch"])
    >>> r.table[["method", "metric"]].values.tolist()
    [['glm', 'likes'], ['glm', 'comments'], ['welch', 'likes'], ['welch', 'comments']]
    >>> "p_adjusted" in r.table.columns
    True
    """
    methods = name_list(method, "method", METHODS)
    if not methods:
        raise AnalysisError("give at least one method", parameter="method", found=method)
    metrics_ = name_list(metric, "metric")  # column names
    for m in methods:
        if m not in METHODS:
            raise AnalysisError(f"unknown method: expected one of {list(METHODS)} (lower case)",
                                parameter="method", found=m)
    if len(set(methods)) < len(methods):
        raise AnalysisError("each method may be given once", parameter="method", found=methods)
    if not metrics_:
        raise AnalysisError("give at least one metric", parameter="metric", found=metric)
    if controls is None:
        controls = list(DEFAULT_CONTROLS)
    else:  # one control is a list of one, as before_after takes it (not its letters)
        controls = name_list(controls, "controls", CONTROLS)
    for c in controls:
        if c not in CONTROLS:
            raise AnalysisError(f"unknown control; expected some of {sorted(CONTROLS)}",
                                parameter="controls", found=c)
    if adjust not in ADJUST:
        raise AnalysisError(f"adjust must be one of {ADJUST}", parameter="adjust", found=adjust)
    if not is_fraction(level):
        raise AnalysisError("level must be between 0 and 1", parameter="level", found=level)
    if not is_fraction(alpha):
        raise AnalysisError("alpha must be between 0 and 1", parameter="alpha", found=alpha)
    strata = [] if strata is None else name_list(strata, "strata", STRATA)
    for name in strata:
        if name not in STRATA:
            raise AnalysisError(f"unknown stratum; expected some of {list(STRATA)}", parameter="strata",
                                found=name)
    if strata and not set(methods) & set(_STRATIFIED):
        raise AnalysisError("strata apply to permutation, bootstrap and bayes (the glm takes controls=)",
                            parameter="strata", found=f"strata {strata} with methods {methods}")
    if len(set(strata)) < len(strata):
        raise AnalysisError("each stratum may be given once", parameter="strata", found=strata)
    if change is not None:
        bad = [m for m in methods if m not in ("glm", "bootstrap", "bayes")]
        if bad:
            raise AnalysisError("the change interaction is available for glm, bootstrap and bayes",
                                parameter="change", found=bad)
    try:
        n_resamples = int(n_resamples)
    except (TypeError, ValueError):
        raise AnalysisError("n_resamples must be a whole number", parameter="n_resamples",
                            found=n_resamples) from None
    if not is_seed(seed):
        raise AnalysisError("seed must be a whole number, 0 or more", parameter="seed", found=repr(seed))
    if n_resamples < 99 and any(m in methods for m in ("permutation", "bootstrap", "bayes")):
        raise AnalysisError("n_resamples must be at least 99", parameter="n_resamples", found=n_resamples)
    label_text = _label_text(label)

    rows: list[dict] = []
    details: dict[str, Any] = {}
    dropped_all: dict[str, dict[str, int]] = {}
    notes: list[str] = []  # why a number is missing, for the text
    prepared: dict[str, _Data] = {}  # each metric's posts, for the note on media type and hour mixes
    for j, met in enumerate(metrics_):
        d, _ = _prepare(posts, label, met, exposure, change, strata)
        dropped_all[met] = d.n_dropped
        if j == 0:
            one_value = [f"{n.replace('_', ' ')} has one value in these posts ({d.frame[n].iloc[0]!r}), "
                         "so it divides no week" for n in strata if d.frame[n].nunique() == 1]
            notes += [f"strata: {'; '.join(one_value)}."] if one_value else []
            first = len(notes)  # the note on media type and hour mixes goes here
        prepared[met] = d
        for m in methods:
            rng = np.random.default_rng([seed, j, METHODS.index(m)])
            if m == "glm":
                r, det = _glm(d, met, controls, level, change, label_text)
                details.setdefault("glm", {})[met] = det
            elif m == "permutation":
                r = _permutation(d, met, level, int(n_resamples), int(rng.integers(2**62)))
            elif m == "bootstrap":
                r, draws = _bootstrap(d, met, level, change, int(n_resamples), rng)
                details.setdefault("bootstrap", {})[met] = draws
            elif m == "bayes":
                r, draws = _bayes(d, met, level, change, int(n_resamples), rng, threshold)
                details.setdefault("bayes", {})[met] = draws
            elif m == "welch":
                r = _welch(d, met, level)
                notes += _zero_rate_note(d, met, label_text, exposure, "welch")
            else:
                r = _mannwhitney(d, met, level, int(n_resamples), rng)
                notes += _zero_rate_note(d, met, label_text, exposure, "mannwhitney")
            rows += r
    if set(methods) & set(_STRATIFIED):
        notes[first:first] = _mix_notes(prepared, [m for m in methods if m in _STRATIFIED], strata,
                               controls if "glm" in methods else (), label_text)
    table = pd.DataFrame(rows)
    table["method"] = pd.Categorical(table["method"], categories=methods)
    table["_m"] = table["metric"].map({m: i for i, m in enumerate(metrics_)})
    table = table.sort_values(["method", "_m"], kind="stable").drop(columns="_m")
    table["method"] = table["method"].astype(str)
    table["p_adjusted"] = np.nan
    for _, idx in table.groupby(["method", "term"], sort=False).groups.items():
        table.loc[idx, "p_adjusted"] = adjust_pvalues(table.loc[idx, "p_value"].to_numpy(float),
                                                      adjust if len(metrics_) > 1 else "none")
    # the glm tests with t(weeks - 1), welch with Welch's df, and bootstrap's and bayes's expanded
    # tails stand for t(weeks with both - 1): their power and detectable lift use the same t; the
    # others z
    dfs = table["df"] if "df" in table.columns else pd.Series(np.nan, index=table.index)
    pw = [_power(l, s, alpha, df=df if m in _T_METHODS else None)
          for l, s, df, m in zip(table["lift"], table["se_log"], dfs, table["method"])]
    table["power"] = [p for p, _ in pw]
    table["min_detectable_lift"] = [m for _, m in pw]
    first = ["method", "metric", "lift", "ci_low", "ci_high", "p_value", "n_baseline", "n_treatment",
             "p_adjusted", "term", "power", "min_detectable_lift", "se_log"]
    table = table[first + [c for c in table.columns if c not in first]].reset_index(drop=True)
    details.update({"label": label_text, "exposure": exposure, "controls": list(controls),
                    "strata": list(strata),
                    "dropped": dropped_all, "adjust": adjust, "threshold": threshold, "alpha": alpha,
                    "change": change})
    text = _text(table, label_text, exposure, level, adjust, len(metrics_), dropped_all, threshold, alpha)
    text += "".join(f"\n{note}" for note in notes)
    compared = label[0] if isinstance(label, tuple) else label
    if "scheduled_label" in posts.columns and compared != "scheduled_label":
        # posts of an experiment (toolkit.design.match_schedule) compared by what they turned out
        # to be, not by what their slot was assigned
        text += (f"\nThese posts come from a randomised schedule, but they are compared by {compared}, "
                 "not by their slots' assignment: only label=('scheduled_label', ...) is protected by "
                 "the randomisation; this comparison is observational.")
    left = sorted({t for det in details.get("glm", {}).values() for t in det["dropped_terms"]})
    if left:
        text += f"\nglm left out terms the other terms already explain (collinear): {', '.join(left)}."
    for met, det in details.get("glm", {}).items():
        if det["unengaged_values"]:
            values = "; ".join(f"{c.replace('_', ' ')} {', '.join(repr(v) for v in vs)}"
                               for c, vs in det["unengaged_values"].items())
            n = det["unengaged_posts"]
            text += (f"\nglm ({met}) left out {n:,} post{'' if n == 1 else 's'} of control values with no "
                     f"{met} on any post, whose effect has no finite estimate (the fit without them is "
                     f"its limit): {values}.")
    assumptions = "; ".join(ASSUMPTIONS[m] for m in methods)
    stratified = [m for m in methods if m in _STRATIFIED]
    verb = "compares" if len(stratified) == 1 else "compare"
    if stratified and strata:
        assumptions += f"; {_and(stratified)} {verb} labelled and other posts within {_cells(strata)}"
    elif stratified:
        assumptions += (f"; {_and(stratified)} {verb} labelled and other posts within weeks only: a "
                        "difference in media type or hour band between them is part of the lift unless "
                        f"given as strata= (simulated, videos +30% and links -30% per impression: "
                        f"{_MEDIA_CONFOUNDED} false positives at alpha 0.05)")
    if "glm" in methods:
        # the controls the glm actually fitted (for any metric), and the requested ones it could not
        fits = details["glm"].values()
        used = [c for c in controls if any(c in det["controls_used"] for det in fits)]
        skipped = {c: why for det in fits for c, why in det["controls_skipped"].items() if c not in used}
        not_fitted = ", ".join(f"{c} ({why})" for c, why in skipped.items())
        assumptions += f". glm controls: {', '.join(used) if used else 'none'}"
        if skipped:
            assumptions += f"; not fitted: {not_fitted}"
            text += f"\nglm controls not fitted: {not_fitted}."
    return Result(table=table, text=text, assumptions=assumptions, level=level, details=details)


def _fmt_p(p: float) -> str:
    if p is None or not np.isfinite(p):
        return "n/a"
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


#: the spread of the log lift (``se_log``) each resampling method's power comes from
_SPREAD = {"permutation": "its permutation distribution", "bootstrap": "its bootstrap draws",
           "bayes": "its posterior draws", "mannwhitney": "its resampled median ratios"}


def _detectable_text(method: str, alpha: float) -> str:
    """What the row's ``min_detectable_lift`` is, in the method's own terms (see :func:`_power`).

    >>> _detectable_text("bayes", 0.05)
    'Smallest lift whose 95% credible interval would leave out zero in 80% of repeats (t approximation from the spread of its posterior draws)'
    """
    approx = "t approximation" if method in _T_METHODS else "normal approximation"
    spread = f"{approx} from the spread of {_SPREAD.get(method, '')}"
    if method == "bayes":  # it runs no test
        return (f"Smallest lift whose {1 - alpha:.0%} credible interval would leave out zero in 80% of "
                f"repeats ({spread})")
    if method in _T_METHODS and method in _SPREAD:  # bootstrap: t with its weeks' df
        return f"Smallest lift detectable with 80% power at alpha {alpha} ({spread})"
    if method in _T_METHODS:
        return f"Smallest lift this test detects with 80% power at alpha {alpha}"
    return f"Smallest lift detectable with 80% power at alpha {alpha} ({spread})"


#: method -> (the table's week count it depends on, the fewest such weeks it is calibrated for):
#: the glm's clusters are all weeks with posts; bootstrap and bayes learn only from weeks holding
#: both labelled and other posts (docs/validation.md, "When the assumptions bend": with about 26 of
#: them bayes rejected 7.8% of true nulls at alpha 0.05, its posterior widened for them)
_FEWEST_WEEKS = {"glm": ("weeks", 20), "bootstrap": ("weeks_with_both", 20),
                 "bayes": ("weeks_with_both", 40)}
_WEEKS_SAY = {"weeks": "weeks of posts", "weeks_with_both": "weeks hold both labelled and other posts"}


def _few_weeks_text(table: pd.DataFrame) -> list[str]:
    """Warnings for the methods that measure uncertainty from week-to-week variation and have
    fewer weeks to learn it from than they are calibrated for (:data:`_FEWEST_WEEKS`).

    >>> t = pd.DataFrame({"method": ["glm", "bootstrap", "bayes"], "weeks": 52, "weeks_with_both": 30})
    >>> print(*_few_weeks_text(t))
    Only 30 weeks hold both labelled and other posts: bayes learns its uncertainty from their \
variation, and its interval runs too narrow with fewer than about 40 of them; prefer permutation, or \
collect more weeks.
    """
    out = []
    for column, say in _WEEKS_SAY.items():
        few = {}  # method -> (its fewest weeks, the weeks it needs)
        for method, (col, need) in _FEWEST_WEEKS.items():
            if col != column:
                continue
            weeks = table.loc[table["method"] == method, col]
            if len(weeks) and weeks.min() < need:
                few[method] = (int(weeks.min()), need)
        if few:
            fewest = min(n for n, _ in few.values())
            needs = " or ".join(dict.fromkeys(str(need) for _, need in few.values()))
            learn, runs = (("learns its", "its interval runs") if len(few) == 1
                           else ("learn their", "their intervals run"))
            out.append(f"Only {fewest} {say}: {' and '.join(few)} {learn} uncertainty from their "
                       f"variation, and {runs} too narrow with fewer than about {needs} of them; "
                       "prefer permutation, or collect more weeks.")
    return out


def _text(table, label_text, exposure, level, adjust, n_metrics, dropped, threshold, alpha) -> str:
    per = f"per {exposure.rstrip('s')}" if exposure else "per post"
    lines = []
    for _, r in table.iterrows():
        term = "" if r["term"] == "label" else f" ({r['term']})"
        ci = f"{level:.0%} {'credible' if r['method'] == 'bayes' else 'CI'} {format_pct(r['ci_low'])} to {format_pct(r['ci_high'])}"
        if r["method"] == "bayes":
            stat = (f"P(lift > 0) = {r['prob_positive']:.2f}, "
                    f"P(lift > {format_pct(threshold)}) = {r['prob_above_threshold']:.2f}")
        else:
            stat = _fmt_p(r["p_value"])
            if n_metrics > 1 and adjust != "none":
                stat += f", {adjust.upper() if adjust == 'bh' else 'Holm'}-adjusted {_fmt_p(r['p_adjusted'])}"
        mdl = r["min_detectable_lift"]
        lift, n = format_pct(r["lift"]), f"n = {r['n_treatment']} vs {r['n_baseline']}"
        if r["term"] == "gain after change":  # a ratio of two lifts, not a lift of posts
            what = (f"the lift of posts with {label_text} over the other posts ({r['metric']} {per}) "
                    f"changed by {lift} from before the change to after it (ratio of the two lifts)")
        elif r["method"] == "mannwhitney":  # a ratio of medians, not of mean rates
            what = (f"the median post with {label_text} had {lift} {r['metric']} {per} vs. the median "
                    f"other post{term}")
        else:
            what = f"posts with {label_text} had {lift} {r['metric']} {per} vs. the other posts{term}"
        line = f"{r['method']}: {what} ({ci}; {stat}; {n})."
        if np.isfinite(mdl) and np.isfinite(r["power"]):
            line += (f" {_detectable_text(r['method'], alpha)}: {format_pct(mdl)}; "
                     f"achieved power at the observed lift: {r['power']:.2f}.")
        lines.append(line)
    lines += _few_weeks_text(table)
    one_week = table[(table["method"] == "mannwhitney") & (table["weeks"] < 2)]
    if len(one_week):
        lines.append("mannwhitney gives no interval: it resamples weeks, and the posts fall in one week.")
    left = {m: v for m, v in dropped.items() if v}
    if left:
        parts = [f"{m}: " + ", ".join(f"{n} ({why})" for why, n in v.items()) for m, v in left.items()]
        lines.append("Posts left out: " + "; ".join(parts) + ".")
    for _, r in table.iterrows():
        n_nan, n_inf = r.get("resamples_dropped", 0), r.get("resamples_infinite", 0)
        if not (n_nan > 0 or n_inf > 0):
            continue
        total = int(r["resamples"] + n_nan)
        where = f"{r['method']} ({r['metric']}{'' if r['term'] == 'label' else ', ' + r['term']})"
        if n_inf > 0:
            lines.append(f"{where}: {int(n_inf)} of {total} resamples had no engagement in one group "
                         "(rate ratio 0 or infinite); they count as extreme values.")
        if n_nan > 0:
            lines.append(f"{where}: {int(n_nan)} of {total} resamples had no engagement in either "
                         "group (rate ratio undefined) and were left out.")
    return "\n".join(lines)
