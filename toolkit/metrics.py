"""Engagement metrics: counts, a weighted score, rates, and period or group aggregates.

Everything a chart, table or widget shows about "how engaged" a post or a period was is computed here,
under names defined once in this module (:data:`ENGAGEMENTS`, :data:`RATE_IMPRESSIONS`, ...) that
other modules import instead of spelling them.

The ladder of signals
---------------------
A like costs the audience one tap; a share puts the sharer's own name behind the post; a comment
takes words; a click leaves the platform for the account's own site, the first step towards a
sign-up or a sale. :data:`DEFAULT_WEIGHTS` encodes that ladder, ``like 1 < save 2 = share 2 <
comment 3 < click 4``, as the weighted engagement score. The weights are a convention, not an
estimate: equal steps keep the score easy to explain, and :func:`weight_sensitivity` shows how much
rankings and rates move under other weightings, so a conclusion that holds only for one set of
weights can be seen as such.

Missing values
--------------
Counts that an export does not have stay NA. A sum of counts (``engagements``, the weighted
score) leaves out the counts a post's export does not report at all, and is NA when a count its
export reports is missing on that post: a sum without it would be an undercount. Rates are NA
(never ``inf`` and never 0) when the numerator or the denominator is NA or the denominator is zero.

>>> import pandas as pd
>>> posts = pd.DataFrame({
...     "likes": pd.array([10, 4, None], dtype="Int64"),
...     "comments": pd.array([2, 0, None], dtype="Int64"),
...     "impressions": pd.array([100, 0, 50], dtype="Int64"),
... })
>>> out = engagement(posts)
>>> out[ENGAGEMENTS].tolist()
[12, 4, <NA>]
>>> out[RATE_IMPRESSIONS].tolist()
[0.12, <NA>, <NA>]
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence

import numpy as np
import pandas as pd

from toolkit.errors import AnalysisError, is_number, is_whole
from toolkit.schema import COUNT_COLUMNS, POSTS
from toolkit.schema import ENGAGEMENTS as _SCHEMA_ENGAGEMENTS

__all__ = [
    "ENGAGEMENTS",
    "ENGAGEMENTS_SOURCE",
    "WEIGHTED_ENGAGEMENT",
    "RATE_IMPRESSIONS",
    "RATE_REACH",
    "RATE_FOLLOWERS",
    "CLICK_THROUGH",
    "FOLLOWS_PER_IMPRESSION",
    "RATES",
    "METRIC_COLUMNS",
    "INTERACTION_COLUMNS",
    "DENOMINATORS",
    "DEFAULT_WEIGHTS",
    "ALTERNATIVE_WEIGHTS",
    "HOW",
    "DEFAULT_HOW",
    "PERIODS",
    "PERIOD",
    "N_POSTS",
    "N_USED",
    "VALUE",
    "CI_LOW",
    "CI_HIGH",
    "SHRUNK",
    "SPARSE",
    "WEEKDAY",
    "HOUR",
    "WEEKDAY_NAMES",
    "engagement",
    "weighted_engagement",
    "rate",
    "checked_counts",
    "metric_values",
    "aggregate",
    "side_by_side",
    "describe",
    "weekday_hour",
    "weekday_hour_cells",
    "top_posts",
    "weight_sensitivity",
    "ladder",
    "with_labels",
    "of_account",
    "one_account",
    "LADDER_SIGNALS",
    "LADDER_COLUMNS",
]

# ---------------------------------------------------------------------------------------------
# Column names added by engagement() (the vocabulary other modules import)
# ---------------------------------------------------------------------------------------------
#: Interactions per post: the export's own figure if it has one, else the sum of the counts present
#: (the canonical posts column of the same name, :data:`toolkit.schema.ENGAGEMENTS`, holds the
#: export's figure; :func:`engagement` fills its gaps).
ENGAGEMENTS = _SCHEMA_ENGAGEMENTS
#: Where :data:`ENGAGEMENTS` came from on each row: ``"export"`` or ``"sum"`` (NA when it is NA).
ENGAGEMENTS_SOURCE = "engagements_source"
#: The weighted engagement score (see :data:`DEFAULT_WEIGHTS`).
WEIGHTED_ENGAGEMENT = "weighted_engagement"
#: Engagements per impression.
RATE_IMPRESSIONS = "engagement_rate_impressions"
#: Engagements per person reached.
RATE_REACH = "engagement_rate_reach"
#: Engagements per follower at the time of the post.
RATE_FOLLOWERS = "engagement_rate_followers"
#: Clicks per impression (an opt-in signal: the reader chose to leave the feed).
CLICK_THROUGH = "click_through_rate"
#: New follows per impression (an opt-in signal: the reader chose to hear more).
FOLLOWS_PER_IMPRESSION = "follows_per_impression"

#: rate column -> (numerator, denominator)
RATES: Mapping[str, tuple[str, str]] = {
    RATE_IMPRESSIONS: (ENGAGEMENTS, "impressions"),
    RATE_REACH: (ENGAGEMENTS, "reach"),
    RATE_FOLLOWERS: (ENGAGEMENTS, "followers"),
    CLICK_THROUGH: ("clicks", "impressions"),
    FOLLOWS_PER_IMPRESSION: ("follows", "impressions"),
}

#: Interaction counts that make up :data:`ENGAGEMENTS` when the export gives no total of its own.
#: ``profile_visits`` and ``follows`` are kept out: they are reported as opt-in signals of their own.
INTERACTION_COLUMNS: tuple[str, ...] = ("likes", "comments", "shares", "saves", "clicks")

#: Every per-post metric a chart or widget can show (counts and engagement columns).
METRIC_COLUMNS: tuple[str, ...] = (
    ENGAGEMENTS, WEIGHTED_ENGAGEMENT, "likes", "comments", "shares", "saves", "clicks",
    "profile_visits", "follows", "impressions", "reach",
)

#: Exposures a rate can be taken over; ``None`` means per post.
DENOMINATORS: tuple[str | None, ...] = ("impressions", "reach", "followers", None)

#: like 1 < save 2 = share 2 < comment 3 < click 4: the ladder of effort and intent (module docstring).
DEFAULT_WEIGHTS: Mapping[str, float] = {"likes": 1, "saves": 2, "shares": 2, "comments": 3, "clicks": 4}

#: Alternative weightings for :func:`weight_sensitivity`.
ALTERNATIVE_WEIGHTS: Mapping[str, Mapping[str, float]] = {
    "ladder 1-2-3-4 (default)": DEFAULT_WEIGHTS,
    "equal (plain sum)": {"likes": 1, "saves": 1, "shares": 1, "comments": 1, "clicks": 1},
    "steep 1-4-9-16": {"likes": 1, "saves": 4, "shares": 4, "comments": 9, "clicks": 16},
    "likes only": {"likes": 1},
    "no likes": {"saves": 2, "shares": 2, "comments": 3, "clicks": 4},
}

# ---------------------------------------------------------------------------------------------
# Aggregates
# ---------------------------------------------------------------------------------------------
#: How a rate is aggregated over several posts, with the words every chart and table uses.
HOW: Mapping[str, str] = {
    "ratio_of_sums": "ratio of sums",
    "mean_of_ratios": "mean of per-post ratios",
    "sum": "sum",
}
#: The default aggregation: total interactions over total exposure, so a post with 10 impressions
#: does not weigh as much as one with 10,000.
DEFAULT_HOW = "ratio_of_sums"

#: Period names accepted by :func:`aggregate` and their pandas period codes.
PERIODS: Mapping[str, str] = {"day": "D", "week": "W", "month": "M", "quarter": "Q", "year": "Y"}

PERIOD = "period"
N_POSTS = "n_posts"
N_USED = "n_used"
VALUE = "value"
CI_LOW = "ci_low"
CI_HIGH = "ci_high"
SHRUNK = "shrunk"
SPARSE = "sparse"
WEEKDAY = "weekday"
HOUR = "hour"
WEEKDAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")

_Z95 = 1.959963984540054  # scipy.stats.norm.ppf(0.975)


def _count(posts: pd.DataFrame, column: str) -> pd.Series:
    """The column as a nullable numeric Series, all-NA when the table lacks it."""
    if column in posts.columns:
        values = posts[column]
        if not (pd.api.types.is_numeric_dtype(values) or values.isna().all()):
            raise AnalysisError("expected numeric counts", column=column, found=str(values.dtype))
        return values
    return pd.Series(pd.NA, index=posts.index, dtype="Int64")


def _whole(posts: pd.DataFrame, column: str) -> pd.arrays.IntegerArray:
    """The column as Int64 counts; see :func:`checked_counts` (nothing is silently rounded)."""
    counts = checked_counts(_count(posts, column), posts, parameter="posts", column=column)
    return pd.array(counts, dtype="Int64")


def _first_bad(values: pd.Series, bad: np.ndarray, posts: pd.DataFrame | None, kind: str = "") -> str:
    """How many values are flagged (``kind``: what is wrong with them, e.g. "negative"), and the
    first one with the post it is on, for error messages."""
    i = int(np.flatnonzero(bad)[0])
    where = (f"post {posts['post_id'].iloc[i]}" if posts is not None and "post_id" in posts.columns
             else f"row {i}")
    value = values.iloc[i]
    n = int(bad.sum())
    return (f"{n} {kind + ' ' if kind else ''}value{'s' if n != 1 else ''}, first "
            f"{value.item() if isinstance(value, np.generic) else value!r} on {where}")


def metric_values(posts: pd.DataFrame, metric: str) -> pd.Series:
    """The metric per post, as every analysis reads it: ``engagements`` and
    ``weighted_engagement`` as :func:`engagement` defines them (the export's own total where it has
    one, else the sum of the counts its export reports), any other metric as its column. Check
    the values with :func:`checked_counts`.

    >>> posts = pd.DataFrame({"likes": pd.array([3, 1], dtype="Int64"), "comments": pd.array([1, 0], dtype="Int64")})
    >>> metric_values(posts, "engagements").tolist(), metric_values(posts, "likes").tolist()
    ([4, 1], [3, 1])
    """
    if metric == ENGAGEMENTS and metric in posts.columns and posts[metric].notna().all():
        return posts[metric]  # the export's own totals on every row: engagement() would keep them
    if metric in (ENGAGEMENTS, WEIGHTED_ENGAGEMENT):
        return engagement(posts)[metric]
    if metric not in posts.columns:
        raise AnalysisError(f"metric must be a column of posts, {ENGAGEMENTS!r} or {WEIGHTED_ENGAGEMENT!r}",
                            parameter="metric", column=metric, found=sorted(map(str, posts.columns)))
    return posts[metric]


def checked_counts(values: pd.Series, posts: pd.DataFrame | None = None, *, parameter: str,
                   column: str | None = None) -> pd.Series:
    """``values`` as Float64 counts, checked: numbers, finite, whole and zero or more (NA allowed).

    Anything else raises :class:`~toolkit.errors.AnalysisError` naming ``parameter``/``column``,
    how many values are wrong and the first one with its post (``posts``' ``post_id``, else its
    position): a rate or an average is not a count, and a fraction is never rounded silently.

    >>> checked_counts(pd.Series([3, None, 0]), parameter="metric").tolist()
    [3.0, <NA>, 0.0]
    >>> checked_counts(pd.Series([3, 2.5, -1]), parameter="metric")
    Traceback (most recent call last):
    ...
    toolkit.errors.AnalysisError: parameter 'metric': expected counts (whole numbers, zero or more); a rate or an average is not a count: analyse the count with its exposure (found: 2 values, first 2.5 on row 1)
    """
    numbers = pd.to_numeric(values, errors="coerce").astype("Float64")
    text = np.asarray(values.notna() & numbers.isna())
    if text.any():
        raise AnalysisError("expected numeric counts", parameter=parameter, column=column,
                            found=_first_bad(values, text, posts))
    floats = numbers.to_numpy(dtype=float, na_value=np.nan)
    with np.errstate(invalid="ignore"):
        bad = ~np.isnan(floats) & ~(np.isfinite(floats) & (floats >= 0) & (np.floor(floats) == floats))
    if bad.any():
        raise AnalysisError("expected counts (whole numbers, zero or more); a rate or an average is "
                            "not a count: analyse the count with its exposure", parameter=parameter,
                            column=column, found=_first_bad(values, bad, posts))
    return numbers


def _na_sum(frame: pd.DataFrame) -> pd.Series:
    """Row sums skipping NA; NA when every value of the row is NA."""
    if frame.shape[1] == 0:
        return pd.Series(pd.NA, index=frame.index, dtype="Int64")
    return frame.sum(axis=1, min_count=1)


def _reported_sum(parts: pd.DataFrame, exports: Callable[[], np.ndarray]) -> pd.Series:
    """Row sums over the counts each post's export reports; NA when one of them is missing.

    A count an export does not report at all (no value on any post of the same ``source_file``,
    e.g. clicks in an Instagram file) is left out of its posts' sums. A count it reports but that
    is missing on one post makes that post's sum NA: a sum without it would be an undercount
    passed off as a total. Without ``source_file``, the posts of one account on one platform
    are taken as one export. ``exports()`` gives each post's export (:func:`_exports`); it is
    called only when some post lacks some of the counts.
    """
    total = _na_sum(parts)
    have = parts.notna()
    partial = have.any(axis=1) & ~have.all(axis=1)
    if not partial.any():
        return total
    reported = have.groupby(exports(), sort=False).transform("any")
    return total.mask((reported & ~have).any(axis=1))


def _exports(posts: pd.DataFrame) -> np.ndarray:
    """An integer per post naming its export: ``source_file``, else account and platform."""
    if "source_file" in posts.columns:
        return np.asarray(pd.factorize(posts["source_file"], use_na_sentinel=False)[0], dtype=np.intp)
    keys = [c for c in ("account", "platform") if c in posts.columns]
    if not keys:
        return np.zeros(len(posts), dtype=np.intp)
    return posts.groupby(keys, sort=False, dropna=False, observed=True).ngroup().to_numpy(dtype=np.intp)


def rate(numerator: pd.Series, denominator: pd.Series) -> pd.Series:
    """``numerator / denominator`` as Float64, NA where either is NA or the denominator is 0.

    >>> rate(pd.Series([1, 2, None, 3], dtype="Int64"), pd.Series([4, 0, 5, None], dtype="Int64")).tolist()
    [0.25, <NA>, <NA>, <NA>]
    """
    num = pd.array(numerator, dtype="Float64")
    den = pd.array(denominator, dtype="Float64")
    bad = den.isna() | (den <= 0) | num.isna()
    out = pd.Series(num, index=numerator.index, dtype="Float64")
    safe = pd.Series(den, index=numerator.index).mask(bad, 1.0)
    out = (out / safe).mask(bad)
    return out.astype("Float64")


#: the counts a weighting may weigh: a post's interactions, not its exposure
WEIGHTABLE: tuple[str, ...] = tuple(c for c in COUNT_COLUMNS if c not in ("impressions", "reach"))


def _check_weights(weights: Mapping[str, float]) -> dict[str, float]:
    """The weights as floats; an unknown count (``"like"`` for ``"likes"``, an exposure) or a
    weight that is no number is an error, not a score that silently leaves it out."""
    if not isinstance(weights, Mapping) or not weights:
        raise AnalysisError("weights must be a non-empty mapping of count column to weight",
                            parameter="weights", found=weights)
    out = {}
    for column, weight in weights.items():
        if column not in WEIGHTABLE:
            raise AnalysisError(f"weights are for the interaction counts {list(WEIGHTABLE)}",
                                parameter="weights", found=repr(column))
        if isinstance(weight, bool):
            raise AnalysisError("weights must be numbers", parameter="weights",
                                found=f"{column}: {weight!r}")
        try:
            w = float(weight)
        except (TypeError, ValueError):
            raise AnalysisError("weights must be numbers", parameter="weights",
                                found=f"{column}: {weight!r}") from None
        if not np.isfinite(w) or w < 0:
            raise AnalysisError("weights must be finite and zero or more", parameter="weights",
                                found=f"{column}: {weight!r}")
        out[column] = w
    return out


def weighted_engagement(posts: pd.DataFrame, weights: Mapping[str, float] = DEFAULT_WEIGHTS) -> pd.Series:
    """The weighted engagement score: ``sum(weight * count)`` over the counts present (Float64).

    Counts the post's export does not report (absent columns, or no value in its file) are left
    out; the score is NA when a count the export reports is missing on the post, or when all are.

    >>> posts = pd.DataFrame({"likes": pd.array([10, None], dtype="Int64"),
    ...                       "clicks": pd.array([1, None], dtype="Int64")})
    >>> weighted_engagement(posts).tolist()
    [14.0, <NA>]
    >>> weighted_engagement(posts, {"likes": 0.5, "clicks": 10}).tolist()
    [15.0, <NA>]
    """
    return _weighted(posts, _check_weights(weights), lambda: _exports(posts))


def _weighted(posts: pd.DataFrame, w: Mapping[str, float], exports: Callable[[], np.ndarray]) -> pd.Series:
    parts = pd.DataFrame({c: pd.array(_count(posts, c), dtype="Float64") * w[c] for c in w},
                         index=posts.index)
    return _reported_sum(parts, exports).astype("Float64")


def engagement(
    posts: pd.DataFrame,
    weights: Mapping[str, float] = DEFAULT_WEIGHTS,
    *,
    interactions: Sequence[str] = INTERACTION_COLUMNS,
    source_column: str = ENGAGEMENTS,
) -> pd.DataFrame:
    """A copy of ``posts`` with engagement counts, the weighted score and rates added.

    Parameters
    ----------
    posts
        A canonical posts table (or any frame with some of its count columns).
    weights
        Count column -> weight for :data:`WEIGHTED_ENGAGEMENT`; default :data:`DEFAULT_WEIGHTS`
        (like 1 < save 2 = share 2 < comment 3 < click 4).
    interactions
        Counts summed into :data:`ENGAGEMENTS` when the export has no total of its own.
    source_column
        If ``posts`` already has this column (a platform's own "engagements" figure, which may count
        things the export does not break out, such as media expansions), its non-NA values are kept
        and only its NA rows are filled with the sum of ``interactions``.

    Returns
    -------
    DataFrame
        ``posts`` plus :data:`ENGAGEMENTS` (Int64), :data:`ENGAGEMENTS_SOURCE`,
        :data:`WEIGHTED_ENGAGEMENT` (Float64) and every rate in :data:`RATES` (Float64; NA where the
        numerator or denominator is NA or the denominator is 0). The input is not modified.

    Examples
    --------
    >>> posts = pd.DataFrame({
    ...     "likes": pd.array([10, None, 3], dtype="Int64"),
    ...     "shares": pd.array([1, None, 0], dtype="Int64"),
    ...     "clicks": pd.array([2, None, 0], dtype="Int64"),
    ...     "impressions": pd.array([200, 100, None], dtype="Int64"),
    ...     "followers": pd.array([1000, 1000, 0], dtype="Int64"),
    ... })
    >>> out = engagement(posts)
    >>> out[ENGAGEMENTS].tolist(), out[WEIGHTED_ENGAGEMENT].tolist()
    ([13, <NA>, 3], [20.0, <NA>, 3.0])
    >>> out[RATE_IMPRESSIONS].tolist(), out[CLICK_THROUGH].tolist()
    ([0.065, <NA>, <NA>], [0.01, <NA>, <NA>])
    >>> out[RATE_FOLLOWERS].tolist()
    [0.013, <NA>, <NA>]
    """
    if not isinstance(posts, pd.DataFrame):
        raise AnalysisError("posts must be a pandas DataFrame", parameter="posts",
                            found=type(posts).__name__)
    w = _check_weights(weights)
    out = posts.copy()
    counted = pd.DataFrame({c: _whole(posts, c) for c in interactions},
                           index=posts.index)
    exports = functools.cache(lambda: _exports(posts))  # worked out once, if a sum needs it
    summed = _reported_sum(counted, exports).astype("Int64")
    source = pd.Series(pd.NA, index=posts.index, dtype="string")
    source = source.mask(summed.notna(), "sum")
    if source_column in posts.columns:
        given = _whole(posts, source_column)
        given = pd.Series(given, index=posts.index)
        summed = given.where(given.notna(), summed).astype("Int64")
        source = source.mask(given.notna(), "export")
    out[ENGAGEMENTS] = summed
    out[ENGAGEMENTS_SOURCE] = source
    out[WEIGHTED_ENGAGEMENT] = _weighted(posts, w, exports)
    for name, (num, den) in RATES.items():
        out[name] = rate(out[num] if num in out.columns else _count(posts, num), _count(posts, den))
    return out


def _ensure_metrics(posts: pd.DataFrame, columns: Sequence[str | None]) -> pd.DataFrame:
    """Add engagement columns when a requested column is one of them and is missing."""
    derived = {ENGAGEMENTS, WEIGHTED_ENGAGEMENT, *RATES}
    # A canonical posts table has an ``engagements`` column of its own (the export's figure, often
    # all NA); ENGAGEMENTS_SOURCE marks a table that has been through engagement().
    if any(c in derived for c in columns if c) and ENGAGEMENTS_SOURCE not in posts.columns:
        return engagement(posts)
    return posts


# ---------------------------------------------------------------------------------------------
# Aggregation
# ---------------------------------------------------------------------------------------------
def describe(metric: str, denominator: str | None = None, how: str = DEFAULT_HOW,
             by: str | None = None) -> str:
    """The words every chart title and table caption uses for an aggregate.

    >>> describe("engagements", "impressions")
    'engagements per impression (ratio of sums)'
    >>> describe("likes", None, by="week")
    'likes per post (mean per post, by week)'
    >>> describe("clicks", "reach", "mean_of_ratios", by="month")
    'clicks per reach (mean of per-post ratios, by month)'
    """
    if how not in HOW:
        raise AnalysisError(f"how must be one of {sorted(HOW)}", parameter="how", found=how)
    unit = {"impressions": "impression", "followers": "follower"}.get(denominator, denominator)
    if how == "sum":
        head, agg = f"total {metric}", "sum"
    elif denominator is None:
        head, agg = f"{metric} per post", "mean per post"
    else:
        head, agg = f"{metric} per {unit}", HOW[how]
    return f"{head} ({agg}{', by ' + by if by else ''})"


def _group_keys(posts: pd.DataFrame, by: str, tz: str) -> pd.Series:
    if by in PERIODS:
        times = _times(posts, tz)
        if by == "day":  # the local calendar day (where clocks skip midnight, floor("D") would fail)
            return times.dt.tz_localize(None).dt.normalize()
        return times.dt.tz_localize(None).dt.to_period(PERIODS[by]).dt.start_time
    if by == WEEKDAY:
        return _times(posts, tz).dt.day_of_week
    if by == HOUR:
        return _times(posts, tz).dt.hour.where(_time_known(posts))
    if by not in posts.columns:
        raise AnalysisError(
            f"by must be a period ({', '.join(PERIODS)}), 'weekday', 'hour' or a column of posts",
            parameter="by", found=by)
    return posts[by]


def _times(posts: pd.DataFrame, tz: str) -> pd.Series:
    if "published_at" not in posts.columns:
        raise AnalysisError("grouping by time needs a published_at column", column="published_at")
    times = posts["published_at"]
    if not pd.api.types.is_datetime64_any_dtype(times):  # e.g. text from a hand-made table
        try:
            times = pd.Series(pd.to_datetime(times, utc=True, format="ISO8601"),
                              index=posts.index).astype("datetime64[ns, UTC]")
        except (TypeError, ValueError) as exc:
            raise AnalysisError("published_at must hold dates and times", column="published_at",
                                found=str(exc).splitlines()[0].split(". You might")[0]) from None
    if times.dt.tz is None:
        times = times.dt.tz_localize("UTC")
    try:
        local = times.dt.tz_convert(tz)
    except (KeyError, ValueError, TypeError, IndexError) as exc:  # unknown or malformed zone names
        raise AnalysisError("tz must be a time zone name such as 'UTC' or 'Europe/Lisbon'",
                            parameter="tz", found=tz) from exc
    known = _time_known(posts)
    if known.all():
        return local
    # a date-only post (time_known False) is stored at midnight UTC of its day: it keeps that day
    # in any zone instead of moving to the day before west of Greenwich
    wall = times.dt.tz_convert("UTC").dt.tz_localize(None).dt.tz_localize(
        tz, ambiguous=np.ones(len(times), dtype=bool), nonexistent="shift_forward")
    return local.where(known, wall)


def _own_group(by: str | None) -> bool:
    """Whether posts without a value for ``by`` form a group of their own (NA key): yes for a
    grouping column; periods, weekdays and hours leave out posts without a (known) time, which
    have no place on the axis."""
    return by is not None and by not in PERIODS and by not in (WEEKDAY, HOUR)


def _time_known(posts: pd.DataFrame) -> pd.Series:
    if "time_known" in posts.columns:
        return posts["time_known"].fillna(False).astype(bool)
    return pd.Series(True, index=posts.index)


def _check_how(how: str) -> None:
    if how not in HOW:
        raise AnalysisError(f"how must be one of {sorted(HOW)}", parameter="how", found=how)


def _column(posts: pd.DataFrame, column: str, parameter: str) -> np.ndarray:
    if column not in posts.columns:
        raise AnalysisError("no such column in posts", parameter=parameter, column=column,
                            found=sorted(map(str, posts.columns)))
    values = posts[column]
    if not (pd.api.types.is_numeric_dtype(values) or values.isna().all()):
        raise AnalysisError("expected a numeric column", parameter=parameter, column=column,
                            found=str(values.dtype))
    return pd.array(values, dtype="Float64").to_numpy(dtype=float, na_value=np.nan)


def _summarise(keys, y: np.ndarray, d: np.ndarray | None, how: str, *, n_codes: int | None = None,
               keep_na: bool = False) -> pd.DataFrame:
    """Group sums -> value and normal-approximation CI; the core of aggregate() and weekday_hour().

    ``keys`` is array-like; groups come out sorted by key. NA keys are left out, or with
    ``keep_na`` form a group of their own (last). With ``n_codes``,
    ``keys`` are already integer codes ``0 .. n_codes - 1`` (-1 = left out) and every code gets a row;
    ``keys=None`` means one group. Sums use ``np.bincount``, so this is fast enough to run on every
    widget change.
    """
    if how == "sum":  # a total needs no exposure: a post missing one still counts
        d = None
    if keys is None:
        codes, uniques = np.zeros(len(y), dtype=np.intp), pd.RangeIndex(1)
    elif n_codes is not None:
        codes, uniques = np.asarray(keys, dtype=np.intp), pd.RangeIndex(n_codes)
    else:
        codes, uniques = pd.factorize(keys, sort=True, use_na_sentinel=not keep_na)
        codes = np.asarray(codes)
    k = len(uniques)
    valid = codes >= 0
    if d is None:
        used = ~np.isnan(y) & valid
        d_used = np.ones_like(y)
    else:
        used = ~np.isnan(y) & ~np.isnan(d) & (d > 0) & valid
        d_used = np.where(used, d, 0.0)
    c = np.where(valid, codes, 0)
    y0 = np.where(used, y, 0.0)
    d0 = np.where(used, d_used, 0.0)

    def total(weights):
        return np.bincount(c, weights=weights, minlength=k)[:k]

    n_posts = np.bincount(c[valid], minlength=k)[:k]
    n_used = total(used.astype(float))
    sy, sd = total(y0), total(d0)
    with np.errstate(invalid="ignore", divide="ignore"):
        if how == "sum":
            value = np.where(n_used > 0, sy, np.nan)
            se = np.full(k, np.nan)
        elif how == "mean_of_ratios" and d is not None:
            r = np.where(used, y0 / np.where(used, d_used, 1.0), 0.0)
            sr, srr = total(r), total(r * r)
            value = sr / n_used
            var = (srr - sr**2 / n_used) / (n_used - 1)
            se = np.sqrt(np.clip(var, 0, None) / n_used)
        else:  # ratio of sums (per post when d is None: sum y / n)
            value = sy / sd
            # Ratio-estimator variance (Cochran 1977, 6.9): residuals y - R d, robust to overdispersion.
            resid = total(y0 * y0) - 2 * value * total(y0 * d0) + value**2 * total(d0 * d0)
            dbar = sd / n_used
            se = np.sqrt(np.clip(resid, 0, None) / (n_used * (n_used - 1))) / dbar
        se = np.where(n_used >= 2, se, np.nan)
        lo = np.clip(value - _Z95 * se, 0, None)
        hi = value + _Z95 * se

    def nullable(values):
        return pd.array(np.where(np.isfinite(values), values, np.nan), dtype="Float64")

    out = pd.DataFrame({
        N_POSTS: n_posts.astype("int64"),
        N_USED: n_used.astype("int64"),
        "metric_total": sy,
        "denominator_total": sd if d is not None else n_used,
        VALUE: nullable(value),
        CI_LOW: nullable(lo),
        CI_HIGH: nullable(hi),
    }, index=pd.Index(uniques, name="key"))
    return out


def aggregate(
    posts: pd.DataFrame,
    by: str = "week",
    *,
    metric: str = ENGAGEMENTS,
    denominator: str | None = "impressions",
    how: str = DEFAULT_HOW,
    tz: str = "UTC",
    keys: np.ndarray | pd.Series | None = None,
) -> pd.DataFrame:
    """Aggregate a metric over periods or groups, saying how it aggregated.

    Parameters
    ----------
    posts
        Posts, with engagement columns (added by :func:`engagement` if a derived metric is asked for).
    by
        A period (``"day"``, ``"week"`` (weeks start on Monday), ``"month"``, ``"quarter"``,
        ``"year"``), ``"weekday"`` (0 = Monday), ``"hour"`` (posts whose time of day is unknown are
        left out), or any column of ``posts`` (``"media_type"``, ``"content_label"``, ``"account"``;
        posts without a value form a group with a missing key, shown as "(none)" in charts).
    metric
        The numerator: a count or engagement column.
    denominator
        The exposure (``"impressions"``, ``"reach"``, ``"followers"``) or ``None`` for "per post".
    how
        ``"ratio_of_sums"`` (default): ``sum(metric) / sum(denominator)`` over the posts where both
        are present and the denominator is positive; the CI uses the ratio-estimator variance.
        ``"mean_of_ratios"``: the mean of the per-post ratios, each post weighing the same, with a
        normal interval. ``"sum"``: the total of the metric over the posts that have it (no
        interval; the denominator is not used).
        The two ratios differ when small posts have unusual rates; the chart titles name the one used.
    tz
        Time zone in which days, weeks, weekdays and hours are cut (default UTC).
    keys
        Group keys already computed for ``by`` (one per row of ``posts``), e.g. cached by a widget;
        by default they are computed from ``posts``.

    Returns
    -------
    DataFrame
        One row per group: the key (column ``period`` for periods, else the name of ``by``),
        ``n_posts``, ``n_used`` (posts with both values present), ``metric_total``,
        ``denominator_total``, ``value``, ``ci_low``, ``ci_high`` (95%, normal approximation,
        NA below two posts), ``how``. ``.attrs["description"]`` holds :func:`describe`'s words.

    Examples
    --------
    Two posts in one week: 10 of 100 and 1 of 1 impressions.

    >>> posts = pd.DataFrame({
    ...     "published_at": pd.to_datetime(["2024-01-01 09:00", "2024-01-02 10:00"], utc=True),
    ...     "likes": pd.array([10, 1], dtype="Int64"),
    ...     "impressions": pd.array([100, 1], dtype="Int64")})
    >>> aggregate(posts, "week", metric="likes")[["period", "n_used", "value"]]
          period  n_used     value
    0 2024-01-01       2  0.108911
    >>> float(aggregate(posts, "week", metric="likes", how="mean_of_ratios")["value"].iloc[0])
    0.55
    """
    _check_how(how)
    if denominator is not None and denominator not in DENOMINATORS and denominator not in posts.columns:
        raise AnalysisError("denominator must be an exposure column or None", parameter="denominator",
                            found=denominator)
    posts = _ensure_metrics(posts, [metric, denominator])
    y = _column(posts, metric, "metric")
    d = None if denominator is None else _column(posts, denominator, "denominator")
    if keys is None:
        keys = _group_keys(posts, by, tz)
    elif len(keys) != len(posts):
        raise AnalysisError("keys must have one value per post", parameter="keys",
                            found=f"{len(keys)} keys for {len(posts)} posts")
    key_name = PERIOD if by in PERIODS else by
    out = _summarise(keys, y, d, how, keep_na=_own_group(by))
    out.index.name = key_name
    out = out.reset_index()
    out["how"] = how
    out.attrs["description"] = describe(metric, denominator, how, by)
    if by == HOUR:  # hours as whole numbers (NA-aware), and the date-only posts said
        out[key_name] = out[key_name].astype("Int64")
        untimed = int((~_time_known(posts)).sum())
        if untimed:
            out.attrs["description"] += (f"; {untimed:,} post{'' if untimed == 1 else 's'} with a date "
                                         "but no time of day left out")
        out.attrs["left_out_untimed"] = untimed
    return out


def side_by_side(
    posts: pd.DataFrame,
    by: str,
    measures: Mapping[str, Mapping[str, object]],
    *,
    interval_for: str | None = None,
    tz: str = "UTC",
) -> pd.DataFrame:
    """Several aggregates of the same groups as the columns of one table.

    Parameters
    ----------
    posts, by, tz
        As for :func:`aggregate`.
    measures
        Column name -> the keywords of :func:`aggregate` that compute it (``metric``,
        ``denominator``, ``how``), plus an optional ``per``: a factor to show the value per
        ``per`` units (``per=1000`` for "per 1,000 followers").
    interval_for
        The measure whose 95% interval is shown (``ci_low``, ``ci_high``, right after it);
        default the first. Intervals are scaled by ``per`` like their value.

    Returns
    -------
    DataFrame
        One row per group: the key, ``n_posts``, then one column per measure.
        ``.attrs["description"]`` names what each column is (:func:`describe`).

    Examples
    --------
    >>> posts = pd.DataFrame({
    ...     "published_at": pd.to_datetime(["2024-01-01 09:00", "2024-01-02 10:00"], utc=True),
    ...     "likes": pd.array([10, 1], dtype="Int64"),
    ...     "impressions": pd.array([100, 1], dtype="Int64")})
    >>> side_by_side(posts, "year", {
    ...     "ratio_of_sums": dict(metric="likes"),
    ...     "mean_of_ratios": dict(metric="likes", how="mean_of_ratios"),
    ...     "likes_per_1000": dict(metric="likes", per=1000)})[["period", "ratio_of_sums", "mean_of_ratios", "likes_per_1000"]]
          period  ratio_of_sums  mean_of_ratios  likes_per_1000
    0 2024-01-01       0.108911            0.55      108.910891
    """
    if not measures:
        raise AnalysisError("name at least one measure", parameter="measures", found=dict(measures))
    names = list(measures)
    interval_for = names[0] if interval_for is None else interval_for
    if interval_for not in measures:
        raise AnalysisError(f"interval_for must be one of the measures {names}",
                            parameter="interval_for", found=interval_for)
    posts = _ensure_metrics(posts, [spec.get("metric", ENGAGEMENTS) for spec in measures.values()])  # once
    keys = _group_keys(posts, by, tz)
    table, described = None, []
    for name, spec in measures.items():
        spec = dict(spec)
        per = spec.pop("per", 1)
        unknown = set(spec) - {"metric", "denominator", "how"}
        if unknown:
            raise AnalysisError("a measure takes metric, denominator, how and per",
                                parameter=f"measures[{name!r}]", found=sorted(unknown))
        if not isinstance(per, (int, float)) or not per > 0:
            raise AnalysisError("per must be a number > 0", parameter=f"measures[{name!r}]", found=per)
        out = aggregate(posts, by, keys=keys, tz=tz, **spec)
        key = out.columns[0]
        if table is None:
            table = out[[key, N_POSTS]].copy()
        table[name] = out[VALUE] * per
        if name == interval_for:
            table[CI_LOW], table[CI_HIGH] = out[CI_LOW] * per, out[CI_HIGH] * per
        described.append(f"{name}: {out.attrs['description']}" + (f", x {per:g}" if per != 1 else ""))
    table.attrs["description"] = "; ".join(described)
    return table


def weekday_hour(
    posts: pd.DataFrame,
    *,
    metric: str = ENGAGEMENTS,
    denominator: str | None = "impressions",
    how: str = DEFAULT_HOW,
    min_posts: int = 5,
    prior_posts: float = 10.0,
    tz: str = "UTC",
) -> pd.DataFrame:
    """The metric by weekday x hour, with n, intervals, shrinkage, and sparse cells flagged.

    A cell with two posts can show any rate by chance, so each cell carries its number of posts,
    a 95% interval (as in :func:`aggregate`), a ``sparse`` flag (fewer than ``min_posts`` posts) and a
    ``shrunk`` value: the cell's rate pulled towards the overall rate as if ``prior_posts`` average
    posts at the overall rate had been added to it (``(Y + k r0 dbar) / (D + k dbar)`` for a ratio of
    sums). Busy cells barely move; sparse ones move most of the way to the overall rate. Posts whose
    time of day is unknown (``time_known`` False) are left out.

    Returns all 7 x 24 cells (empty ones with n_posts 0 and the overall value as ``shrunk``).

    >>> posts = pd.DataFrame({
    ...     "published_at": pd.to_datetime(["2024-01-01 09:00", "2024-01-01 09:30",
    ...                                     "2024-01-02 18:00"], utc=True),
    ...     "likes": pd.array([10, 30, 1], dtype="Int64"),
    ...     "impressions": pd.array([100, 100, 100], dtype="Int64")})
    >>> cells = weekday_hour(posts, metric="likes", prior_posts=1)
    >>> len(cells)
    168
    >>> busy = cells[cells["n_posts"] > 0]
    >>> busy[["weekday", "hour", "n_posts"]].values.tolist()
    [['Mon', 9, 2], ['Tue', 18, 1]]
    >>> busy["value"].tolist(), busy["shrunk"].round(4).tolist(), busy["sparse"].tolist()
    ([0.2, 0.01], [0.1789, 0.0733], [True, True])
    """
    _check_how(how)
    if how == "sum":
        raise AnalysisError("a weekday x hour view compares rates; use ratio_of_sums or mean_of_ratios",
                            parameter="how", found=how)
    _check_shrinkage(min_posts, prior_posts)
    posts = _ensure_metrics(posts, [metric, denominator])
    known = _time_known(posts).to_numpy()
    times = _times(posts, tz)
    cell = np.where(known, (times.dt.day_of_week * 24 + times.dt.hour).to_numpy(), -1)
    y = _column(posts, metric, "metric")
    d = None if denominator is None else _column(posts, denominator, "denominator")
    out = weekday_hour_cells(cell, y, d, how=how, min_posts=min_posts, prior_posts=prior_posts)
    out.attrs["description"] = describe(metric, denominator, how, "weekday x hour")
    return out


def _check_shrinkage(min_posts: object, prior_posts: object) -> None:
    if not is_whole(min_posts, 0):
        raise AnalysisError("min_posts must be a whole number of posts, 0 or more",
                            parameter="min_posts", found=repr(min_posts))
    if not (is_number(prior_posts) and prior_posts >= 0):
        # a negative prior would push sparse cells away from the overall rate, not towards it
        raise AnalysisError("prior_posts must be a number of posts, 0 or more",
                            parameter="prior_posts", found=repr(prior_posts))


def weekday_hour_cells(
    cell: np.ndarray,
    y: np.ndarray,
    d: np.ndarray | None,
    *,
    how: str = DEFAULT_HOW,
    min_posts: int = 5,
    prior_posts: float = 10.0,
) -> pd.DataFrame:
    """:func:`weekday_hour` from precomputed arrays: ``cell = weekday * 24 + hour`` (-1 = unknown
    time of day, left out), metric ``y`` and exposure ``d`` (None for per post) as float arrays.

    >>> weekday_hour_cells(np.array([0, 0, -1]), np.array([1.0, 3.0, 9.0]), None)["value"].iloc[0]
    np.float64(2.0)
    """
    _check_how(how)
    _check_shrinkage(min_posts, prior_posts)
    known = np.asarray(cell) >= 0
    cell, y = np.asarray(cell)[known], np.asarray(y, dtype=float)[known]
    d = None if d is None else np.asarray(d, dtype=float)[known]
    cells = _summarise(cell, y, d, how, n_codes=168)
    overall = _summarise(None, y, d, how)
    r0 = float(overall[VALUE].iloc[0]) if len(overall) and pd.notna(overall[VALUE].iloc[0]) else np.nan
    k = float(prior_posts)
    n_used = cells[N_USED].fillna(0).to_numpy(dtype=float)
    val = cells[VALUE].to_numpy(dtype=float, na_value=np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        if how == "mean_of_ratios" and d is not None:
            total = np.where(n_used > 0, val * n_used, 0.0)
            shrunk = (total + k * r0) / (n_used + k)
        else:
            n0 = float(overall[N_USED].iloc[0]) if len(overall) else 0.0
            dbar = float(overall["denominator_total"].iloc[0]) / n0 if n0 else np.nan
            ytot = cells["metric_total"].fillna(0).to_numpy(dtype=float)
            dtot = cells["denominator_total"].fillna(0).to_numpy(dtype=float)
            shrunk = (ytot + k * r0 * dbar) / (dtot + k * dbar)
    out = pd.DataFrame({
        WEEKDAY: pd.Categorical.from_codes(np.arange(168) // 24, categories=list(WEEKDAY_NAMES),
                                           ordered=True),
        HOUR: np.arange(168) % 24,
        N_POSTS: cells[N_POSTS].fillna(0).astype("int64").to_numpy(),
        N_USED: n_used.astype("int64"),
        VALUE: cells[VALUE].array,
        CI_LOW: cells[CI_LOW].array,
        CI_HIGH: cells[CI_HIGH].array,
        SHRUNK: pd.array(np.where(np.isfinite(shrunk), shrunk, np.nan), dtype="Float64"),
        SPARSE: n_used < min_posts,
    })
    out["how"] = how
    out.attrs["overall"] = r0
    return out


def top_posts(
    posts: pd.DataFrame,
    *,
    metric: str = ENGAGEMENTS,
    denominator: str | None = None,
    n: int = 10,
    bottom: bool = False,
    min_exposure: float = 0,
) -> pd.DataFrame:
    """The ``n`` best (or worst) posts by a metric or a per-post rate.

    Posts whose metric (or rate) is NA are left out, and with a ``denominator`` so are posts whose
    exposure is below ``min_exposure`` (a post seen 3 times can have a 67% rate by chance).

    >>> posts = pd.DataFrame({"post_id": ["a", "b", "c"],
    ...     "likes": pd.array([5, 50, None], dtype="Int64"),
    ...     "impressions": pd.array([10, 1000, 100], dtype="Int64")})
    >>> top_posts(posts, metric="likes", n=1)["post_id"].tolist()
    ['b']
    >>> top_posts(posts, metric="likes", denominator="impressions", n=1)["post_id"].tolist()
    ['a']
    >>> top_posts(posts, metric="likes", denominator="impressions", n=1, min_exposure=100)["post_id"].tolist()
    ['b']
    """
    if not is_whole(n, 1):
        raise AnalysisError("n must be a whole number of posts, 1 or more", parameter="n",
                            found=repr(n))
    posts = _ensure_metrics(posts, [metric, denominator])
    if metric not in posts.columns:
        raise AnalysisError("no such column in posts", parameter="metric", found=metric)
    value = _column(posts, metric, "metric")
    name = metric
    if denominator is not None:
        den = _column(posts, denominator, "denominator")
        with np.errstate(invalid="ignore", divide="ignore"):
            value = np.where(den > 0, value / np.where(den > 0, den, 1.0), np.nan)
        name = f"{metric} per {denominator}"
        value = np.where(den >= min_exposure, value, np.nan)
    keep = np.flatnonzero(~np.isnan(value))
    score = value[keep] if bottom else -value[keep]  # smallest score first
    if 0 < n < len(score):
        # only the candidates up to the n-th score (ties included) need a full, stable sort
        cut = np.partition(score, n - 1)[n - 1]
        keep, score = keep[score <= cut], score[score <= cut]
    rows = keep[np.argsort(score, kind="stable")[:max(n, 0)]]  # ties stay in table order
    shown = [c for c in ("account", "platform", "post_id", "published_at", "media_type", "content_label",
                         "text", metric, denominator) if c and c in posts.columns]
    out = posts.iloc[rows][list(dict.fromkeys(shown))].copy()
    if denominator is not None:
        out[name] = pd.array(value[rows], dtype="Float64")
    if "text" in out.columns:
        out["text"] = out["text"].str.slice(0, 80)
    return out.reset_index(drop=True)


def _ranked(keys: list[str], values: np.ndarray, order: list[int]) -> str:
    """Groups from highest to lowest value, ``=`` between equal values (a weighting of 0 ties them).

    >>> _ranked(["a", "b", "c"], np.array([0.2, 0.0, 0.0]), [0, 1, 2])
    'a > b = c'
    """
    out = keys[order[0]] if order else ""
    for prev, i in zip(order, order[1:]):
        out += (" = " if np.isclose(values[i], values[prev], rtol=1e-12, atol=0.0) else " > ") + keys[i]
    return out


def weight_sensitivity(
    posts: pd.DataFrame,
    alternatives: Mapping[str, Mapping[str, float]] = ALTERNATIVE_WEIGHTS,
    *,
    denominator: str | None = "impressions",
    by: str | None = "content_label",
    top: int = 20,
    baseline: str | None = None,
) -> pd.DataFrame:
    """How rankings and rates change under other weightings of the engagement ladder.

    For each weighting: the overall weighted rate (ratio of sums), the Spearman correlation of the
    per-post weighted rates with those of the baseline weighting, the share of the baseline's top
    ``top`` posts that stay in the top ``top``, and, with ``by``, the weighted rate of each group and
    the groups in order of that rate. If the group order or the top posts change between rows, the
    conclusion depends on the weights.

    Parameters
    ----------
    alternatives
        Name -> weights; the first one (or ``baseline``) is the reference.

    >>> posts = pd.DataFrame({"likes": pd.array([100, 10, 50], dtype="Int64"),
    ...     "clicks": pd.array([0, 20, 5], dtype="Int64"),
    ...     "impressions": pd.array([1000, 1000, 1000], dtype="Int64"),
    ...     "content_label": ["brand", "personal", "brand"]})
    >>> t = weight_sensitivity(posts, {"ladder": DEFAULT_WEIGHTS, "likes only": {"likes": 1}}, top=1)
    >>> t[["weights", "spearman_vs_baseline", "top_overlap", "order"]]
          weights  spearman_vs_baseline  top_overlap             order
    0      ladder                   1.0          1.0  personal > brand
    1  likes only                   0.5          1.0  brand > personal
    """
    if not alternatives:
        raise AnalysisError("alternatives must name at least one weighting", parameter="alternatives")
    if not is_whole(top, 1):
        raise AnalysisError("top must be a whole number of posts, 1 or more", parameter="top",
                            found=repr(top))
    names = list(alternatives)
    base = baseline if baseline is not None else names[0]
    if base not in alternatives:
        raise AnalysisError("baseline must be one of the alternatives", parameter="baseline", found=base)
    for parameter, column in (("denominator", denominator), ("by", by)):
        # a canonical column an export lacks leaves the rates (or groups) empty, as data do; a
        # name that is no column at all is a typo, which gave a table of NaN
        if column is not None and column not in posts.columns and column not in POSTS:
            raise AnalysisError("no such column in posts", parameter=parameter, column=column,
                                found=sorted(map(str, posts.columns)))
    from scipy.stats import rankdata

    # plain arrays once (NaN = missing): the rankings are recomputed on every widget change
    checked = {name: _check_weights(w) for name, w in alternatives.items()}
    columns = sorted({c for w in checked.values() for c in w})
    counts = {c: pd.array(_count(posts, c), dtype="Float64").to_numpy(dtype=float, na_value=np.nan)
              for c in columns}
    d = (pd.array(_count(posts, denominator), dtype="Float64").to_numpy(dtype=float, na_value=np.nan)
         if denominator else np.ones(len(posts)))
    d_ok = ~np.isnan(d) & (d > 0)
    if by is not None and by in posts.columns:
        codes, uniques = pd.factorize(posts[by], sort=True, use_na_sentinel=True)
        codes = np.asarray(codes)
        keys = [str(k) for k in uniques]
    else:
        codes, keys = None, []

    # which counts each post's export reports (see _reported_sum)
    files = _exports(posts)
    reported = {c: (np.bincount(files, weights=~np.isnan(x), minlength=files.max(initial=0) + 1) > 0)[files]
                for c, x in counts.items()}

    def score(w: Mapping[str, float]) -> np.ndarray:
        # weighted_engagement(): sum over the counts present, NA when every named count is NA or
        # a count the post's export reports is missing on it
        total = np.zeros(len(posts))
        seen = np.zeros(len(posts), dtype=bool)
        gap = np.zeros(len(posts), dtype=bool)
        for c, weight in w.items():
            x = counts[c]
            has = ~np.isnan(x)
            total += np.where(has, x * weight, 0.0)
            seen |= has
            gap |= reported[c] & ~has
        return np.where(seen & ~gap, total, np.nan)

    def ratios(num: np.ndarray) -> tuple[float, np.ndarray]:
        # _ratio(): sums over rows where both are present and the denominator is positive
        used = ~np.isnan(num) & d_ok
        y, e = np.where(used, num, 0.0), np.where(used, d, 0.0)
        overall = float(y.sum()) / float(e.sum()) if e.sum() > 0 else np.nan
        if codes is None:
            return overall, np.array([])
        ok = codes >= 0
        gy = np.bincount(codes[ok], weights=y[ok], minlength=len(keys))
        ge = np.bincount(codes[ok], weights=e[ok], minlength=len(keys))
        with np.errstate(invalid="ignore", divide="ignore"):
            return overall, np.where(ge > 0, gy / np.where(ge > 0, ge, 1.0), np.nan)

    def top_set(r: np.ndarray) -> set:
        valid = np.flatnonzero(~np.isnan(r))
        neg = -r[valid]
        if 0 < top < len(neg):  # only candidates up to the top-th value (ties included) need sorting
            keep = neg <= np.partition(neg, top - 1)[top - 1]
            valid, neg = valid[keep], neg[keep]
        # descending, ties in table order (as a stable pandas sort_values(ascending=False))
        return set(valid[np.argsort(neg, kind="stable")[:max(top, 0)]].tolist())

    scores = {name: score(w) for name, w in checked.items()}
    with np.errstate(invalid="ignore", divide="ignore"):
        rates = {name: np.where(d_ok & ~np.isnan(sc), sc / np.where(d_ok, d, 1.0), np.nan)
                 for name, sc in scores.items()}
    base_rate = rates[base]
    base_valid = ~np.isnan(base_rate)
    base_top = top_set(base_rate)
    base_ranks = None
    rows = []
    for name in names:
        r = rates[name]
        both = base_valid & ~np.isnan(r)
        spearman = np.nan
        if both.sum() >= 3:
            if base_ranks is None or not np.array_equal(both, base_ranks[0]):
                base_ranks = (both, rankdata(base_rate[both]))
            ranks = rankdata(r[both])
            if np.ptp(ranks) > 0 and np.ptp(base_ranks[1]) > 0:
                spearman = float(np.corrcoef(base_ranks[1], ranks)[0, 1])
        overall, groups = ratios(scores[name])
        row = {
            "weights": name,
            "definition": ", ".join(f"{k} {v:g}" for k, v in alternatives[name].items()),
            "rate": overall,
            "spearman_vs_baseline": spearman,
            "top_overlap": len(top_set(r) & base_top) / len(base_top) if base_top else np.nan,
        }
        if codes is not None:
            row.update({f"rate[{k}]": float(v) for k, v in zip(keys, groups)})
            order = sorted((i for i in range(len(keys)) if not np.isnan(groups[i])), key=lambda i: -groups[i])
            row["order"] = _ranked(keys, groups, order)
        rows.append(row)
    out = pd.DataFrame(rows)
    out.attrs["description"] = describe("weighted engagement", denominator, "ratio_of_sums")
    return out


def _ratio(numerator: pd.Series, denominator: pd.Series) -> float:
    num = pd.array(numerator, dtype="Float64")
    den = pd.array(denominator, dtype="Float64")
    used = ~(num.isna() | den.isna()) & (den > 0)
    total = float(den[used].sum()) if used.any() else 0.0
    return float(num[used].sum()) / total if total > 0 else np.nan


#: The signals of the ladder, weakest first (see the module docstring).
LADDER_SIGNALS: tuple[str, ...] = ("likes", "saves", "shares", "comments", "clicks", "follows")


#: Columns of :func:`ladder`'s table (after the group column, when there is one).
LADDER_COLUMNS: tuple[str, ...] = ("signal", "weight", "total", "per_1000_impressions", "share_of_interactions",
                                   "weighted_per_1000", "share_of_score")


def _per_post_sum(columns: list[np.ndarray]) -> np.ndarray:
    """Per post, the sum of the columns it has a value in (NaN where it has none)."""
    if not columns:
        return np.array([])
    stack = np.vstack(columns)
    return np.where(np.isnan(stack).all(axis=0), np.nan, np.nansum(stack, axis=0))


def ladder(posts: pd.DataFrame, by: str | None = None, *,
           weights: Mapping[str, float] = DEFAULT_WEIGHTS) -> pd.DataFrame:
    """Each rung of the ladder (likes ... clicks, follows) per 1,000 impressions, and its share.

    Per 1,000 impressions is a ratio of sums over the posts where both the signal and impressions
    are present. ``share_of_interactions`` is the signal's part of the interactions
    (:data:`INTERACTION_COLUMNS`) of the posts that count it; follows are not interactions, so
    their share is NA. Signals an export does not have (all NA, overall or within a group) are
    left out. When every post counts the same signals, the shares add up to 1; when exports that
    lack a signal are pooled (X counts no saves), each share is taken over the posts that count
    its signal, so that one account's saves are not divided by another's likes.

    With ``weights`` (default :data:`DEFAULT_WEIGHTS`): ``weight`` is the signal's weight (NA for a
    signal the weights do not name, such as follows), ``weighted_per_1000 = weight *
    per_1000_impressions`` is what the rung adds to the weighted engagement score per 1,000
    impressions, and ``share_of_score`` is the rung's part of the weighted score of the posts
    that count it (``weight * total / sum(weight * count)`` over their weighted interaction
    signals; NA when that sum is 0).

    >>> posts = pd.DataFrame({"likes": pd.array([90, 10], dtype="Int64"),
    ...     "clicks": pd.array([5, 5], dtype="Int64"), "impressions": pd.array([1000, 1000], dtype="Int64")})
    >>> ladder(posts)[["signal", "weight", "per_1000_impressions", "weighted_per_1000"]].values.tolist()
    [['likes', 1.0, 50.0, 50.0], ['clicks', 4.0, 5.0, 20.0]]
    >>> ladder(posts, weights={"likes": 1, "clicks": 10})["share_of_score"].round(3).tolist()
    [0.5, 0.5]
    >>> pooled = posts.assign(saves=pd.array([10, None], dtype="Int64"))  # the second counts no saves
    >>> ladder(pooled).set_index("signal")["share_of_interactions"].round(3).to_dict()
    {'likes': 0.833, 'saves': 0.095, 'clicks': 0.083}
    """
    w = _check_weights(weights)
    keys = None if by is None else _group_keys(posts, by, "UTC")
    own_group = _own_group(by)  # posts without a value in a grouping column, as in aggregate()
    imp = _column(posts, "impressions", "impressions") if "impressions" in posts.columns else None
    parts = []
    counts = {}  # signal -> its per-post counts (NaN where the post's export lacks it)
    for signal in LADDER_SIGNALS:
        if signal not in posts.columns or posts[signal].isna().all():
            continue
        y = counts[signal] = _column(posts, signal, "signal")
        if keys is None:  # one group: plain numpy, as a widget recomputes this on every filter change
            has = ~np.isnan(y)
            total = np.array([y[has].sum()])
            index = pd.RangeIndex(1)
            if imp is None:
                per_1000 = np.array([np.nan])
            else:
                used = has & ~np.isnan(imp) & (imp > 0)
                den = imp[used].sum()
                per_1000 = np.array([1000 * y[used].sum() / den if den > 0 else np.nan])
        else:
            total_tab = _summarise(keys, y, None, "sum", keep_na=own_group)
            total, index = total_tab[VALUE].to_numpy(dtype=float, na_value=np.nan), total_tab.index
            per_1000 = (1000 * _summarise(keys, y, imp, "ratio_of_sums", keep_na=own_group)[VALUE].reindex(index)
                        .to_numpy(dtype=float, na_value=np.nan) if imp is not None else np.nan)
        parts.append(pd.DataFrame({
            "signal": signal, "weight": float(w.get(signal, np.nan)), "total": total,
            "per_1000_impressions": per_1000}, index=index))
    if parts:
        # each post's interactions and weighted score, over the signals its export counts
        interacting = [s for s in counts if s in INTERACTION_COLUMNS]
        interactions = _per_post_sum([counts[s] for s in interacting])
        score = _per_post_sum([w[s] * counts[s] for s in interacting if s in w])

        def over_posts_counting(signal, values, index):  # their sum over the posts that count signal
            values = np.where(np.isnan(counts[signal]), np.nan, values)
            if keys is None:
                return np.array([np.nansum(values) if (~np.isnan(values)).any() else np.nan])
            return _summarise(keys, values, None, "sum", keep_na=own_group)[VALUE].reindex(index).to_numpy(
                dtype=float, na_value=np.nan)

        for part in parts:
            signal = part["signal"].iloc[0]
            part["share_of_interactions"] = np.nan
            part["weighted_per_1000"] = part["weight"] * part["per_1000_impressions"]
            part["share_of_score"] = np.nan
            if signal in interacting:
                with np.errstate(invalid="ignore", divide="ignore"):
                    part["share_of_interactions"] = part["total"] / over_posts_counting(
                        signal, interactions, part.index)
                    if signal in w:
                        den = over_posts_counting(signal, score, part.index)
                        part["share_of_score"] = w[signal] * part["total"] / np.where(den > 0, den, np.nan)
        parts = [part[part["total"].notna()] for part in parts]  # a group whose export lacks the signal
    if not parts:
        return pd.DataFrame(columns=list(LADDER_COLUMNS))
    out = pd.concat(parts)
    if by is None:
        return out.reset_index(drop=True)
    out.index.name = PERIOD if by in PERIODS else by
    out = out.reset_index()
    order = {s: i for i, s in enumerate(LADDER_SIGNALS)}
    return out.sort_values([out.columns[0], "signal"], key=lambda c: c.map(order) if c.name == "signal" else c,
                           kind="stable").reset_index(drop=True)


def of_account(posts: pd.DataFrame, account: str | None, *, parameter: str = "account") -> pd.DataFrame:
    """The posts of ``account`` (all posts when None); an account without posts is an error that
    lists the accounts there are, instead of an empty table every later step would puzzle over.

    Every analysis takes an account's posts through this function. ``parameter`` is the argument
    the error names (e.g. ``"control_account"``). Accounts compare as text, so ``1`` finds the
    posts of account ``"1"``.

    >>> posts = pd.DataFrame({"account": ["a", "b", "a"], "likes": [1, 2, 3]})
    >>> of_account(posts, "a")["likes"].tolist(), len(of_account(posts, None))
    ([1, 3], 3)
    >>> of_account(posts, "c")
    Traceback (most recent call last):
    ...
    toolkit.errors.AnalysisError: parameter 'account': no posts of this account (accounts: ['a', 'b']) (found: c)
    >>> of_account(posts.drop(columns="account"), "c", parameter="control_account")
    Traceback (most recent call last):
    ...
    toolkit.errors.AnalysisError: parameter 'control_account': posts have no account column (found: c)
    """
    if account is None:
        return posts
    if "account" not in posts.columns:
        raise AnalysisError("posts have no account column", parameter=parameter, found=account)
    accounts = posts["account"].astype("string")
    chosen = posts[(accounts == str(account)).fillna(False).to_numpy(dtype=bool)]
    if chosen.empty:
        # a post without an account is no account to choose
        raise AnalysisError(f"no posts of this account (accounts: {sorted(accounts.dropna().unique())})",
                            parameter=parameter, found=account)
    return chosen


def one_account(posts: pd.DataFrame, account: str | None, *, parameter: str = "account") -> pd.DataFrame:
    """The posts of ``account`` (:func:`of_account`); with ``account=None``, the posts when they
    hold one account, else an error naming the accounts there are.

    For what describes one account's own history (a noise model to plan from, a trend over its
    posts): pooling several accounts' posts into one series would describe none of them.

    >>> posts = pd.DataFrame({"account": ["a", "b", "a"], "likes": [1, 2, 3]})
    >>> one_account(posts, "a")["likes"].tolist()
    [1, 3]
    >>> one_account(posts, None)
    Traceback (most recent call last):
    ...
    toolkit.errors.AnalysisError: parameter 'account': posts hold several accounts: choose one with account= (found: ['a', 'b'])
    """
    chosen = of_account(posts, account, parameter=parameter)
    if account is None and "account" in chosen.columns:
        accounts = sorted(map(str, chosen["account"].dropna().unique()))
        if len(accounts) > 1:
            raise AnalysisError(f"posts hold several accounts: choose one with {parameter}=",
                                parameter=parameter, found=accounts)
    return chosen


def with_labels(posts: pd.DataFrame, labels, *, column: str = "content_label") -> pd.DataFrame:
    """A copy of ``posts`` with ``content_label`` filled from a ``post_id, content_label`` table.

    ``labels`` is a DataFrame or the path of a CSV with those two columns (e.g. labels kept in a
    scheduling tool). Labels already in ``posts`` are kept; posts without a label in the table stay
    NA. ``.attrs["labelled"]`` counts the posts that received a label. The table is read and
    checked by :func:`toolkit.labels.attach_labels`.

    >>> posts = pd.DataFrame({"post_id": pd.array(["1", "2", "3"], dtype="string"),
    ...                       "content_label": pd.array([None, None, "brand"], dtype="string")})
    >>> table = pd.DataFrame({"post_id": ["1", "3"], "content_label": ["personal", "personal"]})
    >>> out = with_labels(posts, table)
    >>> out["content_label"].tolist(), out.attrs["labelled"]
    (['personal', <NA>, 'brand'], 1)
    """
    from toolkit.labels import attach_labels  # noqa: PLC0415

    current = posts[column] if column in posts.columns else pd.Series(pd.NA, index=posts.index, dtype="string")
    out = attach_labels(posts, labels, column=column)  # names a missing file, column or repeated id
    filled = out[column]
    out.attrs["labelled"] = int((current.isna() & filled.notna()).sum())
    return out
