"""Offline chart display for notebooks and for shared HTML reports.

Every notebook starts with ``toolkit.display.setup()``. It picks one of two modes:

``live`` (a kernel behind JupyterLab, Voila or nbval)
    Altair charts display as ``JupyterChart`` widgets whose JavaScript (Vega, Vega-Lite,
    vega-embed) comes from vl-convert's bundle inside the Python package, so charts render with
    no internet access; the VegaFusion data transformer aggregates data in Python, so a
    200,000-post profile charts without ``MaxRowsError`` and without shipping every row.

``static`` (a notebook executed headless for a report by :mod:`toolkit.report`)
    Charts display as ``text/html``: a ``<div>`` and a small script that calls ``vegaEmbed`` on the
    (VegaFusion pre-transformed) Vega spec. The report page carries vl-convert's bundle inlined
    once in its ``<head>`` (:func:`report_head`), so the page renders offline and Altair's own
    interactivity (tooltips, brushing, sliders bound to inputs) keeps working without Python.
    The ``mimetype`` renderer is never used (nbconvert and JupyterLab 4.6 cannot handle
    Altair 6's mimetype).

``mode="auto"`` chooses ``static`` when the environment variable ``ENGAGEMENT_LAB_REPORT`` is
``1`` (set by :func:`toolkit.report.build_report` for the kernel it starts), else ``live``.

Contract for widget panels
--------------------------
Widgets cannot run in a static page. A panel's ``_ipython_display_`` must check
:func:`is_report_mode`: when it is true, display the panel's *current* results as ordinary
outputs (``Result`` objects, DataFrames, Altair charts, text) instead of the ipywidgets container.
:func:`show_panel` does exactly that and is the recommended one-liner::

    def _ipython_display_(self):
        toolkit.display.show_panel(self)

It displays ``self.widget`` in live mode; in report mode it shows a small table of the
controls' current values followed by ``self.static_outputs()`` (a list of displayable objects
the panel provides).

Redaction
---------
With ``redact`` on (``ENGAGEMENT_LAB_REDACT=1``, set by ``build_report(redact=True)``), every
DataFrame, Series, ``Result`` and chart displayed in report mode has its ``text`` column (and
``matched``, the words :func:`toolkit.label_personal` found in each text) replaced by
``[redacted]`` and its ``account`` values replaced by stable pseudonyms (``account 1``, ...).
Analyses run on the real data (numbers are unchanged); only what is displayed is redacted.

What must not appear in the page comes from the data, not from what happened to be displayed: the
report builder starts the kernel with :func:`install_report_hooks`, which after every cell registers
each account handle and post text held by the kernel's variables (a loaded ``Dataset``, its
DataFrames, Series, results and panels, see :func:`note_data`). The originals are logged
(``ENGAGEMENT_LAB_REDACT_LOG``) so that the report builder can scrub every mention (in print output,
markdown, code, chart specs...) from the page and verify that none is left.

>>> import altair as alt, pandas as pd
>>> chart = alt.Chart(pd.DataFrame({"x": [1, 2], "y": [3, 4]})).mark_point().encode(x="x", y="y")
>>> snippet = chart_html(chart)
>>> 'class="engagement-lab-chart"' in snippet and "vegaEmbed" in snippet
True
>>> "<script>alert" in chart_html(alt.Chart(pd.DataFrame({"t": ["<script>alert(1)</script>"]}))
...     .mark_text().encode(text="t"))
False
"""

from __future__ import annotations

import html
import json
import math
import os
import re
import uuid
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

__all__ = [
    "setup", "mode", "is_report_mode", "is_redacting", "chart_html", "report_head",
    "javascript_bundle", "show_panel", "redact_frame", "redact_series", "redact_text", "note_sensitive",
    "note_data", "install_report_hooks", "handle_pattern", "HandleAliases",
    "REPORT_ENV", "REDACT_ENV", "REDACT_LOG_ENV", "REDACT_ALIASES_ENV", "REDACTED_TEXT", "REDACT_COLUMNS",
    "MIN_HANDLE_CHARS", "MIN_TEXT_CHARS", "MIN_PREFIX_CHARS",
    "STATIC_RENDERER", "LIVE_RENDERER", "CHART_CLASS",
]

