"""toolkit.report: self-contained pages, escaping, widget stripping, redaction, command line.

Fast tests convert hand-made executed notebooks (no kernel); one slow test executes the display
fixture notebook with redaction on. The browser checks of a report are in tests/browser/.
"""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pandas as pd
import pytest

import toolkit.display as display
from toolkit.report import ReportError, build_report, check_offline, main, to_html

FIXTURE = Path(__file__).parent / "browser" / "display_fixture.ipynb"
SCRIPT_TEXT = "<script>alert(1)</script> hello"


def _executed(*outputs) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# Report"), nbformat.v4.new_code_cell("x", outputs=list(outputs))]
    return nb


def _html_output(html: str):
    return nbformat.v4.new_output("display_data", data={"text/html": html, "text/plain": "<table>"})


def test_page_is_self_contained():
    page = to_html(_executed(_html_output("<p>hi</p>")), title="t")
    check_offline(page)
    assert "require.js" not in page and "mathjax" not in page.lower().replace("mathjax_", "")
    assert page.count("window.vegaEmbed=") == 1
    assert "<title>t</title>" in page


def test_check_offline_catches_remote_resources():
    for bad in ('<link rel="stylesheet" href="https://cdn.x/a.css">', '<img src="//cdn.x/a.png">',
                "<style>@import 'https://fonts.x/f.css';</style>", "<div style=\"background:url(https://x/y)\">"):
        with pytest.raises(ReportError, match="another host"):
            check_offline(bad)
    check_offline('<a href="https://example.org">a link is not a request</a>')


def test_dataframe_and_stream_outputs_escape_post_text():
    frame = pd.DataFrame({"text": [SCRIPT_TEXT], "likes": [3]})
    stream = nbformat.v4.new_output("stream", name="stdout", text=SCRIPT_TEXT + "\n")
    page = to_html(_executed(_html_output(frame.to_html()), stream))
    assert "<script>alert(1)" not in page
    assert page.count("&lt;script&gt;alert(1)&lt;/script&gt; hello") == 2


def test_widget_views_and_state_are_dropped():
    view = nbformat.v4.new_output("display_data", data={
        "application/vnd.jupyter.widget-view+json": {"model_id": "abc", "version_major": 2, "version_minor": 0},
        "text/plain": "VBox(children=(Dropdown(...),))",
    })
    nb = _executed(view, _html_output("<p>kept</p>"))
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {"abc": {"x": SCRIPT_TEXT}}}}
    page = to_html(nb)
    assert "widget-view" not in page and "widget-state" not in page and "VBox(children" not in page
    assert "<p>kept</p>" in page and "alert(1)" not in page


def test_redaction_scrubs_every_mention_and_verifies():
    secrets = {"account": {"brand_alpha": "account 1"}, "text": {SCRIPT_TEXT, "my holiday photos"}}
    nb = _executed(
        _html_output("<p>Likes of @brand_alpha rose</p>"),
        nbformat.v4.new_output("stream", name="stdout", text="my holiday photos, from brand_alpha_export.csv\n"),
    )
    nb.cells[0].source = "# brand_alpha"
    page = to_html(nb, secrets=secrets)
    assert "brand_alpha" not in page and "holiday" not in page
    assert "account 1" in page and "[redacted]" in page


def test_redaction_check_refuses_a_leaking_page(monkeypatch):
    import toolkit.report as report

    monkeypatch.setattr(report, "_scrubber", lambda secrets: (lambda text: text))  # a scrubber that misses
    with pytest.raises(ReportError, match="handle"):
        to_html(_executed(_html_output("<p>brand_alpha</p>")), secrets={"account": {"brand_alpha": "a"}, "text": set()})


def test_missing_notebook_is_named(tmp_path):
    with pytest.raises(ReportError, match="nope.ipynb"):
        build_report(tmp_path / "nope.ipynb", tmp_path)


def test_main_without_notebooks_fails(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["--out", str(tmp_path / "r")]) == 1
    assert "no notebooks" in capsys.readouterr().err


@pytest.mark.slow
def test_redacted_report_of_fixture_notebook(tmp_path):
    """End to end: papermill in report mode, parameters injected, texts and handles gone."""
    executed = tmp_path / "executed.ipynb"
    page = build_report(FIXTURE, tmp_path / "out", parameters={"n_days": 12}, redact=True,
                        executed_path=executed)
    html = page.read_text(encoding="utf-8")
    check_offline(html)
    for secret in ("brand_alpha", "brand_beta", "post number 3", "alert(1)"):
        assert secret not in html, secret
    assert "account 1" in html and "account 2" in html and display.REDACTED_TEXT in html
    assert html.count('class="engagement-lab-chart"') == 2
    nb = nbformat.read(executed, as_version=4)
    injected = [c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert injected and "n_days = 12" in injected[0].source
    assert nb.cells[2].outputs == []  # setup() prints nothing
    # the panel displayed its results statically (report-mode contract), not a widget
    outputs = json.dumps([o for c in nb.cells for o in c.get("outputs", [])])
    assert "widget-view" not in outputs and "engagement-lab-controls" in outputs
