"""Forest plot of lifts with their intervals: the default chart of every :class:`~toolkit.result.Result`.

Works on any result table (the standard columns ``method``, ``metric``, ``lift``, ``ci_low``,
``ci_high``; an optional ``term`` column splits rows further), so before/after, content lift and
design results all get a readable chart without a builder of their own.

>>> import pandas as pd
>>> table = pd.DataFrame({"method": ["glm", "permutation"], "metric": ["likes", "likes"],
...     "lift": [0.2, 0.25], "ci_low": [0.1, 0.12], "ci_high": [0.3, 0.4], "p_value": [0.01, 0.02],
...     "n_baseline": [100, 100], "n_treatment": [50, 50]})
>>> spec = lift_chart(table).to_dict()
>>> [layer["mark"]["type"] for layer in spec["layer"]]
['rule', 'point', 'rule']
>>> sorted(len(rows) for rows in spec["datasets"].values())
[1, 2]
"""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from toolkit.result import format_pct

__all__ = ["lift_chart"]


def lift_chart(table: pd.DataFrame, level: float = 0.95, title: str | None = None) -> alt.LayerChart:
    """Lift (as %) of each row with its interval, one line per method (and term), coloured by metric.

    Parameters
    ----------
    table
        A result table (standard columns; ``term`` optional).
    level
        Confidence level of the intervals, for the axis title.
    title
        Chart title; default "Lift with <level> intervals".

    Returns
    -------
    alt.LayerChart
        Interval rules, point estimates and a dashed zero line. Rows without a finite lift are left
        out (their count is in the subtitle).
    """
    frame = table.copy()
    for c in ("lift", "ci_low", "ci_high"):
        frame[c] = pd.to_numeric(frame[c], errors="coerce").astype(float)
    ok = np.isfinite(frame["lift"].to_numpy())
    left_out = int((~ok).sum())
    frame = frame[ok]
    term = frame["term"].astype(str) if "term" in frame.columns else pd.Series("", index=frame.index)
    show_term = term.nunique() > 1 or (term.iloc[0] not in ("", "label") if len(term) else False)
    row = frame["method"].astype(str) + np.where(show_term, ": " + term, "")
    data = pd.DataFrame({
        "row": row.to_numpy(),
        "metric": frame["metric"].astype(str).to_numpy(),
        "lift_pct": 100 * frame["lift"].to_numpy(),
        "low_pct": 100 * frame["ci_low"].to_numpy(),
        "high_pct": 100 * frame["ci_high"].to_numpy(),
        "lift_text": [format_pct(v) for v in frame["lift"]],
        "p_value": pd.to_numeric(frame["p_value"], errors="coerce").to_numpy(dtype=float),
    })
    subtitle = f"{left_out} row(s) without an estimate left out" if left_out else ""
    axis_title = f"lift, % ({level:.0%} interval)"
    base = alt.Chart(data).encode(
        y=alt.Y("row:N", title=None, sort=list(dict.fromkeys(data["row"]))),
        yOffset=alt.YOffset("metric:N"),
        color=alt.Color("metric:N", title="metric"),
    )
    tooltip = [alt.Tooltip("row:N", title="method"), alt.Tooltip("metric:N"),
               alt.Tooltip("lift_text:N", title="lift"),
               alt.Tooltip("low_pct:Q", format=".1f", title="low %"),
               alt.Tooltip("high_pct:Q", format=".1f", title="high %"),
               alt.Tooltip("p_value:Q", format=".3g")]
    rules = base.mark_rule(strokeWidth=2).encode(x=alt.X("low_pct:Q", title=axis_title),
                                                 x2=alt.X2("high_pct:Q"), tooltip=tooltip)
    points = base.mark_point(filled=True, size=70).encode(x=alt.X("lift_pct:Q"), tooltip=tooltip)
    zero = alt.Chart(pd.DataFrame({"zero": [0.0]})).mark_rule(strokeDash=[4, 4], color="gray").encode(
        x=alt.X("zero:Q"))
    return alt.layer(rules, points, zero).properties(
        title=alt.TitleParams(title or f"Lift with {level:.0%} intervals", subtitle=subtitle),
        width=420, height=alt.Step(16 * max(1, data["metric"].nunique())),
    )
