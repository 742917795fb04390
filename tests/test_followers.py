"""Follower events and elasticity, on the simulator's planted truth and on closed forms."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from toolkit import followers as fl
from toolkit.errors import AnalysisError
from toolkit.metrics import engagement
from toolkit.simulate import simulate_profile


def _history(level, start="2024-01-01", account="me", **flows):
    days = pd.date_range(start, periods=len(level), freq="D", tz="UTC")
    frame = pd.DataFrame({"account": account, "date": days, "followers": pd.array(level, dtype="Int64")})
    for name, values in flows.items():
        frame[name] = pd.array(values, dtype="Int64")
    return frame


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_planted_purge_and_spike_found_on_their_dates(seed):
    # seeded simulation with known truth: simulate.truth holds each event's date and follower change
    sim = simulate_profile(days=365, seed=seed, purge=("2024-03-15", 0.1), spike=("2024-08-01", 0.3))
    events = fl.detect_events(sim.followers)
    assert events["kind"].tolist() == ["purge", "spike"]
    assert events["date"].tolist() == [sim.truth["purge"]["date"], sim.truth["spike"]["date"]]
    # the excess over the usual daily change is the planted jump, give or take a few days' organic flow
    for (_, ev), kind in zip(events.iterrows(), ("purge", "spike")):
        assert ev["size"] == pytest.approx(sim.truth[kind]["followers_delta"], abs=30)
        assert ev["days"] == 1
    assert events["relative_size"].iloc[0] == pytest.approx(-0.1, abs=0.01)


def test_small_purge_is_found():
    # 2% of 20,000 followers: well above the day-to-day noise, above the 0.5% floor
    sim = simulate_profile(days=200, seed=7, followers_start=20000, purge=("2024-05-02", 0.02))
    events = fl.detect_events(sim.followers)
    assert events["date"].tolist() == [pd.Timestamp("2024-05-02", tz="UTC")]
    assert events["kind"].tolist() == ["purge"]


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_no_event_series_finds_nothing(seed):
    sim = simulate_profile(days=730, seed=seed, posts_per_day=0.5)
    assert len(fl.detect_events(sim.followers)) == 0


def test_steady_and_smooth_histories_find_nothing():
    assert len(fl.detect_events(_history([1000 + 3 * i for i in range(100)]))) == 0
    assert len(fl.detect_events(_history([5000] * 50))) == 0


def test_event_from_flows_only_and_across_a_gap():
    rng = np.random.default_rng(3)
    new = rng.poisson(8, 120)
    lost = rng.poisson(3, 120)
    lost[60] += 400
    flows = _history([None] * 120, new_follows=new, unfollows=lost)
    events = fl.detect_events(flows)
    assert events["date"].dt.strftime("%Y-%m-%d").tolist() == ["2024-03-01"]  # day 60
    # the same history with counts, missing the two days before the purge
    level = 10000 + np.cumsum(new - lost)
    counts = _history(level).drop(index=[58, 59])
    events = fl.detect_events(counts)
    assert events["date"].dt.strftime("%Y-%m-%d").tolist() == ["2024-03-01"]
    assert events["size"].iloc[0] == pytest.approx(-400, abs=40)


def test_consecutive_days_form_one_event():
    level = [1000 + 2 * i for i in range(80)]
    level = level[:40] + [v - 150 for v in level[40:]]
    level = level[:41] + [v - 150 for v in level[41:]]
    events = fl.detect_events(_history(level))
    assert len(events) == 1 and events["days"].iloc[0] == 2 and events["size"].iloc[0] == -300


def test_detect_events_errors():
    with pytest.raises(AnalysisError) as err:
        fl.detect_events(pd.DataFrame({"followers": [1, 2]}))
    assert err.value.column == "date"
    with pytest.raises(AnalysisError):
        fl.detect_events(_history([1, 2, 3]), threshold=-1)


def test_follower_growth_hand_computed():
    history = _history(list(range(100, 114)), new_follows=[1] * 14, unfollows=[0] * 14)
    weekly = fl.follower_growth(history, "week")
    # a week starts from the previous week's last count, so the changes add up to 113 - 100
    assert weekly["followers_start"].tolist() == [100, 106]
    assert weekly["followers_end"].tolist() == [106, 113]
    assert weekly["net_change"].tolist() == [6, 7]
    assert weekly["growth"].tolist() == pytest.approx([0.06, 7 / 106])
    assert weekly["new_follows"].tolist() == [7, 7]
    assert list(weekly.columns) == list(fl.GROWTH_COLUMNS)
    daily = fl.follower_growth(history, "day")
    assert daily["net_change"].tolist() == [0] + [1] * 13  # the first day has no day before it
    assert daily["growth"].iloc[1:].tolist() == pytest.approx([1 / v for v in range(100, 113)])


def test_follower_series_are_per_account_and_platform():
    # one handle on two platforms: two steady histories at very different levels, not one jumpy one
    insta = _history([5000 + 3 * i for i in range(60)], account="acme").assign(platform="instagram")
    x = _history([800 + i for i in range(60)], account="acme").assign(platform="x")
    both = pd.concat([insta, x], ignore_index=True)
    assert fl.detect_events(both).empty
    growth = fl.follower_growth(both, "week")
    assert set(growth["platform"]) == {"instagram", "x"}
    assert (growth["net_change"] >= 0).all()
    changes = fl.daily_changes(both)
    assert changes.groupby("platform")["change"].unique().map(list).to_dict() == {"instagram": [3], "x": [1]}


def test_repeated_days_in_a_hand_built_history_are_an_error():
    history = _history([100, 101, 102])
    with pytest.raises(AnalysisError, match="one row per account, platform and day") as err:
        fl.detect_events(pd.concat([history, history.iloc[[1]]]))
    assert "2024-01-02" in str(err.value)


def test_purge_of_inactive_followers_raises_engagement_per_follower_only():
    # simulate: purged followers are inactive, so engagement per post does not follow the count.
    # per follower = per post / followers; followers fall by 30% at the purge and grow 0.1% a day
    # (simulate's default follower_growth), so the mean count of the 28 days after is about
    # 0.7 * (1 + 28 * 0.001) times that of the 28 days before: log gap -log(0.7) - 0.028
    sim = simulate_profile(days=240, posts_per_day=3, seed=0, purge=("2024-04-01", 0.3))
    events = fl.detect_events(sim.followers)
    out = fl.engagement_around_events(engagement(sim.posts), events)
    row = out.iloc[0]
    assert row["n_before"] > 50 and row["n_after"] > 50
    gap = np.log1p(row["per_follower_change"]) - np.log1p(row["per_post_change"])
    assert gap == pytest.approx(-np.log(0.7) - 0.028, abs=0.02)
    assert np.log1p(row["denominator_effect"]) == pytest.approx(gap)


@pytest.mark.filterwarnings("ignore::statsmodels.tools.sm_exceptions.PerfectSeparationWarning")  # an exact fit is the point of the case
def test_elasticity_closed_forms():
    # y = 3 x^0.5 exactly: OLS on logs and Poisson PML both give b = 0.5
    x = np.array([100, 400, 900, 1600, 2500, 3600])
    posts = pd.DataFrame({"followers": pd.array(x, dtype="Int64"),
                          "likes": pd.array(3 * np.sqrt(x), dtype="Int64")})
    for method in ("ols", "ppml"):
        r = fl.elasticity(posts, metric="likes", method=method)
        assert r.table.loc[0, "elasticity"] == pytest.approx(0.5, abs=1e-9)
        assert r.table.loc[0, "lift"] == pytest.approx(2**0.5 - 1, abs=1e-9)
    assert list(r.table.columns[:8]) == ["method", "metric", "lift", "ci_low", "ci_high", "p_value",
                                         "n_baseline", "n_treatment"]


def test_elasticity_drops_zeros_for_ols_and_keeps_them_for_ppml():
    posts = pd.DataFrame({"followers": pd.array([100, 200, 400, 800, 1600], dtype="Int64"),
                          "likes": pd.array([0, 2, 4, 8, 16], dtype="Int64")})
    ols = fl.elasticity(posts, metric="likes")
    assert ols.table.loc[0, "n_dropped"] == 1 and "zero likes" in ols.text
    ppml = fl.elasticity(posts, metric="likes", method="ppml")
    assert ppml.table.loc[0, "n_baseline"] == 5


def test_elasticity_across_accounts_recovers_proportional_truth():
    # simulate: engagement is proportional to the active audience, so across accounts of very
    # different sizes the elasticity is 1
    posts = pd.concat([
        simulate_profile(days=60, seed=100 + i, followers_start=int(f), account=f"a{i}").posts
        for i, f in enumerate(np.geomspace(1000, 1e6, 12))
    ])
    r = fl.elasticity(posts, level="account")
    row = r.table.iloc[0]
    assert row["elasticity_ci_low"] <= 1 <= row["elasticity_ci_high"]
    assert row["elasticity"] == pytest.approx(1, abs=0.05)
    assert "12 accounts" in r.text and "descriptive" in r.assumptions



def test_elasticity_p_value_tests_no_relation_like_its_interval():
    # the standard p_value tests lift = 0 (b = 0), so at level_ci = 0.95 it is below 0.05 exactly
    # when the lift's interval leaves out 0 (closed form: the Wald t of b and of b - 1, n - 2 df)
    from scipy import stats

    rng = np.random.default_rng(7)
    x = np.geomspace(100, 100_000, 60)
    cases = {"proportional": rng.poisson(x / 50), "unrelated": rng.poisson(40, size=x.size)}
    significant = {}
    for name, y in cases.items():
        posts = pd.DataFrame({"followers": pd.array(x.round(), dtype="Int64"), "likes": pd.array(y, dtype="Int64")})
        row = fl.elasticity(posts, metric="likes", method="ppml").table.iloc[0]
        b, se = row["elasticity"], row["se"]
        assert row["df"] == x.size - 2
        assert row["p_value"] == pytest.approx(2 * stats.t.sf(abs(b) / se, x.size - 2))
        assert row["p_value_proportional"] == pytest.approx(2 * stats.t.sf(abs(b - 1) / se, x.size - 2))
        significant[name] = row["p_value"] < 0.05
        assert significant[name] == (row["ci_low"] > 0 or row["ci_high"] < 0)
    assert significant == {"proportional": True, "unrelated": False}  # both sides of the equivalence ran

def test_elasticity_errors():
    posts = pd.DataFrame({"followers": pd.array([100, 100], dtype="Int64"),
                          "likes": pd.array([1, 2], dtype="Int64")})
    with pytest.raises(AnalysisError):
        fl.elasticity(posts, metric="likes")
    with pytest.raises(AnalysisError) as err:
        fl.elasticity(posts, metric="likes", level="country")
    assert err.value.parameter == "level"


@pytest.mark.parametrize("kwargs, parameter", [
    (dict(level_ci=95), "level_ci"),      # was NaN bounds
    (dict(level_ci=0), "level_ci"),       # was a zero-width interval
    (dict(level_ci="0.95"), "level_ci"),  # was a TypeError
    (dict(maxlags=-1), "maxlags"),        # was an IndexError from statsmodels
    (dict(maxlags="x"), "maxlags"),
])
def test_elasticity_names_a_bad_interval_level_or_lag(kwargs, parameter):
    posts = pd.DataFrame({"followers": pd.array([100, 400, 900, 1600, 2500], dtype="Int64"),
                          "likes": pd.array([10, 20, 30, 40, 50], dtype="Int64")})
    with pytest.raises(AnalysisError) as err:
        fl.elasticity(posts, metric="likes", **kwargs)
    assert err.value.parameter == parameter


def test_a_history_without_platform_joins_the_accounts_one_platform():
    # a plain date,followers file (no platform) and the same account's X flows: one audience, so
    # one series (counts from the file, flows from X) and a planted jump found once
    level = [1000 + 3 * i for i in range(60)]
    level = level[:40] + [v + 300 for v in level[40:]]
    counts = _history(level, account="acme")
    flows = _history([None] * 60, account="acme", new_follows=[4] * 60, unfollows=[1] * 60) \
        .drop(columns="followers").assign(platform="x")
    both = pd.concat([counts, flows], ignore_index=True)
    events = fl.detect_events(both)
    assert events[["platform", "kind", "size"]].values.tolist() == [["x", "spike", 300]]
    growth = fl.follower_growth(both, "week")
    assert set(growth["platform"]) == {"x"} and growth["new_follows"].sum() == 4 * 60


def test_has_counts_says_which_exports_carry_follower_numbers():
    """What notebook 05 decides on: Hootsuite exports carry none, UCI posts carry the page's fans
    but no daily history, the sample has both, and an X overview's flows alone are a history."""
    import toolkit

    root = Path(__file__).resolve().parent
    hootsuite = toolkit.load(root / "fixtures" / "hootsuite" / "hootsuite_facebook_posts_2018-01.csv",
                             progress=False)
    assert not fl.has_counts(hootsuite.posts) and not fl.has_counts(hootsuite.followers)
    uci = toolkit.load(root.parent / "data" / "real" / "dataset_Facebook.csv", progress=False)
    assert fl.has_counts(uci.posts) and not fl.has_counts(uci.followers)
    sample = toolkit.load(root.parent / "data" / "sample", progress=False)
    assert fl.has_counts(sample.posts) and fl.has_counts(sample.followers)
    flows = _history([None] * 30, new_follows=[4] * 30, unfollows=[1] * 30).drop(columns="followers")
    assert fl.has_counts(flows) and len(fl.detect_events(flows)) == 0  # detect_events reads them
    assert not fl.has_counts(flows.assign(unfollows=pd.array([None] * 30, dtype="Int64")))
    with pytest.raises(AnalysisError, match="parameter 'table'"):
        fl.has_counts(None)


