"""Facebook classic Insights post export: SpreadsheetML .xls, .xlsx and CSV fixtures.

Expected values are the invented counts written by tests/fixtures/make_fixtures.py (fb_posts):
post i has likes 40 + 9i, comments 3 + i, shares 1 + i % 4 on the "Stories by action type" sheet
and one less on the "Talking About This" sheet (people, not actions).
"""

from __future__ import annotations

import pandas as pd
import pytest

import toolkit
from platform_checks import check_dataset, digest, fixture, row

XLS = fixture("facebook/Facebook Insights Data Export (Post) - Northwind Bakery - 2020-07-31.xls")
XLSX = fixture("facebook/Facebook Insights Data Export (Post) - Harbor Cycles - 2020-07-31.xlsx")
CSV = fixture("facebook/Facebook Insights Data Export (Post) - Northwind Bakery - 2020-06-30.csv")
BAKERY = "104511112233445_{}"


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("ENGAGEMENT_LAB_CACHE", str(tmp_path / "cache"))


def test_spreadsheetml_xls_is_detected_and_loaded():
    assert XLS.read_bytes().startswith(b"<?xml")  # an .xls that is really XML
    ds = toolkit.load(XLS)
    check_dataset(ds)
    report = ds.report.iloc[0]
    assert report["format"] == "facebook_insights_posts"
    # 8 posts; the description row under the header is not a record
    assert (report["rows_read"], report["rows_loaded"], report["rows_rejected"]) == (8, 8, 0)
    posts = ds.posts
    assert set(posts["account"]) == {"Northwind Bakery"}
    assert set(posts["platform"]) == {"facebook"}
    assert sorted(posts["source_row"].tolist()) == list(range(3, 11))  # header row 1, description row 2
    first = row(posts, BAKERY.format(9000000000000000))
    assert first["text"] == "Fresh sourdough is out of the oven!\nCome early, it goes fast."
    assert first["published_at"] == pd.Timestamp("2020-06-20 12:00:00", tz="UTC")
    assert first["time_known"]
    assert first["media_type"] == "photo"
    assert (first["reach"], first["impressions"], first["clicks"]) == (800, 1120, 56)


def test_actions_joined_by_post_id_from_the_stories_sheet_whatever_the_column_order():
    posts = toolkit.load(XLS).posts
    for i in (0, 1, 3, 7):  # the Stories sheet lists posts in reverse order, like/comment/share
        p = row(posts, BAKERY.format(9000000000000000 + i))
        assert (p["likes"], p["comments"], p["shares"]) == (40 + 9 * i, 3 + i, 1 + i % 4)
    # post 2 is missing from the Stories sheet: NA, not 0 and not the people counts of the other sheet
    missing = row(posts, BAKERY.format(9000000000000002))
    assert pd.isna(missing["likes"]) and pd.isna(missing["comments"]) and pd.isna(missing["shares"])
    note = toolkit.load(XLS).report.loc[0, "notes"]
    assert "Lifetime Post Stories by act..." in note and "1 posts not on it" in note


def test_blank_type_paid_flag_and_repeated_columns():
    posts = toolkit.load(XLS).posts
    blank = row(posts, BAKERY.format(9000000000000004))  # Type cell blank, message empty
    assert pd.isna(blank["media_type"]) and pd.isna(blank["text"])
    assert row(posts, BAKERY.format(9000000000000003))["paid"] == True  # noqa: E712 (paid impressions 350)
    assert row(posts, BAKERY.format(9000000000000000))["paid"] == False  # noqa: E712
    assert row(posts, BAKERY.format(9000000000000003))["media_type"] == "video"


def test_xlsx_with_datetime_cells():
    ds = toolkit.load(XLSX)
    check_dataset(ds)
    assert ds.report.loc[0, "format"] == "facebook_insights_posts"
    assert ds.report.loc[0, "rows_read"] == 5
    assert set(ds.posts["account"]) == {"Harbor Cycles"}
    p = row(ds.posts, "200022223333444_9000000000000020")
    assert p["published_at"] == pd.Timestamp("2020-06-28 16:20:20", tz="UTC")  # hour 12 + 20 % 8, minute and second from fb_posts
    assert p["likes"] == 40 + 9 * 20


def test_csv_export_with_description_row_and_flattened_action_columns():
    ds = toolkit.load(CSV)
    check_dataset(ds)
    assert ds.report.loc[0, "format"] == "facebook_insights_posts_csv"
    assert ds.report.loc[0, "rows_read"] == 5
    p = row(ds.posts, BAKERY.format(9000000000000001))
    assert (p["likes"], p["comments"], p["shares"]) == (int(49 * 0.8), int(4 * 0.8), int(2 * 0.8))


def test_overlapping_exports_keep_the_latest_counts():
    before = digest(XLS), digest(CSV)
    ds = toolkit.load([CSV, XLS])
    check_dataset(ds)
    assert (digest(XLS), digest(CSV)) == before  # inputs never modified
    report = ds.report.set_index("format")
    assert report.loc["facebook_insights_posts_csv", "duplicates_merged"] == 5
    assert len(ds.posts) == 8
    p = row(ds.posts, BAKERY.format(9000000000000000))
    assert p["likes"] == 40 and p["source_file"].endswith(".xls")  # the 2020-07-31 export wins


def test_second_load_comes_from_the_cache_unchanged(tmp_path):
    first = toolkit.load(XLSX)
    second = toolkit.load(XLSX)
    pd.testing.assert_frame_equal(first.posts, second.posts)
    assert any(p.is_file() for p in (tmp_path / "cache").rglob("*"))
