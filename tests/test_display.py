"""toolkit.display: offline renderers, report-mode contract for panels, redaction of displayed data."""

from __future__ import annotations

import json
import re

import altair as alt
import ipywidgets as widgets
import numpy as np
import pandas as pd
import pytest

import toolkit.display as display
from toolkit.errors import SpecError
from toolkit.result import Result

SCRIPT_TEXT = "<script>alert(1)</script> hello"


def _fresh_state():
    # new containers: the test-wide fixture restores the old ones, which a test must not change
    display._state.update({"mode": None, "redact": None, "aliases": {}, "texts": set(), "scanned": {},
                           "hooked": set()})


@pytest.fixture(autouse=True)
def _restore(monkeypatch):
    for name in (display.REPORT_ENV, display.REDACT_ENV, display.REDACT_LOG_ENV):
        monkeypatch.delenv(name, raising=False)
    _fresh_state()
    yield
    _fresh_state()
    alt.renderers.enable("default")
    alt.data_transformers.enable("default")
    pd.reset_option("styler.format.escape")


def _spec_from_html(snippet: str) -> dict:
    match = re.search(r"var spec = (\{.*?\});\n", snippet, re.DOTALL)
    assert match, snippet[:300]
    return json.loads(match.group(1))


def _rows(spec) -> list:
    """All inline data rows of a Vega or Vega-Lite spec."""
    if isinstance(spec, dict):
        own = spec["values"] if isinstance(spec.get("values"), list) else []
        return own + [r for k, v in spec.items() if k != "values" for r in _rows(v)]
    if isinstance(spec, list):
        return [r for v in spec for r in _rows(v)]
    return []


def _posts(n: int = 6) -> pd.DataFrame:
    return pd.DataFrame({
        "account": ["brand_alpha", "brand_beta"] * (n // 2),
        "text": [SCRIPT_TEXT] + [f"post {i}" for i in range(1, n)],
        "likes": np.arange(n),
    })


def test_auto_mode_follows_report_environment(monkeypatch):
    display.setup()
    assert display.mode() == "live" and not display.is_report_mode()
    assert alt.renderers.active == display.LIVE_RENDERER
    monkeypatch.setenv(display.REPORT_ENV, "1")
    display.setup()
    assert display.is_report_mode()
    assert alt.renderers.active == display.STATIC_RENDERER
    assert alt.data_transformers.active == "vegafusion"


def test_unknown_mode_is_a_spec_error():
    with pytest.raises(SpecError, match="mode"):
        display.setup("mimetype")


def test_live_chart_is_an_offline_jupyterchart_widget():
    display.setup("live")
    chart = alt.Chart(_posts()).mark_bar().encode(x="account:N", y="sum(likes):Q")
    bundle = chart._repr_mimebundle_()
    data = bundle[0] if isinstance(bundle, tuple) else bundle
    assert "application/vnd.jupyter.widget-view+json" in data
    assert alt.JupyterChart._is_offline  # JS from vl-convert's bundle, not a CDN
    assert "application/vnd.vegalite.v6+json" not in data  # never the mimetype renderer


def test_live_chart_sends_the_spec_altair_built_as_it_is():
    # the widget gets Altair's own spec (checked once by Altair), not a chart rebuilt from it:
    # rebuilding re-checks every nested object and row against the schema, seconds per chart
    display.setup("live")
    days = pd.DataFrame({"day": pd.date_range("2024-01-01", periods=60, freq="D"),
                         "likes": np.arange(60) % 7})
    base = alt.Chart(days).encode(x="day:T")
    chart = base.mark_line().encode(y="likes:Q") + base.mark_rule().encode(y="mean(likes):Q")
    bundle = chart._repr_mimebundle_()
    data = bundle[0] if isinstance(bundle, tuple) else bundle
    from ipywidgets.widgets.widget import _instances

    widget = _instances[data["application/vnd.jupyter.widget-view+json"]["model_id"]]
    assert isinstance(widget, alt.JupyterChart) and len(widget.spec["layer"]) == 2
    assert len(_rows(widget.spec)) == 60  # inline: no VegaFusion table left for the browser
    alt.LayerChart.from_dict(widget.spec)  # valid Vega-Lite (raises SchemaValidationError if not)


def test_static_chart_html_escapes_post_text_and_loads_nothing():
    display.setup("static")
    chart = alt.Chart(_posts()).mark_point().encode(x="likes:Q", tooltip=["text:N"])
    bundle = chart._repr_mimebundle_()
    html = bundle["text/html"]
    assert set(bundle) == {"text/html", "text/plain"}
    assert "<script>alert" not in html and "</script> hello" not in html
    assert "\\u003cscript\\u003ealert(1)" in html
    assert "http://" not in html and "https://" not in html.replace("https://vega.github.io/schema", "")
    assert "src=" not in html
    spec = _spec_from_html(html)
    values = _rows(spec)
    assert any(row.get("text") == SCRIPT_TEXT for row in values)  # the browser gets the real text


def test_200k_rows_chart_aggregated_in_python():
    display.setup("static")
    n = 200_000
    frame = pd.DataFrame({
        "published_at": pd.date_range("2022-01-01", periods=n, freq="5min", tz="UTC"),
        "likes": np.random.default_rng(3).poisson(5, n),
    })
    chart = alt.Chart(frame).mark_line().encode(x="yearmonthdate(published_at):T", y="mean(likes):Q")
    spec = _spec_from_html(display.chart_html(chart))  # no MaxRowsError
    assert spec["$schema"].endswith("vega/v6.json")  # pre-aggregated by VegaFusion
    rows = len(_rows(spec))
    assert 0 < rows <= n * 5 / (24 * 60) + 2  # one row per day, not one per post


def test_report_head_inlines_vega_embed_once():
    head = display.report_head()
    assert head.count("window.vegaEmbed=") == 1
    assert "</script" not in head[: head.rindex("</script>")].lower()
    from toolkit.report import check_offline

    check_offline(head)  # no <script src=...>, <link href=...> or CSS url() to another host


class _Panel:
    def __init__(self):
        self.metric = widgets.Dropdown(options=["likes", "shares"], value="shares", description="Metric")
        self.window = widgets.IntRangeSlider(value=(3, 9), min=0, max=10, description="Window")
        self.widget = widgets.VBox([widgets.HBox([self.metric, self.window]), widgets.Output()])

    def static_outputs(self):
        return [_posts(), "Shares per post by account"]


def test_show_panel_displays_widget_live_and_results_in_report_mode(monkeypatch):
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda obj: shown.append(obj))
    panel = _Panel()
    display.setup("live")
    display.show_panel(panel)
    assert shown == [panel.widget]
    shown.clear()
    display.setup("static")
    display.show_panel(panel)
    controls, frame, text = shown
    assert "Metric</th><td>shares" in controls.data and "3 to 9" in controls.data
    assert isinstance(frame, pd.DataFrame)
    assert "Shares per post" in text.data