@pytest.mark.parametrize("window", [0, -1, 2, 6, 2.5, "x", None])
def test_a_window_shorter_than_a_week_or_not_whole_is_named(window):
    # pandas' rolling raised "min_periods 7 must be <= window" or "window must be an integer"
    history = _history([1000 + 3 * i for i in range(60)])
    for fn in (fl.daily_changes, fl.detect_events):
        with pytest.raises(AnalysisError) as err:
            fn(history, window=window)
        assert err.value.parameter == "window"


@pytest.mark.parametrize("function, kwargs, parameter", [
    ("detect_events", {"threshold": "x"}, "threshold"),
    ("detect_events", {"threshold": float("nan")}, "threshold"),
    ("detect_events", {"min_fraction": "x"}, "min_fraction"),
    ("detect_events", {"min_fraction": 1}, "min_fraction"),
    ("engagement_around_events", {"days": "x"}, "days"),
    ("engagement_around_events", {"days": 2.5}, "days"),
    ("engagement_around_events", {"days": 0}, "days"),
    ("engagement_around_events", {"days": -1}, "days"),
])
def test_bad_parameters_of_event_functions_are_named(function, kwargs, parameter):
    # text raised a bare TypeError from a comparison or from pd.Timedelta; days=0 or -1 gave empty
    # windows without a word
    history = _history([1000 + 3 * i for i in range(60)])
    posts = pd.DataFrame({"account": "me", "published_at": history["date"],
                          "likes": pd.array([10] * 60, dtype="Int64")})
    events = pd.DataFrame({"account": ["me"], "date": [history["date"].iloc[30]], "kind": ["purge"],
                           "size": [-100]})
    args = ((history,) if function == "detect_events" else (posts, events))
    extra = {} if function == "detect_events" else {"metric": "likes"}
    with pytest.raises(AnalysisError) as err:
        getattr(fl, function)(*args, **extra, **kwargs)
    assert err.value.parameter == parameter


