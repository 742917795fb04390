"""Panel for planning an experiment: power against weeks, and a randomised posting schedule.

The panel gathers choices and calls :func:`toolkit.design.power` and
:func:`toolkit.design.schedule`; it shows the :class:`~toolkit.design.PowerResult` and the schedule
it gets back, replacing its output areas on every run.

>>> from toolkit.simulate import simulate_profile
>>> posts = simulate_profile(days=90, seed=1, text=False).posts
>>> panel = DesignPanel(posts, metric="likes", n_sims=100)
>>> panel.lifts.value = (0.2,); panel.max_weeks.value = 8
>>> panel.power_button.click()
>>> sorted(panel.result.table["weeks"].unique().tolist())
[2, 4, 6, 8]
>>> panel.schedule_weeks.value = 2; panel.schedule_button.click()
>>> len(panel.plan) == 2 * 7 * len(panel.times.value.split(","))
True
"""

from __future__ import annotations

import datetime as dt
import html
from pathlib import Path

import ipywidgets as w
import pandas as pd

from toolkit.design import History, PowerResult, fit_history, power, schedule, schedule_to_csv
from toolkit.display import redrawn
from toolkit.errors import AnalysisError, EngagementLabError

__all__ = ["DesignPanel", "LIFT_CHOICES"]

LIFT_CHOICES = (0.05, 0.1, 0.15, 0.2, 0.3, 0.5)


def _weeks_grid(max_weeks: int) -> list[int]:
    grid = [w for w in (2, 4, 6, 8, 12, 16, 20, 26, 39, 52) if w <= max_weeks]
    return grid if max_weeks in grid else grid + [max_weeks]


