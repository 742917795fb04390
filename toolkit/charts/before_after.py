"""Charts of a before/after analysis: observed rate vs. the counterfactual, and placebo lifts.

Data are aggregated in Python (one row per day and method), so charts stay small.

>>> from toolkit.before_after import _demo_posts, before_after
>>> r = before_after(_demo_posts(), change="2024-07-01", method=["glm", "its"])
>>> spec = before_after_chart(r).to_dict()
>>> len(spec["layer"])
4
"""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

__all__ = ["before_after_chart", "path_frame", "placebo_chart"]

_METHOD_NAMES = {"glm": "glm (post-level NB model)", "its": "its (trend extrapolated)",
                 "counterfactual": "counterfactual (state-space forecast)",
                 "did": "did (vs control account)"}


def _calendar_day(days) -> pd.Series:
    """Days as time-zone-free midnights (a zone-aware day keeps its own calendar date)."""
    stamps = pd.Series(pd.to_datetime(pd.Series(days)))
    if stamps.dt.tz is not None:
        stamps = stamps.dt.tz_localize(None)
    return stamps.dt.normalize()


def path_frame(result) -> pd.DataFrame:
    """Long table behind :func:`before_after_chart`: day, method, observed, expected without the
    change and its interval (post-change days only), on the per-1,000-exposure scale.

    ``day`` is a time-zone-free midnight: Vega shows it as that calendar day in every viewer's
    time zone (text such as ``"2024-07-01"`` is read as UTC midnight and shows the day before west
    of UTC)."""
    d = result.details["data"]
    scale = 1000.0 if d.exposure else 1.0
    parts = []
    for method, path in result.details["paths"].items():
        p = path.copy()
        p["method"] = _METHOD_NAMES.get(method, method)
        parts.append(p)
    out = pd.concat(parts, ignore_index=True)
    for c in ("observed", "fitted", "counterfactual", "cf_low", "cf_high"):
        out[c] = out[c].astype(float) * scale
    out["day"] = _calendar_day(out["day"])
    return out[["day", "method", "observed", "counterfactual", "cf_low", "cf_high"]]


def before_after_chart(result, *, width: int = 640, height: int = 280) -> alt.LayerChart:
    """Observed daily rate, the expected rate without the change (per method) with its interval
    after the change, and a rule at the change date."""
    d = result.details["data"]
    unit = f"{d.metric} per 1,000 {d.exposure}" if d.exposure else f"{d.metric} per post"
    frame = path_frame(result)
    first = frame["method"].iloc[0]
    observed = frame.loc[frame["method"] == first, ["day", "observed"]]
    observed = observed[np.isfinite(observed["observed"])]
    bands = frame.dropna(subset=["cf_low", "cf_high"])
    lines = frame.dropna(subset=["counterfactual"])
    x = alt.X("day:T", title=None)
    base_obs = alt.Chart(observed).mark_line(color="#9a9a9a", strokeWidth=1, opacity=0.8).encode(
        x=x, y=alt.Y("observed:Q", title=unit),
        tooltip=[alt.Tooltip("day:T"), alt.Tooltip("observed:Q", format=".2f")])
    band = alt.Chart(bands).mark_area(opacity=0.18).encode(
        x=x, y=alt.Y("cf_low:Q"), y2=alt.Y2("cf_high:Q"),
        color=alt.Color("method:N", title="expected without the change"))
    line = alt.Chart(lines).mark_line(strokeDash=[4, 2], strokeWidth=1.6).encode(
        x=x, y=alt.Y("counterfactual:Q"), color=alt.Color("method:N"),
        tooltip=[alt.Tooltip("day:T"), alt.Tooltip("method:N"), alt.Tooltip("counterfactual:Q", format=".2f")])
    change = alt.Chart(pd.DataFrame({"day": _calendar_day([d.change]), "label": ["change"]})).mark_rule(
        color="black", strokeWidth=1.5).encode(
        x=alt.X("day:T"), tooltip=[alt.Tooltip("label:N"), alt.Tooltip("day:T")])
    title = f"{unit}: observed vs. expected without the change ({result.level:.0%} intervals)"
    return alt.layer(base_obs, band, line, change).properties(width=width, height=height, title=title)


def placebo_chart(placebo: pd.DataFrame, real_lift: float, *, level: float = 0.95,
                  width: int = 480, height: int = 220) -> alt.LayerChart:
    """Histogram of the lifts at fake change dates, with the real lift as a rule; the title gives
    the range of the middle ``level`` of the placebo lifts.

    >>> chart = placebo_chart(pd.DataFrame({"lift": [0.01, -0.02, 0.03]}), 0.2, level=0.8)
    >>> chart.to_dict()["layer"][1]["mark"]["type"]
    'rule'
    >>> chart.to_dict()["title"]
    'Real lift among placebo lifts (the middle 80% lie between -1% and +3%)'
    """
    data = pd.DataFrame({"lift": placebo["lift"].astype(float) * 100})
    hist = alt.Chart(data).mark_bar(color="#9a9a9a").encode(
        x=alt.X("lift:Q", bin=alt.Bin(maxbins=30), title="lift at a placebo date (%)"),
        y=alt.Y("count():Q", title="placebo dates"))
    rule = alt.Chart(pd.DataFrame({"lift": [real_lift * 100], "label": ["real change"]})).mark_rule(
        color="#d62728", strokeWidth=2).encode(
        x=alt.X("lift:Q"), tooltip=[alt.Tooltip("label:N"), alt.Tooltip("lift:Q", format=".1f")])
    lo, hi = data["lift"].quantile([(1 - level) / 2, 1 - (1 - level) / 2])
    title = (f"Real lift among placebo lifts (the middle {level:.0%} lie between {lo:+.0f}% and "
             f"{hi:+.0f}%)")
    return alt.layer(hist, rule).properties(width=width, height=height, title=title)
