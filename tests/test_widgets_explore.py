"""ExplorePanel driven by setting widget values, checking the charts and tables it produces."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from toolkit import metrics as m
from toolkit.errors import AnalysisError
from toolkit.simulate import simulate_profile
from toolkit.widgets.explore import ALL, PER_POST, ExplorePanel


@pytest.fixture(scope="module")
def data():
    a = simulate_profile(days=120, seed=11, account="alice", platform="x", purge=("2024-03-01", 0.1))
    b = simulate_profile(days=120, seed=12, account="bob", platform="instagram", followers_start=20000)
    posts = pd.concat([a.posts, b.posts], ignore_index=True)
    followers = pd.concat([a.followers, b.followers], ignore_index=True)
    return posts, followers


@pytest.fixture()
def panel(data):
    posts, followers = data
    return ExplorePanel(posts, followers)


def _spec(chart):
    return chart.to_dict()


def _rows(chart):
    spec = chart.to_dict()
    return spec["datasets"][spec["data"]["name"]]


def test_initial_views(panel, data):
    posts, _ = data
    assert set(panel.charts) >= {"time_series", "media_type", "content_label", "heatmap", "distribution",
                                 "followers"}
    assert panel.status.value == f"{len(posts):,} posts selected."
    assert _spec(panel.charts["time_series"])["title"]["text"].startswith(
        "engagements per impression (ratio of sums, by day)")
    # the purge planted in alice's history is listed, and nothing for bob
    assert panel.tables["events"][["account", "kind"]].values.tolist() == [["alice", "purge"]]


def test_metric_change_rebuilds_rate_views_only(panel):
    before = _spec(panel.charts["followers"])
    panel.metric.value = "clicks"
    assert set(panel.rebuilt) == {"summary", "time_series", "groups", "heatmap", "distribution", "top"}
    assert _spec(panel.charts["time_series"])["title"]["text"].startswith("clicks per impression")
    assert _spec(panel.charts["distribution"])["title"]["text"] == "Distribution of clicks per impressions per post"
    assert _spec(panel.charts["followers"]) == before
    assert panel.tables["summary"]["measure"].iloc[0] == "clicks per impression (ratio of sums)"


def test_period_change_rebuilds_time_series_only(panel):
    panel.freq.value = "week"
    assert panel.rebuilt == ["time_series"]
    assert "by week" in _spec(panel.charts["time_series"])["title"]["text"]
    assert len(_rows(panel.charts["time_series"])) <= 19  # 120 days


def test_aggregation_toggle_changes_numbers_and_titles(panel, data):
    posts, _ = data
    ratio = panel.tables["summary"]["value"].iloc[0]
    panel.how.value = "mean_of_ratios"
    mean = panel.tables["summary"]["value"].iloc[0]
    # independent path: metrics.aggregate over the whole table
    expect = m.aggregate(posts, "year", how="mean_of_ratios")["value"].iloc[0]
    assert mean == pytest.approx(expect)
    assert ratio == pytest.approx(m.aggregate(posts, "year")["value"].iloc[0])
    assert ratio != pytest.approx(mean)
    assert "mean of per-post ratios" in _spec(panel.charts["heatmap"])["title"]["text"]
    assert "mean of per-post ratios" in _spec(panel.charts["media_type"])["title"]["text"]


def test_account_filter(panel, data):
    posts, _ = data
    panel.account.value = "bob"
    bob = posts[posts["account"] == "bob"]
    assert panel.status.value == f"{len(bob):,} posts selected."
    assert panel.tables["summary"]["posts used"].iloc[0] == len(bob)
    assert panel.tables["events"].empty
    # group table equals metrics.aggregate on bob's posts alone
    expect = m.aggregate(bob, "media_type")
    got = panel.tables["by_media_type"]
    assert got["media_type"].astype(str).tolist() == expect["media_type"].astype(str).tolist()
    assert got["value"].astype(float).tolist() == pytest.approx(expect["value"].astype(float).tolist())
    assert panel.tables["top"]["account"].eq("bob").all()
    panel.account.value = ALL
    panel.platform.value = "x"
    assert panel.tables["summary"]["posts used"].iloc[0] == (posts["platform"] == "x").sum()


def test_date_range_filter(panel, data):
    posts, _ = data
    panel.start.value = dt.date(2024, 2, 1)
    panel.end.value = dt.date(2024, 2, 29)
    rows = _rows(panel.charts["time_series"])
    assert rows[0]["period"][:10] >= "2024-02-01" and rows[-1]["period"][:10] <= "2024-02-29"
    day = posts["published_at"].dt.floor("D")
    n = int(((day >= pd.Timestamp("2024-02-01", tz="UTC")) & (day <= pd.Timestamp("2024-02-29", tz="UTC"))).sum())
    assert panel.status.value == f"{n:,} posts selected."
    # the 1 March purge is outside the range now
    assert panel.tables["events"].empty
    panel.end.value = dt.date(2024, 3, 31)
    assert panel.tables["events"]["date"].dt.strftime("%Y-%m-%d").tolist() == ["2024-03-01"]
    assert len(panel.tables["around_events"]) == 1


def test_heatmap_cells_match_metrics(panel, data):
    posts, _ = data
    panel.denominator.value = "reach"
    expect = m.weekday_hour(posts, denominator="reach")
    got = panel.tables["heatmap"]
    assert got["n_posts"].tolist() == expect["n_posts"].tolist()
    assert got["shrunk"].astype(float).tolist() == pytest.approx(expect["shrunk"].astype(float).tolist())


def test_per_post_denominator(panel):
    panel.denominator.value = PER_POST
    assert _spec(panel.charts["time_series"])["title"]["text"].startswith("engagements per post (mean per post")
    assert panel.tables["top"]["engagements"].is_monotonic_decreasing


def test_empty_selection_is_reported_not_raised(panel):
    panel.start.value = dt.date(2024, 4, 1)
    panel.end.value = dt.date(2024, 3, 1)
    assert "no posts selected" in panel.status.value
    assert "time_series" not in panel.charts
    panel.end.value = dt.date(2024, 4, 20)
    assert "time_series" in panel.charts


def test_static_outputs_and_bad_arguments(panel, data):
    outs = panel.static_outputs()
    assert any(isinstance(o, pd.DataFrame) for o in outs) and len(outs) >= 8
    posts, _ = data
    with pytest.raises(AnalysisError) as err:
        ExplorePanel(posts, metric="hearts")
    assert err.value.parameter == "metric"
    with pytest.raises(AnalysisError):
        ExplorePanel(posts.iloc[:0])


def test_without_followers(data):
    posts, _ = data
    panel = ExplorePanel(posts.drop(columns=["followers"]), None)
    assert "followers" not in panel.charts
    panel.metric.value = "likes"
    assert "followers" not in panel.rebuilt
    assert [d for _, d in panel.denominator.options] == [PER_POST, "impressions", "reach"]
    assert np.isfinite(panel.tables["summary"]["value"].astype(float)).all()


def test_group_columns_without_values_are_skipped(data):
    posts, _ = data
    panel = ExplorePanel(posts.assign(media_type=pd.Series(pd.NA, index=posts.index, dtype=posts["media_type"].dtype)))
    assert "media_type" not in panel.charts and "content_label" in panel.charts


def test_group_column_without_values_says_so(data):
    # X exports carry no media type: the panel says so in words instead of drawing an empty chart
    posts, _ = data
    no_media = posts.assign(media_type=pd.Series(pd.NA, index=posts.index, dtype=posts["media_type"].dtype))
    panel = ExplorePanel(no_media)
    assert "media_type" not in panel.charts and "by_media_type" not in panel.tables
    assert panel.notes["media_type"].startswith("No media type in these exports")
    assert panel.notes["media_type"] in [o for o in panel.static_outputs() if isinstance(o, str)]
    # one account without media type, the other with: only the selection without says so
    mixed = posts.assign(media_type=posts["media_type"].where(posts["account"] == "bob"))
    panel = ExplorePanel(mixed)
    assert "media_type" in panel.charts and "media_type" not in panel.notes
    panel.account.value = "alice"
    assert "media_type" not in panel.charts
    assert panel.notes["media_type"].startswith("No media type in this selection")
    panel.account.value = "bob"
    assert "media_type" in panel.charts and "media_type" not in panel.notes


def test_metric_without_values_in_selection_says_so(data):
    posts, _ = data
    # bob's export has no clicks: choosing clicks for bob shows a sentence, not empty charts
    posts = posts.assign(clicks=posts["clicks"].where(posts["account"] == "alice"))
    panel = ExplorePanel(posts)
    panel.metric.value = "clicks"
    assert "time_series" in panel.charts
    panel.account.value = "bob"
    for view in ("time_series", "heatmap", "distribution"):
        assert view not in panel.charts
    assert panel.notes["time_series"] == "No clicks in this selection (its exports do not carry them), " \
                                         "so there is nothing to chart."
    assert "top" in panel.notes
    summary = panel.tables["summary"].iloc[0]  # the summary keeps its row: NA, over 0 posts
    assert pd.isna(summary["value"]) and summary["posts used"] == 0
    panel.account.value = "alice"
    assert "time_series" in panel.charts and "time_series" not in panel.notes


def test_views_with_nothing_to_show_keep_no_stale_tables():
    import datetime

    from toolkit.simulate import simulate_profile
    from toolkit.widgets.explore import ExplorePanel

    posts = simulate_profile(days=60, seed=2).posts
    panel = ExplorePanel(posts)
    assert {"summary", "heatmap", "top"} <= set(panel.tables)
    panel.start.value = datetime.date(2030, 1, 1)  # after every post
    assert not {"summary", "ladder", "heatmap", "top", "bottom"} & set(panel.tables)


def test_the_heatmap_chart_alone_says_which_posts_have_no_time_of_day():
    # one message, the chart's (toolkit.charts.explore.heatmap); the panel adds no note of its own
    from toolkit.charts.explore import heatmap
    from toolkit.simulate import simulate_profile
    from toolkit.widgets.explore import ExplorePanel

    posts = simulate_profile(days=60, seed=2).posts
    dated = posts.assign(time_known=False)  # date-only exports: no time of day
    panel = ExplorePanel(dated)
    assert "heatmap" not in panel.notes and panel.tables["heatmap"]["n_posts"].sum() == 0
    assert _spec(panel.charts["heatmap"]) == heatmap(dated).to_dict()
    assert (f"None of these posts has a known time of day ({len(posts):,} give a day only, or a date "
            "the loader rebuilt)") in str(_spec(panel.charts["heatmap"]))
    assert any(o is panel.charts["heatmap"] for o in panel.static_outputs())
    some = posts.assign(time_known=np.arange(len(posts)) % 4 != 0)  # every fourth post: a date only
    panel = ExplorePanel(some)
    untimed = int((~some["time_known"]).sum())
    assert f"{untimed:,} posts without a time of day left out" in _spec(panel.charts["heatmap"])["title"]["subtitle"]
    panel.start.value = dt.date(2024, 2, 1)  # the count follows the selection
    kept = some[some["published_at"] >= pd.Timestamp("2024-02-01", tz="UTC")]
    assert f"{int((~kept['time_known']).sum()):,} posts without a time of day left out" \
        in _spec(panel.charts["heatmap"])["title"]["subtitle"]


def test_posts_without_a_group_value_are_a_bar_of_their_own():
    from toolkit.simulate import simulate_profile
    from toolkit.widgets.explore import ExplorePanel

    posts = simulate_profile(days=60, seed=2).posts
    posts["content_label"] = posts["content_label"].mask(posts.index % 4 == 0)
    table = ExplorePanel(posts).tables["by_content_label"]
    assert table["n_posts"].sum() == len(posts) and table["content_label"].isna().sum() == 1


def test_a_view_with_nothing_to_draw_says_so_and_the_next_change_draws_again():
    # saves only on posts without impressions: each column has values, no post has both
    posts = simulate_profile(days=60, seed=3).posts.copy()
    half = np.arange(len(posts)) % 2 == 0
    posts["saves"] = pd.array(np.where(half, 4, np.nan), dtype="Float64").astype("Int64")
    posts["impressions"] = posts["impressions"].mask(half)
    panel = ExplorePanel(posts)
    panel.metric.value = "saves"
    message = _spec(panel.charts["time_series"])
    assert message["mark"]["type"] == "text" and "both saves and impressions" in str(message)
    panel.metric.value = "likes"  # a view with values is drawn in full again, not into the message
    assert [layer["mark"]["type"] for layer in _spec(panel.charts["time_series"])["layer"]] == ["point", "line"]
    assert len(_rows(panel.charts["time_series"])) > 1


def test_posts_without_impressions_open_per_post_instead_of_failing():
    # a Hootsuite export has no impressions: the default denominator falls back (here: per post)
    from pathlib import Path

    import toolkit

    folder = Path(__file__).resolve().parent / "fixtures" / "hootsuite"
    posts = toolkit.engagement(toolkit.load(folder, cache=False, progress=False).posts)
    assert posts["impressions"].isna().all()
    panel = ExplorePanel(posts)
    assert panel.denominator.value == PER_POST
    assert len(_rows(panel.charts["time_series"])) > 1
    with pytest.raises(AnalysisError, match="denominator"):
        ExplorePanel(posts, denominator="reach")


def _three_posts(**extra):
    return pd.DataFrame({
        "account": "me", "platform": "x", "post_id": ["a", "b", "c"],
        "published_at": pd.to_datetime(["2024-01-01 00:00", "2024-01-02 00:00", "2024-01-02 15:00"], utc=True),
        "time_known": [False, False, True],
        "likes": pd.array([3, 5, 7], dtype="Int64"), "clicks": pd.array([1, 0, 2], dtype="Int64"),
        "impressions": pd.array([100, 100, 100], dtype="Int64"), **extra})


def test_panel_keeps_date_only_posts_on_their_day_west_of_utc():
    # a date-only post is stored at midnight UTC; the panel moved it to the day before in New
    # York, where metrics.aggregate keeps it on its own day
    panel = ExplorePanel(_three_posts(), metric="likes", tz="America/New_York")
    assert (panel.start.value, panel.end.value) == (dt.date(2024, 1, 1), dt.date(2024, 1, 2))


def test_panel_ladder_uses_the_panels_weights():
    weights = {"likes": 1, "clicks": 10}
    panel = ExplorePanel(_three_posts(), metric="weighted_engagement", weights=weights)
    ladder = panel.tables["ladder"].set_index("signal")
    assert ladder.loc["clicks", "weight"] == 10 and ladder.loc["likes", "weight"] == 1


@pytest.mark.parametrize("kwargs, parameter", [
    (dict(freq="quarter"), "freq"),          # a traitlets TraitError
    (dict(tz="Mars/Base"), "tz"),             # ZoneInfoNotFoundError
    (dict(window="x"), "window"),             # ValueError from int()
    (dict(top_n=0), "top_n"),                 # named 'n', top_posts' own parameter
])
def test_panel_names_a_bad_choice(kwargs, parameter):
    with pytest.raises(AnalysisError) as err:
        ExplorePanel(_three_posts(), metric="likes", **kwargs)
    assert err.value.parameter == parameter


def test_panel_reads_text_times_and_passes_over_a_missing_one():
    posts = _three_posts()
    text = posts.assign(published_at=["2024-01-01T00:00:00Z", "2024-01-02T00:00:00Z", "2024-01-02T15:00:00Z"])
    assert ExplorePanel(text, metric="likes").end.value == dt.date(2024, 1, 2)
    missing = posts.assign(published_at=posts["published_at"].where([True, True, False]))
    assert ExplorePanel(missing, metric="likes").end.value == dt.date(2024, 1, 2)


def test_an_empty_selection_is_said_in_a_static_report_too():
    # the live panel said "No posts in this selection."; static_outputs showed nothing at all
    panel = ExplorePanel(_three_posts(), metric="likes")
    panel.start.value = dt.date(2024, 3, 1)  # after the last post
    outputs = panel.static_outputs()
    assert outputs and all(o == "No posts in this selection." for o in outputs if isinstance(o, str))
    assert "No posts in this selection." in outputs


def test_events_of_an_account_without_posts_are_shown_without_engagement_around_them(data):
    # carol's history has a purge but carol has no posts: the events table shows it, the table of
    # engagement around events has nothing for it (engagement_around_events refuses an account
    # without posts rather than report 0 posts)
    posts, followers = data
    carol = simulate_profile(days=120, seed=13, account="carol", platform="x", purge=("2024-02-01", 0.2))
    panel = ExplorePanel(posts, pd.concat([followers, carol.followers], ignore_index=True))
    assert sorted(panel.tables["events"]["account"]) == ["alice", "carol"]
    assert panel.tables["around_events"]["account"].tolist() == ["alice"]