def test_elasticity_over_posts_refuses_several_accounts_pooled_into_one_series():
    # two accounts' posts sorted by time are no one account's history; level='account' compares them
    posts = pd.concat([simulate_profile(days=60, seed=s, followers_start=f, account=a).posts
                       for s, f, a in ((1, 1000, "small"), (2, 100_000, "large"))])
    with pytest.raises(AnalysisError, match="hold several accounts") as err:
        fl.elasticity(posts)
    assert err.value.parameter == "level" and err.value.found == ["large", "small"]
    assert fl.elasticity(posts[posts["account"] == "small"]).table.loc[0, "n_baseline"] > 0


def test_events_in_a_history_of_flows_alone_have_no_follower_counts():
    # seeded: follows ~ Poisson(20), unfollows ~ Poisson(5) a day, and 1,500 unfollows on day 80;
    # a running sum of net flows starts at 0 and is no follower count (it made followers_after
    # -311 and a relative size of -128%)
    rng = np.random.default_rng(5)
    days = pd.date_range("2024-01-01", periods=120, freq="D", tz="UTC")
    unfollows = rng.poisson(5, len(days))
    unfollows[80] += 1500
    flows = pd.DataFrame({"account": "me", "platform": "x", "date": days,
                          "followers": pd.array([pd.NA] * len(days), dtype="Int64"),
                          "new_follows": pd.array(rng.poisson(20, len(days)), dtype="Int64"),
                          "unfollows": pd.array(unfollows, dtype="Int64")})
    events = fl.detect_events(flows)
    purge = events[events["kind"] == "purge"].iloc[0]
    assert purge["date"] == days[80] and purge["size"] < -1400
    assert pd.isna(purge["followers_before"]) and pd.isna(purge["followers_after"])
    assert np.isnan(purge["relative_size"])


