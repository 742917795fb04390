"""Every platform fixture through auto-detection, and a mix of platforms in one load call."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import toolkit
from platform_checks import EXPECTED_FORMATS, FIX, PLATFORM_DIRS, ROOT, check_dataset, digest
from toolkit.errors import DataFormatError
from toolkit.loading import detect, registry
from toolkit.schema import PLATFORMS

FILES = sorted(p for d in PLATFORM_DIRS for p in (FIX / d).iterdir() if p.is_file())


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("ENGAGEMENT_LAB_CACHE", str(tmp_path / "cache"))


def test_every_fixture_is_listed():
    assert {str(p.relative_to(FIX)) for p in FILES} == set(EXPECTED_FORMATS)


@pytest.mark.parametrize("name", sorted(EXPECTED_FORMATS))
def test_every_fixture_is_detected(name):
    fmt, _ = detect(FIX / name)
    assert fmt.name == EXPECTED_FORMATS[name]


def test_mix_of_platforms_in_one_call():
    before = {p: digest(p) for p in FILES}
    ds = toolkit.load(FILES)
    check_dataset(ds)
    assert {p: digest(p) for p in FILES} == before  # nothing modified
    report = ds.report.assign(name=[str(Path(f).relative_to(FIX)) for f in ds.report["source_file"]])
    assert dict(zip(report["name"], report["format"])) == EXPECTED_FORMATS
    posts = ds.posts
    by_source = posts.groupby(posts["source_file"].map(lambda f: Path(f).parent.name + "/" + Path(f).name))
    platforms = {name: set(g["platform"].astype(str)) for name, g in by_source}
    accounts = {name: set(g["account"].dropna()) for name, g in by_source}
    assert platforms["hootsuite/hootsuite_facebook_posts_2018-01.csv"] == {"facebook"}
    assert accounts["hootsuite/hootsuite_facebook_posts_2018-01.csv"] == {"Northwind Bakery", "Harbor Cycles"}
    assert platforms["meta/Mar-01-2025_Mar-31-2025_northwind_instagram_posts.csv"] == {"instagram"}
    assert platforms["youtube/Table data.csv"] == {"youtube"}
    assert platforms["linkedin/Content_2025-11-09_2025-11-18_JaneQuill.xlsx"] == {"linkedin"}
    assert accounts["linkedin/Content_2025-11-09_2025-11-18_JaneQuill.xlsx"] == {"JaneQuill"}
    assert accounts["facebook/Facebook Insights Data Export (Post) - Harbor Cycles - 2020-07-31.xlsx"] == \
        {"Harbor Cycles"}
    assert set(posts["platform"].astype(str)) == {"facebook", "instagram", "linkedin", "youtube"}
    # files that name no account stay NA (never invented)
    assert posts.loc[posts["platform"] == "youtube", "account"].isna().all()
    assert len(ds.followers) == 10 + 14 and len(ds.daily) == 10 + 14


def test_account_argument_fills_only_files_without_one():
    files = [FIX / "youtube" / "Table data.csv", FIX / "hootsuite" / "hootsuite_facebook_posts_2018-01.csv"]
    posts = toolkit.load(files, account="Northwind Bakery").posts
    assert set(posts.loc[posts["platform"] == "youtube", "account"]) == {"Northwind Bakery"}
    assert set(posts["account"]) == {"Northwind Bakery", "Harbor Cycles"}


def test_uci_file_loads_alongside_the_platform_exports():
    if "uci_facebook" not in {f.name for f in registry.all_formats()}:
        pytest.skip("the UCI format is not registered in this checkout")
    ds = toolkit.load([ROOT / "data" / "real" / "dataset_Facebook.csv", FIX / "youtube" / "Table data.csv"])
    check_dataset(ds)
    assert set(ds.report["format"]) == {"uci_facebook", "youtube_studio_videos"}


def test_each_format_is_one_declarative_registered_unit():
    mine = {f.name: f for f in registry.all_formats() if f.name in set(EXPECTED_FORMATS.values())}
    assert set(mine) == set(EXPECTED_FORMATS.values())
    listed = toolkit.formats()
    assert set(mine) <= set(listed["format"])
    for fmt in mine.values():
        assert fmt.signature and fmt.description and fmt.platform in PLATFORMS and fmt.parse is not None
        assert fmt.__module__ if hasattr(fmt, "__module__") else True
    modules = {f.parse.__module__ for f in mine.values()}
    assert modules <= set(registry.FORMAT_MODULES)


def test_days_of_files_that_name_no_account_are_not_merged_across_files(tmp_path):
    # X's account overview file names no handle: two accounts' files of the same days are two
    # accounts' days, not duplicates of each other (within one file, repeated days still merge)
    overview = (FIX / "x" / "account_overview_analytics_2026-04-14_2026-04-23.csv").read_bytes()
    paths = []
    for who in ("first", "second"):
        (tmp_path / who).mkdir()
        paths.append(tmp_path / who / "account_overview_analytics_2026-04-14_2026-04-23.csv")
        paths[-1].write_bytes(overview)
    one = toolkit.load(paths[0])
    both = toolkit.load(paths)
    check_dataset(both)
    assert len(one.daily) > 0 and len(both.daily) == 2 * len(one.daily)
    assert both.report["duplicates_merged"].tolist() == [0, 0]
    assert both.daily["account"].isna().all()
    assert both.daily.groupby("source_file").size().tolist() == [len(one.daily)] * 2
    n = len(one.daily)
    assert f"daily: {n} days are in several files that name no account, kept apart" in "; ".join(both.notes)
    merged = toolkit.load(paths, account="north_wind")  # one account's: merged as before
    assert len(merged.daily) == n and not any("kept apart" in note for note in merged.notes)


def test_a_day_given_twice_with_different_values_is_noted_not_silently_resolved(tmp_path):
    # two follower counts for one day in one file: the last row's is kept, and the dataset says so
    path = tmp_path / "north_wind_followers.csv"
    path.write_text("date,followers\n2024-01-01,100\n2024-01-02,101\n2024-01-02,150\n2024-01-03,102\n")
    ds = toolkit.load(path, account="north_wind")
    assert ds.followers["followers"].tolist() == [100, 150, 102]
    assert ("followers: 1 day is given more than once with different values; each value is the latest "
            "export's (within a file, its last row's)") in ds.notes
    same = tmp_path / "same" / "north_wind_followers.csv"
    same.parent.mkdir()
    same.write_text("date,followers\n2024-01-01,100\n2024-01-02,101\n2024-01-02,101\n")
    assert not any("given more than once" in n for n in toolkit.load(same, account="north_wind").notes)


def test_a_folder_load_passes_over_its_documents_and_names_them(tmp_path):
    # the UCI download holds the data next to its description (Facebook_metrics.txt); loading the
    # folder failed on the description
    (tmp_path / "dataset_Facebook.csv").write_bytes((ROOT / "data" / "real" / "dataset_Facebook.csv").read_bytes())
    (tmp_path / "Facebook_metrics.txt").write_text("Citation Request:\nThis dataset is public ...\n")
    (tmp_path / "README.md").write_text("# My exports\n")
    ds = toolkit.load(tmp_path, account="uci")
    assert len(ds.posts) == 500 and len(ds.report) == 1
    note = next(n for n in ds.notes if n.startswith("not read: files in the folder"))
    assert "Facebook_metrics.txt" in note and "README.md" in note
    with pytest.raises(DataFormatError, match="matches no supported format"):  # named on its own
        toolkit.load(tmp_path / "Facebook_metrics.txt")
    (tmp_path / "dataset_Facebook.csv").unlink()
    with pytest.raises(DataFormatError, match="documents only"):
        toolkit.load(tmp_path)


def test_posts_with_more_reach_than_impressions_are_loaded_as_written_and_counted():
    # reach counts people and impressions views, so reach above impressions means one of the two
    # is wrong; the UCI file has 4 such posts (e.g. row 9: reach 45,920, impressions 5,808)
    ds = toolkit.load(ROOT / "data" / "real" / "dataset_Facebook.csv")
    assert "4 posts report more reach than impressions" in ds.report.loc[0, "notes"]
    posts = ds.posts
    assert int((posts["reach"] > posts["impressions"]).sum()) == 4 and len(posts) == 500
