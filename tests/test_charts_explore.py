"""Exploration chart specs: encodings, titles that name the aggregation, and bounded data size."""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd
import pytest

from toolkit import metrics as m
from toolkit.charts import explore as ce
from toolkit.followers import detect_events, elasticity
from toolkit.simulate import simulate_profile


def _big_posts(n: int = 200_000, days: int = 1000, seed: int = 0) -> pd.DataFrame:
    """A large posts table (vectorised; the simulator's realism is not needed for spec sizes)."""
    rng = np.random.default_rng(seed)
    start = pd.Timestamp("2022-01-01", tz="UTC").value
    ts = np.sort(start + rng.integers(0, days * 86_400, n) * 1_000_000_000)
    impressions = rng.poisson(2000, n)
    frame = pd.DataFrame({
        "account": "big",
        "published_at": pd.to_datetime(ts, utc=True),
        "time_known": True,
        "media_type": pd.Categorical(rng.choice(["photo", "video", "link", "text"], n)),
        "content_label": rng.choice(["personal", "brand"], n),
        "impressions": pd.array(impressions, dtype="Int64"),
        "likes": pd.array(rng.poisson(40, n), dtype="Int64"),
        "comments": pd.array(rng.poisson(4, n), dtype="Int64"),
        "shares": pd.array(rng.poisson(3, n), dtype="Int64"),
        "clicks": pd.array(rng.poisson(5, n), dtype="Int64"),
        "followers": pd.array(np.linspace(10_000, 30_000, n).astype(int), dtype="Int64"),
    })
    return m.engagement(frame)


@pytest.fixture(scope="module")
def big():
    return _big_posts()


@pytest.fixture(scope="module")
def sim():
    return simulate_profile(days=400, seed=4, purge=("2024-06-01", 0.12), spike=("2024-10-01", 0.3))


def _layers(spec):
    return spec.get("layer", [spec])


def test_200k_posts_chart_without_max_rows_error_and_bounded_data(big):
    with alt.data_transformers.enable("default"):  # the 5,000-row limit is active
        charts = {
            "time_series": ce.time_series(big),
            "distribution": ce.distribution(big),
            "heatmap": ce.heatmap(big),
            "group_bars": ce.group_bars(big, "media_type"),
            "label_bars": ce.group_bars(big, "content_label"),
        }
        rows = {name: ce.data_rows(chart) for name, chart in charts.items()}
    assert rows["time_series"] <= 1000  # one row per day of the 1,000-day range
    assert rows["distribution"] == 40
    assert rows["heatmap"] == 168
    assert rows["group_bars"] == 4 and rows["label_bars"] == 2


def test_time_series_encodings_title_and_rolling(sim):
    posts = m.engagement(sim.posts)
    spec = ce.time_series(posts, how="mean_of_ratios", window=14).to_dict()
    points, line = spec["layer"]
    assert points["mark"]["type"] == "point" and line["mark"]["type"] == "line"
    for layer in (points, line):
        assert layer["encoding"]["x"]["field"] == "period" and layer["encoding"]["x"]["type"] == "temporal"
    assert points["encoding"]["y"]["field"] == "value" and line["encoding"]["y"]["field"] == "rolling"
    assert spec["title"]["text"] == "engagements per impression (mean of per-post ratios, by day), 14-day rolling"


def test_time_series_rolling_is_a_ratio_of_window_sums():
    posts = pd.DataFrame({
        "published_at": pd.to_datetime(["2024-01-01 10:00", "2024-01-02 10:00", "2024-01-04 10:00"], utc=True),
        "likes": pd.array([1, 9, 4], dtype="Int64"),
        "impressions": pd.array([10, 10, 40], dtype="Int64"),
    })
    table, freq = ce.time_series_table(posts, metric="likes", window=2)
    assert freq == "day" and len(table) == 4  # the empty 3 January is kept
    # day 2: (1 + 9) / (10 + 10); day 3: 9 / 10 (empty day adds nothing); day 4: 4 / 40
    assert table["rolling"].tolist() == pytest.approx([0.1, 0.5, 0.9, 0.1])
    assert table[m.N_POSTS].tolist() == [1, 1, 0, 1]


def test_time_series_coarsens_long_ranges(big):
    chart = ce.time_series(big, max_points=200)
    spec = chart.to_dict()
    assert ce.data_rows(chart) <= 200
    assert "by week" in spec["title"]["text"]
    assert spec["title"]["subtitle"] == "day coarsened to week: more than 200 points"