def test_a_hand_built_history_with_dates_in_an_unstated_order_is_refused_not_read_month_first():
    # '01/03/2024' ... '12/03/2024' (March, day first) became twelve months, January to December
    history = _history([100 + i for i in range(12)])
    history["date"] = [f"{d:02d}/03/2024" for d in range(1, 13)]
    with pytest.raises(AnalysisError, match="could be 1 March 2024 \\(day first\\) or 3 January 2024") as err:
        fl.follower_growth(history, "month")
    assert err.value.column == "date"
    history["date"] = [f"2024-03-{d:02d}" for d in range(1, 13)]  # year first says its order
    assert len(fl.follower_growth(history, "month")) == 1


def test_elasticity_of_a_metric_that_is_zero_everywhere_is_named_not_a_statsmodels_error():
    posts = pd.DataFrame({"followers": pd.array([100, 400, 900, 1600, 2500], dtype="Int64"),
                          "clicks": pd.array([0, 0, 0, 0, 0], dtype="Int64")})
    for method in ("ppml", "ols"):
        with pytest.raises(AnalysisError, match="clicks is 0 on every post") as err:
            fl.elasticity(posts, metric="clicks", method=method)
        assert err.value.parameter == "metric"


def test_engagement_around_events_names_what_its_inputs_lack():
    posts = pd.DataFrame({"account": "me", "published_at": pd.to_datetime(["2024-01-05", "2024-02-01"]),
                          "likes": pd.array([10, 10], dtype="Int64")})
    events = pd.DataFrame({"account": ["me"], "date": pd.to_datetime(["2024-01-25"], utc=True),
                           "kind": ["purge"], "size": [-500]})
    # zone-free times (a table built by hand) are read as UTC, as the loaders store them
    out = fl.engagement_around_events(posts, events, metric="likes")
    assert out[["n_before", "n_after"]].values.tolist() == [[1, 1]]
    with pytest.raises(AnalysisError, match="published_at column"):
        fl.engagement_around_events(posts.drop(columns="published_at"), events, metric="likes")
    with pytest.raises(AnalysisError, match="events table with date, kind and size") as err:
        fl.engagement_around_events(posts, events.drop(columns="kind"), metric="likes")
    assert err.value.parameter == "events"


