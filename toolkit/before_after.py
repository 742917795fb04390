"""Before vs after a content-strategy change: did engagement really move, or is it noise?

:func:`before_after` compares engagement before and after a change date with methods that fit
engagement data (overdispersed counts over an exposure, day-to-day autocorrelation, weekday
rhythms), states the uncertainty and checks its own answer:

``glm``
    Post-level negative binomial (NB2) regression of the metric on an after-change indicator with
    ``log(exposure)`` as offset, weekday / hour-band / media-type controls, the dispersion
    estimated by maximum likelihood (as R's ``MASS::glm.nb``) and standard errors clustered by
    calendar week (by blocks of weeks, e.g. ``robust="4 weeks"``, when good and bad spells last
    weeks; or Newey-West HAC in time order, ``robust="hac"``).
``its``
    Interrupted time series: least squares on the weekly log rate (whole weeks aligned to the
    change date) with a level and a slope change at the change date and Newey-West standard errors.
``counterfactual``
    A structural time-series model (level, weekly seasonality, AR(1) day shocks; optional
    control-account covariate) fitted on the pre-period and forecast over the post-period. The
    level is fixed unless a boundary-aware likelihood-ratio test on the pre-period (5 %) prefers
    a random walk; the choice is in ``result.details["fits"]["counterfactual"]["level_model"]``.
``did``
    Difference in differences against a control account with the same count model as ``glm``.

Every method returns the standard result columns (``lift`` = relative change, ``0.25`` = +25 %)
plus method-specific ones; ``result.placebo(n=...)`` repeats the analysis at fake change dates in
the pre-period, and ``result.at_level(level)`` restates it at another confidence level without
refitting (every interval is computed in one place, ``_at_level``, from the kept fits).

>>> from toolkit.before_after import _demo_posts
>>> posts = _demo_posts()
>>> r = before_after(posts, change="2024-07-01", method="glm")
>>> r.table.loc[0, ["method", "metric"]].tolist()
['glm', 'engagements']
>>> bool(r.table.loc[0, "ci_low"] < 0.25 < r.table.loc[0, "ci_high"])
True
"""

from __future__ import annotations

import datetime as _dt
import math
import re
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from toolkit.errors import AnalysisError, ConfoundWarning, is_fraction, is_whole, name_list, unordered_date
from toolkit.nbreg import NBFit, eventless_values, hac_meat, nb_glm
from toolkit.result import Result, format_pct
from toolkit.schema import COUNT_COLUMNS, RESULT_COLUMNS

__all__ = [
    "before_after",
    "BeforeAfterResult",
    "METHODS",
    "CONTROLS",
    "DEFAULT_CONTROLS",
    "MIN_POSTS",
    "MIN_DAYS",
    "nb_glm",
    "NBFit",
]

#: Methods :func:`before_after` knows.
METHODS = ("glm", "its", "counterfactual", "did")
#: Control names ``controls=`` accepts (besides any categorical column of the posts table).
CONTROLS = ("weekday", "hour_band", "media_type", "followers", "trend")
#: Controls used when ``controls`` is not given.
DEFAULT_CONTROLS = ("weekday", "hour_band", "media_type")
#: Fewest posts on each side of the change for the post-level methods (glm, did).
MIN_POSTS = 20
#: Fewest days with posts on each side of the change (its and counterfactual need a few weeks to
#: see the weekly rhythm and the trend).
MIN_DAYS = {"glm": 7, "did": 7, "its": 28, "counterfactual": 28}
#: counterfactual models log((count + 0.5) / exposure) per day: when more than this share of its
#: days count 0, that series follows the exposure rather than the rate (result text cautions)
SPARSE_DAYS = 0.1
#: Hour bands (UTC hours) used as a control.
HOUR_BANDS = ((0, 6, "night"), (6, 12, "morning"), (12, 18, "afternoon"), (18, 24, "evening"))

_ROBUST = ("week", "hac", "model")  # and "N weeks" (N whole, 2 or more): see _block_weeks
#: fewest clusters the "N weeks" errors accept (t with clusters - 1 degrees of freedom)
MIN_BLOCKS = 6
#: glm with robust="4 weeks" under day-to-day autocorrelation 0.85, as measured in
#: docs/validation.md ("When the assumptions bend"; weekly clusters: 15.2%)
_BLOCKS_AR85 = "6.2% false positives"


def _block_weeks(robust: Any) -> int | None:
    """Weeks per cluster of the clustered errors ``robust`` names: 1 for ``"week"``, ``N`` for
    ``"N weeks"`` (N a whole number of 2 or more); None for other errors.

    >>> _block_weeks("week"), _block_weeks("4 weeks"), _block_weeks("hac"), _block_weeks("1 weeks")
    (1, 4, None, None)
    """
    if robust == "week":
        return 1
    match = re.fullmatch(r"([0-9]+) weeks", robust) if isinstance(robust, str) else None
    return int(match.group(1)) if match and int(match.group(1)) >= 2 else None


def _cluster_unit(robust: str) -> str:
    """The clusters of ``robust`` in words: ``"week"`` or ``"4-week block"`` (``"week"`` for
    errors that are not clustered, where no text uses it)."""
    k = _block_weeks(robust)
    return f"{k}-week block" if k and k > 1 else "week"

#: ``counterfactual`` keeps a random-walk level only when a likelihood-ratio test against a fixed
#: level rejects at this level (boundary-aware: the null distribution is 0.5 chi2(0) + 0.5 chi2(1)).
CF_LEVEL_ALPHA = 0.05

def _fitted_controls(controls: Sequence[str], names: Sequence[str]) -> list[str]:
    """The controls that have a term in the fitted model (one with a single value has none).

    >>> _fitted_controls(["weekday", "media_type", "followers"], ["(Intercept)", "after", "weekday[1]",
    ...                                                          "log_followers"])
    ['weekday', 'followers']
    """
    term = {"followers": "log_followers"}
    return [c for c in controls
            if any(n == term.get(c, c) or n.startswith(f"{c}[") for n in names)]


def _pooled_text(pooled: Mapping[str, Sequence[str]] | None, unit: str = "week") -> str:
    """What the assumptions say of control values counted with their control's most common value
    (``unit``: the clusters of the errors, see :func:`_cluster_unit`).

    >>> _pooled_text({"hour_band": ["night"], "media_type": ["video", "link"]})
    "; control values with posts in one week only are counted with their control's most common value (with week-clustered errors that week alone would decide them): hour band 'night'; media type 'video', 'link'"
    """
    if not pooled:
        return ""
    values = "; ".join(f"{c.replace('_', ' ')} {', '.join(repr(v) for v in levels)}"
                       for c, levels in pooled.items())
    return (f"; control values with posts in one {unit} only are counted with their control's most "
            f"common value (with {unit}-clustered errors that {unit} alone would decide them): {values}")


def _assumptions(method: str, *, controls: Sequence[str], robust: str, fit: dict[str, Any],
                 control_account: str | None = None, exposure: str | None = "impressions") -> str:
    """What ``method`` assumes, in words, for the settings it was run with (``exposure=None``: each
    post is one unit of exposure, so rates are counts per post)."""
    if exposure is None:
        mean = "the rate per post (log link, no exposure offset: counts per post"
        rate, offset = "metric/posts", "per post, with no exposure offset"
    else:
        mean = f"{exposure} x rate (log link, log-{exposure} offset"
        rate, offset = f"metric/{exposure}", f"with a log-{exposure} offset"
    daily = f"log((metric + 0.5) / {'posts' if exposure is None else exposure})"
    if method in ("glm", "did"):
        lag = fit.get("se_lag")
        k = _block_weeks(robust)
        se = {
            "week": ("posts in different calendar weeks are independent given the model, while "
                     "posts within a week may be correlated in any way (week-clustered, "
                     "bias-reduced CR3 standard errors with t on weeks-1 degrees of freedom)"),
            "blocks": (f"posts in different blocks of {k} calendar weeks (counted from the week of "
                       "the change, so only the block holding that week spans both sides) are independent "
                       "given the model, while posts within a block may be correlated in any way "
                       f"(clustered by {k}-week block, bias-reduced CR3 standard errors with t on "
                       "blocks-1 degrees of freedom); spells of good and bad days shorter than a block "
                       "are allowed for, at the cost of fewer clusters (wider intervals)"),
            "hac": (f"posts may be correlated with the posts near them in time order, fading "
                    f"linearly to none beyond {lag} posts apart (Newey-West HAC standard errors, "
                    f"Bartlett kernel, lag {lag} posts, normal reference distribution)"),
            "model": ("posts are independent given the model (model-based standard errors, normal "
                      "reference distribution)"),
        }["blocks" if k is not None and k > 1 else robust]
    if method == "glm":
        fitted = _fitted_controls(controls, fit.get("names", ()))
        absent = [c for c in controls if c not in fitted and c not in (fit.get("pooled") or {})]
        if fitted:
            ctrl = (f"the controls ({', '.join(c.replace('_', ' ') for c in fitted)}) capture "
                    f"the other systematic differences between the periods")
        else:
            ctrl = "nothing else differs systematically between the periods (no controls)"
        if absent:
            ctrl += (f"; {', '.join(c.replace('_', ' ') for c in absent)} could not be controlled for "
                     f"(one value only in these posts, e.g. an export without media types)")
        ctrl += _pooled_text(fit.get("pooled"), _cluster_unit(robust))
        if fit.get("eventless"):
            ctrl += ("; the posts of control values with no event at all are left out (such a "
                     "value's effect has no finite estimate; the fit without them is its limit)")
        trend = ("any underlying trend in the rate is the straight line of the trend control"
                 if "trend" in controls else
                 "there is no underlying trend in the rate apart from the change")
        return (f"glm: each post's metric is a negative binomial count whose mean is {mean}; "
                "NB2 variance mu + mu^2/theta with theta estimated "
                "by maximum likelihood); the after-change effect is one multiplicative shift of the "
                f"rate, the same for every post; {ctrl}; {trend}; {se}."
                + (" Do not trust the glm's p-value when the rate runs in good and bad spells lasting "
                   "weeks: weeks are then not independent (simulated day-to-day autocorrelation "
                   "0.85: 15% false positives at alpha 0.05); robust='4 weeks' allows for spells "
                   f"of up to about a month ({_BLOCKS_AR85} there)." if robust == "week" else ""))
    if method == "its":
        lag = fit["se_lag"]
        moves = ("autocorrelated over about a week" if lag == 1 else
                 f"autocorrelated over about {lag} weeks" if lag > 1 else "not autocorrelated")
        return (f"its: the weekly log rate ({rate} summed over weeks aligned to the change "
                "date, so weekday rhythms cancel; only whole weeks, as a week cut by the ends of the "
                "data or by excluded days would hold some weekdays and not others) follows a "
                "straight line in time before the change, and the change shifts its level and "
                "slope; the pre-change line extrapolated into the after window is what would have "
                f"happened without the change; weekly errors may be heteroscedastic and {moves} "
                f"(Newey-West standard errors, Bartlett kernel, lag {lag} week"
                f"{'s' if lag != 1 else ''}, leverage-adjusted residuals, t with weeks-4 degrees of "
                "freedom); the lift is the average over the after weeks of the ratio of the fitted "
                "post path to the extrapolated pre path (delta-method interval on the log scale). "
                "Spells of good and bad weeks lasting longer than the lag make it over-reject "
                "(simulated day-to-day autocorrelation 0.85: 12% false positives at alpha 0.05).")
    if method == "counterfactual":
        weekly = "a fixed weekly pattern, " if "weekday" in controls else ""
        covariate = (f", plus the daily log rate of the control account {control_account!r} "
                     "(unaffected by the change)" if control_account is not None else "")
        return ("counterfactual: the daily log rate before the change is a level plus "
                f"{weekly}an AR(1) day shock and noise{covariate}; the level is fixed (a constant, "
                "or a straight line with the trend control) unless the pre-period shows it "
                "wandering: both versions are fitted by maximum likelihood on the pre-period only "
                "and a random-walk level is kept only when a likelihood-ratio test rejects a fixed "
                "level at 5% (boundary-aware: the null distribution of the statistic is "
                "0.5 chi2(0) + 0.5 chi2(1), since a variance of 0 lies on the edge of its range); "
                "the chosen model describes what the after window would have looked like without "
                "the change; the intervals use the full covariance of the forecast errors across "
                "horizons (including the uncertainty of the estimated level and weekly pattern) but "
                "treat the estimated variances and AR coefficient as known; the lift is exp of the "
                "average, over the after days with posts, of the observed minus the forecast daily "
                f"log rate ({daily}), minus 1: a geometric mean of daily "
                "ratios in which every day weighs the same, whatever its exposure. It too "
                "over-rejects when spells of good and bad days last weeks (simulated day-to-day "
                "autocorrelation 0.85: 12.5% false positives at alpha 0.05, in 200 runs).")
    did_fitted = _fitted_controls(controls, fit.get("names", ()))
    did_absent = [c for c in controls if c not in did_fitted and c not in (fit.get("pooled") or {})]
    did_ctrl = (f"controls ({', '.join(c.replace('_', ' ') for c in did_fitted)}) shared by both "
                "accounts" if did_fitted else "no controls")
    if did_absent:
        did_ctrl += (f" ({', '.join(c.replace('_', ' ') for c in did_absent)} could not be controlled "
                     "for: one value only in these posts)")
    did_ctrl += _pooled_text(fit.get("pooled"), _cluster_unit(robust))
    k = _block_weeks(robust)
    se_did = {"week": "standard errors clustered by calendar week across both accounts (bias-reduced "
                      "CR3, t on weeks-1 degrees of freedom)",
              "blocks": f"standard errors clustered by blocks of {k} calendar weeks across both "
                        "accounts (bias-reduced CR3, t on blocks-1 degrees of freedom)",
              "hac": f"Newey-West HAC standard errors over both accounts' posts in time order "
                     f"(lag {fit.get('se_lag')} posts)",
              "model": "model-based standard errors"}["blocks" if k is not None and k > 1 else robust]
    return (f"did: the account analysed and the control account {control_account!r} would have "
            "moved in parallel (same relative change of the rate) without the change, and the "
            f"change did not affect the control account; counts are negative binomial {offset} "
            f"(as glm), {did_ctrl}, with {se_did}.")


