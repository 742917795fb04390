"""Follower quality: growth, purges and bought-follower spikes, and engagement per follower.

A follower count is a vanity number unless an engaged audience stands behind it. Platforms purge
fake and inactive accounts (the count drops overnight while nobody who engaged has left), and
bought followers arrive in a spike (the count jumps while engagement does not). This module finds
those events in a follower history and shows what they do to engagement per follower, and it
estimates how engagement scales with audience size (:func:`elasticity`).

All functions take the canonical ``followers`` table (one row per account and day: ``account``,
``platform``, ``date``, ``followers``, ``new_follows``, ``unfollows``) and/or the ``posts`` table.
A follower row's day is the calendar day its date is written in: a time with a zone or an offset
is cut to the day in its own zone (Tokyo's 1 January 00:00 is 1 January), and days are returned
as midnight UTC, as :func:`toolkit.load` stores them. Counts must be whole numbers, 0 or more
(numbers written as text are read), and every row needs a date: anything else is an
:class:`~toolkit.errors.AnalysisError` naming the column and the first such row.

>>> import pandas as pd
>>> days = pd.date_range("2024-01-01", periods=60, freq="D", tz="UTC")
>>> level = [1000 + 3 * i for i in range(60)]
>>> level = level[:40] + [v - 200 for v in level[40:]]     # a purge of 200 on 10 February
>>> history = pd.DataFrame({"account": "me", "date": days, "followers": pd.array(level, dtype="Int64")})
>>> events = detect_events(history)
>>> events[["date", "kind", "size"]]
                       date   kind  size
0 2024-02-10 00:00:00+00:00  purge  -200
"""

from __future__ import annotations

import math
import numpy as np
import pandas as pd

from toolkit.errors import AnalysisError, first_line, is_fraction, is_number, is_whole, unordered_date
from toolkit.metrics import ENGAGEMENTS, PERIODS, _ensure_metrics, of_account
from toolkit.result import Result, format_pct

__all__ = [
    "EVENT_COLUMNS",
    "GROWTH_COLUMNS",
    "follower_growth",
    "daily_changes",
    "detect_events",
    "engagement_around_events",
    "elasticity",
    "has_counts",
]

#: Columns of :func:`detect_events`' table.
EVENT_COLUMNS = (
    "account", "platform", "date", "kind", "size", "change", "relative_size", "followers_before",
    "followers_after", "robust_z", "days",
)
#: Columns of :func:`follower_growth`' table.
GROWTH_COLUMNS = (
    "account", "platform", "period", "followers_start", "followers_end", "net_change", "growth",
    "new_follows", "unfollows",
)
_MAD_TO_SD = 1.482602218505602  # 1 / scipy.stats.norm.ppf(0.75): MAD -> SD under normality


#: A follower history is one account on one platform: the same handle on two platforms is two series.
SERIES = ["account", "platform"]