def _nb_history(seed, n=730):
    """A seeded event-free history: 20,000 followers plus daily net flows NB(size 3, mean 60) -
    NB(size 3, mean 15), overdispersed as real follows are."""
    rng = np.random.default_rng(seed)
    net = rng.negative_binomial(3, 3 / (3 + 60), n) - rng.negative_binomial(3, 3 / (3 + 15), n)
    return _history(20000 + np.cumsum(net))


def test_robust_z_of_a_weekly_history_is_on_the_scale_of_a_daily_one():
    # seeded simulation, known truth: no events, so robust_z should have an SD near 1 whether the
    # history is read daily or every 7th day. The MAD was taken over change / gap (SD shrunk by
    # 1/sqrt(7)) while the excess was divided by scale * sqrt(7): SD 2.75 and 1-7 false events
    # in every weekly history
    sd = {1: [], 7: []}
    weekly_events = 0
    for seed in range(20):
        history = _nb_history(seed)
        for step in sd:
            sd[step].append(fl.daily_changes(history.iloc[::step])["robust_z"].std())
        weekly_events += len(fl.detect_events(history.iloc[::7]))
    assert np.mean(sd[7]) == pytest.approx(1, abs=0.15)
    assert np.mean(sd[1]) == pytest.approx(1, abs=0.25)
    assert weekly_events <= 2  # over 20 two-year histories


