"""Plan an experiment before running it: power, minimum detectable lift and a randomised schedule.

Three steps, each a function:

1. :func:`fit_history` reads an account's own ``posts`` table and estimates what drives the noise
   in its engagement: posting rate, the rate per unit of exposure, overdispersion of the counts,
   day-to-day shocks and their autocorrelation, and the weekday pattern.
2. :func:`power` simulates the account's next weeks from those estimates (with a planted lift of
   10/20/30 %...), runs a test on every simulated profile and reports how often it detects the
   lift: power against weeks of posting, and the minimum detectable lift (MDL) per horizon.
   :func:`closed_form_power` gives the normal-approximation answer where its assumptions hold.
3. :func:`schedule` draws which upcoming posting slots carry the content under test, balanced by
   weekday and hour (blocked randomisation), reproducible from a seed; :func:`schedule_to_csv`
   writes it in the column layout of bulk-scheduling tools.

The simulation model
--------------------
Posts per day are Poisson(``posts_per_day``). Post ``i`` on day ``d`` has exposure ``E_i`` drawn
from the account's own exposures and mean ``mu_i = rate * E_i * weekday[d] * exp(u_d - s^2/2)``,
where ``u_d`` is a stationary AR(1) day shock with standard deviation ``s = shock_sd`` and
autocorrelation ``ar1``. The count is negative binomial with mean ``mu_i * (1 + lift)`` for treated
posts and size ``dispersion`` (variance ``mu + mu^2 / dispersion``). These are the parameters of
:func:`toolkit.simulate.simulate_profile`, fitted to the account.

The fast test (``method="wald"``)
---------------------------------
A Wald test of the log rate ratio ``log(sum(Y_T)/sum(E_T)) - log(sum(Y_C)/sum(E_C))`` (the Poisson
quasi-likelihood estimate of a one-covariate model with a log exposure offset), with a variance
that is robust to overdispersion and to correlation within a day (content lift: posts are
randomised within days, so a day shock hits both arms) or across nearby days (before/after:
Newey-West on daily scores with Bartlett weights). It is vectorised over simulations, so a grid of
lifts and horizons takes seconds. Other methods (``"glm"``, ``"its"``, ``"permutation"``...) run
the project's real analyses (:func:`toolkit.before_after`, :func:`toolkit.content_lift`) on every
simulated profile: slower, exact for that method.

>>> import numpy as np
>>> h = History(posts_per_day=2.0, rate=0.02, dispersion=5.0, ar1=0.0, shock_sd=0.0,
...             weekday=(1.0,) * 7, exposures=np.array([2000.0]))
>>> res = power(history=h, lifts=[0.2], weeks=[8], n_sims=400, seed=1, progress=False)
>>> round(closed_form_power(h, 0.2, 8), 2)  # the normal approximation, for comparison
0.53
>>> 0.4 < res.table["power"].iloc[0] < 0.65
np.True_
"""

from __future__ import annotations

import dataclasses
import html
import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import signal, stats

from toolkit.errors import AnalysisError, first_line, is_fraction, is_seed, is_whole, unordered_date


__all__ = [
    "History",
    "PowerResult",
    "fit_history",
    "power",
    "plan_length",
    "start_after",
    "closed_form_power",
    "noise_sensitivity",
    "schedule",
    "schedule_to_csv",
    "match_schedule",
    "ScheduleMatch",
    "SCHEDULE_CSV_COLUMNS",
    "MATCH_COLUMNS",
    "POWER_COLUMNS",
]

#: Columns of :attr:`PowerResult.table`, in order.
POWER_COLUMNS = (
    "analysis",
    "method",
    "metric",
    "lift",
    "weeks",
    "n_posts",
    "power",
    "power_se",
    "power_closed_form",
    "runs",
)

ANALYSES = ("content_lift", "before_after")
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


# --------------------------------------------------------------------------------------------
# fitting the account's history
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class History:
    """The noise model of one account, fitted by :func:`fit_history` (or set by hand).

    Attributes
    ----------
    posts_per_day
        Mean number of posts per calendar day.
    rate
        Metric per unit of exposure (per post when there is no exposure).
    dispersion
        Negative binomial size of post-level counts: variance ``mu + mu**2 / dispersion``.
    ar1
        Lag-one autocorrelation of the day shocks.
    shock_sd
        Standard deviation of the (log) day shock shared by the posts of one day.
    weekday
        Seven multiplicative factors, Monday first (1.0 each = no weekday pattern).
    exposures
        Observed exposures, resampled in simulations (``[1.0]`` when there is no exposure).
    last_day
        The day of the last post fitted (ISO date; None for a hand-set history), after which a
        planned experiment starts (:func:`start_after`).
    """

    posts_per_day: float
    rate: float
    dispersion: float
    ar1: float
    shock_sd: float
    weekday: tuple[float, ...] = (1.0,) * 7
    exposures: np.ndarray = field(default_factory=lambda: np.array([1.0]), repr=False)
    metric: str = "engagements"
    exposure: str | None = "impressions"
    n_posts: int = 0
    n_days: int = 0
    notes: tuple[str, ...] = ()
    last_day: str | None = None

    def __post_init__(self) -> None:
        for name in ("posts_per_day", "rate", "dispersion"):
            value = getattr(self, name)
            if not (np.isfinite(value) and value > 0):
                raise AnalysisError("must be a positive number", parameter=name, found=value)
        if not 0 <= self.ar1 < 1:
            raise AnalysisError("must be in [0, 1)", parameter="ar1", found=self.ar1)
        if not self.shock_sd >= 0:
            raise AnalysisError("must be zero or more", parameter="shock_sd", found=self.shock_sd)
        if len(self.weekday) != 7:
            raise AnalysisError("needs 7 factors, Monday first", parameter="weekday",
                                found=len(self.weekday))
        exposures = np.asarray(self.exposures, dtype=float)
        if exposures.size == 0 or not np.all(exposures > 0):
            raise AnalysisError("exposures must be positive", parameter="exposures",
                                found=exposures.size)
        object.__setattr__(self, "exposures", exposures)

    def table(self) -> pd.DataFrame:
        """The fitted parameters as a two-column table (``parameter``, ``value``)."""
        rows = [
            ("metric", self.metric),
            ("exposure", self.exposure or "none (counts per post)"),
            ("posts analysed", self.n_posts),
            ("days spanned", self.n_days),
            ("posts per day", round(self.posts_per_day, 3)),
            (f"{self.metric} per {self.exposure or 'post'}", float(f"{self.rate:.4g}")),
            ("mean exposure per post", float(f"{self.exposures.mean():.4g}")),
            ("dispersion (NB size)", round(self.dispersion, 3)),
            ("day shock sd (log)", round(self.shock_sd, 3)),
            ("day shock autocorrelation (AR1)", round(self.ar1, 3)),
        ] + [(f"weekday factor {d}", round(f, 3)) for d, f in zip(WEEKDAYS, self.weekday)]
        return pd.DataFrame(rows, columns=["parameter", "value"]).astype({"value": object})

    def _repr_html_(self) -> str:
        notes = "".join(f"<li>{html.escape(n)}</li>" for n in self.notes)
        return (self.table().to_html(index=False, border=0)
                + (f"<ul>{notes}</ul>" if notes else ""))


def _blame(n_posts: int, n_kept: int, y_known: np.ndarray, e_known: np.ndarray,
           exposure: str | None) -> str:
    """The parameter to name when too few posts are usable: the date bounds, the metric, the
    exposure, or the posts themselves."""
    if n_posts >= 20 and n_kept < 20:  # the bounds took the posts the fit needed
        return "since"
    if not y_known.any():
        return "metric"
    if exposure is not None and not e_known.any():
        return "exposure"
    return "posts"


def _why_too_few(n_posts: int, n_kept: int, n_metric: int, n_exposure: int, metric: str,
                 exposure: str | None, last_weeks: tuple[int, int] | None = None) -> str:
    """``: <n> posts ...`` for the error, so the user sees which filter or column took them.

    ``last_weeks`` is ``(posts inside since/until, weeks)`` when a window of weeks was asked for.

    >>> _why_too_few(400, 0, 0, 0, "likes", "impressions")
    ': 400 posts of the account, 0 inside since/until'
    >>> _why_too_few(400, 400, 0, 380, "clicks", "impressions")
    ': 400 posts of the account, 400 inside since/until, 0 with clicks, 380 with impressions > 0'
    >>> _why_too_few(400, 12, 12, 12, "likes", "impressions", last_weeks=(400, 26))
    ': 400 posts of the account, 400 inside since/until, 12 in the last 26 weeks, 12 with likes, 12 with impressions > 0'
    """
    if last_weeks is None:
        parts = [f"{n_posts:,} posts of the account", f"{n_kept:,} inside since/until"]
    else:
        parts = [f"{n_posts:,} posts of the account", f"{last_weeks[0]:,} inside since/until",
                 f"{n_kept:,} in the last {last_weeks[1]} weeks"]
    if n_kept:
        parts.append(f"{n_metric:,} with {metric}")
        if exposure is not None:
            parts.append(f"{n_exposure:,} with {exposure} > 0")
    return ": " + ", ".join(parts)


