"""Charts for exploring a profile: time series, distributions, weekday x hour, groups, followers.

Every builder aggregates in Python (with :mod:`toolkit.metrics`) and embeds only the aggregate in
the chart, so a profile of 200,000 posts gives a chart of a few hundred to a few thousand rows:
no ``MaxRowsError`` and nothing heavy shipped to the browser. Titles name the aggregation
(ratio of sums or mean of per-post ratios). Builders return Altair chart objects; offline
rendering is set up by :func:`toolkit.display.setup`.

>>> import pandas as pd
>>> from toolkit.simulate import simulate_profile
>>> posts = simulate_profile(days=30, seed=1).posts
>>> spec = time_series(posts).to_dict()
>>> spec["title"]["text"]
'engagements per impression (ratio of sums, by day), 7-day rolling'
"""

from __future__ import annotations

from collections.abc import Sequence

import altair as alt
import numpy as np
import pandas as pd

from toolkit import metrics as m
from toolkit.errors import AnalysisError, is_whole

__all__ = [
    "time_series",
    "time_series_table",
    "distribution",
    "distribution_table",
    "heatmap",
    "group_bars",
    "follower_history",
    "follower_history_table",
    "elasticity_chart",
    "ladder_chart",
    "message_chart",
    "no_values_message",
    "MAX_POINTS",
    "data_rows",
]

#: Most points a time series or follower line puts in a chart before it coarsens the period.
MAX_POINTS = 1500
_COARSER = {"day": "week", "week": "month", "month": "quarter", "quarter": "year"}
_WIDTH = 640
_EVENT_COLOURS = alt.Scale(domain=["purge", "spike"], range=["#d62728", "#2ca02c"])


def _plain(frame: pd.DataFrame) -> pd.DataFrame:
    """Nullable and categorical columns as plain floats/objects, which every renderer accepts."""
    out = {}
    for column in frame.columns:
        values = frame[column]
        if values.dtype == object or pd.api.types.is_float_dtype(values.dtype) and not \
                pd.api.types.is_extension_array_dtype(values.dtype):
            out[column] = values
        elif isinstance(values.dtype, pd.CategoricalDtype) or pd.api.types.is_string_dtype(values.dtype):
            out[column] = values.astype(object).where(values.notna(), None)
        elif pd.api.types.is_bool_dtype(values.dtype):
            out[column] = values.astype(object).where(values.notna(), None)
        elif isinstance(values.dtype, pd.DatetimeTZDtype):
            out[column] = values.dt.tz_convert("UTC").dt.tz_localize(None)
        elif pd.api.types.is_extension_array_dtype(values.dtype) and pd.api.types.is_numeric_dtype(values.dtype):
            out[column] = values.to_numpy(dtype=float, na_value=np.nan)
        else:
            out[column] = values
    return pd.DataFrame(out, index=frame.index).reset_index(drop=True)


def data_rows(chart: alt.TopLevelMixin) -> int:
    """Rows of data a chart embeds (summed over its datasets): what would be shipped to the browser.

    >>> data_rows(alt.Chart(pd.DataFrame({"x": [1, 2, 3]})).mark_point().encode(x="x:Q"))
    3
    """
    spec = chart.to_dict()
    return sum(len(values) for values in spec.get("datasets", {}).values())


def _title(text: str, subtitle: str | None = None) -> dict:
    return {"text": text, "subtitle": subtitle or [], "anchor": "start"}


def _refill(template: alt.TopLevelMixin, data: pd.DataFrame, title: dict) -> alt.TopLevelMixin:
    """A shallow copy of a chart built earlier by the same builder, with new data and title.

    Builders keep every text that depends on the data in the title and put the data on the top-level
    chart, so a widget can reuse the structure (encodings, marks) and skip rebuilding it.
    """
    if set(vars(template)) == {"_args", "_kwds"}:
        # Altair's copy(deep=False) re-runs the constructor (the costly part of building a chart);
        # copying the two fields Altair keeps is enough to give the new chart its own data and title.
        out = object.__new__(type(template))
        object.__setattr__(out, "_args", template._args)
        object.__setattr__(out, "_kwds", dict(template._kwds))
    else:  # pragma: no cover - a future Altair with more state: take the slow, public way
        out = template.copy(deep=False)
    out.data = data
    out.title = title
    return out