def test_redact_frame_blanks_text_and_pseudonymises_accounts(tmp_path, monkeypatch):
    log = tmp_path / "log.jsonl"
    monkeypatch.setenv(display.REDACT_LOG_ENV, str(log))
    display.setup("static", redact=True)
    posts = _posts()
    posts.loc[1, "text"] = pd.NA
    out = display.redact_frame(posts)
    assert list(out["account"].unique()) == ["account 1", "account 2"]
    assert (out["text"].dropna() == display.REDACTED_TEXT).all() and out["text"].isna().sum() == 1
    assert out["likes"].tolist() == posts["likes"].tolist()
    assert posts.loc[0, "account"] == "brand_alpha"  # input untouched
    assert display.redact_text("Posts by @brand_beta rose") == "Posts by account 2 rose"
    logged = [json.loads(line) for line in log.read_text().splitlines()]
    assert {"kind": "account", "value": "brand_alpha", "alias": "account 1"} in logged
    assert any(e["kind"] == "text" and e["value"] == SCRIPT_TEXT for e in logged)


def test_redaction_reaches_chart_data_and_results():
    display.setup("static", redact=True)
    chart = alt.Chart(_posts()).mark_point().encode(x="likes:Q", color="account:N", tooltip=["text:N"])
    html = display.chart_html(chart)
    assert "brand_alpha" not in html and "post 3" not in html and "[redacted]" in html
    table = pd.DataFrame([{"method": "glm", "metric": "likes", "lift": 0.2, "ci_low": 0.1, "ci_high": 0.3,
                           "p_value": 0.01, "n_baseline": 10, "n_treatment": 12, "account": "brand_beta"}])
    result = Result(table=table, text="brand_beta: likes rose 20%")
    display._state["aliases"]["brand_beta"] = "account 9"
    import dataclasses

    clean = dataclasses.replace(result, table=display.redact_frame(result.table),
                                text=display.redact_text(result.text))
    assert "brand_beta" not in clean._repr_html_()


def test_no_redaction_outside_report_mode():
    display.setup("live", redact=True)
    assert not display.is_redacting()
    posts = _posts()
    assert display.redact_frame(posts) is posts


def test_styler_escapes_post_text_after_setup():
    display.setup("live")
    html = _posts().style.to_html()
    assert "<script>alert" not in html and "&lt;script&gt;alert(1)" in html