#: environment variable that puts ``setup(mode="auto")`` into static (report) mode
REPORT_ENV = "ENGAGEMENT_LAB_REPORT"
#: environment variable that turns redaction on in report mode
REDACT_ENV = "ENGAGEMENT_LAB_REDACT"
#: file (JSON lines) where the kernel logs the original values it redacted
REDACT_LOG_ENV = "ENGAGEMENT_LAB_REDACT_LOG"
#: pseudonyms already given (JSON ``{handle: alias}``) by earlier pages of the same report build
REDACT_ALIASES_ENV = "ENGAGEMENT_LAB_REDACT_ALIASES"
#: what replaces a post text in a redacted report
REDACTED_TEXT = "[redacted]"
#: columns whose values are redacted: post text and account handle (see toolkit.schema.POSTS)
REDACT_COLUMNS = {"text": "text", "account": "account"}
#: handles at least this long are scrubbed wherever they stand as a word (any case); shorter ones
#: (X's minimum is 4) only as ``@handle`` mentions, so that a handle such as ``art`` does not
#: blank the word "art" across the page
MIN_HANDLE_CHARS = 4
#: post texts at least this long are scrubbed wherever they appear whole; shorter ones ("Thanks!")
#: are redacted only where shown as a ``text`` column
MIN_TEXT_CHARS = 12
#: a run of at least this many characters that starts like a registered post text is scrubbed too
#: (pandas shows long texts cut to 47 characters and "...")
MIN_PREFIX_CHARS = 24
#: name under which the static renderer is registered with ``alt.renderers``
STATIC_RENDERER = "engagement_lab_static"
#: name of the live renderer (Altair's offline JupyterChart, tagged with :data:`CHART_CLASS`)
LIVE_RENDERER = "engagement_lab_live"
#: CSS class of every chart element, live or static (the browser tests look for it)
CHART_CLASS = "engagement-lab-chart"

_MODES = ("auto", "live", "static")
#: columns whose values are post texts to register: ``text``, and ``raw`` (a rejected record,
#: see ``toolkit.schema.REJECTED``, may hold one)
_TEXT_COLUMNS = (REDACT_COLUMNS["text"], "raw")
#: columns made of words taken from post texts (``toolkit.label_personal``'s ``matched``): blanked
#: like ``text`` when redacting, but not registered (the words alone are common vocabulary)
_WORDS_COLUMNS = ("matched",)
#: how deep :func:`note_data` looks into containers and toolkit objects (user namespace, panel,
#: dataset, table)
_NOTE_DEPTH = 4
#: items of one list or dict :func:`note_data` looks at (below the top level)
_NOTE_ITEMS = 1_000
_state: dict[str, Any] = {
    "mode": None, "redact": None, "aliases": {},
    "texts": set(),  # post texts registered (logged) so far
    "scanned": {},  # id -> (weakref, shape) of tables already registered
    "hooked": set(),  # ids of the shells with the report hooks
}


def _env_flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in {"1", "true", "yes", "on"}


def _collecting() -> bool:
    """True when handles and texts are registered: redacting, or run by a redacting report build
    (which collects them even if the notebook chose live display)."""
    return is_redacting() or (_env_flag(REDACT_ENV) and bool(os.environ.get(REDACT_LOG_ENV)))


def mode() -> str:
    """The display mode in force: ``"live"`` or ``"static"`` (``setup`` not yet called: from env).

    >>> mode() in {"live", "static"}
    True
    """
    if _state["mode"] is not None:
        return _state["mode"]
    return "static" if _env_flag(REPORT_ENV) else "live"


def is_report_mode() -> bool:
    """True when outputs go into a static report page (widgets cannot run there).

    Panels check this in ``_ipython_display_`` and show their current results instead of widgets.
    """
    return mode() == "static"


def is_redacting() -> bool:
    """True when displayed post texts and account handles must be redacted (report mode only)."""
    if not is_report_mode():
        return False
    if _state["redact"] is not None:
        return bool(_state["redact"])
    return _env_flag(REDACT_ENV)


# --------------------------------------------------------------------------- setup


