"""Widget panels for the notebooks. Each panel shows result objects; it never recomputes logic itself.

Panels are plain classes with ``.widget`` (an ipywidgets container) and methods that tests drive by
setting widget values; ``display(panel)`` shows it.
"""

from __future__ import annotations

import importlib
from typing import Any

_PANELS = {
    "LoadPanel": "toolkit.widgets.load",
    "ExplorePanel": "toolkit.widgets.explore",
    "BeforeAfterPanel": "toolkit.widgets.before_after",
    "ContentLiftPanel": "toolkit.widgets.content_lift",
    "LabellingPanel": "toolkit.widgets.labelling",
    "DesignPanel": "toolkit.widgets.design",
    "LadderPanel": "toolkit.widgets.followers",
}

__all__ = sorted(_PANELS)


def __getattr__(name: str) -> Any:
    if name in _PANELS:
        return getattr(importlib.import_module(_PANELS[name]), name)
    raise AttributeError(f"module 'toolkit.widgets' has no attribute {name!r}")