def test_distribution_counts_and_left_out_values():
    posts = pd.DataFrame({"likes": pd.array([0, 1, 2, 3, None], dtype="Int64")})
    table, info = ce.distribution_table(posts, metric="likes", bins=3)
    assert table["posts"].tolist() == [1, 1, 2] and info == {"n_na": 1, "n_zero": 0, "n": 4}
    chart = ce.distribution(posts, metric="likes", bins=3, log=True)
    spec = chart.to_dict()
    assert spec["encoding"]["x"]["scale"]["type"] == "log" and spec["encoding"]["x2"]["field"] == "bin_end"
    assert "1 zeros (log axis)" in spec["title"]["subtitle"] and "1 posts with no value" in spec["title"]["subtitle"]


def test_heatmap_encodings_and_sparse_marks(sim):
    spec = ce.heatmap(sim.posts, min_posts=5).to_dict()
    rect, dots = spec["layer"]
    enc = rect["encoding"]
    assert enc["x"]["field"] == "hour" and enc["x"]["type"] == "ordinal"
    assert enc["y"]["field"] == "weekday" and enc["y"]["sort"] == list(m.WEEKDAY_NAMES)
    assert enc["color"]["field"] == m.SHRUNK
    assert {t["field"] for t in enc["tooltip"]} >= {m.N_POSTS, m.CI_LOW, m.CI_HIGH, m.SPARSE}
    assert dots["mark"]["type"] == "text"
    assert "ratio of sums" in spec["title"]["text"]


def test_group_bars_with_intervals(sim):
    chart = ce.group_bars(sim.posts, "content_label", how="mean_of_ratios")
    spec = chart.to_dict()
    bars, rules = spec["layer"]
    assert rules["encoding"]["x"]["field"] == m.CI_LOW and rules["encoding"]["x2"]["field"] == m.CI_HIGH
    assert bars["encoding"]["y"]["field"] == "group" and bars["encoding"]["y"]["title"] == "content_label"
    assert spec["title"]["text"] == "engagements per impression (mean of per-post ratios, by content_label)"
    assert ce.data_rows(chart) == 2


def test_follower_history_marks_detected_events_and_thins_points(sim):
    events = detect_events(sim.followers)
    chart = ce.follower_history(sim.followers, events, max_points=100)
    spec = chart.to_dict()
    line, rules, labels = spec["layer"]
    assert rules["mark"]["type"] == "rule" and rules["encoding"]["x"]["field"] == "date"
    rows = spec["datasets"][spec["data"]["name"]]  # one dataset; layers filter it by series
    assert line["transform"] == [{"filter": "datum.series == 'followers'"}]
    assert rules["transform"] == [{"filter": "datum.series == 'event'"}]
    line_rows = [r for r in rows if r["series"] == "followers"]
    assert len(line_rows) <= 100 + 1 + 2 * len(events)
    event_rows = [r for r in rows if r["series"] == "event"]
    assert [r["kind"] for r in event_rows] == ["purge", "spike"]
    assert [r["date"][:10] for r in event_rows] == ["2024-06-01", "2024-10-01"]
    # the days before and of each event are kept, so the drop shows in the thinned line
    kept = {r["date"][:10] for r in line_rows}
    assert {"2024-05-31", "2024-06-01", "2024-09-30", "2024-10-01"} <= kept
    assert "2 events detected" in spec["title"]["subtitle"]


def test_follower_history_without_events():
    sim = simulate_profile(days=60, seed=2)
    spec = ce.follower_history(sim.followers).to_dict()
    assert "0 events detected" in spec["title"]["subtitle"]


def test_elasticity_chart_is_binned(sim):
    result = elasticity(sim.posts)
    chart = result.chart()
    spec = chart.to_dict()
    assert ce.data_rows(chart) <= 40 + 50
    assert spec["layer"][0]["encoding"]["x"]["scale"]["type"] == "log"


def test_template_reuses_structure_with_new_data_and_title(sim):
    posts = m.engagement(sim.posts)
    first = ce.time_series(posts)
    again = ce.time_series(posts, metric="likes", denominator="reach", template=first)
    fresh = ce.time_series(posts, metric="likes", denominator="reach")
    assert again.to_dict() == fresh.to_dict()
    assert first.to_dict()["title"]["text"].startswith("engagements per impression")
    cells = ce.heatmap(posts)
    assert ce.heatmap(posts, metric="clicks", template=cells).to_dict() == ce.heatmap(posts, metric="clicks").to_dict()


