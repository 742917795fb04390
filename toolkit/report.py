"""Self-contained HTML reports: execute a notebook headless and write one page anyone can open offline.

:func:`build_report` runs a notebook with papermill (kernel ``python3``, parameters injected after
the cell tagged ``parameters``) in report mode (``ENGAGEMENT_LAB_REPORT=1``, see
:mod:`toolkit.display`) and converts it with nbconvert into one HTML file that

* requests nothing from any other host: no require.js, MathJax, Mermaid or widget manager from a
  CDN; Vega, Vega-Lite and vega-embed are inlined once in the page head (vl-convert's bundle);
* renders every Altair chart in the browser, with the chart's own interactivity (tooltips, brushes,
  sliders bound to inputs) working without Python;
* shows widget panels as their current results (panels honour
  :func:`toolkit.display.is_report_mode`); leftover widget views and the saved widget state are
  dropped, since no widget manager can run in the page;
* escapes post text: tables go through ``DataFrame.to_html`` (escapes by default), chart data is
  JSON-escaped inside its script, stream output is escaped by nbconvert;
* with ``redact=True`` shows no post text and no account handle of the data the notebook loaded:
  displayed tables, Series, results and chart data are redacted in the kernel; the kernel registers
  every handle and text its variables hold after each cell (a loaded ``Dataset`` and whatever is
  derived from it, see :func:`toolkit.display.install_report_hooks`); every mention of them is then
  scrubbed from the outputs of every type, the markdown and the code of the page (and of the kept
  executed notebook), and the written page is checked to contain none of them: :class:`ReportError`
  naming the notebook if one survives, and the page is not written. A handle keeps one pseudonym
  on every page of one build (``main`` hands the pseudonyms of each page to the next), so that
  ``account 2`` is the same account wherever the shared pages show it.

  Short values are left alone where they could be ordinary words: a handle of fewer than
  :data:`~toolkit.display.MIN_HANDLE_CHARS` (4) characters is scrubbed only as an ``@handle``
  mention, a post text of fewer than :data:`~toolkit.display.MIN_TEXT_CHARS` (12) only where shown
  as a ``text`` column. Longer handles are found in any case and inside file names
  (``..._harborbakes_2024.csv``); a text is found whole, or cut after at least
  :data:`~toolkit.display.MIN_PREFIX_CHARS` (24) characters (as pandas shows long texts).

Command line (``make report``)::

    python -m toolkit report --out reports [--redact] [-p NAME VALUE ...] [notebooks ...]

executes ``notebooks/*.ipynb`` (default) on their default parameters, i.e. the bundled sample data,
and writes ``reports/<name>.html``.
"""

from __future__ import annotations

import argparse
import bisect
import copy
import html as _html
import json
import os
import re
import sys
import tempfile
import threading
from collections.abc import Iterable, Mapping
from contextlib import contextmanager
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from toolkit import display
from toolkit.errors import EngagementLabError, first_line
from toolkit.runner import CELL_TIMEOUT

__all__ = ["build_report", "to_html", "check_offline", "declared_parameters", "main", "ReportError"]

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"

_TEMPLATE = """\
{%- extends 'index.html.j2' -%}
{%- block html_head_js -%}
{{ resources.engagement_lab_head }}
{%- endblock html_head_js -%}
{%- block jupyter_widgets -%}{%- endblock jupyter_widgets -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
"""
_TEMPLATE_NAME = "engagement_lab_report.html.j2"

#: an element that would make the browser fetch something from another host
_REMOTE_RESOURCE = re.compile(
    r"""<(?:script|link|img|iframe|source|video|audio|embed|object)\b[^>]*?\b(?:src|href|data)\s*=\s*["']?\s*(?:https?:)?//""",
    re.IGNORECASE,
)
_REMOTE_CSS = re.compile(r"""(?:url\(\s*["']?|@import\s+["'])\s*(?:https?:)?//""", re.IGNORECASE)

_env_lock = threading.Lock()

#: makes the kernel register its data for redaction from its start (see toolkit.display)
_HOOKS_ARGUMENT = "--IPKernelApp.exec_lines=__import__('toolkit.display').display.install_report_hooks()"
#: output types holding base64 data, not text to scrub or check
_BINARY = {"image/png", "image/jpeg", "image/gif", "image/webp", "image/bmp", "application/pdf"}


