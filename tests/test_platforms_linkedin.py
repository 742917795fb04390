"""LinkedIn: the page "Update Engagement" export (CSV and workbook) and the creator "Content" workbook.

Expected values are the invented rows of tests/fixtures/make_fixtures.py (make_linkedin); Excel
serials are checked against the 1900 date system (serial 45204.375 = 2023-10-05 09:00).
"""

from __future__ import annotations

import pandas as pd
import pytest

import toolkit
from platform_checks import check_dataset, fixture, row
from toolkit.errors import DataFormatError
from toolkit.loading.platforms.linkedin import rebuild_followers

PAGE_CSV = fixture("linkedin/northwind-bakery_updates_1700000000000.csv")
PAGE_XLSX = fixture("linkedin/harbor-cycles_updates_1700100000000.xlsx")
PAGE_XLS = fixture("linkedin/lakeside-press_updates_1700300000000.xls")
CREATOR = fixture("linkedin/Content_2025-11-09_2025-11-18_JaneQuill.xlsx")
NEW_FOLLOWERS = [3, 0, 5, 2, 7, 1, 0, 4, 6, 2]  # make_linkedin, 11/9/2025 .. 11/18/2025


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("ENGAGEMENT_LAB_CACHE", str(tmp_path / "cache"))


def test_page_csv_preamble_serial_dates_and_paid():
    text = PAGE_CSV.read_text()
    assert text.startswith("All data is recorded") and "E-3" in text  # preamble; rates like 5.1...E-3
    ds = toolkit.load(PAGE_CSV)
    check_dataset(ds)
    report = ds.report.iloc[0]
    assert (report["format"], report["rows_read"], report["rows_loaded"]) == ("linkedin_page_updates_csv", 7, 7)
    assert "Excel serial" in report["notes"]
    posts = ds.posts
    assert set(posts["account"]) == {"northwind-bakery"} and set(posts["platform"]) == {"linkedin"}
    assert posts["exported_at"].iloc[0] == pd.Timestamp(1700000000000, unit="ms", tz="UTC")
    first = row(posts, "7100000000000000000")
    assert first["published_at"] == pd.Timestamp("2023-10-02", tz="UTC") and not first["time_known"]
    second = row(posts, "7100000000000000001")  # serial 45204.375
    assert second["published_at"] == pd.Timestamp("2023-10-05 09:00", tz="UTC") and second["time_known"]
    assert second["paid"] == True and first["paid"] == False  # noqa: E712 Sponsored / Organic
    assert (second["impressions"], second["clicks"], second["likes"], second["comments"],
            second["shares"], second["follows"]) == (1031, 6, 13, 1, 1, 1)
    assert first["source_row"] == 3  # preamble line 1, header line 2


def test_rates_are_not_counts():
    posts = toolkit.load(PAGE_CSV).posts
    # the CTR/engagement-rate floats went nowhere: every count is a whole number from a count column
    assert posts["engagements"].isna().all() and posts["reach"].isna().all()


def test_page_workbook_sheet():
    ds = toolkit.load(PAGE_XLSX)
    check_dataset(ds)
    assert ds.report.loc[0, "format"] == "linkedin_page_updates"
    assert len(ds.posts) == 5 and set(ds.posts["account"]) == {"harbor-cycles"}
    assert row(ds.posts, "7100000000000000004")["published_at"] == pd.Timestamp("2023-10-14", tz="UTC")


def test_page_export_as_served_binary_xls_with_date_cells():
    assert PAGE_XLS.read_bytes()[:8] == bytes.fromhex("d0cf11e0a1b11ae1")  # OLE2: Excel 97-2003
    ds = toolkit.load(PAGE_XLS)
    check_dataset(ds)
    report = ds.report.iloc[0]
    assert (report["format"], report["rows_read"], report["rows_loaded"], report["encoding"]) == \
        ("linkedin_page_updates", 6, 6, "xls")
    posts = ds.posts
    assert set(posts["account"]) == {"lakeside-press"}
    assert posts["exported_at"].iloc[0] == pd.Timestamp(1700300000000, unit="ms", tz="UTC")
    # the same rows as the CSV fixture (li_rows), with Created date stored as date cells
    first, second = row(posts, "7100000000000000000"), row(posts, "7100000000000000001")
    assert first["published_at"] == pd.Timestamp("2023-10-02", tz="UTC") and not first["time_known"]
    assert second["published_at"] == pd.Timestamp("2023-10-05 09:00", tz="UTC") and second["time_known"]
    assert second["paid"] == True and first["paid"] == False  # noqa: E712 Sponsored / Organic
    assert (second["impressions"], second["clicks"], second["likes"], second["comments"],
            second["shares"], second["follows"]) == (1031, 6, 13, 1, 1, 1)
    assert first["source_row"] == 3  # preamble row 1, header row 2
    assert posts["engagements"].isna().all()  # the rates (floats) are not counts