def test_a_missing_day_of_flows_is_unknown_not_a_purge():
    # seeded: follows ~ Poisson(60), unfollows ~ Poisson(10) a day, no event. A day whose flows
    # are missing (NA, or its row dropped) read as 0 net change: a "purge" of about -50
    rng = np.random.default_rng(0)
    flows = _history([None] * 90, new_follows=rng.poisson(60, 90), unfollows=rng.poisson(10, 90))
    na_day = flows.copy()
    na_day.loc[50, "unfollows"] = pd.NA
    dropped = flows.drop(index=50)
    for history in (flows, na_day, dropped):
        assert fl.detect_events(history).empty
    day = pd.Timestamp("2024-02-20", tz="UTC")  # day 50
    changes = fl.daily_changes(na_day).set_index("date")
    assert np.isnan(changes.loc[day, "change"]) and np.isnan(changes.loc[day, "robust_z"])
    # the day after a dropped row: its flows are its own day's, known whatever the day before
    after = fl.daily_changes(dropped).set_index("date").loc[day + pd.Timedelta(days=1)]
    assert after["gap_days"] == 1 and after["change"] == flows.loc[51, "new_follows"] - flows.loc[51, "unfollows"]
    assert day not in fl.daily_changes(dropped)["date"].tolist()


def test_a_purge_the_day_after_a_missing_row_of_flows_is_found():
    # seeded: as above, with 600 more unfollows on day 60; the export left out day 59. Day 60's
    # flows are its own, so the purge is found as on the full history (truth: -600 + noise)
    rng = np.random.default_rng(2)
    flows = _history([None] * 90, new_follows=rng.poisson(60, 90), unfollows=rng.poisson(10, 90))
    flows.loc[60, "unfollows"] += 600
    for history in (flows, flows.drop(index=59)):
        events = fl.detect_events(history)
        assert len(events) == 1 and events["kind"].iloc[0] == "purge"
        assert events["date"].iloc[0] == pd.Timestamp("2024-03-01", tz="UTC")