class ReportError(EngagementLabError):
    """A report could not be built (execution failed, or the page would leak or fetch something)."""


@contextmanager
def _report_env(values: Mapping[str, str]):
    """Set environment variables for the kernel papermill starts (it inherits ``os.environ``)."""
    with _env_lock:
        saved = {k: os.environ.get(k) for k in values}
        os.environ.update(values)
        try:
            yield
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value


def build_report(
    notebook: str | os.PathLike,
    out_dir: str | os.PathLike,
    parameters: Mapping[str, Any] | None = None,
    redact: bool = False,
    *,
    name: str | None = None,
    executed_path: str | os.PathLike | None = None,
    kernel_name: str = "python3",
    timeout: int | None = CELL_TIMEOUT,
    sensitive: Iterable[str] = (),
    hide_code: bool = False,
    aliases: dict[str, str] | None = None,
) -> Path:
    """Execute ``notebook`` in report mode and write ``out_dir/<name>.html``.

    Parameters
    ----------
    notebook
        Path of an ``.ipynb`` with a cell tagged ``parameters``; it runs with its own folder as the
        working directory (so ``../data/sample/...`` paths work).
    out_dir
        Folder for the HTML page (created if missing).
    parameters
        Values papermill injects after the ``parameters`` cell (e.g. another data path).
    redact
        Remove post texts and account handles from the page (see module docstring).
    name
        File name stem of the page; default the notebook's stem.
    executed_path
        Where to keep the executed notebook (default: not kept). With ``redact`` it is scrubbed and
        checked like the page.
    kernel_name
        Jupyter kernel to run.
    timeout
        Seconds one cell may take (``None``: no limit); a cell that takes longer fails the build.
    sensitive
        Extra strings (e.g. handles) that must not appear in a redacted page.
    hide_code
        Leave code cells' input out of the page (outputs and markdown only).
    aliases
        With ``redact``: the pseudonyms (``{handle: "account 2"}``) earlier pages of the same
        build gave; the kernel keeps them, and the handles this notebook adds are added to the
        dict, so that pages shared together name each account alike (``main`` passes one dict
        to every page).

    Returns
    -------
    Path
        The HTML file. Raises :class:`ReportError` if a cell failed (the page is still written,
        showing the error, unless redacting: a redacted page is written only for a notebook that
        ran to its end), or the page would fetch from another host or leak a redacted value, or the
        kernel did not register its data for redaction (then neither the page nor the kept
        notebook is written).
    """
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    notebook = Path(notebook)
    if not notebook.is_file():
        raise ReportError("notebook not found", file=notebook, parameter="notebook")
    out_dir = Path(out_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:  # a file where a folder should be, no permission
        raise ReportError("cannot create the output folder", file=out_dir, parameter="out_dir",
                          found=f"{type(exc).__name__}: {exc.strerror}") from None
    page = out_dir / f"{name or notebook.stem}.html"

    with tempfile.TemporaryDirectory(prefix="engagement-lab-report-") as tmp:
        # a redacted build keeps the raw executed notebook in the temporary folder only
        executed = Path(executed_path) if executed_path and not redact else Path(tmp) / notebook.name
        executed.parent.mkdir(parents=True, exist_ok=True)
        log = Path(tmp) / "redacted.jsonl"
        log.touch()
        env = {
            "ENGAGEMENT_LAB_REPORT": "1",
            "ENGAGEMENT_LAB_REDACT": "1" if redact else "0",
            "ENGAGEMENT_LAB_REDACT_LOG": str(log),
            display.REDACT_ALIASES_ENV: json.dumps(aliases or {}) if redact else "",
            "TQDM_DISABLE": "1",
        }
        hooks = {"extra_arguments": [_HOOKS_ARGUMENT]} if redact else {}
        failure: PapermillExecutionError | None = None
        with _report_env(env):
            try:
                pm.execute_notebook(
                    str(notebook), str(executed), parameters=dict(parameters or {}),
                    kernel_name=kernel_name, cwd=str(notebook.resolve().parent),
                    progress_bar=False, log_output=False, request_save_on_cell_execute=False,
                    execution_timeout=timeout, **hooks,
                )
            except PapermillExecutionError as err:
                failure = err
            except Exception as err:  # kernel died, missing kernel, unreadable notebook...
                raise ReportError(
                    "the notebook failed before its end",  # found: the timeout, the kernel's death ...
                    file=notebook, found=first_line(f"{type(err).__name__}: {err}"),
                ) from err
        import nbformat

        nb = nbformat.read(executed, as_version=4)
        kept = None
        if redact and failure is not None:
            # a failed cell's error can show what the redaction never saw (the file name of an
            # export that could not be read, a parameter's value): no page, and no stale one
            page.unlink(missing_ok=True)
            raise ReportError(
                f"the notebook failed in cell {failure.exec_count}; a redacted page is written only "
                "for a notebook that runs to its end, as an error can show data the redaction never "
                "saw: build it without redaction to read the error, privately",
                file=notebook, found=first_line(f"{failure.ename}: {failure.evalue}"),
            )
        if redact:
            secrets = _read_log(log, notebook)
            for account, alias in (aliases or {}).items():
                secrets["account"].setdefault(account, alias)
            if aliases is not None:
                aliases.update(secrets["account"])
            for value in sensitive:
                secrets["account"].setdefault(str(value), "[redacted]")
            index = _Secrets(secrets)
            try:
                clean = _redacted(nb, index)  # scrubbed once, for the page and the kept notebook
                html = _render(clean, notebook.stem, index, hide_code)
                if executed_path:
                    _check_kept(clean, index)
                    kept = clean
            except ReportError as err:  # name the notebook
                raise ReportError(err.message, file=notebook, found=err.found) from None
        else:
            html = _render(nb, notebook.stem, None, hide_code)
    page.write_text(html, encoding="utf-8")
    if kept is not None:
        Path(executed_path).parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(kept, str(executed_path))
    if failure is not None:
        raise ReportError(
            f"the notebook failed in cell {failure.exec_count}; the page {page} shows the error",
            file=notebook, found=first_line(f"{failure.ename}: {failure.evalue}"),
        )
    return page


def _read_log(path: Path, notebook: Path) -> dict[str, Any]:
    """The handles and texts the kernel registered; :class:`ReportError` if it could not register."""
    accounts: dict[str, str] = {}
    texts: set[str] = set()
    hooked = False
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        entry = json.loads(line)
        kind = entry.get("kind")
        if kind == "hooks":
            hooked = True
        elif kind == "error":
            raise ReportError("the kernel could not register the data to redact", file=notebook,
                              found=entry.get("value"))
        elif kind == "account":
            accounts[entry["value"]] = entry.get("alias") or "[redacted]"
        elif kind == "text":
            texts.add(entry["value"])
    if not hooked:
        raise ReportError(
            "the kernel never installed the redaction hooks (toolkit.display.install_report_hooks), so"
            " the handles and texts of its data are unknown; is toolkit installed for this kernel?",
            file=notebook,
        )
    return {"account": accounts, "text": texts}


# --------------------------------------------------------------------------- notebook -> page


def _static_outputs(nb: Any) -> None:
    """Drop widget views and widget state: no widget manager runs in a static page."""
    nb.metadata.pop("widgets", None)
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        kept = []
        for output in cell.get("outputs", []):
            data = output.get("data")
            if data is not None and WIDGET_VIEW in data:
                data.pop(WIDGET_VIEW)
                # what is left is a repr such as "VBox(children=...)": meaningless on the page
                data.pop("text/plain", None)
                if not data:
                    continue
            kept.append(output)
        cell["outputs"] = kept


def _forms(value: str) -> list[str]:
    """``value`` as a page or notebook may hold it: as is, HTML-escaped, JSON-escaped (ASCII or not,
    and inside a ``<script>``), and as pandas prints it (line breaks as ``\\n``)."""
    ascii_json = json.dumps(value)[1:-1]
    forms = [
        value, _html.escape(value), _html.escape(value, quote=False), ascii_json,
        json.dumps(value, ensure_ascii=False)[1:-1],
        ascii_json.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"),
        value.replace("\t", "\\t").replace("\r", "\\r").replace("\n", "\\n"),
    ]
    return list(dict.fromkeys(forms))


class _Secrets:
    """Finds registered handles and post texts in a string, in any of their :func:`_forms`.

    ``secrets`` is ``{"account": {handle: alias}, "text": {post texts}}``; the length rules are
    those of the module docstring. Texts are found by their first
    :data:`~toolkit.display.MIN_TEXT_CHARS` characters, so a page is scanned once whatever the
    number of texts.
    """

    def __init__(self, secrets: Mapping[str, Any]):
        aliases: dict[str, str] = {}
        for account, alias in secrets["account"].items():
            for form in _forms(str(account).strip()):
                aliases.setdefault(form.lower(), alias)
        self.handles = display.HandleAliases(aliases)
        texts = {t.strip() for t in secrets["text"] if isinstance(t, str)}
        self.texts = sorted({f for t in texts if len(t) >= display.MIN_TEXT_CHARS for f in _forms(t)})
        self.whole = set(self.texts)
        self.starts = {f[:display.MIN_TEXT_CHARS] for f in self.texts}
        self.longest = max(map(len, self.texts), default=0)

    def _text_at(self, value: str, i: int) -> int:
        """Length of the registered text, or of a long enough start of one, at ``value[i:]`` (or 0)."""
        window = value[i:i + self.longest]
        at = bisect.bisect_left(self.texts, window)
        # the longest common start with any sorted text is with one of the two around `window`
        common = max(len(os.path.commonprefix([window, t])) for t in self.texts[max(at - 1, 0):at + 1])
        if common >= display.MIN_PREFIX_CHARS:
            cut = window[:common]
            if (len(cut) - len(cut.rstrip("\\"))) % 2:  # do not split an escape (\n, \u00e9)
                common -= 1
            return common
        for length in range(common, display.MIN_TEXT_CHARS - 1, -1):
            if window[:length] in self.whole:
                return length
        return 0

    def text_spans(self, value: str) -> list[tuple[int, int]]:
        spans: list[tuple[int, int]] = []
        if not self.texts:
            return spans
        width, starts = display.MIN_TEXT_CHARS, self.starts
        i, last = 0, len(value) - width
        while i <= last:
            length = self._text_at(value, i) if value[i:i + width] in starts else 0
            if length:
                spans.append((i, i + length))
                i += length
            else:
                i += 1
        return spans

    def scrub(self, value: str) -> str:
        """``value`` with texts replaced by ``[redacted]`` and handles by their aliases."""
        spans = self.text_spans(value)
        if spans:
            parts, last = [], 0
            for start, end in spans:
                parts += [value[last:start], display.REDACTED_TEXT]
                last = end
            value = "".join(parts) + value[last:]
        return self.handles.sub(value)

    def find(self, value: str, texts: bool = True, handles: bool = True) -> tuple[str, str] | None:
        """``("post text" | "account handle", what was found)`` for the first one in ``value``."""
        if texts:
            for start, end in self.text_spans(value)[:1]:
                return "post text", value[start:end]
        if handles and self.handles.pattern is not None:
            match = self.handles.pattern.search(value)
            if match:
                return "account handle", match.group(0)
        return None


def _scrubber(secrets: Mapping[str, Any] | _Secrets):
    """The function that scrubs one string of the registered handles and texts."""
    return (secrets if isinstance(secrets, _Secrets) else _Secrets(secrets)).scrub


def _hidden(kind: str, value: str) -> str:
    """What a leak looks like in an error message, without repeating it."""
    return f"{kind} {value[:3]!r}... ({len(value)} characters)"


def _walk(value: Any, scrub) -> Any:
    """``value`` with ``scrub`` applied to every string in it, except binary outputs."""
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, list):
        return [_walk(v, scrub) for v in value]
    if isinstance(value, dict):
        return {k: v if k in _BINARY else _walk(v, scrub) for k, v in value.items()}
    return value