class DesignPanel:
    """Widgets around :func:`toolkit.design.power` and :func:`toolkit.design.schedule`.

    Parameters
    ----------
    posts
        The account's posts so far (its history is fitted once, with :func:`fit_history`).
    metric, exposure
        The count to plan for and its exposure.
    account
        Keep only this account.
    n_sims
        Simulated profiles per lift and horizon (more = smoother curves, slower).
    seed
        Seed of the power simulation and of the schedule.
    start
        First day of the schedule (default: next Monday).
    since, last_weeks
        Fit the history on posts from this date on (e.g. the last strategy change), and on the
        account's last ``last_weeks`` weeks (:func:`toolkit.design.fit_history`).
    lifts, alpha, share, max_weeks
        Starting values of the power controls (a notebook passes its parameters).
    times, schedule_weeks
        Starting slot times and length of the schedule.
    tz
        Starting time zone of the slot times (:func:`toolkit.design.schedule`); matching the
        published posts back to the slots needs the same zone (``match_schedule(tz=)``, notebook
        03's ``SCHEDULE_TZ``).
    """

    def __init__(self, posts: pd.DataFrame, *, metric: str = "engagements",
                 exposure: str | None = "impressions", account: str | None = None,
                 n_sims: int = 300, seed: int = 0, start: str | dt.date | None = None,
                 since: str | None = None, last_weeks: int | None = None,
                 lifts: tuple[float, ...] = (0.1, 0.2, 0.3),
                 alpha: float = 0.05, share: float = 0.5, max_weeks: int = 26,
                 times: tuple[str, ...] = ("09:00", "18:00"), schedule_weeks: int = 8,
                 tz: str = "UTC") -> None:
        self.history: History = fit_history(posts, metric=metric, exposure=exposure, account=account,
                                            since=since, last_weeks=last_weeks)
        self.result: PowerResult | None = None
        self.plan: pd.DataFrame | None = None
        self.error: str | None = None

        style = {"description_width": "initial"}
        self.analysis = w.Dropdown(options=[("personal vs other posts", "content_lift"),
                                            ("before vs after a change", "before_after")],
                                   value="content_lift", description="Design", style=style)
        choices = sorted(set(LIFT_CHOICES) | {float(v) for v in lifts})  # a notebook's own lifts too
        self.lifts = w.SelectMultiple(options=[(f"{v:+.0%}", v) for v in choices],
                                      value=tuple(float(v) for v in lifts), description="Lifts", rows=4)
        self.max_weeks = w.IntSlider(value=int(max_weeks), min=2, max=max(52, int(max_weeks)),
                                     description="Up to weeks", style=style)
        self.alpha = w.Dropdown(options=sorted({0.01, 0.05, 0.1, float(alpha)}), value=float(alpha),
                                description="alpha")
        # the range takes in the notebook's own share: a slider clamps a value outside it unseen
        self.share = w.FloatSlider(value=float(share), min=min(0.05, float(share)),
                                   max=max(0.95, float(share)), step=0.05, description="Personal share",
                                   style=style)
        self.n_sims = w.IntText(value=int(n_sims), description="Simulations", style=style)
        self.seed = w.IntText(value=int(seed), description="Seed")
        self.power_button = w.Button(description="Compute power", button_style="primary")
        self.power_out = w.Output()

        if start is None:
            today = dt.date.today()
            start = today + dt.timedelta(days=(7 - today.weekday()) % 7 or 7)
        self.start = w.DatePicker(value=pd.Timestamp(start).date(), description="Start")
        self.schedule_weeks = w.IntSlider(value=int(schedule_weeks), min=1, max=max(52, int(schedule_weeks)),
                                          description="Weeks")
        self.times = w.Text(value=", ".join(times), description="Slot times",
                            placeholder="09:00, 18:00 or Mon 09:00, Thu 18:30")
        self.tz = w.Text(value=tz, description="Time zone", placeholder="UTC or Europe/Berlin")
        self.schedule_button = w.Button(description="Draw schedule", button_style="primary")
        self.csv_path = w.Text(value="schedule.csv", description="CSV file")
        self.save_button = w.Button(description="Save CSV")
        # a plan drawn here is a new plan: only a spec that names its file reruns it
        self.save_hint = w.HTML("<small>A plan saved here is a new plan: to rerun it, write an "
                                "experiment spec that names this file (toolkit.spec).</small>")
        self.schedule_out = w.Output()

        self.power_button.on_click(lambda _: self.compute_power())
        self.schedule_button.on_click(lambda _: self.draw_schedule())
        self.save_button.on_click(lambda _: self.save_csv())

        self.widget = w.VBox([
            w.HTML("<b>Power: how many weeks to detect a lift?</b>"),
            w.HBox([w.VBox([self.analysis, self.max_weeks, self.alpha, self.share]),
                    w.VBox([self.lifts, self.n_sims, self.seed, self.power_button])]),
            self.power_out,
            w.HTML("<b>Randomised posting schedule</b>"),
            w.HBox([w.VBox([self.start, self.schedule_weeks]),
                    w.VBox([self.times, self.tz, self.schedule_button]),
                    w.VBox([self.csv_path, self.save_button, self.save_hint])]),
            self.schedule_out,
        ])
        self.compute_power()
        self.draw_schedule()

    # -- callbacks ---------------------------------------------------------------------------
    def compute_power(self) -> PowerResult | None:
        """Run :func:`toolkit.design.power` with the current choices and show the result."""
        self.error = None
        try:
            lifts = list(self.lifts.value) or [0.2]
            self.result = power(history=self.history, analysis=self.analysis.value, lifts=lifts,
                                weeks=_weeks_grid(self.max_weeks.value), alpha=self.alpha.value,
                                share=self.share.value, n_sims=self.n_sims.value,
                                seed=self.seed.value, progress=False)
        except EngagementLabError as exc:
            self.error, self.result = str(exc), None
        self._show(self.power_out, [self.result.chart(), self.result] if self.error is None else [])
        return self.result

    def _times(self) -> list[str]:
        return [t.strip() for t in self.times.value.split(",") if t.strip()]

    def draw_schedule(self) -> pd.DataFrame | None:
        """Draw the randomised schedule with the current choices and show its first slots."""
        self.error = None
        try:
            if self.start.value is None:
                raise AnalysisError("pick the date the schedule starts", parameter="start", found="no date")
            self.plan = schedule(self.start.value, self.schedule_weeks.value, times=self._times(),
                                 share_personal=self.share.value, seed=self.seed.value,
                                 tz=self.tz.value.strip())
        except EngagementLabError as exc:  # no schedule: Save CSV must not write the previous one
            self.error, self.plan = str(exc), None
        self._show(self.schedule_out, self._schedule_views() if self.error is None else [])
        return self.plan

    def save_csv(self) -> Path | None:
        """Write the current schedule to the CSV path (columns of ``schedule_to_csv``)."""
        if self.plan is None:
            return None
        path = Path(self.csv_path.value)
        self.error = None
        try:
            schedule_to_csv(self.plan, path, overwrite=True)  # the user's own click
        except (OSError, EngagementLabError) as exc:
            self.error = f"cannot write {path}: {getattr(exc, 'strerror', None) or exc}"
            self._show(self.schedule_out, self._schedule_views())
            return None
        zone = self.plan["slot_time"].dt.tz
        self._show(self.schedule_out, self._schedule_views() + [
            f"Saved {len(self.plan)} slots to {path}, local times in {zone}: match the posts back "
            f"in the same zone (notebook 03's SCHEDULE_TZ = {str(zone)!r})."])
        return path

    # -- display -----------------------------------------------------------------------------
    def _schedule_views(self) -> list:
        counts = (self.plan.groupby(["weekday", "time", "label"], observed=True).size()
                  .unstack("label", fill_value=0).reset_index())
        return ["Personal / other slots per weekday and time (balanced by design):", counts,
                self.plan.head(10)]

    def _show(self, out: w.Output, items: list) -> None:
        from IPython import get_ipython
        from IPython.display import display

        if getattr(get_ipython(), "kernel", None) is None:  # no front end (scripts, doctests)
            return
        out.clear_output()
        with out:
            if self.error is not None:
                display(w.HTML(f"<p style='color:#b00'>{html.escape(self.error)}</p>"))
            for item in items:
                display(redrawn(item))

    def static_outputs(self) -> list:
        """What a static report shows instead of the widgets."""
        items: list = [self.history]
        if self.result is not None:
            items += [self.result.chart(), self.result]
        if self.plan is not None:
            items += self._schedule_views()
        return items

    def _ipython_display_(self) -> None:
        from toolkit.display import show_panel

        show_panel(self)