# --------------------------------------------------------------------------------------------
# Least squares with Newey-West errors (its); the count model is toolkit.nbreg
# --------------------------------------------------------------------------------------------

def newey_west(X: np.ndarray, resid: np.ndarray, lag: int, adjust: bool = True,
               leverage: bool = False) -> np.ndarray:
    """Newey-West covariance of OLS coefficients (Bartlett kernel, no prewhitening).

    Same estimator as R's ``sandwich::NeweyWest(lm(...), lag=lag, prewhite=FALSE,
    adjust=adjust)``. With ``leverage=True`` each residual is divided by ``1 - h_ii`` first (the
    HC3 idea carried over to the HAC meat), which removes most of the small-sample downward bias
    when a few points near the ends of the segments carry the contrast.
    """
    bread = np.linalg.inv(X.T @ X)
    if leverage:
        h = np.einsum("ij,jk,ik->i", X, bread, X)
        resid = resid / (1.0 - h)
    return bread @ hac_meat(X * resid[:, None], lag, adjust=adjust) @ bread


# --------------------------------------------------------------------------------------------
# Data preparation
# --------------------------------------------------------------------------------------------


def _to_day(values: pd.Series) -> pd.Series:
    """Each post's UTC day. Times given as text must be ISO 8601 (``2024-03-13 09:00``): other text
    (``13/03/2024``, whose order pandas would guess, or ``n/a``) is an error naming the first."""
    if pd.api.types.is_datetime64_any_dtype(values):
        ts = pd.to_datetime(values, utc=True)
    else:
        try:
            ts = pd.to_datetime(values, utc=True, format="ISO8601")
        except (TypeError, ValueError):
            parsed = pd.to_datetime(values, utc=True, format="ISO8601", errors="coerce")
            bad = values.notna() & parsed.isna()
            first = values[bad].iloc[0] if bad.any() else None
            raise AnalysisError("published_at must hold dates and times (text as ISO 8601, such as "
                                "'2024-03-13 09:00')", column="published_at",
                                found=f"{first!r} ({int(bad.sum())} such posts)") from None
    return ts.dt.tz_convert("UTC").dt.tz_localize(None).dt.normalize()


def _without_day(text: str) -> bool:
    """Whether a date written as text leaves out its day (``"Jul 2024"``, ``"2024-07"``), which
    pandas would silently read as the 1st: parsed with two different default days, the two differ.

    >>> _without_day("Jul 2024"), _without_day("2024-07"), _without_day("1 Jul 2024"), _without_day("2024-07-01")
    (True, True, False, False)
    """
    from dateutil import parser

    try:
        first, later = (parser.parse(text, default=_dt.datetime(2000, 1, day)) for day in (1, 28))
    except (ValueError, OverflowError):
        return False  # not dateutil's to judge; pd.Timestamp's reading decides
    return first.day != later.day


def _parse_date(value: Any, parameter: str) -> pd.Timestamp:
    """A calendar date as written: a time zone only says where the date is written (the date is
    kept, not converted to UTC); a time of day other than midnight is an error."""
    ok = isinstance(value, (str, _dt.date, np.datetime64))
    if (why := unordered_date(value)) is not None:
        raise AnalysisError(why, parameter=parameter, found=repr(value))
    try:
        ts = pd.Timestamp(value) if ok else pd.NaT
    except (TypeError, ValueError):
        ts = pd.NaT
    if ts is pd.NaT or pd.isna(ts):
        raise AnalysisError("expected a date such as '2024-07-01'", parameter=parameter,
                            found=repr(value))
    if isinstance(value, str) and _without_day(value):
        raise AnalysisError("expected a whole date, with its day, such as '2024-07-01'",
                            parameter=parameter, found=repr(value))
    if ts.tzinfo is not None:
        ts = ts.tz_localize(None)  # the wall-clock date and time in the value's own zone
    if ts != ts.normalize():
        raise AnalysisError(f"{parameter} is a calendar date, not a time of day: expected a date "
                            "such as '2024-07-01'", parameter=parameter, found=repr(value))
    return ts


def _hour_band(ts: pd.Series, known: pd.Series | None) -> np.ndarray:
    hours = pd.to_datetime(ts, utc=True).dt.hour.to_numpy()
    out = np.empty(len(hours), dtype=object)
    for lo, hi, name in HOUR_BANDS:
        out[(hours >= lo) & (hours < hi)] = name
    if known is not None:
        out[~known.fillna(False).astype(bool).to_numpy()] = "unknown"
    return out


@dataclass
class _Data:
    """Posts of one analysis, cleaned and sorted by time, with daily aggregates."""

    frame: pd.DataFrame          # y, e, day, t (days from change), after, control columns
    change: pd.Timestamp
    metric: str
    exposure: str | None
    left_out: dict[str, int]
    account: str | None
    #: first and last day the data cover (after ``window``); None: the first and last post's day
    span: tuple[pd.Timestamp, pd.Timestamp] | None = None
    #: day ranges left out with ``exclude=`` (first and last day of each)
    excluded: list[tuple[pd.Timestamp, pd.Timestamp]] = field(default_factory=list)

    def daily(self) -> pd.DataFrame:
        f = self.frame
        codes, days = pd.factorize(f["day"], sort=True)
        g = pd.DataFrame({"y": np.bincount(codes, f["y"].to_numpy(float)),
                          "e": np.bincount(codes, f["e"].to_numpy(float)),
                          "posts": np.bincount(codes)}, index=pd.DatetimeIndex(days, name="day"))
        g = g[g["e"] > 0]
        g["t"] = (g.index - self.change).days.astype(float)
        g["after"] = g["t"] >= 0
        g["weekday"] = g.index.day_of_week
        g["log_rate"] = np.log((g["y"] + 0.5) / g["e"])
        return g


def _prepare(posts: pd.DataFrame, *, change: pd.Timestamp, metric: str, exposure: str | None,
             window: Any, exclude: Any, account: str | None, extra_columns: Iterable[str] = (),
             parameter_posts: str = "posts", parameter_account: str = "account") -> _Data:
    from toolkit import metrics  # noqa: PLC0415

    if not isinstance(posts, pd.DataFrame):
        raise AnalysisError("expected a posts DataFrame", parameter=parameter_posts,
                            found=type(posts).__name__)
    if "published_at" not in posts.columns:
        raise AnalysisError("posts need a published_at column", parameter=parameter_posts,
                            found=list(posts.columns))
    frame = metrics.of_account(posts, account, parameter=parameter_account)
    if frame.empty:
        whose = f" of the control account {account!r}" if parameter_account == "control_account" else ""
        raise AnalysisError(f"there are no posts{whose} to analyse: expected posts before and after "
                            "the change", parameter=parameter_posts if not whose else parameter_account,
                            found="0 posts")
    left_out: dict[str, int] = {}
    y = metrics.checked_counts(metrics.metric_values(frame, metric), frame, parameter="metric", column=metric)
    if exposure is None:
        e = pd.Series(1.0, index=frame.index, dtype="Float64")
    elif exposure in frame.columns:
        e = pd.to_numeric(frame[exposure], errors="coerce").astype("Float64")
    else:
        raise AnalysisError("exposure must be a column of posts or None", parameter="exposure",
                            found=f"{exposure!r}; columns: {list(posts.columns)}")
    negative = (e < 0).fillna(False)
    if negative.any():
        raise AnalysisError("exposure must be zero or more", parameter="exposure", column=exposure,
                            found=metrics._first_bad(frame[exposure], negative.to_numpy(bool), frame,
                                                     "negative"))
    if not (e.fillna(0) > 0).any():
        raise AnalysisError("exposure is zero or missing on every post; pass exposure=None to "
                            "compare raw counts", parameter="exposure", column=exposure,
                            found=f"{int(e.isna().sum())} missing, {int((e == 0).sum())} zero")
    day = _to_day(frame["published_at"])
    data = pd.DataFrame({"y": y, "e": e, "day": day}, index=frame.index)
    data["ts"] = pd.to_datetime(frame["published_at"], utc=True)
    data["weekday"] = day.dt.day_of_week.to_numpy()
    data["hour_band"] = _hour_band(frame["published_at"],
                                   frame["time_known"] if "time_known" in frame.columns else None)
    if "media_type" in frame.columns:
        data["media_type"] = frame["media_type"].astype(object).where(frame["media_type"].notna(),
                                                                       "unknown").to_numpy()
    else:
        data["media_type"] = "unknown"
    data["followers"] = (pd.to_numeric(frame["followers"], errors="coerce").astype("Float64")
                         if "followers" in frame.columns else pd.NA)
    for c in extra_columns:
        if c not in data.columns:
            data[c] = frame[c].astype(object).where(frame[c].notna(), "unknown").to_numpy()
    if "post_id" in frame.columns:
        data["post_id"] = frame["post_id"].astype(str).to_numpy()
    bad_y = data["y"].isna()
    bad_e = ~bad_y & (data["e"].isna() | (data["e"] <= 0)).fillna(True)
    bad_t = ~bad_y & ~bad_e & data["day"].isna()
    if bad_y.any():
        left_out[f"missing {metric}"] = int(bad_y.sum())
    if bad_e.any():
        left_out[f"missing or zero {exposure}"] = int(bad_e.sum())
    if bad_t.any():
        left_out["missing published_at"] = int(bad_t.sum())
    data = data[~(bad_y | bad_e | bad_t)]
    if len(bad_y) and not len(data) and (bad_y | bad_e).all():
        # nothing is left because a column has no values: name that column, not the change date
        parameter, empty = ("metric", metric) if bad_y.all() else ("exposure", exposure)
        whose = f" of the control account {account!r}" if parameter_account == "control_account" else ""
        raise AnalysisError(f"no post{whose} has a value of {empty!r}" + (
                                " with a metric value; pass exposure=None to compare counts per post"
                                if parameter == "exposure" else ""),
                            parameter=parameter, column=empty, found=f"{len(bad_y):,} posts")
    # window and exclusions
    first, last = (data["day"].min(), data["day"].max()) if len(data) else (pd.NaT, pd.NaT)
    if len(data) == 0 or not (first < change <= last):
        control = parameter_account == "control_account"
        gone = "".join(f"; left out: {v:,} posts ({k})" for k, v in left_out.items())
        raise AnalysisError(
            "the change date must fall inside the data" + (f" of the control account {account!r}"
                                                           if control else "")
            + ", after the first and on or before the last day with usable posts",
            parameter="control_account" if control else "change",
            found=f"{change.date()}; data run from {getattr(first, 'date', lambda: first)()} "
                  f"to {getattr(last, 'date', lambda: last)()}{gone}")
    before_days, after_days = _window_days(window)
    if window is not None:
        keep = pd.Series(True, index=data.index)
        if before_days is not None:
            keep &= data["day"] >= change - pd.Timedelta(days=before_days)
        if after_days is not None:
            keep &= data["day"] < change + pd.Timedelta(days=after_days)
        n_out = int((~keep).sum())
        if n_out:
            left_out["outside window"] = n_out
        data = data[keep]
    span_lo, span_hi = first, last
    if before_days is not None:
        span_lo = max(first, change - pd.Timedelta(days=before_days))
    if after_days is not None:
        span_hi = min(last, change + pd.Timedelta(days=after_days - 1))
    excluded = _exclude_ranges(exclude, change)
    drop = pd.Series(False, index=data.index)
    for lo, hi in excluded:
        if hi < span_lo or lo > span_hi:
            raise AnalysisError("exclude lies outside the days analysed", parameter="exclude",
                                found=f"{lo.date()} to {hi.date()}; the data (after window=) run "
                                      f"from {span_lo.date()} to {span_hi.date()}")
        drop |= (data["day"] >= lo) & (data["day"] <= hi)
    if drop.any():
        left_out["excluded days"] = int(drop.sum())
    data = data[~drop]
    data = data.sort_values(["ts"] + (["post_id"] if "post_id" in data.columns else []), kind="stable")
    data["t"] = (data["day"] - change).dt.days.astype(float)
    data["after"] = (data["t"] >= 0).astype(float)
    data["week"] = (data["day"] - pd.to_timedelta(data["weekday"], unit="D")).to_numpy()
    data["y"] = data["y"].astype(float)
    data["e"] = data["e"].astype(float)
    if len(data) and not (data["y"] > 0).any():
        # no engagement on any side: the change in a rate of 0 is 0 / 0, and a model on log(y + 0.5)
        # would report the exposure's change as the lift
        whose = f" of the control account {account!r}" if parameter_account == "control_account" else ""
        raise AnalysisError(f"the metric is zero on every usable post{whose}: there is no engagement "
                            "to compare", parameter="metric", column=metric,
                            found=f"{len(data):,} posts, all 0")
    return _Data(frame=data, change=change, metric=metric, exposure=exposure, left_out=left_out,
                 account=account, span=(span_lo, span_hi), excluded=excluded)