def test_creator_content_tables_and_accounting():
    ds = toolkit.load(CREATOR)
    check_dataset(ds)
    report = ds.report.iloc[0]
    assert report["format"] == "linkedin_creator_content"
    # 10 ENGAGEMENT days + 10 FOLLOWERS days + 6 TOP POSTS posts (from 9 list entries)
    assert (report["rows_read"], report["rows_loaded"], report["rows_rejected"]) == (26, 26, 0)
    assert "9 list entries describe 6 posts" in report["notes"]
    daily = ds.daily
    assert len(daily) == 10 and set(daily["account"]) == {"JaneQuill"}
    assert daily["date"].iloc[0] == pd.Timestamp("2025-11-09", tz="UTC")  # 11/9/2025, month first
    assert daily["impressions"].tolist() == [1800 + 97 * k for k in range(10)]
    assert daily["engagements"].tolist() == [31 + k for k in range(10)]


def test_creator_followers_rebuilt_backwards_from_the_end_total():
    followers = toolkit.load(CREATOR).followers
    assert followers["new_follows"].tolist() == NEW_FOLLOWERS
    assert followers["date"].iloc[-1] == pd.Timestamp("2025-11-18", tz="UTC")
    assert followers["followers"].iloc[-1] == 12861
    # closed form: total on day k = end total - new followers of the days after k
    expected = [12861 - sum(NEW_FOLLOWERS[k + 1:]) for k in range(10)]
    assert followers["followers"].tolist() == expected
    assert "lower bounds" in toolkit.load(CREATOR).report.loc[0, "notes"]


def test_rebuild_stops_at_a_gap():
    days = pd.Series(pd.to_datetime(["2025-11-01", "2025-11-02", "2025-11-04", "2025-11-05"], utc=True))
    new = pd.Series([1, 2, 3, 4], dtype="Int64")
    out = rebuild_followers(new, days, 100, days.iloc[-1])
    assert out.tolist()[2:] == [96, 100]
    assert out.isna().tolist()[:2] == [True, True]  # the 3rd was not exported: no totals before it


def _creator_copy(tmp_path, change):
    """A copy of the creator workbook with ``change(book)`` applied (openpyxl)."""
    import openpyxl

    book = openpyxl.load_workbook(CREATOR)
    change(book)
    path = tmp_path / CREATOR.name
    book.save(path)
    return path


def test_rebuilt_totals_below_zero_are_unknown_not_a_refused_workbook(tmp_path):
    # a small account: 20 followers at the end, 27 new ones in the days before (others unfollowed)
    path = _creator_copy(tmp_path, lambda book: book["FOLLOWERS"].cell(1, 2, 20))
    ds = toolkit.load(path)
    check_dataset(ds)
    assert ds.report.loc[0, "rows_loaded"] == 26
    expected = [20 - sum(NEW_FOLLOWERS[k + 1:]) for k in range(10)]  # -7, -7, -2, 0, 7, ...
    got = ds.followers["followers"]
    assert got.isna().tolist() == [e < 0 for e in expected]
    assert got.dropna().tolist() == [e for e in expected if e >= 0]
    assert "below zero" in ds.report.loc[0, "notes"]


@pytest.mark.parametrize("cell, total", [("A1", "Total followers on 18/11/2025:"),  # day first
                                          ("B1", "12.861"), ("B1", "12\u00a0861")])  # not 12
def test_a_total_followers_line_that_cannot_be_read_rebuilds_nothing(tmp_path, cell, total):
    def change(book):
        book["FOLLOWERS"][cell] = total

    ds = toolkit.load(_creator_copy(tmp_path, change))
    check_dataset(ds)
    assert ds.report.loc[0, "rows_loaded"] == 26
    assert ds.followers["new_follows"].tolist() == NEW_FOLLOWERS
    assert ds.followers["followers"].isna().all()
    assert "only daily new followers loaded" in ds.report.loc[0, "notes"]
    assert total in ds.report.loc[0, "notes"]


def test_top_posts_without_its_header_row_is_named(tmp_path):
    path = _creator_copy(tmp_path, lambda book: book["TOP POSTS"].delete_rows(3))  # the header row
    with pytest.raises(DataFormatError, match="sheet 'TOP POSTS'.*'Post URL'"):
        toolkit.load(path)


