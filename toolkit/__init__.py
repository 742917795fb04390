"""Engagement Lab: test what moves social media engagement, with statistics that fit the data.

The public API (see ``docs/ARCHITECTURE.md``)::

    ds = toolkit.load("data/sample")          # a file, a folder or a list; formats detected
    posts = toolkit.engagement(ds.posts)
    toolkit.before_after(posts, change="2024-10-01", account="harborbakes").table
    # X exports carry no content label: attach the account's own tags (post_id,content_label)
    main = toolkit.metrics.of_account(posts, "harborbakes")
    main = toolkit.labels.attach_labels(main, "data/sample/labels/harborbakes.csv")
    toolkit.content_lift(main, label=("content_label", "personal")).text

Most names are imported lazily, so a notebook pays only for what it uses. ``before_after`` and
``content_lift`` are imported at once: each is both a function and the module that defines it, and
importing the module later would otherwise replace the package attribute with the module.

>>> import toolkit
>>> "load" in toolkit.__all__
True
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

#: public name -> module that defines it
_EXPORTS = {
    "load": "toolkit.loading",
    "formats": "toolkit.loading",
    "Dataset": "toolkit.loading",
    "engagement": "toolkit.metrics",
    "before_after": "toolkit.before_after",
    "content_lift": "toolkit.content_lift",
    "label_personal": "toolkit.labels",
    "power": "toolkit.design",
    "Result": "toolkit.result",
}
_MODULES = (
    "errors", "schema", "result", "loading", "metrics", "followers", "charts", "display",
    "widgets", "before_after", "content_lift", "labels", "design", "simulate", "spec",
    "runner", "report", "batch",
)

__all__ = sorted(_EXPORTS) + ["__version__"]

from toolkit.before_after import before_after  # noqa: E402  (see the module docstring)
from toolkit.content_lift import content_lift  # noqa: E402


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        value = getattr(importlib.import_module(_EXPORTS[name]), name)
        globals()[name] = value
        return value
    if name in _MODULES:
        module = importlib.import_module(f"toolkit.{name}")
        globals()[name] = module
        return module
    raise AttributeError(f"module 'toolkit' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS) | set(_MODULES))
