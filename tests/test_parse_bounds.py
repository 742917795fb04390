"""Date cells at the edges of what the loader can store (toolkit.loading.parse / dates).

Expected values are closed forms: pandas stores times as nanoseconds, which reach from
1677-09-21 to 2262-04-11, so a cell dated 2262-05-01 cannot be stored and must be rejected with a
reason (not fail the whole file); Excel serial 32874 is 1990-01-01 (day 0 = 1899-12-30, and
1990-01-01 - 1899-12-30 = 32874 days), the first day of the documented plausible range.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
import pytest

import toolkit
from toolkit.loading.dates import parse_dates
from toolkit.loading.parse import parse_datetimes, parse_excel_serial

sys.path.insert(0, str(Path(__file__).parent / "fixtures"))
import make_fixtures as mk  # noqa: E402


@pytest.mark.parametrize("cell", ["2262-05-01T00:00:00", "2300-01-01T00:00:00Z", "9999-12-31",
                                  "1500-06-01"])
def test_iso_date_beyond_nanoseconds_is_rejected_with_a_reason(cell):
    times, why = parse_datetimes(pd.Series(["2021-01-01T10:00:00", cell]), "time", ["ISO8601"])
    assert times.iloc[0] == pd.Timestamp("2021-01-01 10:00", tz="UTC")
    assert pd.isna(times.iloc[1]) and pd.isna(why.iloc[0])
    assert why.iloc[1].startswith(f"time: date '{cell}' is outside the range that can be stored")


def test_date_column_with_a_far_future_day_rejects_that_row_only():
    out = parse_dates(pd.Series(["2021-03-01", "2262-05-01", "2021-03-03"]), "Date", ["%Y-%m-%d"])
    assert [str(t.date()) if pd.notna(t) else None for t in out.values] == ["2021-03-01", None, "2021-03-03"]
    assert out.reasons.isna().tolist() == [True, False, True]
    assert "2262-05-01" in out.reasons.iloc[1] and "outside the range" in out.reasons.iloc[1]


def test_file_with_a_2262_cell_loads_and_accounts_for_it(tmp_path):
    path = tmp_path / "instagram_post_insights.csv"
    dates = ["2021-01-01", "2021-01-02", "2262-05-01", "2021-01-04"]
    mk.write_csv(path, [mk.IG_HEAD] + mk.ig_rows(dates), newline="\r\n")
    ds = toolkit.load(path, account="northwind", cache=False)
    report = ds.report.iloc[0]
    assert (report.rows_read, report.rows_loaded, report.rows_rejected) == (4, 3, 1)
    assert report.rows_read == report.rows_loaded + report.rows_rejected + report.duplicates_merged
    assert int(ds.rejected["source_row"].iloc[0]) == 4  # header is row 1, the third record row 4
    assert "2262-05-01" in ds.rejected["reason"].iloc[0] and "outside the range" in ds.rejected["reason"].iloc[0]


def test_generic_mapping_with_a_2262_timestamp(tmp_path):
    path = tmp_path / "export.csv"
    path.write_text("ID,When,Hearts\n1,2021-01-01T10:00:00Z,5\n2,2262-12-31T00:00:00Z,6\n3,2021-01-02T10:00:00Z,7\n")
    ds = toolkit.load(path, mapping={"post_id": "ID", "published_at": "When", "likes": "Hearts"},
                      account="a", cache=False)
    assert ds.posts["post_id"].tolist() == ["1", "3"]
    assert len(ds.rejected) == 1 and "outside the range" in ds.rejected["reason"].iloc[0]


def test_excel_serial_range_includes_1990_01_01_and_excludes_2100_01_01():
    # 32874 = 1990-01-01 and 73051 = 2100-01-01 (day 0 = 1899-12-30); the range is [32874, 73051)
    out = parse_excel_serial(pd.Series(["32874", "32873.99", "73050.5", "73051"])).tolist()
    assert out[0] == pd.Timestamp("1990-01-01", tz="UTC")
    assert pd.isna(out[1]) and pd.isna(out[3])
    assert out[2] == pd.Timestamp("2099-12-31 12:00", tz="UTC")


def test_serial_1990_01_01_in_a_date_column():
    out = parse_dates(pd.Series(["32874", "32875"]), "Date")
    assert [str(t.date()) for t in out.values] == ["1990-01-01", "1990-01-02"]
    assert out.reasons.isna().all()