def fit_history(
    posts: pd.DataFrame,
    metric: str = "engagements",
    exposure: str | None = "impressions",
    *,
    account: str | None = None,
    since: str | pd.Timestamp | None = None,
    until: str | pd.Timestamp | None = None,
    last_weeks: int | None = None,
) -> History:
    """Estimate an account's posting rate, overdispersion, day shocks and weekday pattern.

    Method of moments on the posts table (no model fit, so it is fast and never fails to
    converge): the weekday factors are ratios of sums, shrunk towards 1 with weight
    ``n / (n + 5)`` for a weekday with ``n`` posts (1 for a weekday with fewer than 5) and scaled
    to an exposure-weighted mean of 1; total overdispersion is
    ``sum((y - mu)**2 - y) / sum(mu**2)``; the part shared by posts of the same day (the day
    shock) comes from the covariance of residuals of distinct posts on one day; its
    autocorrelation from the same covariance for posts on consecutive days.

    Parameters
    ----------
    posts
        A canonical posts table of one account, or of several with ``account`` naming one.
    metric
        Count column to model. ``"engagements"`` and ``"weighted_engagement"`` are computed as
        :func:`toolkit.engagement` defines them (the export's own total where it has one).
    exposure
        Exposure column (``None`` to model counts per post).
    account
        Keep only this account (:func:`toolkit.metrics.one_account`: an account without posts is
        an error listing the accounts there are, and so is ``None`` when posts hold several).
    since, until
        Keep only posts published on or after ``since`` / before ``until`` (UTC dates), e.g. the
        weeks since the last strategy change, so that a past change is not mistaken for noise.
    last_weeks
        Keep only the last ``last_weeks`` weeks of posts: the ``7 * last_weeks`` UTC days up to
        and including the day of the last post (within ``since``/``until``). Recent weeks look most
        like the coming ones, and an older strategy change stays out. With ``since``, the later
        start wins.

    Returns
    -------
    History
        With ``notes`` saying which rows were left out and why.

    Assumes
    -------
    Posts are independent given the day; the rate is stable over the history (no trend); a day's
    shock multiplies all its posts. Rows with a missing metric or a missing or zero exposure are
    left out (counted in ``notes``).

    Mild day shocks are hard to pin down. The autocorrelation is a ratio of two small
    covariances: for a simulated account like the sample's (2 posts a day, day shocks with SD
    0.15 and autocorrelation 0.5, 26 weeks), 20 seeds gave estimates from 0 to the 0.95 cap
    (mean 0.26, SD 0.33) and a shock SD of 0.09 on average (``tests/test_design.py``,
    ``test_fit_history_is_rough_on_mild_day_shocks``). Power computed from such a history is a
    guide; to see how much it matters, rerun :func:`power` on
    ``dataclasses.replace(history, ar1=..., shock_sd=...)``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> n = 600
    >>> posts = pd.DataFrame({
    ...     "published_at": pd.date_range("2024-01-01", periods=n, freq="12h", tz="UTC"),
    ...     "impressions": np.full(n, 1000), "likes": rng.poisson(30, n)})
    >>> h = fit_history(posts, metric="likes")
    >>> round(h.posts_per_day, 2), round(h.rate, 3)
    (2.0, 0.03)
    """
    if not isinstance(posts, pd.DataFrame):
        raise AnalysisError("posts must be a DataFrame", parameter="posts", found=type(posts).__name__)
    from toolkit import metrics  # noqa: PLC0415

    notes: list[str] = []
    posts = metrics.one_account(posts, account)
    if "published_at" not in posts.columns:
        raise AnalysisError("posts needs a published_at column", column="published_at")
    n_posts = len(posts)
    span = pd.to_datetime(posts["published_at"], utc=True)
    span = f"{span.min().date()} to {span.max().date()}" if span.notna().any() else "no dates"
    for name, bound in (("since", since), ("until", until)):
        if bound is None:
            continue
        if (why := unordered_date(bound)) is not None:
            raise AnalysisError(why, parameter=name, found=repr(bound))
        try:
            stamp = pd.Timestamp(bound)
        except (TypeError, ValueError):
            raise AnalysisError("must be a date like 2024-10-01", parameter=name,
                                found=bound) from None
        stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
        when_all = pd.to_datetime(posts["published_at"], utc=True)
        posts = posts[when_all >= stamp] if name == "since" else posts[when_all < stamp]
        notes.append(f"posts {'from' if name == 'since' else 'before'} {stamp.date()} only")
    n_bounded = len(posts)
    if last_weeks is not None:
        if not is_whole(last_weeks, 1):
            raise AnalysisError("must be a whole number of weeks, 1 or more (or None for every week)",
                                parameter="last_weeks", found=last_weeks)
        when_all = pd.to_datetime(posts["published_at"], utc=True)
        if when_all.notna().any():
            start = when_all.max().normalize() + pd.Timedelta(days=1 - 7 * int(last_weeks))
            if (when_all < start).any():
                posts = posts[when_all >= start]
                notes.append(f"posts from {start.date()} only (the last {int(last_weeks)} weeks)")
    n_kept = len(posts)
    y = metrics.checked_counts(metrics.metric_values(posts, metric), posts, parameter="metric", column=metric)
    if exposure is None:
        e = pd.Series(1.0, index=posts.index, dtype="Float64")
    elif exposure in posts.columns:
        e = pd.to_numeric(posts[exposure], errors="coerce").astype("Float64")
    else:
        raise AnalysisError("exposure is not a column of posts", parameter="exposure", found=exposure)
    when = pd.to_datetime(posts["published_at"], utc=True)
    y_known = y.notna().to_numpy(dtype=bool)
    e_known = (e.notna() & (e > 0)).fillna(False).to_numpy(dtype=bool)
    ok = y_known & e_known & when.notna().to_numpy(dtype=bool)
    if (~ok).any():
        notes.append(f"{int((~ok).sum())} of {len(ok)} posts left out: missing {metric}, "
                     f"missing or zero {exposure or 'exposure'}, or no date")
    y = y.to_numpy(dtype=float, na_value=np.nan)[ok]
    e = e.to_numpy(dtype=float, na_value=np.nan)[ok]
    when = when[ok]
    if len(y) < 20:
        blame = _blame(n_posts, n_kept, y_known, e_known, exposure)
        if blame == "since" and last_weeks is not None and n_kept < n_bounded and (
                n_bounded >= 20 or (since is None and until is None)):
            blame = "last_weeks"  # the window, not a date bound, left too few
        elif blame == "since" and since is None:
            blame = "until"
        raise AnalysisError("too few usable posts to fit the history (need at least 20)" + _why_too_few(
            n_posts, n_kept, int(y_known.sum()), int(e_known.sum()), metric, exposure,
            last_weeks=(n_bounded, last_weeks) if last_weeks is not None else None)
            + (f"; the posts run from {span}" if blame in ("since", "until", "last_weeks") else ""),
                            parameter=blame, found=len(y))
    day0 = when.min().normalize()
    day = ((when.dt.normalize() - day0).dt.days).to_numpy()
    n_days = int(day.max()) + 1
    wd = when.dt.day_of_week.to_numpy()

    # weekday pattern: ratio of sums, shrunk towards 1 when a weekday has few posts
    rate = y.sum() / e.sum()
    if rate <= 0:
        raise AnalysisError("the metric is zero on every post; nothing to plan on",
                            parameter="metric", found=metric)
    factors = np.ones(7)
    for k in range(7):
        m = wd == k
        if m.sum() >= 5:
            raw = y[m].sum() / (rate * e[m].sum())
            weight = m.sum() / (m.sum() + 5.0)
            factors[k] = weight * raw + (1 - weight) * 1.0
    factors = factors / np.average(factors[wd], weights=e) if len(wd) else factors
    mu = rate * e * factors[wd]

    # total overdispersion alpha_tot = 1/k + v, v = var of the mean-one day multiplier
    alpha_tot = max(((y - mu) ** 2 - y).sum() / (mu ** 2).sum(), 1e-6)
    r = y - mu
    sum_r = np.bincount(day, weights=r, minlength=n_days)
    sum_r2 = np.bincount(day, weights=r * r, minlength=n_days)
    sum_m = np.bincount(day, weights=mu, minlength=n_days)
    sum_m2 = np.bincount(day, weights=mu * mu, minlength=n_days)
    pair_rr = (sum_r ** 2 - sum_r2).sum()
    pair_mm = (sum_m ** 2 - sum_m2).sum()
    if pair_mm > 0 and np.count_nonzero(np.bincount(day) >= 2) >= 10:
        v = float(np.clip(pair_rr / pair_mm, 0.0, alpha_tot * 0.95))
    else:
        v = 0.0
        notes.append("too few days with two or more posts to separate day shocks from post noise: "
                     "day shocks set to zero")
    # Var(y) = mu + mu^2 ((1 + 1/k)(1 + v) - 1) for a Gamma frailty times a day multiplier
    inv_k = max((alpha_tot - v) / (1 + v), 1e-3)
    dispersion = 1.0 / inv_k

    # autocorrelation of the day shocks: the same pair covariance for posts on consecutive days,
    # E[r_i r_j] = mu_i mu_j (exp(s^2 ar1) - 1), against exp(s^2) - 1 within a day
    ar1 = 0.0
    if v > 0:
        lag_rr = (sum_r[:-1] * sum_r[1:]).sum()
        lag_mm = (sum_m[:-1] * sum_m[1:]).sum()
        if lag_mm > 0 and np.count_nonzero((sum_m[:-1] > 0) & (sum_m[1:] > 0)) >= 10:
            c1 = max(lag_rr / lag_mm, 0.0)
            ar1 = float(np.clip(math.log1p(c1) / math.log1p(v), 0.0, 0.95))
    shock_sd = math.sqrt(math.log1p(v))
    return History(
        posts_per_day=len(y) / n_days,
        rate=float(rate),
        dispersion=float(dispersion),
        ar1=ar1,
        shock_sd=shock_sd,
        weekday=tuple(float(f) for f in factors),
        exposures=e if exposure is not None else np.array([1.0]),
        metric=metric,
        exposure=exposure,
        n_posts=len(y),
        n_days=n_days,
        notes=tuple(notes),
        last_day=str((day0 + pd.Timedelta(days=n_days - 1)).date()),
    )


# --------------------------------------------------------------------------------------------
# simulation
# --------------------------------------------------------------------------------------------
@dataclass
class _Base:
    """Simulated posts of ``n_sims`` profiles over ``days`` days, before outcomes are drawn."""

    cell: np.ndarray  # sim * days + day, per post
    day: np.ndarray
    exposure: np.ndarray
    mean: np.ndarray  # mean count without lift
    mix: np.ndarray  # gamma mixing variable (mean 1), per post
    n_sims: int
    days: int


def start_after(history: History) -> str:
    """The first Monday after the history's last day (ISO date): the start of a schedule that
    follows the posts the plan was fitted on.

    >>> start_after(History(posts_per_day=2.0, rate=0.02, dispersion=5.0, ar1=0.5, shock_sd=0.15,
    ...                     last_day="2025-06-30"))
    '2025-07-07'
    """
    if not isinstance(history, History):
        raise AnalysisError("must be a History (see fit_history)", parameter="history",
                            found=type(history).__name__)
    if history.last_day is None:
        raise AnalysisError("a hand-set history states no last day: give the schedule's start date",
                            parameter="history", found="last_day=None")
    last = pd.Timestamp(history.last_day)
    return str((last + pd.Timedelta(days=7 - last.day_of_week)).date())


def _simulate_base(h: History, n_sims: int, days: int, rng: np.random.Generator,
                   start_weekday: int = 0) -> _Base:
    counts = rng.poisson(h.posts_per_day, size=(n_sims, days))
    index_type = np.int32 if n_sims * days < 2**31 else np.int64
    cell = np.repeat(np.arange(n_sims * days, dtype=index_type), counts.ravel())
    day = cell % days
    n = cell.size
    if h.shock_sd > 0:
        phi, s = h.ar1, h.shock_sd
        innov = rng.normal(0.0, s * math.sqrt(1 - phi ** 2), size=(n_sims, days))
        u0 = rng.normal(0.0, s, size=(n_sims, 1))
        u = signal.lfilter([1.0], [1.0, -phi], innov, axis=1, zi=phi * u0)[0]
        mult = np.exp(u - s ** 2 / 2).ravel()[cell]
    else:
        mult = 1.0
    weekday = np.asarray(h.weekday)[(start_weekday + day) % 7]
    exposure = h.exposures[rng.integers(0, h.exposures.size, size=n)]
    mean = h.rate * exposure * weekday * mult
    mix = rng.gamma(h.dispersion, 1.0 / h.dispersion, size=n)
    return _Base(cell, day, exposure, mean, mix, n_sims, days)


def _hac(scores: np.ndarray, lags: int) -> np.ndarray:
    """Newey-West variance of the sum of ``scores`` along axis 1 (Bartlett weights)."""
    var = (scores ** 2).sum(axis=1)
    for lag in range(1, lags + 1):
        var = var + 2 * (1 - lag / (lags + 1)) * (scores[:, lag:] * scores[:, :-lag]).sum(axis=1)
    return var


def _nw_lags(n_days: int) -> int:
    return int(math.floor(4 * (n_days / 100) ** (2 / 9)))


