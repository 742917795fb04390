"""Panel for "does personal content lift engagement?": choose the label source, metrics and methods.

The panel only gathers choices and calls :func:`toolkit.content_lift`; the :class:`~toolkit.result.Result`
it gets back is shown in place (the output area is replaced on every run).

>>> from toolkit.simulate import simulate_profile
>>> posts = simulate_profile(days=60, seed=1).posts
>>> panel = ContentLiftPanel(posts, n_resamples=200)
>>> panel.methods.value = ("glm",); panel.metrics.value = ("likes",)
>>> panel.run_button.click()
>>> panel.result.table.loc[0, "method"]
'glm'
"""

from __future__ import annotations

import html

from pathlib import Path

import ipywidgets as w
import pandas as pd

from toolkit.content_lift import METHODS, content_lift
from toolkit.display import redrawn
from toolkit.errors import AnalysisError, EngagementLabError, is_fraction
from toolkit.labels import agreement, combine_labels, hand_label_column, label_personal

__all__ = ["ContentLiftPanel", "SOURCES"]

#: label source -> description shown in the dropdown
SOURCES = {
    "column": "a column of the data (e.g. content_label, Category)",
    "heuristic": "the personal-content heuristic",
    "hand": "hand labels",
    "combined": "combined: hand labels, else column, else heuristic",
}
_METRIC_CANDIDATES = ("engagements", "weighted_engagement", "likes", "comments", "shares", "saves", "clicks",
                      "profile_visits", "follows")


def _as_text(values: pd.Series) -> pd.Series:
    """Label values as the panel shows and compares them: text, a whole number without ``.0``
    (a float column's 3.0 is ``"3"``, as :func:`toolkit.labels.from_column` reads it)."""
    return values.astype("string").str.replace(r"\.0$", "", regex=True)


