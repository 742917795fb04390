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
* with ``redact=True`` shows no post text and no account handle: displayed tables, results and
  chart data are redacted in the kernel, then every handle or text the kernel saw is scrubbed from
  the whole page, and the page is checked to contain none of them (``EngagementLabError`` if it
  does).

Command line (``make report``)::

    python -m toolkit report --out reports [--redact] [-p NAME VALUE ...] [notebooks ...]

executes ``notebooks/*.ipynb`` (default) on their default parameters, i.e. the bundled sample data,
and writes ``reports/<name>.html``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
import threading
from collections.abc import Iterable, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from toolkit.errors import EngagementLabError

__all__ = ["build_report", "to_html", "check_offline", "main", "ReportError"]

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
    timeout: int | None = 600,
    sensitive: Iterable[str] = (),
    hide_code: bool = False,
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
        Where to keep the executed notebook (default: not kept). It is the kernel's output before
        the page's scrubbing, i.e. not redacted: keep it private.
    kernel_name
        Jupyter kernel to run.
    timeout
        Seconds one cell may take.
    sensitive
        Extra strings (e.g. handles) that must not appear in a redacted page.
    hide_code
        Leave code cells' input out of the page (outputs and markdown only).

    Returns
    -------
    Path
        The HTML file. Raises :class:`ReportError` if a cell failed (the page is still written, showing
        the error) or the page would fetch from another host or leak a redacted value.
    """
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    notebook = Path(notebook)
    if not notebook.is_file():
        raise ReportError("notebook not found", file=notebook, parameter="notebook")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    page = out_dir / f"{name or notebook.stem}.html"

    with tempfile.TemporaryDirectory(prefix="engagement-lab-report-") as tmp:
        executed = Path(executed_path) if executed_path else Path(tmp) / notebook.name
        executed.parent.mkdir(parents=True, exist_ok=True)
        log = Path(tmp) / "redacted.jsonl"
        log.touch()
        env = {
            "ENGAGEMENT_LAB_REPORT": "1",
            "ENGAGEMENT_LAB_REDACT": "1" if redact else "0",
            "ENGAGEMENT_LAB_REDACT_LOG": str(log),
            "TQDM_DISABLE": "1",
        }
        failure: PapermillExecutionError | None = None
        with _report_env(env):
            try:
                pm.execute_notebook(
                    str(notebook), str(executed), parameters=dict(parameters or {}),
                    kernel_name=kernel_name, cwd=str(notebook.resolve().parent),
                    progress_bar=False, log_output=False, request_save_on_cell_execute=False,
                    execution_timeout=timeout,
                )
            except PapermillExecutionError as err:
                failure = err
            except Exception as err:  # kernel died, missing kernel, unreadable notebook...
                raise ReportError(
                    f"notebook could not be executed: {type(err).__name__}: {err}",
                    file=notebook, found=type(err).__name__,
                ) from err
        import nbformat

        nb = nbformat.read(executed, as_version=4)
        secrets = _read_log(log) if redact else {"account": {}, "text": set()}
        for value in sensitive:
            secrets["account"].setdefault(str(value), "[redacted]")
        html = to_html(nb, title=notebook.stem, secrets=secrets if redact else None, hide_code=hide_code)
    page.write_text(html, encoding="utf-8")
    if failure is not None:
        raise ReportError(
            f"notebook failed in cell {failure.exec_count}: {failure.ename}: {failure.evalue}"
            f" (the page {page} shows the error)",
            file=notebook, found=failure.ename,
        )
    return page


def _read_log(path: Path) -> dict[str, Any]:
    accounts: dict[str, str] = {}
    texts: set[str] = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        entry = json.loads(line)
        if entry["kind"] == "account":
            accounts[entry["value"]] = entry.get("alias") or "[redacted]"
        else:
            texts.add(entry["value"])
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


def _scrubber(secrets: Mapping[str, Any]):
    texts = sorted((t for t in secrets["text"] if t and t.strip()), key=len, reverse=True)
    accounts = sorted(secrets["account"].items(), key=lambda kv: len(kv[0]), reverse=True)
    import html as _html

    def variants(value: str) -> set[str]:
        # as written, HTML-escaped and JSON-escaped (chart specs)
        json_form = json.dumps(value)[1:-1]
        script_form = json_form.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
        return {value, _html.escape(value), _html.escape(value, quote=False), json_form, script_form}

    text_forms = [(v, "[redacted]") for t in texts for v in sorted(variants(t), key=len, reverse=True)]
    patterns = [
        (re.compile(rf"(?<![A-Za-z0-9])@?{re.escape(account)}(?![A-Za-z0-9])"), alias)
        for account, alias in accounts if account
    ]

    def scrub(value: str) -> str:
        for form, repl in text_forms:
            if form in value:
                value = value.replace(form, repl)
        for pattern, alias in patterns:
            value = pattern.sub(alias, value)
        return value

    return scrub


def _scrub_notebook(nb: Any, scrub) -> None:
    def walk(value: Any) -> Any:
        if isinstance(value, str):
            return scrub(value)
        if isinstance(value, list):
            return [walk(v) for v in value]
        if isinstance(value, dict):
            return {k: walk(v) for k, v in value.items()}
        return value

    for cell in nb.cells:
        cell["source"] = scrub(cell["source"])
        for output in cell.get("outputs", []):
            if "text" in output:
                output["text"] = walk(output["text"])
            if "data" in output:
                output["data"] = walk(output["data"])
            for key in ("evalue", "traceback"):
                if key in output:
                    output[key] = walk(output[key])
    nb.metadata.pop("papermill", None)


def to_html(
    nb: Any, title: str | None = None, secrets: Mapping[str, Any] | None = None, hide_code: bool = False,
) -> str:
    """Convert an executed notebook (``nbformat`` node) to one self-contained HTML page.

    ``secrets`` (``{"account": {handle: alias}, "text": {post texts}}``) are scrubbed from the page
    and the result is checked to contain none of them. The page is also checked by
    :func:`check_offline`.
    """
    import copy

    import jinja2
    from nbconvert import HTMLExporter

    from toolkit.display import report_head

    nb = copy.deepcopy(nb)
    _static_outputs(nb)
    scrub = None
    if secrets is not None:
        scrub = _scrubber(secrets)
        _scrub_notebook(nb, scrub)
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
        nb, resources={"engagement_lab_head": report_head()},
    )
    check_offline(body)
    if secrets is not None:
        _check_redacted(body, secrets)
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


def _check_redacted(page: str, secrets: Mapping[str, Any]) -> None:
    import html as _html

    for text in secrets["text"]:
        if len(text.strip()) >= 4 and (text in page or _html.escape(text) in page):
            raise ReportError("redacted report still contains a post text", found=text[:40])
    for account in secrets["account"]:
        if re.search(rf"(?<![A-Za-z0-9]){re.escape(account)}(?![A-Za-z0-9])", page):
            raise ReportError("redacted report still contains an account handle", found=account)


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
                        help="parameter for every notebook (value parsed as JSON when possible)")
    parser.add_argument("--keep-executed", action="store_true", help="also write the executed .ipynb")
    parser.add_argument("--hide-code", action="store_true", help="leave code out of the pages")
    return parser.parse_args(argv)


def _value(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text


def main(argv: list[str] | None = None) -> int:
    """``python -m toolkit report``: build one page per notebook; print the paths; 1 if any failed."""
    from tqdm.auto import tqdm

    args = _parse(list(sys.argv[1:] if argv is None else argv))
    notebooks = [Path(p) for p in args.notebooks] or sorted(Path("notebooks").glob("*.ipynb"))
    if not notebooks:
        print("no notebooks found (looked in notebooks/*.ipynb)", file=sys.stderr)
        return 1
    parameters = {name: _value(value) for name, value in args.parameter}
    out = Path(args.out)
    failed = 0
    for notebook in tqdm(notebooks, desc="reports", unit="notebook"):
        executed = out / f"{notebook.stem}.ipynb" if args.keep_executed else None
        try:
            page = build_report(notebook, out, parameters, redact=args.redact, executed_path=executed,
                                hide_code=args.hide_code)
        except EngagementLabError as err:
            failed += 1
            tqdm.write(f"FAILED {notebook}: {err}", file=sys.stderr)
        else:
            tqdm.write(str(page))
    return 1 if failed else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