def test_elasticity_keeps_one_handles_platforms_apart():
    # seeded: account "me" on x (about 1,000 followers, likes ~ Poisson(20)) and on instagram
    # (about 50,000, likes ~ Poisson(200)); within each platform likes do not depend on followers
    # (truth: b = 0). Pooled into one series by post, the platforms' gap read as b = 0.60, p = 3e-185
    rng = np.random.default_rng(1)
    n = 200
    platform = np.where(np.arange(n) % 2 == 0, "x", "instagram")
    posts = pd.DataFrame({
        "account": "me", "platform": platform,
        "published_at": pd.date_range("2024-01-01", periods=n, freq="12h", tz="UTC"),
        "followers": pd.array(np.where(platform == "x", np.linspace(1000, 1100, n),
                                       np.linspace(50000, 50500, n)).round().astype(int), dtype="Int64"),
        "likes": pd.array(np.where(platform == "x", rng.poisson(20, n), rng.poisson(200, n)), dtype="Int64")})
    with pytest.raises(AnalysisError, match="several platforms") as err:
        fl.elasticity(posts, metric="likes")
    assert err.value.parameter == "level" and err.value.found == ["instagram", "x"]
    for name in ("x", "instagram"):
        row = fl.elasticity(posts[posts["platform"] == name], metric="likes").table.iloc[0]
        assert row["elasticity_ci_low"] <= 0 <= row["elasticity_ci_high"]
    # a platform whose posts carry no follower count is left out anyway: one series remains, the
    # x posts' own
    no_audience = posts.assign(followers=posts["followers"].where(posts["platform"] == "x"))
    columns = ["elasticity", "elasticity_ci_low", "elasticity_ci_high", "p_value", "n_treatment"]
    alone = fl.elasticity(posts[posts["platform"] == "x"], metric="likes").table
    left = fl.elasticity(no_audience, metric="likes").table
    pd.testing.assert_frame_equal(left[columns], alone[columns])
    assert left["n_posts_left_out"].iloc[0] == 100  # the instagram posts, counted
    # by account, the two platforms are two observations, not one account's mean
    two = pd.concat([posts, posts.assign(account="you", followers=posts["followers"] * 3)])
    assert fl.elasticity(two, metric="likes", level="account").table.loc[0, "n_baseline"] == 4


def test_engagement_around_events_takes_one_accounts_posts_or_says_why_not():
    # hand-computed: "me" earns 10 likes a post while its followers halve at the purge (per
    # follower +100%); "big" earns 1,000 on 100,000 followers throughout. Events without an
    # account pooled both: per follower +0.5%
    posts = pd.DataFrame({"account": ["me", "me", "big", "big"],
                          "published_at": pd.to_datetime(["2024-01-05", "2024-01-30", "2024-01-06",
                                                          "2024-01-29"], utc=True),
                          "likes": pd.array([10, 10, 1000, 1000], dtype="Int64"),
                          "followers": pd.array([1000, 500, 100000, 100000], dtype="Int64")})
    events = pd.DataFrame({"date": pd.to_datetime(["2024-01-25"], utc=True), "kind": ["purge"],
                           "size": [-500]})
    with pytest.raises(AnalysisError, match="events without an account") as err:
        fl.engagement_around_events(posts, events, metric="likes")
    assert err.value.parameter == "events" and err.value.found == ["big", "me"]
    mine = posts[posts["account"] == "me"]
    assert fl.engagement_around_events(mine, events, metric="likes")["per_follower_change"].tolist() == [1.0]
    assert fl.engagement_around_events(posts, events.assign(account="me"), metric="likes")[
        "per_follower_change"].tolist() == [1.0]
    # an account without posts was a row of 0 posts and NaN
    with pytest.raises(AnalysisError, match="no posts of this account") as err:
        fl.engagement_around_events(posts, events.assign(account="nobody"), metric="likes")
    assert err.value.found == "nobody"