def test_prebinned_histogram_renders_in_both_modes():
    # VegaFusion 2.0 fails on bin="binned" with a KeyError('bin_start_end') when it projects a
    # DataFrame; small (already aggregated) tables travel inline instead
    table = pd.DataFrame({"bin_start": np.arange(5.0), "bin_end": np.arange(1.0, 6.0), "posts": [1, 2, 3, 4, 5]})
    chart = alt.Chart(table).mark_bar().encode(x=alt.X("bin_start:Q", bin="binned"), x2="bin_end:Q", y="posts:Q")
    display.setup("static")
    spec = _spec_from_html(display.chart_html(chart))
    assert len(_rows(spec)) == 5
    display.setup("live")
    bundle = chart._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in (bundle[0] if isinstance(bundle, tuple) else bundle)


def test_nan_and_infinite_values_become_null():
    display.setup("static")
    frame = pd.DataFrame({"x": [1.0, np.nan, np.inf], "y": [1, 2, 3]})
    spec = _spec_from_html(display.chart_html(alt.Chart(frame).mark_point().encode(x="x:Q", y="y:Q")))
    assert [row["x"] for row in _rows(spec)] == [1.0, None, None]


def _logged(log) -> list[dict]:
    return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []


@pytest.fixture
def collecting(tmp_path, monkeypatch):
    """The environment a redacting report build gives its kernel; yields the log file."""
    log = tmp_path / "log.jsonl"
    monkeypatch.setenv(display.REPORT_ENV, "1")
    monkeypatch.setenv(display.REDACT_ENV, "1")
    monkeypatch.setenv(display.REDACT_LOG_ENV, str(log))
    return log


def test_note_data_registers_every_handle_and_text_held(collecting):
    from toolkit.loading import Dataset

    posts = _posts()
    followers = pd.DataFrame({"account": ["brand_gamma"], "followers": [10]})
    rejected = pd.DataFrame({"source_file": ["a.csv"], "raw": ["7,brand_delta,a rejected record's text"]})
    ds = Dataset(posts=posts, followers=followers, daily=posts.iloc[:0], rejected=rejected,
                 report=posts.iloc[:0])
    display.note_data({"ds": ds, "n": 3, "counts": posts.groupby("account").size()})
    display.note_data(ds)  # registered once
    logged = _logged(collecting)
    accounts = [e["value"] for e in logged if e["kind"] == "account"]
    assert accounts == ["brand_alpha", "brand_beta", "brand_gamma"]
    texts = [e["value"] for e in logged if e["kind"] == "text"]
    assert sorted(texts) == sorted(set(posts["text"]) | {"7,brand_delta,a rejected record's text"})


def test_series_are_redacted_like_frames():
    display.setup("static", redact=True)
    posts = _posts()
    counts = display.redact_series(posts.groupby("account").size())
    assert counts.index.tolist() == ["account 1", "account 2"] and counts.tolist() == [3, 3]
    assert (display.redact_series(posts["text"]) == display.REDACTED_TEXT).all()
    by_text = display.redact_series(posts.set_index("text")["likes"])
    assert set(by_text.index) == {display.REDACTED_TEXT} and by_text.tolist() == posts["likes"].tolist()
    assert display.redact_series(posts["account"]).tolist()[:2] == ["account 1", "account 2"]
    display.setup("live", redact=True)
    texts = posts["text"]
    assert display.redact_series(texts) is texts


class _Shell:
    """The parts of an IPython shell the report hooks use."""

    def __init__(self):
        from IPython.core.events import EventManager, available_events
        from IPython.core.formatters import DisplayFormatter

        self.events = EventManager(self, available_events)
        self.display_formatter = DisplayFormatter()
        self.user_ns = {}


def test_report_hooks_register_the_namespace_after_every_cell(collecting, monkeypatch):
    shell = _Shell()
    display.install_report_hooks(shell)
    display.install_report_hooks(shell)  # once only
    counts = pd.Series([1], index=pd.Index(["brand_zeta"], name="account"))
    shell.user_ns.update({"posts": _posts(), "Out": {3: counts}})
    shell.events.trigger("post_run_cell", None)
    logged = _logged(collecting)
    assert logged[0] == {"kind": "hooks"} and sum(e["kind"] == "hooks" for e in logged) == 1
    accounts = {e["value"] for e in logged if e["kind"] == "account"}
    assert accounts == {"brand_alpha", "brand_beta", "brand_zeta"}
    assert SCRIPT_TEXT in {e["value"] for e in logged if e["kind"] == "text"}
    # a failure to register is logged for the report builder, which then refuses to write the page
    monkeypatch.setattr(display, "note_data", lambda value: 1 / 0)
    shell.events.trigger("post_run_cell", None)
    assert _logged(collecting)[-1]["kind"] == "error"