def time_series_table(
    posts: pd.DataFrame,
    *,
    metric: str = m.ENGAGEMENTS,
    denominator: str | None = "impressions",
    how: str = m.DEFAULT_HOW,
    freq: str = "day",
    window: int = 7,
    max_points: int = MAX_POINTS,
    tz: str = "UTC",
    keys: np.ndarray | None = None,
) -> tuple[pd.DataFrame, str]:
    """The aggregated series behind :func:`time_series` and the period actually used.

    Periods with no post are kept (value NA) so the rolling window counts calendar periods. The
    rolling value aggregates the same way as the points: for a ratio of sums it is the sum of the
    metric over the window divided by the sum of the exposure over the window; for a mean of
    per-post ratios, the mean over all posts in the window; for a sum, the mean total per period
    over the periods of the window whose total is known (a period without posts counts as 0, one
    whose posts all lack the metric is left out). If the range has more than
    ``max_points`` periods, the period is coarsened (day -> week -> month ...). ``keys``: period
    keys of ``freq`` already computed per post (see :func:`toolkit.metrics.aggregate`).
    """
    if freq not in m.PERIODS:
        raise AnalysisError(f"freq must be one of {list(m.PERIODS)}", parameter="freq", found=freq)
    if not is_whole(window, 1):
        raise AnalysisError("window must be a whole number of periods, at least 1", parameter="window",
                            found=window)
    table = m.aggregate(posts, freq, metric=metric, denominator=denominator, how=how, tz=tz, keys=keys)
    while len(table) > 1 and freq in _COARSER:
        span = table[m.PERIOD].iloc[-1] - table[m.PERIOD].iloc[0]
        approx = {"day": 1, "week": 7, "month": 30.4, "quarter": 91.3, "year": 365.25}[freq]
        if span / pd.Timedelta(days=approx) + 1 <= max_points:
            break
        freq = _COARSER[freq]
        table = m.aggregate(posts, freq, metric=metric, denominator=denominator, how=how, tz=tz)
    if len(table):
        code = {"day": "D", "week": "W-MON", "month": "MS", "quarter": "QS", "year": "YS"}[freq]
        full = pd.date_range(table[m.PERIOD].iloc[0], table[m.PERIOD].iloc[-1], freq=code)
        table = table.set_index(m.PERIOD).reindex(full)
        table.index.name = m.PERIOD
        table = table.reset_index()
        for column in (m.N_POSTS, m.N_USED):
            table[column] = table[column].fillna(0).astype("int64")
        table["how"] = how
    y = table["metric_total"].astype(float).fillna(0.0)
    d = table["denominator_total"].astype(float).fillna(0.0)
    if how == "sum":
        # a period without posts has a total of 0; one whose posts all lack the metric has none
        known = y.where((table[m.N_USED] > 0) | (table[m.N_POSTS] == 0))
        roll = known.rolling(window, min_periods=1).mean()
    elif how == "mean_of_ratios" and denominator is not None:
        n = table[m.N_USED].astype(float)
        total = table[m.VALUE].astype(float).fillna(0.0) * n
        roll = total.rolling(window, min_periods=1).sum() / n.rolling(window, min_periods=1).sum()
    else:
        roll = y.rolling(window, min_periods=1).sum() / d.rolling(window, min_periods=1).sum()
    table["rolling"] = roll.where(np.isfinite(roll))
    return table, freq