def test_group_bars_on_a_column_without_values_says_so(sim):
    # the simulator's posts carry media types; an X export does not: all NA
    posts = sim.posts.assign(media_type=pd.Series(pd.NA, index=sim.posts.index, dtype="string"))
    spec = ce.group_bars(posts, "media_type").to_dict()
    assert spec["mark"]["type"] == "text"
    rows = spec["datasets"][spec["data"]["name"]]
    assert rows == [{"message": ce.no_values_message("media_type")}]
    assert rows[0]["message"].startswith("No media type in these posts (X exports do not carry one)")
    assert spec["title"]["text"] == "engagements per impression (ratio of sums, by media_type)"
    # with values, the usual bars
    assert ce.group_bars(sim.posts, "media_type").to_dict()["layer"][0]["mark"]["type"] == "bar"


def test_ladder_chart_bars_are_weight_times_rate():
    posts = pd.DataFrame({"likes": pd.array([90, 10], dtype="Int64"), "shares": pd.array([2, 2], dtype="Int64"),
                          "clicks": pd.array([5, 5], dtype="Int64"), "follows": pd.array([1, 1], dtype="Int64"),
                          "impressions": pd.array([1000, 1000], dtype="Int64")})
    spec = ce.ladder_chart(m.ladder(posts, weights={"likes": 1, "shares": 0, "clicks": 10})).to_dict()
    rows = {r["signal"]: r for r in spec["datasets"][spec["data"]["name"]]}
    # per 1,000 impressions: likes 100/2000 -> 50, shares 4/2000 -> 2, clicks 10/2000 -> 5; follows unweighted
    assert set(rows) == {"likes", "shares", "clicks"}
    assert [rows[s]["weighted_per_1000"] for s in ("likes", "shares", "clicks")] == pytest.approx([50, 0, 50])
    assert "total score 100 per 1,000 impressions" in spec["title"]["subtitle"]
    empty = ce.ladder_chart(m.ladder(posts[["impressions"]])).to_dict()
    assert empty["mark"]["type"] == "text"


def _layer_data(spec: dict, layer: int) -> pd.DataFrame:
    return pd.DataFrame(spec["datasets"][spec["layer"][layer]["data"]["name"]])


@pytest.mark.parametrize("method", ["ols", "ppml"])
def test_elasticity_points_average_what_the_line_fits(method):
    # Seeded truth: likes proportional to followers with log-normal noise (sd 1). OLS on logs fits
    # the mean of log(likes), whose bin averages are geometric means; the plain means sit
    # exp(sd^2 / 2) = 1.65 times higher (closed form), so a chart mixing the two puts every bin
    # above the line. PPML fits the mean itself. Either way the line must run through the points.
    rng = np.random.default_rng(0)
    followers = np.round(np.exp(rng.uniform(np.log(1e3), np.log(1e5), 2000)))
    likes = np.round(0.05 * followers * np.exp(rng.normal(0, 1.0, 2000))).astype(int) + 1
    posts = pd.DataFrame({"followers": pd.array(followers.astype(int), dtype="Int64"),
                          "likes": pd.array(likes, dtype="Int64")})
    r = elasticity(posts, metric="likes", method=method)
    spec = r.chart().to_dict()
    points = _layer_data(spec, 0)
    line = np.exp(r.details["intercept"]) * points["x"] ** r.table.loc[0, "elasticity"]
    ratio = points["y"] / line
    assert 0.9 < ratio.median() < 1.1 and 0.3 < (ratio > 1).mean() < 0.7
    average = "geometric mean per bin" if method == "ols" else "mean per bin"
    assert spec["layer"][0]["encoding"]["y"]["title"] == f"likes ({average})"


def test_rolling_total_leaves_out_periods_whose_metric_is_unknown():
    # one post a day with 100 likes; days 4-6 come from an export without likes: their total is
    # unknown, not 0, so a 3-day mean of daily totals stays 100 (hand-computed), and a window
    # holding only unknown days has no value. A day without posts is a real total of 0.
    days = pd.date_range("2024-01-01 12:00", periods=10, freq="D", tz="UTC")
    likes = pd.array([100, 100, 100, None, None, None, 100, 100, 100, 100], dtype="Int64")
    posts = pd.DataFrame({"published_at": days, "likes": likes})
    table, _ = ce.time_series_table(posts, metric="likes", denominator=None, how="sum", window=3)
    assert table["rolling"].iloc[:5].tolist() == [100.0] * 5
    assert np.isnan(table["rolling"].iloc[5]) and table["rolling"].iloc[6:].tolist() == [100.0] * 4
    gap = posts.drop(index=[3, 4, 5]).assign(likes=pd.array([100] * 7, dtype="Int64"))
    table, _ = ce.time_series_table(gap, metric="likes", denominator=None, how="sum", window=3)
    assert table["rolling"].round(6).tolist()[2:7] == [100.0, 66.666667, 33.333333, 0.0, 33.333333]