def _window_days(window: Any) -> tuple[int | None, int | None]:
    """``window=`` as (days before, days after); None keeps that side whole."""
    if window is None:
        return None, None
    pair = tuple(window) if isinstance(window, (tuple, list)) else (window, window)
    if len(pair) != 2 or not all(
            w is None or (isinstance(w, (int, np.integer)) and not isinstance(w, bool) and w >= 1)
            for w in pair):
        raise AnalysisError("window must be whole days kept on each side (1 or more), or a "
                            "(before, after) pair of them (None = all)", parameter="window",
                            found=repr(window))
    return tuple(None if w is None else int(w) for w in pair)  # type: ignore[return-value]


def _exclude_ranges(exclude: Any, change: pd.Timestamp) -> list[tuple[pd.Timestamp, pd.Timestamp]]:
    """``exclude=`` as (first, last) day ranges: an int k is the first k days from the change."""
    if exclude is None:
        return []
    many = isinstance(exclude, (list, np.ndarray, pd.Index, pd.Series))
    out = []
    for item in (list(exclude) if many else [exclude]):
        if isinstance(item, (int, np.integer)) and not isinstance(item, bool):
            if item < 1:
                raise AnalysisError("exclude=k drops the first k days from the change: k must be 1 "
                                    "or more", parameter="exclude", found=repr(item))
            lo, hi = change, change + pd.Timedelta(days=int(item) - 1)
        elif isinstance(item, tuple) and len(item) == 2:
            lo, hi = _parse_date(item[0], "exclude"), _parse_date(item[1], "exclude")
            if hi < lo:
                raise AnalysisError("exclude=(start, end) needs start on or before end",
                                    parameter="exclude", found=repr(item))
        elif isinstance(item, (str, _dt.date, np.datetime64)):
            lo = hi = _parse_date(item, "exclude")
        else:
            raise AnalysisError("exclude must be a number of days from the change, a date, a "
                                "(start, end) pair of dates, or a list of these",
                                parameter="exclude", found=f"{type(item).__name__} {item!r}")
        out.append((lo, hi))
    return out


def _check_sizes(d: _Data, method: str) -> None:
    f = d.frame
    n_before, n_after = int((f["after"] == 0).sum()), int((f["after"] == 1).sum())
    days_before = f.loc[f["after"] == 0, "day"].nunique()
    days_after = f.loc[f["after"] == 1, "day"].nunique()
    need_days = MIN_DAYS[method]
    for side, n, days in (("before", n_before, days_before), ("after", n_after, days_after)):
        if method in ("glm", "did") and n < MIN_POSTS:
            raise AnalysisError(f"too few usable posts {side} the change for method {method!r}: "
                                f"the minimum is {MIN_POSTS}", parameter="change",
                                found=f"{n} posts {side} {d.change.date()}")
        if days < need_days:
            raise AnalysisError(f"too few days with posts {side} the change for method "
                                f"{method!r}: the minimum is {need_days}", parameter="change",
                                found=f"{days} days {side} {d.change.date()}")


def _dummies(values: np.ndarray, name: str, pooled: Sequence[str] = ()) -> tuple[np.ndarray, list[str]]:
    """Indicator columns of every level but the most common one (the reference) and ``pooled``."""
    levels, counts = np.unique(values.astype(str), return_counts=True)
    if len(levels) < 2:
        return np.empty((len(values), 0)), []
    ref = levels[np.argmax(counts)]
    keep = [lv for lv in levels if lv != ref and lv not in pooled]
    if not keep:
        return np.empty((len(values), 0)), []
    cols = np.column_stack([(values.astype(str) == lv).astype(float) for lv in keep])
    return cols, [f"{name}[{lv}]" for lv in keep]


def _one_week_levels(f: pd.DataFrame, column: str, by: str = "week") -> list[str]:
    """The values of a control ``column`` whose posts all fall in one week (or one cluster of
    the column ``by``).

    With week-clustered CR3 errors such a level is decided by that week alone (leverage 1), and
    the errors are undefined; its posts are counted with the reference level instead.

    >>> f = pd.DataFrame({"hour_band": ["morning", "night", "night", "morning"], "week": [0, 0, 0, 1]})
    >>> _one_week_levels(f, "hour_band")
    ['night']
    """
    weeks = f.groupby(f[column].astype(str), observed=True)[by].nunique()
    return sorted(weeks.index[weeks < 2])


def _clusters(f: pd.DataFrame, change: pd.Timestamp, weeks: int) -> np.ndarray:
    """Cluster of each post for errors clustered by blocks of ``weeks`` calendar weeks: blocks
    counted from the week of ``change`` (its Monday), so that only that week's block holds posts
    from both sides. With ``weeks=1`` these are the calendar weeks.

    >>> days = pd.Series(pd.to_datetime(["2024-06-03", "2024-06-24", "2024-07-01", "2024-07-28"]))
    >>> f = pd.DataFrame({"week": days - pd.to_timedelta(days.dt.day_of_week, unit="D")})
    >>> _clusters(f, pd.Timestamp("2024-07-03"), 4).tolist()
    [-1, -1, 0, 0]
    """
    monday = change.normalize() - pd.Timedelta(days=change.day_of_week)
    since = (pd.to_datetime(f["week"]) - monday.tz_localize(None)).dt.days.to_numpy() // 7
    return since // weeks


def _design(f: pd.DataFrame, controls: Sequence[str], change: pd.Timestamp,
            extra: Sequence[tuple[str, np.ndarray]] = (),
            pooled: Mapping[str, Sequence[str]] | None = None) -> tuple[np.ndarray, list[str], pd.Series]:
    """Intercept, extra columns (e.g. after), then controls; drops rows with missing controls.
    ``pooled``: per control, levels given no column of their own (counted with the reference)."""
    keep = pd.Series(True, index=f.index)
    if "followers" in controls:
        keep &= f["followers"].notna() & (f["followers"].fillna(0) > 0)
        if not keep.any():
            raise AnalysisError("control 'followers' needs follower counts: no post of this "
                                "analysis has one", parameter="controls", column="followers",
                                found=f"{len(f)} posts, none with followers > 0")
    cols = [np.ones(len(f))]
    names = ["(Intercept)"]
    for name, col in extra:
        cols.append(np.asarray(col, dtype=float))
        names.append(name)
    X = np.column_stack(cols)
    blocks, bnames = [X], list(names)
    for c in controls:
        if c == "trend":
            blocks.append((f["t"].to_numpy(float) / 365.25)[:, None])
            bnames.append("trend")
        elif c == "followers":
            lf = np.log(f["followers"].astype(float).where(keep, 1.0).to_numpy(float))
            blocks.append((lf - lf[keep.to_numpy()].mean())[:, None])
            bnames.append("log_followers")
        else:
            m, nm = _dummies(f[c].to_numpy(), c, (pooled or {}).get(c, ()))
            blocks.append(m)
            bnames += nm
    X = np.column_stack(blocks)
    # drop columns that are constant or collinear with earlier ones (keeps the first occurrence)
    Xk = X[keep.to_numpy()]
    gram = Xk.T @ Xk
    chosen: list[int] = []
    for j in range(Xk.shape[1]):
        r = gram[j, j]
        if chosen:
            gc = gram[np.ix_(chosen, chosen)]
            r = r - gram[j, chosen] @ np.linalg.solve(gc, gram[chosen, j])
        if r > 1e-9 * max(gram[j, j], 1e-300):
            chosen.append(j)
    if len(chosen) < len(extra) + 1 or chosen[: len(extra) + 1] != list(range(len(extra) + 1)):
        raise AnalysisError("the before/after comparison is confounded with the controls: "
                            "drop the control that only occurs on one side", parameter="controls",
                            found=list(controls))
    return X[:, chosen], [bnames[j] for j in chosen], keep


def _check_level(level: float) -> None:
    if not is_fraction(level):
        raise AnalysisError("level must be between 0 and 1", parameter="level", found=level)


def _crit(level: float, df: float | None) -> float:
    q = 0.5 + level / 2
    return float(stats.norm.ppf(q) if df is None or not np.isfinite(df) else stats.t.ppf(q, df))


def _pval(z: float, df: float | None) -> float:
    if not np.isfinite(z):
        return float("nan")
    return float(2 * (stats.norm.sf(abs(z)) if df is None or not np.isfinite(df) else stats.t.sf(abs(z), df)))


def _row(method: str, metric: str, logratio: float, se: float, df: float | None,
         n_before: int, n_after: int, **extra: Any) -> dict[str, Any]:
    """A table row without its intervals: :func:`_at_level` fills the NaN bounds."""
    return {
        "method": method,
        "metric": metric,
        "lift": math.expm1(logratio),
        "ci_low": float("nan"),
        "ci_high": float("nan"),
        "p_value": _pval(logratio / se if se > 0 else float("nan"), df),
        "n_baseline": int(n_before),
        "n_treatment": int(n_after),
        "log_ratio": logratio,
        "se": se,
        **extra,
        "cumulative_low": float("nan"),
        "cumulative_high": float("nan"),
    }


def _expm1(x: float) -> float:
    """``exp(x) - 1``, infinite past the largest float instead of raising (a very wide interval).

    >>> _expm1(0.0), _expm1(1000.0)
    (0.0, inf)
    """
    return math.expm1(x) if x < 709 else math.inf


