"""Panel for "did engagement move after the change?": pick the date, windows, metric and methods.

The panel only gathers choices and calls :func:`toolkit.before_after`; every change of a control
reruns it and replaces the shown :class:`~toolkit.result.Result` and chart in place, except the
interval level, which only restates the last result at the new level
(:meth:`~toolkit.before_after.BeforeAfterResult.at_level`: no model is refitted).

>>> import datetime
>>> from toolkit.before_after import _demo_posts
>>> panel = BeforeAfterPanel(_demo_posts(), change="2024-07-01")
>>> panel.result.table.loc[0, "method"]
'glm'
>>> panel.method.value = ("glm", "its")
>>> panel.result.table["method"].tolist()
['glm', 'its']
>>> panel.change.value = datetime.date(1999, 1, 1)
>>> "change" in panel.status.value and panel.result is None
True
>>> panel.change.value = datetime.date(2024, 7, 1)
>>> panel.level.value = 0.9
>>> panel.result.level
0.9
"""

from __future__ import annotations

import datetime as _dt
import html
import warnings

import ipywidgets as w
import pandas as pd

from toolkit.before_after import METHODS, _parse_date, before_after
from toolkit.display import redrawn
from toolkit.errors import AnalysisError, ConfoundWarning, EngagementLabError
from toolkit.metrics import of_account

__all__ = ["BeforeAfterPanel"]

_METRIC_CANDIDATES = ("engagements", "weighted_engagement", "likes", "comments", "shares", "saves",
                      "clicks", "profile_visits", "follows")


class BeforeAfterPanel:
    """Widgets around :func:`toolkit.before_after`.

    Parameters
    ----------
    posts
        The posts table (one account, or several with ``account=``/``control_account=``).
    change
        Initial change date (default: the middle of the data).
    metric, exposure, method
        Initial choices (``method`` may be a list).
    account, control_account
        Passed to :func:`toolkit.before_after`; the metric menu offers the metrics with values on
        ``account`` (:func:`toolkit.metrics.of_account`). An account without posts is shown as
        an error in :attr:`status`.
    level
        Initial level of the intervals (default 95%); the ``Interval`` control changes it
        without refitting (see :meth:`relevel`).

    Attributes
    ----------
    result
        The last :class:`~toolkit.before_after.BeforeAfterResult` (``None`` after an error, which
        is shown in :attr:`status`).
    """

    def __init__(self, posts: pd.DataFrame, change=None, *, metric: str = "engagements",
                 exposure: str | None = "impressions", method="glm", account: str | None = None,
                 control_account: str | None = None, level: float = 0.95) -> None:
        self.posts = posts
        self.account = account
        self.control_account = control_account
        self.result = None
        self.warnings: list[str] = []
        days = pd.to_datetime(posts["published_at"], utc=True).dt.tz_localize(None).dt.normalize()
        first, last = days.min(), days.max()
        span = max(int((last - first).days) + 1, 1)
        # read as before_after reads it: 01/10/2024 is refused (which order?), a time of day too
        start = _parse_date(change, "change") if change is not None else first + (last - first) / 2
        self.change = w.DatePicker(value=start.date(), description="Change on")
        shortest = min(7, span)  # a week, or all there is
        self.before = w.IntSlider(value=span, min=shortest, max=span, step=7, description="Days before",
                                  continuous_update=False)
        self.after = w.IntSlider(value=span, min=shortest, max=span, step=7, description="Days after",
                                 continuous_update=False)
        # metrics with values on the account analysed (another account's saves are no use here)
        try:
            mine = of_account(posts, account)
        except AnalysisError:
            mine = posts.iloc[:0]  # run() below shows the error, which lists the accounts there are
        metrics = [m for m in _METRIC_CANDIDATES
                   if m in ("engagements", "weighted_engagement")
                   or (m in mine.columns and mine[m].notna().any())]
        self.metric = w.Dropdown(options=metrics, value=metric if metric in metrics else metrics[0],
                                 description="Metric")
        exposures = [c for c in ("impressions", "reach", "followers")
                     if c in posts.columns and posts[c].notna().any()]
        self.exposure = w.Dropdown(options=exposures + [("per post", None)],
                                   value=exposure if exposure in exposures else None, description="Per")
        methods = [m for m in METHODS if m != "did" or control_account is not None]
        chosen = (method,) if isinstance(method, str) else tuple(method)
        self.method = w.SelectMultiple(options=methods, value=chosen, description="Methods", rows=4)
        levels = sorted({0.8, 0.9, 0.95, 0.99, float(level)})
        self.level = w.Dropdown(options=[(f"{x:.0%}" if x * 100 == round(x * 100) else f"{x:.1%}", x)
                                         for x in levels], value=float(level), description="Interval")
        self.status = w.HTML()
        self.output = w.Output()
        for control in (self.change, self.before, self.after, self.metric, self.exposure, self.method):
            control.observe(lambda _c: self.run(), names="value")
        self.level.observe(lambda _c: self.relevel(), names="value")
        left = w.VBox([self.change, self.before, self.after])
        right = w.VBox([self.metric, self.exposure, self.method, self.level])
        self.widget = w.VBox([w.HBox([left, right]), self.status, self.output])
        self.run()

    @property
    def window(self) -> tuple[int, int]:
        """Days kept before and after the change, as passed to :func:`toolkit.before_after`."""
        return int(self.before.value), int(self.after.value)

    def run(self) -> None:
        """Rerun :func:`toolkit.before_after` with the current choices and show the result in place."""
        if self.change.value is None or not self.method.value:
            self.result, self.warnings = None, []
            self.status.value = "<span style='color:#b00'>choose a change date and a method</span>"
            self.output.outputs = ()  # no longer the previous choices' result
            return
        change = self.change.value
        if isinstance(change, _dt.datetime):
            change = change.date()
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always", ConfoundWarning)
                self.result = before_after(self.posts, change=change.isoformat(),
                                           metric=self.metric.value, exposure=self.exposure.value,
                                           method=list(self.method.value), window=self.window,
                                           account=self.account, level=self.level.value,
                                           control_account=self.control_account)
            self.warnings = [str(c.message) for c in caught if issubclass(c.category, ConfoundWarning)]
        except EngagementLabError as exc:
            self.result, self.warnings = None, []  # the previous run's cautions are not this one's
            self.status.value = f"<span style='color:#b00'>{html.escape(str(exc), quote=False)}</span>"
            self.output.outputs = ()
            return
        self.status.value = "".join(f"<p style='color:#a60'>Warning: {html.escape(w_, quote=False)}</p>" for w_ in self.warnings)
        self._show()

    def relevel(self) -> None:
        """Show the last result at the chosen interval level.

        The intervals, text and chart are recomputed from the kept fits
        (:meth:`~toolkit.before_after.BeforeAfterResult.at_level`), which is what
        :func:`toolkit.before_after` would return at that level; the warnings stay, as they do not
        depend on the level. Without a result (nothing chosen, or the last run failed) this is
        :meth:`run`.
        """
        if self.result is None:
            self.run()
            return
        self.result = self.result.at_level(self.level.value)
        self._show()

    def _show(self) -> None:
        self.output.outputs = ()  # replace the previous result in place
        self.output.append_display_data(self.result)
        self.output.append_display_data(redrawn(self.result.chart()))

    def static_outputs(self) -> list:
        """What a static report shows instead of the widget."""
        if self.result is None:
            return []
        return [self.result, self.result.chart()]

    def _ipython_display_(self) -> None:
        from toolkit.display import show_panel  # noqa: PLC0415

        show_panel(self)
