"""toolkit.report: self-contained pages, escaping, widget stripping, redaction, command line.

Fast tests convert hand-made executed notebooks (no kernel; papermill is replaced where
``build_report`` is under test). Two slow ones execute notebooks with redaction on: the display
fixture, and a notebook that shows the sample data's handles and texts every way but in a table.
The browser checks of a report are in tests/browser/.
"""

from __future__ import annotations

import functools
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


def test_main_refuses_a_parameter_the_notebook_does_not_declare(tmp_path, capsys):
    # `-p DATA my/exports` on a notebook that loads PATHS: its page would show the sample data
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell('PATHS = ["../data/sample"]')
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, nbformat.v4.new_code_cell("print(PATHS)")]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path = tmp_path / "explore.ipynb"
    nbformat.write(nb, path)
    assert main(["--out", str(tmp_path / "r"), "-p", "DATA", "my/exports", str(path)]) == 1
    err = capsys.readouterr().err
    assert "explore.ipynb" in err and "'DATA'" in err and "declares: PATHS" in err
    assert not (tmp_path / "r" / "explore.html").exists()


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


# --------------------------------------------------------------------------- redaction of the loaded data

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"
LONG_TEXT = "Our holiday gift boxes are now on sale.\nShop now before it sells out. https://example.com/offers"


def _fake_execution(monkeypatch, executed: nbformat.NotebookNode, entries: list[dict]):
    """Replace papermill by a stand-in that 'executes' into ``executed`` and logs ``entries``."""
    import os

    import papermill

    def execute_notebook(input_path, output_path, **kwargs):
        with open(os.environ[display.REDACT_LOG_ENV], "a", encoding="utf-8") as fh:
            for entry in entries:
                fh.write(json.dumps(entry) + "\n")
        nbformat.write(executed, output_path)

    monkeypatch.setattr(papermill, "execute_notebook", execute_notebook)


def _leaky_executed() -> nbformat.NotebookNode:
    nb = _executed(
        nbformat.v4.new_output("stream", name="stdout", text=f"0    {LONG_TEXT[:47]}...\nharborbakes\n"),
        nbformat.v4.new_output("display_data", data={"application/json": {"account": "harborbakes"},
                                                     "text/plain": "<IPython.core.display.JSON object>"}),
    )
    params = nbformat.v4.new_code_cell('ACCOUNT = "harborbakes"')
    params.metadata["tags"] = ["parameters"]
    nb.cells.insert(1, params)
    nb.cells[0].source = "# Posts of <code>harborbakes</code>"
    nb.metadata["papermill"] = {"parameters": {"ACCOUNT": "harborbakes"}}
    return nb


_LOGGED = [{"kind": "hooks"}, {"kind": "account", "value": "harborbakes", "alias": "account 1"},
           {"kind": "text", "value": LONG_TEXT}]


def test_a_failed_notebook_gets_no_redacted_page(tmp_path, monkeypatch):
    # the failing cell's error names an export the redaction never saw (it could not be read, so
    # no account was registered): no page is written, and a page of an earlier build is removed
    import papermill
    from papermill.exceptions import PapermillExecutionError

    error = PapermillExecutionError(cell_index=2, exec_count=3, source="ds = toolkit.load(DATA)",
                                    ename="DataFormatError", evalue="tweet_activity_metrics_quietcafe_"
                                    "20240101_20240331_en.csv: matches no supported format", traceback=[])

    def execute_notebook(input_path, output_path, **kwargs):
        import os

        with open(os.environ[display.REDACT_LOG_ENV], "a", encoding="utf-8") as fh:
            fh.write(json.dumps({"kind": "hooks"}) + "\n")
        nbformat.write(_executed(nbformat.v4.new_output(
            "error", ename=error.ename, evalue=error.evalue, traceback=[error.evalue])), output_path)
        raise error

    monkeypatch.setattr(papermill, "execute_notebook", execute_notebook)
    (tmp_path / "failing.ipynb").write_text("{}")
    stale = tmp_path / "out" / "failing.html"
    stale.parent.mkdir()
    stale.write_text("an earlier page")
    with pytest.raises(ReportError, match="failed in cell 3; a redacted page is written only for a notebook"):
        build_report(tmp_path / "failing.ipynb", tmp_path / "out", redact=True)
    assert not stale.exists()
    # without redaction the page shows the error, for the person who ran it
    with pytest.raises(ReportError, match="the page .* shows the error"):
        build_report(tmp_path / "failing.ipynb", tmp_path / "out")
    assert "quietcafe" in stale.read_text(encoding="utf-8")