def _check_followers(followers: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``followers`` to analyse: an account and a platform column, a day on every row
    (:func:`_days`), counts as Int64, sorted by series and day. A missing date, a count that is not
    a whole number 0 or more, or a repeated day is an error naming its column and first row."""
    if not isinstance(followers, pd.DataFrame):
        raise AnalysisError("followers must be a pandas DataFrame", parameter="followers",
                            found=type(followers).__name__)
    for column in ("date",):
        if column not in followers.columns:
            raise AnalysisError("the followers table needs a date column", column=column,
                                found=sorted(map(str, followers.columns)))
    if "followers" not in followers.columns and not {"new_follows", "unfollows"} <= set(followers.columns):
        raise AnalysisError("the followers table needs followers or new_follows and unfollows",
                            column="followers", found=sorted(map(str, followers.columns)))
    out = followers.copy()
    if "account" not in out.columns:
        out["account"] = "account"
    if "platform" not in out.columns:
        out["platform"] = pd.NA
    for column in ("followers", "new_follows", "unfollows"):
        if column in out.columns:
            out[column] = _counts(out[column], column)
    out["date"] = _days(out["date"])
    if out["date"].isna().any():
        _refuse(followers["date"], out["date"].isna(), "date", "expected a date on every row",
                "the first row without one")
    out = _one_platform(out)
    out = out.sort_values([*SERIES, "date"], kind="stable")
    repeated = out.duplicated([*SERIES, "date"]) & out["date"].notna()
    if repeated.any():
        first = out.loc[repeated].iloc[0]
        raise AnalysisError(
            "expected one row per account, platform and day (toolkit.load merges repeated days; "
            "merge or drop them in a table built by hand)", column="date",
            found=f"{int(repeated.sum())} repeated days, first {first['account']} "
                  f"({first['platform']}) on {first['date']:%Y-%m-%d}")
    return out


def _refuse(values: pd.Series, bad, column: str, expected: str, first: str):
    """Raise the error for the first ``bad`` value of ``column``, by its position in the table."""
    position = int(np.asarray(bad, dtype=bool).argmax())
    value = values.iloc[position]
    raise AnalysisError(f"{expected}; {first} is at position {position} of the followers table "
                        "(counting from 0)", column=column,
                        found=repr(value.item() if isinstance(value, np.generic) else value))


def _counts(values: pd.Series, column: str) -> pd.Series:
    """``values`` as Int64, when each is a whole number 0 or more (numbers written as text too)
    or missing."""
    number = pd.to_numeric(values, errors="coerce") if not pd.api.types.is_bool_dtype(values) else None
    x = (np.full(len(values), np.nan) if number is None else
         pd.array(number, dtype="Float64").to_numpy(dtype=float, na_value=np.nan))
    with np.errstate(invalid="ignore"):
        whole = np.isfinite(x) & (x >= 0) & (x == np.round(x))
    bad = values.notna().to_numpy(dtype=bool) & ~whole
    if bad.any():
        _refuse(values, bad, column, "expected whole numbers, 0 or more, or missing values",
                "the first other value")
    return pd.Series(pd.array(np.where(whole, x, np.nan), dtype="Float64"), index=values.index).astype("Int64")


def _days(date: pd.Series) -> pd.Series:
    """Each row's calendar day as written, at midnight UTC (as toolkit.load stores a day): a time
    with a zone or an offset is cut to the day in its own zone before anything is converted, so
    1 January 00:00 in Tokyo (+09:00) is 1 January, not 31 December. Times without one are days
    in UTC."""
    if isinstance(date.dtype, pd.DatetimeTZDtype):
        wall = date.dt.tz_localize(None)  # the clock time in its own zone
    elif pd.api.types.is_datetime64_dtype(date):
        wall = date
    elif pd.api.types.is_numeric_dtype(date) or pd.api.types.is_bool_dtype(date):
        if date.isna().all():  # an empty column (a table without rows)
            return pd.Series(pd.NaT, index=date.index, dtype="datetime64[ns, UTC]")
        raise AnalysisError("expected dates (date-times, or text written year first such as "
                            "2024-01-31)", column="date", found=f"numbers ({date.dtype})")
    else:
        # text such as 01/03/2024 would be read month first by pandas: refused, as every date
        # the user gives is (toolkit.errors.unordered_date); toolkit.load reads exports' own dates
        for value in pd.unique(date.dropna()):
            if (why := unordered_date(value)) is not None:
                raise AnalysisError(why, column="date", found=repr(value))
        try:  # one value at a time: each keeps its own offset
            stamps = {value: pd.Timestamp(value) for value in pd.unique(date.dropna())}
        except (ValueError, TypeError) as exc:
            raise AnalysisError("expected dates in the followers table", column="date",
                                found=first_line(str(exc))) from None
        wall = pd.to_datetime(date.map({v: s.tz_localize(None) if s.tzinfo else s for v, s in stamps.items()}))
    return wall.dt.floor("D").dt.tz_localize("UTC")


def _one_platform(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows without a platform (a plain ``date,followers`` file) joined to their account's history
    on its one platform, when it has exactly one: they describe the same audience. The two sources
    may hold different columns for a day (counts in one, flows in the other); each column keeps
    the value that is there, the platform's row first. With several platforms they stay apart."""
    missing = frame["platform"].isna()
    if not missing.any() or missing.all():
        return frame
    known = frame.loc[~missing].groupby("account")["platform"].agg(
        lambda p: p.iloc[0] if p.astype(object).nunique() == 1 else None)
    target = frame["account"].map(known.dropna())
    fill = missing & target.notna()
    if not fill.any():
        return frame
    frame = frame.copy()
    frame.loc[fill, "platform"] = target[fill]
    joined = frame["account"].isin(frame.loc[fill, "account"])
    # the platform's own rows come first, so their values win where both sources have one
    merged = frame.loc[joined].assign(_own=fill[joined].to_numpy()).sort_values(
        ["_own"], kind="stable").groupby([*SERIES, "date"], sort=False, dropna=False,
                                         observed=True).first().reset_index()
    merged = merged[[c for c in frame.columns]]
    return pd.concat([frame.loc[~joined], merged], ignore_index=True)


def _series(frame: pd.DataFrame):
    """``(account, platform), rows`` for each follower history in ``frame`` (platform may be NA)."""
    return frame.groupby(SERIES, sort=True, dropna=False, observed=True)


def _level(frame: pd.DataFrame) -> tuple[np.ndarray, bool]:
    """Follower counts, or each day's net flow ``new_follows - unfollows`` when counts are missing
    (NaN where either flow is); and whether they are counts."""
    if "followers" in frame.columns and frame["followers"].notna().any():
        return pd.array(frame["followers"], dtype="Float64").to_numpy(dtype=float, na_value=np.nan), True
    net = (pd.array(frame["new_follows"], dtype="Float64") - pd.array(frame["unfollows"], dtype="Float64"))
    return net.to_numpy(dtype=float, na_value=np.nan), False


def has_counts(table: pd.DataFrame, *, audience: str = "followers") -> bool:
    """Whether ``table`` holds follower numbers to analyse.

    A posts table needs ``audience`` above 0 on at least one post (what :func:`elasticity` and
    "per follower" rates read); a followers table, a count above 0 or both follows and unfollows on
    at least one day (:func:`detect_events` reads either). Many exports carry no follower numbers
    (Hootsuite's, for one): notebooks use this to skip, with a message, what needs them.

    >>> has_counts(pd.DataFrame({"likes": [3, 5]}))
    False
    >>> has_counts(pd.DataFrame({"likes": [3, 5], "followers": pd.array([None, 0], dtype="Int64")}))
    False
    >>> has_counts(pd.DataFrame({"likes": [3, 5], "followers": pd.array([None, 810], dtype="Int64")}))
    True
    >>> has_counts(pd.DataFrame({"date": ["2024-01-01"], "new_follows": [4], "unfollows": [1]}))
    True
    """
    if not isinstance(table, pd.DataFrame):
        raise AnalysisError("expected a posts or followers table (a pandas DataFrame)",
                            parameter="table", found=type(table).__name__)
    if audience in table.columns and (pd.to_numeric(table[audience], errors="coerce") > 0).any():
        return True
    flows = ["new_follows", "unfollows"]
    return set(flows) <= set(table.columns) and bool(table[flows].notna().all(axis=1).any())


def follower_growth(followers: pd.DataFrame, by: str = "week") -> pd.DataFrame:
    """Follower growth per period, account and platform: start and end counts, net change, growth.

    ``followers_start`` is the last count before the period (the previous period's end, or an
    earlier one when days are missing), so consecutive periods chain and ``net_change`` spans the
    same days as the flows; the first period of a history starts from its own first count (its
    change leaves out that first day). ``growth`` is ``net_change / followers_start`` (NA when the
    start is NA or 0). ``new_follows`` and ``unfollows`` are the period's totals, NA when a day of
    the period (within the history's first to last day) lacks them or has no row: a sum over the
    days reported would be an undercount passed off as a total.

    >>> days = pd.date_range("2024-01-01", periods=14, freq="D", tz="UTC")
    >>> history = pd.DataFrame({"account": "me", "date": days,
    ...                         "followers": pd.array(range(100, 114), dtype="Int64")})
    >>> follower_growth(history, "week")[["period", "followers_start", "followers_end", "net_change"]]
          period  followers_start  followers_end  net_change
    0 2024-01-01              100            106           6
    1 2024-01-08              106            113           7
    """
    if by not in PERIODS:
        raise AnalysisError(f"by must be one of {list(PERIODS)}", parameter="by", found=by)
    frame = _check_followers(followers)
    if "followers" not in frame.columns:
        frame["followers"] = pd.array([pd.NA] * len(frame), dtype="Int64")
    for column in ("new_follows", "unfollows"):
        if column not in frame.columns:
            frame[column] = pd.array([pd.NA] * len(frame), dtype="Int64")
    local = frame["date"].dt.tz_localize(None)
    period = local.dt.to_period("D" if by == "day" else PERIODS[by])
    frame["period"] = period.dt.start_time
    keys = [*SERIES, "period"]
    # the days a period's flows must cover: its days within its history's first to last day
    span = frame.groupby(SERIES, dropna=False, observed=True)["date"]
    first = np.maximum(frame["period"], span.transform("min").dt.tz_localize(None))
    last = np.minimum(period.dt.end_time.dt.floor("D"), span.transform("max").dt.tz_localize(None))
    frame["_days"] = (last - first).dt.days + 1
    counts = frame.dropna(subset=["followers"])
    g = counts.groupby(keys, sort=True, dropna=False, observed=True)
    out = pd.DataFrame({"first": g["followers"].first(), "followers_end": g["followers"].last()})
    # the start of a period is the end of the series' previous period with a count
    previous = out.groupby(level=SERIES, sort=False, dropna=False, observed=True)["followers_end"].shift()
    out["followers_start"] = previous.fillna(out["first"]).astype("Int64")
    g_flows = frame.groupby(keys, sort=True, dropna=False, observed=True)
    flows = g_flows[["new_follows", "unfollows"]].sum(min_count=1)
    covered = g_flows[["new_follows", "unfollows"]].count()
    flows = flows.where(covered.ge(g_flows["_days"].first(), axis=0))
    out = flows.join(out, how="left")
    out["net_change"] = (out["followers_end"] - out["followers_start"]).astype("Int64")
    start = pd.array(out["followers_start"], dtype="Float64")
    out["growth"] = pd.Series(pd.array(out["net_change"], dtype="Float64"), index=out.index).where(
        pd.Series(start > 0, index=out.index).fillna(False)) / pd.Series(start, index=out.index)
    out = out.reset_index()
    return out[list(GROWTH_COLUMNS)]


def daily_changes(followers: pd.DataFrame, *, window: int = 57) -> pd.DataFrame:
    """Day-over-day follower changes with a robust baseline and z-score (the basis of event detection).

    For each account, the change between consecutive observed days is divided by the days between
    them (``per_day``). The baseline is the median of ``per_day`` over a centred window of
    ``window`` observations (57 days, about eight weeks, by default). A change over ``gap`` days
    sums ``gap`` days of flows, so its deviation ``change - baseline * gap`` has ``sqrt(gap)``
    times the SD of one day's: each deviation is divided by ``sqrt(gap)`` to put it on the scale
    of one day, and ``scale`` (the SD of one day's change) is 1.4826 x the median, over the same
    centred window, of those standardised deviations in absolute value (close to the window's
    median absolute deviation, the SD under normality, when the baseline moves slowly; not equal
    to it), floored at ``sqrt(max(|baseline|, 1))``: a net flow ``new - lost`` of Poisson counts
    has variance ``new + lost >= |new - lost|``, so a scale below that is an artefact of a smooth
    or rounded history (a short window of integer changes can have a MAD near 0). Median and MAD
    ignore a few extreme days, so the event being tested does not inflate its own yardstick (as it
    would with a mean and SD). The days' changes are taken as independent, so a weekly history is
    judged on the same scale as a daily one.

    Without follower counts, each row's change is its own day's net flow ``new_follows -
    unfollows`` (``gap_days`` 1, whether or not the day before has a row). A day missing either
    flow has an unknown change: ``change`` and ``robust_z`` are NaN there (never 0), and the
    baseline and scale leave it out; a day without a row is simply not in the table.

    ``robust_z = (change - baseline * gap) / (scale * sqrt(gap))``.
    """
    if not is_whole(window, 7):
        raise AnalysisError("window must be a whole number of days, 7 or more (the baseline needs at "
                            "least a week of changes)", parameter="window", found=repr(window))
    frame = _check_followers(followers)
    parts = []
    for (account, platform), rows in _series(frame):
        level, counts = _level(rows)
        if counts:  # a missing count is skipped: the next change spans the days between counts
            rows, level = rows.loc[~np.isnan(level)], level[~np.isnan(level)]
        if len(rows) < 2:
            continue
        if counts:
            gap = np.diff(rows["date"].to_numpy()).astype("timedelta64[D]").astype(float)
            change, dates = np.diff(level), rows["date"].iloc[1:].to_numpy()
            before, after = level[:-1], level[1:]
        else:  # a row's flows are its own day's change, whether or not the day before has a row;
            # a day without them is unknown: NaN, never 0
            gap = np.ones(len(rows))
            change, dates = level, rows["date"].to_numpy()
            before = after = np.nan  # flows alone give changes, not follower counts
        per_day = change / gap
        s = pd.Series(per_day)
        baseline = s.rolling(window, center=True, min_periods=min(7, len(s))).median()
        excess = change - baseline.to_numpy() * gap
        one_day = pd.Series(np.abs(excess) / np.sqrt(gap))  # a gap's deviation on one day's scale
        mad = one_day.rolling(window, center=True, min_periods=min(7, len(s))).median()
        floor = np.sqrt(np.maximum(np.abs(baseline.to_numpy()), 1.0))
        scale = np.maximum(_MAD_TO_SD * mad.to_numpy(), floor)
        part = pd.DataFrame({
            "account": account,
            "platform": platform,
            "date": dates,
            "followers_before": before,
            "followers_after": after,
            "gap_days": gap,
            "change": change,
            "baseline": baseline.to_numpy(),
            "scale": scale,
            "excess": excess,
            "robust_z": excess / (scale * np.sqrt(gap)),
        })
        parts.append(part)
    if not parts:
        return pd.DataFrame(columns=["account", "platform", "date", "followers_before", "followers_after",
                                     "gap_days", "change", "baseline", "scale", "excess", "robust_z"])
    out = pd.concat(parts, ignore_index=True)
    out["date"] = pd.to_datetime(out["date"], utc=True)
    return out


def detect_events(
    followers: pd.DataFrame,
    *,
    threshold: float = 6.0,
    min_fraction: float = 0.005,
    window: int = 57,
) -> pd.DataFrame:
    """Sudden drops (purges) and spikes (e.g. bought followers) in a follower history.

    A day is flagged when its change departs from the usual daily change by more than
    ``threshold`` robust standard deviations (:func:`daily_changes`) **and** by at least
    ``min_fraction`` of the followers the day before. Consecutive flagged days of the same sign form
    one event, dated on its first day.

    Thresholds: with Gaussian noise of known scale, ``|z| > 6`` happens about twice in a billion
    days. The scale is estimated from a window of days, and count data have heavier tails, so in
    practice ordinary days reach ``|z|`` of 4 to 5 over two years (20 simulated two-year
    histories without events: largest ``|z|`` 3.4 to 5.0 with the default window, seeds 0-19 of ``simulate_profile(days=730, posts_per_day=0.5)``); 6 leaves a margin.
    The ``min_fraction`` floor (0.5% of the audience by default) keeps a smooth, low-noise history
    from flagging changes too small to matter. An event is a fact about the counts, not its cause: a
    purge by the platform, a mass unfollow after a controversial post and an export glitch look
    alike; read the dates against what happened.

    Parameters
    ----------
    followers
        A canonical followers table. Where ``followers`` is missing but ``new_follows`` and
        ``unfollows`` are present, their net flow is used; a day without them is unknown, not 0
        (:func:`daily_changes`), and cannot be flagged.
    threshold
        Robust z-score a day must exceed.
    min_fraction
        Smallest event, as a share of the followers before it. A history of follows and unfollows
        without follower counts has no such share: its events are held to ``threshold`` only, and
        their ``followers_before``, ``followers_after`` and ``relative_size`` are missing.
    window
        Observations in the centred rolling window of the baseline.

    Returns
    -------
    DataFrame
        :data:`EVENT_COLUMNS`: ``date`` (first day whose count shows the event), ``kind``
        (``"purge"`` or ``"spike"``), ``size`` (followers lost or gained beyond the usual change,
        signed), ``change`` (raw change over the event), ``relative_size`` (size / followers
        before), ``followers_before``/``followers_after``, ``robust_z`` (largest in magnitude),
        ``days``.

    Examples
    --------
    A steady history has no events:

    >>> days = pd.date_range("2024-01-01", periods=60, freq="D", tz="UTC")
    >>> steady = pd.DataFrame({"account": "me", "date": days,
    ...                        "followers": pd.array([1000 + 3 * i for i in range(60)], dtype="Int64")})
    >>> len(detect_events(steady))
    0
    """
    if not (is_number(threshold) and threshold > 0):
        raise AnalysisError("threshold must be a number above 0 (a robust z-score)",
                            parameter="threshold", found=repr(threshold))
    if not (is_number(min_fraction) and 0 <= min_fraction < 1):
        raise AnalysisError("min_fraction must be a number from 0 up to (not including) 1",
                            parameter="min_fraction", found=repr(min_fraction))
    changes = daily_changes(followers, window=window)
    rows = []
    if len(changes):
        before = changes["followers_before"].abs().to_numpy(dtype=float)
        # the min_fraction floor needs follower counts: a history of flows alone is held to the
        # robust z-score only
        excess = np.abs(changes["excess"].to_numpy(dtype=float))
        big = np.isnan(before) | (excess >= min_fraction * before)
        flag = (np.abs(changes["robust_z"].to_numpy(dtype=float)) > threshold) & big
        sign = np.sign(changes["excess"].to_numpy(dtype=float))
        changes = changes.assign(flag=flag, sign=sign)
        for (account, _), part in _series(changes):
            f = part["flag"].to_numpy()
            s = part["sign"].to_numpy()
            i = 0
            while i < len(part):
                if not f[i]:
                    i += 1
                    continue
                j = i
                while j + 1 < len(part) and f[j + 1] and s[j + 1] == s[i]:
                    j += 1
                block = part.iloc[i : j + 1]
                size = float(block["excess"].sum())
                first_before = float(block["followers_before"].iloc[0])
                z = block["robust_z"].to_numpy(dtype=float)
                rows.append({
                    "account": account,
                    "platform": block["platform"].iloc[0],
                    "date": block["date"].iloc[0],
                    "kind": "purge" if size < 0 else "spike",
                    "size": int(round(size)),
                    "change": int(round(float(block["change"].sum()))),
                    "relative_size": size / first_before if first_before else np.nan,  # nan: flows only
                    "followers_before": first_before,
                    "followers_after": float(block["followers_after"].iloc[-1]),
                    "robust_z": float(z[np.argmax(np.abs(z))]),
                    "days": int(j - i + 1),
                })
                i = j + 1
    out = pd.DataFrame(rows, columns=list(EVENT_COLUMNS))
    out["date"] = pd.to_datetime(out["date"], utc=True)
    for column in ("followers_before", "followers_after"):
        out[column] = pd.array(out[column].round(), dtype="Int64")
    out["size"] = out["size"].astype("int64")
    out["change"] = out["change"].astype("int64")
    return out.reset_index(drop=True)


def engagement_around_events(
    posts: pd.DataFrame,
    events: pd.DataFrame,
    *,
    days: int = 28,
    metric: str = ENGAGEMENTS,
) -> pd.DataFrame:
    """Engagement per post, per impression and per follower in the ``days`` before and after each event.

    Before is ``[date - days, date)``, after is ``[date, date + days)``, posts of the event's account
    only (and of its platform, when the event names one); an account without posts is an error,
    and so is an event without an account when the posts hold several accounts. Per impression and per follower are ratios of sums, e.g.
    ``sum(metric) / sum(followers at post time)``. ``denominator_effect`` is
    ``(1 + per_follower_change) / (1 + per_post_change) - 1``: the part of the change in engagement
    per follower that comes from the follower count alone, whatever the posts earned.

    What to expect: a purge of inactive or fake followers leaves engagement per post and per
    impression where they were and raises engagement per follower (the removed followers never
    engaged); bought followers lower engagement per follower. A real loss of engaged followers
    lowers engagement per post too. These are descriptive numbers over a short window: other
    changes in the same weeks (content, season, posting rate, chance) move them as well, which is why
    ``denominator_effect`` is shown apart.

    >>> posts = pd.DataFrame({"account": "me",
    ...     "published_at": pd.to_datetime(["2024-01-05", "2024-01-20", "2024-02-01"], utc=True),
    ...     "likes": pd.array([10, 10, 10], dtype="Int64"),
    ...     "followers": pd.array([1000, 1000, 500], dtype="Int64")})
    >>> events = pd.DataFrame({"account": ["me"], "date": pd.to_datetime(["2024-01-25"], utc=True),
    ...                        "kind": ["purge"], "size": [-500]})
    >>> out = engagement_around_events(posts, events, metric="likes")
    >>> out[["n_before", "n_after"]].values.tolist()
    [[2, 1]]
    >>> out[["per_post_before", "per_post_after", "per_follower_before", "per_follower_after"]].values.tolist()
    [[10.0, 10.0, 0.01, 0.02]]
    """
    if not is_whole(days, 1):
        raise AnalysisError("days must be a whole number of days, 1 or more", parameter="days",
                            found=repr(days))
    posts = _ensure_metrics(posts, [metric])
    if metric not in posts.columns:
        raise AnalysisError("no such column in posts", parameter="metric", found=metric)
    cols = ["account", "date", "kind", "size", "n_before", "n_after", "per_post_before", "per_post_after",
            "per_post_change", "per_impression_before", "per_impression_after", "per_impression_change",
            "per_follower_before", "per_follower_after", "per_follower_change", "denominator_effect"]
    if "published_at" not in posts.columns:
        raise AnalysisError("posts need a published_at column", parameter="posts",
                            found=sorted(map(str, posts.columns)))
    if not isinstance(events, pd.DataFrame) or not {"date", "kind", "size"} <= set(events.columns):
        raise AnalysisError("expected an events table with date, kind and size (detect_events)",
                            parameter="events", found=sorted(map(str, getattr(events, "columns", []))))
    # an event belongs to one account's posts: without its account, the posts must be one account's
    named = events["account"].notna() if "account" in events.columns else pd.Series(False, index=events.index)
    accounts = sorted(map(str, posts["account"].dropna().unique())) if "account" in posts.columns else []
    if not named.all() and len(accounts) > 1:
        raise AnalysisError("events without an account, and posts hold several accounts: give the "
                            "events an account column (detect_events does) or pass one account's "
                            "posts (toolkit.metrics.of_account)", parameter="events", found=accounts)
    posts = posts.reset_index(drop=True)
    rows = []
    try:  # times as given; text or zone-free times are read as UTC, as the loaders store them
        when = pd.to_datetime(posts["published_at"], utc=True)
    except (TypeError, ValueError) as exc:
        raise AnalysisError("published_at must hold dates and times", column="published_at",
                            found=first_line(str(exc))) from None
    y = pd.array(posts[metric], dtype="Float64").to_numpy(dtype=float, na_value=np.nan)

    def exposure(column):
        if column not in posts.columns:
            return np.full(len(posts), np.nan)
        return pd.array(posts[column], dtype="Float64").to_numpy(dtype=float, na_value=np.nan)

    f = exposure("followers")
    imp = exposure("impressions")
    span = pd.Timedelta(days=days)
    for ev, has_account in zip(events.itertuples(index=False), named):
        date = pd.Timestamp(ev.date)
        date = date.tz_localize("UTC") if date.tzinfo is None else date
        mine = np.ones(len(posts), dtype=bool)
        if has_account and accounts:  # raises for an account without posts
            mine = posts.index.isin(of_account(posts, ev.account, parameter="events").index)
        on = getattr(ev, "platform", None)
        if "platform" in posts.columns and on is not None and not pd.isna(on):  # that account's platform
            mine = mine & (posts["platform"].astype(object) == on).to_numpy(dtype=bool)
        row = {"account": getattr(ev, "account", pd.NA), "date": date, "kind": ev.kind, "size": ev.size}
        for side, lo, hi in (("before", date - span, date), ("after", date, date + span)):
            sel = mine & (when >= lo).to_numpy() & (when < hi).to_numpy() & ~np.isnan(y)
            row[f"n_{side}"] = int(sel.sum())
            row[f"per_post_{side}"] = float(y[sel].mean()) if sel.any() else np.nan
            for name, den in (("per_impression", imp), ("per_follower", f)):
                both = sel & ~np.isnan(den) & (den > 0)
                row[f"{name}_{side}"] = float(y[both].sum() / den[both].sum()) if both.any() else np.nan
        for what in ("per_post", "per_impression", "per_follower"):
            b, a = row[f"{what}_before"], row[f"{what}_after"]
            row[f"{what}_change"] = a / b - 1 if b and np.isfinite(b) and np.isfinite(a) else np.nan
        per_post, per_follower = 1 + row["per_post_change"], 1 + row["per_follower_change"]
        # undefined when nothing was earned after the event (per post fell by 100%)
        row["denominator_effect"] = per_follower / per_post - 1 if per_post > 0 else np.nan
        rows.append(row)
    return pd.DataFrame(rows, columns=cols)


def _n(count: int, noun: str) -> str:
    """``"1 post"``, ``"3 posts"``."""
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _newey_west_lags(n: int) -> int:
    """Newey and West's (1994) rule of thumb: floor(4 (n / 100) ** (2/9))."""
    return int(math.floor(4 * (n / 100) ** (2 / 9)))


def _elasticity_verdict(lo: float, hi: float) -> str:
    """What an elasticity interval ``[lo, hi]`` says, to follow "so engagement" and precede
    "the audience": it names proportional growth (1) and no relation (0) only where the interval
    rules them out.

    >>> intervals = ((-0.2, 1.3), (0.2, 0.8), (-0.2, 0.8), (1.1, 1.5), (0.5, 1.2))
    >>> [_elasticity_verdict(*ci) for ci in intervals]  # doctest: +NORMALIZE_WHITESPACE
    ['is too uncertain to tell proportional growth from no relation with',
     'grows less than in proportion to',
     'grows less than in proportion, if at all (no relation is not ruled out), to',
     'grows more than in proportion to', 'is consistent with proportional growth in']
    >>> _elasticity_verdict(-0.9, -0.1), _elasticity_verdict(-0.5, 1.3)
    ('moves against', 'is too uncertain to tell proportional growth from no relation with')
    """
    if lo <= 0 <= hi and lo <= 1 <= hi:
        return "is too uncertain to tell proportional growth from no relation with"
    if hi < 0:
        return "moves against"
    if hi < 1:
        return ("grows less than in proportion to" if lo > 0 else
                "grows less than in proportion, if at all (no relation is not ruled out), to")
    if lo > 1:
        return "grows more than in proportion to"
    return "is consistent with proportional growth in"


def elasticity(
    posts: pd.DataFrame,
    *,
    metric: str = ENGAGEMENTS,
    audience: str = "followers",
    level: str = "post",
    method: str = "ols",
    maxlags: int | None = None,
    level_ci: float = 0.95,
) -> Result:
    """Elasticity of engagement with respect to audience size: does engagement grow in proportion?

    Fits ``log(metric) = a + b log(audience)``; ``b`` is the elasticity: engagement rises by about
    ``b`` % for each 1 % more followers. ``b = 1`` means engagement grows in proportion to the
    audience (engagement per follower is flat); ``b < 1`` means each extra follower brings less
    engagement than the last (typical when growth comes from less engaged or inactive followers);
    ``b = 0`` means followers do not matter at all.

    Parameters
    ----------
    posts
        A posts table; ``level="post"`` needs the posts of one account on one platform.
    metric
        The engagement column (``engagements`` by default, computed when missing).
    audience
        The audience-size column of each post (``followers`` by default: the count when the post
        went out).
    level
        ``"post"``: one observation per post, in time order, with Newey-West (HAC) standard
        errors because nearby posts share shocks; the posts must be one account's on one
        platform (one series, as in :data:`SERIES`: the same handle on two platforms is two
        audiences). ``"account"``: one observation per account and platform (mean metric per post
        vs median audience), with HC1 heteroscedasticity-robust errors.
    method
        ``"ols"``: least squares on logs; posts with a metric of 0 cannot be logged and are
        dropped (counted in the text). ``"ppml"``: Poisson pseudo-maximum likelihood
        ``E[y] = exp(a + b log audience)``, which keeps zeros and is consistent under any
        overdispersion; same robust errors.
    maxlags
        Lags of the Newey-West errors at ``level="post"``; None (default) uses Newey-West's rule
        ``floor(4 (n/100)^(2/9))``.
    level_ci
        Confidence level of the intervals (0.95 for 95%).

    Returns
    -------
    Result
        ``table``: the standard columns, with ``lift`` = ``2**b - 1``, the implied change in
        engagement when the audience doubles, and its CI; ``p_value`` tests ``b = 0`` (no
        relation, ``lift`` = 0), as in every other table, so it is below ``1 - level_ci`` exactly
        when the interval leaves out 0; plus ``elasticity``, ``elasticity_ci_low``,
        ``elasticity_ci_high``, ``se``, ``p_value_proportional`` (test of ``b = 1``, proportional
        growth), ``df`` (the t reference's degrees of freedom, observations - 2), ``n_dropped``
        (observations with a metric of 0 that ``"ols"`` cannot log), ``n_posts_left_out`` (posts
        missing the metric or the audience, or with an audience of 0 or below; the text says how
        many of each). ``n_baseline`` is the number of observations used; ``n_treatment`` is NA
        (there is no treatment group).

    Assumptions
    -----------
    The log-log relation is linear over the range of audiences seen; observations are independent
    given the HAC window (posts) or across accounts; intervals and p-values use t with
    observations - 2 degrees of freedom, as robust errors are rough with few observations. Across
    the posts of **one** account, the follower count mostly tracks time, so ``b`` mixes the
    audience effect with everything else that trended (content, platform reach, seasons): read it
    as a description, not a causal effect. Across accounts it compares different audiences, niches
    and posting styles.

    Examples
    --------
    Engagement exactly proportional to the square root of followers (closed form: ``b = 0.5``):

    >>> posts = pd.DataFrame({"followers": pd.array([100, 400, 900, 1600, 2500], dtype="Int64"),
    ...                       "likes": pd.array([10, 20, 30, 40, 50], dtype="Int64")})
    >>> r = elasticity(posts, metric="likes")
    >>> round(float(r.table.loc[0, "elasticity"]), 6), round(float(r.table.loc[0, "lift"]), 4)
    (0.5, 0.4142)
    """
    import statsmodels.api as sm
    from scipy import stats

    if level not in ("post", "account"):
        raise AnalysisError("level must be 'post' or 'account'", parameter="level", found=level)
    if method not in ("ols", "ppml"):
        raise AnalysisError("method must be 'ols' or 'ppml'", parameter="method", found=method)
    if not is_fraction(level_ci):
        raise AnalysisError("level_ci must be between 0 and 1 (0.95 for 95%)", parameter="level_ci",
                            found=level_ci)
    if maxlags is not None and not is_whole(maxlags, 0):
        raise AnalysisError("maxlags must be a whole number of posts, 0 or more, or None for the "
                            "default", parameter="maxlags", found=repr(maxlags))
    posts = _ensure_metrics(posts, [metric])
    for column, parameter in ((metric, "metric"), (audience, "audience")):
        if column not in posts.columns:
            raise AnalysisError("no such column in posts", parameter=parameter, column=column,
                                found=sorted(map(str, posts.columns)))
    if level == "post":
        # one audience's posts in time order (SERIES): several accounts' posts, or one handle's on
        # several platforms, are not one series (posts without an audience count are left out
        # below, so only the others decide)
        counted = posts[posts[audience].notna()]
        for column, what, how in (
                ("account", "several accounts", "one account's posts (toolkit.metrics.of_account)"),
                ("platform", "several platforms (each its own audience)",
                 "one platform's posts (posts[posts['platform'] == ...])")):
            names = sorted(map(str, counted[column].dropna().unique())) if column in counted.columns else []
            if len(names) > 1:
                raise AnalysisError(f"level='post' follows one account's posts on one platform in time "
                                    f"order, and the posts with {audience} hold {what}: pass {how} "
                                    "or compare them with level='account'", parameter="level", found=names)
    frame = pd.DataFrame({
        "y": pd.array(posts[metric], dtype="Float64").to_numpy(dtype=float, na_value=np.nan),
        "x": pd.array(posts[audience], dtype="Float64").to_numpy(dtype=float, na_value=np.nan),
    })
    if "published_at" in posts.columns:
        frame["t"] = posts["published_at"].to_numpy()
        frame = frame.sort_values("t", kind="stable")
    if level == "account":
        if "account" not in posts.columns:
            raise AnalysisError("level='account' needs an account column", column="account")
        series = [c for c in SERIES if c in posts.columns]
        frame[series] = posts[series].to_numpy()[frame.index.to_numpy()]
    n_posts = len(frame)
    frame = frame.dropna(subset=["y", "x"])
    n_missing = n_posts - len(frame)
    frame = frame[frame["x"] > 0]
    n_no_audience = n_posts - n_missing - len(frame)
    if level == "account":
        frame = frame.groupby(series, dropna=False, observed=True).agg(y=("y", "mean"), x=("x", "median"))
    n_all = len(frame)
    if n_all and not (frame["y"] > 0).any():  # nothing to relate (statsmodels' Poisson fit fails)
        raise AnalysisError(f"{metric} is 0 on every {level}: there is no engagement to relate to "
                            f"{audience}", parameter="metric", column=metric,
                            found=f"{n_all} {level}s, all 0")
    if method == "ols":
        frame = frame[frame["y"] > 0]
    n_dropped = n_all - len(frame)
    if len(frame) < 3 or frame["x"].nunique() < 2:
        raise AnalysisError(f"the elasticity needs at least 3 {level}s with distinct positive {audience}",
                            parameter="audience", found=f"{len(frame)} usable")
    X = sm.add_constant(np.log(frame["x"].to_numpy()))
    if level == "post":
        lags = _newey_west_lags(len(frame)) if maxlags is None else int(maxlags)
        cov = {"cov_type": "HAC", "cov_kwds": {"maxlags": lags}}
        cov_words = f"Newey-West (HAC, {lags} lags) standard errors over posts in time order"
    else:
        cov = {"cov_type": "HC1"}
        cov_words = "HC1 heteroscedasticity-robust standard errors across accounts"
    if method == "ols":
        fit = sm.OLS(np.log(frame["y"].to_numpy()), X).fit(**cov)
    else:
        fit = sm.GLM(frame["y"].to_numpy(), X, family=sm.families.Poisson()).fit(**cov)
    b, se = float(fit.params[1]), float(fit.bse[1])
    # t with n - 2 df, not the normal: with a handful of accounts the robust errors are themselves
    # rough, and the normal reference made 3 accounts look conclusive (p ~ 1e-17 where t(1) gives 0.07)
    df = len(frame) - 2
    q = stats.t.ppf(0.5 + level_ci / 2, df)
    lo, hi = b - q * se, b + q * se
    if se > 0:
        p_one = float(2 * stats.t.sf(abs(b - 1) / se, df))
        p_zero = float(2 * stats.t.sf(abs(b) / se, df))
    else:
        p_one = p_zero = np.nan
    name = f"elasticity_{method}"
    table = pd.DataFrame([{
        "method": name, "metric": metric, "lift": 2**b - 1, "ci_low": 2**lo - 1, "ci_high": 2**hi - 1,
        "p_value": p_zero, "n_baseline": len(frame), "n_treatment": pd.NA,
        "elasticity": b, "elasticity_ci_low": lo, "elasticity_ci_high": hi, "se": se,
        "p_value_proportional": p_one, "df": df, "n_dropped": n_dropped, "n_posts_left_out": n_missing + n_no_audience,
        "level": level,
    }])
    verdict = _elasticity_verdict(lo, hi)
    text = (
        f"Across {len(frame)} {level}s, {metric} change by about {b:.2f}% for each 1% more {audience} "
        f"(elasticity {b:.2f}, {level_ci:.0%} CI {lo:.2f} to {hi:.2f}): doubling {audience} goes with "
        f"{format_pct(2**b - 1)} {metric} ({format_pct(2**lo - 1)} to {format_pct(2**hi - 1)}), so engagement "
        f"{verdict} the audience (p = {p_one:.3g} against proportional growth, {p_zero:.3g} against no relation)."
    )
    if n_missing or n_no_audience:
        text += (f" Left out before fitting: {_n(n_missing, 'post')} missing {metric} or {audience}, "
                 f"{_n(n_no_audience, 'post')} with {audience} 0 or below.")
    if n_dropped and method == "ols":
        text += (f" {_n(n_dropped, level)} with zero {metric} could not be logged and {'was' if n_dropped == 1 else 'were'} left out "
                 "(method='ppml' keeps them).")
    assumptions = (
        (f"log({metric}) is linear in log({audience}) (least squares on logs, {level}s with 0 left out); "
         if method == "ols" else
         f"the log of the expected {metric} is linear in log({audience}) (Poisson pseudo-maximum "
         "likelihood: zeros kept, any overdispersion allowed); ")
        + f"{cov_words}, inference from t with {df} degree{'' if df == 1 else 's'} of freedom ({level}s - 2). "
        + ("Within one account the audience mostly tracks time, so the slope mixes audience size with "
           "every other trend (content, reach, season): descriptive, not causal."
           if level == "post" else "Accounts differ in niche and style as well as size: descriptive, not causal.")
    )
    details = {"data": frame[["x", "y"]].reset_index(drop=True), "intercept": float(fit.params[0]),
               "audience": audience, "method": method}

    def _chart(result: Result):
        from toolkit.charts.explore import elasticity_chart

        return elasticity_chart(result)

    return Result(table=table, text=text, assumptions=assumptions, level=level_ci, details=details,
                  chart_builder=_chart)
