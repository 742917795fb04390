"""The value-of-a-like panel: weigh the rungs of the engagement ladder and see what changes.

:class:`LadderPanel` has a slider per rung (likes, saves, shares, comments, clicks), an account menu
and a grouping menu. For the chosen account and weights it shows the ladder (each rung per 1,000
impressions and what it adds to the weighted score, :func:`toolkit.metrics.ladder` and
:func:`toolkit.charts.explore.ladder_chart`), the weighted engagement per impression by group with
95% intervals (:func:`toolkit.metrics.aggregate`), how rankings move under other weightings
(:func:`toolkit.metrics.weight_sensitivity`, with the slider weights as the baseline) and the top
posts under the slider weights (:func:`toolkit.metrics.top_posts`). The panel only wires these
functions to controls; each account's posts are selected once, at construction
(:func:`toolkit.metrics.of_account`).

>>> from toolkit.simulate import simulate_profile
>>> panel = LadderPanel(simulate_profile(days=60, seed=1).posts)
>>> panel.tables["ladder"]["weight"].tolist()[:2]
[1.0, 2.0]
>>> panel.weights["clicks"].value = 10
>>> panel.tables["ladder"].set_index("signal").loc["clicks", "weight"]
np.float64(10.0)
>>> panel.tables["sensitivity"]["definition"].iloc[0]
'likes 1, saves 2, shares 2, comments 3, clicks 10'
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import ipywidgets as w
import pandas as pd

from toolkit import metrics as m
from toolkit.charts import explore as ce
from toolkit.errors import AnalysisError
from toolkit.widgets.explore import ALL, CachedViews, _show

__all__ = ["LadderPanel", "GROUP_COLUMNS", "YOUR_WEIGHTS"]

#: Columns the panel can compare groups by (those with values in the posts are offered).
GROUP_COLUMNS: tuple[str, ...] = ("content_label", "media_type", "account", "paid")
#: Name of the slider weighting in the sensitivity table (its baseline).
YOUR_WEIGHTS = "your weights (sliders)"

#: view -> controls it depends on ("weights" stands for every slider)
VIEWS: Mapping[str, tuple[str, ...]] = {
    "ladder": ("account", "weights"),
    "groups": ("account", "by", "weights"),
    "sensitivity": ("account", "by", "weights"),
    "top": ("account", "weights"),
}


class LadderPanel(CachedViews):
    """What is a like worth? Weigh likes, saves, shares, comments and clicks and watch the ranking.

    Parameters
    ----------
    posts
        A canonical posts table (one or many accounts).
    weights
        Initial slider weights (default :data:`toolkit.metrics.DEFAULT_WEIGHTS`: like 1 < save 2 =
        share 2 < comment 3 < click 4).
    by
        Initial grouping column (one of :data:`GROUP_COLUMNS` with values).
    account
        Initial account (default: all accounts); an account without posts is the error of
        :func:`toolkit.metrics.of_account`, which lists the accounts there are.
    top_n, min_exposure
        Rows of the top-posts table, and the fewest impressions a post needs to be ranked by its rate.
    max_weight
        Upper end of the sliders.

    Attributes
    ----------
    widget
        The ipywidgets container.
    weights
        Slider per rung, by count column (a rung the posts have no values for is disabled).
    charts, tables, notes
        The current Altair charts, DataFrames, and messages shown in place of a view without data.
    rebuilt
        Names of the views rebuilt by the last change.

    Notes
    -----
    Posts without impressions (a Hootsuite export, say) open per post: the ladder shows each rung's
    total and share, groups and top posts compare weighted engagement per post, and the headings
    say so.
    """

    def __init__(
        self,
        posts: pd.DataFrame,
        *,
        weights: Mapping[str, float] = m.DEFAULT_WEIGHTS,
        by: str = "content_label",
        account: str | None = None,
        top_n: int = 5,
        min_exposure: float = 0,
        max_weight: float = 10.0,
    ) -> None:
        if not isinstance(posts, pd.DataFrame) or len(posts) == 0:
            raise AnalysisError("LadderPanel needs a posts table with at least one post", parameter="posts",
                                found=type(posts).__name__ if not isinstance(posts, pd.DataFrame) else "0 rows")
        weights = m._check_weights(weights)
        present = [s for s in m.DEFAULT_WEIGHTS if s in posts.columns and posts[s].notna().any()]
        if not present:
            raise AnalysisError("LadderPanel needs at least one interaction count with values",
                                parameter="posts", found=sorted(map(str, posts.columns)))
        has_impressions = "impressions" in posts.columns and posts["impressions"].notna().any()
        #: what weighted engagement is divided by: impressions, or None (per post) without them
        self.denominator = "impressions" if has_impressions else None
        self.top_n, self.min_exposure = int(top_n), float(min_exposure)
        scored = m.engagement(posts, weights).reset_index(drop=True)
        # source_file stays: which counts each export reports decides the weighted sums
        keep = [c for c in ("account", "platform", "post_id", "published_at", "text", "source_file", *GROUP_COLUMNS,
                            *m.LADDER_SIGNALS, "impressions", m.ENGAGEMENTS, m.ENGAGEMENTS_SOURCE)
                if c in scored.columns and (scored[c].notna().any() or c == m.ENGAGEMENTS_SOURCE)]
        self.posts = scored[list(dict.fromkeys(keep))]  # columns without any value are left out of every table
        accounts = sorted(self.posts["account"].dropna().astype(str).unique()) if "account" in self.posts else []
        self._subsets = {ALL: self.posts}
        if len(accounts) > 1:
            self._subsets.update({a: m.of_account(self.posts, a).reset_index(drop=True) for a in accounts})
        options = [ALL] + accounts if len(accounts) > 1 else [ALL]
        if account is not None and account != ALL:
            m.of_account(self.posts, account)  # an account without posts: the error lists the accounts there are
            # the only account: "all accounts" is that account
            account = str(account) if len(accounts) > 1 else ALL
        groups = [c for c in GROUP_COLUMNS if c in self.posts.columns and self.posts[c].notna().any()
                  and not (c == "account" and len(accounts) < 2)]

        style = {"description_width": "80px"}
        self.account = w.Dropdown(options=options, value=account or ALL, description="Account",
                                  layout=w.Layout(width="260px"), style=style)
        self.by = w.Dropdown(options=groups or ["(none)"], value=by if by in groups else (groups or ["(none)"])[0],
                             description="Compare", disabled=not groups, layout=w.Layout(width="260px"),
                             style=style)
        self.weights: dict[str, w.FloatSlider] = {}
        # the sliders reach the largest weight given: a slider clamps a value beyond its end unseen
        top = max([float(max_weight), *weights.values()])
        for signal in m.DEFAULT_WEIGHTS:
            has = signal in present
            self.weights[signal] = w.FloatSlider(
                value=float(weights.get(signal, 0.0)), min=0.0, max=top, step=0.5,
                description=signal if has else f"{signal} (none)", disabled=not has, continuous_update=False,
                readout_format=".1f", style=style, layout=w.Layout(width="340px"))
        self.reset = w.Button(description="Reset to the default ladder", layout=w.Layout(width="220px"))
        self.reset.on_click(self._reset)
        self.status = w.HTML()
        self.outputs = {name: w.Output() for name in VIEWS}
        heading = {
            "ladder": ("The ladder under these weights: each rung per 1,000 impressions" if has_impressions else
                       "The ladder under these weights: each rung's total and share (the posts have no "
                       "impressions, so no rate per impression)"),
            "groups": f"Weighted engagement per {'impression' if has_impressions else 'post'} by group",
            "sensitivity": "Does the ranking survive other weights? (baseline: your weights)",
            "top": "Top posts under these weights",
        }
        body = []
        for name in VIEWS:
            body += [w.HTML(f"<h4>{heading[name]}</h4>"), self.outputs[name]]
        self.widget = w.VBox([
            w.HBox([self.account, self.by]),
            w.HTML("<b>Weights</b> (what one of each signal counts in the weighted engagement score)"),
            w.HBox([w.VBox(list(self.weights.values())[:3]), w.VBox([*list(self.weights.values())[3:],
                                                                      self.reset])]),
            self.status,
            *body,
        ])
        self._init_views()
        self._resetting = False
        self.account.observe(self._changed, names="value")
        self.by.observe(self._changed, names="value")
        for slider in self.weights.values():
            slider.observe(self._changed, names="value")
        self.refresh()

    # ------------------------------------------------------------------ state
    @property
    def current_weights(self) -> dict[str, float]:
        """The slider weights of the rungs the posts have values for."""
        return {s: float(sl.value) for s, sl in self.weights.items() if not sl.disabled}

    @property
    def state(self) -> dict[str, Any]:
        """The current control values."""
        return {"account": self.account.value, "by": None if self.by.disabled else self.by.value,
                "weights": tuple(self.current_weights.items())}

    # ------------------------------------------------------------------ updates
    def _reset(self, _button: Any = None) -> None:
        """Put every slider back on the default ladder, then refresh once."""
        self._resetting = True
        try:
            for signal, slider in self.weights.items():
                slider.value = float(m.DEFAULT_WEIGHTS[signal])
        finally:
            self._resetting = False
        self.refresh()

    def _changed(self, change: dict) -> None:
        if not self._resetting:
            self.refresh()

    def refresh(self, force: bool = False) -> list[str]:
        """Rebuild the views whose controls changed (all with ``force``); return their names."""
        state = self.state
        sub = self._subsets[state["account"]]
        weights = dict(state["weights"])
        rebuilt = self._stale(state, VIEWS, force)
        scored = sub.assign(**{m.WEIGHTED_ENGAGEMENT: m.weighted_engagement(sub, weights)}) if rebuilt else None
        for name in rebuilt:
            _show(self.outputs[name], self._build(name, state, sub, scored, weights))
        self.rebuilt = rebuilt
        definition = ", ".join(f"{k} {v:g}" for k, v in weights.items())
        who = "all accounts" if state["account"] == ALL else state["account"]
        self.status.value = f"{len(sub):,} posts of {who}; weights: {definition}."
        return rebuilt

    def _build(self, name: str, state: Mapping[str, Any], sub: pd.DataFrame, scored: pd.DataFrame,
               weights: Mapping[str, float]) -> list[Any]:
        self.notes.pop(name, None)
        by = state["by"]
        if name == "ladder":
            table = m.ladder(sub, weights=weights)
            self.tables["ladder"] = table
            chart = ce.ladder_chart(table, template=self._templates.get("ladder"))
            self.charts["ladder"] = chart
            if len(table):
                self._templates["ladder"] = chart
            return [chart, table]
        if name == "groups":
            self.charts.pop("groups", None)
            self.tables.pop("groups", None)
            if by is None or not sub[by].notna().any():
                self.notes["groups"] = ce.no_values_message(by or "content_label", "this selection")
                return [self.notes["groups"]]
            table = m.aggregate(scored, by, metric=m.WEIGHTED_ENGAGEMENT, denominator=self.denominator)
            self.tables["groups"] = table
            chart = ce.group_bars(None, by, metric=m.WEIGHTED_ENGAGEMENT, denominator=self.denominator,
                                  table=table, template=self._templates.get(("groups", by)))
            self.charts["groups"] = self._templates[("groups", by)] = chart
            return [chart]
        if name == "sensitivity":
            alternatives = {YOUR_WEIGHTS: weights, **m.ALTERNATIVE_WEIGHTS}
            group = by if by is not None and sub[by].notna().any() else None
            table = m.weight_sensitivity(sub, alternatives, denominator=self.denominator, by=group, top=20)
            self.tables["sensitivity"] = table
            return [table]
        if name == "top":
            table = m.top_posts(scored, metric=m.WEIGHTED_ENGAGEMENT, denominator=self.denominator, n=self.top_n,
                                min_exposure=self.min_exposure)
            # one account or one platform in every row says nothing: keep the table narrow
            table = table.drop(columns=[c for c in ("account", "platform") if c in table and table[c].nunique() <= 1])
            self.tables["top"] = table
            return [table]
        raise KeyError(name)  # pragma: no cover - VIEWS and _build are kept in step

    # ------------------------------------------------------------------ display
    def static_outputs(self) -> list[Any]:
        """The current charts, tables and messages, for static reports (:func:`toolkit.display.show_panel`)."""
        out: list[Any] = []
        if "ladder" in self.charts:
            out.append(self.charts["ladder"])
        if "ladder" in self.tables:
            out.append(self.tables["ladder"])
        out.append(self.notes["groups"] if "groups" in self.notes else self.charts.get("groups"))
        out += [self.tables.get("sensitivity"), self.tables.get("top")]
        return [o for o in out if o is not None]

    def _ipython_display_(self) -> None:
        from toolkit.display import show_panel

        show_panel(self)