def test_redaction_blanks_the_words_label_personal_matched(tmp_path, monkeypatch):
    # the heuristic's "matched" column repeats words of each post ("my", "nervous", "bedtime"):
    # a redacted page must not show them, in a table or in a chart's tooltip
    monkeypatch.setenv(display.REDACT_LOG_ENV, str(tmp_path / "log.jsonl"))
    display.setup("static", redact=True)
    import toolkit

    posts = _posts()
    posts["text"] = ["my bedtime story, honestly nervous", "Buy now", "post 3"][: len(posts)] + \
        ["post"] * max(0, len(posts) - 3)
    scored = toolkit.label_personal(posts)
    assert scored["matched"].str.contains("bedtime").any()
    out = display.redact_frame(scored)
    assert not out["matched"].astype(str).str.contains("bedtime|nervous").any()
    assert (out["matched"].eq(display.REDACTED_TEXT) | out["matched"].eq("")).all()
    html = display.chart_html(alt.Chart(scored).mark_point().encode(x="score:Q", tooltip=["matched:N"]))
    assert "bedtime" not in html


def test_a_redrawn_chart_reaches_the_widget_as_altair_would_send_it():
    # live panels skip Altair's second schema check (the builders' specs are checked in
    # test_charts_explore); what the chart widget gets must not change
    from ipywidgets.widgets.widget import _instances

    display.setup("live")
    days = pd.DataFrame({"day": pd.date_range("2024-01-01", periods=60, freq="D"),
                         "likes": np.arange(60) % 7})
    chart = alt.Chart(days).mark_line().encode(x=alt.X("day:T"), y=alt.Y("likes:Q"))

    def widget_spec(shown):
        bundle = shown._repr_mimebundle_()
        data = bundle[0] if isinstance(bundle, tuple) else bundle
        return _instances[data["application/vnd.jupyter.widget-view+json"]["model_id"]].spec

    assert widget_spec(display.redrawn(chart)) == widget_spec(chart)
    assert display.redrawn("a note") == "a note"
    display.setup("static")  # a page: Altair's own path, its check included
    try:
        page = display.redrawn(chart)._repr_mimebundle_()
        assert "vegaEmbed" in (page[0] if isinstance(page, tuple) else page)["text/html"]
    finally:
        display.setup("live")


def test_a_handle_written_with_its_at_sign_is_also_found_bare(tmp_path, monkeypatch):
    # an export that stores "@harborbakes" in its account column: the file name
    # harborbakes_posts.csv holds the handle without the @, and must be scrubbed too
    log = tmp_path / "log.jsonl"
    monkeypatch.setenv(display.REDACT_LOG_ENV, str(log))
    display.setup("static", redact=True)
    out = display.redact_frame(pd.DataFrame({"account": ["@harborbakes", "harborbakes", "@other_cafe"]}))
    assert out["account"].tolist() == ["account 1", "account 1", "account 2"]
    assert display.redact_text("from harborbakes_posts.csv and @other_cafe") == \
        "from account 1_posts.csv and account 2"
    entries = map(json.loads, log.read_text().splitlines())
    logged = {e["value"]: e["alias"] for e in entries if e["kind"] == "account"}
    assert logged == {"@harborbakes": "account 1", "harborbakes": "account 1", "@other_cafe": "account 2",
                      "other_cafe": "account 2"}


def test_loading_registers_the_accounts_it_reads_even_from_files_without_rows(tmp_path, monkeypatch):
    # data a notebook shows without keeping it in a variable, and the handle of a header-only
    # export (in its file name only), are known to a redacting build as they are loaded
    import shutil
    from pathlib import Path

    import toolkit

    sample = Path(__file__).resolve().parents[1] / "data" / "sample"
    legacy = sample / "tweet_activity_metrics_harborbakes_20240101_20240331_en.csv"
    header = legacy.read_text(encoding="utf-8").splitlines()[0]
    exports = tmp_path / "exports"
    exports.mkdir()
    (exports / "tweet_activity_metrics_quietcafe_20240101_20240331_en.csv").write_text(header + "\n")
    shutil.copy(legacy, exports / legacy.name)
    log = tmp_path / "log.jsonl"  # outside the folder loaded
    monkeypatch.setenv(display.REDACT_LOG_ENV, str(log))
    display.setup("static", redact=True)
    ds = toolkit.load(exports, progress=False, cache=False)
    assert ds.report.set_index("account")["rows_loaded"].to_dict() == {"harborbakes": 239, "quietcafe": 0}
    logged = [json.loads(line) for line in log.read_text().splitlines()]
    assert {e["value"] for e in logged if e["kind"] == "account"} == {"harborbakes", "quietcafe"}
    assert {e["value"] for e in logged if e["kind"] == "text"} >= set(ds.posts["text"].dropna())
    assert display.redact_text("tweet_activity_metrics_quietcafe_20240101") == \
        "tweet_activity_metrics_account 2_20240101"