class ContentLiftPanel:
    """Widgets around :func:`toolkit.content_lift`.

    Parameters
    ----------
    posts
        The posts table.
    labels_path
        CSV of hand labels (from :class:`~toolkit.widgets.labelling.LabellingPanel`), if any.
    column, values
        The label column and the value(s) that mark the posts under test (default
        ``content_label`` = ``personal`` when present).
    n_resamples, seed
        Passed to :func:`toolkit.content_lift`.
    language
        The heuristic's vocabulary (:func:`toolkit.labels.label_personal`): ``en``, ``pt``, ...
    alpha
        Significance level of the tests and power; intervals (and the agreement's) at ``1 - alpha``.
    """

    def __init__(self, posts: pd.DataFrame, labels_path: str | Path | None = None, *,
                 column: str | None = None, values: tuple = (), n_resamples: int = 2000,
                 seed: int = 0, language: str = "en", alpha: float = 0.05) -> None:
        if not is_fraction(alpha):
            raise AnalysisError("must be between 0 and 1 (0.05 for 95% intervals)", parameter="alpha",
                                found=repr(alpha))
        self.alpha = float(alpha)
        self.posts = posts
        self.labels_path = None if labels_path is None else Path(labels_path)
        self.n_resamples = n_resamples
        self.seed = seed
        self.language = language
        self.result = None
        self.agreement = None
        self._heuristic: pd.Series | None = None
        columns = [c for c in posts.columns
                   if c not in ("post_id", "text", "source_file", "source_row", "published_at", "exported_at")
                   and posts[c].nunique(dropna=True) <= 30 and posts[c].nunique(dropna=True) >= 2]
        if column is None:
            column = "content_label" if "content_label" in columns else (columns[0] if columns else None)
        elif column not in columns:
            raise EngagementLabError("expected a column of the posts with 2 to 30 values", parameter="column",
                                     column=column, found=columns)
        self.source = w.Dropdown(options=[(v, k) for k, v in SOURCES.items()], value="column",
                                 description="Label from")
        self.column = w.Dropdown(options=columns, value=column, description="Column")
        self.value = w.SelectMultiple(description="Under test", rows=4)
        self.column.observe(self._on_column, names="value")
        self._on_column(None)
        if values:
            chosen = tuple(_as_text(pd.Series(list(values))))
            missing = [v for v in chosen if v not in self.value.options]
            if missing:
                raise EngagementLabError("values not found in the label column", parameter="values",
                                         column=column, found=f"{missing} (the column holds {list(self.value.options)})")
            self.value.value = chosen
        elif "personal" in self.value.options:
            self.value.value = ("personal",)
        metrics = [m for m in _METRIC_CANDIDATES
                   if m in ("engagements", "weighted_engagement")
                   or (m in posts.columns and posts[m].notna().any())]
        self.metrics = w.SelectMultiple(options=metrics, value=tuple(metrics[:1]), description="Metrics", rows=5)
        self.methods = w.SelectMultiple(options=list(METHODS), value=("glm", "permutation"),
                                        description="Methods", rows=6)
        exposures = [c for c in ("impressions", "reach", "followers") if c in posts.columns
                     and posts[c].notna().any()]
        self.exposure = w.Dropdown(options=exposures + [("per post", None)],
                                   value=exposures[0] if exposures else None, description="Per")
        self.adjust = w.ToggleButtons(options=[("Holm", "holm"), ("BH", "bh")], value="holm",
                                      description="Adjust")
        self.run_button = w.Button(description="Run", button_style="primary", icon="play")
        self.run_button.on_click(lambda _b: self.run())
        self.status = w.HTML()
        self.output = w.Output()
        self.agreement_output = w.Output()
        left = w.VBox([self.source, self.column, self.value])
        right = w.VBox([self.metrics, self.methods, self.exposure, self.adjust])
        self.widget = w.VBox([w.HBox([left, right]), w.HBox([self.run_button, self.status]),
                              self.agreement_output, self.output])

    # -------------------------------------------------------------------------------------------
    def _on_column(self, _change) -> None:
        col = self.column.value
        if col is None:
            self.value.options = []
            return
        values = _as_text(self.posts[col]).value_counts()
        self.value.options = list(values.index)

    def _heuristic_labels(self) -> pd.Series:
        if self._heuristic is None:
            self._heuristic = label_personal(self.posts, language=self.language)["personal"]
        return self._heuristic

    def _column_labels(self) -> pd.Series:
        col = self.column.value
        if col is None or not self.value.value:
            raise EngagementLabError("choose a column and the value(s) that mark the posts under test",
                                     parameter="column")
        text = _as_text(self.posts[col])
        out = text.isin(list(self.value.value)).astype("boolean")
        out[text.isna()] = pd.NA
        return out

    @property
    def label_name(self) -> str:
        """Name of the label column the analysis uses (it appears in the result's text)."""
        if self.source.value == "column":
            return f"{self.column.value} = {'/'.join(self.value.value)}"
        return {"heuristic": "the heuristic's personal label", "hand": "a personal hand label",
                "combined": "a personal label (hand, column, heuristic)"}[self.source.value]

    def labelled_posts(self) -> pd.DataFrame:
        """The posts with the chosen label in column :attr:`label_name` (True = under test, NA = unlabelled)."""
        source = self.source.value
        name = self.label_name
        out = self.posts.copy()
        if source == "column":
            out[name] = self._column_labels()
        elif source == "heuristic":
            out[name] = self._heuristic_labels()
        elif source == "hand":
            if self.labels_path is None:
                raise EngagementLabError("no hand-label file was given to the panel", parameter="labels_path")
            out[name] = hand_label_column(self.posts, self.labels_path)
        else:
            tmp = self.posts.copy()
            tmp["_column_label"] = self._column_labels() if self.column.value and self.value.value else pd.NA
            combined = combine_labels(
                tmp, column="_column_label", mapping={"True": True, "False": False},
                heuristic=pd.DataFrame({"personal": self._heuristic_labels()}),
                hand=self.labels_path if self.labels_path is not None and self.labels_path.exists() else None,
                name="_combined")
            out[name] = combined["_combined"]
        return out

    def _show_agreement(self) -> None:
        self.agreement = None
        if self.labels_path is None or not self.labels_path.exists():
            return
        hand = hand_label_column(self.posts, self.labels_path)
        if hand.notna().sum() == 0:
            return
        other = self._column_labels() if self.source.value == "column" else self._heuristic_labels()
        name = "column" if self.source.value == "column" else "heuristic"
        self.agreement = agreement(other, hand, names=(name, "hand"), level=1 - self.alpha)
        self.agreement_output.outputs = ()
        self.agreement_output.append_display_data(self.agreement)

    def run(self) -> None:
        """Run :func:`toolkit.content_lift` with the current choices and show the result in place."""
        self.status.value = "running..."
        try:
            posts = self.labelled_posts()
            self.result = content_lift(posts, label=self.label_name, metric=list(self.metrics.value),
                                       exposure=self.exposure.value, method=list(self.methods.value),
                                       n_resamples=self.n_resamples, seed=self.seed, adjust=self.adjust.value,
                                       alpha=self.alpha, level=1 - self.alpha)
            self._show_agreement()
        except EngagementLabError as exc:
            self._fail(str(exc))
            return
        except Exception as exc:  # noqa: BLE001 - a panel shows every failure as a message
            self._fail(f"{type(exc).__name__}: {exc} (please report this)")
            return
        self.status.value = ""
        self.output.outputs = ()  # replace the previous result in place
        self.output.append_display_data(self.result)
        self.output.append_display_data(redrawn(self.result.chart()))

    def _fail(self, message: str) -> None:
        """Show why the run failed, and no longer the previous run's result."""
        self.result = None
        self.agreement = None
        self.output.outputs = ()
        self.agreement_output.outputs = ()
        self.status.value = f"<span style='color:#b00'>{html.escape(message)}</span>"

    def static_outputs(self) -> list:
        """What a static report shows instead of the widget."""
        outs = [o for o in (self.agreement, self.result) if o is not None]
        if self.result is not None:
            outs.append(self.result.chart())
        return outs

    def _ipython_display_(self) -> None:
        from toolkit.display import show_panel

        show_panel(self)