def setup(mode: str = "auto", *, redact: bool | None = None, max_rows: int | None = 100_000) -> None:
    """Make Altair charts render with no internet access; call first in every notebook.

    Parameters
    ----------
    mode
        ``"auto"`` (static when ``ENGAGEMENT_LAB_REPORT=1``, else live), ``"live"`` or ``"static"``.
    redact
        Redact post texts and account handles in displayed outputs (static mode only). ``None``
        reads ``ENGAGEMENT_LAB_REDACT``.
    max_rows
        VegaFusion's limit on rows sent to the browser after aggregation (``None``: no limit).

    :func:`mode` tells which mode is in force afterwards.

    Examples
    --------
    >>> setup("static")
    >>> import altair as alt
    >>> mode(), alt.renderers.active, alt.data_transformers.active
    ('static', 'engagement_lab_static', 'vegafusion')
    >>> setup("live")
    >>> mode(), alt.renderers.active
    ('live', 'engagement_lab_live')
    """
    import altair as alt

    from toolkit.errors import SpecError

    if mode not in _MODES:
        raise SpecError(f"display mode must be one of {_MODES}", parameter="mode", found=mode)
    chosen = ("static" if _env_flag(REPORT_ENV) else "live") if mode == "auto" else mode
    _state["mode"] = chosen
    _state["redact"] = redact
    import pandas as pd

    # Styler does not escape cell text by default; a post text holding <script> must stay text
    pd.set_option("styler.format.escape", "html")
    alt.data_transformers.enable("vegafusion", max_rows=max_rows)
    if chosen == "static":
        if STATIC_RENDERER not in alt.renderers.names():
            alt.renderers.register(STATIC_RENDERER, _static_renderer)
        alt.renderers.enable(STATIC_RENDERER)
        if _collecting():
            install_report_hooks()  # also routes displayed tables through the redaction
        else:
            _install_redaction_formatters()
    else:
        if LIVE_RENDERER not in alt.renderers.names():
            alt.renderers.register(LIVE_RENDERER, _live_renderer)
        alt.renderers.enable(LIVE_RENDERER)


# --------------------------------------------------------------------------- live charts


def _live_renderer(spec: dict, **metadata: Any) -> Any:
    """Altair's ``jupyter`` renderer, offline, with the chart element tagged :data:`CHART_CLASS`.

    A spec whose data are all inline (small, or aggregated by VegaFusion in Python) goes to the
    chart widget as it is. Rebuilding a chart object from it, as Altair's own renderer does, checks
    every nested object and every data row against the Vega-Lite schema again: 1-3 s for a
    before/after chart, where Altair has already checked the chart once (benchmarks/README.md).
    """
    from altair import Chart, JupyterChart

    JupyterChart.enable_offline(offline=True)
    spec, large = _inline_small_tables(spec)
    options = metadata.get("embed_options")
    if large:  # VegaFusion answers the browser from the chart object
        widget = JupyterChart(chart=Chart.from_dict(spec), embed_options=options)
    else:  # all data inline: plain Vega-Lite, nothing to compute in Python
        widget = JupyterChart(chart=None, embed_options=options)
        widget.spec = spec
    widget.add_class(CHART_CLASS)
    return widget._repr_mimebundle_()


class _Redrawn:
    """An Altair chart a live panel redraws, displayed without Altair's second schema check.

    Displaying a chart makes Altair check its whole spec, data rows included, against the
    Vega-Lite schema: 10-80 ms a chart, about half of what displaying it costs
    (benchmarks/README.md). A panel redraws charts from the project's builders on every change,
    and the tests check every builder's spec against the schema, so the panels skip that check.
    """

    def __init__(self, chart: Any) -> None:
        self.chart = chart

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> Any:
        import altair as alt

        if mode() != "live":  # a static page: Altair's own path, checks included
            return self.chart._repr_mimebundle_(include, exclude)
        return alt.renderers.get()(self.chart.to_dict(validate=False, context={"pre_transform": False}))


def redrawn(item: Any) -> Any:
    """What a live panel displays for ``item``: an Altair chart without Altair's second schema
    check (see :class:`_Redrawn`), anything else as it is.

    >>> import altair as alt, pandas as pd
    >>> chart = alt.Chart(pd.DataFrame({"x": [1]})).mark_point().encode(x=alt.X("x:Q"))
    >>> type(redrawn(chart)).__name__, redrawn("text")
    ('_Redrawn', 'text')
    """
    import altair as alt

    return _Redrawn(item) if isinstance(item, alt.TopLevelMixin) else item


# --------------------------------------------------------------------------- static charts


@lru_cache(maxsize=1)
def javascript_bundle() -> str:
    """vl-convert's bundle of Vega, Vega-Lite and vega-embed (defines ``window.vegaEmbed``)."""
    import vl_convert as vlc
    from altair.utils._importers import vl_version_for_vl_convert

    bundle = vlc.javascript_bundle(vl_version=vl_version_for_vl_convert())
    if "</script" in bundle.lower():  # would end the inline <script> early
        bundle = re.sub(r"</(script)", r"<\\/\1", bundle, flags=re.IGNORECASE)
    return bundle


