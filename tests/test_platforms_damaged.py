"""Spreadsheet-damaged exports: mixed day/month dates, Excel serials, ids in scientific notation.

Truth for the fixtures is in tests/fixtures/make_fixtures.py (make_damaged): the Instagram file
lists posts in date order with true dates 2020-08-29, 09-02, 09-14, 10-09, 10-23, 11-30,
2021-03-15, 2021-04-06 (or 06-04, unprovable) and 2021-06-20.
"""

from __future__ import annotations

import pandas as pd
import pytest

import toolkit
from platform_checks import check_dataset, fixture

MIXED = fixture("damaged/instagram_resaved_mixed_dates.csv")
META = fixture("damaged/Oct-01-2023_Oct-31-2023_northwind_posts_resaved.csv")
LINKEDIN = fixture("damaged/northwind-bakery_updates_1700200000000.xlsx")


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("ENGAGEMENT_LAB_CACHE", str(tmp_path / "cache"))


def test_mixed_day_month_column_repaired_by_date_order_and_unprovable_row_rejected():
    text = MIXED.read_text()
    assert "09-02-2020" in text and "8-29-2020" in text
    ds = toolkit.load(MIXED)
    check_dataset(ds)
    report = ds.report.iloc[0]
    assert (report["rows_read"], report["rows_loaded"], report["rows_rejected"]) == (9, 8, 1)
    assert "mixes day-first and month-first" in report["notes"]
    days = [str(t.date()) for t in ds.posts.sort_values("source_row")["published_at"]]
    assert days == ["2020-08-29", "2020-09-02", "2020-09-14", "2020-10-09", "2020-10-23", "2020-11-30",
                    "2021-03-15", "2021-06-20"]
    rejected = ds.rejected.iloc[0]
    assert rejected["source_row"] == 9 and "'04-06-2021' is ambiguous" in rejected["reason"]


def test_scientific_ids_rejected_and_serial_dates_converted():
    ds = toolkit.load(META)
    check_dataset(ds)
    report = ds.report.iloc[0]
    assert (report["format"], report["rows_read"], report["rows_loaded"], report["rows_rejected"]) == \
        ("meta_facebook_posts", 6, 4, 2)
    assert ds.rejected["source_row"].tolist() == [4, 6]
    assert ds.rejected["reason"].str.contains("scientific notation").all()
    # the rejected rows keep the whole record (32 columns), not only the columns that were mapped
    assert ds.rejected["raw"].str.startswith("1.2210000000000E+17,104511112233445,Northwind Bakery").all()
    assert (ds.rejected["raw"].str.count(",") >= 31).all()
    assert not ds.posts["post_id"].str.contains("E+", regex=False).any()
    # Excel serial 45204.3826... (1900 system) = 2023-10-05 09:11, the time the export had
    serial = ds.posts.set_index("post_id").loc["122100000000000041", "published_at"]
    assert serial == pd.Timestamp("2023-10-05 09:11", tz="UTC")
    text = ds.posts.set_index("post_id").loc["122100000000000040", "published_at"]
    assert text == pd.Timestamp("2023-10-03 12:20", tz="UTC")
    assert "Excel serial" in report["notes"]


def test_workbook_with_serials_swapped_date_cells_and_text():
    ds = toolkit.load(LINKEDIN)
    check_dataset(ds)
    report = ds.report.iloc[0]
    assert (report["format"], report["rows_read"], report["rows_loaded"], report["rows_rejected"]) == \
        ("linkedin_page_updates", 7, 6, 1)
    got = dict(zip(ds.posts["post_id"].str[-1], ds.posts["published_at"].dt.strftime("%Y-%m-%d %H:%M")))
    # true dates 10/2, 10/5 09:00 (serial), 10/8, 10/11 (swapped date cells), 10/14, 10/17 (text),
    # 10/20 (serial); the first swapped cell has no earlier neighbour, so it cannot be proven
    assert got == {"1": "2023-10-05 09:00", "2": "2023-10-08 00:00", "3": "2023-10-11 00:00",
                   "4": "2023-10-14 00:00", "5": "2023-10-17 00:00", "6": "2023-10-20 00:00"}
    assert ds.rejected["source_row"].tolist() == [3]
    assert "'2023-02-10T00:00:00' is ambiguous" in ds.rejected["reason"].iloc[0]