def test_heatmap_says_how_many_posts_have_no_time_of_day():
    posts = simulate_profile(days=30, seed=1).posts.copy()
    posts["time_known"] = np.arange(len(posts)) % 4 != 0  # every fourth post gives a date only
    untimed = int((~posts["time_known"]).sum())
    chart = ce.heatmap(posts)
    data = pd.DataFrame(chart.to_dict()["datasets"][chart.to_dict()["data"]["name"]])
    assert data["n_posts"].sum() == len(posts) - untimed
    assert f"{untimed:,} posts without a time of day left out" in chart.to_dict()["title"]["subtitle"]
    none = ce.heatmap(posts.assign(time_known=False)).to_dict()
    assert none["mark"]["type"] == "text" and "no weekday x hour grid" in str(none)


def test_follower_line_breaks_at_days_without_a_count():
    f = simulate_profile(days=120, seed=1).followers.copy()
    gap = (f["date"] >= "2024-02-01") & (f["date"] < "2024-03-15")
    f.loc[gap, "followers"] = pd.NA  # 43 days the export has no count for
    table = ce.follower_history_table(f)
    inside = table[(table["date"] >= "2024-02-01") & (table["date"] < "2024-03-15")]
    # one missing row opens the gap (Vega breaks a line at a null), no count is made up inside it
    assert len(inside) == 1 and inside["followers"].isna().all()
    assert table["followers"].notna().sum() == int((~gap).sum())
    thin = ce.follower_history_table(f, max_points=20)
    assert thin.loc[thin["date"] == "2024-02-01", "followers"].isna().all()
    assert (thin["date"] == "2024-03-15").any()  # the line restarts on the first counted day


def test_follower_history_shares_its_rows_between_histories():
    f = simulate_profile(days=730, seed=1).followers
    many = pd.concat([f.assign(account=f"acct{i}") for i in range(12)], ignore_index=True)
    table = ce.follower_history_table(many, max_points=1500)
    assert table["account"].nunique() == 12 and len(table) <= 1500 + 12 * 2
    ce.follower_history(many, events=None).to_dict()  # under Altair's row limit: no MaxRowsError


def test_chart_parameters_are_checked_and_named():
    from toolkit.errors import AnalysisError

    posts = simulate_profile(days=20, seed=1).posts
    cases = [
        (lambda: ce.distribution(posts, metric="text"), "parameter 'metric'.*numeric"),
        (lambda: ce.distribution(posts, denominator="impresions"), "parameter 'denominator'.*no such column"),
        (lambda: ce.distribution(posts, bins=0), "parameter 'bins'"),
        (lambda: ce.time_series(posts, window=2.5), "parameter 'window'"),
        (lambda: ce.time_series(posts, tz="Europe/Lisbn"), "parameter 'tz'"),
    ]
    for call, message in cases:
        with pytest.raises(AnalysisError, match=message):
            call()
    # a rate per post: exposures of 0 or missing leave the post out (as metrics.rate does)
    table, info = ce.distribution_table(posts.assign(impressions=pd.array([0] + [100] * (len(posts) - 1),
                                                                           dtype="Int64")),
                                        metric="likes", denominator="impressions")
    assert info["n_na"] == 1 and info["n"] == len(posts) - 1


def test_charts_say_why_there_is_nothing_to_draw():
    posts = simulate_profile(days=30, seed=1).posts
    no_likes = posts.assign(likes=pd.array([None] * len(posts), dtype="Int64"))
    nothing = posts[posts["published_at"] > "2030-01-01"]

    def message(chart):
        spec = chart.to_dict()
        return spec["mark"]["type"] == "text" and spec["datasets"][spec["data"]["name"]][0]["message"]

    for build in (lambda p: ce.time_series(p, metric="likes"), lambda p: ce.heatmap(p, metric="likes"),
                  lambda p: ce.group_bars(p, "content_label", metric="likes")):
        assert message(build(no_likes)) == (f"No post here has both likes and impressions ({len(posts):,} "
                                            "posts), so there is nothing to chart.")
        assert message(build(nothing)) == "No posts in this selection, so there is nothing to chart."
    assert "No post here has likes (" in message(ce.time_series(no_likes, metric="likes", how="sum"))