def time_series(
    posts: pd.DataFrame,
    *,
    metric: str = m.ENGAGEMENTS,
    denominator: str | None = "impressions",
    how: str = m.DEFAULT_HOW,
    freq: str = "day",
    window: int = 7,
    max_points: int = MAX_POINTS,
    tz: str = "UTC",
    keys: np.ndarray | None = None,
    template: alt.LayerChart | None = None,
) -> alt.LayerChart:
    """The metric per period (points) with a rolling average (line).

    The title names the metric, the denominator, the aggregation, the period and the window.
    ``keys`` (cached period keys) and ``template`` (a chart this builder made before, whose
    structure is reused) make repeated calls cheap in widgets.

    >>> from toolkit.simulate import simulate_profile
    >>> chart = time_series(simulate_profile(days=60, seed=2).posts, metric="likes", denominator=None)
    >>> spec = chart.to_dict()
    >>> [layer["mark"]["type"] for layer in spec["layer"]]
    ['point', 'line']
    >>> len(spec["datasets"][spec["data"]["name"]]) <= 60
    True
    """
    table, used = time_series_table(posts, metric=metric, denominator=denominator, how=how, freq=freq,
                                    window=window, max_points=max_points, tz=tz, keys=keys)
    title = _title(m.describe(metric, denominator, how, used) + f", {window}-{used} rolling",
                   None if used == freq else f"{freq} coarsened to {used}: more than {max_points} points")
    nothing = _nothing_to_chart(table, metric, denominator if how != "sum" else None)
    if nothing:
        return message_chart(title["text"], nothing)
    data = _plain(table[[m.PERIOD, m.VALUE, "rolling", m.N_POSTS, m.CI_LOW, m.CI_HIGH]])
    if template is not None:
        return _refill(template, data, title)
    base = alt.Chart().encode(x=alt.X(f"{m.PERIOD}:T", title=None))
    points = base.mark_point(size=12, opacity=0.35, filled=True).encode(
        y=alt.Y(f"{m.VALUE}:Q", title="value (points: one period)"),
        tooltip=[alt.Tooltip(f"{m.PERIOD}:T", title="period"), alt.Tooltip(f"{m.VALUE}:Q", format=".4g"),
                 alt.Tooltip(f"{m.N_POSTS}:Q", title="posts")],
    )
    line = base.mark_line(strokeWidth=2).encode(
        y=alt.Y("rolling:Q"),
        tooltip=[alt.Tooltip(f"{m.PERIOD}:T", title="period"), alt.Tooltip("rolling:Q", format=".4g")],
    )
    return alt.layer(points, line, data=data, title=title).properties(width=_WIDTH, height=220)


def distribution_table(
    posts: pd.DataFrame,
    *,
    metric: str = m.ENGAGEMENTS,
    denominator: str | None = None,
    bins: int = 40,
    log: bool = False,
) -> tuple[pd.DataFrame, dict]:
    """Histogram counts of the per-post metric (or per-post rate); NA and, on a log axis, zeros left out."""
    if not is_whole(bins, 1):
        raise AnalysisError("bins must be a whole number, at least 1", parameter="bins", found=bins)
    posts = m._ensure_metrics(posts, [metric, denominator])
    x = m._column(posts, metric, "metric")  # names a missing or non-numeric column
    if denominator is not None:
        d = m._column(posts, denominator, "denominator")
        x = m.rate(pd.Series(x), pd.Series(d)).to_numpy(dtype=float, na_value=np.nan)
    info = {"n_na": int(np.isnan(x).sum())}
    x = x[~np.isnan(x)]
    info["n_zero"] = int((x <= 0).sum()) if log else 0
    if log:
        x = x[x > 0]
    if len(x) == 0:
        edges = np.array([0.0, 1.0])
        counts = np.array([0])
    else:
        lo, hi = float(x.min()), float(x.max())
        if hi == lo:
            hi = lo + (abs(lo) if lo else 1.0)
        edges = np.geomspace(lo, hi, bins + 1) if log else np.linspace(lo, hi, bins + 1)
        counts, edges = np.histogram(x, bins=edges)
    info["n"] = int(len(x))
    table = pd.DataFrame({"bin_start": edges[:-1], "bin_end": edges[1:], "posts": counts.astype("int64")})
    return table, info


def distribution(
    posts: pd.DataFrame,
    *,
    metric: str = m.ENGAGEMENTS,
    denominator: str | None = None,
    bins: int = 40,
    log: bool = False,
    template: alt.Chart | None = None,
) -> alt.Chart:
    """Histogram of the per-post metric (or per-post rate), binned in Python.

    >>> from toolkit.simulate import simulate_profile
    >>> spec = distribution(simulate_profile(days=30, seed=1).posts, bins=10).to_dict()
    >>> len(spec["datasets"][spec["data"]["name"]]), spec["encoding"]["y"]["field"]
    (10, 'posts')
    """
    table, info = distribution_table(posts, metric=metric, denominator=denominator, bins=bins, log=log)
    what = metric if denominator is None else f"{metric} per {denominator}"
    left_out = []
    if info["n_na"]:
        left_out.append(f"{info['n_na']} posts with no value")
    if info["n_zero"]:
        left_out.append(f"{info['n_zero']} zeros (log axis)")
    subtitle = f"{info['n']} posts" + (f"; not shown: {', '.join(left_out)}" if left_out else "")
    title = _title(f"Distribution of {what} per post", subtitle)
    if template is not None:
        return _refill(template, _plain(table), title)
    scale = alt.Scale(type="log") if log else alt.Scale(zero=False)
    return alt.Chart(_plain(table)).mark_bar(opacity=0.8, binSpacing=0).encode(
        x=alt.X("bin_start:Q", title="value per post", scale=scale, bin="binned"),
        x2=alt.X2("bin_end:Q"),
        y=alt.Y("posts:Q", title="posts"),
        tooltip=[alt.Tooltip("bin_start:Q", format=".4g", title="from"),
                 alt.Tooltip("bin_end:Q", format=".4g", title="to"), alt.Tooltip("posts:Q")],
    ).properties(title=title, width=_WIDTH, height=200)


