"""Hand-label posts as personal or not, one at a time, with buttons or keyboard shortcuts.

Every label is appended to a CSV keyed by ``post_id`` (:func:`toolkit.labels.append_label`, flushed and
fsynced) the moment it is made, so a kernel that dies mid-session loses nothing; a new panel on the
same file picks up where the last one stopped.

>>> import tempfile, os, pandas as pd
>>> posts = pd.DataFrame({"post_id": ["a", "b", "c"], "text": ["My dog!", "Sale now", "Hello"]})
>>> path = os.path.join(tempfile.mkdtemp(), "labels.csv")
>>> panel = LabellingPanel(posts, path, seed=0)
>>> panel.buttons["personal"].click()
>>> LabellingPanel(posts, path, seed=0).n_done
1
"""

from __future__ import annotations

import html
from pathlib import Path

import anywidget
import ipywidgets as w
import numpy as np
import pandas as pd
import traitlets

from toolkit.errors import AnalysisError
from toolkit.labels import _shared_id, append_label, label_personal, load_hand_labels

__all__ = ["LabellingPanel", "KeyCatcher", "SHORTCUTS", "DEFAULT_PATH"]

#: key -> hand label
SHORTCUTS = {"p": "personal", "1": "personal", "n": "not", "2": "not", "s": "skip", "3": "skip"}
DEFAULT_PATH = Path("data/labels/hand_labels.csv")


class KeyCatcher(anywidget.AnyWidget):
    """A focusable strip that reports key presses to Python (``key`` and a ``presses`` counter)."""

    _esm = """
    function render({ model, el }) {
      el.tabIndex = 0;
      el.className = "engagement-lab-keys";
      el.style.cssText = "padding:6px 10px;border:1px dashed #999;border-radius:4px;cursor:pointer;outline:none";
      el.textContent = model.get("hint");
      el.addEventListener("focus", () => { el.style.borderColor = "#1f77b4"; });
      el.addEventListener("blur", () => { el.style.borderColor = "#999"; });
      el.addEventListener("keydown", (e) => {
        model.set("key", e.key.toLowerCase());
        model.set("presses", model.get("presses") + 1);
        model.save_changes();
        e.preventDefault();
      });
      model.on("change:hint", () => { el.textContent = model.get("hint"); });
    }
    export default { render };
    """
    key = traitlets.Unicode("").tag(sync=True)
    presses = traitlets.Int(0).tag(sync=True)
    hint = traitlets.Unicode("Click here, then press P (personal), N (not personal) or S (skip).").tag(sync=True)