_CHART_CSS = """
.engagement-lab-chart { width: 100%; overflow-x: auto; }
.engagement-lab-chart.vega-embed details, .engagement-lab-chart.vega-embed details summary { position: relative; }
.engagement-lab-chart-error { color: #b00020; font-family: monospace; }
#vg-tooltip-element { z-index: 10000; }
"""


def report_head() -> str:
    """``<style>`` and ``<script>`` for a report page's ``<head>``: vega-embed inlined, no network."""
    return (
        f"<style>{_CHART_CSS}</style>\n"
        "<script type=\"text/javascript\">/* Vega, Vega-Lite and vega-embed, bundled by vl-convert */\n"
        + javascript_bundle()
        + "\n</script>\n"
    )


def _finite(value: Any) -> Any:
    """NaN and infinities (not JSON) become null, as missing values."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


def _script_json(value: Any) -> str:
    """JSON safe inside an HTML ``<script>``: ``<``, ``>``, ``&`` and line separators escaped."""
    text = json.dumps(_finite(value), separators=(",", ":"), allow_nan=False, default=str)
    return (
        text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
        .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    )


#: tables up to this many rows travel inline in the spec (already aggregated in Python); larger
#: ones are aggregated by VegaFusion before reaching the browser
INLINE_ROWS = 5_000


def _inline_small_tables(spec: dict, limit: int = INLINE_ROWS) -> tuple[dict, bool]:
    """Replace VegaFusion table references of at most ``limit`` rows by inline values; also say
    whether the spec still references a table that VegaFusion must aggregate.

    Small tables need no aggregation, and VegaFusion's column projection fails on some valid
    specs (e.g. ``bin="binned"`` fields: ``KeyError: 'bin_start_end'``, VegaFusion 2.0).
    """
    from altair.utils._vegafusion_data import VEGAFUSION_PREFIX, extracted_inline_tables
    from altair.utils.data import to_values

    left = False  # a large table is left for VegaFusion

    def walk(node: Any) -> Any:
        nonlocal left
        if isinstance(node, dict):
            url = node.get("url")
            if isinstance(url, str) and url.startswith(VEGAFUSION_PREFIX):
                name = url[len(VEGAFUSION_PREFIX):]
                table = extracted_inline_tables.get(name)
                if table is not None and len(table) <= limit:
                    extracted_inline_tables.pop(name, None)  # registered anew by each to_dict()
                    out = {k: v for k, v in node.items() if k != "url"}
                    out["values"] = _finite(to_values(table)["values"])
                    return out
                left = True
                return node
            return {k: walk(v) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node

    return walk(spec), left


def _compile(spec: dict) -> tuple[dict, str]:
    """Vega-Lite spec -> (spec, mode): small data inline as Vega-Lite, large data pre-aggregated
    by VegaFusion into a Vega spec."""
    from altair.utils._vegafusion_data import compile_with_vegafusion, using_vegafusion

    if not using_vegafusion():
        return spec, "vega-lite"
    spec, large = _inline_small_tables(spec)
    if large:
        return compile_with_vegafusion(spec), "vega"
    return spec, "vega-lite"


def chart_html(chart: Any, *, embed_options: dict | None = None) -> str:
    """The static HTML for one chart: a div and a script calling ``vegaEmbed`` (bundle in the page).

    ``chart`` is an Altair chart or a Vega-Lite spec dict. Data values are JSON-escaped so a post
    text such as ``<script>`` can never end the script element.
    """
    if isinstance(chart, dict):
        spec = chart
    else:
        spec = chart.to_dict(context={"pre_transform": False})
    spec, spec_mode = _compile(spec)
    if is_redacting():
        spec = _redact_spec(spec)
    div = f"altair-viz-{uuid.uuid4().hex}"
    options = {"mode": spec_mode, "renderer": "svg", "actions": False}
    options.update(embed_options or {})
    return (
        f'<div class="engagement-lab-chart" id="{div}"></div>\n'
        '<script type="text/javascript">\n'
        "(function () {\n"
        f'  var el = document.getElementById("{div}");\n'
        f"  var spec = {_script_json(spec)};\n"
        f"  var opt = {_script_json(options)};\n"
        "  function fail(msg) { el.className += ' engagement-lab-chart-error'; el.textContent = msg; }\n"
        "  if (typeof window.vegaEmbed !== 'function') {\n"
        "    fail('Chart not shown: this page lacks the Vega bundle (open the Engagement Lab report page).');\n"
        "    return;\n"
        "  }\n"
        "  window.vegaEmbed(el, spec, opt).catch(function (err) { console.error(err); fail('Chart failed: ' + err); });\n"
        "})();\n"
        "</script>"
    )


def _static_renderer(spec: dict, **metadata: Any) -> dict[str, str]:
    """Altair renderer for report mode: ``text/html`` for a static page, plus a text fallback."""
    title = spec.get("title")
    if isinstance(title, dict):
        title = title.get("text")
    if isinstance(title, list):
        title = " ".join(map(str, title))
    label = f"<Altair chart{': ' + str(title) if title else ''}>"
    return {
        "text/html": chart_html(spec, embed_options=metadata.get("embed_options")),
        "text/plain": label,
    }


# --------------------------------------------------------------------------- panels


def _control_rows(widget: Any, rows: list[tuple[str, str]]) -> None:
    """Collect (description, value) of value widgets, depth first."""
    children = getattr(widget, "children", None)
    if children:
        for child in children:
            _control_rows(child, rows)
        return
    if not hasattr(widget, "value") or type(widget).__name__ in {"HTML", "HTMLMath", "Label", "Output",
                                                                  "Button", "FileUpload"}:
        return
    value = widget.value
    label = getattr(widget, "description", "") or type(widget).__name__
    if is_redacting() and type(widget).__name__ in {"Text", "Textarea", "Combobox"}:
        value = REDACTED_TEXT  # free text may hold a post
    if isinstance(value, (tuple, list)):
        value = " to ".join(map(str, value)) if len(value) == 2 else ", ".join(map(str, value))
    rows.append((str(label), str(value)))


def show_panel(panel: Any) -> None:
    """Display a widget panel: its widget when live, its current results when in report mode.

    In report mode, shows the controls' current values as a small table, then each object of
    ``panel.static_outputs()`` (falling back to the panel's ``result`` attribute).
    """
    from IPython.display import HTML, display

    if not is_report_mode():
        display(panel.widget)
        return
    rows: list[tuple[str, str]] = []
    widget = getattr(panel, "widget", None)
    if widget is not None:
        _control_rows(widget, rows)
    if rows:
        body = "".join(
            f"<tr><th style='text-align:left'>{html.escape(k)}</th><td>{html.escape(redact_text(v))}</td></tr>"
            for k, v in rows
        )
        display(HTML(f'<table class="engagement-lab-controls">{body}</table>'))
    outputs = panel.static_outputs() if hasattr(panel, "static_outputs") else [getattr(panel, "result", None)]
    for item in outputs or []:
        if item is None:
            continue
        if isinstance(item, str):
            item = HTML(f"<p>{html.escape(redact_text(item))}</p>")
        display(item)


# --------------------------------------------------------------------------- redaction


def _log_entries(entries: list[dict[str, Any]]) -> None:
    path = os.environ.get(REDACT_LOG_ENV)
    if not path or not entries:
        return
    with open(path, "a", encoding="utf-8") as fh:
        fh.writelines(json.dumps(entry) + "\n" for entry in entries)


def _missing(value: Any) -> bool:
    return value is None or (not isinstance(value, str) and _isna(value))


def _seed_aliases() -> dict[str, str]:
    """The pseudonyms in force, first taking those of :data:`REDACT_ALIASES_ENV` (once).

    The report builder passes the pseudonyms earlier pages of the same build gave, so that
    ``account 2`` names the same account on every page shared together.
    """
    aliases: dict[str, str] = _state["aliases"]
    if not _state.get("seeded"):
        _state["seeded"] = True
        given = os.environ.get(REDACT_ALIASES_ENV)
        if given:
            for account, alias in json.loads(given).items():
                aliases.setdefault(str(account), str(alias))
    return aliases


def _register(accounts: Any = (), texts: Any = ()) -> None:
    """Give each new handle a pseudonym and log new handles and texts for the report builder."""
    entries: list[dict[str, Any]] = []
    aliases = _seed_aliases()
    for account in accounts:
        if _missing(account):
            continue
        account = str(account)
        if account not in aliases:
            bare = account.strip().lstrip("@")  # "@harborbakes": the handle is also found bare
            if bare and bare != account and bare in aliases:
                aliases[account] = aliases[bare]
            else:
                taken = set(aliases.values())
                number = len(taken) + 1
                while f"account {number}" in taken:
                    number += 1
                aliases[account] = f"account {number}"
            entries.append({"kind": "account", "value": account, "alias": aliases[account]})
            if bare and bare not in aliases:
                aliases[bare] = aliases[account]
                entries.append({"kind": "account", "value": bare, "alias": aliases[bare]})
    seen: set[str] = _state["texts"]
    for text in texts:
        if isinstance(text, str) and text.strip() and text not in seen:
            seen.add(text)
            entries.append({"kind": "text", "value": text})
    _log_entries(entries)


def _alias(account: Any) -> Any:
    if _missing(account):
        return account
    _register([account])
    return _state["aliases"][str(account)]


def _isna(value: Any) -> bool:
    import pandas as pd

    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def note_sensitive(accounts: Any = (), texts: Any = ()) -> None:
    """Register handles and post texts that must not appear in a redacted report.

    Does nothing unless redacting (or run by a redacting report build). :func:`note_data` finds
    them in tables and in the objects holding tables.
    """
    if _collecting():
        _register(accounts, texts)


def note_data(value: Any) -> None:
    """Register every account handle and post text held by ``value`` (see :func:`note_sensitive`).

    ``value`` is a DataFrame or Series (its ``account``, ``text`` and ``raw`` columns, index levels or
    name), or a dict, list or toolkit object (a ``Dataset``, ``Result``, panel) holding them, looked
    into a few levels deep. The report hooks call it on the kernel's namespace after every cell.

    >>> import pandas as pd
    >>> note_data(pd.DataFrame({"account": ["a"]}))  # not redacting: nothing to do
    """
    if not _collecting():
        return
    accounts: list[Any] = []
    texts: list[Any] = []
    _collect(value, accounts, texts, 0, set())
    _register(accounts, texts)


def _unchanged(table: Any) -> bool:
    """True if ``table`` was registered before with the same shape (then skip it); remember it."""
    import weakref

    scanned: dict[int, Any] = _state["scanned"]
    known = scanned.get(id(table))
    if known is not None and known[0]() is table and known[1] == table.shape:
        return True
    if len(scanned) > 10_000:
        for key in [k for k, (ref, _) in scanned.items() if ref() is None]:
            del scanned[key]
    try:
        scanned[id(table)] = (weakref.ref(table), table.shape)
    except TypeError:  # pragma: no cover  (pandas objects accept weak references)
        pass
    return False


def _values(values: Any) -> list[Any]:
    return list(values.dropna().unique())


def _wanted(name: Any) -> bool:
    """Whether a column or index level named ``name`` holds handles or texts to register."""
    key = name[-1] if isinstance(name, tuple) else name
    return key == REDACT_COLUMNS["account"] or key in _TEXT_COLUMNS


def _collect(value: Any, accounts: list[Any], texts: list[Any], depth: int, visited: set[int]) -> None:
    import pandas as pd

    if id(value) in visited or isinstance(value, (str, bytes, int, float, type)):
        return
    visited.add(id(value))

    def sort(name: Any, values: Any) -> None:
        key = name[-1] if isinstance(name, tuple) else name
        if key == REDACT_COLUMNS["account"]:
            accounts.extend(_values(values))
        elif key in _TEXT_COLUMNS:
            texts.extend(_values(values))

    if isinstance(value, (pd.DataFrame, pd.Series)):
        if _unchanged(value):
            return
        if isinstance(value, pd.DataFrame):
            for i, column in enumerate(value.columns):
                if _wanted(column):  # look at a column's values only when its name asks for it
                    sort(column, value.iloc[:, i])
        else:
            sort(value.name, value)
        for level, name in enumerate(value.index.names):
            if _wanted(name):
                sort(name, value.index.get_level_values(level))
        return
    if depth >= _NOTE_DEPTH:
        return
    if isinstance(value, dict):  # the namespace itself is looked at whole
        items = list(value.values())[:None if depth == 0 else _NOTE_ITEMS]
    elif isinstance(value, (list, tuple)):
        items = list(value[:_NOTE_ITEMS])
    elif type(value).__module__.split(".")[0] == "toolkit" and hasattr(value, "__dict__"):
        items = list(vars(value).values())
    else:
        return
    for item in items:
        _collect(item, accounts, texts, depth + 1, visited)


def install_report_hooks(shell: Any = None) -> None:
    """Register the kernel's data after every cell, for a redacted report (see Redaction above).

    :func:`toolkit.report.build_report` runs this when the kernel starts, and :func:`setup` in
    report mode; it does nothing unless a redacting report build runs the kernel, and hooks a
    shell once. It also routes displayed DataFrames, Series and Results through the redaction.
    A failure to register is logged, and the report builder then refuses to write the page.
    """
    if not _collecting():
        return
    shell = _shell(shell)
    if shell is None:
        return
    if id(shell) in _state["hooked"]:
        return
    _install_redaction_formatters(shell)

    def register_namespace(result: Any = None) -> None:
        try:
            note_data(shell.user_ns)
        except Exception as err:  # noqa: BLE001  (reported by the report builder)
            _log_entries([{"kind": "error", "value": f"{type(err).__name__}: {err}"}])

    shell.events.register("post_run_cell", register_namespace)
    _state["hooked"].add(id(shell))
    _log_entries([{"kind": "hooks"}])


def handle_pattern(handles: Any) -> re.Pattern | None:
    """One regular expression finding any of ``handles`` in free text (``None`` if there are none).

    A handle of at least :data:`MIN_HANDLE_CHARS` characters is found as a word in any case, with
    or without ``@`` (``harborbakes_2024.csv`` holds one); a shorter one only as an ``@`` mention.

    >>> pattern = handle_pattern(["harborbakes", "art"])
    >>> pattern.sub("X", "@HarborBakes and harborbakes_2024.csv; art by @art, not harborbakes2")
    'X and X_2024.csv; art by X, not harborbakes2'
    """
    handles = sorted({h for h in handles if h}, key=len, reverse=True)
    long = [re.escape(h) for h in handles if len(h) >= MIN_HANDLE_CHARS]
    short = [re.escape(h) for h in handles if len(h) < MIN_HANDLE_CHARS]
    parts = []
    if long:
        parts.append(rf"@?(?:{'|'.join(long)})")
    if short:
        parts.append(rf"@(?:{'|'.join(short)})")
    if not parts:
        return None
    # a letter or digit before or after means a longer word ("_" and "." separate)
    return re.compile(rf"(?<![^\W_])(?:{'|'.join(parts)})(?![^\W_])", re.IGNORECASE)


class HandleAliases:
    """Puts each handle's alias where :func:`handle_pattern` finds the handle in free text.

    ``aliases`` maps handles to their pseudonyms. A handle found is looked up in any case and
    without its ``@``; one with no alias becomes :data:`REDACTED_TEXT`. The kernel uses it for
    what it displays (:func:`redact_text`), the report builder for the whole page, with each
    handle in every escaped form it may take there (:mod:`toolkit.report`).

    >>> handles = HandleAliases({"harborbakes": "account 1"})
    >>> handles.sub("Posts by @HarborBakes, from harborbakes_2024.csv")
    'Posts by account 1, from account 1_2024.csv'
    """

    def __init__(self, aliases: Mapping[str, str]) -> None:
        #: the expression finding any of the handles (``None`` if there are none)
        self.pattern = handle_pattern(aliases)
        self._lookup: dict[str, str] = {}
        for handle, alias in aliases.items():
            self._lookup.setdefault(handle.lower(), alias)

    def sub(self, text: str) -> str:
        """``text`` with every handle found replaced by its alias."""
        if self.pattern is None:
            return text
        return self.pattern.sub(
            lambda m: self._lookup.get(m.group(0).lstrip("@").lower(), REDACTED_TEXT), text)


def redact_text(text: str) -> str:
    """Replace known account handles in free text by their pseudonyms (when redacting)."""
    if not is_redacting() or not isinstance(text, str):
        return text
    aliases = _seed_aliases()
    cached = _state.get("handles")
    if cached is None or cached[0] != (id(aliases), len(aliases)):
        cached = ((id(aliases), len(aliases)), HandleAliases(aliases))
        _state["handles"] = cached
    return cached[1].sub(text)


def redact_frame(frame: Any) -> Any:
    """A copy of ``frame`` with ``text`` values blanked and ``account`` values pseudonymised.

    Index levels named ``text``/``account`` are treated like columns. Without redaction the frame is
    returned unchanged.

    >>> import pandas as pd
    >>> redact_frame(pd.DataFrame({"account": ["a"]})).equals(pd.DataFrame({"account": ["a"]}))
    True
    """
    import pandas as pd

    if not is_redacting() or not isinstance(frame, pd.DataFrame):
        return frame
    out = frame.copy()
    names = list(out.index.names)
    if any(n in REDACT_COLUMNS for n in names):
        out = out.reset_index()
    for column in out.columns:
        key = column[-1] if isinstance(column, tuple) else column
        if key == REDACT_COLUMNS["text"]:
            _register(texts=out[column].dropna().unique())
            out[column] = out[column].map(lambda v: v if _isna(v) else REDACTED_TEXT).astype(object)
        elif key in _WORDS_COLUMNS:
            out[column] = out[column].map(lambda v: v if _isna(v) or v == "" else REDACTED_TEXT).astype(object)
        elif key == REDACT_COLUMNS["account"]:
            out[column] = out[column].map(_alias).astype(object)
    if any(n in REDACT_COLUMNS for n in names):
        out = out.set_index([n for n in names])
    for column in out.columns:
        if out[column].dtype == object or str(out[column].dtype).startswith("str"):
            out[column] = out[column].map(lambda v: redact_text(v) if isinstance(v, str) else v)
    return out


def redact_series(series: Any) -> Any:
    """A copy of ``series`` redacted like :func:`redact_frame` (by its name and index level names).

    >>> import pandas as pd
    >>> redact_series(pd.Series(["a"], name="account")).tolist()  # not redacting: unchanged
    ['a']
    """
    import pandas as pd

    if not is_redacting() or not isinstance(series, pd.Series):
        return series
    name = series.name
    values = redact_frame(pd.DataFrame({"__value__" if name is None else name: series.array})).iloc[:, 0]
    index = series.index
    if any(n in REDACT_COLUMNS for n in index.names):
        levels = redact_frame(index.to_frame(index=False))
        index = (pd.MultiIndex.from_frame(levels, names=index.names) if index.nlevels > 1
                 else pd.Index(levels.iloc[:, 0], name=index.name))
    return pd.Series(values.array, index=index, name=name)


def _redact_spec(spec: Any) -> Any:
    """Redact ``text``/``account`` fields in inline chart data, recursively."""
    if isinstance(spec, dict):
        out = {}
        for key, value in spec.items():
            if key == "values" and isinstance(value, list):
                out[key] = [_redact_record(v) for v in value]
            else:
                out[key] = _redact_spec(value)
        return out
    if isinstance(spec, list):
        return [_redact_spec(v) for v in spec]
    if isinstance(spec, str):
        return redact_text(spec)
    return spec


def _redact_record(record: Any) -> Any:
    if not isinstance(record, dict):
        return _redact_spec(record)
    out = {}
    for key, value in record.items():
        if key == REDACT_COLUMNS["text"] and isinstance(value, str):
            _register(texts=[value])
            out[key] = REDACTED_TEXT
        elif key in _WORDS_COLUMNS and isinstance(value, str) and value:
            out[key] = REDACTED_TEXT
        elif key == REDACT_COLUMNS["account"] and value is not None:
            out[key] = _alias(value)
        else:
            out[key] = redact_text(value) if isinstance(value, str) else value
    return out


def _shell(shell: Any = None) -> Any:
    """``shell``, else the running IPython shell (None outside IPython)."""
    if shell is not None:
        return shell
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover
        return None
    return get_ipython()


def _install_redaction_formatters(shell: Any = None) -> None:
    """In report mode, route DataFrames, Series and Results through the redaction before display."""
    shell = _shell(shell)
    if shell is None:
        return
    import pandas as pd

    from toolkit.result import Result

    html_fmt = shell.display_formatter.formatters["text/html"]
    plain_fmt = shell.display_formatter.formatters["text/plain"]

    def frame_html(frame: pd.DataFrame) -> str | None:
        if not is_redacting():
            return frame._repr_html_()
        return redact_frame(frame)._repr_html_()

    def frame_plain(frame: pd.DataFrame, p: Any, cycle: bool) -> None:
        p.text(repr(redact_frame(frame)) if is_redacting() else repr(frame))

    def series_plain(series: pd.Series, p: Any, cycle: bool) -> None:
        p.text(repr(redact_series(series)) if is_redacting() else repr(series))

    def result_html(result: Result) -> str:
        if not is_redacting():
            return result._repr_html_()
        import dataclasses

        clean = dataclasses.replace(
            result, table=redact_frame(result.table), text=redact_text(result.text),
            assumptions=redact_text(result.assumptions),
        )
        return clean._repr_html_()

    def styler_html(styler: Any) -> str:
        if not is_redacting():
            return styler.to_html()
        return redact_frame(styler.data).to_html()  # styling is lost, redaction is not

    from pandas.io.formats.style import Styler

    html_fmt.for_type(Styler, styler_html)
    html_fmt.for_type(pd.DataFrame, frame_html)
    plain_fmt.for_type(pd.DataFrame, frame_plain)
    plain_fmt.for_type(pd.Series, series_plain)
    html_fmt.for_type(Result, result_html)
