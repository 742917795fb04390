"""Charts for planning an experiment: power against weeks of posting.

>>> import pandas as pd
>>> table = pd.DataFrame({"lift": [0.1, 0.1, 0.2, 0.2], "weeks": [4, 8, 4, 8],
...                       "power": [0.2, 0.35, 0.5, 0.8], "power_se": [0.02] * 4})
>>> spec = power_chart(table).to_dict()
>>> spec["layer"][0]["encoding"]["x"]["field"], len(spec["datasets"][next(iter(spec["datasets"]))])
('weeks', 4)
"""

from __future__ import annotations

import altair as alt
import pandas as pd

__all__ = ["power_chart"]


def lift_labels(lifts) -> dict[float, str]:
    """Percent labels for lifts with as few decimals as keep different lifts apart.

    >>> lift_labels([0.1, 0.2])
    {0.1: '+10%', 0.2: '+20%'}
    >>> lift_labels([0.02, 0.025, 0.05])
    {0.02: '+2.0%', 0.025: '+2.5%', 0.05: '+5.0%'}
    """
    lifts = sorted({float(v) for v in lifts})
    for decimals in range(0, 7):
        labels = {v: f"{v:+.{decimals}%}" for v in lifts}
        if len(set(labels.values())) == len(lifts):
            return labels
    return {v: f"{v:+%}" for v in lifts}


def power_chart(table: pd.DataFrame, *, target: float | None = 0.8, title: str | None = None) -> alt.LayerChart:
    """Power against weeks of posting, one line per lift, with Monte Carlo error bands.

    Parameters
    ----------
    table
        :attr:`toolkit.design.PowerResult.table` (columns ``lift``, ``weeks``, ``power`` and
        optionally ``power_se`` and ``power_closed_form``).
    target
        Draw a rule at this power (``None`` for none).
    title
        Chart title.

    Returns
    -------
    alt.LayerChart
        Lines and points of power, a band of +/- 2 Monte Carlo standard errors, the closed form
        as dashed lines where the table has it, and the target rule.
    """
    data = table.copy()
    labels = lift_labels(data["lift"].unique())
    data["lift_label"] = data["lift"].map(labels)
    order = [labels[v] for v in sorted(labels)]
    keep = ["weeks", "power", "lift_label"]
    if "power_se" in data.columns:
        data["power_low"] = (data["power"] - 2 * data["power_se"]).clip(0, 1)
        data["power_high"] = (data["power"] + 2 * data["power_se"]).clip(0, 1)
        keep += ["power_low", "power_high"]
    has_closed = "power_closed_form" in data.columns and data["power_closed_form"].notna().any()
    if has_closed:
        keep.append("power_closed_form")
    data = data[keep]
    color = alt.Color("lift_label:N", title="lift", sort=order)
    x = alt.X("weeks:Q", title="weeks of posting")
    y = alt.Y("power:Q", title="power", scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(format="%"))
    base = alt.Chart(data)
    tooltip = [alt.Tooltip("lift_label:N", title="lift"), alt.Tooltip("weeks:Q"),
               alt.Tooltip("power:Q", format=".1%")]
    layers = [
        base.mark_line(point=True).encode(x=x, y=y, color=color, tooltip=tooltip),
    ]
    if "power_low" in data.columns:
        layers.append(base.mark_area(opacity=0.15).encode(
            x=x, y=alt.Y("power_low:Q"), y2=alt.Y2("power_high:Q"), color=color))
    if has_closed:
        layers.append(base.mark_line(strokeDash=[4, 3], opacity=0.7).encode(
            x=x, y=alt.Y("power_closed_form:Q"), color=color))
    if target is not None:
        layers.append(alt.Chart(pd.DataFrame({"target": [target]})).mark_rule(
            color="gray", strokeDash=[2, 2]).encode(y=alt.Y("target:Q")))
    chart = alt.layer(*layers).properties(
        width=420, height=260,
        title=title or "Power against weeks of posting (band: +/- 2 Monte Carlo SE"
        + ("; dashed: closed form)" if has_closed else ")"),
    )
    return chart