def test_toolkit_charts_offers_every_public_builder():
    import importlib

    import toolkit.charts as charts

    modules = {"explore", "lift", "before_after", "design"}
    public = {n for mod in modules for n in importlib.import_module(f"toolkit.charts.{mod}").__all__}
    assert set(charts.__all__) == public
    assert all(getattr(charts, n) is not None for n in public)


def test_follower_thinning_keeps_the_budget_the_last_count_and_only_real_histories():
    f = simulate_profile(days=730, seed=1).followers
    # counts on alternate days only: single missing days are not gaps worth a break when thinned
    sparse = pd.concat([f.assign(account=f"a{i}") for i in range(8)], ignore_index=True)
    sparse.loc[sparse.index % 2 == 1, "followers"] = pd.NA
    assert len(ce.follower_history_table(sparse)) <= ce.MAX_POINTS + 8 * 2
    ce.follower_history(sparse, events=None).to_dict()  # no MaxRowsError
    # a history whose last days have no count still ends on its last count
    tail = f.copy()
    tail.loc[tail.index[-10:], "followers"] = pd.NA
    table = ce.follower_history_table(tail, max_points=100)
    assert table["date"].max() == tail.dropna(subset=["followers"])["date"].max()
    # a platform history without any count (an overview's flows) is not a line of its own
    flows = f.assign(platform="x", followers=pd.array([None] * len(f), dtype="Int64"))
    both = pd.concat([f.assign(platform=pd.NA), flows], ignore_index=True)
    assert ce.follower_history_table(both)["account"].unique().tolist() == [f["account"].iloc[0]]


def _every_builder() -> dict:
    """Every chart builder of the package, each with inputs that give it something to draw."""
    import toolkit
    from toolkit.charts import before_after as cba
    from toolkit.design import fit_history, power

    sim = simulate_profile(days=120, posts_per_day=2, seed=4, start="2024-01-01", change="2024-03-01",
                           purge=("2024-04-20", 0.1))  # a purge well after the change (no confound)
    posts = m.engagement(sim.posts)
    ba = toolkit.before_after(posts, change="2024-03-01", method=["glm", "its"])
    lift = toolkit.content_lift(posts, label=("content_label", "personal"), metric="likes", method="glm")
    pw = power(history=fit_history(posts, metric="likes"), lifts=[0.2], weeks=[2, 4], n_sims=10, seed=1,
               progress=False)
    return {
        "time_series": lambda: ce.time_series(posts), "group_bars": lambda: ce.group_bars(posts, "media_type"),
        "heatmap": lambda: ce.heatmap(posts), "distribution": lambda: ce.distribution(posts),
        "follower_history": lambda: ce.follower_history(sim.followers, detect_events(sim.followers)),
        "message": lambda: ce.message_chart("title", "nothing to show"),
        "ladder": lambda: ce.ladder_chart(m.ladder(posts)),
        "elasticity": lambda: ce.elasticity_chart(elasticity(posts, metric="likes")),
        "before_after": ba.chart, "lift": lift.chart, "power": pw.chart,
        "placebo": lambda: cba.placebo_chart(pd.DataFrame({"lift": np.linspace(-0.2, 0.2, 30)}), 0.25),
    }


def test_chart_builders_make_their_channels_without_altairs_schema_search(monkeypatch):
    # Altair builds a channel given as a shorthand string or an alt.value dict by searching its
    # whole schema (one _FromDict per channel, 5-15 ms each); the builders give channel objects
    import altair.utils.schemapi as schemapi

    builders = _every_builder()
    searches = []
    original = schemapi._FromDict.__init__
    monkeypatch.setattr(schemapi._FromDict, "__init__",
                        lambda self, *a, **k: (searches.append(1), original(self, *a, **k))[1])
    for name, build in builders.items():
        searches.clear()
        build()
        assert not searches, f"{name}: {len(searches)} channel(s) built by schema search"


def test_every_chart_builder_passes_the_vega_lite_schema_check():
    # live panels display their charts without Altair's schema check (toolkit.display.redrawn);
    # this is where the builders' specs are checked instead
    for name, build in _every_builder().items():
        try:
            build().to_dict(validate=True)
        except Exception as exc:  # noqa: BLE001 - name the builder
            raise AssertionError(f"{name}: {exc}") from exc