def _scrub_notebook(nb: Any, scrub) -> None:
    """Scrub every string of ``nb`` in place: sources, outputs of every type, metadata."""
    import nbformat

    for cell in nb.cells:
        cell["source"] = scrub(cell["source"])
        cell["metadata"] = nbformat.from_dict(_walk(cell.get("metadata", {}), scrub))
        if "outputs" in cell:
            cell["outputs"] = [nbformat.from_dict(_walk(output, scrub)) for output in cell["outputs"]]
    nb["metadata"] = nbformat.from_dict(_walk(nb.metadata, scrub))


def _redacted(nb: Any, index: _Secrets) -> Any:
    """A copy of the executed notebook scrubbed of the registered handles and texts."""
    nb = copy.deepcopy(nb)
    _scrub_notebook(nb, _scrubber(index))
    return nb


def _check_kept(nb: Any, index: _Secrets) -> None:
    """Raise :class:`ReportError` if any string of the scrubbed notebook to keep (its metadata
    and whole cells) still holds a registered handle or text, naming the cell."""
    where = "notebook metadata"

    def check(text: str) -> str:
        hit = index.find(text)
        if hit:
            raise ReportError(f"kept notebook would still contain a {hit[0]} in {where}",
                              found=_hidden(*hit))
        return text

    _walk(nb.metadata, check)
    for number, cell in enumerate(nb.cells, start=1):
        where = f"cell {number}"
        _walk(cell, check)