def _at_level(method: str, fit: dict[str, Any], level: float) -> dict[str, Any]:
    """``fit`` (what a method's fit returns) with its intervals at ``level``.

    Every interval of :func:`before_after` is set here, from what the fit keeps and no level
    changes: the log ratio, its standard error and degrees of freedom (``df``: t, or normal when
    None) give ``ci_low``/``ci_high`` and ``cumulative_low``/``cumulative_high`` (over the
    after-window total ``y_after``), and for ``its`` the level change's interval from the
    coefficient and its variance; the chart's band is the fitted rate scaled by the lift's
    interval for ``glm``/``did``, and the forecast's own log-scale standard error each week or
    day (``band``) for ``its``/``counterfactual``, whose pointwise effects use it too. The fit
    itself (models, arrays) is shared with the returned dict, which has a new row, path and
    pointwise table; so :meth:`BeforeAfterResult.at_level` changes the level without refitting.
    """
    c = _crit(level, fit["df"])
    row = dict(fit["row"])
    b, se, y_after = row["log_ratio"], row["se"], fit["y_after"]
    row["ci_low"] = _expm1(b - c * se)
    row["ci_high"] = _expm1(b + c * se)
    row["cumulative_low"] = y_after * -_expm1(-(b - c * se))
    row["cumulative_high"] = y_after * -_expm1(-(b + c * se))
    if method == "its":
        b1, se1 = float(fit["beta"][1]), math.sqrt(fit["cov"][1, 1])
        row["level_change_low"] = _expm1(b1 - c * se1)
        row["level_change_high"] = _expm1(b1 + c * se1)
    out = {**fit, "row": row}
    if "path" not in fit:  # placebo runs keep the row only
        return out
    path = fit["path"].copy()
    if method in ("glm", "did"):
        post = fit["post"]
        path["cf_low"] = np.where(post, path["fitted"] / (1 + row["ci_high"]), np.nan)
        path["cf_high"] = np.where(post, path["fitted"] / (1 + row["ci_low"]), np.nan)
    else:
        post, centre, sd = fit["band"]
        path["cf_low"] = np.where(post, np.exp(centre - c * sd), np.nan)
        path["cf_high"] = np.where(post, np.exp(centre + c * sd), np.nan)
    out["path"] = path
    if method == "counterfactual":
        eff, sd = fit["pointwise_log"]
        pointwise = fit["pointwise"].copy()
        pointwise["effect_low"] = np.expm1(eff - c * sd)
        pointwise["effect_high"] = np.expm1(eff + c * sd)
        out["pointwise"] = pointwise
    return out


# --------------------------------------------------------------------------------------------
# Methods
# --------------------------------------------------------------------------------------------


