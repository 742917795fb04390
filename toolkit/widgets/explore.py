"""The exploration panel: pick account, platform, dates, metric, rate denominator and aggregation.

:class:`ExplorePanel` computes the engagement columns and every per-post key (day, week, month,
weekday x hour cell, account and platform codes) once, at construction. A change of a control
rebuilds only the views that depend on it (the follower chart ignores the metric; only the time
series depends on its period), each from the posts selected by a precomputed boolean mask.
Logic lives in :mod:`toolkit.metrics`, :mod:`toolkit.followers` and :mod:`toolkit.charts.explore`;
the panel only wires them to controls.

>>> from toolkit.simulate import simulate_profile
>>> sim = simulate_profile(days=60, seed=1, purge=("2024-02-10", 0.1))
>>> panel = ExplorePanel(sim.posts, sim.followers)
>>> panel.denominator.value = "reach"
>>> panel.charts["time_series"].to_dict()["title"]["text"]
'engagements per reach (ratio of sums, by day), 7-day rolling'
>>> panel.tables["events"]["kind"].tolist()
['purge']
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Mapping
from typing import Any

import altair as alt
import ipywidgets as w
import numpy as np
import pandas as pd

from toolkit import metrics as m
from toolkit.charts import explore as ce
from toolkit.display import redrawn
from toolkit.errors import AnalysisError, is_whole

__all__ = ["ExplorePanel", "ALL", "PER_POST"]

#: the periods of the time series (``freq``)
FREQS = ("day", "week", "month")

#: Option meaning "no filter" in the account and platform menus.
ALL = "(all)"
#: Denominator option meaning "per post" (no exposure).
PER_POST = "(per post)"

_CONTROLS = ("account", "platform", "start", "end", "metric", "denominator", "how", "freq")
_FILTER = ("account", "platform", "start", "end")
#: columns the "groups" view charts, in order
_GROUPS = ("media_type", "content_label")
#: the tables each view fills (dropped when the view has nothing to show, so none is stale)
_TABLES = {"summary": ("summary",), "ladder": ("ladder",), "groups": tuple(f"by_{g}" for g in _GROUPS),
           "heatmap": ("heatmap",), "top": ("top", "bottom")}
_RATE = ("metric", "denominator", "how")

#: view -> controls it depends on
VIEWS: Mapping[str, tuple[str, ...]] = {
    "summary": _FILTER + _RATE,
    "ladder": _FILTER,
    "time_series": _FILTER + _RATE + ("freq",),
    "groups": _FILTER + _RATE,
    "heatmap": _FILTER + _RATE,
    "distribution": _FILTER + ("metric", "denominator"),
    "top": _FILTER + ("metric", "denominator"),
    "followers": ("account", "platform", "start", "end"),
}


class CachedViews:
    """Bookkeeping of a panel whose views are rebuilt only when the controls they depend on change.

    ``charts``, ``tables`` and ``notes`` hold what the views show now (for static reports and
    tests), ``rebuilt`` the views the last refresh rebuilt, and ``_templates`` the last chart of
    each kind, whose spec a rebuild reuses.
    """

    def _init_views(self) -> None:
        self.charts: dict[str, Any] = {}
        self.tables: dict[str, pd.DataFrame] = {}
        self.notes: dict[str, str] = {}
        self.rebuilt: list[str] = []
        self._keys: dict[str, tuple] = {}
        self._templates: dict[Any, Any] = {}

    def _stale(self, state: Mapping[str, Any], views: Mapping[str, tuple[str, ...]], force: bool) -> list[str]:
        """The views whose controls changed since they were built (all with ``force``), in order;
        their new control values are recorded."""
        stale = []
        for name, deps in views.items():
            key = tuple(state[d] for d in deps)
            if force or self._keys.get(name) != key:
                self._keys[name] = key
                stale.append(name)
        return stale


class ExplorePanel(CachedViews):
    """Explore a profile: metrics over time, by content and timing, top posts, follower history.

    Parameters
    ----------
    posts
        A canonical posts table (one or many accounts and platforms).
    followers
        The canonical followers table, if there is one (purges and spikes are detected on each
        account's full history once, then shown for the chosen dates).
    metric, denominator, how, freq
        Initial choices (``denominator=None`` means per post). When the posts have no impressions
        (a Hootsuite export, say), ``"impressions"`` (the default) falls back to the first exposure
        that has values (reach, followers), else per post; another denominator must have values.
    window
        Length of the rolling window drawn over the time series, in periods of ``freq`` (7: a
        week of days, 7 weeks, 7 months), calendar periods without posts included.
    weights
        Weights of the weighted engagement score (:data:`toolkit.metrics.DEFAULT_WEIGHTS`).
    top_n
        How many posts the top and bottom tables list.
    tz
        Time zone (IANA name, e.g. ``"Europe/Berlin"``) in which days, weekdays and hours of day
        are read; posts that give a date only keep their day.

    Attributes
    ----------
    widget
        The ipywidgets container.
    charts, tables
        The current Altair charts and DataFrames by view name (what the outputs show).
    notes
        Messages shown instead of a chart or table whose column has no values (e.g.
        ``notes["media_type"]`` on X exports, which carry no media type).
    rebuilt
        Names of the views rebuilt by the last change (for tests and benchmarks).
    """

    def __init__(
        self,
        posts: pd.DataFrame,
        followers: pd.DataFrame | None = None,
        *,
        metric: str = m.ENGAGEMENTS,
        denominator: str | None = "impressions",
        how: str = m.DEFAULT_HOW,
        freq: str = "day",
        window: int = 7,
        weights: Mapping[str, float] = m.DEFAULT_WEIGHTS,
        top_n: int = 10,
        tz: str = "UTC",
    ) -> None:
        if not isinstance(posts, pd.DataFrame) or "published_at" not in posts.columns:
            raise AnalysisError("ExplorePanel needs a posts table with published_at", parameter="posts")
        if len(posts) == 0:
            raise AnalysisError("ExplorePanel needs at least one post", parameter="posts", found="0 rows")
        for name, value in (("window", window), ("top_n", top_n)):
            if not is_whole(value, 1):
                raise AnalysisError("must be a whole number, 1 or more", parameter=name, found=repr(value))
        if freq not in FREQS:
            raise AnalysisError(f"must be one of {list(FREQS)}", parameter="freq", found=repr(freq))
        self.window, self.top_n, self.tz = int(window), int(top_n), tz
        self.weights = m._check_weights(weights)
        self.posts = m.engagement(posts, weights).reset_index(drop=True)
        self._precompute()
        self.followers = followers
        self.events = self._detect(followers)
        if followers is not None:
            self._precompute_followers()

        accounts = sorted(self.posts["account"].dropna().astype(str).unique()) if "account" in self.posts else []
        platforms = sorted(self.posts["platform"].dropna().astype(str).unique()) if "platform" in self.posts else []
        first, last = self._date_bounds
        metrics = [c for c in m.METRIC_COLUMNS if c in self.posts.columns and self.posts[c].notna().any()]
        if metric not in metrics:
            raise AnalysisError("metric must be a count or engagement column with values",
                                parameter="metric", found=metric)
        denominators = [(PER_POST, PER_POST)] + [
            (d, d) for d in m.DENOMINATORS if d and d in self.posts.columns and self.posts[d].notna().any()]
        den_value = PER_POST if denominator is None else denominator
        if den_value == "impressions" and den_value not in [v for _, v in denominators]:
            den_value = denominators[1][1] if len(denominators) > 1 else PER_POST  # the default falls back
        if den_value not in [v for _, v in denominators]:
            raise AnalysisError("denominator has no values in these posts", parameter="denominator",
                                found=denominator)
        if how not in ("ratio_of_sums", "mean_of_ratios"):
            raise AnalysisError("how must be ratio_of_sums or mean_of_ratios", parameter="how", found=how)

        layout = w.Layout(width="240px")
        style = {"description_width": "80px"}
        self.account = w.Dropdown(options=[ALL] + accounts, value=ALL, description="Account", layout=layout,
                                  style=style)
        self.platform = w.Dropdown(options=[ALL] + platforms, value=ALL, description="Platform", layout=layout,
                                   style=style)
        self.start = w.DatePicker(value=first, description="From", layout=layout, style=style)
        self.end = w.DatePicker(value=last, description="To", layout=layout, style=style)
        self.metric = w.Dropdown(options=metrics, value=metric, description="Metric", layout=layout,
                                 style=style)
        self.denominator = w.Dropdown(options=denominators, value=den_value, description="Per",
                                      layout=layout, style=style)
        self.how = w.ToggleButtons(options=[(m.HOW[k], k) for k in ("ratio_of_sums", "mean_of_ratios")],
                                   value=how, description="Aggregate", style=style)
        self.freq = w.Dropdown(options=list(FREQS), value=freq, description="Period",
                               layout=layout, style=style)
        self.status = w.HTML()
        self.outputs = {name: w.Output() for name in VIEWS}
        heading = {
            "summary": "Summary", "ladder": "The ladder: likes, shares, comments, clicks",
            "time_series": "Over time", "groups": "By media type and content label",
            "heatmap": "By weekday and hour", "distribution": "Distribution per post",
            "top": "Top and bottom posts", "followers": "Followers",
        }
        body = []
        for name in VIEWS:
            if name == "followers" and followers is None:
                continue
            body += [w.HTML(f"<h4>{heading[name]}</h4>"), self.outputs[name]]
        self.widget = w.VBox([
            w.HBox([self.account, self.platform, self.start, self.end]),
            w.HBox([self.metric, self.denominator, self.freq]),
            self.how,
            self.status,
            *body,
        ])
        self._init_views()
        for name in _CONTROLS:
            getattr(self, name).observe(self._changed, names="value")
        self.refresh()

    # ------------------------------------------------------------------ precomputation
    def _precompute(self) -> None:
        p = self.posts
        # local times as every metric reads them (metrics._times: text read, the zone checked, a
        # date-only post kept on its own day rather than the day before west of Greenwich)
        local = m._times(p, self.tz)
        naive = local.dt.tz_localize(None)
        self._day = naive.dt.floor("D").to_numpy()  # datetime64 per post (local calendar day)
        days = pd.Series(self._day).dropna()
        if days.empty:
            raise AnalysisError("no post has a publish date", parameter="posts", column="published_at",
                                found=f"{len(p)} posts, all NaT")
        self._date_bounds = (days.min().date(), days.max().date())
        self._period = {
            "day": self._day,
            "week": naive.dt.to_period("W").dt.start_time.to_numpy(),
            "month": naive.dt.to_period("M").dt.start_time.to_numpy(),
        }
        known = p["time_known"].fillna(False).to_numpy(dtype=bool) if "time_known" in p else np.ones(len(p), bool)
        self._cell = np.where(known, (local.dt.day_of_week * 24 + local.dt.hour).to_numpy(), -1)
        self._account = p["account"].astype(str).to_numpy() if "account" in p else np.full(len(p), "")
        self._platform = p["platform"].astype(str).to_numpy() if "platform" in p else np.full(len(p), "")
        self._values = {
            c: pd.array(p[c], dtype="Float64").to_numpy(dtype=float, na_value=np.nan)
            for c in set(m.METRIC_COLUMNS) | {"followers"} if c in p.columns
        }
        # the columns views need, with counts as plain floats (NaN = missing): quick to subset
        keep = [c for c in ("account", "platform", "post_id", "published_at", "time_known", "media_type",
                            "content_label", "text") if c in p.columns]
        slim = {c: p[c] for c in keep}
        slim.update(self._values)
        slim[m.ENGAGEMENTS_SOURCE] = p[m.ENGAGEMENTS_SOURCE]
        self._slim = pd.DataFrame(slim)
        # per group column: which posts have a value (None: the column is absent)
        self._has_group = {by: p[by].notna().to_numpy(dtype=bool) for by in _GROUPS if by in p.columns}

    def _detect(self, followers: pd.DataFrame | None) -> pd.DataFrame | None:
        if followers is None:
            return None
        from toolkit.followers import detect_events

        return detect_events(followers)

    # ------------------------------------------------------------------ state
    @property
    def state(self) -> dict[str, Any]:
        """The current control values (``denominator`` None for per post)."""
        out = {name: getattr(self, name).value for name in _CONTROLS}
        out["denominator"] = None if out["denominator"] == PER_POST else out["denominator"]
        return out

    def _mask(self, state: Mapping[str, Any]) -> np.ndarray:
        key = tuple(state[k] for k in _FILTER)
        if getattr(self, "_mask_key", None) == key:
            return self._mask_value
        mask = np.ones(len(self.posts), dtype=bool)
        if state["account"] != ALL:
            mask &= self._account == state["account"]
        if state["platform"] != ALL:
            mask &= self._platform == state["platform"]
        if state["start"] is not None:
            mask &= self._day >= np.datetime64(state["start"])
        if state["end"] is not None:
            mask &= self._day < np.datetime64(state["end"] + dt.timedelta(days=1))
        self._mask_key, self._mask_value = key, mask
        self._subset_cache = None
        return mask

    def _remember(self, key: str, chart) -> None:
        """Keep ``chart`` as the template the next change refills; a chart that only says why
        there is nothing to draw has no structure to reuse."""
        if isinstance(chart, alt.LayerChart):
            self._templates[key] = chart
        else:
            self._templates.pop(key, None)

    def _subset(self, mask: np.ndarray) -> pd.DataFrame:
        if self._subset_cache is None:
            self._subset_cache = self._slim.loc[mask]
        return self._subset_cache

    # ------------------------------------------------------------------ updates
    def _changed(self, change: dict) -> None:
        self.refresh()

    def refresh(self, force: bool = False) -> list[str]:
        """Rebuild the views whose controls changed (all of them with ``force``); return their names."""
        state = self.state
        mask = self._mask(state)
        n = int(mask.sum())
        if state["start"] and state["end"] and state["start"] > state["end"]:
            self.status.value = "<b>From</b> is after <b>To</b>: no posts selected."
        else:
            self.status.value = f"{n:,} posts selected."
        views = {k: v for k, v in VIEWS.items() if k != "followers" or self.followers is not None}
        rebuilt = self._stale(state, views, force)
        for name in rebuilt:
            _show(self.outputs[name], self._build(name, state, mask, n))
        self.rebuilt = rebuilt
        return rebuilt

    def _build(self, name: str, state: Mapping[str, Any], mask: np.ndarray, n: int) -> list[Any]:
        metric, den, how = state["metric"], state["denominator"], state["how"]
        for key in (name,) + (_GROUPS if name == "groups" else ()):
            self.notes.pop(key, None)
        if name != "followers" and n == 0:
            for key in (name,) + (_GROUPS if name == "groups" else ()):
                self.charts.pop(key, None)
            for key in _TABLES.get(name, ()):
                self.tables.pop(key, None)
            self.notes[name] = "No posts in this selection."  # a static report shows it too
            return [self.notes[name]]
        y = self._values[metric][mask]
        d = None if den is None else self._values[den][mask]
        if name in ("time_series", "groups", "heatmap", "distribution", "top"):
            empty = next((c for c, v in ((metric, y), (den, d)) if v is not None and np.isnan(v).all()), None)
            if empty is not None:  # e.g. an account whose export has no clicks: say so, draw nothing
                for key in ((name,) if name != "groups" else _GROUPS):
                    self.charts.pop(key, None)
                for key in _TABLES.get(name, ()):
                    self.tables.pop(key, None)
                note = ce.no_values_message(empty, "this selection")
                self.notes[name] = note
                return [note]
        if name == "summary":
            table = self._summary(mask, metric, den, how)
            self.tables["summary"] = table
            return [table]
        if name == "ladder":
            table = self._ladder(mask)
            self.tables["ladder"] = table
            if len(table) == 0:
                self.notes["ladder"] = ("No likes, saves, shares, comments, clicks or follows in this selection: "
                                        "the exports do not carry them.")
                return [self.notes["ladder"]]
            return [table]
        if name == "time_series":
            sub = self._subset(mask)
            chart = ce.time_series(sub, metric=metric, denominator=den, how=how, freq=state["freq"],
                                   window=self.window, tz=self.tz, keys=self._period[state["freq"]][mask],
                                   template=self._templates.get("time_series"))
            self.charts["time_series"] = chart
            self._remember("time_series", chart)
            return [chart]
        if name == "groups":
            shown = []
            for by in _GROUPS:
                has = self._has_group.get(by)
                if has is None or not has[mask].any():
                    # e.g. X exports carry no media type: say so instead of drawing an empty chart
                    self.charts.pop(by, None)
                    self.tables.pop(f"by_{by}", None)
                    note = ce.no_values_message(by, "these exports" if has is None or not has.any()
                                                else "this selection")
                    self.notes[by] = note
                    shown.append(note)
                    continue
                self.notes.pop(by, None)
                keys = self.posts[by].array[mask]  # categories keep their order
                table = _as_aggregate(m._summarise(keys, y, d, how, keep_na=True), by, metric, den, how)
                self.tables[f"by_{by}"] = table
                chart = ce.group_bars(None, by, metric=metric, denominator=den, how=how, table=table,
                                      template=self._templates.get(by))
                self.charts[by] = chart
                self._remember(by, chart)
                shown.append(chart)
            return shown
        if name == "heatmap":
            # posts of date-only exports have no cell: the chart says how many it leaves out, or
            # that there is no grid when none has a time of day
            cells = _cells(self._cell[mask], y, d, how, metric, den)
            self.tables["heatmap"] = cells
            chart = ce.heatmap(None, metric=metric, denominator=den, cells=cells,
                               untimed=int((self._cell[mask] < 0).sum()), tz=self.tz,
                               template=self._templates.get("heatmap"))
            self.charts["heatmap"] = chart
            self._remember("heatmap", chart)
            return [chart]
        if name == "distribution":
            sub = self._subset(mask)
            chart = ce.distribution(sub, metric=metric, denominator=den,
                                    template=self._templates.get("distribution"))
            self.charts["distribution"] = self._templates["distribution"] = chart
            return [chart]
        if name == "top":
            sub = self._subset(mask)
            top = m.top_posts(sub, metric=metric, denominator=den, n=self.top_n)
            bottom = m.top_posts(sub, metric=metric, denominator=den, n=self.top_n, bottom=True)
            self.tables["top"], self.tables["bottom"] = top, bottom
            return [w.HTML(f"<b>Top {self.top_n}</b>"), top, w.HTML(f"<b>Bottom {self.top_n}</b>"), bottom]
        if name == "followers":
            return self._followers(state, mask)
        raise KeyError(name)  # pragma: no cover - VIEWS and _build are kept in step

    def _summary(self, mask: np.ndarray, metric: str, den: str | None, how: str) -> pd.DataFrame:
        rows = []
        for label, num, d in (
            (m.describe(metric, den, how), metric, den),
            (m.describe(m.ENGAGEMENTS, "impressions", how), m.ENGAGEMENTS, "impressions"),
            (m.describe("clicks", "impressions", how) + ": click-through", "clicks", "impressions"),
            (m.describe("follows", "impressions", how) + ": opt-in", "follows", "impressions"),
        ):
            if num not in self._values or (d is not None and d not in self._values):
                continue
            agg = m._summarise(None, self._values[num][mask], None if d is None else self._values[d][mask], how)
            if not len(agg):
                continue
            row = agg.iloc[0]
            rows.append({"measure": label, "value": row[m.VALUE], "ci_low": row[m.CI_LOW],
                         "ci_high": row[m.CI_HIGH], "posts used": int(row[m.N_USED])})
        return pd.DataFrame(rows).drop_duplicates("measure").reset_index(drop=True)

    def _ladder(self, mask: np.ndarray) -> pd.DataFrame:
        return m.ladder(self._subset(mask), weights=self.weights)  # the score the panel shows

    def _precompute_followers(self) -> None:
        """Follower history as plain arrays, events on each account's full history, and the
        engagement around each event (which does not depend on the controls), all once."""
        from toolkit.followers import engagement_around_events

        f = self.followers.dropna(subset=["followers"])
        date = f["date"].dt.tz_convert(self.tz).dt.tz_localize(None)
        self._f_day = date.dt.floor("D").to_numpy()
        self._f_account = f["account"].astype(str).to_numpy(dtype=object)
        # a history without a platform (a plain followers file) belongs to its account on any platform
        self._f_platform = (f["platform"].astype(object).where(f["platform"].notna(), None).to_numpy(dtype=object)
                            if "platform" in f.columns else np.full(len(f), None, dtype=object))
        self._f_plain = pd.DataFrame({
            "account": self._f_account,
            "date": f["date"].to_numpy(),
            "followers": pd.array(f["followers"], dtype="Float64").to_numpy(dtype=float, na_value=np.nan),
        })
        ev = self.events
        self._ev_day = ev["date"].dt.tz_convert(self.tz).dt.tz_localize(None).to_numpy()
        self._ev_account = ev["account"].astype(str).to_numpy(dtype=object)
        # an account with a follower history but no posts has no engagement around its events
        with_posts = np.isin(self._ev_account, self.posts["account"].dropna().astype(str).unique())
        self._around = (engagement_around_events(self.posts, ev[with_posts]).set_axis(ev.index[with_posts])
                        if with_posts.any() else pd.DataFrame())

    def _followers(self, state: Mapping[str, Any], mask: np.ndarray) -> list[Any]:
        sel = np.ones(len(self._f_plain), dtype=bool)
        if state["account"] != ALL:
            sel &= self._f_account == state["account"]
        if state["platform"] != ALL:
            sel &= (self._f_platform == state["platform"]) | pd.isna(self._f_platform)
        lo = np.datetime64(state["start"]) if state["start"] else None
        hi = np.datetime64(state["end"] + dt.timedelta(days=1)) if state["end"] else None
        if lo is not None:
            sel &= self._f_day >= lo
        if hi is not None:
            sel &= self._f_day < hi
        history = self._f_plain.loc[sel]
        keep = np.isin(self._ev_account, np.unique(self._f_account[sel]))
        if lo is not None:
            keep &= self._ev_day >= lo
        if hi is not None:
            keep &= self._ev_day < hi
        events = self.events.loc[keep].reset_index(drop=True)
        self.tables["events"] = events
        if len(history) == 0:
            self.charts.pop("followers", None)
            self.tables["around_events"] = pd.DataFrame()
            return ["No follower history in this selection."]
        structure = ("followers", len(np.unique(self._f_account[sel])) > 1)
        chart = ce.follower_history(history, events, template=self._templates.get(structure))
        self.charts["followers"] = self._templates[structure] = chart
        shown: list[Any] = [chart]
        if len(events):
            around = self._around[self._around.index.isin(np.flatnonzero(keep))].reset_index(drop=True)
            self.tables["around_events"] = around
            shown += [events, w.HTML("<b>Engagement per post and per follower, 28 days before and after "
                                     "each event</b>"), around]
        else:
            self.tables["around_events"] = pd.DataFrame()
        return shown

    # ------------------------------------------------------------------ display
    def static_outputs(self) -> list[Any]:
        """The current tables and charts, for static reports (see :func:`toolkit.display.show_panel`)."""
        out: list[Any] = []
        for name in ("summary", "ladder"):
            if name in self.notes:
                out.append(self.notes[name])
            elif name in self.tables:
                out.append(self.tables[name])
        for name in ("time_series", "groups", "media_type", "content_label", "heatmap", "distribution"):
            if name in self.notes:
                out.append(self.notes[name])
            elif name in self.charts:
                out.append(self.charts[name])
        if "top" in self.notes:
            out.append(self.notes["top"])
        for name in ("top", "bottom"):
            if name in self.tables and "top" not in self.notes:
                out.append(self.tables[name])
        if "followers" in self.charts:
            out.append(self.charts["followers"])
            if len(self.tables.get("events", ())):
                out.append(self.tables["events"])
        return out

    def _ipython_display_(self) -> None:
        from toolkit.display import show_panel

        show_panel(self)


def _as_aggregate(table: pd.DataFrame, by: str, metric: str, den: str | None, how: str) -> pd.DataFrame:
    out = table.copy()
    out.index.name = by
    out = out.reset_index()
    out["how"] = how
    out.attrs["description"] = m.describe(metric, den, how, by)
    return out


def _cells(cell: np.ndarray, y: np.ndarray, d: np.ndarray | None, how: str, metric: str,
           den: str | None) -> pd.DataFrame:
    out = m.weekday_hour_cells(cell, y, d, how=how)
    out.attrs["description"] = m.describe(metric, den, how, "weekday x hour")
    return out


def _show(out: w.Output, items: list[Any]) -> None:
    """Replace the Output's content with ``items``; without an IPython kernel (pytest, scripts) do
    nothing: the panel's ``charts`` and ``tables`` hold what would be shown."""
    from IPython import get_ipython
    from IPython.display import HTML, display

    if getattr(get_ipython(), "kernel", None) is None:  # no front end (scripts, doctests)
        return
    out.clear_output(wait=True)
    with out:
        for item in items:
            display(HTML(f"<p>{html.escape(item)}</p>") if isinstance(item, str) else redrawn(item))