def to_html(
    nb: Any, title: str | None = None, secrets: Mapping[str, Any] | None = None, hide_code: bool = False,
) -> str:
    """Convert an executed notebook (``nbformat`` node) to one self-contained HTML page.

    ``secrets`` (``{"account": {handle: alias}, "text": {post texts}}``) are scrubbed from the page
    (outputs, markdown, code) and the result is checked to contain none of them. The page is also
    checked by :func:`check_offline`.
    """
    if secrets is None:
        return _render(nb, title, None, hide_code)
    index = _Secrets(secrets)
    return _render(_redacted(nb, index), title, index, hide_code)


def _render(nb: Any, title: str | None, index: _Secrets | None, hide_code: bool) -> str:
    """The page of ``nb``. With ``index``, ``nb`` is already scrubbed (:func:`_redacted`); the
    title is scrubbed too and the page checked to hold none of the registered values."""
    import jinja2
    from nbconvert import HTMLExporter

    nb = copy.deepcopy(nb)
    _static_outputs(nb)
    if index is not None:
        nb.metadata.pop("papermill", None)
        title = _scrubber(index)(title) if title else title
    if title:
        nb.metadata["title"] = title
    exporter = HTMLExporter(
        template_name="lab",
        extra_loaders=[jinja2.DictLoader({_TEMPLATE_NAME: _TEMPLATE})],
        template_file=_TEMPLATE_NAME,
        embed_images=True,
        exclude_input=hide_code,
        exclude_input_prompt=hide_code,
        exclude_output_prompt=hide_code,
    )
    body, _ = exporter.from_notebook_node(
        nb, resources={"engagement_lab_head": display.report_head()},
    )
    check_offline(body)
    if index is not None:
        _check_redacted(body, index)
    return body


