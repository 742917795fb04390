"""YouTube Studio per-video export (Table data.csv): soft hyphens, the Total row, the mapping.

Expected values are the invented rows of tests/fixtures/make_fixtures.py (make_youtube).
"""

from __future__ import annotations

import pandas as pd
import pytest

import toolkit
from platform_checks import check_dataset, fixture, row

TABLE = fixture("youtube/Table data.csv")


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("ENGAGEMENT_LAB_CACHE", str(tmp_path / "cache"))


def test_soft_hyphens_total_row_and_accounting():
    assert "\u00ad" in TABLE.read_text().splitlines()[0]
    assert TABLE.read_text().splitlines()[1].startswith("Total,")
    ds = toolkit.load(TABLE, account="Northwind Bakery")
    check_dataset(ds)
    report = ds.report.iloc[0]
    assert report["format"] == "youtube_studio_videos"
    # the Total row is a summary: not read as data, not rejected, counted apart
    assert (report["rows_read"], report["rows_loaded"], report["rows_rejected"], report["summary_rows"]) == \
        (4, 4, 0, 1)
    assert "Total" not in set(ds.posts["post_id"])
    assert set(ds.posts["account"]) == {"Northwind Bakery"}
    assert set(ds.posts["platform"]) == {"youtube"} and set(ds.posts["media_type"]) == {"video"}


def test_mapping_dates_and_subscribers():
    ds = toolkit.load(TABLE)
    first = row(ds.posts, "dQ1bakeA01x")
    assert first["published_at"] == pd.Timestamp("2020-05-08", tz="UTC") and not first["time_known"]
    assert first["text"] == "How to shape a boule"
    # Impressions are thumbnail impressions (9000), not the 1200 views
    assert (first["impressions"], first["likes"], first["comments"], first["shares"]) == (9000, 60, 3, 5)
    assert first["follows"] == 12  # Subscribers gained
    assert pd.isna(first["clicks"]) and pd.isna(first["reach"])
    notes = ds.report.loc[0, "notes"]
    assert "views (9600 in all)" in notes and "subscribers lost per video (6 in all)" in notes
    assert row(ds.posts, "Qq0ovenT4p")["published_at"] == pd.Timestamp("2020-06-19", tz="UTC")
