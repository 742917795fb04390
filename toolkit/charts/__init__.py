"""Altair chart builders. Every builder takes a DataFrame (or a result) and returns an ``alt.Chart``;
aggregation happens in Python so charts stay small (see ``toolkit.display`` for offline rendering).

Encodings are channel objects (``alt.X("day:T")``, ``alt.Tooltip("day:T")``, ``alt.ColorValue``),
never shorthand strings or ``alt.value`` dicts: Altair turns each of those into a channel by
searching its whole schema (vega/altair#3547), 5-15 ms a channel, which added about 100 ms to every
chart a panel redraws. The specs are the same.
"""

from __future__ import annotations

import importlib
from typing import Any

#: public name -> module (each module's ``__all__``, gathered here so that ``toolkit.charts.X``
#: imports only the module that defines X)
_BUILDERS = {
    **dict.fromkeys(["time_series", "time_series_table", "distribution", "distribution_table", "heatmap",
                     "follower_history", "follower_history_table", "group_bars", "elasticity_chart",
                     "ladder_chart", "message_chart", "no_values_message", "data_rows", "MAX_POINTS"],
                    "toolkit.charts.explore"),
    "lift_chart": "toolkit.charts.lift",
    **dict.fromkeys(["before_after_chart", "path_frame", "placebo_chart"], "toolkit.charts.before_after"),
    "power_chart": "toolkit.charts.design",
}

__all__ = sorted(_BUILDERS)


def __getattr__(name: str) -> Any:
    if name in _BUILDERS:
        return getattr(importlib.import_module(_BUILDERS[name]), name)
    raise AttributeError(f"module 'toolkit.charts' has no attribute {name!r}")