def check_offline(page: str) -> None:
    """Raise :class:`ReportError` if the page would load anything from another host.

    >>> check_offline('<p>see https://example.org</p>')
    >>> check_offline('<script src="https://cdn.example/x.js"></script>')
    Traceback (most recent call last):
    ...
    toolkit.report.ReportError: report page would load from another host (found: <script src="https://cdn.example/x.js">)
    """
    for pattern in (_REMOTE_RESOURCE, _REMOTE_CSS):
        match = pattern.search(page)
        if match:
            end = page.find(">", match.end())
            tag = page[match.start(): end + 1 if end != -1 else match.end()][:200]
            raise ReportError("report page would load from another host", found=tag)


class _PageText(HTMLParser):
    """What a page shows or carries: text, attribute values and body scripts (chart data); not the
    markup, class names, the head's scripts and styles (the Vega bundle, CSS) or embedded images."""

    _MARKUP = {"class", "id", "style", "type", "tabindex", "data-mime-type", "lang", "charset"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.chunks: list[str] = []
        self._in_head = False
        self._skip: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "head":
            self._in_head = True
        elif tag == "style" or (tag == "script" and self._in_head):
            self._skip = tag
        self.chunks += [v for k, v in attrs if v and k not in self._MARKUP and not v.startswith("data:")]

    def handle_endtag(self, tag: str) -> None:
        if tag == "head":
            self._in_head = False
        if tag == self._skip:
            self._skip = None

    def handle_data(self, data: str) -> None:
        if self._skip is None:
            self.chunks.append(data)

    def handle_comment(self, data: str) -> None:
        self.chunks.append(data)


def _check_redacted(page: str, secrets: Mapping[str, Any] | _Secrets) -> None:
    """Raise :class:`ReportError` if the written page still holds a registered handle or text."""
    index = secrets if isinstance(secrets, _Secrets) else _Secrets(secrets)
    parser = _PageText()
    parser.feed(page)
    parser.close()
    # texts across inline markup (<em>, highlighted code); handles chunk by chunk, where a
    # neighbouring letter cannot hide them
    hits = [index.find("".join(parser.chunks), handles=False)]
    hits += [index.find(chunk, texts=False) for chunk in parser.chunks]
    for hit in hits:
        if hit:
            raise ReportError(f"redacted report still contains a {hit[0]}", found=_hidden(*hit))


# --------------------------------------------------------------------------- command line


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m toolkit report",
        description="Execute notebooks on the sample data and write self-contained HTML reports.",
    )
    parser.add_argument("notebooks", nargs="*", help="notebooks to run (default: notebooks/*.ipynb)")
    parser.add_argument("--out", default="reports", help="output folder (default: reports)")
    parser.add_argument("--redact", action="store_true", help="remove post texts and account handles")
    parser.add_argument("-p", "--parameter", nargs=2, action="append", default=[], metavar=("NAME", "VALUE"),
                        help="parameter for every notebook (value parsed as JSON when possible); a "
                             "notebook whose parameters cell does not declare it fails")
    parser.add_argument("--keep-executed", action="store_true", help="also write the executed .ipynb")
    parser.add_argument("--hide-code", action="store_true", help="leave code out of the pages")
    return parser.parse_args(argv)