def test_creator_top_posts_side_by_side_tables_merged_by_url():
    posts = toolkit.load(CREATOR).posts
    assert len(posts) == 6 and set(posts["platform"]) == {"linkedin"}
    ids = {f"73{k:017d}" for k in range(6)}
    assert set(posts["post_id"]) == ids
    both = row(posts, f"73{0:017d}")  # first by engagements, second by impressions
    assert (both["engagements"], both["impressions"]) == (90, 4500)
    only_eng = row(posts, f"73{4:017d}")
    assert only_eng["engagements"] == 57 and pd.isna(only_eng["impressions"])
    only_imp = row(posts, f"73{5:017d}")
    assert only_imp["impressions"] == 3100 and pd.isna(only_imp["engagements"])
    assert not posts["time_known"].any()
    assert both["published_at"] == pd.Timestamp("2025-11-09", tz="UTC")


# A company-page link with no urn:li:<kind>:<id> in it: the post has no number to cut out, so the
# whole link is its id (documented in toolkit/loading/platforms/linkedin.py).
PAGE_LINK = "https://www.linkedin.com/company/northwind-bakery/posts/?update=abc"
URN_LINK_1 = "https://www.linkedin.com/feed/update/urn:li:activity:7100000000000000001"


def test_a_page_csv_link_without_an_urn_is_kept_whole_as_the_id(tmp_path):
    path = tmp_path / PAGE_CSV.name
    path.write_text(PAGE_CSV.read_text().replace(URN_LINK_1, PAGE_LINK))
    ds = toolkit.load(path)
    check_dataset(ds)
    assert (ds.report.loc[0, "rows_loaded"], ds.report.loc[0, "rows_rejected"]) == (7, 0)
    kept = row(ds.posts, PAGE_LINK)
    assert (kept["impressions"], kept["likes"], kept["source_row"]) == (1031, 13, 4)


def test_a_page_csv_row_without_a_link_is_rejected_naming_the_update_link_column(tmp_path):
    path = tmp_path / PAGE_CSV.name
    path.write_text(PAGE_CSV.read_text().replace(URN_LINK_1, ""))
    ds = toolkit.load(path)
    assert (ds.report.loc[0, "rows_loaded"], ds.report.loc[0, "rows_rejected"]) == (6, 1)
    rejected = ds.rejected.iloc[0]
    assert rejected["source_row"] == 4
    assert rejected["reason"] == "Update link: expected a post id, found an empty cell"


def test_a_page_workbook_link_without_an_urn_is_kept_whole_as_the_id(tmp_path):
    import openpyxl

    book = openpyxl.load_workbook(PAGE_XLSX)
    sheet = book["Update Engagement"]
    assert sheet["B4"].value == URN_LINK_1  # preamble row 1, header row 2, first post row 3
    sheet["B4"] = PAGE_LINK
    path = tmp_path / PAGE_XLSX.name
    book.save(path)
    ds = toolkit.load(path)
    check_dataset(ds)
    assert (ds.report.loc[0, "rows_loaded"], ds.report.loc[0, "rows_rejected"]) == (5, 0)
    assert row(ds.posts, PAGE_LINK)["impressions"] == 1031


def test_creator_top_posts_without_urns_stay_apart_and_merge_by_their_url(tmp_path):
    # post 0 is A4 (by engagements) and E5 (by impressions); post 2 is A5 and E4
    links = {0: "https://www.linkedin.com/posts/janequill_sourdough-basics",
             2: "https://www.linkedin.com/posts/janequill_rye-starter"}

    def change(book):
        sheet = book["TOP POSTS"]
        for k, cells in ((0, ("A4", "E5")), (2, ("A5", "E4"))):
            for cell in cells:
                assert sheet[cell].value.endswith(f"73{k:017d}")
                sheet[cell] = links[k]

    ds = toolkit.load(_creator_copy(tmp_path, change))
    check_dataset(ds)
    posts = ds.posts
    assert len(posts) == 6 and ds.report.loc[0, "rows_rejected"] == 0
    first, third = row(posts, links[0]), row(posts, links[2])
    assert (first["engagements"], first["impressions"]) == (90, 4500)
    assert (third["engagements"], third["impressions"]) == (79, 5200)


def test_a_creator_top_post_without_a_url_is_rejected_naming_the_post_url_column(tmp_path):
    def change(book):
        book["TOP POSTS"]["A7"] = None  # post 4, listed by engagements only

    ds = toolkit.load(_creator_copy(tmp_path, change))
    rejected = ds.rejected
    assert rejected["source_row"].tolist() == [7]
    assert rejected["reason"].tolist() == ["Post URL: expected a post id, found an empty cell"]