class LabellingPanel:
    """Label posts one at a time; labels go to ``path`` as they are made.

    Parameters
    ----------
    posts
        Posts with ``post_id`` and ``text``, each id one account's (labels are kept by ``post_id``).
    path
        The CSV of hand labels (created if missing; labels already in it are reloaded and those posts
        are not shown again).
    n
        Label a random sample of ``n`` posts (default: all), drawn with ``seed`` so the same sample
        comes back after a restart.
    show_features
        Show which heuristic features fired for the post (helps, but may anchor the labeller).
    language
        The heuristic's vocabulary (:func:`toolkit.labels.label_personal`): ``en``, ``pt``, ...
    """

    def __init__(self, posts: pd.DataFrame, path: str | Path = DEFAULT_PATH, *, n: int | None = None,
                 seed: int = 0, show_features: bool = False, language: str = "en") -> None:
        for column in ("post_id", "text"):
            if column not in posts.columns:
                raise AnalysisError("posts for labelling need this column", column=column,
                                    found=sorted(map(str, posts.columns)))
        self.path = Path(path)
        ids = posts["post_id"].astype("string")
        keep = ids.notna().to_numpy()
        shared = _shared_id(posts)
        if shared is not None:  # hand labels are kept by post_id alone
            raise AnalysisError("the same post_id belongs to posts of several accounts: label one account's "
                                "posts at a time (toolkit.metrics.of_account)", parameter="posts",
                                column="post_id", found=shared)
        frame = posts.loc[keep].drop_duplicates("post_id")
        order = np.random.default_rng(seed).permutation(len(frame))
        if n is not None:
            order = order[: int(n)]
        self.sample = frame.iloc[order]
        self.features = label_personal(self.sample, language=language) if show_features else None
        self.buttons = {
            "personal": w.Button(description="Personal (P)", button_style="success", icon="user"),
            "not": w.Button(description="Not personal (N)", button_style="warning", icon="bullhorn"),
            "skip": w.Button(description="Skip (S)", icon="forward"),
        }
        for value, button in self.buttons.items():
            button.on_click(lambda _b, v=value: self.label(v))
        self.keys = KeyCatcher()
        self.keys.observe(self._on_key, names="presses")
        self.post_view = w.HTML()
        self.progress = w.IntProgress(min=0, max=max(1, len(self.sample)), description="Labelled")
        self.status = w.HTML()
        self.widget = w.VBox([self.status, self.progress, self.post_view, w.HBox(list(self.buttons.values())),
                              self.keys])
        self._reload()

    # -------------------------------------------------------------------------------------------
    def _reload(self) -> None:
        self.labels = load_hand_labels(self.path)
        done = set(self.labels["post_id"].astype(str))
        ids = self.sample["post_id"].astype(str).tolist()
        self._queue = [i for i in ids if i not in done]
        self._update()

    @property
    def current(self) -> str | None:
        """The ``post_id`` being shown, or None when every post of the sample is labelled."""
        return self._queue[0] if self._queue else None

    @property
    def n_done(self) -> int:
        """Posts of the sample with a saved label (personal, not or skip)."""
        return len(self.sample) - len(self._queue)

    def label(self, value: str) -> None:
        """Save ``value`` (``personal``, ``not`` or ``skip``) for the current post and show the next."""
        if self.current is None:
            return
        append_label(self.path, self.current, value)
        self._queue.pop(0)
        self.labels = load_hand_labels(self.path)
        self._update()

    def _on_key(self, change) -> None:
        value = SHORTCUTS.get(self.keys.key)
        if value is not None:
            self.label(value)

    def _update(self) -> None:
        total = len(self.sample)
        counts = self.labels[self.labels["post_id"].isin(self.sample["post_id"].astype(str))]["label"].value_counts()
        self.progress.value = self.n_done
        self.status.value = (f"<b>{self.n_done} of {total}</b> labelled "
                             f"({int(counts.get('personal', 0))} personal, {int(counts.get('not', 0))} not, "
                             f"{int(counts.get('skip', 0))} skipped); saved to <code>{html.escape(str(self.path))}</code>")
        if self.current is None:
            self.post_view.value = "<p><b>All posts of this sample are labelled.</b></p>"
            for b in self.buttons.values():
                b.disabled = True
            return
        at = int(np.flatnonzero(self.sample["post_id"].astype(str).to_numpy() == self.current)[0])
        row = self.sample.iloc[at]  # by position: the posts' index may repeat
        text = "" if pd.isna(row["text"]) else str(row["text"])
        meta = []
        for c in ("account", "published_at", "media_type"):
            if c in row.index and not pd.isna(row[c]):
                meta.append(f"{c}: {html.escape(str(row[c]))}")
        extra = ""
        if self.features is not None:
            f = self.features.iloc[at]
            extra = (f"<p><small>heuristic: score {f['personal_score']}, fired: "
                     f"{html.escape(str(f['features']))}</small></p>")
        self.post_view.value = (
            f"<div style='border:1px solid #ccc;padding:8px;max-width:640px;white-space:pre-wrap'>"
            f"{html.escape(text) or '<i>(no text)</i>'}</div><small>{' | '.join(meta)} | post {html.escape(self.current)}"
            f"</small>{extra}")
        for b in self.buttons.values():
            b.disabled = False

    def static_outputs(self) -> list:
        """What a static report shows instead of the widget: the labels so far."""
        return [self.labels]

    def _ipython_display_(self) -> None:
        from toolkit.display import show_panel

        show_panel(self)