def heatmap(
    posts: pd.DataFrame,
    *,
    metric: str = m.ENGAGEMENTS,
    denominator: str | None = "impressions",
    how: str = m.DEFAULT_HOW,
    min_posts: int = 5,
    prior_posts: float = 10.0,
    tz: str = "UTC",
    cells: pd.DataFrame | None = None,
    untimed: int | None = None,
    template: alt.LayerChart | None = None,
) -> alt.Chart | alt.LayerChart:
    """Weekday x hour: colour is the shrunk rate, sparse cells faded and dotted, n in the tooltip.

    Posts without a known time of day (``time_known`` False: exports that give dates only, or
    dates the loader rebuilt, as for the UCI file) have no cell; the subtitle says how many were
    left out, and with no timed post at all the chart says so instead of showing an empty grid. ``cells`` may be a table from
    :func:`toolkit.metrics.weekday_hour` computed already, with ``untimed`` the number of posts
    it left out (counted from ``posts`` when they are given).

    >>> from toolkit.simulate import simulate_profile
    >>> data_rows(heatmap(simulate_profile(days=30, seed=1).posts))
    168
    """
    if untimed is None:
        untimed = int((~m._time_known(posts)).sum()) if posts is not None else 0
    if cells is None:
        cells = m.weekday_hour(posts, metric=metric, denominator=denominator, how=how,
                               min_posts=min_posts, prior_posts=prior_posts, tz=tz)
    desc = cells.attrs.get("description", m.describe(metric, denominator, how, "weekday x hour"))
    if untimed and not cells[m.N_POSTS].any():
        return message_chart(desc, f"None of these posts has a known time of day ({untimed:,} give a "
                                   "day only, or a date the loader rebuilt), so there is no weekday x "
                                   "hour grid.")
    nothing = _nothing_to_chart(cells, metric, denominator if how != "sum" else None)
    if nothing:
        return message_chart(desc, nothing)
    data = _plain(cells)
    data["weekday"] = data["weekday"].astype(str)
    subtitle = (f"colour: cell value shrunk towards the overall rate as if {prior_posts:g} average posts "
                f"were added; faded with a dot: fewer than {min_posts} posts")
    if untimed:
        subtitle += f"; {untimed:,} post{'s' if untimed != 1 else ''} without a time of day left out"
    title = _title(desc, subtitle)
    if template is not None:
        return _refill(template, data, title)
    order = list(m.WEEKDAY_NAMES)
    base = alt.Chart().encode(
        x=alt.X("hour:O", title=f"hour ({tz})"),
        y=alt.Y("weekday:O", sort=order, title=None),
    )
    rect = base.mark_rect().encode(
        color=alt.Color(f"{m.SHRUNK}:Q", title="shrunk", scale=alt.Scale(scheme="viridis")),
        opacity=alt.OpacityValue(1.0, condition={"test": f"datum.{m.SPARSE}", "value": 0.35}),
        tooltip=[
            alt.Tooltip("weekday:O"), alt.Tooltip("hour:O"), alt.Tooltip(f"{m.N_POSTS}:Q", title="posts"),
            alt.Tooltip(f"{m.VALUE}:Q", format=".4g", title="cell value"),
            alt.Tooltip(f"{m.CI_LOW}:Q", format=".4g", title="95% CI low"),
            alt.Tooltip(f"{m.CI_HIGH}:Q", format=".4g", title="95% CI high"),
            alt.Tooltip(f"{m.SHRUNK}:Q", format=".4g", title="shrunk"),
            alt.Tooltip(f"{m.SPARSE}:N", title="sparse"),
        ],
    )
    dots = base.transform_filter(f"datum.{m.SPARSE}").mark_text(text="·", color="white", fontSize=14)
    return alt.layer(rect, dots, data=data, title=title).properties(width=_WIDTH, height=200)


