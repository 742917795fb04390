"""LoadPanel: pick export files, load them, and see per file what was recognised and kept.

The panel only collects paths and shows :func:`toolkit.load`'s report; the loading logic lives in
:mod:`toolkit.loading`. Uploaded files are saved under ``<data_dir>/uploads/`` (an upload never
overwrites a different existing file) and loaded from there; input files are never modified.

>>> from toolkit.widgets.load import LoadPanel
>>> panel = LoadPanel(paths=["data/real/dataset_Facebook.csv"])
>>> panel.dataset.report.loc[0, "format"]
'uci_facebook'
"""

from __future__ import annotations

import hashlib
import html
from pathlib import Path

import ipywidgets as widgets
import pandas as pd

from toolkit.errors import DataFormatError, EngagementLabError

__all__ = ["LoadPanel"]

#: files offered in the picker
_SUFFIXES = {".csv", ".txt", ".tsv", ".xls", ".xlsx", ".ods", ".xml"}
_MAX_REJECTED = 200


def _default_data_dir() -> Path:
    """``data/`` of the project, whether the notebook runs from the root or ``notebooks/``."""
    for candidate in (Path("data"), Path("..") / "data"):
        if candidate.is_dir():
            return candidate
    return Path("data")


def _table_html(frame: pd.DataFrame) -> str:
    return frame.to_html(index=False, border=0, escape=True, na_rep="NA",
                         classes="engagement-lab-table")


