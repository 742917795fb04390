"""``toolkit.load(path, format=NAME)`` on a file of another format: a DataFormatError that names
the file and the format, the columns the format needs (its signature) and the columns found,
never an internal error from deep in a parser (a pandas ``KeyError`` or "length mismatch").

Every registered format is forced onto a fixture of some other format.
"""

from __future__ import annotations

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


@pytest.mark.parametrize("fmt", FORMATS, ids=[f.name for f in FORMATS])
def test_a_format_forced_onto_a_text_file_of_another_format_says_which_columns_it_needs(fmt):
    name, first_found = _other(TEXT, fmt)
    path = fixture(name)
    with pytest.raises(DataFormatError) as err:
        toolkit.load(path, format=fmt.name)
    _check_names_the_format(err.value, path, fmt, first_found)


@pytest.mark.parametrize("fmt", [f for f in FORMATS if f.detect is not None],
                         ids=[f.name for f in FORMATS if f.detect is not None])
def test_a_workbook_format_forced_onto_another_workbook_says_which_columns_it_needs(fmt):
    name, first_found = _other(WORKBOOKS, fmt)
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