_WHAT = {"media_type": "media type", "content_label": "content label"}


def _nothing_to_chart(table: pd.DataFrame, metric: str, denominator: str | None) -> str | None:
    """Why an aggregate table has nothing to draw (no posts, or none with the values), else None.

    >>> t = pd.DataFrame({"n_posts": [3, 2], "n_used": [0, 0]})
    >>> _nothing_to_chart(t, "clicks", "impressions")
    'No post here has both clicks and impressions (5 posts), so there is nothing to chart.'
    """
    n_posts = int(table[m.N_POSTS].sum()) if len(table) else 0
    if n_posts == 0:
        return "No posts in this selection, so there is nothing to chart."
    if not table[m.N_USED].any():
        values = f"both {metric} and {denominator}" if denominator is not None else metric
        return f"No post here has {values} ({n_posts:,} posts), so there is nothing to chart."
    return None


def no_values_message(column: str, where: str = "these posts") -> str:
    """The sentence every view shows, instead of an empty chart, for a column with no values at all.

    >>> no_values_message("media_type", "these exports")
    'No media type in these exports (X exports do not carry one), so there is nothing to chart by it.'
    >>> no_values_message("clicks", "this selection")
    'No clicks in this selection (its exports do not carry them), so there is nothing to chart.'
    """
    what = _WHAT.get(column, column)
    if column in _WHAT:
        hint = {"media_type": "X exports do not carry one",
                "content_label": "label posts with toolkit.label_personal or by hand, or join a labels file"}[column]
        return f"No {what} in {where} ({hint}), so there is nothing to chart by it."
    return f"No {what} in {where} (its exports do not carry them), so there is nothing to chart."