def _value(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text


def declared_parameters(notebook: str | os.PathLike, error: type[EngagementLabError]) -> set[str]:
    """The names the cell tagged ``parameters`` of ``notebook`` declares (papermill's reading).

    A notebook that cannot be read raises ``error`` (the caller's project exception) naming it.
    """
    import papermill as pm

    try:
        return set(pm.inspect_notebook(str(notebook)))
    except Exception as exc:  # noqa: BLE001 - nbformat and papermill raise their own types
        raise error("cannot read the notebook's parameters cell", file=notebook,
                    found=f"{type(exc).__name__}: {exc}") from None


def _undeclared(notebook: Path, parameters: Mapping[str, Any]) -> ReportError | None:
    """The error for a ``-p`` name ``notebook`` does not declare (None if it declares them all).

    papermill injects such a value anyway and only warns; nothing reads it, and the page would show
    the notebook's defaults (the sample data) under the user's request for other data.
    """
    if not parameters:
        return None
    try:
        declared = declared_parameters(notebook, ReportError)
    except ReportError as exc:
        return exc
    unknown = [name for name in parameters if name not in declared]
    if not unknown:
        return None
    shown = ", ".join(sorted(declared)) or "nothing (no cell tagged 'parameters')"
    return ReportError("the notebook declares no such parameter, so its page would show its own "
                       f"defaults instead; it declares: {shown}", file=notebook,
                       parameter=unknown[0], found=unknown)


def main(argv: list[str] | None = None) -> int:
    """``python -m toolkit report``: build one page per notebook; print the paths; 1 if any failed."""
    from toolkit.progress import progress_bar

    args = _parse(list(sys.argv[1:] if argv is None else argv))
    notebooks = [Path(p) for p in args.notebooks] or sorted(Path("notebooks").glob("*.ipynb"))
    if not notebooks:
        print("no notebooks found (looked in notebooks/*.ipynb)", file=sys.stderr)
        return 1
    parameters = {name: _value(value) for name, value in args.parameter}
    out = Path(args.out)
    aliases: dict[str, str] = {}  # one pseudonym per account across the pages
    failed = 0
    bar = progress_bar(notebooks, desc="reports", unit="notebook")
    for notebook in bar:
        executed = out / f"{notebook.stem}.ipynb" if args.keep_executed else None
        refused = _undeclared(notebook, parameters) if notebook.is_file() else None
        if refused is not None:
            failed += 1
            bar.write(f"FAILED {notebook}: {refused}", file=sys.stderr)
            continue
        try:
            page = build_report(notebook, out, parameters, redact=args.redact, executed_path=executed,
                                hide_code=args.hide_code, aliases=aliases)
        except EngagementLabError as err:
            failed += 1
            bar.write(f"FAILED {notebook}: {err}", file=sys.stderr)
        else:
            bar.write(str(page))
    return 1 if failed else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