class LoadPanel:
    """Choose export files (from the data folder, by path, or by upload) and load them.

    Parameters
    ----------
    paths
        Files or folders to load at once (e.g. the sample data); the panel then shows their report.
    data_dir
        Folder whose files the picker lists (searched recursively); uploads are saved in its
        ``uploads/`` subfolder. Default: ``data/`` (or ``../data/`` from ``notebooks/``).
    account
        Passed to :func:`toolkit.load` for files that do not name their account.

    Attributes
    ----------
    widget
        The ipywidgets container.
    dataset
        The last loaded :class:`toolkit.loading.Dataset` (None before a successful load).
    error
        The message of the last failed load, or None.
    """

    def __init__(self, paths=None, data_dir: str | Path | None = None, account: str | None = None):
        self.data_dir = Path(data_dir) if data_dir is not None else _default_data_dir()
        self.account = account
        self._dataset = None
        self.error: str | None = None
        self.files = widgets.SelectMultiple(options=self._file_options(), description="Files",
                                            rows=8, layout=widgets.Layout(width="95%"))
        self.path_box = widgets.Textarea(placeholder="or paths, one per line", description="Paths",
                                         layout=widgets.Layout(width="95%", height="4em"))
        self.upload = widgets.FileUpload(accept=",".join(sorted(_SUFFIXES)), multiple=True,
                                         description="Upload")
        self.load_button = widgets.Button(description="Load", button_style="primary", icon="upload")
        self.refresh_button = widgets.Button(description="Refresh list", icon="refresh")
        self.status = widgets.HTML()
        self.report = widgets.HTML()
        self.rejected = widgets.HTML()
        self.load_button.on_click(lambda _: self.load())
        self.refresh_button.on_click(lambda _: self.refresh())
        self.widget = widgets.VBox([
            widgets.HTML(f"<b>Load exports</b> (data folder: <code>{html.escape(str(self.data_dir))}</code>)"),
            self.files, self.path_box,
            widgets.HBox([self.upload, self.load_button, self.refresh_button]),
            self.status, self.report, self.rejected,
        ])
        if paths is not None:
            self.load(paths)

    # -- state -------------------------------------------------------------------------------
    @property
    def dataset(self):
        """The last loaded Dataset (``posts``, ``followers``, ``daily``, ``rejected``, ``report``)."""
        return self._dataset

    def loaded(self):
        """The last loaded Dataset; when the last load failed, the reason as an error (so that a
        notebook stops there, not a few cells later on a missing table)."""
        if self._dataset is None:
            raise DataFormatError(f"nothing loaded: {self.error or 'choose files and press Load'}",
                                  parameter="paths")
        return self._dataset

    def _file_options(self) -> list[tuple[str, str]]:
        if not self.data_dir.is_dir():
            return []
        files = sorted(p for p in self.data_dir.rglob("*")
                       if p.is_file() and p.suffix.lower() in _SUFFIXES and not p.name.startswith("."))
        return [(str(p.relative_to(self.data_dir)), str(p)) for p in files]

    def refresh(self) -> None:
        """Re-list the files of the data folder (keeps the selection where possible)."""
        chosen = set(self.files.value)
        self.files.options = self._file_options()
        self.files.value = tuple(v for _, v in self.files.options if v in chosen)

    def save_uploads(self) -> list[Path]:
        """Write the uploaded files under ``<data_dir>/uploads/`` and return their paths.

        A file of the same name and content is reused; a different file of the same name gets a
        numbered name, so nothing already on disk is overwritten.
        """
        saved = []
        folder = self.data_dir / "uploads"
        for item in self.upload.value:
            name = Path(str(item["name"])).name or "upload.csv"
            content = bytes(item["content"])
            folder.mkdir(parents=True, exist_ok=True)
            target = folder / name
            n = 1
            while target.exists() and hashlib.sha256(target.read_bytes()).digest() != \
                    hashlib.sha256(content).digest():
                n += 1
                target = folder / f"{Path(name).stem} ({n}){Path(name).suffix}"
            if not target.exists():
                target.write_bytes(content)
            saved.append(target)
        return saved

    def chosen_paths(self) -> list[Path]:
        """Every file chosen in the picker, typed in the path box, or uploaded."""
        paths = [Path(v) for v in self.files.value]
        paths += [Path(line.strip()) for line in self.path_box.value.splitlines() if line.strip()]
        paths += self.save_uploads()
        unique = []
        for p in paths:
            if p not in unique:
                unique.append(p)
        return unique

    # -- actions -----------------------------------------------------------------------------
    def load(self, paths=None) -> None:
        """Load ``paths`` (default: the files chosen in the panel) and show the result."""
        import toolkit

        if paths is None:
            paths = self.chosen_paths()
        elif isinstance(paths, (str, Path)):
            paths = [paths]
        if not paths:
            self._show_error("choose at least one file (picker, path box or upload)")
            return
        self.status.value = f"<div><i>Loading {len(paths)} file(s)...</i></div>"
        try:
            dataset = toolkit.load(list(paths), account=self.account)
        except EngagementLabError as exc:
            self._show_error(str(exc))
            return
        self._dataset = dataset
        self.error = None
        self._show(dataset)

    def _show_error(self, message: str) -> None:
        """Say why, and drop the previous load: cells reading ``dataset`` must not go on with old data."""
        had = self._dataset is not None
        self.error = message
        self._dataset = None
        self.report.value = self.rejected.value = ""
        self.status.value = (f"<div style='color:#b00020'><b>Could not load:</b> "
                             f"{html.escape(message)}"
                             + ("<br>The previous load is cleared: fix the files and load again." if had else "")
                             + "</div>")

    def _show(self, dataset) -> None:
        report = dataset.report.copy()
        report["source_file"] = report["source_file"].map(lambda s: Path(s).name)
        notes = "".join(f"<li>{html.escape(n)}</li>" for n in dataset.notes)
        self.status.value = (f"<div><b>Loaded</b> {len(dataset.posts):,} posts, "
                             f"{len(dataset.followers):,} follower days, {len(dataset.daily):,} daily rows "
                             f"from {len(report)} file(s); {len(dataset.rejected):,} rows rejected.</div>"
                             + (f"<ul>{notes}</ul>" if notes else ""))
        self.report.value = "<b>Per file</b>" + _table_html(report)
        rejected = dataset.rejected
        if len(rejected):
            shown = rejected.head(_MAX_REJECTED).assign(
                source_file=lambda f: f["source_file"].map(lambda s: Path(s).name))
            more = f" (first {_MAX_REJECTED} of {len(rejected):,})" if len(rejected) > _MAX_REJECTED else ""
            self.rejected.value = f"<b>Rejected rows{more}</b>" + _table_html(shown)
        else:
            self.rejected.value = "<i>No rejected rows.</i>"

    def static_outputs(self) -> list:
        """What a static report shows instead of the widget: the load summary, the per-file
        report and the rejected rows (or why nothing was loaded)."""
        from IPython.display import HTML  # noqa: PLC0415

        return [HTML(part.value) for part in (self.status, self.report, self.rejected) if part.value]

    def _ipython_display_(self) -> None:
        from toolkit.display import show_panel  # noqa: PLC0415

        show_panel(self)