@pytest.mark.parametrize("name, cell, day_only", [
    ("hootsuite/hootsuite_facebook_posts_2018-01.csv", "2018-01-01 00:00:33", "2018-01-01"),
    ("meta/Oct-01-2023_Oct-31-2023_northwind_posts.csv", "10/03/2023 08:00", "10/03/2023"),
])
def test_a_day_without_a_time_in_a_column_of_times_is_not_a_known_time(tmp_path, name, cell, day_only):
    # the day alone is read as midnight, which is not when the post went out: time_known says so
    source = fixture(name)
    damaged = tmp_path / source.name
    damaged.write_bytes(source.read_bytes().replace(cell.encode(), day_only.encode(), 1))
    ds = toolkit.load(damaged)
    check_dataset(ds)
    posts = ds.posts.set_index("source_row")
    first = 2  # the first record, under the header line
    assert not posts.loc[first, "time_known"] and posts.drop(index=first)["time_known"].all()
    assert posts.loc[first, "published_at"] == pd.Timestamp(day_only, tz="UTC")
    assert "1 post gives a day without a time of day: time_known is False for it" in ds.report.iloc[0]["notes"]


def test_generic_excel_serials_give_a_time_only_with_a_fraction_of_a_day(tmp_path):
    path = tmp_path / "posts.csv"
    path.write_text("id,when,likes\na,45352.0,3\nb,45352.25,4\nc,2024-03-01 09:30,5\n")
    posts = toolkit.load(path, format="generic", account="me",
                         mapping={"post_id": "id", "published_at": "when", "likes": "likes"}).posts
    assert posts.set_index("post_id")["time_known"].to_dict() == {"a": False, "b": True, "c": True}


def test_one_day_first_date_does_not_turn_a_month_first_column_around(tmp_path):
    # every other date of this October export has a day of 12 or less; one re-saved cell reads
    # 13/10/2023. Read day first, the others would become March, May, July ... out of file order;
    # only month first puts the column in date order, so that is how the ambiguous ones are read
    source = fixture("meta/Oct-01-2023_Oct-31-2023_northwind_posts.csv")
    damaged = tmp_path / source.name
    damaged.write_bytes(source.read_bytes().replace(b"10/13/2023 13:55", b"13/10/2023 13:55"))
    ds = toolkit.load(damaged)
    check_dataset(ds)
    days = [str(t.date()) for t in ds.posts.sort_values("source_row")["published_at"]]
    assert days == ["2023-10-03", "2023-10-05", "2023-10-07", "2023-10-09", "2023-10-11", "2023-10-13"]
    assert "5 read from the file's date order (0 day-first, 5 month-first), 0 rejected" in ds.report.iloc[0]["notes"]


def test_a_date_that_reads_the_same_either_way_does_not_cast_doubt_on_iso_dates(tmp_path):
    # a re-save leaves as text only the dates it could not read its way (a number above 12 where
    # it expects a month); a lone 1/1/2018 among ISO dates is no sign of it, so the other 11
    # January dates (all with a day of 12 or less) were rejected as ambiguous for nothing
    source = fixture("hootsuite/hootsuite_facebook_posts_2018-01.csv")
    damaged = tmp_path / source.name
    damaged.write_bytes(source.read_bytes().replace(b"2018-01-01 00:00:33,", b"1/1/2018 0:00,", 1))
    ds = toolkit.load(damaged)
    check_dataset(ds)
    report = ds.report.iloc[0]
    assert (report["rows_read"], report["rows_loaded"], report["rows_rejected"]) == (12, 12, 0)
    days = [str(t.date()) for t in ds.posts.sort_values("source_row")["published_at"]]
    assert days == [f"2018-01-{d:02d}" for d in range(1, 13)]


def test_a_date_whose_weekday_contradicts_it_is_rejected_not_half_believed(tmp_path):
    # X writes 'Mon Feb 10 2025'; a cell edited to 'Tue Feb 10 2025' says two different days, and
    # which part is wrong is unknown (strptime ignores the weekday: it loaded as 10 February)
    source = fixture("x/account_analytics_content_2025-01-12_2025-02-10.csv")
    damaged = tmp_path / source.name
    damaged.write_bytes(source.read_bytes().replace(b"Mon Feb 10 2025", b"Tue Feb 10 2025", 1))
    ds = toolkit.load(damaged, account="north_wind")
    check_dataset(ds)
    before = toolkit.load(source, account="north_wind")  # the fixture rejects 2 rows of its own
    assert ds.report.iloc[0]["rows_rejected"] == before.report.iloc[0]["rows_rejected"] + 1
    assert "Date: 'Tue Feb 10 2025' names a Tuesday, but 2025-02-10 is a Monday" in ds.rejected["reason"].tolist()


def test_linkedin_sets_time_known_by_its_own_rule_without_a_contradicting_note():
    # LinkedIn's page export: time_known only where a time other than midnight is given (workbook
    # date cells carry a midnight that is no time); the cell-by-cell note counted something else
    ds = toolkit.load(LINKEDIN)
    stamps = ds.posts["published_at"]
    assert (ds.posts["time_known"] == (stamps != stamps.dt.normalize())).all()
    assert "without a time of day" not in ds.report.iloc[0]["notes"]