def test_follower_growth_gives_no_flow_total_for_a_period_with_days_missing():
    # hand-computed: 10 follows and 2 unfollows a day from Wednesday 3 January, 14 days. Week 2
    # lacked the flows of 5 days and reported 20 and 4 as its totals (true: 70 and 14)
    history = _history([1000 + 8 * i for i in range(14)], start="2024-01-03",
                       new_follows=[10] * 14, unfollows=[2] * 14)
    complete = fl.follower_growth(history, "week")
    # the history's own first and last weeks are whole within its span (5 and 2 days)
    assert complete[["new_follows", "unfollows"]].values.tolist() == [[50, 10], [70, 14], [20, 4]]
    gaps = history.copy()
    gaps.loc[6:10, ["new_follows", "unfollows"]] = pd.NA  # 9 to 13 January
    pd.testing.assert_extension_array_equal(fl.follower_growth(gaps, "week")["new_follows"].array,
                                            pd.array([50, None, 20], dtype="Int64"))
    dropped = fl.follower_growth(history.drop(index=8), "week")  # no row for 11 January
    pd.testing.assert_extension_array_equal(dropped["unfollows"].array, pd.array([10, None, 4], dtype="Int64"))
    assert dropped["net_change"].tolist() == complete["net_change"].tolist()  # counts span the gap


@pytest.mark.parametrize("zone", ["Europe/Berlin", "Asia/Tokyo", "America/New_York"])
def test_a_follower_day_is_the_calendar_day_written_in_its_own_offset(zone):
    # closed form: the module example's purge on 10 February, with the days written at local
    # midnight. Positive offsets were converted to UTC first and landed on 9 February; zoned
    # Series were cut in local time, giving 23:00 or 15:00 UTC stamps
    level = [1000 + 3 * i for i in range(60)]
    level = level[:40] + [v - 200 for v in level[40:]]
    local = pd.date_range("2024-01-01", periods=60, freq="D", tz=zone)
    days = pd.date_range("2024-01-01", periods=60, freq="D", tz="UTC")
    for dates in (local, [d.isoformat() for d in local]):
        history = pd.DataFrame({"account": "me", "date": dates, "followers": level})
        events = fl.detect_events(history)
        assert events["date"].tolist() == [pd.Timestamp("2024-02-10", tz="UTC")]
        assert fl.daily_changes(history)["date"].tolist() == list(days[1:])
        assert fl.follower_growth(history, "day")["period"].tolist() == list(days.tz_localize(None))


def _with(column, position, value):
    history = _history([1000 + 3 * i for i in range(30)]).astype({column: object})
    history.loc[position, column] = value
    return history


@pytest.mark.parametrize("history, column, found", [
    (_with("date", 10, pd.NaT), "date", "NaT"),      # a TypeError deep inside; growth invented a period NaT
    (_with("followers", 0, "1,000"), "followers", "'1,000'"),  # ValueError from pandas
    (_with("followers", 3, "n/a"), "followers", "'n/a'"),
    (_with("followers", 5, 100.5), "followers", "100.5"),  # growth: TypeError; events: accepted
    (_with("followers", 7, -4), "followers", "-4"),
])
@pytest.mark.parametrize("function", ["follower_growth", "daily_changes", "detect_events"])
def test_a_bad_date_or_count_is_named_by_every_function(history, column, found, function):
    with pytest.raises(AnalysisError, match="at position") as err:
        getattr(fl, function)(history)
    assert err.value.column == column and err.value.found == found


def test_counts_written_as_text_read_as_numbers():
    history = _history([1000 + 3 * i for i in range(30)])
    as_text = history.assign(followers=history["followers"].astype(str))
    pd.testing.assert_frame_equal(fl.follower_growth(as_text), fl.follower_growth(history))
    pd.testing.assert_frame_equal(fl.daily_changes(as_text), fl.daily_changes(history))