def _wald_z(base: _Base, treat: np.ndarray, lift: float, horizons: list[int],
            lags: Callable[[int], int], rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Wald z statistic per horizon (end day, exclusive) and simulation; NaN when an arm is empty
    or has no events; and the mean number of posts per horizon."""
    mean = base.mean * np.where(treat, 1.0 + lift, 1.0) * base.mix
    y = rng.poisson(mean).astype(float)
    shape = (base.n_sims, base.days)
    size = base.n_sims * base.days

    def daily(values, mask):
        return np.bincount(base.cell[mask], weights=values[mask], minlength=size).reshape(shape)

    yt, xt = daily(y, treat), daily(base.exposure, treat)
    yc, xc = daily(y, ~treat), daily(base.exposure, ~treat)
    n_day = np.bincount(base.cell, minlength=size).reshape(shape)
    zs, n_posts = [], []
    for hi in horizons:
        sl = slice(0, hi)
        YT, XT, YC, XC = (a[:, sl].sum(axis=1) for a in (yt, xt, yc, xc))
        valid = (YT > 0) & (YC > 0)
        YTs, YCs = np.where(valid, YT, 1.0), np.where(valid, YC, 1.0)
        XTs, XCs = np.where(XT > 0, XT, 1.0), np.where(XC > 0, XC, 1.0)
        est = np.log(YTs / XTs) - np.log(YCs / XCs)
        scores = (yt[:, sl] / YTs[:, None] - xt[:, sl] / XTs[:, None]
                  - yc[:, sl] / YCs[:, None] + xc[:, sl] / XCs[:, None])
        var = _hac(scores, lags(hi)) * hi / max(hi - 1, 1)
        z = np.where(valid & (var > 0), est / np.sqrt(np.where(var > 0, var, 1.0)), np.nan)
        zs.append(z)
        n_posts.append(n_day[:, sl].sum(axis=1).mean())
    return np.array(zs), np.array(n_posts)


def _posts_frame(base: _Base, sim: int, treat: np.ndarray, y: np.ndarray, start: pd.Timestamp,
                 end_day: int, metric: str, exposure: str | None, seed: int) -> pd.DataFrame:
    """One simulated profile as a canonical posts table (for the real analysis methods)."""
    from toolkit.schema import COUNT_COLUMNS, POSTS, conform

    sel = (base.cell // base.days == sim) & (base.day < end_day)
    n = int(sel.sum())
    hour = np.random.default_rng(seed).integers(8, 21, size=n)
    published = start + pd.to_timedelta(base.day[sel], unit="D") + pd.to_timedelta(hour, unit="h")
    frame = pd.DataFrame({
        "account": "simulated",
        "platform": "other",
        "post_id": [f"s{sim}-{i}" for i in range(n)],
        "published_at": published,
        "time_known": True,
        "media_type": "text",
        "content_label": np.where(treat[sel], "personal", "brand"),
        "source_file": "simulated",
        "source_row": np.arange(1, n + 1),
    })
    if exposure is not None and exposure in POSTS:
        frame[exposure] = np.round(base.exposure[sel]).astype("int64")
    if metric in COUNT_COLUMNS:
        frame[metric] = y[sel].astype("int64")
    posts = conform(frame, POSTS, name="simulated posts")
    if metric not in COUNT_COLUMNS:
        posts[metric] = y[sel].astype("int64")
    if exposure is not None and exposure not in POSTS:
        posts[exposure] = base.exposure[sel]
    return posts.sort_values("published_at", kind="stable").reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# power
# --------------------------------------------------------------------------------------------
@dataclass
class PowerResult:
    """Power of a planned test against weeks of posting, per lift.

    Attributes
    ----------
    table
        One row per lift and horizon, columns :data:`POWER_COLUMNS`: ``power`` is the share of
        simulated profiles where the test rejected at ``alpha`` (two-sided; size-adjusted for
        ``method="wald"``, see :func:`power`), ``power_se`` its Monte Carlo standard error,
        ``power_closed_form`` the normal approximation where it applies (content lift without
        day shocks, else NaN).
    mdl
        Per horizon: ``min_detectable_lift`` at ``target`` power (interpolated on the lift grid
        of ``method="wald"``; NaN when only the requested lifts were simulated: a real method, or
        ``min_detectable=False``),
        ``false_positive_rate`` (the unadjusted test's rejection rate with no true lift) and, for
        ``"wald"``, the ``critical_z`` used.
    history
        The fitted :class:`History` the simulation used.
    """

    table: pd.DataFrame
    mdl: pd.DataFrame
    history: History
    alpha: float
    target: float
    text: str
    assumptions: str
    details: dict[str, Any] = field(default_factory=dict)

    def weeks_for(self, lift: float) -> int | None:
        """The shortest planned horizon, in weeks, at which ``lift`` is detected with ``target``
        power; None if no horizon reaches it.

        With the fast method's lift grid, read from :attr:`mdl`: the first horizon whose minimum
        detectable lift is at most ``lift`` (for lifts between the simulated ones, on the
        interpolated power curve). A plan that simulated only its requested lifts (a real method,
        or ``min_detectable=False``) answers for those lifts only, from their simulated power.

        >>> h = History(posts_per_day=2.0, rate=0.02, dispersion=5.0, ar1=0.5, shock_sd=0.15,
        ...             exposures=np.array([2000.0]))
        >>> plan = power(history=h, lifts=[0.3], weeks=[4, 12], n_sims=200, seed=3, progress=False)
        >>> plan.mdl["min_detectable_lift"].round(2).tolist()
        [0.51, 0.28]
        >>> plan.weeks_for(0.6), plan.weeks_for(0.3), plan.weeks_for(0.2)
        (4, 12, None)
        """
        if isinstance(lift, bool) or not isinstance(lift, (int, float, np.number)) \
                or not math.isfinite(lift) or lift <= 0:
            raise AnalysisError("must be a relative lift above 0 (0.2 = +20%)", parameter="lift",
                                found=repr(lift))
        if self.details.get("grid", True):
            reached = self.mdl.loc[self.mdl["min_detectable_lift"] <= lift, "weeks"]
        else:
            cells = self._cells(lift)
            reached = cells.loc[cells["power"] >= self.target, "weeks"]
        return int(reached.min()) if len(reached) else None

    def _cells(self, lift: float) -> pd.DataFrame:
        """The simulated rows of ``lift`` (a plan without the lift grid answers for its own lifts only)."""
        full = self.details["all_lifts"]
        cells = full[np.isclose(full["lift"], lift)]
        if cells.empty:
            simulated = sorted(float(x) for x in full["lift"].unique() if x != 0)
            raise AnalysisError("this plan simulated only these lifts (a real method, or "
                                "min_detectable=False, has no lift grid to read others off): ask for "
                                "one of them, or plan with the fast method", parameter="lift",
                                found=f"{lift!r}; simulated: {simulated}")
        return cells

    def chart(self):
        """Power against weeks, one line per lift (:func:`toolkit.charts.design.power_chart`)."""
        from toolkit.charts.design import power_chart

        return power_chart(self.table, target=self.target)

    def summary(self) -> str:
        return self.text + "\n\nAssumes: " + self.assumptions

    def __str__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        wide = self.table.pivot_table(index="weeks", columns="lift", values="power")
        wide.columns = [f"lift {c:+.0%}" for c in wide.columns]
        return "\n".join([
            '<div class="engagement-lab-result">',
            f"<p>{html.escape(self.text)}</p>",
            "<p><b>Power</b> (share of simulated profiles where the test found the lift)</p>",
            wide.to_html(float_format=lambda v: f"{v:.2f}", border=0),
            f"<p><b>Minimum detectable lift</b> at {self.target:.0%} power</p>",
            self.mdl.to_html(index=False, float_format=lambda v: f"{v:.3f}", border=0),
            f"<p><small><b>Assumes:</b> {html.escape(self.assumptions)}</small></p>",
            "</div>",
        ])


def plan_length(plan: PowerResult, min_lift: float, weeks: int | None = None) -> tuple[int, str]:
    """How many weeks to run an experiment, and why, from its power plan.

    With ``weeks=None``, the shortest planned horizon that detects ``min_lift`` with the plan's
    target power (:meth:`PowerResult.weeks_for`), or the longest planned horizon if none does
    (the text then says that the plan falls short). With ``weeks`` given (a length fixed by the
    user), that length, and the text says what it can detect.

    >>> h = History(posts_per_day=2.0, rate=0.02, dispersion=5.0, ar1=0.5, shock_sd=0.15,
    ...             exposures=np.array([2000.0]))
    >>> plan = power(history=h, lifts=[0.3], weeks=[4, 12], n_sims=200, seed=3, progress=False)
    >>> plan_length(plan, 0.3)
    (12, 'A lift of +30% is detected with 80% power after 12 weeks: the schedule runs 12 weeks.')
    >>> plan_length(plan, 0.1)[0]
    12
    >>> plan_length(plan, 0.3, weeks=4)[1]
    'The schedule runs 4 weeks, as set: there the plan detects +51% with 80% power, not +30%.'
    """
    needed = plan.weeks_for(min_lift)
    target = f"{plan.target:.0%} power"
    if weeks is not None:
        if not is_whole(weeks, 1):
            raise AnalysisError("must be a whole number of weeks, 1 or more (or None to take the "
                                "plan's)", parameter="weeks", found=repr(weeks))
        weeks = int(weeks)
        row = plan.mdl.loc[plan.mdl["weeks"] == weeks, "min_detectable_lift"]
        if not row.empty and not plan.details.get("grid", True):
            cells = plan._cells(min_lift)
            found = float(cells.loc[cells["weeks"] == weeks, "power"].iloc[0])
            enough = "enough" if found >= plan.target else "short of"
            return weeks, (f"The schedule runs {weeks} weeks, as set: there +{min_lift:.0%} was found "
                           f"in {found:.0%} of simulated profiles, {enough} {target}.")
        if row.empty or not math.isfinite(row.iloc[0]):
            there = ("the plan did not simulate that length" if row.empty
                     else f"no simulated lift reaches {target}")
            return weeks, f"The schedule runs {weeks} weeks, as set: {there}."
        mdl = float(row.iloc[0])
        enough = "enough for" if mdl <= min_lift else "not"
        return weeks, (f"The schedule runs {weeks} weeks, as set: there the plan detects "
                       f"+{mdl:.0%} with {target}, {enough} +{min_lift:.0%}.")
    if needed is not None:
        return needed, (f"A lift of +{min_lift:.0%} is detected with {target} after {needed} weeks: "
                        f"the schedule runs {needed} weeks.")
    longest = int(plan.mdl["weeks"].max())
    return longest, (f"No planned horizon detects +{min_lift:.0%} with {target}: the schedule runs "
                     f"the longest planned, {longest} weeks, and will likely miss a lift of that "
                     "size. Plan for longer (weeks=), post more often, or pre-register a larger "
                     "lift.")


def noise_sensitivity(history: History, *, analysis: str = "before_after",
                      weeks: Sequence[int] = (2, 4, 6, 8, 12, 16, 26), milder: float = 0.5,
                      **power_kwargs: Any) -> pd.DataFrame:
    """The minimum detectable lift under stronger day swings than fitted, the fitted ones,
    milder ones and none.

    :func:`fit_history`'s day-swing estimates (``ar1``, ``shock_sd``) are rough on a few months of
    posts: for a simulated account like the sample's, 20 seeds gave autocorrelations from 0 to
    0.95 (its docstring), and on short histories they tend to come out too low. A plan built on
    them alone can be several weeks too long or too short. This reruns :func:`power` with the
    day swings changed and everything else as fitted, the same ``seed`` and ``n_sims``, so the
    columns differ by the noise model only:

    - ``stronger``: ``shock_sd`` divided by ``milder`` (doubled by default) and ``ar1`` moved
      the same share of the way to its cap of 0.95 (from 0.5 to 0.725 by default);
    - ``milder``: ``ar1`` and ``shock_sd`` multiplied by ``milder`` (default half);
    - ``no_day_swings``: both 0.

    It is a what-if, not an interval: the truth can lie outside them.

    ``power_kwargs`` go to :func:`power` (``alpha``, ``n_sims``, ``seed``, ``share``,
    ``progress`` ...; ``lifts`` is fixed, as only the minimum detectable lift is read).

    Returns one row per horizon: ``weeks`` and the minimum detectable lift ``stronger``,
    ``as_fitted``, ``milder`` and ``no_day_swings`` (NaN where no simulated lift up to +200%
    reaches the target power); ``.attrs["noise"]`` gives the four (ar1, shock_sd).

    >>> h = History(posts_per_day=2, rate=0.03, dispersion=4.0, ar1=0.5, shock_sd=0.2,
    ...             weekday=(1.0,) * 7, exposures=np.full(100, 1000.0))
    >>> t = noise_sensitivity(h, weeks=(4, 8), n_sims=100, progress=False)
    >>> t.columns.tolist()
    ['weeks', 'stronger', 'as_fitted', 'milder', 'no_day_swings']
    >>> t.attrs["noise"]["stronger"]
    (0.725, 0.4)
    >>> bool((t["stronger"] >= t["as_fitted"]).all() and (t["as_fitted"] >= t["no_day_swings"]).all())
    True
    """
    if not isinstance(history, History):
        raise AnalysisError("expected a History (toolkit.design.fit_history)", parameter="history",
                            found=type(history).__name__)
    if not (isinstance(milder, (int, float)) and 0 < milder < 1):
        raise AnalysisError("must be a factor between 0 and 1 (0.5 = half the day swings)",
                            parameter="milder", found=repr(milder))
    own = ("lifts", "history", "min_detectable")  # it reads the minimum detectable lift only
    if any(k in power_kwargs for k in own):
        raise AnalysisError("noise_sensitivity sets these itself", parameter="power_kwargs",
                            found=sorted(k for k in power_kwargs if k in own))
    if power_kwargs.get("method", "wald") != "wald":  # only the fast method has the lift grid
        raise AnalysisError("noise_sensitivity reads the minimum detectable lift off the fast "
                            "method's lift grid: leave method at 'wald'", parameter="method",
                            found=power_kwargs["method"])
    if not all(is_whole(w, 1) for w in weeks):
        raise AnalysisError("weeks must be whole numbers of weeks, 1 or more", parameter="weeks",
                            found=list(weeks))
    weeks = sorted(set(int(w) for w in weeks))
    cap = max(0.95, history.ar1)  # fit_history's cap (a hand-set history may go above it)
    noise = {"stronger": (history.ar1 + (cap - history.ar1) * (1 - milder), history.shock_sd / milder),
             "as_fitted": (history.ar1, history.shock_sd),
             "milder": (history.ar1 * milder, history.shock_sd * milder),
             "no_day_swings": (0.0, 0.0)}
    out = pd.DataFrame({"weeks": list(weeks)})
    for name, (ar1, sd) in noise.items():
        result = power(history=dataclasses.replace(history, ar1=ar1, shock_sd=sd), analysis=analysis,
                       lifts=(0.2,), weeks=weeks, **power_kwargs)
        out[name] = result.mdl.set_index("weeks").loc[list(weeks), "min_detectable_lift"].to_numpy()
    out.attrs["noise"] = {k: (round(a, 3), round(s, 3)) for k, (a, s) in noise.items()}
    return out


def closed_form_power(history: History, lift: float, weeks: float, *, share: float = 0.5,
                      alpha: float = 0.05) -> float:
    """Normal-approximation power of the Wald test of the log rate ratio (content lift).

    With ``n`` posts split ``share : 1 - share`` at random, the ratio-of-sums estimate of the log
    rate ratio has variance ``V = v_T / n_T + v_C / n_C`` with
    ``v_g = 1 / m_g + E[m^2] / (E[m]^2 * dispersion)`` (``m_g`` the mean count per post in arm
    ``g``), and power is ``Phi(|log(1+lift)| / sqrt(V) - z) + Phi(-|log(1+lift)| / sqrt(V) - z)``,
    evaluated with statsmodels' ``NormalIndPower``. Valid for independent negative binomial counts:
    it ignores day shocks and their autocorrelation (it returns NaN when ``shock_sd > 0``).

    >>> h = History(posts_per_day=2.0, rate=0.02, dispersion=5.0, ar1=0.0, shock_sd=0.0,
    ...             exposures=np.array([2000.0]))
    >>> round(closed_form_power(h, 0.2, 8), 3)
    0.533
    """
    from statsmodels.stats.power import NormalIndPower

    if history.shock_sd > 0:
        return float("nan")
    weights = np.asarray(history.weekday)
    ex = history.exposures
    m1 = history.rate * ex.mean() * weights.mean()
    m2 = history.rate ** 2 * (ex ** 2).mean() * (weights ** 2).mean()
    ratio = m2 / m1 ** 2
    n = history.posts_per_day * 7 * weeks
    n_t, n_c = share * n, (1 - share) * n
    v_t = 1 / (m1 * (1 + lift)) + ratio / history.dispersion
    v_c = 1 / m1 + ratio / history.dispersion
    var = v_t / n_t + v_c / n_c
    delta = abs(math.log1p(lift))
    if delta == 0:
        return float(alpha)
    effect = delta * math.sqrt(1 / n_c + 1 / n_t) / math.sqrt(var)
    return float(NormalIndPower().power(effect_size=effect, nobs1=n_c, alpha=alpha,
                                        ratio=n_t / n_c, alternative="two-sided"))


def _as_list(values, name: str, cast) -> list:
    if np.isscalar(values):
        values = [values]
    try:
        out = [cast(v) for v in values]
    except (TypeError, ValueError):
        raise AnalysisError("must be a number or a list of numbers", parameter=name,
                            found=values) from None
    if not out:
        raise AnalysisError("must not be empty", parameter=name, found=values)
    return out


def power(
    posts: pd.DataFrame | None = None,
    *,
    analysis: str = "content_lift",
    lifts: Sequence[float] = (0.1, 0.2, 0.3),
    weeks: Sequence[int] = (2, 4, 6, 8, 12, 16, 26),
    metric: str = "engagements",
    exposure: str | None = "impressions",
    method: str = "wald",
    alpha: float = 0.05,
    target: float = 0.8,
    share: float = 0.5,
    baseline_weeks: int | None = None,
    n_sims: int = 500,
    min_detectable: bool = True,
    history: History | None = None,
    account: str | None = None,
    seed: int = 0,
    progress: bool = True,
    analysis_kwargs: dict[str, Any] | None = None,
) -> PowerResult:
    """Power and minimum detectable lift by simulation from the account's own history.

    Parameters
    ----------
    posts
        The account's posts so far (canonical table); fitted with :func:`fit_history`.
        Give ``history`` instead to plan with hand-set parameters.
    analysis
        ``"content_lift"``: over the next ``weeks``, each simulated post carries the content under
        test with probability ``share``, independently of the others (simple randomisation; the
        blocked draw of :func:`schedule` fixes the share exactly). ``"before_after"``: the strategy
        changes now; ``baseline_weeks`` of history before are compared with ``weeks`` after.
    lifts
        Relative lifts to plan for (``0.2`` = +20 %). No-lift profiles are always simulated too:
        their rejection rate is the test's false positive rate (``.mdl``).
    weeks
        Horizons, in weeks of posting (after the change, for before/after).
    metric, exposure
        As in the analyses: the count and its exposure (``None`` for counts per post).
    method
        ``"wald"`` (fast, vectorised; see the module notes; its critical value is raised where
        the no-lift simulations show it would flag more than ``alpha`` of profiles, so its power
        is size-adjusted and never flattered by a test that is too liberal at short horizons)
        or a method of the analysis
        (``"glm"``, ``"its"``, ``"counterfactual"`` for before/after; ``"glm"``,
        ``"permutation"``, ``"bootstrap"``... for content lift), which runs
        :func:`toolkit.before_after` / :func:`toolkit.content_lift` on every simulated profile.
        The analysis runs once on the first simulated profile before the rest, and an error there
        (a wrong method or keyword) is raised; later profiles it cannot analyse (too few posts...)
        count as not detected and are counted in ``details["failed"]``. ``"bayes"`` detects a lift
        when its ``1 - alpha`` credible interval excludes 0.
    alpha
        Two-sided significance level.
    target
        Power at which the minimum detectable lift is read off.
    share
        Share of treated posts (content lift).
    baseline_weeks
        Weeks before the change (before/after); default the history's length in whole weeks, at
        least 4 and at most 26 (8 for a hand-set history that states no length).
    n_sims
        Simulated profiles per lift and horizon; the Monte Carlo standard error of a power ``p``
        is ``sqrt(p (1 - p) / n_sims)`` (at most 0.022 for 500).
    min_detectable
        Also simulate a grid of lifts (2.5 % to 200 %) to read off the minimum detectable lift
        (fast method only; set False to simulate just ``lifts``).
    account
        The account whose posts to fit (as in :func:`fit_history`); required when ``posts`` hold
        several, since a plan for pooled accounts fits no account's rhythm.
    seed
        Everything is drawn from ``numpy.random.default_rng(seed)``: same seed, same table.
    progress
        Show a tqdm progress bar.
    analysis_kwargs
        Extra keyword arguments for the real analysis (e.g. ``{"controls": []}``).

    Returns
    -------
    PowerResult
        ``.table`` (power per lift and horizon), ``.mdl``, ``.text``, ``.chart()``;
        ``details["failed"]`` counts, per lift and horizon, the profiles that could not be
        analysed (for ``"wald"``: no event in one group over the horizon), which count as not
        detected.

    Assumes
    -------
    The account's next weeks look like its history (same rate, noise and weekday pattern; no
    trend); the lift multiplies the rate of treated posts (content lift) or of every post after
    the change (before/after). Treated posts are chosen at random, so day shocks hit both arms.

    Examples
    --------
    >>> h = History(posts_per_day=2.0, rate=0.02, dispersion=5.0, ar1=0.5, shock_sd=0.15,
    ...             exposures=np.array([2000.0]))
    >>> res = power(history=h, lifts=[0.3], weeks=[4, 12], n_sims=200, seed=3, progress=False)
    >>> list(res.table.columns) == list(POWER_COLUMNS)
    True
    >>> bool(res.table.query("lift == 0.3")["power"].is_monotonic_increasing)
    True
    """
    from toolkit.progress import progress_bar

    if analysis not in ANALYSES:
        raise AnalysisError(f"must be one of {ANALYSES}", parameter="analysis", found=analysis)
    if history is None:
        if posts is None:
            raise AnalysisError("give the account's posts (or a fitted history)", parameter="posts")
        history = fit_history(posts, metric=metric, exposure=exposure, account=account)
    elif not isinstance(history, History):
        raise AnalysisError("must be a History (see fit_history)", parameter="history",
                            found=type(history).__name__)
    lifts = _as_list(lifts, "lifts", float)
    weeks = _as_list(weeks, "weeks", lambda v: v)
    if not all(math.isfinite(lift) and lift > -1 for lift in lifts):
        raise AnalysisError("lifts are relative changes and must be above -1 (0.2 = +20%)",
                            parameter="lifts", found=lifts)
    if not all(is_whole(w, 1) for w in weeks):  # 2.5 would quietly run as 2
        raise AnalysisError("weeks must be whole numbers of weeks, 1 or more", parameter="weeks",
                            found=[w for w in weeks if not is_whole(w, 1)])
    weeks = sorted(set(int(w) for w in weeks))
    if not is_fraction(alpha):
        raise AnalysisError("must be between 0 and 1", parameter="alpha", found=alpha)
    if not is_fraction(target):
        raise AnalysisError("must be between 0 and 1", parameter="target", found=target)
    if not is_fraction(share):
        raise AnalysisError("must be between 0 and 1", parameter="share", found=share)
    if not is_whole(n_sims, 10):
        raise AnalysisError("must be a whole number of simulations, at least 10", parameter="n_sims",
                            found=repr(n_sims))
    n_sims = int(n_sims)
    if baseline_weeks is None:
        baseline_weeks = int(min(max(history.n_days // 7, 4), 26)) if history.n_days else 8
    least = 1 if analysis == "before_after" else 0  # content_lift has no weeks before
    if not is_whole(baseline_weeks, least):
        raise AnalysisError(f"must be a whole number of weeks, at least {least}",
                            parameter="baseline_weeks", found=repr(baseline_weeks))
    baseline_weeks = int(baseline_weeks)

    # the lift grid: requested lifts, 0, and a grid for the minimum detectable lift
    mdl_grid = [0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 1.5, 2.0]
    all_lifts = sorted(set([0.0] + lifts + mdl_grid))
    pre = baseline_weeks * 7 if analysis == "before_after" else 0
    days = pre + 7 * weeks[-1]
    horizons = [pre + 7 * w for w in weeks]

    if not is_seed(seed):
        raise AnalysisError("must be a whole number, 0 or more", parameter="seed", found=repr(seed))
    root = np.random.default_rng(seed)
    base_seed, *lift_seeds = root.spawn(1 + len(all_lifts))
    base = _simulate_base(history, n_sims, days, base_seed)
    if analysis == "content_lift":
        treat = np.random.default_rng(base_seed.integers(2**63)).random(base.cell.size) < share
        lags = lambda n_days: 0  # noqa: E731 - posts randomised within days: day clusters
    else:
        treat = base.day >= pre
        lags = _nw_lags

    rows = []
    failed_rows = []
    fast = method == "wald"
    real = None if fast else _analysis_function(analysis)
    call = None if fast else _analysis_call(analysis, method, analysis_kwargs, history, pre, alpha)
    run_lifts = all_lifts if fast and min_detectable else sorted(set([0.0] + lifts))
    seeds = dict(zip(all_lifts, lift_seeds))  # each lift keeps its own stream, whatever runs
    bar = progress_bar(total=len(run_lifts) * (1 if fast else n_sims * len(weeks)),
                       disable=not progress, desc=f"power ({analysis}, {method})", leave=False)
    z_nominal = stats.norm.ppf(1 - alpha / 2)
    crit = np.full(len(weeks), z_nominal)
    false_positive = np.full(len(weeks), np.nan)
    try:
        # lift 0 first: its simulations set the size-adjusted critical value every other lift uses
        for lift in [0.0] + [lift for lift in run_lifts if lift != 0.0]:
            lrng = seeds[lift]
            if fast:
                z, n_posts = _wald_z(base, treat, lift, horizons, lags, lrng)
                # no event in one group over the horizon: the rate ratio is undefined, and the
                # profile counts as not detected (and is counted, as a real method's failures are)
                undefined = np.isnan(z).sum(axis=1)
                failed_rows += [{"lift": lift, "weeks": w, "failed": int(undefined[i]),
                                 "reason": "no event in one group over the horizon (Wald test undefined)"}
                                for i, w in enumerate(weeks)]
                absz = np.nan_to_num(np.abs(z), nan=0.0)
                if lift == 0:
                    # size adjustment: the critical value that gives the nominal false positive
                    # rate on this account's simulated noise, never below the normal one
                    false_positive = (absz > z_nominal).mean(axis=1)
                    crit = np.maximum(z_nominal, np.quantile(absz, 1 - alpha, axis=1))
                rej = absz > crit[:, None]
                bar.update(1)
            else:
                rej, n_posts, failed, reasons = _real_power(
                    base, treat, lift, horizons, alpha, method, real, history, call, lrng, bar,
                    probe=lift == 0)
                if lift == 0:
                    false_positive = rej.mean(axis=1)
                failed_rows += [{"lift": lift, "weeks": w, "failed": int(failed[i]), "reason": reasons[i]}
                                for i, w in enumerate(weeks)]
            for i, w in enumerate(weeks):
                p = float(rej[i].mean())
                closed = (closed_form_power(history, lift, w, share=share, alpha=alpha)
                          if analysis == "content_lift" else float("nan"))
                rows.append({
                    "analysis": analysis, "method": method, "metric": history.metric,
                    "lift": lift, "weeks": w, "n_posts": float(n_posts[i]), "power": p,
                    "power_se": math.sqrt(max(p * (1 - p), 1e-12) / n_sims),
                    "power_closed_form": closed, "runs": n_sims,
                })
    finally:
        bar.close()
    full = pd.DataFrame(rows, columns=list(POWER_COLUMNS))
    full = full.sort_values(["lift", "weeks"], kind="stable").reset_index(drop=True)
    grid = fast and min_detectable  # a lift grid to read the minimum detectable lift off
    mdl = _mdl(full, weeks, target)
    if not grid:  # a straight line between a few simulated lifts is too rough to state
        mdl["min_detectable_lift"] = np.nan
    mdl["false_positive_rate"] = false_positive
    if fast:
        mdl["critical_z"] = crit
    requested = set(lifts)
    table = full[full["lift"].isin(requested)].sort_values(["lift", "weeks"]).reset_index(drop=True)
    text = _power_text(mdl, table, history, analysis, method, alpha, target, baseline_weeks, fast,
                       grid, max(run_lifts), n_sims)
    failed = pd.DataFrame(failed_rows, columns=["lift", "weeks", "failed", "reason"])
    if failed["failed"].sum() > 0:
        example = failed.loc[failed["failed"] > 0, "reason"].iloc[0]
        text += (f" {int(failed['failed'].sum())} of {n_sims * len(weeks) * len(run_lifts)} simulated "
                 f"profiles could not be analysed and count as not detected (e.g. {example}); "
                 "see details['failed'].")
    detect = (f"the share of profiles whose {1 - alpha:.0%} credible interval excludes 0"
              if method == "bayes" else "its rejection rate at alpha")
    assumptions = (
        "The next weeks look like the history (same rate per exposure, overdispersion, "
        "day shocks and weekday pattern, no trend); the lift multiplies the expected count of "
        + ("randomly chosen treated posts" if analysis == "content_lift"
           else "every post after the change")
        + ("; the Wald test of the log rate ratio uses day-clustered (content lift) or "
           "Newey-West (before/after) variances, with its critical value raised where needed so "
           "that it flags no more than alpha of the no-lift simulations (size-adjusted power)"
           if fast else f"; each profile is analysed with {analysis}(method={method!r}) and "
           f"power is {detect}; profiles it cannot analyse count as not detected")
        + f"; two-sided tests at alpha {alpha:g}; {n_sims} simulated profiles per cell."
    )
    return PowerResult(table=table, mdl=mdl, history=history, alpha=alpha, target=target,
                       text=text, assumptions=assumptions,
                       details={"all_lifts": full, "baseline_weeks": baseline_weeks,
                                "share": share, "seed": seed, "grid": grid,
                                "failed": failed})


def _analysis_function(analysis: str):
    import importlib

    try:
        module = importlib.import_module(f"toolkit.{analysis}")
    except ImportError as exc:
        raise AnalysisError(f"toolkit.{analysis} is not available in this installation",
                            parameter="method", found=str(exc)) from None
    return getattr(module, analysis)


#: first day of every simulated profile handed to a real analysis
_SIM_START = pd.Timestamp("2024-01-01", tz="UTC")


def _analysis_call(analysis, method, analysis_kwargs, history, pre, alpha) -> dict[str, Any]:
    """The keyword arguments of the real analysis, the same for every simulated profile."""
    kwargs = dict(analysis_kwargs or {})
    fixed = {"metric": history.metric, "exposure": history.exposure, "method": method}
    if analysis == "content_lift":
        fixed["label"] = ("content_label", "personal")
    else:
        fixed["change"] = (_SIM_START + pd.Timedelta(days=pre)).strftime("%Y-%m-%d")
    if method == "bayes":
        # no p-value: a lift is detected when the (1 - alpha) credible interval excludes 0
        if kwargs.get("level", 1 - alpha) != 1 - alpha:
            raise AnalysisError("bayes detects a lift by its (1 - alpha) credible interval; drop level "
                                "or set it to 1 - alpha", parameter="analysis_kwargs",
                                found=f"level={kwargs['level']}, alpha={alpha}")
        kwargs["level"] = 1 - alpha
    clash = sorted(set(fixed) & set(kwargs))
    if clash:
        raise AnalysisError("power sets these arguments itself", parameter="analysis_kwargs", found=clash)
    return {**fixed, **kwargs}


def _detected(table: pd.DataFrame, method: str, alpha: float) -> bool:
    row = table.iloc[0]
    if method == "bayes":
        return bool(row["ci_low"] > 0 or row["ci_high"] < 0)
    p = float(row["p_value"])
    return bool(np.isfinite(p) and p < alpha)


def _real_power(base, treat, lift, horizons, alpha, method, fn, history, call, rng, bar, probe):
    """Rejections (horizons x sims), mean posts per horizon, and per horizon the number of profiles
    the method could not analyse and the first reason. With ``probe``, the first profile at the
    longest horizon is analysed first and any error there is raised: a wrong method or keyword would
    fail every profile."""
    mean = base.mean * np.where(treat, 1.0 + lift, 1.0) * base.mix
    y = rng.poisson(mean)
    reject = np.zeros((len(horizons), base.n_sims), dtype=bool)
    failed = np.zeros(len(horizons), dtype=int)
    reasons = [""] * len(horizons)
    n_posts = np.zeros(len(horizons))

    def run(posts):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return fn(posts, **call)

    if probe:
        first = _posts_frame(base, 0, treat, y, _SIM_START, horizons[-1], history.metric,
                             history.exposure, seed=0)
        try:
            run(first)
        except (AnalysisError, TypeError) as exc:
            message = exc.message if isinstance(exc, AnalysisError) else str(exc)
            raise AnalysisError(
                f"the analysis fails on the first simulated profile ({len(first)} posts), so it would "
                f"fail on all; check method and analysis_kwargs: {message}",
                parameter=getattr(exc, "parameter", None) or "analysis_kwargs",
                column=getattr(exc, "column", None), found=getattr(exc, "found", None)) from exc
    for s in range(base.n_sims):
        for i, hi in enumerate(horizons):
            posts = _posts_frame(base, s, treat, y, _SIM_START, hi, history.metric, history.exposure,
                                 seed=s)
            n_posts[i] += len(posts) / base.n_sims
            try:
                reject[i, s] = _detected(run(posts).table, method, alpha)
            except AnalysisError as exc:
                # data-driven (e.g. too few labelled posts at a short horizon): counts as not detected
                failed[i] += 1
                reasons[i] = reasons[i] or exc.message
            bar.update(1)
    return reject, n_posts, failed, reasons


def _mdl(full: pd.DataFrame, weeks: list[int], target: float) -> pd.DataFrame:
    rows = []
    for w in weeks:
        # from lift 0 (power = the false positive rate) upwards, interpolating linearly
        part = full[(full["weeks"] == w) & (full["lift"] >= 0)].sort_values("lift")
        lifts, pw = part["lift"].to_numpy(), part["power"].to_numpy()
        pw = np.maximum.accumulate(pw)  # Monte Carlo noise can make the curve dip; power rises with lift
        above = np.nonzero(pw >= target)[0]
        if above.size == 0:
            value = float("nan")
        elif above[0] == 0:
            value = float(lifts[0])
        else:
            j = above[0]
            x0, x1, y0, y1 = lifts[j - 1], lifts[j], pw[j - 1], pw[j]
            value = float(x0 + (target - y0) * (x1 - x0) / (y1 - y0)) if y1 > y0 else float(x1)
        rows.append({"weeks": w, "min_detectable_lift": value})
    return pd.DataFrame(rows)


def _power_text(mdl, table, history, analysis, method, alpha, target, baseline_weeks, fast, grid,
                largest_lift, n_sims) -> str:
    what = ("treated (e.g. personal) posts vs the rest" if analysis == "content_lift"
            else f"{baseline_weeks} weeks before vs the weeks after a change")
    found = mdl.dropna(subset=["min_detectable_lift"])
    unit = (history.exposure or "post").removesuffix("s")
    parts = [f"Comparing {what} on {history.metric} per {unit} "
             f"({method} test, alpha {alpha:g}, ~{history.posts_per_day * 7:.0f} posts a week):"]
    if not grid:
        # only the requested lifts were simulated (a real method, or min_detectable=False): say
        # what was found there, as a straight line between them is too rough to state
        said = []
        for w in sorted({int(table["weeks"].min()), int(table["weeks"].max())}):
            cells = table[(table["weeks"] == w) & (table["lift"] != 0)]
            if len(cells):
                said.append(f"after {w} weeks a lift of " + ", ".join(
                    f"{lift:+.0%} was found in {p:.0%}" for lift, p in zip(cells["lift"], cells["power"])))
        if said:
            parts.append("; ".join(said) + " of simulated profiles.")
    elif len(found):
        first, last = found.iloc[0], found.iloc[-1]
        parts.append(f"after {int(first['weeks'])} weeks a lift of "
                     f"{first['min_detectable_lift']:.0%} is detected with {target:.0%} power")
        if last["weeks"] != first["weeks"]:
            parts.append(f"and after {int(last['weeks'])} weeks a lift of "
                         f"{last['min_detectable_lift']:.0%}.")
        else:
            parts[-1] += "."
    else:
        parts.append(f"no lift up to +{largest_lift * 100:g}% reaches {target:.0%} power within "
                     f"{int(mdl['weeks'].max())} weeks.")
    fpr = mdl["false_positive_rate"]
    if fast and (fpr > alpha).any():
        worst = mdl.loc[fpr.idxmax()]
        parts.append(f"Short horizons are hard: with no true lift the plain test would flag "
                     f"{worst['false_positive_rate']:.0%} of profiles at {int(worst['weeks'])} "
                     f"weeks (nominal {alpha:.0%}), so power here is size-adjusted.")
    elif not fast and len(fpr.dropna()):
        parts.append(f"With no true lift the method flagged {fpr.max():.0%} of profiles at most "
                     f"(nominal {alpha:.0%}).")
    if any("day shocks set to zero" in note for note in history.notes):
        parts.append("The history had too few days with two or more posts to measure how whole days "
                     "swing together, so none are simulated: if the account's days do swing, these "
                     "horizons are too short (noise_sensitivity cannot show it: it scales the "
                     "fitted swings, and there are none to scale).")
    if fast and n_sims < 200:
        parts.append(f"With {n_sims} simulations the size adjustment reads the no-lift profiles' "
                     f"{1 - alpha:.0%} point from few draws, so these figures are rough: use 500.")
    return " ".join(parts)


# --------------------------------------------------------------------------------------------
# randomised schedule
# --------------------------------------------------------------------------------------------
#: Columns written by :func:`schedule_to_csv`: ``date_time`` (local ``DD/MM/YYYY HH:MM``, 24 h,
#: the bulk-composer format of Hootsuite and similar tools), ``message`` (a placeholder to replace
#: with the post text), ``link`` (empty), ``label`` (``personal`` or ``other``: which content this
#: slot must carry), ``slot_id`` (stable id to match the published posts back to the schedule).
SCHEDULE_CSV_COLUMNS = ("date_time", "message", "link", "label", "slot_id")

_DEFAULT_TIMES = ("09:00", "13:00", "18:00")


def _parse_time(text: str) -> tuple[int, int]:
    try:
        hh, mm = str(text).strip().split(":")
        hh, mm = int(hh), int(mm)
        if not (0 <= hh < 24 and 0 <= mm < 60):
            raise ValueError
    except ValueError:
        raise AnalysisError("slot times must look like 'HH:MM' (24 h)", parameter="times",
                            found=text) from None
    return hh, mm


def schedule(
    start: str | pd.Timestamp,
    weeks: int,
    slots_per_week: int | None = None,
    *,
    times: Sequence[str] | None = None,
    share_personal: float = 0.5,
    seed: int = 0,
    tz: str = "UTC",
) -> pd.DataFrame:
    """Randomly assign upcoming posting slots to personal vs other content, balanced by slot.

    Blocked randomisation: each recurring slot (weekday x time) is a stratum; within a stratum,
    consecutive weeks form blocks of the smallest length ``b`` with ``share_personal * b`` whole
    (2 for 50 %, 10 for 30 %), and exactly ``share_personal * b`` slots of every block are drawn
    as personal (a last, shorter block of ``m`` weeks gets ``share_personal * m`` rounded down or
    up at random, with the chance of rounding up equal to the fraction). So every weekday and hour
    gets the same share, the share is kept over time, and nobody picks which posts are personal.

    Parameters
    ----------
    start
        First day of the schedule (a date; slots begin on that day).
    weeks
        Number of weeks to schedule.
    slots_per_week
        Slots spread over the week (round-robin over days, at 09:00, 13:00, 18:00 as needed).
    times
        Alternatively, slot times: ``"HH:MM"`` (every day) or ``"Mon 09:00"`` (that weekday).
    share_personal
        Share of slots that carry personal content.
    seed
        Seed of ``numpy.random.default_rng``: the same seed gives the same schedule.
    tz
        Time zone of the slot times. Across daylight saving changes a slot keeps its wall-clock
        time; one the spring change skips moves to the first time that exists (02:30 -> 03:00), and
        one the autumn change repeats is its first occurrence. Slot times that would then meet
        (02:30 and 03:00 on the spring day) are refused with an error.

    Returns
    -------
    DataFrame
        ``slot_id``, ``slot_time`` (tz-aware), ``weekday``, ``time``, ``week``, ``block``,
        ``label`` (``"personal"``/``"other"``). Export with :func:`schedule_to_csv`.

    Examples
    --------
    >>> s = schedule("2025-01-06", weeks=4, times=["09:00", "18:00"], seed=1)
    >>> len(s), s["label"].value_counts().to_dict()
    (56, {'other': 28, 'personal': 28})
    >>> s.groupby(["weekday", "time"])["label"].apply(lambda x: (x == "personal").sum()).unique()
    array([2])
    """
    if not is_fraction(share_personal):
        raise AnalysisError("must be between 0 and 1", parameter="share_personal",
                            found=share_personal)
    if not is_whole(weeks, 1):  # 2.5 would quietly schedule 2 weeks
        raise AnalysisError("must be a whole number of weeks, 1 or more", parameter="weeks",
                            found=repr(weeks))
    weeks = int(weeks)
    if (why := unordered_date(start)) is not None:
        raise AnalysisError(why, parameter="start", found=repr(start))
    try:
        day0 = pd.Timestamp(start)
    except (TypeError, ValueError):
        day0 = pd.NaT
    if pd.isna(day0):  # pd.Timestamp(None) is NaT, which has no day
        raise AnalysisError("must be a date like 2025-01-06", parameter="start", found=repr(start))
    day0 = day0.normalize()
    if day0.tzinfo is not None:
        day0 = day0.tz_localize(None)
    # recurring slots as (day offset within the week from start, hour, minute)
    slots: list[tuple[int, int, int]] = []
    if times is not None and slots_per_week is not None:
        raise AnalysisError("give slots_per_week or times, not both", parameter="times")
    if times is not None:
        if isinstance(times, str):
            times = [times]
        for t in times:
            parts = str(t).split()
            if len(parts) == 1:
                hh, mm = _parse_time(parts[0])
                slots += [(d, hh, mm) for d in range(7)]
            elif len(parts) == 2 and parts[0][:3].title() in WEEKDAYS:
                hh, mm = _parse_time(parts[1])
                offset = (WEEKDAYS.index(parts[0][:3].title()) - day0.weekday()) % 7
                slots.append((offset, hh, mm))
            else:
                raise AnalysisError("slot times must be 'HH:MM' or 'Mon 09:00'",
                                    parameter="times", found=t)
    else:
        n = 7 if slots_per_week is None else slots_per_week
        if not (is_whole(n, 1) and n <= 7 * len(_DEFAULT_TIMES)):
            raise AnalysisError(f"must be a whole number between 1 and {7 * len(_DEFAULT_TIMES)}",
                                parameter="slots_per_week", found=repr(slots_per_week))
        n = int(n)
        per_day = math.ceil(n / 7)
        for k in range(n):
            day = (k * 7) // n if n <= 7 else k % 7
            slot_in_day = 0 if n <= 7 else k // 7
            hh, mm = _parse_time(_DEFAULT_TIMES[min(slot_in_day, per_day - 1)])
            slots.append((day, hh, mm))
    slots = sorted(set(slots))
    if not slots:
        raise AnalysisError("no slots to schedule", parameter="times", found=times)

    from fractions import Fraction

    block_len = Fraction(share_personal).limit_denominator(100).denominator
    if not is_seed(seed):
        raise AnalysisError("must be a whole number, 0 or more", parameter="seed", found=repr(seed))
    rng = np.random.default_rng(seed)
    rows = []
    for offset, hh, mm in slots:
        labels = np.zeros(weeks, dtype=bool)
        for b0 in range(0, weeks, block_len):
            size = min(block_len, weeks - b0)
            exact = share_personal * size
            k = int(math.floor(exact))
            if rng.random() < exact - k:  # partial last block: randomised rounding
                k += 1
            pick = rng.permutation(size)[:k]
            labels[b0 + pick] = True
        for w in range(weeks):
            when = day0 + pd.Timedelta(days=7 * w + offset, hours=hh, minutes=mm)
            rows.append((when, w + 1, w // block_len + 1, bool(labels[w])))
    frame = pd.DataFrame(rows, columns=["slot_time", "week", "block", "personal"])
    frame = frame.sort_values("slot_time", kind="stable").reset_index(drop=True)
    _check_tz(tz)
    wall = frame["slot_time"]
    frame["slot_time"] = _local_times(wall, tz)
    clash = frame["slot_time"].duplicated(keep=False).to_numpy()
    if clash.any():  # the spring change moved a skipped time onto another slot's
        raise AnalysisError(f"two slots would be published at the same moment: {tz}'s daylight "
                            "saving change skips the wall-clock time of one, which moves to the "
                            "first time that exists; choose slot times outside the skipped hour",
                            parameter="times", found=wall[clash].dt.strftime("%Y-%m-%d %H:%M").tolist())
    frame.insert(0, "slot_id", [f"slot-{i + 1:04d}" for i in range(len(frame))])
    frame["weekday"] = pd.Categorical(frame["slot_time"].dt.day_name().str[:3],
                                      categories=list(WEEKDAYS))
    frame["time"] = frame["slot_time"].dt.strftime("%H:%M")
    frame["label"] = np.where(frame.pop("personal"), "personal", "other")
    return frame[["slot_id", "slot_time", "weekday", "time", "week", "block", "label"]]


def schedule_to_csv(plan: pd.DataFrame, path=None, *, message: str = "[{label} post: write the text here]",
                    overwrite: bool = False):
    """Write a schedule as CSV for a bulk scheduler (columns :data:`SCHEDULE_CSV_COLUMNS`).

    ``date_time`` is the slot's local time as ``DD/MM/YYYY HH:MM`` (24 h), the first column of
    Hootsuite's bulk composer; ``message`` is a placeholder naming the content the slot must carry
    (replace it with the real text before uploading); ``link`` is empty; ``label`` and ``slot_id``
    keep the assignment so published posts can be matched back to it. Returns the CSV text when
    ``path`` is None. A different schedule already at ``path`` is not replaced unless
    ``overwrite`` (:func:`toolkit.spec.write_plan`: a pre-registered plan stays as registered).

    >>> s = schedule("2025-01-06", weeks=1, times=["Mon 09:00"], seed=0)
    >>> print(schedule_to_csv(s).splitlines()[0])
    date_time,message,link,label,slot_id
    """
    if not isinstance(plan, pd.DataFrame):
        raise AnalysisError("expected a schedule DataFrame from toolkit.design.schedule",
                            parameter="plan", found=type(plan).__name__)
    missing = [c for c in ("slot_id", "slot_time", "label") if c not in plan.columns]
    if missing:
        raise AnalysisError("not a schedule from toolkit.design.schedule", parameter="plan",
                            found=missing)
    if not pd.api.types.is_datetime64_any_dtype(plan["slot_time"]):
        raise AnalysisError("slot_time must hold times, as toolkit.design.schedule writes them",
                            parameter="plan", column="slot_time", found=str(plan["slot_time"].dtype))
    try:
        messages = [message.format(label=label) for label in plan["label"]]
    except (KeyError, IndexError, ValueError) as exc:
        raise AnalysisError("message may use {label} only (the content the slot carries)",
                            parameter="message",
                            found=f"{message!r} ({type(exc).__name__}: {exc})") from None
    out = pd.DataFrame({
        "date_time": plan["slot_time"].dt.strftime("%d/%m/%Y %H:%M"),
        "message": messages,
        "link": "",
        "label": plan["label"],
        "slot_id": plan["slot_id"],
    })
    text = out.to_csv(index=False, lineterminator="\n")
    if path is None:
        return text
    from toolkit.spec import write_plan  # noqa: PLC0415

    write_plan(path, text, what="schedule", overwrite=overwrite, error=AnalysisError)
    return path


# --------------------------------------------------------------------------------------------
# matching published posts back to the schedule
# --------------------------------------------------------------------------------------------
#: Columns :func:`match_schedule` adds to each matched post, in order.
MATCH_COLUMNS = ("slot_id", "slot_time", "scheduled_label", "minutes_from_slot")

#: Columns a schedule CSV must have for :func:`match_schedule` (``message`` and ``link`` are the
#: scheduler's and may have been edited or dropped).
_MATCH_CSV_COLUMNS = ("date_time", "label", "slot_id")


@dataclass(repr=False)
class ScheduleMatch:
    """Posts matched back to a randomised schedule by :func:`match_schedule`.

    Attributes
    ----------
    posts
        The posts published in a slot, one per slot, with the columns :data:`MATCH_COLUMNS` added:
        ``scheduled_label`` is the slot's assignment (analyse with
        ``label=("scheduled_label", "personal")``), ``minutes_from_slot`` how late (positive) or
        early the post went out.
    slots
        Every slot of the schedule: ``slot_id``, ``slot_time``, ``label``, and the ``post_id`` and
        ``minutes_from_slot`` of the post matched to it (NA for a slot with no post).
    set_aside
        The posts not matched, with their ``reason``: before or after the schedule, between slots,
        date only, or another post nearer the same slot.
    table
        The counts, one row per outcome (``outcome``, ``n``).
    """

    posts: pd.DataFrame
    slots: pd.DataFrame
    set_aside: pd.DataFrame
    table: pd.DataFrame
    tolerance: pd.Timedelta
    text: str

    @property
    def counts(self) -> dict[str, int]:
        """The counts of :attr:`table` as a dict, outcome -> n."""
        return dict(zip(self.table["outcome"], self.table["n"].astype(int)))

    def summary(self) -> str:
        return self.text + "\n" + self.table.to_string(index=False)

    def __repr__(self) -> str:  # counts only: the posts' texts stay out of what a notebook shows
        return self.summary()

    def _repr_html_(self) -> str:
        return "\n".join([
            '<div class="engagement-lab-result">',
            f"<p>{html.escape(self.text)}</p>",
            self.table.to_html(index=False, border=0),
            "</div>",
        ])


def _tolerance(tolerance: Any) -> pd.Timedelta:
    expected = "must be a positive duration such as '30min' or '1h'"
    if isinstance(tolerance, (bool, int, float, np.number)):  # 30 would be 30 nanoseconds
        raise AnalysisError(expected + " (a bare number has no unit)", parameter="tolerance",
                            found=tolerance)
    try:
        value = pd.Timedelta(tolerance)
    except (TypeError, ValueError):
        raise AnalysisError(expected, parameter="tolerance", found=tolerance) from None
    if pd.isna(value) or value <= pd.Timedelta(0):
        raise AnalysisError(expected, parameter="tolerance", found=tolerance)
    return value


def _duration(value: pd.Timedelta) -> str:
    """``30 minutes``, ``2 hours``, ``90 seconds``: a tolerance as a person writes it."""
    seconds = value.total_seconds()
    for unit, size in (("hour", 3600), ("minute", 60)):
        if seconds >= size and seconds % size == 0:
            n = int(seconds // size)
            return f"{n} {unit}" + ("s" if n != 1 else "")
    return f"{seconds:g} seconds"


def _local_times(naive: pd.Series, tz: str) -> pd.Series:
    """Wall-clock times in ``tz``, as a scheduler reads them across daylight saving changes: a time
    the spring change skips moves forward to the first time that exists (02:30 -> 03:00), and a
    time the autumn change repeats is its first occurrence (summer time).

    >>> _local_times(pd.Series(pd.to_datetime(["2025-03-30 02:30", "2025-10-26 02:30"])),
    ...              "Europe/Berlin").astype(str).tolist()
    ['2025-03-30 03:00:00+02:00', '2025-10-26 02:30:00+02:00']
    """
    return naive.dt.tz_localize(tz, nonexistent="shift_forward",
                                ambiguous=np.ones(len(naive), dtype=bool))


def _check_tz(tz: Any) -> None:
    try:
        pd.Timestamp("2000-01-01").tz_localize(tz)
    except Exception:  # pytz, zoneinfo and dateutil each raise their own error for an unknown zone
        raise AnalysisError("must be a time zone name such as 'UTC' or 'Europe/Berlin' (the tz "
                            "given to toolkit.design.schedule)", parameter="tz", found=tz) from None


def _read_schedule_csv(path: Any, tz: str) -> pd.DataFrame:
    import os
    from pathlib import Path

    if not isinstance(path, (str, os.PathLike)):
        raise AnalysisError("expected the DataFrame of toolkit.design.schedule or the path of the CSV "
                            "schedule_to_csv wrote", parameter="schedule", found=type(path).__name__)
    where = Path(path)
    if not where.is_file():
        raise AnalysisError("schedule file not found", file=where, parameter="schedule")
    try:
        table = pd.read_csv(where, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise AnalysisError("expected a schedule CSV written by toolkit.design.schedule_to_csv",
                            file=where, parameter="schedule",
                            found=str(exc).splitlines()[0] if str(exc) else type(exc).__name__) from None
    missing = [c for c in _MATCH_CSV_COLUMNS if c not in table.columns]
    if missing:
        raise AnalysisError("not a schedule written by toolkit.design.schedule_to_csv: expected the "
                            f"columns {', '.join(_MATCH_CSV_COLUMNS)}; missing {', '.join(missing)}",
                            file=where, parameter="schedule", found=list(table.columns))
    when = pd.to_datetime(table["date_time"].str.strip(), format="%d/%m/%Y %H:%M", errors="coerce")
    for column, bad in (("date_time", when.isna()), ("slot_id", table["slot_id"].str.strip() == ""),
                        ("label", table["label"].str.strip() == "")):
        if bad.any():
            first = int(np.flatnonzero(bad.to_numpy())[0])
            raise AnalysisError("expected a local time DD/MM/YYYY HH:MM" if column == "date_time"
                                else "expected a value in every row", file=where, row=first + 2,
                                column=column, found=repr(table[column].iloc[first]))
    try:
        slot_time = _local_times(when, tz)
    except Exception as exc:  # a local time that does not exist or occurs twice (DST)
        raise AnalysisError(f"a slot's local time is not a single moment in {tz} (daylight saving)",
                            file=where, column="date_time", parameter="tz", found=str(exc)) from None
    return pd.DataFrame({"slot_id": table["slot_id"].str.strip(), "slot_time": slot_time,
                         "label": table["label"].str.strip()})


def match_schedule(posts: pd.DataFrame, schedule: pd.DataFrame | Any, *, tz: str = "UTC",
                   tolerance: str | pd.Timedelta = "30min") -> ScheduleMatch:
    """Match an account's published posts back to the slots of a randomised schedule.

    Each post with a known time goes to the slot nearest its ``published_at``, if that slot is
    within ``tolerance``; a slot keeps one post, the nearest (ties: the earlier post), and any
    other post in its window is set aside. The matched posts carry the slot's ``slot_id`` and its
    assignment as ``scheduled_label``.

    The analysis is by assignment (intention to treat): ``scheduled_label`` is what the
    randomisation assigned to the slot, not what the post turned out to be. A post that went out
    in a "personal" slot counts as personal even if its text was not, so the comparison keeps the
    protection of the randomisation (compare with ``content_label`` to see how well the plan was
    followed). A slot without a post has no outcome and is not analysed; if slots were skipped
    more often for one label, the comparison can be biased, so :attr:`ScheduleMatch.table` counts
    the empty slots per label.

    Nothing is dropped silently: posts before, between or after the slots, date-only posts
    (``time_known`` False: no time of day to match) and extra posts in a slot are kept in
    :attr:`ScheduleMatch.set_aside` with their reason, and counted.

    Parameters
    ----------
    posts
        One account's posts (canonical ``posts`` table; ``published_at`` in UTC, see
        :func:`toolkit.metrics.of_account`).
    schedule
        The DataFrame of :func:`schedule`, or the path of a CSV written by :func:`schedule_to_csv`.
    tz
        The time zone of the CSV's local times: the ``tz`` given to :func:`schedule`. A DataFrame's
        ``slot_time`` carries its own zone, which wins (a ``slot_time`` without one is read in ``tz``).
    tolerance
        How far from its slot a post may go out (a duration: ``"30min"``, ``"2h"``); less than
        half the shortest gap between two slots, so each post has one nearest slot.

    Returns
    -------
    ScheduleMatch
        ``.posts`` (the matched posts, for :func:`toolkit.content_lift`), ``.slots``,
        ``.set_aside``, ``.table`` (counts) and ``.text``.

    Raises
    ------
    AnalysisError
        For a CSV that is not a schedule (naming the file), a bad ``tz`` or ``tolerance``, posts of
        several accounts, and when no post matches any slot (naming both date ranges: a schedule
        not published yet).

    Examples
    --------
    >>> plan = schedule("2025-01-06", weeks=1, times=["09:00"], seed=3)
    >>> posts = pd.DataFrame({
    ...     "post_id": ["a", "b", "c", "d"],
    ...     "published_at": pd.to_datetime(["2025-01-06 09:04", "2025-01-07 08:55",
    ...                                     "2025-01-07 15:00", "2025-01-08 00:00"], utc=True),
    ...     "time_known": [True, True, True, False]})
    >>> m = match_schedule(posts, plan)
    >>> m.posts[["post_id", "slot_id", "scheduled_label", "minutes_from_slot"]]
      post_id    slot_id scheduled_label  minutes_from_slot
    0       a  slot-0001        personal                4.0
    1       b  slot-0002        personal               -5.0
    >>> m.counts["slots without a post"], m.counts["between slots"], m.counts["date only (no time of day)"]
    (5, 1, 1)
    >>> m.set_aside[["post_id", "reason"]].values.tolist()
    [['c', 'between slots'], ['d', 'date only (no time of day)']]

    The same from the CSV a bulk scheduler gets (local times, so the same ``tz``):

    >>> import os, tempfile
    >>> path = schedule_to_csv(plan, os.path.join(tempfile.mkdtemp(), "plan.csv"))
    >>> match_schedule(posts, path, tz="UTC").posts["slot_id"].tolist()
    ['slot-0001', 'slot-0002']
    """
    if not isinstance(posts, pd.DataFrame):
        raise AnalysisError("expected a posts DataFrame (toolkit.load(...).posts)", parameter="posts",
                            found=type(posts).__name__)
    _check_tz(tz)
    tol = _tolerance(tolerance)
    # the plan's slots: slot_id, slot_time (tz-aware), label
    if isinstance(schedule, pd.DataFrame):
        missing = [c for c in ("slot_id", "slot_time", "label") if c not in schedule.columns]
        if missing:
            raise AnalysisError("not a schedule from toolkit.design.schedule: expected the columns "
                                f"slot_id, slot_time, label; missing {', '.join(missing)}",
                                parameter="schedule", found=list(schedule.columns))
        slots = schedule[["slot_id", "slot_time", "label"]].copy()
        try:
            times = pd.to_datetime(slots["slot_time"])
        except (TypeError, ValueError) as exc:
            raise AnalysisError("slot_time must hold times, as toolkit.design.schedule writes them",
                                parameter="schedule", column="slot_time",
                                found=first_line(str(exc))) from None
        slots["slot_time"] = times.dt.tz_localize(tz) if times.dt.tz is None else times
    else:
        slots = _read_schedule_csv(schedule, tz)
    if slots.empty:
        raise AnalysisError("the schedule has no slots", parameter="schedule", found="0 rows")
    if slots["slot_id"].duplicated().any():
        raise AnalysisError("each slot_id must appear once", parameter="schedule",
                            found=slots.loc[slots["slot_id"].duplicated(), "slot_id"].iloc[0])
    slots = slots.sort_values("slot_time", kind="stable").reset_index(drop=True)
    same = slots["slot_time"].duplicated(keep=False)
    if same.any():
        raise AnalysisError("two slots are at the same moment, so a post there has no one slot "
                            "(and so no one label)", parameter="schedule",
                            found=slots.loc[same, "slot_id"].tolist())
    gaps = slots["slot_time"].diff().dropna()
    if len(gaps) and 2 * tol >= gaps.min():
        raise AnalysisError(f"must be less than half the shortest gap between two slots "
                            f"({gaps.min()}), so that every post has one nearest slot",
                            parameter="tolerance", found=tolerance)
    # the posts
    for column in ("post_id", "published_at"):
        if column not in posts.columns:
            raise AnalysisError(f"posts need a {column} column (the canonical posts table)",
                                parameter="posts", column=column, found=list(posts.columns))
    if "account" in posts.columns and posts["account"].dropna().nunique() > 1:
        raise AnalysisError("a schedule belongs to one account: take its posts with "
                            "toolkit.metrics.of_account(posts, account)", parameter="posts",
                            found=sorted(posts["account"].dropna().astype(str).unique()))
    posts = posts.reset_index(drop=True)  # positions, whatever index the caller's frame has
    published = pd.to_datetime(posts["published_at"])
    if published.dt.tz is None:
        published = published.dt.tz_localize("UTC")  # the canonical table is in UTC
    published = published.dt.tz_convert("UTC")
    known = (posts["time_known"].fillna(False).astype(bool) if "time_known" in posts.columns
             else pd.Series(True, index=posts.index))
    slot_ns = slots["slot_time"].dt.tz_convert("UTC").to_numpy(dtype="datetime64[ns]").astype(np.int64)
    first_slot, last_slot = slot_ns[0], slot_ns[-1]
    tol_ns = tol.value

    reason = pd.Series(pd.NA, index=posts.index, dtype="string")
    reason[published.isna()] = "no publish time"
    reason[reason.isna() & ~known] = "date only (no time of day)"
    usable = reason.isna()
    t = published[usable].to_numpy(dtype="datetime64[ns]").astype(np.int64)
    right = np.clip(np.searchsorted(slot_ns, t), 0, len(slot_ns) - 1)
    left = np.clip(right - 1, 0, len(slot_ns) - 1)
    nearest = np.where(np.abs(t - slot_ns[left]) <= np.abs(slot_ns[right] - t), left, right)
    offset = t - slot_ns[nearest]
    inside = np.abs(offset) <= tol_ns
    where = np.where(inside, "", np.where(t < first_slot, "before the schedule",
                                          np.where(t > last_slot, "after the schedule",
                                                   "between slots")))
    reason[usable] = pd.array(np.where(inside, None, where), dtype="string")

    candidates = pd.DataFrame({"row": np.flatnonzero(usable.to_numpy())[inside],
                               "slot": nearest[inside], "offset": offset[inside]})
    candidates["distance"] = candidates["offset"].abs()
    candidates["time"] = t[inside]
    candidates = candidates.sort_values(["slot", "distance", "time", "row"], kind="stable")
    keep = ~candidates["slot"].duplicated()
    for row, slot in candidates.loc[~keep, ["row", "slot"]].itertuples(index=False):
        reason.iloc[row] = f"another post nearer {slots['slot_id'].iloc[slot]}"
    kept = candidates[keep].sort_values("row")

    matched = posts.iloc[kept["row"].to_numpy()].copy()
    matched["slot_id"] = slots["slot_id"].iloc[kept["slot"]].to_numpy()
    matched["slot_time"] = slots["slot_time"].iloc[kept["slot"]].to_numpy()
    matched["scheduled_label"] = pd.array(slots["label"].iloc[kept["slot"]].to_numpy(), dtype="string")
    matched["minutes_from_slot"] = kept["offset"].to_numpy() / 6e10
    matched = matched.reset_index(drop=True)

    slot_table = slots.copy()
    slot_table["post_id"] = pd.Series(pd.NA, index=slot_table.index, dtype="string")
    slot_table["minutes_from_slot"] = np.nan
    slot_table.loc[kept["slot"].to_numpy(), "post_id"] = (
        posts["post_id"].iloc[kept["row"].to_numpy()].astype("string").to_numpy())
    slot_table.loc[kept["slot"].to_numpy(), "minutes_from_slot"] = kept["offset"].to_numpy() / 6e10

    aside = posts.loc[reason.notna()].copy()
    aside.insert(0, "reason", reason[reason.notna()])
    aside = aside.reset_index(drop=True)

    span = (f"{slots['slot_time'].iloc[0]:%Y-%m-%d %H:%M} to "
            f"{slots['slot_time'].iloc[-1]:%Y-%m-%d %H:%M} ({slots['slot_time'].dt.tz})")
    if matched.empty:
        times = published.dropna()
        post_span = (f"{times.min():%Y-%m-%d} to {times.max():%Y-%m-%d}" if len(times)
                     else "no dated posts")
        raise AnalysisError(
            "no post matches the schedule; it may not have been published yet: publish posts in its "
            "slots, export the account's posts again and rerun with the new export. Its "
            f"{len(slots)} slots run {span}, the posts {post_span}; none went out within "
            f"{_duration(tol)} of a slot (and tz must be the tz given to schedule)",
            parameter="schedule", found=f"{len(posts)} posts, 0 in a slot")

    empty = slot_table["post_id"].isna()
    rows = [("posts matched to a slot", len(matched))]
    for label in sorted(slots["label"].unique()):
        rows.append((f"slots without a post ({label})", int((empty & slot_table["label"].eq(label)).sum())))
    rows.append(("slots without a post", int(empty.sum())))
    outcomes = ["before the schedule", "between slots", "after the schedule",
                "date only (no time of day)", "no publish time"]
    counts = reason.value_counts()
    for outcome in outcomes:
        rows.append((outcome, int(counts.get(outcome, 0))))
    extra = int(reason.str.startswith("another post nearer").sum())
    rows.append(("second post in a slot", extra))
    table = pd.DataFrame(rows, columns=["outcome", "n"])
    n_labels = matched["scheduled_label"].value_counts().to_dict()
    by_label = ", ".join(f"{v:,} {k}" for k, v in sorted(n_labels.items()))
    outside = sum(int(counts.get(o, 0)) for o in outcomes[:3])
    text = (f"{len(matched):,} of {len(slots):,} slots ({span}) have a post within {_duration(tol)} "
            f"({by_label}, by the slot's assignment); {int(empty.sum()):,} slots have none. "
            f"Set aside: {outside:,} posts outside every slot, "
            f"{int(counts.get('date only (no time of day)', 0)):,} date-only posts, "
            f"{extra:,} second posts in a slot.")
    return ScheduleMatch(posts=matched, slots=slot_table, set_aside=aside, table=table,
                         tolerance=tol, text=text)
