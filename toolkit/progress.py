"""Progress bars that leave their final line, not a stalled widget, in a saved notebook.

Every long computation of the toolkit shows a tqdm bar: a text line in a terminal, a widget in
Jupyter (``tqdm.auto``). A notebook saved without its widget state (JupyterLab's default), and
every viewer that cannot run widgets (GitHub, nbviewer, an exported page), shows a widget by its
text fallback, which is frozen at the moment the widget was first displayed: ``0%| | 0/500``,
as if the run had stalled. So in Jupyter, once a bar closes, :func:`progress_bar` replaces its widget
in the output with the bar's final line of text (``power: 100%|...| 500/500 [00:03<00:00]``), or
with nothing when the bar was made with ``leave=False``. A bar that stopped early (an error
mid-loop) keeps the count it reached, so the saved notebook says where it stopped. Outside
Jupyter, and for a bar given tqdm's ``delay=``, it is tqdm's own bar. ``TQDM_DISABLE`` (set by the
runner and the report builder for their kernels) turns every bar off, even one asked for with
``disable=False``, which tqdm's notebook bar would show regardless.

>>> [x * 2 for x in progress_bar(range(3), desc="doubling", disable=True)]
[0, 2, 4]
"""

from __future__ import annotations

import functools
from typing import Any

__all__ = ["progress_bar"]


@functools.cache
def _notebook_bar(base: type) -> type:
    """``base`` (tqdm.auto's notebook bar) made to replace its widget with text once closed."""
    from IPython.display import display

    class SavedBar(base):
        """A tqdm notebook bar displayed under a display id, so that closing it can rewrite the
        output it lives in."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            self._handle = None
            super().__init__(*args, display=False, **kwargs)
            if not self.disable:
                self._handle = display(self.container, display_id=True)

        def close(self) -> None:
            handle, self._handle = self._handle, None
            finished = not self.total or self.n >= self.total  # as tqdm judges it
            super().close()
            if handle is not None:
                text = "" if (finished and not self.leave) else str(self)
                handle.update({"text/plain": text}, raw=True)

    return SavedBar


def progress_bar(iterable: Any = None, **kwargs: Any) -> Any:
    """A tqdm progress bar (``tqdm.auto``'s choice of kind), which in Jupyter leaves its final line
    of text in the output once closed (see the module docstring). Arguments are tqdm's. Close the
    bar (iterate to the end, use ``with`` or call ``close()``) for the text to replace the widget.
    """
    import os
    import sys

    from tqdm.auto import tqdm as auto_tqdm

    if os.environ.get("TQDM_DISABLE", "").strip().lower() in {"1", "true", "yes"}:
        kwargs["disable"] = True
    notebook = sys.modules.get("tqdm.notebook")  # imported by tqdm.auto in Jupyter only
    if (kwargs.get("disable") or kwargs.get("delay") or notebook is None
            or not issubclass(auto_tqdm, notebook.tqdm)):
        return auto_tqdm(iterable, **kwargs)
    return _notebook_bar(auto_tqdm)(iterable, **kwargs)