def test_kept_notebook_is_redacted_like_the_page(tmp_path, monkeypatch):
    _fake_execution(monkeypatch, _leaky_executed(), _LOGGED)
    (tmp_path / "leaky.ipynb").write_text("{}")
    kept = tmp_path / "out" / "leaky.ipynb"
    page = build_report(tmp_path / "leaky.ipynb", tmp_path / "out", redact=True, executed_path=kept)
    for text in (page.read_text(encoding="utf-8"), kept.read_text(encoding="utf-8")):
        assert "harborbakes" not in text and "Our holiday gift boxes" not in text
        assert "account 1" in text and display.REDACTED_TEXT in text
    assert nbformat.read(kept, as_version=4).cells[1].source == 'ACCOUNT = "account 1"'


def test_redaction_leak_fails_naming_the_notebook(tmp_path, monkeypatch):
    import toolkit.report as report

    _fake_execution(monkeypatch, _leaky_executed(), _LOGGED)
    monkeypatch.setattr(report, "_scrubber", lambda secrets: (lambda text: text))  # a scrubber that misses
    (tmp_path / "leaky.ipynb").write_text("{}")
    with pytest.raises(ReportError, match="leaky.ipynb.*(handle|post text)"):
        build_report(tmp_path / "leaky.ipynb", tmp_path / "out", redact=True)
    assert not (tmp_path / "out" / "leaky.html").exists()  # a leaking page is never written


def test_redaction_catches_truncated_texts_and_any_case_of_a_handle():
    secrets = {"account": {"harborbakes": "account 1"}, "text": {LONG_TEXT}}
    series = pd.Series([LONG_TEXT], name="text")
    nb = _executed(nbformat.v4.new_output("stream", name="stdout", text=repr(series) + "\nby @HarborBakes\n"))
    page = to_html(nb, secrets=secrets)
    assert "Our holiday gift boxes" not in page and "harborbakes" not in page.lower()


def test_redaction_leaves_common_words_of_short_values():
    """Handles under 4 characters go only as @mentions, post texts under 12 characters are not hunted."""
    secrets = {"account": {"art": "account 1"}, "text": {"Thanks!"}}
    nb = _executed(_html_output("<p>Thanks! The art of posting, by @art</p>"))
    page = to_html(nb, secrets=secrets)
    assert "Thanks! The art of posting, by account 1" in page


@pytest.fixture(scope="module")
def leaky_report(tmp_path_factory):
    """One execution: a notebook that shows the sample data's handles and texts in every way but a table."""
    tmp = tmp_path_factory.mktemp("leaky")
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell(f'DATA = {str(SAMPLE)!r}\nACCOUNT = "harborbakes"')
    params.metadata["tags"] = ["parameters"]
    nb.cells = [
        nbformat.v4.new_markdown_cell("# Posts of <code>harborbakes</code>, against @oficina_pedal"),
        params,
        nbformat.v4.new_code_cell("import toolkit\nimport toolkit.display\n\ntoolkit.display.setup()"),
        nbformat.v4.new_code_cell('ds = toolkit.load(DATA, progress=False)\nds.posts.groupby("account").size()'),
        nbformat.v4.new_code_cell('print(ds.posts["text"].head(3))\nprint(ds.posts["text"].iloc[-1])'),
        nbformat.v4.new_code_cell('ds.posts["text"].tail(3)'),
        nbformat.v4.new_code_cell(
            "from IPython.display import JSON, Markdown, display\n\n"
            'display(Markdown(f"Looking at **{ACCOUNT}**"))\n'
            'JSON({"account": ACCOUNT, "text": ds.posts["text"].iloc[1]})'),
    ]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path = tmp / "leaky.ipynb"
    nbformat.write(nb, path)
    out = tmp / "out"
    code = main(["--redact", "--keep-executed", "--out", str(out), str(path)])
    return code, out / "leaky.html", out / "leaky.ipynb"


