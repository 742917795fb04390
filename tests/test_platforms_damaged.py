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