def message_chart(title: str, message: str) -> alt.Chart:
    """A small chart that says in words why there is nothing to draw (it still renders as a chart).

    >>> spec = message_chart("Engagement by media type", "No media type in these posts.").to_dict()
    >>> spec["title"]["text"], spec["mark"]["type"], data_rows(message_chart("t", "m"))
    ('Engagement by media type', 'text', 1)
    """
    return alt.Chart(pd.DataFrame({"message": [message]})).mark_text(
        align="left", x=0, y=12, fontSize=13, color="#555").encode(text=alt.Text("message:N")).properties(
        title=_title(title), width=_WIDTH // 2, height=24)


def group_bars(
    posts: pd.DataFrame,
    by: str = "media_type",
    *,
    metric: str = m.ENGAGEMENTS,
    denominator: str | None = "impressions",
    how: str = m.DEFAULT_HOW,
    table: pd.DataFrame | None = None,
    template: alt.LayerChart | None = None,
) -> alt.LayerChart:
    """Bars of the metric by a group column (media type, content label, ...), with 95% intervals.

    >>> from toolkit.simulate import simulate_profile
    >>> spec = group_bars(simulate_profile(days=30, seed=1).posts, "content_label").to_dict()
    >>> spec["layer"][0]["encoding"]["y"]["title"], spec["layer"][1]["mark"]["type"]
    ('content_label', 'rule')
    """
    if table is None:
        if by in _WHAT and len(posts) and (by not in posts.columns or posts[by].isna().all()):
            return message_chart(m.describe(metric, denominator, how, by), no_values_message(by))
        table = m.aggregate(posts, by, metric=metric, denominator=denominator, how=how)
    desc = table.attrs.get("description", m.describe(metric, denominator, how, by))
    if not len(table) and table.attrs.get("left_out_untimed"):  # by hour, and no post has one
        return message_chart(desc, "None of these posts has a known time of day "
                                   f"({table.attrs['left_out_untimed']:,} give a day only, or a date the "
                                   "loader rebuilt), so there is nothing to chart by hour.")
    nothing = _nothing_to_chart(table, metric, denominator if how != "sum" else None)
    if nothing:
        return message_chart(desc, nothing)
    if table[by].isna().all():
        return message_chart(desc, no_values_message(by))
    data = _plain(table).rename(columns={by: "group"})
    data["group"] = data["group"].astype(object).where(data["group"].notna(), "(none)").astype(str)
    title = _title(desc, "black lines: 95% intervals")
    if template is not None:
        return _refill(template, data, title)
    base = alt.Chart().encode(y=alt.Y("group:N", title=by, sort="-x"))
    bars = base.mark_bar(opacity=0.8).encode(
        x=alt.X(f"{m.VALUE}:Q", title="value"),
        tooltip=[alt.Tooltip("group:N", title=by), alt.Tooltip(f"{m.VALUE}:Q", format=".4g"),
                 alt.Tooltip(f"{m.CI_LOW}:Q", format=".4g"), alt.Tooltip(f"{m.CI_HIGH}:Q", format=".4g"),
                 alt.Tooltip(f"{m.N_USED}:Q", title="posts")],
    )
    rules = base.mark_rule(color="black").encode(x=alt.X(f"{m.CI_LOW}:Q"), x2=alt.X2(f"{m.CI_HIGH}:Q"))
    return alt.layer(bars, rules, data=data, title=title).properties(width=_WIDTH // 2, height=alt.Step(22))


def follower_history_table(followers: pd.DataFrame, *, max_points: int = MAX_POINTS,
                           keep: Sequence[pd.Timestamp] = ()) -> pd.DataFrame:
    """Follower counts per history, thinned to about ``max_points`` counted days in all.

    A history is an account on a platform with at least one count; an account followed on several
    platforms is shown as ``account (platform)``, one line each. The rows are shared out between
    the histories. Thinning keeps every ``k``-th counted day, the first and last, and the days in
    ``keep`` (event dates and the day before each), so drops and spikes stay visible. A run of at
    least ``k`` days without a count (every run, unthinned) keeps its first day as a missing value,
    so that the line breaks there instead of bridging the gap, and the counted days around it.
    """
    frame = followers
    if "platform" not in frame.columns:
        frame = frame.assign(platform=pd.NA)
    frame = frame.sort_values(["account", "platform", "date"], kind="stable")
    keep_set = set()
    for ts in keep:
        keep_set.add(pd.Timestamp(ts))
        keep_set.add(pd.Timestamp(ts) - pd.Timedelta(days=1))
    histories = [(key, rows) for key, rows in frame.groupby(["account", "platform"], sort=True, dropna=False,
                                                            observed=True)
                 if rows["followers"].notna().any()]  # a history without counts draws nothing
    platforms: dict[object, int] = {}
    for (account, _platform), _rows in histories:
        platforms[account] = platforms.get(account, 0) + 1
    per_history = max(max_points // max(len(histories), 1), 2)
    parts = []
    for (account, platform), rows in histories:
        if platforms[account] > 1:
            rows = rows.assign(account=f"{account} ({platform if not pd.isna(platform) else 'any'})")
        parts.append(_thinned(rows, per_history, keep_set)[["account", "date", "followers"]])
    if not parts:
        return pd.DataFrame({"account": [], "date": [], "followers": []})
    return pd.concat(parts, ignore_index=True)


def _thinned(rows: pd.DataFrame, budget: int, keep_set: set) -> pd.DataFrame:
    """One history's rows for the chart (see :func:`follower_history_table`)."""
    known = rows["followers"].notna().to_numpy()
    counted = np.flatnonzero(known)
    rows, known = rows.iloc[counted[0]:counted[-1] + 1], known[counted[0]:counted[-1] + 1]
    counted = np.flatnonzero(known)
    step = max(int(np.ceil(len(counted) / budget)), 1)
    pick = np.zeros(len(rows), dtype=bool)
    pick[counted[::step]] = True
    pick[counted[-1]] = True
    pick |= known & rows["date"].isin(keep_set).to_numpy()
    missing = ~known  # runs of days without a count (never at the ends: the rows start and end counted)
    starts = np.flatnonzero(missing & ~np.r_[False, missing[:-1]])
    ends = np.flatnonzero(missing & ~np.r_[missing[1:], False])
    long = ends - starts + 1 >= step
    for positions in (starts[long], starts[long] - 1, ends[long] + 1):
        pick[positions] = True  # the break, the count before it and the count after it
    return rows[pick]


def follower_history(
    followers: pd.DataFrame,
    events: pd.DataFrame | str | None = "detect",
    *,
    max_points: int = MAX_POINTS,
    template: alt.LayerChart | None = None,
) -> alt.LayerChart:
    """Followers over time with detected purges and spikes marked (rules and labels).

    ``events`` is a table from :func:`toolkit.followers.detect_events`, ``"detect"`` (default: run it
    with its defaults) or ``None``.

    >>> from toolkit.simulate import simulate_profile
    >>> sim = simulate_profile(days=120, seed=1, purge=("2024-03-01", 0.1))
    >>> spec = follower_history(sim.followers).to_dict()
    >>> rows = spec["datasets"][spec["data"]["name"]]
    >>> spec["layer"][1]["mark"]["type"], [r["kind"] for r in rows if r["series"] == "event"]
    ('rule', ['purge'])
    """
    from toolkit.followers import EVENT_COLUMNS, detect_events

    if "followers" not in followers.columns or followers["followers"].isna().all():
        return message_chart("Followers over time", "no follower counts in this history (only daily "
                             "follows and unfollows): toolkit.followers.detect_events lists what changed")
    if isinstance(events, str):
        if events != "detect":
            raise AnalysisError("events must be a table, 'detect' or None", parameter="events", found=events)
        events = detect_events(followers)
    if events is None:
        events = pd.DataFrame(columns=list(EVENT_COLUMNS))
    table = follower_history_table(followers, max_points=max_points, keep=list(events["date"]))
    table = table.assign(series="followers", kind=None, size=np.nan, relative_size=np.nan, label=None)
    ev = events[["account", "date", "kind", "size", "relative_size"]].copy()
    ev["series"] = "event"
    ev["followers"] = np.nan
    ev["label"] = [f"{k} {int(v):+,}" for k, v in zip(ev["kind"], ev["size"])]
    frames = [f for f in (table, ev) if len(f)]
    data = _plain(pd.concat(frames, ignore_index=True)) if frames else _plain(table)
    n = len(events)
    title = _title("Followers over time", f"{n} event{'s' if n != 1 else ''} detected (robust day-over-day "
                   "changes, see toolkit.followers.detect_events)")
    if template is not None:
        return _refill(template, data, title)
    many = table["account"].nunique() > 1
    line = alt.Chart().transform_filter("datum.series == 'followers'").mark_line().encode(
        x=alt.X("date:T", title="date"),
        y=alt.Y("followers:Q", title="followers", scale=alt.Scale(zero=False)),
        color=alt.Color("account:N") if many else alt.ColorValue("#4c78a8"),
        tooltip=[alt.Tooltip("account:N"), alt.Tooltip("date:T"), alt.Tooltip("followers:Q", format=",")],
    )
    events_only = alt.Chart().transform_filter("datum.series == 'event'")
    rules = events_only.mark_rule(strokeDash=[4, 3], strokeWidth=2).encode(
        x=alt.X("date:T"),
        color=alt.Color("kind:N", scale=_EVENT_COLOURS, title="event"),
        tooltip=[alt.Tooltip("account:N"), alt.Tooltip("date:T"), alt.Tooltip("kind:N"),
                 alt.Tooltip("size:Q", format="+,"),
                 alt.Tooltip("relative_size:Q", format="+.1%")],
    )
    labels = events_only.mark_text(align="left", dx=4, dy=-6, baseline="top").encode(
        x=alt.X("date:T"), y=alt.YValue(0), text=alt.Text("label:N"),
        color=alt.Color("kind:N", scale=_EVENT_COLOURS, legend=None))
    return alt.layer(line, rules, labels, data=data, title=title).properties(
        width=_WIDTH, height=220).resolve_scale(color="independent")


def elasticity_chart(result, *, bins: int = 40) -> alt.LayerChart:
    """Binned averages of the metric against the audience on log-log axes, with the fitted line.

    ``result`` is a :class:`toolkit.result.Result` from :func:`toolkit.followers.elasticity`. The
    points average what the line fits: geometric means of the bins for ``method="ols"`` (least
    squares on logs fits the mean of log(metric)), plain means for ``"ppml"`` (which fits the mean
    itself), so a good fit runs through the points.
    """
    data = result.details["data"]
    audience = result.details["audience"]
    geometric = result.details.get("method", "ols") == "ols"
    metric = result.table.loc[0, "metric"]
    b = float(result.table.loc[0, "elasticity"])
    a = float(result.details["intercept"])
    x = data["x"].to_numpy(dtype=float)
    y = data["y"].to_numpy(dtype=float)
    if len(x) > bins:
        q = pd.qcut(x, bins, duplicates="drop", labels=False)
        frame = pd.DataFrame({"x": x, "y": np.log(y) if geometric else y, "q": q})
        binned = frame.groupby("q").agg(x=("x", "median"), y=("y", "mean"), n=("y", "size")).reset_index(drop=True)
        if geometric:
            binned["y"] = np.exp(binned["y"])
        average = "geometric mean per bin" if geometric else "mean per bin"
    else:
        binned = pd.DataFrame({"x": x, "y": y, "n": 1})
        unit = str(result.table.loc[0, "level"]) if "level" in result.table.columns else "post"
        average = f"one point per {unit}"
    binned = binned[(binned["x"] > 0) & (binned["y"] > 0)]
    grid = np.geomspace(max(x[x > 0].min(), 1e-9), x.max(), 50)
    fit = pd.DataFrame({"x": grid, "y": np.exp(a) * grid**b})
    points = alt.Chart(binned).mark_circle(size=50).encode(
        x=alt.X("x:Q", scale=alt.Scale(type="log"), title=audience),
        y=alt.Y("y:Q", scale=alt.Scale(type="log"), title=f"{metric} ({average})"),
        tooltip=[alt.Tooltip("x:Q", format=",.0f", title=audience), alt.Tooltip("y:Q", format=".4g"),
                 alt.Tooltip("n:Q")],
    )
    line = alt.Chart(fit).mark_line(color="#d62728").encode(x=alt.X("x:Q"), y=alt.Y("y:Q"))
    if average.startswith("one point"):
        what = f"points: {average[len('one point per '):]}s"
    elif geometric:
        what = "points: geometric means of equal-count bins, the average a least-squares fit on logs describes"
    else:
        what = "points: means of equal-count bins"
    return alt.layer(points, line, title=_title(
        f"Elasticity of {metric} to {audience}: {b:.2f}", f"{what}; line: fitted log-log slope")).properties(
        width=_WIDTH // 2, height=260)


def ladder_chart(table: pd.DataFrame, *, template: alt.Chart | None = None) -> alt.Chart:
    """What each rung adds to the weighted engagement score per 1,000 impressions, weakest rung first.

    ``table`` is :func:`toolkit.metrics.ladder` without ``by`` (one row per signal). Bar length is
    ``weight * per_1000_impressions``; the tooltip gives the unweighted rate, the weight and the
    share of the score. Signals without a weight (follows) are left out.

    >>> posts = pd.DataFrame({"likes": pd.array([90, 10], dtype="Int64"),
    ...     "clicks": pd.array([5, 5], dtype="Int64"), "impressions": pd.array([1000, 1000], dtype="Int64")})
    >>> spec = ladder_chart(m.ladder(posts)).to_dict()
    >>> spec["encoding"]["x"]["field"], [r["signal"] for r in spec["datasets"][spec["data"]["name"]]]
    ('weighted_per_1000', ['likes', 'clicks'])
    """
    title = "Weighted engagement per 1,000 impressions, rung by rung"
    data = table[table["weight"].notna()] if "weight" in table.columns else table.iloc[:0]
    if len(data) == 0 or data["per_1000_impressions"].isna().all():
        return message_chart(title, "No weighted signals with impressions in these posts, so there is nothing to chart.")
    total = float(data["weighted_per_1000"].sum())
    title = _title(title, f"bar = weight x signal per 1,000 impressions; total score {total:.4g} per 1,000 impressions")
    cols = ["signal", "weight", "per_1000_impressions", "weighted_per_1000", "share_of_score"]
    plain = _plain(data[cols].reset_index(drop=True))
    if template is not None:
        return _refill(template, plain, title)
    order = [s for s in m.LADDER_SIGNALS if s in set(plain["signal"])]
    return alt.Chart(plain).mark_bar(opacity=0.85).encode(
        y=alt.Y("signal:N", sort=order, title=None),
        x=alt.X("weighted_per_1000:Q", title="weighted points per 1,000 impressions"),
        color=alt.Color("signal:N", sort=order, legend=None),
        tooltip=[alt.Tooltip("signal:N"), alt.Tooltip("weight:Q", format=".3g"),
                 alt.Tooltip("per_1000_impressions:Q", format=".4g", title="per 1,000 impressions"),
                 alt.Tooltip("weighted_per_1000:Q", format=".4g", title="weighted per 1,000"),
                 alt.Tooltip("share_of_score:Q", format=".1%", title="share of score")],
    ).properties(title=title, width=_WIDTH // 2, height=alt.Step(22))
