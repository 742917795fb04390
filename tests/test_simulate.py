"""Tests of the profile simulator: schema, determinism, and recovery of every planted effect.

Expected values come from the simulator's own known truth (seeded runs); tolerances are a few
standard errors, where the standard error is the spread of the estimate over the seeded runs
divided by sqrt(runs), so a biased simulator fails while a correct one passes by a wide margin.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from toolkit.errors import SpecError
from toolkit.schema import FOLLOWERS, POSTS, conform, validate_followers, validate_posts
from toolkit.simulate import BASE_RATES, simulate_profile

RUNS = 100


def _mean_and_se(values):
    values = np.asarray(values, dtype=float)
    return values.mean(), values.std(ddof=1) / np.sqrt(len(values))


def test_tables_follow_the_canonical_schema():
    sim = simulate_profile(days=90, posts_per_day=3, seed=11, purge="2024-02-10")
    validate_posts(sim.posts)
    validate_followers(sim.followers)
    pd.testing.assert_frame_equal(conform(sim.posts, POSTS), sim.posts)
    pd.testing.assert_frame_equal(conform(sim.followers, FOLLOWERS), sim.followers)
    posts = sim.posts
    assert posts["post_id"].str.fullmatch(r"[1-9]\d{18}").all()
    assert posts["post_id"].is_unique
    assert posts["published_at"].is_monotonic_increasing
    assert str(posts["published_at"].dt.tz) == "UTC"
    assert posts["time_known"].all()
    assert (posts["reach"] <= posts["impressions"]).all()
    assert (posts["impressions"] >= 1).all()
    assert set(posts["content_label"].unique()) == {"personal", "brand"}
    assert posts["text"].notna().all()
    assert len(sim.followers) == 90 and sim.followers["date"].is_monotonic_increasing
    # ids are X snowflakes whose time part falls in the publish minute
    ms = (posts["post_id"].astype("int64").to_numpy() >> 22) + 1288834974657
    minute = posts["published_at"].astype("int64").to_numpy() // 60_000_000_000
    assert ((ms // 60_000) == minute).all()


def test_same_seed_same_profile_and_different_seed_differs():
    a = simulate_profile(days=120, seed=5, change="2024-03-01", change_lift=0.2)
    b = simulate_profile(days=120, seed=5, change="2024-03-01", change_lift=0.2)
    c = simulate_profile(days=120, seed=6, change="2024-03-01", change_lift=0.2)
    pd.testing.assert_frame_equal(a.posts, b.posts)
    pd.testing.assert_frame_equal(a.followers, b.followers)
    assert not a.posts["likes"].equals(c.posts["likes"])


def test_text_false_keeps_the_counts_and_leaves_text_missing():
    with_text = simulate_profile(days=60, seed=2)
    without = simulate_profile(days=60, seed=2, text=False)
    assert without.posts["text"].isna().all()
    pd.testing.assert_frame_equal(with_text.posts.drop(columns="text"), without.posts.drop(columns="text"))


def test_no_effects_rate_equals_base_rate():
    # Without weekday/hour effects or lifts, E[likes / impressions] = base rate exactly (the
    # AR(1) shock is mean-corrected). Known truth: BASE_RATES["likes"].
    ratios = []
    for seed in range(RUNS):
        p = simulate_profile(days=365, posts_per_day=3, seed=seed, weekday_effects=False, text=False).posts
        ratios.append(p["likes"].sum() / p["impressions"].sum())
    mean, se = _mean_and_se(ratios)
    assert abs(mean - BASE_RATES["likes"]) < 4 * se
    assert se < 0.02 * BASE_RATES["likes"]  # the test can detect a 10% error


def test_change_lift_is_recovered():
    # Known truth: change_lift = 0.5 -> the rate after / before = 1.5 (weekday/hour mix is the same
    # on both sides in expectation, and media type does not act on the rate).
    logs = []
    for seed in range(RUNS):
        p = simulate_profile(days=365, posts_per_day=3, seed=seed, change="2024-07-01", change_lift=0.5,
                             text=False).posts
        after = p["published_at"] >= pd.Timestamp("2024-07-01", tz="UTC")
        rate = lambda m: p.loc[m, "likes"].sum() / p.loc[m, "impressions"].sum()  # noqa: E731
        logs.append(np.log(rate(after) / rate(~after)))
    mean, se = _mean_and_se(logs)
    assert abs(mean - np.log(1.5)) < 4 * se
    assert se < 0.01


def test_personal_lift_is_recovered_on_every_metric():
    # Known truth: personal_lift = 0.3 acts on every engagement count the same way.
    logs = {m: [] for m in ("likes", "comments", "shares", "clicks")}
    for seed in range(RUNS // 2):
        p = simulate_profile(days=365, posts_per_day=3, seed=seed, personal_share=0.4, personal_lift=0.3,
                             text=False).posts
        personal = p["content_label"] == "personal"
        for m in logs:
            rate_p = p.loc[personal, m].sum() / p.loc[personal, "impressions"].sum()
            rate_b = p.loc[~personal, m].sum() / p.loc[~personal, "impressions"].sum()
            logs[m].append(np.log(rate_p / rate_b))
    for m, values in logs.items():
        mean, se = _mean_and_se(values)
        assert abs(mean - np.log(1.3)) < 4 * se, m


def test_dispersion_is_recovered():
    # With no shocks and no weekday effects, likes | impressions ~ NB2(impressions * base, size).
    # Moment estimator of 1/size: sum((y - mu)^2 - mu) / sum(mu^2). Known truth: 1/5.
    estimates = []
    for seed in range(RUNS // 2):
        p = simulate_profile(days=365, posts_per_day=3, seed=seed, dispersion=5.0, shock_sd=0.0, ar1=0.0,
                             weekday_effects=False, text=False).posts
        y = p["likes"].to_numpy(float)
        mu = p["impressions"].to_numpy(float) * BASE_RATES["likes"]
        estimates.append(((y - mu) ** 2 - mu).sum() / (mu**2).sum())
    mean, se = _mean_and_se(estimates)
    assert abs(mean - 1 / 5) < 4 * se
    assert abs(mean - 1 / 5) < 0.02


def test_day_shock_is_ar1_and_shows_in_daily_rates():
    sim = simulate_profile(days=3000, posts_per_day=2, seed=3, ar1=0.5, shock_sd=0.15, text=False)
    shock = sim.truth["day_shock"]
    # Known truth: lag-1 autocorrelation 0.5, SD 0.15; SE of a lag-1 autocorrelation ~ sqrt((1-phi^2)/n)
    r1 = np.corrcoef(shock[:-1], shock[1:])[0, 1]
    assert abs(r1 - 0.5) < 4 * np.sqrt((1 - 0.25) / 3000)
    assert abs(shock.std() - 0.15) < 0.015

    def daily_r1(sim):
        p = sim.posts
        day = p["published_at"].dt.floor("D")
        daily = p.groupby(day)[["likes", "impressions"]].sum()
        rate = np.log((daily["likes"] + 0.5) / daily["impressions"]).to_numpy(float)
        return np.corrcoef(rate[:-1], rate[1:])[0, 1]

    with_ar = daily_r1(simulate_profile(days=2000, posts_per_day=10, seed=4, ar1=0.7, shock_sd=0.2,
                                        weekday_effects=False, text=False))
    without = daily_r1(simulate_profile(days=2000, posts_per_day=10, seed=4, ar1=0.0, shock_sd=0.0,
                                        weekday_effects=False, text=False))
    # SE of a lag-1 autocorrelation of 2000 nearly independent days ~ 1/sqrt(2000) = 0.022
    assert abs(without) < 4 / np.sqrt(2000)
    assert with_ar > 0.2


def test_weekday_effect_is_planted():
    p = simulate_profile(days=2000, posts_per_day=3, seed=8, text=False).posts
    wd = p["published_at"].dt.day_of_week
    rate = p.groupby(wd)["likes"].sum() / p.groupby(wd)["impressions"].sum()
    # Known truth: Tuesday +0.08, Saturday -0.12 on the log scale -> ratio exp(0.20) = 1.22
    assert 1.10 < rate[1] / rate[5] < 1.35


def test_purge_and_spike_appear_on_their_dates():
    sim = simulate_profile(days=200, seed=9, followers_start=20000,
                           purge=("2024-03-01", 0.12), spike={"date": "2024-05-01", "fraction": 0.3})
    f = sim.followers.set_index("date")
    before, on = f.loc["2024-02-29", "followers"], f.loc["2024-03-01", "followers"]
    assert sim.truth["purge"]["followers_delta"] == -round(0.12 * before)
    # the day's organic flows are < 1% of followers, far from the 12% drop
    assert abs(on / before - 0.88) < 0.01
    assert abs(f.loc["2024-05-01", "followers"] / f.loc["2024-04-30", "followers"] - 1.3) < 0.01
    # flows add up to the level on every day
    diff = f["followers"].diff().iloc[1:]
    assert (diff == (f["new_follows"] - f["unfollows"]).iloc[1:]).all()
    # posts carry the count of their publish day
    p = sim.posts
    day = p["published_at"].dt.floor("D")
    assert (p["followers"].to_numpy() == f.loc[day, "followers"].to_numpy()).all()
    # no other day moves by more than 2%
    rel = (f["followers"].pct_change().abs().iloc[1:])
    assert (rel > 0.02).sum() == 2


def test_texts_follow_the_label():
    p = simulate_profile(days=365, posts_per_day=3, seed=12).posts
    personal = p["content_label"] == "personal"
    text = p["text"]
    assert not text[personal].str.contains("http").any()
    assert text[~personal].str.contains("https://example.com").mean() > 0.6
    assert text[personal].str.contains(r"\b(?:I|my|My|I'm)\b").all()
    assert text[personal].str.contains(r"\?").mean() > 0.5
    multiline = text.str.contains("\n").mean()
    assert 0.22 < multiline < 0.36  # about 3 in 10, as in real X exports
    assert (p.loc[personal, "media_type"] != "link").all()


@pytest.mark.parametrize("kwargs, parameter", [
    ({"days": 0}, "days"),
    ({"ar1": 1.0}, "ar1"),
    ({"dispersion": 0}, "dispersion"),
    ({"personal_share": 1.5}, "personal_share"),
    ({"purge": ("2030-01-01", 0.1)}, "purge"),
    ({"purge": ("2024-02-01", 1.5)}, "purge"),
    ({"spike": "not a date"}, "spike"),
    ({"platform": "myspace"}, "platform"),
])
def test_bad_parameters_raise_spec_errors(kwargs, parameter):
    with pytest.raises(SpecError) as info:
        simulate_profile(days=kwargs.pop("days", 60), **kwargs)
    assert info.value.parameter == parameter


def test_custom_weekday_and_hour_effects():
    # Built-in effects passed explicitly give the same rates; custom ones act on the rate only.
    from toolkit.simulate import WEEKDAY_RATE

    plain = simulate_profile(days=200, seed=1, weekday_effects=False)
    zeros = simulate_profile(days=200, seed=1, weekday_effects=np.zeros(7), hour_effects=np.zeros(24))
    pd.testing.assert_frame_equal(plain.posts, zeros.posts)
    custom = simulate_profile(days=200, seed=1, weekday_effects=WEEKDAY_RATE + 1.0, hour_effects=False)
    assert np.allclose(list(custom.truth["weekday_effects"].values()), WEEKDAY_RATE)  # centred
    p = simulate_profile(days=3000, posts_per_day=3, seed=2, weekday_effects=[0.3, 0, 0, 0, 0, 0, -0.3],
                         hour_effects=False, text=False).posts
    wd = p["published_at"].dt.day_of_week
    rate = p.groupby(wd)["likes"].sum() / p.groupby(wd)["impressions"].sum()
    # Known truth: Monday / Sunday = exp(0.6) = 1.82; ~1,300 posts per weekday give a log-ratio SE
    # of about 0.03 (day shocks included), so the band (log 0.47 to 0.72) is about 4 SE wide each side
    assert 1.6 < rate[0] / rate[6] < 2.05
    with pytest.raises(SpecError):
        simulate_profile(days=10, weekday_effects=[0.1, 0.2])


def test_posting_frequency_and_content_mix_can_change_with_the_strategy():
    sim = simulate_profile(days=400, posts_per_day=2, posts_per_day_after=4, personal_share=0.2,
                           personal_share_after=0.6, change="2024-07-01", seed=3, text=False)
    p = sim.posts
    after = p["published_at"] >= pd.Timestamp("2024-07-01", tz="UTC")
    days_before = (pd.Timestamp("2024-07-01") - pd.Timestamp("2024-01-01")).days
    # Known truth: Poisson(2) per day before, Poisson(4) after; SD of a mean of ~200 days ~ 0.14
    assert abs(after.sum() / (400 - days_before) - 4) < 0.6
    assert abs((~after).sum() / days_before - 2) < 0.4
    personal = p["content_label"] == "personal"
    # binomial SD of a share with ~700 posts ~ 0.02
    assert abs(personal[~after].mean() - 0.2) < 0.08 and abs(personal[after].mean() - 0.6) < 0.08


def test_sample_accounts_show_their_planted_effects():
    # The bundled sample is one draw; its simple rate ratios must sit within 3.5 SD of the truth,
    # where the SD is the spread of the same ratio over 60 seeded replicates of the same account.
    from toolkit.simulate import SAMPLE_ACCOUNTS, SAMPLE_START, sample_profiles

    def ratios(posts):
        after = (posts["published_at"] >= pd.Timestamp("2024-10-01", tz="UTC")).to_numpy()
        personal = (posts["content_label"] == "personal").to_numpy()
        y, e = posts["likes"].to_numpy(float), posts["impressions"].to_numpy(float)
        rate = lambda m: y[m].sum() / e[m].sum()  # noqa: E731
        return np.log(rate(after) / rate(~after)), np.log(rate(personal) / rate(~personal))

    spec = dict(SAMPLE_ACCOUNTS[0])
    replicates = np.array([ratios(simulate_profile(days=547, start=SAMPLE_START, seed=1000 + s, text=False,
                                                   **spec).posts) for s in range(60)])
    sd = replicates.std(axis=0, ddof=1)
    change, personal = ratios(sample_profiles()[0].posts)
    assert abs(change - np.log(1.25)) < 3.5 * sd[0]
    assert abs(personal - np.log(1.30)) < 3.5 * sd[1]
    # and the replicates themselves centre on the truth (mean within 4 standard errors)
    assert abs(replicates[:, 0].mean() - np.log(1.25)) < 4 * sd[0] / np.sqrt(60)
    assert abs(replicates[:, 1].mean() - np.log(1.30)) < 4 * sd[1] / np.sqrt(60)


def test_media_effects_move_engagement_per_impression_by_the_planted_ratio():
    # 3 years, no other planted effect on the label: per impression, links earn 0.4x and videos 2x
    # what text posts earn (expected ratios of the rates, over thousands of posts each; a log-scale
    # effect of -0.6 or +1.0 would give 0.55x and 2.7x)
    sim = simulate_profile(days=1095, posts_per_day=4, seed=11, text=False,
                           media_effects={"video": 1.0, "link": -0.6})
    p = sim.posts
    rate = p.groupby("media_type", observed=True).apply(lambda g: g["likes"].sum() / g["impressions"].sum())
    assert rate["link"] / rate["text"] == pytest.approx(0.4, abs=0.05)
    assert rate["video"] / rate["text"] == pytest.approx(2.0, abs=0.2)
    assert sim.truth["media_effects"] == {"photo": 0.0, "video": 1.0, "link": -0.6, "text": 0.0, "other": 0.0}
    for bad in ({"gif": 0.2}, {"video": float("nan")}, {"link": -1}, [("video", 0.3)]):
        with pytest.raises(SpecError) as err:
            simulate_profile(days=10, media_effects=bad)
        assert err.value.parameter == "media_effects"