@functools.lru_cache(maxsize=1)
def _sample_secrets() -> tuple[set[str], set[str]]:
    import toolkit

    ds = toolkit.load(SAMPLE, progress=False)
    handles = set(ds.posts["account"]) | set(ds.followers["account"]) | set(ds.daily["account"])
    return handles, set(ds.posts["text"].dropna())


def _leaked(text: str) -> list[str]:
    import html as _html

    handles, texts = _sample_secrets()
    found = [h for h in handles if h.lower() in text.lower()]
    for post in texts:
        start = post[:24]
        forms = {start, _html.escape(start), json.dumps(start)[1:-1], start.replace("\n", "\\n")}
        found += [start for form in forms if form in text]
    return found


@pytest.mark.slow
def test_redacted_report_hides_every_handle_and_text_of_the_loaded_data(leaky_report):
    code, page, _ = leaky_report
    assert code == 0
    html = page.read_text(encoding="utf-8")
    assert _leaked(html) == []
    assert "account 1" in html and display.REDACTED_TEXT in html


@pytest.mark.slow
def test_kept_executed_notebook_of_a_redacted_report_is_redacted(leaky_report):
    code, _, kept = leaky_report
    assert code == 0 and kept.exists()
    assert _leaked(kept.read_text(encoding="utf-8")) == []


def test_redaction_refuses_a_kernel_that_did_not_register_the_data(tmp_path, monkeypatch):
    (tmp_path / "leaky.ipynb").write_text("{}")
    _fake_execution(monkeypatch, _leaky_executed(), _LOGGED[1:])  # the hooks never ran
    with pytest.raises(ReportError, match="leaky.ipynb.*hooks"):
        build_report(tmp_path / "leaky.ipynb", tmp_path / "out", redact=True)
    _fake_execution(monkeypatch, _leaky_executed(), _LOGGED + [{"kind": "error", "value": "KeyError: 'x'"}])
    with pytest.raises(ReportError, match="leaky.ipynb.*KeyError"):
        build_report(tmp_path / "leaky.ipynb", tmp_path / "out", redact=True)


@pytest.mark.slow
def test_redacted_pages_of_one_build_give_an_account_the_same_pseudonym(tmp_path):
    # pages shared together: "account 2" must not be one account on a page and another on the next
    def notebook(name: str, accounts: list[str]) -> Path:
        nb = nbformat.v4.new_notebook()
        nb.cells = [nbformat.v4.new_code_cell(
            "import pandas as pd\nimport toolkit.display\n\ntoolkit.display.setup()\n"
            f"pd.DataFrame({{'account': {accounts!r}, 'likes': range({len(accounts)})}})")]
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        path = tmp_path / f"{name}.ipynb"
        nbformat.write(nb, path)
        return path

    first = notebook("a_first", ["alpha_bakery", "beta_cycles"])
    second = notebook("b_second", ["beta_cycles"])
    out = tmp_path / "out"
    assert main(["--redact", "--out", str(out), str(first), str(second)]) == 0
    one, two = ((out / f"{nb.stem}.html").read_text(encoding="utf-8") for nb in (first, second))
    assert "beta_cycles" not in one + two and "alpha_bakery" not in one + two
    assert "account 1" in one and "account 2" in one
    assert "account 2" in two and "account 1" not in two
