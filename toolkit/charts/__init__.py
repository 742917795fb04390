"""Altair chart builders. Every builder takes a DataFrame (or a result) and returns an ``alt.Chart``;
aggregation happens in Python so charts stay small (see ``toolkit.display`` for offline rendering).
"""

from __future__ import annotations

import importlib
from typing import Any

_BUILDERS = {
    "time_series": "toolkit.charts.explore",
    "distribution": "toolkit.charts.explore",
    "heatmap": "toolkit.charts.explore",
    "follower_history": "toolkit.charts.explore",
    "group_bars": "toolkit.charts.explore",
    "elasticity_chart": "toolkit.charts.explore",
    "data_rows": "toolkit.charts.explore",
    "ladder_chart": "toolkit.charts.explore",
    "message_chart": "toolkit.charts.explore",
    "lift_chart": "toolkit.charts.lift",
    "before_after_chart": "toolkit.charts.before_after",
    "power_chart": "toolkit.charts.design",
}

__all__ = sorted(_BUILDERS)


def __getattr__(name: str) -> Any:
    if name in _BUILDERS:
        return getattr(importlib.import_module(_BUILDERS[name]), name)
    raise AttributeError(f"module 'toolkit.charts' has no attribute {name!r}")
