"""``toolkit.load(path, format=NAME)`` on a file of another format: a DataFormatError that names
the file and the format, the columns the format needs (its signature) and the columns found,
never an internal error from deep in a parser (a pandas ``KeyError`` or "length mismatch").

Every registered format is forced onto a fixture of some other format.
"""

from __future__ import annotations

import csv
import io

import pytest

import toolkit
from platform_checks import fixture
from toolkit.errors import DataFormatError
from toolkit.loading import registry

#: fixtures of known formats to force other formats onto: (file, its format, first header fields)
TEXT = [("hootsuite/hootsuite_facebook_posts_2018-01.csv", "hootsuite_facebook_posts", "date (gmt)"),
        ("youtube/Table data.csv", "youtube_studio_videos", "content")]
WORKBOOKS = [("linkedin/Content_2025-11-09_2025-11-18_JaneQuill.xlsx", "linkedin_creator_content",
              "sheet:discovery"),
             ("facebook/Facebook Insights Data Export (Post) - Harbor Cycles - 2020-07-31.xlsx",
              "facebook_insights_posts", "sheet:key metrics")]

#: every format that says which columns its files hold (``generic`` reads any file with mapping=)
FORMATS = [f for f in registry.all_formats() if f.signature]


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("ENGAGEMENT_LAB_CACHE", str(tmp_path / "cache"))


def _other(candidates, fmt):
    """The first candidate fixture whose format is not ``fmt``."""
    return next((path, found) for path, name, found in candidates if name != fmt.name)


def _check_names_the_format(error, path, fmt, first_found):
    text = str(error)
    assert str(path) in text and f"format={fmt.name!r}" in text
    assert "looks damaged" not in text
    assert str(list(fmt.signature)) in text  # the columns the format needs
    assert "missing: [" in text and error.found.startswith("columns [")
    assert repr(first_found) in error.found  # the columns the file holds


def test_every_format_but_generic_has_a_signature():
    assert {f.name for f in registry.all_formats()} - {f.name for f in FORMATS} == {"generic"}


#: every format forced onto a text file of another format, and each workbook format onto another
#: format's workbook
CASES = [(f, TEXT) for f in FORMATS] + [(f, WORKBOOKS) for f in FORMATS if f.detect is not None]


@pytest.mark.parametrize("fmt, candidates", CASES,
                         ids=[f"{f.name}-{'text' if c is TEXT else 'workbook'}" for f, c in CASES])
def test_a_format_forced_onto_a_file_of_another_format_says_which_columns_it_needs(fmt, candidates):
    name, first_found = _other(candidates, fmt)
    path = fixture(name)
    with pytest.raises(DataFormatError) as err:
        toolkit.load(path, format=fmt.name)
    _check_names_the_format(err.value, path, fmt, first_found)


def test_a_forced_format_still_loads_its_own_files():
    ds = toolkit.load(fixture("meta/Reach.csv"), format="meta_daily")
    assert ds.report.loc[0, "format"] == "meta_daily" and ds.report.loc[0, "rows_loaded"] > 0
    ds = toolkit.load(fixture("linkedin/Content_2025-11-09_2025-11-18_JaneQuill.xlsx"),
                      format="linkedin_creator_content")
    assert ds.report.loc[0, "rows_loaded"] == 26


def _without_column(source, name, folder):
    """A copy of the CSV ``source`` in ``folder`` without its column ``name`` (as a month's export
    that dropped it)."""
    text = source.read_text()
    header = text.splitlines()[0]
    sep = ";" if header.count(";") > header.count(",") else ","
    rows = list(csv.reader(io.StringIO(text), delimiter=sep))
    drop = [c.strip().lower() for c in rows[0]].index(name)
    copy = folder / source.name
    with open(copy, "w", newline="") as handle:
        csv.writer(handle, delimiter=sep).writerows([r[:drop] + r[drop + 1:] for r in rows])
    return copy


def test_a_forced_format_loads_a_drifted_export_and_says_which_columns_it_lacks(tmp_path):
    # auto-detection cannot place an X per-post export without Bookmarks and says "pass format=";
    # with the format named, the file loads, its saves missing, and the report says why
    source = fixture("x/account_analytics_content_2026-03-25_2026-04-23.csv")
    drifted = _without_column(source, "bookmarks", tmp_path)
    with pytest.raises(DataFormatError, match="pass format= or mapping="):
        toolkit.load(drifted, account="north_wind")
    ds = toolkit.load(drifted, format="x_analytics_posts", account="north_wind")
    assert ds.report.loc[0, "rows_loaded"] == toolkit.load(source, account="north_wind").report.loc[0, "rows_loaded"]
    assert ds.posts["saves"].isna().all()
    assert "whose columns ['bookmarks'] this file lacks" in ds.report.loc[0, "notes"]


def test_a_forced_format_whose_parser_needs_a_missing_column_names_it(tmp_path):
    # the UCI parser builds dates from 'Post Month': without it, pandas' KeyError became
    # "the file looks damaged"; now the error names the format's missing column
    damaged = _without_column(fixture("uci/facebook_metrics_sample.csv"), "post month", tmp_path)
    with pytest.raises(DataFormatError) as err:
        toolkit.load(damaged, format="uci_facebook", account="uci")
    assert "missing: ['post month']" in str(err.value) and "looks damaged" not in str(err.value)