def _default_lag(n_days: int) -> int:
    """Newey-West lag in days: 2 n^(1/3), at least 7 (one week), at most n/4."""
    return int(max(7, min(round(2 * n_days ** (1 / 3)), n_days // 4)))


def _check_engaged(d: _Data, y: np.ndarray, after: np.ndarray, treated: np.ndarray | None,
                   method: str) -> None:
    """The glm's change is a log rate ratio: when every post on one side of the change (of either
    account, for did) has a metric of 0, the ratio is 0 or infinite and the model cannot converge
    on it. Name the metric and the side, not the model."""
    sides = {"before the change": after == 0, "after the change": after == 1}
    if treated is None:
        groups = {f"posts {side}": rows for side, rows in sides.items()}
    else:
        groups = {f"posts of {who} {side}": rows & (treated == (who == "the account analysed"))
                  for who in ("the account analysed", "the control account")
                  for side, rows in sides.items()}
    for name, rows in groups.items():
        if rows.any() and not (y[rows] > 0).any():
            n = int(rows.sum())
            raise AnalysisError(f"no engagement among the {name}: {d.metric} is 0 on all of them, "
                                f"so the change in its rate is 0 or infinite and method {method!r} "
                                "has no estimate; check the metric and the change date",
                                parameter="metric", column=d.metric,
                                found=f"{n} post{'s' if n != 1 else ''} {name.split(' ', 1)[1]}, "
                                      "all 0")


def _fit_glm(d: _Data, controls: Sequence[str], robust: str, lag: int | None,
             method: str = "glm", treated: np.ndarray | None = None,
             light: bool = False) -> dict[str, Any]:
    f = d.frame
    # control values with no event on any post the fit keeps (with the followers control, those
    # with follower counts) have no finite effect: the fit without their posts is the limit of the
    # fit with them (toolkit.nbreg.eventless_values)
    y_kept = f["y"].to_numpy(float)
    if "followers" in controls and "followers" in f.columns:
        y_kept = np.where((f["followers"].fillna(0) > 0).to_numpy(bool), y_kept, 0.0)
    eventless, empty = eventless_values(y_kept, {
        c: f[c].to_numpy() for c in controls if c not in ("trend", "followers") and c in f.columns})
    # posts left out, of the analysed account and (did) of the control account
    eventless_posts = int(empty.sum()) if treated is None else int((empty & (treated == 1)).sum())
    eventless_control = 0 if treated is None else int((empty & (treated == 0)).sum())
    if empty.any():
        f = f[~empty]
        treated = None if treated is None else treated[~empty]
    after = f["after"].to_numpy(float)
    extra: list[tuple[str, np.ndarray]] = [("after", after)]
    if treated is not None:  # did: after x treated, after, treated
        extra = [("after:treated", after * treated), ("after", after), ("treated", treated)]
    k = _block_weeks(robust)
    if k is not None:  # clustered errors: weeks, or blocks of k weeks
        f = f.assign(cluster=_clusters(f, d.change, k))
    # clustered CR3 errors need every control level in two clusters or more (see _one_week_levels)
    pooled = ({c: lv for c in controls if c not in ("trend", "followers")
               if (lv := _one_week_levels(f, c, "cluster"))} if k is not None else {})
    X, names, keep = _design(f, controls, d.change, extra, pooled)
    control_missing = 0  # did: control-account posts left out for want of followers
    if not keep.all():
        missing = ~keep.to_numpy()
        if treated is not None:  # did: the analysed account's posts here, the control's apart
            control_missing = int((missing & (treated == 0)).sum())
            missing = missing & (treated == 1)
        if missing.any():
            d.left_out["missing followers"] = int(missing.sum())
        f = f[keep]
        X = X[keep.to_numpy()]
    y = f["y"].to_numpy(float)
    _check_engaged(d, y, after[keep.to_numpy()],
                   None if treated is None else treated[keep.to_numpy()], method)
    off = np.log(f["e"].to_numpy(float)) if d.exposure is not None else np.zeros(len(f))
    fit = nb_glm(y, X, off, names=names)
    if not fit.converged:
        raise AnalysisError("the negative binomial model did not converge", parameter="method",
                            found=f"{method}, {fit.iterations} iterations")
    days = f["day"].to_numpy()
    L = None  # the HAC lag in posts, when used
    if robust == "hac":
        n_days = f["day"].nunique()
        L = lag if lag is not None else int(round(_default_lag(n_days) * len(f) / max(n_days, 1)))
        cov = fit.robust_cov("hac", lag=L)
        df = None
        robust_label = f"Newey-West HAC (lag {L} posts)"
    elif k is not None:
        clusters = f["cluster"].to_numpy()
        n_clusters = len(np.unique(clusters))
        if k > 1 and n_clusters < MIN_BLOCKS:
            raise AnalysisError(f"errors clustered by {k}-week blocks need posts in {MIN_BLOCKS} "
                                "blocks or more; use shorter blocks or robust='week'",
                                parameter="robust", found=f"{robust}: posts in {n_clusters} blocks")
        cov = fit.robust_cov("week", groups=clusters, cr="CR3")
        df = n_clusters - 1
        robust_label = (f"clustered by week, bias-reduced CR3 ({n_clusters} weeks), t({df})" if k == 1
                        else f"clustered by {k}-week block, bias-reduced CR3 ({n_clusters} blocks), "
                             f"t({df})")
    else:
        cov = fit.cov
        df = None
        robust_label = "model-based"
    if not (np.isfinite(cov[1, 1]) and cov[1, 1] > 0):
        # CR3 inverts I - H_g per week: a week that alone decides a control (every post of some
        # media type or hour band in that week) has leverage near 1 and no usable variance
        why = (f"a {_cluster_unit(robust)} carries a control on its own (leverage 1, so its residuals "
               "cannot be corrected); choose other errors (robust='hac') or fewer controls"
               if k is not None else "the model is too close to singular; use fewer controls")
        raise AnalysisError(f"the {robust_label} standard error of the change is undefined here: {why}",
                            parameter="robust", found=robust)
    b, se = float(fit.params[0 + 1]), float(math.sqrt(cov[1, 1]))
    is_after = after[keep.to_numpy()] if treated is None else (after * treated)[keep.to_numpy()]
    n_before = int((is_after == 0).sum()) if treated is None else int(((after == 0) & (treated == 1))[keep.to_numpy()].sum())
    n_after = int(is_after.sum())
    y_after = float(y[is_after == 1].sum())
    row = _row(method, d.metric, b, se, df, n_before, n_after,
               level_change=math.expm1(b), slope_change=float("nan"),
               cumulative_effect=y_after * (1 - math.exp(-b)),
               dispersion=fit.theta, se_type=robust_label, model_se=float(math.sqrt(fit.cov[1, 1])))
    if light:  # placebo runs need the row only
        return {"row": row, "fit": fit, "df": df, "y_after": y_after,
                "control_missing": control_missing, "pooled": pooled,
                "eventless": eventless, "eventless_posts": eventless_posts,
                "eventless_control": eventless_control}
    # the path: daily observed rate, fitted, and without the change (its band, from the lift's
    # interval, is set by _at_level)
    mu = fit.mu
    mu0 = mu * np.exp(-b * is_after)
    tmp = pd.DataFrame({"day": days, "y": y, "e": f["e"].to_numpy(float), "mu": mu, "mu0": mu0,
                        "mu2": mu * mu / fit.theta,
                        "treat": is_after if treated is None else treated[keep.to_numpy()]})
    if treated is not None:
        tmp = tmp[tmp["treat"] == 1]
    g = tmp.groupby("day").sum()
    path = pd.DataFrame({
        "day": g.index, "observed": g["y"] / g["e"], "fitted": g["mu"] / g["e"],
        "counterfactual": g["mu0"] / g["e"]})
    post = path["day"] >= d.change
    path["cf_low"] = path["cf_high"] = np.nan
    path.loc[~post, "counterfactual"] = path.loc[~post, "fitted"]
    resid = (g["y"] - g["mu"]) / np.sqrt(g["mu"] + g["mu2"])
    return {"row": row, "fit": fit, "path": path, "resid": resid, "cov": cov, "names": names,
            "se_lag": L, "df": df, "y_after": y_after, "post": post.to_numpy(),
            "control_missing": control_missing, "pooled": pooled,
            "eventless": eventless, "eventless_posts": eventless_posts,
            "eventless_control": eventless_control}


def _weekly(d: _Data) -> pd.DataFrame:
    """Weekly sums in weeks aligned to the change date (week 0 starts on it), so that no week
    straddles the change and every week holds each weekday once.

    Only whole weeks are kept: a week that runs past the first or last day the data cover
    (``d.span``, else the first and last post) or has days left out with ``exclude=`` holds some
    weekdays and not others, so its rate would carry the weekday rhythm the weekly sums are meant
    to cancel (and the weeks at the ends and at the change weigh most on the fitted level and
    slopes). ``attrs["partial"]`` holds ``(weeks, posts)`` left out.
    """
    f = d.frame
    t = f["t"].to_numpy(float)
    wk = np.floor(t / 7.0).astype(int)
    if d.span is not None:
        lo, hi = ((day - d.change).days for day in d.span)
    else:
        lo, hi = (t.min(), t.max()) if len(t) else (0, -1)
    whole = (wk * 7 >= lo) & (wk * 7 + 6 <= hi)
    for first, last in d.excluded:  # weeks with excluded days inside the span
        a, b = max((first - d.change).days, lo), min((last - d.change).days, hi)
        if a <= b:
            whole &= (wk < a // 7) | (wk > b // 7)
    partial = (len(np.unique(wk[~whole])), int((~whole).sum()))
    wk = wk[whole]
    codes, weeks = pd.factorize(wk, sort=True)
    g = pd.DataFrame({"y": np.bincount(codes, f["y"].to_numpy(float)[whole]),
                      "e": np.bincount(codes, f["e"].to_numpy(float)[whole]),
                      "posts": np.bincount(codes)}, index=weeks)
    g = g[g["e"] > 0]
    g.attrs["partial"] = partial
    g.index = g.index.astype(int)
    g["t"] = g.index.to_numpy(float) * 7.0 + 3.0
    g["after"] = g.index >= 0
    g["day"] = d.change + pd.to_timedelta(g.index.to_numpy() * 7, unit="D")
    g["log_rate"] = np.log((g["y"] + 0.5) / g["e"])
    return g


def _its_design(weekly: pd.DataFrame, trend: bool = True) -> tuple[np.ndarray, list[str]]:
    t = weekly["t"].to_numpy(float)
    after = weekly["after"].to_numpy(float)
    cols = [np.ones(len(t)), after, t * after, t]
    names = ["(Intercept)", "after", "t_after", "t"]
    return np.column_stack(cols), names


def _fit_its(d: _Data, controls: Sequence[str], lag: int | None) -> dict[str, Any]:
    _check_engaged(d, d.frame["y"].to_numpy(float), d.frame["after"].to_numpy(), None, "its")
    weekly = _weekly(d)
    n_pre, n_post = int((~weekly["after"]).sum()), int(weekly["after"].sum())
    if n_pre < 4 or n_post < 4:
        weeks, posts = weekly.attrs["partial"]
        cut = f" (whole weeks only; {weeks} partial week{'s' if weeks != 1 else ''} left out)" \
            if weeks else ""
        raise AnalysisError("too few weeks with posts for method 'its': the minimum is 4 on each "
                            "side", parameter="change", found=f"{n_pre} weeks before, {n_post} after{cut}")
    X, names = _its_design(weekly)
    yv = weekly["log_rate"].to_numpy(float)
    beta, *_ = np.linalg.lstsq(X, yv, rcond=None)
    resid = yv - X @ beta
    L = 1 if lag is None else int(lag)
    cov = newey_west(X, resid, L, leverage=True)
    df = len(yv) - X.shape[1]
    post = weekly["after"].to_numpy(bool)
    t_post = weekly["t"].to_numpy(float)[post]
    delta = beta[1] + beta[2] * t_post
    ratio = np.exp(delta)
    m = ratio.mean()
    logratio = math.log(m)
    grad = np.zeros(len(beta))
    grad[1] = 1.0
    grad[2] = float((t_post * ratio).mean() / m)
    se = float(math.sqrt(grad @ cov @ grad))
    n_before = int(weekly.loc[~post, "posts"].sum())
    n_after = int(weekly.loc[post, "posts"].sum())
    y_after = float(weekly.loc[post, "y"].sum())
    row = _row("its", d.metric, logratio, se, df, n_before, n_after,
               level_change=math.expm1(beta[1]), slope_change=math.expm1(30 * beta[2]),
               cumulative_effect=y_after * (1 - math.exp(-logratio)),
               dispersion=float("nan"),
               se_type=f"Newey-West HAC on weekly rates (lag {L} week{'s' if L != 1 else ''}, "
                       f"leverage-adjusted), t({df})",
               model_se=float("nan"))
    row["level_change_low"] = row["level_change_high"] = float("nan")  # set by _at_level
    row["slope_change_p"] = _pval(beta[2] / math.sqrt(cov[2, 2]), df)
    fitted = X @ beta
    Xcf = X.copy()
    Xcf[:, 1] = 0
    Xcf[:, 2] = 0
    cf = Xcf @ beta
    cf_se = np.sqrt(np.einsum("ij,jk,ik->i", Xcf, cov, Xcf))
    corr = 0.5 * float(np.var(resid))  # log-normal mean correction, so paths are on the rate scale
    path = pd.DataFrame({
        "day": weekly["day"].to_numpy(), "observed": (weekly["y"] / weekly["e"]).to_numpy(),
        "fitted": np.exp(fitted + corr), "counterfactual": np.exp(cf + corr),
        "cf_low": np.nan, "cf_high": np.nan})
    return {"row": row, "beta": beta, "cov": cov, "names": names, "path": path,
            "resid": pd.Series(resid, index=weekly["day"].to_numpy()), "weekly": weekly,
            "se_lag": L, "df": df, "y_after": y_after, "band": (post, cf + corr, cf_se)}


def _uc_forecast_cov(res, steps: int, exog_post: np.ndarray | None):
    """Mean and covariance of the 1..steps-ahead forecasts of an UnobservedComponents fit."""
    fr = res.filter_results
    Z = np.asarray(fr.design[:, :, 0])
    T = np.asarray(fr.transition[:, :, 0])
    R = np.asarray(fr.selection[:, :, 0])
    Q = np.asarray(fr.state_cov[:, :, 0])
    H = float(np.asarray(fr.obs_cov[:, :, 0])[0, 0])
    a = np.asarray(fr.predicted_state[:, -1])
    P = np.asarray(fr.predicted_state_cov[:, :, -1])
    RQR = R @ Q @ R.T
    m = T.shape[0]
    G = np.empty((steps, m))      # Z T^k
    v = np.empty((steps, m))      # P_i Z'
    mean = np.empty(steps)
    g = Z[0].copy()
    for k in range(steps):
        G[k] = g
        g = g @ T
        mean[k] = Z[0] @ a
        v[k] = P @ Z[0]
        a = T @ a
        P = T @ P @ T.T + RQR
    if exog_post is not None and exog_post.size:
        params = np.asarray(res.params)
        beta = np.array([params[i] for i, n in enumerate(res.model.param_names) if n.startswith("beta.")])
        mean = mean + exog_post @ beta
    # C[j, i] = G[j - i] . v[i] for j >= i, symmetric, plus H on the diagonal
    idx = np.arange(steps)
    lagm = idx[:, None] - idx[None, :]
    lower = lagm >= 0
    C = np.where(lower, np.einsum("jik,ik->ji", G[np.clip(lagm, 0, None)], v), 0.0)
    C = C + np.tril(C, -1).T
    C[idx, idx] += H
    return mean, C


def _fit_counterfactual(d: _Data, controls: Sequence[str],
                        control_daily: pd.DataFrame | None = None) -> dict[str, Any]:
    from statsmodels.tsa.statespace.structural import UnobservedComponents  # noqa: PLC0415

    _check_engaged(d, d.frame["y"].to_numpy(float), d.frame["after"].to_numpy(), None, "counterfactual")
    daily = d.daily()
    start, end = daily.index.min(), daily.index.max()
    days = pd.date_range(start, end, freq="D")
    full = daily.reindex(days)
    yv = full["log_rate"].to_numpy(float)
    pre = days < d.change
    exog = None
    if control_daily is not None:
        cx = control_daily["log_rate"].reindex(days)
        exog = cx.fillna(cx.mean()).to_numpy(float)[:, None]
    # the weekly pattern as a fixed seasonal (deterministic, estimated by the filter)
    seasonal = 7 if "weekday" in controls else None
    trend = "trend" in controls
    # the level: fixed (deterministic, only estimated) or a random walk, chosen on the pre-period
    # by a boundary-aware likelihood-ratio test (see CF_LEVEL_ALPHA)
    specs = {"fixed": "deterministic trend" if trend else "deterministic constant",
             "random walk": "local linear deterministic trend" if trend else "local level"}
    fitted = {}
    for name, spec in specs.items():
        model = UnobservedComponents(
            yv[pre], level=spec, seasonal=seasonal, stochastic_seasonal=False, autoregressive=1,
            exog=None if exog is None else exog[pre])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fitted[name] = model.fit(disp=False, method="lbfgs", maxiter=200)
    lr = max(0.0, 2.0 * float(fitted["random walk"].llf - fitted["fixed"].llf))
    # H0: level variance 0 lies on the boundary: LR ~ 0.5 chi2(0) + 0.5 chi2(1)
    p_level = 0.5 * float(stats.chi2.sf(lr, 1)) if lr > 0 else 1.0
    level_model = "random walk" if p_level < CF_LEVEL_ALPHA else "fixed"
    res = fitted[level_model]
    steps = int((~pre).sum())
    mean, C = _uc_forecast_cov(res, steps, None if exog is None else exog[~pre])
    obs_post = yv[~pre]
    ok = np.isfinite(obs_post)
    eff = obs_post[ok] - mean[ok]
    Cok = C[np.ix_(ok, ok)]
    h = int(ok.sum())
    logratio = float(eff.mean())
    se = float(math.sqrt(Cok.sum()) / h)
    n_before = int((d.frame["after"] == 0).sum())
    n_after = int((d.frame["after"] == 1).sum())
    y_after = float(full.loc[~pre, "y"].sum())
    row = _row("counterfactual", d.metric, logratio, se, None, n_before, n_after,
               level_change=float("nan"), slope_change=float("nan"),
               cumulative_effect=y_after * (1 - math.exp(-logratio)),
               dispersion=float("nan"), se_type="state-space forecast covariance",
               model_se=float("nan"))
    # pointwise: one-step-ahead in-sample predictions before, forecast after
    # (none during the diffuse start: until as many days with data as the model has states have
    # been seen, the one-step predictions are not identified: the first one is 0 = a rate of 1)
    pred_pre = np.asarray(res.filter_results.forecasts[0], float).copy()
    seen = np.cumsum(np.isfinite(yv[pre]))
    burn = seen <= max(int(res.model.k_states), int(getattr(res, "loglikelihood_burn", 0)))
    pred_pre[burn] = np.nan
    sd_post = np.sqrt(np.diag(C))
    corr = 0.5 * float(np.nanvar(yv[pre] - pred_pre))
    cf = np.concatenate([pred_pre, mean])
    path = pd.DataFrame({"day": days, "observed": np.exp(yv) , "counterfactual": np.exp(cf + corr)})
    path["observed"] = (full["y"] / full["e"]).to_numpy()
    path["cf_low"] = path["cf_high"] = np.nan  # the forecast's band, set by _at_level
    path["fitted"] = np.where(pre, path["counterfactual"], np.nan)
    shown = np.isfinite(yv)
    path = path[shown].reset_index(drop=True)
    sd = np.concatenate([np.full(pre.sum(), np.nan), sd_post])
    pointwise = pd.DataFrame({"day": days[~pre][ok], "effect": np.expm1(eff),
                              "effect_low": np.nan, "effect_high": np.nan})
    resid = pd.Series(yv[pre] - pred_pre, index=days[pre]).dropna()
    return {"row": row, "model": res, "path": path, "pointwise": pointwise, "resid": resid,
            "forecast_cov": Cok, "level_model": level_model, "level_lr": lr,
            "level_p_value": p_level, "models": fitted, "df": None, "y_after": y_after,
            "zero_days": float((daily["y"] == 0).mean()),
            "band": (~pre[shown], (cf + corr)[shown], sd[shown]), "pointwise_log": (eff, sd_post[ok])}


# --------------------------------------------------------------------------------------------
# Diagnostics and confound checks
# --------------------------------------------------------------------------------------------


def _ljung_box(x: np.ndarray, lags: int = 7) -> tuple[float, float, float]:
    x = np.asarray(x, float)
    x = x[np.isfinite(x)] - np.nanmean(x)
    n = len(x)
    if n <= lags + 2:
        return float("nan"), float("nan"), float("nan")
    denom = float(x @ x)
    r = np.array([float(x[k:] @ x[:-k]) / denom for k in range(1, lags + 1)])
    q = n * (n + 2) * float(np.sum(r ** 2 / (n - np.arange(1, lags + 1))))
    return float(r[0]), q, float(stats.chi2.sf(q, lags))


def _lag1_note(method: str, robust: str) -> str:
    """What the lag-1 residual autocorrelation of ``method`` is, and whether its errors allow for it.

    >>> _lag1_note("glm", "week")
    'daily residuals; errors clustered by week allow for it within a week'
    """
    if method == "counterfactual":
        return "one-step-ahead errors of the pre-period fit; near 0 if the model fits"
    if method == "its":
        return "weekly residuals; Newey-West errors allow for it"
    if _block_weeks(robust):
        unit = _cluster_unit(robust)
        return f"daily residuals; errors clustered by {unit} allow for it within a {unit}"
    return ("daily residuals; Newey-West errors allow for it" if robust == "hac"
            else "daily residuals; model-based errors do not allow for it")


def _spells_note(method: str, robust: str) -> str:
    """What a small p of the between-weeks autocorrelation check means under ``robust``.

    >>> print(_spells_note("did", "4 weeks"))  # doctest: +NORMALIZE_WHITESPACE
    small p: neighbouring weeks move together (spells lasting weeks); errors clustered by 4-week
    block allow for spells shorter than a block; the analysed account's residuals; a weak check
    (a year of weeks shows spells only now and then)
    """
    k = _block_weeks(robust)
    if k == 1:
        advice = "errors clustered by week do not allow for them: robust='4 weeks'"
    elif k:
        advice = f"errors clustered by {k}-week block allow for spells shorter than a block"
    else:
        advice = ("Newey-West errors allow for them up to their lag" if robust == "hac"
                  else "model-based errors do not allow for them: robust='4 weeks'")
    whose = "; the analysed account's residuals" if method == "did" else ""
    return (f"small p: neighbouring weeks move together (spells lasting weeks); {advice}{whose}; "
            "a weak check (a year of weeks shows spells only now and then)")


def _weekly_autocorrelation(resid: pd.Series) -> tuple[float, float]:
    """Lag-1 autocorrelation of the weekly sums of the daily residuals ``resid`` (indexed by day;
    calendar weeks, pairs of consecutive weeks only) and the one-sided p-value of "no positive
    autocorrelation between weeks", from ``r ~ N(-1/n, 1/n)`` for ``n`` independent weeks;
    NaN with fewer than 10 weeks.

    >>> days = pd.date_range("2024-01-01", periods=168, freq="D")
    >>> spells = pd.Series(np.repeat(np.tile([1.0] * 4 + [-1.0] * 4, 3), 7), index=days)
    >>> r, p = _weekly_autocorrelation(spells)  # four good weeks, four bad ones, three times
    >>> round(r, 2), round(p, 4)
    (0.54, 0.0021)
    """
    days = pd.to_datetime(pd.Series(resid.index))
    weeks = (days - pd.to_timedelta(days.dt.day_of_week, unit="D")).dt.normalize()
    weekly = pd.Series(np.asarray(resid, float)).groupby(weeks.to_numpy()).sum()
    if len(weekly) < 10:
        return float("nan"), float("nan")
    x = weekly - weekly.mean()
    nxt = x.reindex(x.index + pd.Timedelta(days=7)).to_numpy()
    pairs = np.isfinite(nxt)
    r = float(x.to_numpy()[pairs] @ nxt[pairs] / (x.to_numpy() @ x.to_numpy()))
    n = len(x)
    return r, float(stats.norm.sf((r + 1 / n) * math.sqrt(n)))


def _pretrend(d: _Data, controls: Sequence[str]) -> tuple[float, float]:
    daily = d.daily()
    pre = daily[~daily["after"]]
    if len(pre) < 14:
        return float("nan"), float("nan")
    cols = [np.ones(len(pre)), pre["t"].to_numpy(float)]
    if "weekday" in controls:
        m, _ = _dummies(pre["weekday"].to_numpy(), "weekday")
        cols.append(m)
    X = np.column_stack(cols)
    yv = pre["log_rate"].to_numpy(float)
    beta, *_ = np.linalg.lstsq(X, yv, rcond=None)
    cov = newey_west(X, yv - X @ beta, _default_lag(len(pre)))
    return math.expm1(30 * beta[1]), _pval(beta[1] / math.sqrt(cov[1, 1]), len(pre) - X.shape[1])


def _confounds(d: _Data, days: int = 28) -> list[str]:
    """Plain-language warnings about other things that moved near the change date."""
    f = d.frame
    ch = d.change
    near = f[(f["day"] >= ch - pd.Timedelta(days=days)) & (f["day"] < ch + pd.Timedelta(days=days))]
    before, after = near[near["after"] == 0], near[near["after"] == 1]
    out: list[str] = []
    if len(before) < 5 or len(after) < 5:
        return out

    def days_kept(first: pd.Timestamp, last: pd.Timestamp) -> int:
        """Days from first to last, less those left out with exclude= (their posts are gone)."""
        gone = sum(max((min(hi, last) - max(lo, first)).days + 1, 0) for lo, hi in d.excluded)
        return max((last - first).days + 1 - gone, 1)

    span_b = days_kept(before["day"].min(), ch - pd.Timedelta(days=1))
    span_a = days_kept(ch, after["day"].max())
    fb, fa = len(before) / span_b, len(after) / span_a
    ratio = fa / fb
    # a Poisson test of equal posting rates, so that small samples do not warn by chance
    p = stats.binomtest(len(after), len(after) + len(before), span_a / (span_a + span_b)).pvalue
    if (ratio > 1.5 or ratio < 1 / 1.5) and p < 0.01:
        out.append(f"posting frequency changed from {fb:.1f} to {fa:.1f} posts a day around the "
                   f"change date ({days} days each side)")
    mb = before["media_type"].value_counts(normalize=True)
    ma = after["media_type"].value_counts(normalize=True)
    tv = 0.5 * float(mb.subtract(ma, fill_value=0).abs().sum())
    if tv > 0.25:
        top = (ma.subtract(mb, fill_value=0)).sort_values()
        out.append(f"the media mix changed by {tv:.0%} (total variation) around the change date: "
                   f"{top.index[-1]} {mb.get(top.index[-1], 0):.0%} -> {ma.get(top.index[-1], 0):.0%}, "
                   f"{top.index[0]} {mb.get(top.index[0], 0):.0%} -> {ma.get(top.index[0], 0):.0%}")
    fol = near.dropna(subset=["followers"]).groupby("day")["followers"].median().astype(float)
    if len(fol) >= 4:
        fb_ = fol[fol.index < ch]
        fa_ = fol[fol.index >= ch]
        if len(fb_) and len(fa_):
            rel = fa_.median() / fb_.median() - 1
            jumps = fol.pct_change().dropna()
            worst = jumps.loc[jumps.abs().idxmax()] if len(jumps) else 0.0
            if abs(rel) > 0.10 or abs(worst) > 0.05:
                when = jumps.abs().idxmax().date() if len(jumps) else ch.date()
                out.append(f"the follower count changed sharply near the change date (median "
                           f"{fb_.median():,.0f} -> {fa_.median():,.0f}; largest day-to-day step "
                           f"{worst:+.0%} on {when}), e.g. a purge or a viral spike")
    return out


# --------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------


class BeforeAfterResult(Result):
    """A :class:`~toolkit.result.Result` that can rerun itself at placebo change dates and restate
    itself at another confidence level."""

    def at_level(self, level: float) -> BeforeAfterResult:
        """This result with its intervals at confidence ``level``, without refitting any model.

        Only what depends on the level is recomputed, from what each fit keeps (estimate,
        standard error and degrees of freedom; for ``its`` and ``counterfactual`` also the
        forecast's standard error each week or day): ``ci_low``/``ci_high``,
        ``cumulative_low``/``cumulative_high``, the ``its`` level change's interval, the chart's
        bands, the ``counterfactual`` pointwise effects, and the text (the intervals, and whether
        the change or a pre-trend counts as unlikely to be noise). The result equals
        :func:`before_after` rerun with ``level=level`` and the same other arguments, for every
        method; confound warnings are not emitted again.

        >>> r = before_after(_demo_posts(), change="2024-07-01", method="glm", warn=False)
        >>> r90 = r.at_level(0.9)
        >>> r90.level, bool(r90.table.loc[0, "ci_high"] < r.table.loc[0, "ci_high"])
        (0.9, True)
        >>> bool(r90.table.loc[0, "lift"] == r.table.loc[0, "lift"]), "(90% CI" in r90.text
        (True, True)
        """
        _check_level(level)
        return _result(self.details["data"], self.details["fits"], level=level,
                       call=self.details["call"], confounds=self.details["confounds"],
                       pretrend=self.details["pretrend"], diagnostics=self.diagnostics.copy())

    def placebo(self, n: int = 100, *, method: str | None = None, progress: bool = True) -> Result:
        """Repeat the analysis at ``n`` fake change dates inside the pre-period.

        Only pre-change posts are used, split at evenly spaced fake dates that leave the method's
        minimum on each side. The empirical p-value is the share of placebo lifts at least as large
        (in absolute log ratio) as the real one, counting the real one: ``(1 + k) / (1 + n)``.
        Neighbouring fake dates split nearly the same posts, so their lifts are strongly
        correlated: on one account they often lean to one side, and the share nominally
        significant is not a false positive rate (``toolkit.calibration`` measures that across
        simulated accounts).

        Returns a :class:`Result` whose table row has the real lift (with the real analysis's
        ``n_baseline``/``n_treatment`` posts), the empirical ``p_value``, the number of placebo
        dates used (``n_placebo``) and the placebo distribution's spread (``placebo_low``/
        ``placebo_high``: the middle ``level`` of the placebo lifts); ``details["placebo"]``
        lists every fake date's lift and ``details["failed"]`` the fake dates that could not be
        analysed, with the reason. The text says how many dates were requested and used; no
        usable date is an error.
        """
        from toolkit.progress import progress_bar  # noqa: PLC0415

        if not is_whole(n, 1):
            raise AnalysisError("n must be a whole number of placebo dates, 1 or more",
                                parameter="n", found=repr(n))
        args = self.details["call"]
        method = method or str(self.table.loc[0, "method"])
        real = self.table.loc[self.table["method"] == method]
        if real.empty:
            raise AnalysisError("placebo needs a method of this result", parameter="method",
                                found=f"{method!r}; result has {list(self.table['method'])}")
        real_lift = float(real["lift"].iloc[0])
        d: _Data = self.details["data"]
        pre = d.frame[d.frame["after"] == 0]
        days = np.sort(pre["day"].unique())
        need = MIN_DAYS[method]
        if method in ("glm", "did"):
            need = max(need, int(math.ceil(MIN_POSTS / max(len(pre) / max(len(days), 1), 1e-9))) + 1)
        if len(days) < 2 * need:
            raise AnalysisError(f"the pre-period is too short for placebo dates: it needs at least "
                                f"{2 * need} days with posts", parameter="n",
                                found=f"{len(days)} days before {d.change.date()}")
        candidates = days[need: len(days) - need + 1]
        pick = np.unique(np.linspace(0, len(candidates) - 1, num=min(n, len(candidates))).round().astype(int))
        fakes = pd.to_datetime(candidates[pick])
        rows, failed = [], []
        control = args.get("control_data")
        for fake in progress_bar(fakes, desc=f"placebo dates ({method})", disable=not progress):
            span = None if d.span is None else (d.span[0], d.change - pd.Timedelta(days=1))
            dd = _Data(frame=_refit_frame(pre, pd.Timestamp(fake)), change=pd.Timestamp(fake),
                       metric=d.metric, exposure=d.exposure, left_out={}, account=d.account,
                       span=span, excluded=d.excluded)
            try:
                out = _run_method(method, dd, args["controls"], args["level"], args["robust"],
                                  args["lag"], control, light=True)
                rows.append({"change": pd.Timestamp(fake), "lift": out["row"]["lift"],
                             "p_value": out["row"]["p_value"]})
            except AnalysisError as exc:
                failed.append({"change": pd.Timestamp(fake), "reason": exc.message})
        failed = pd.DataFrame(failed, columns=["change", "reason"])
        why = "; ".join(f"{reason} ({count} date{'s' if count != 1 else ''})"
                        for reason, count in failed["reason"].value_counts(sort=False).items())
        dates = (f"placebo dates: {n} requested"
                 + (f", {len(fakes)} fit in the pre-period" if len(fakes) < n else "")
                 + f", {len(rows)} used" + (f"; left out: {why}" if why else ""))
        if not rows:
            raise AnalysisError("no placebo date could be analysed", parameter="n", found=dates)
        plc = pd.DataFrame(rows)
        k = int((np.abs(np.log1p(plc["lift"])) >= abs(math.log1p(real_lift))).sum())
        p_emp = (1 + k) / (1 + len(plc))
        level = args["level"]
        q = plc["lift"].quantile([(1 - level) / 2, 1 - (1 - level) / 2]).to_numpy()
        table = pd.DataFrame([{
            "method": f"{method} placebo", "metric": d.metric, "lift": real_lift,
            "ci_low": float("nan"), "ci_high": float("nan"), "p_value": p_emp,
            "n_baseline": int(real["n_baseline"].iloc[0]), "n_treatment": int(real["n_treatment"].iloc[0]),
            "n_placebo": len(plc), "placebo_rank": len(plc) - k,
            "placebo_low": q[0], "placebo_high": q[1],
            "placebo_rejection_rate": float((plc["p_value"] < 1 - args["level"]).mean())}])
        text = (f"The real {method} lift in {d.metric} ({format_pct(real_lift)}) is larger in size than "
                f"{len(plc) - k} of {len(plc)} placebo lifts at fake change dates in the pre-period "
                f"(empirical p = {p_emp:.3f}); the middle {level:.0%} of placebo lifts lie between "
                f"{format_pct(q[0])} and {format_pct(q[1])}, and "
                f"{plc['p_value'].lt(1 - level).mean():.0%} of them were nominally significant "
                f"at {1 - level:.0%}. {dates[0].upper()}{dates[1:]}.")
        result = Result(table=table, text=text,
                        assumptions="Fake dates in the pre-period share the real date's noise, "
                                    "autocorrelation and trends but no real change. Neighbouring "
                                    "fake dates split nearly the same posts, so their lifts move "
                                    "together: the share nominally significant describes this "
                                    "account's pre-period, not a false positive rate.",
                        level=self.level, details={"placebo": plc, "real_lift": real_lift,
                                                   "failed": failed},
                        chart_builder=_placebo_chart)
        self.details["placebo"] = plc
        return result


def _placebo_chart(result: Result):
    from toolkit.charts.before_after import placebo_chart  # noqa: PLC0415

    return placebo_chart(result.details["placebo"], result.details["real_lift"],
                         level=result.level)


def _refit_frame(pre: pd.DataFrame, fake: pd.Timestamp) -> pd.DataFrame:
    f = pre.copy()
    f["t"] = (f["day"] - fake).dt.days.astype(float)
    f["after"] = (f["t"] >= 0).astype(float)
    return f


def _run_method(method: str, d: _Data, controls: Sequence[str], level: float, robust: str,
                lag: int | None, control: _Data | None, light: bool = False) -> dict[str, Any]:
    return _at_level(method, _fit_method(method, d, controls, robust, lag, control, light), level)


def _fit_method(method: str, d: _Data, controls: Sequence[str], robust: str, lag: int | None,
                control: _Data | None, light: bool = False) -> dict[str, Any]:
    """Fit ``method``: estimates and standard errors, no interval (see :func:`_at_level`)."""
    _check_sizes(d, method)
    if method == "glm":
        return _fit_glm(d, controls, robust, lag, light=light)
    if method == "its":
        return _fit_its(d, controls, lag)
    if method == "counterfactual":
        cdaily = None
        if control is not None:
            cdaily = control.daily()
        return _fit_counterfactual(d, controls, cdaily)
    if method == "did":
        if control is None:
            raise AnalysisError("method 'did' needs a control account", parameter="control_account",
                                found=None)
        cf = control.frame
        cf = cf[(cf["day"] >= d.frame["day"].min()) & (cf["day"] <= d.frame["day"].max())].copy()
        cf["t"] = (cf["day"] - d.change).dt.days.astype(float)
        cf["after"] = (cf["t"] >= 0).astype(float)
        if (cf["after"] == 0).sum() < MIN_POSTS or (cf["after"] == 1).sum() < MIN_POSTS:
            raise AnalysisError(f"the control account needs at least {MIN_POSTS} posts on each "
                                "side of the change", parameter="control_account",
                                found=f"{int((cf['after'] == 0).sum())} before, "
                                      f"{int((cf['after'] == 1).sum())} after")
        both = pd.concat([d.frame.assign(_treated=1.0), cf.assign(_treated=0.0)])
        both = both.sort_values("ts", kind="stable")
        dd = _Data(frame=both, change=d.change, metric=d.metric, exposure=d.exposure,
                   left_out=d.left_out, account=d.account)
        out = _fit_glm(dd, controls, robust, lag, method="did",
                       treated=both["_treated"].to_numpy(float), light=light)
        out["control_posts"] = len(cf) - out["control_missing"] - out["eventless_control"]
        out["control_outside"] = len(control.frame) - len(cf)
        return out
    raise AnalysisError(f"method must be one of {list(METHODS)}", parameter="method", found=method)


def _check_controls(controls: Any, posts: pd.DataFrame) -> tuple[list[str], list[str]]:
    if controls is None:
        return list(DEFAULT_CONTROLS), []
    controls = name_list(controls, "controls")  # or columns of posts
    out, extra = [], []
    for c in controls:
        if c == "followers" and ("followers" not in posts.columns or posts["followers"].isna().all()):
            raise AnalysisError("control 'followers' needs follower counts: posts have no usable "
                                "followers column", parameter="controls", column="followers",
                                found="no column" if "followers" not in posts.columns
                                else "every value missing")
        if c in CONTROLS:
            out.append(c)
        elif c in posts.columns and c not in COUNT_COLUMNS:
            out.append(c)
            extra.append(c)
        else:
            raise AnalysisError(f"unknown control: expected one of {list(CONTROLS)} or a "
                                "categorical column of posts", parameter="controls", found=c)
    return out, extra


def _date_text(ts: pd.Timestamp) -> str:
    return f"{ts.day} {ts.strftime('%B %Y')}"


def _describe(row: dict[str, Any], d: _Data, level: float,
              control_account: str | None = None) -> str:
    per = f"per 1,000 {d.exposure}" if d.exposure else "per post"
    rising = "rose" if row["lift"] >= 0 else "fell"
    what = {"glm": "compared post by post with the negative binomial model",
            "its": "against the extrapolated pre-change trend (interrupted time series)",
            "counterfactual": "against the forecast of a model fitted on the pre-period",
            "did": f"relative to the control account {control_account!r} (difference in "
                   "differences)"}[row["method"]]
    sig = ("a change this large is unlikely to be noise" if row["p_value"] < 1 - level
           else "noise alone could produce a change this large, so these data cannot tell it from no "
                "change (which is not evidence of no change: see the interval)")
    return (f"After {_date_text(d.change)}, {d.metric} {per} {rising} "
            f"{abs(row['lift']) * 100:.0f}% {what} ({level:.0%} CI {format_pct(row['ci_low'])} to "
            f"{format_pct(row['ci_high'])}; p = {row['p_value']:.3g}): {sig}. That is about "
            f"{row['cumulative_effect']:+,.0f} {d.metric} over the {row['n_treatment']:,} posts "
            f"after the change.")


def before_after(
    posts: pd.DataFrame,
    change: Any,
    metric: str = "engagements",
    exposure: str | None = "impressions",
    method: str | Sequence[str] = "glm",
    window: int | tuple[int | None, int | None] | None = None,
    exclude: Any = None,
    controls: Sequence[str] | None = None,
    control_account: str | None = None,
    level: float = 0.95,
    *,
    account: str | None = None,
    robust: str = "week",
    lag: int | None = None,
    warn: bool = True,
) -> BeforeAfterResult:
    """Did ``metric`` per ``exposure`` change after the ``change`` date?

    Parameters
    ----------
    posts
        Canonical posts table (``toolkit.load(...).posts``; ``toolkit.engagement`` may have
        added ``engagements``). Several accounts are allowed with ``account=`` (and
        ``control_account=`` for ``did``).
    change
        First day of the new strategy, a calendar date (``"2024-07-01"``, a ``datetime.date``).
        The after period starts at 00:00 UTC of that date: posts published on or after it (UTC)
        are "after". A date written with a time zone keeps its calendar date
        (``"2024-07-01T00:00+02:00"`` is 1 July); a time of day other than midnight is an error,
        not rounded to a day.
    metric
        Count column to analyse (whole numbers, zero or more; a rate is an error).
        ``"engagements"`` uses that column when present, else the sum of the interaction counts
        the table has (likes, comments, shares, saves, clicks; a post missing one of them is left
        out, not counted as zero).
    exposure
        Column used as exposure (``log`` offset; rates are per 1,000 of it), or ``None`` to compare
        raw counts per post.
    method
        ``"glm"``, ``"its"``, ``"counterfactual"``, ``"did"``, or a list of them (one row each).
    window
        Days kept on each side of the change (1 or more): an int, a ``(before, after)`` pair
        (``None`` = all), or ``None`` for all data.
    exclude
        Days left out, e.g. a transition period: an int ``k >= 1`` drops the first ``k`` days from
        the change, a ``(start, end)`` pair of dates (inclusive, start <= end) or a date drops
        those days; or a list of these. A range outside the days analysed is an error.
    controls
        Control names: ``"weekday"``, ``"hour_band"``, ``"media_type"`` (the default),
        ``"followers"`` (log follower count), ``"trend"`` (a linear time trend), or any categorical
        column of ``posts``; ``[]`` for none. ``counterfactual`` uses ``weekday`` (a fixed weekly
        pattern) and ``trend`` (a deterministic trend in its level); ``its`` always fits a trend on
        weekly rates (weeks aligned to the change, so weekdays cancel); the others apply to the
        post-level models (``glm``, ``did``).
    control_account
        Account in ``posts`` that did not change (not the account analysed): used by ``did``, and
        as a covariate series by ``counterfactual``. Taken with :func:`toolkit.metrics.of_account`,
        as ``account`` is: an account without posts is an error listing the accounts there are.
    level
        Confidence level of the intervals.
    account
        Account to analyse when ``posts`` has several (default: the only one, or the only one
        besides ``control_account``).
    robust
        Standard errors of the count models: ``"week"`` (clustered by calendar week, Monday to
        Sunday in UTC, bias-reduced CR3, t with weeks-1 df; the default, calibrated in
        ``toolkit.calibration.before_after``), ``"4 weeks"`` (any ``"N weeks"``, N of 2 or more:
        clustered by blocks of N calendar weeks counted from the week of the change, t with
        blocks-1 df; for rates that run in good and bad spells lasting weeks, which make weekly
        clusters too narrow; at least :data:`MIN_BLOCKS` blocks; a control value whose posts all
        fall in one cluster is counted with its control's most common value, so the estimate can
        move a little with the clusters), ``"hac"`` (Newey-West in time order, normal
        reference; unless ``lag`` is given, the lag in posts spans ``round(2 n_days^(1/3))``
        days (``n_days``: days with posts), at least 7 and otherwise at most ``n_days / 4``, times
        the posts per such day) or
        ``"model"`` (no robustness, for comparison).
    lag
        Newey-West lag, a whole number >= 0 (posts for ``glm``/``did`` with ``robust="hac"``;
        weeks for ``its``, default 1).
    warn
        Emit :class:`~toolkit.errors.ConfoundWarning` when posting frequency, media mix or
        follower count changed sharply near the change date.

    Returns
    -------
    BeforeAfterResult
        ``.table`` has the standard columns plus ``level_change``, ``slope_change`` (relative change
        of the rate per 30 days, ``its``), ``cumulative_effect`` (extra metric counts over the after
        window: observed total minus total expected without the change, with
        ``cumulative_low``/``cumulative_high``), ``dispersion`` (NB2 theta, ``glm``/``did``),
        ``se_type``; ``.text``; ``.chart()``; ``.diagnostics`` (residual autocorrelation
        within and, for ``glm``/``did``, between weeks; pre-trend check, confound checks);
        ``.assumptions``; ``.placebo(n)``; ``.at_level(level)`` (the same result at another level,
        without refitting).

    Notes
    -----
    Assumptions of each method (``result.assumptions`` states them for the settings used:
    controls, ``robust``, ``lag``, control account):

    * glm: counts are negative binomial around exposure x rate; one multiplicative after-change
      shift; controls capture other differences; no trend apart from the change; posts in
      different weeks independent (week-clustered SEs, the default ``robust="week"``).
    * its: the weekly log rate is linear in time before the change; the change shifts level and
      slope; Newey-West SEs (lag 1 week unless ``lag`` is given, leverage-adjusted) allow
      autocorrelated weeks.
    * counterfactual: level + fixed weekly pattern + AR(1) day shocks fitted on the pre-period
      describe the counterfactual. The level is a constant (a line with ``"trend"``) unless it
      wanders: both a fixed and a random-walk level are fitted and the random walk is kept only
      when the likelihood-ratio statistic ``2 (llf_rw - llf_fixed)`` has p < 0.05 under the
      boundary null ``0.5 chi2(0) + 0.5 chi2(1)`` (deterministic: same data, same choice). A
      random-walk level that is not needed makes the forecast intervals grow with the horizon
      and too wide; one that is needed but left out makes them too narrow. Variances and the AR
      coefficient are treated as known.
    * did: parallel trends between the account and the control account; the control is unaffected.

    Examples
    --------
    >>> from toolkit.before_after import _demo_posts
    >>> r = before_after(_demo_posts(), change="2024-07-01", method=["glm", "its"])
    >>> r.table["method"].tolist()
    ['glm', 'its']
    >>> r.text.startswith("After 1 July 2024, engagements per 1,000 impressions rose")
    True
    """
    from toolkit import metrics  # noqa: PLC0415

    methods = name_list(method, "method", METHODS)
    if not methods:
        raise AnalysisError("method must name at least one method", parameter="method", found=[])
    for m in methods:
        if m not in METHODS:
            raise AnalysisError(f"method must be one of {list(METHODS)}", parameter="method", found=m)
    if len(set(methods)) < len(methods):
        raise AnalysisError("each method may be given once", parameter="method", found=methods)
    _check_level(level)
    if lag is not None and not is_whole(lag, 0):
        raise AnalysisError("lag must be a whole number, 0 or more (posts for glm/did, weeks for "
                            "its), or None for the default", parameter="lag", found=repr(lag))
    if robust not in _ROBUST and _block_weeks(robust) is None:
        raise AnalysisError(f"robust must be one of {list(_ROBUST)} or 'N weeks' (N a whole number, 2 "
                            "or more)", parameter="robust", found=robust)
    change_ts = _parse_date(change, "change")
    if not isinstance(posts, pd.DataFrame):
        raise AnalysisError("expected a posts DataFrame", parameter="posts", found=type(posts).__name__)
    ctrl, extra_cols = _check_controls(controls, posts)
    if control_account is not None:
        # named before the account analysed is chosen: an unknown control is the error to report
        metrics.of_account(posts, control_account, parameter="control_account")
        known = sorted(map(str, posts["account"].dropna().unique()))
        if account == control_account or (account is None and known == [str(control_account)]):
            raise AnalysisError("control_account must be another account than the one analysed",
                                parameter="control_account",
                                found=f"{control_account!r}; accounts: {known}")
    if account is None and "account" in posts.columns:
        accounts = [a for a in posts["account"].dropna().unique() if a != control_account]
        if len(accounts) > 1:
            raise AnalysisError("posts hold several accounts: choose one with account=",
                                parameter="account", found=sorted(map(str, accounts)))
        if control_account is not None and accounts:
            account = accounts[0]
    if "did" in methods and control_account is None:
        raise AnalysisError("method 'did' needs control_account= (an account in posts that did "
                            "not change)", parameter="control_account", found=None)
    d = _prepare(posts, change=change_ts, metric=metric, exposure=exposure, window=window,
                 exclude=exclude, account=account, extra_columns=extra_cols)
    control = None
    if control_account is not None:
        control = _prepare(posts, change=change_ts, metric=metric, exposure=exposure,
                           window=window, exclude=exclude, account=control_account,
                           extra_columns=extra_cols, parameter_account="control_account")
    fits, diags = {}, []
    for m in methods:
        out = fits[m] = _fit_method(m, d, ctrl, robust, lag, control)
        r1, q, pq = _ljung_box(out["resid"].to_numpy(float))
        diags.append({"method": m, "check": "residual autocorrelation (lag 1)", "statistic": r1,
                      "p_value": float("nan"),
                      "note": _lag1_note(m, robust)})
        diags.append({"method": m, "check": "Ljung-Box, lags 1-7", "statistic": q, "p_value": pq,
                      "note": ("small p: residual week-to-week structure left (its residuals are "
                               "weekly, so the lags are weeks)" if m == "its"
                               else "small p: residual day-to-day structure left")})
        if m in ("glm", "did"):
            rw, pw = _weekly_autocorrelation(out["resid"])
            diags.append({"method": m, "check": "residual autocorrelation between weeks (lag 1)",
                          "statistic": rw, "p_value": pw, "note": _spells_note(m, robust)})
    slope, p_trend = _pretrend(d, ctrl)
    diags.append({"method": "all", "check": "pre-trend (rate change per 30 days before the change)",
                  "statistic": slope, "p_value": p_trend,
                  "note": "small p: the rate was already moving before the change; prefer its or "
                          "counterfactual over glm"})
    confounds = _confounds(d)  # always in the diagnostics; warn= only adds Python warnings
    for msg in confounds:
        diags.append({"method": "all", "check": "confound", "statistic": float("nan"),
                      "p_value": float("nan"), "note": msg})
        if warn:
            warnings.warn(ConfoundWarning(msg + "; the before/after comparison mixes its effect "
                                          "with the change's"), stacklevel=2)
    call = {"controls": ctrl, "level": level, "robust": robust, "lag": lag, "control_data": control,
            "methods": methods, "control_account": control_account}
    return _result(d, fits, level=level, call=call, confounds=confounds, pretrend=(slope, p_trend),
                   diagnostics=pd.DataFrame(diags))


def _result(d: _Data, fits: dict[str, dict[str, Any]], *, level: float, call: dict[str, Any],
            confounds: list[str], pretrend: tuple[float, float],
            diagnostics: pd.DataFrame) -> BeforeAfterResult:
    """The result of the fitted methods at ``level``: intervals (:func:`_at_level`), table, text,
    assumptions and details. :func:`before_after` and :meth:`BeforeAfterResult.at_level` both
    build their result here, so a result re-levelled without refitting reads as a fresh one."""
    methods, control, control_account = call["methods"], call["control_data"], call["control_account"]
    fits = {m: _at_level(m, fits[m], level) for m in methods}
    rows = [fits[m]["row"] for m in methods]
    table = pd.DataFrame(rows)
    table = table[list(RESULT_COLUMNS) + [c for c in table.columns if c not in RESULT_COLUMNS]]
    texts = [_describe(r, d, level, control_account) for r in rows]
    if "its" in fits and fits["its"]["weekly"].attrs["partial"][0]:
        weeks, posts_cut = fits["its"]["weekly"].attrs["partial"]
        texts.append(f"its uses whole weeks only: {weeks} partial week{'s' if weeks != 1 else ''} "
                     f"(cut by the ends of the data or by excluded days; {posts_cut:,} posts) left out.")
    for m in methods:
        if fits[m].get("eventless"):
            values = "; ".join(f"{c.replace('_', ' ')} {', '.join(repr(v) for v in vs)}"
                               for c, vs in fits[m]["eventless"].items())
            n, n_control = fits[m]["eventless_posts"], fits[m].get("eventless_control", 0)
            control_part = (f" (and {n_control:,} of the control account's)" if n_control else "")
            texts.append(f"{m} left out {n:,} post{'' if n == 1 else 's'}{control_part} of control "
                         f"values with no {d.metric} on any post, whose effect has no finite estimate "
                         f"(the fit without them is its limit): {values}.")
    if d.left_out:
        # the followers control is the count models' own: the other methods used those posts
        by_model = [m for m in methods if m in ("glm", "did")]
        whose = {"missing followers": f"missing followers; {' and '.join(by_model)} only, for the "
                                      "followers control"} if len(by_model) < len(methods) else {}
        texts.append("Left out: " + ", ".join(f"{v:,} posts ({whose.get(k, k)})"
                                              for k, v in d.left_out.items()) + ".")
    if control is not None and {"did", "counterfactual"} & set(methods):
        used, gone = len(control.frame), dict(control.left_out)
        if "did" in fits:
            used = fits["did"]["control_posts"]
            if fits["did"]["control_outside"]:
                gone["outside the analysed account's dates"] = fits["did"]["control_outside"]
            if fits["did"]["control_missing"]:
                gone["missing followers"] = fits["did"]["control_missing"]
        texts.append(f"Control account {control_account!r}: {used:,} posts used"
                     + ("; left out: " + ", ".join(f"{v:,} posts ({k})" for k, v in gone.items())
                        if gone else "") + ".")
    slope, p_trend = pretrend
    if np.isfinite(p_trend) and p_trend < 1 - level:
        texts.append(f"Caution: the rate was already trending before the change "
                     f"({format_pct(slope, 1)} per 30 days, p = {p_trend:.3g}).")
    for msg in confounds:
        texts.append(f"Caution: {msg}.")
    zero_days = fits.get("counterfactual", {}).get("zero_days", 0.0)
    if zero_days > SPARSE_DAYS:
        texts.append(f"Caution: {d.metric} is 0 on {zero_days:.0%} of the days counterfactual models. Its "
                     "daily log rate, log((count + 0.5) / exposure), then follows the exposure more than "
                     "the rate, so its lift is biased and its interval unreliable: prefer glm for a "
                     "metric this sparse.")
    if call["robust"] in ("week", "model"):
        weekly = diagnostics[diagnostics["check"] == "residual autocorrelation between weeks (lag 1)"]
        spells = weekly[weekly["p_value"] < 0.05]
        if len(spells):
            found = ", ".join(f"{r['method']} r = {r['statistic']:.2f}, p = {r['p_value']:.2g}"
                              for _, r in spells.iterrows())
            errors = ("errors clustered by week treat weeks" if call["robust"] == "week"
                      else "model-based errors treat posts")
            texts.append(f"Caution: neighbouring weeks' residuals are correlated (lag 1: {found}): "
                         f"{errors} as independent and run too narrow when good and bad spells last "
                         "weeks; robust='4 weeks' clusters by 4-week blocks.")
    assumptions = " ".join(_assumptions(m, controls=call["controls"], robust=call["robust"], fit=fits[m],
                                        control_account=control_account, exposure=d.exposure)
                           for m in methods)
    details = {"data": d, "fits": fits, "confounds": confounds, "pretrend": pretrend,
               "paths": {m: fits[m]["path"] for m in methods},
               "call": {**call, "level": level}}
    if "counterfactual" in fits:
        details["pointwise"] = fits["counterfactual"]["pointwise"]
    return BeforeAfterResult(table=table, text=" ".join(texts), assumptions=assumptions,
                             level=level, details=details, diagnostics=diagnostics,
                             chart_builder=_chart)


def _chart(result: Result):
    from toolkit.charts.before_after import before_after_chart  # noqa: PLC0415

    return before_after_chart(result)


def _demo_posts(days: int = 240, posts_per_day: int = 3, change: str = "2024-07-01",
                lift: float = 0.25, seed: int = 1) -> pd.DataFrame:
    """A small canonical posts table with a planted lift, for examples and quick tests.

    Negative binomial engagements (theta 6) over impressions, weekday effects and AR(1) day shocks.
    """
    from toolkit.schema import POSTS, conform  # noqa: PLC0415

    rng = np.random.default_rng(seed)
    start = pd.Timestamp(change) - pd.Timedelta(days=days // 2)
    n = days * posts_per_day
    day = np.repeat(np.arange(days), posts_per_day)
    shock = np.zeros(days)
    for i in range(1, days):
        shock[i] = 0.5 * shock[i - 1] + rng.normal(0, 0.1)
    dates = start + pd.to_timedelta(day, unit="D")
    hours = rng.integers(7, 22, n)
    ts = dates + pd.to_timedelta(hours, unit="h")
    impressions = rng.lognormal(7.5, 0.5, n).round().astype(int) + 1
    wd = np.asarray(dates.day_of_week)
    rate = 0.03 * np.exp(0.1 * (wd >= 5) + shock[day]) * np.where(dates >= pd.Timestamp(change), 1 + lift, 1.0)
    mu = impressions * rate
    theta = 6.0
    likes = rng.negative_binomial(theta, theta / (theta + 0.8 * mu))
    comments = rng.poisson(0.2 * mu)
    frame = pd.DataFrame({
        "account": "demo", "platform": "x", "post_id": [f"p{i}" for i in range(n)],
        "published_at": pd.DatetimeIndex(ts).tz_localize("UTC"), "time_known": True,
        "media_type": rng.choice(["photo", "text", "link"], n), "impressions": impressions,
        "likes": likes, "comments": comments, "followers": 5000 + day * 3})
    return conform(frame, POSTS)
