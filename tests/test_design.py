"""Tests of toolkit.design: fitted history, power by simulation, closed form, schedule."""

from __future__ import annotations

import io
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from toolkit.design import (
    POWER_COLUMNS,
    SCHEDULE_CSV_COLUMNS,
    History,
    closed_form_power,
    fit_history,
    plan_length,
    power,
    schedule,
    schedule_to_csv,
    start_after,
)
from toolkit.errors import AnalysisError
from toolkit.simulate import simulate_profile

#: The closed-form setting: independent NB counts (no day shocks, no autocorrelation, no weekday
#: pattern), constant exposure, so the normal approximation's assumptions hold.
CLOSED = History(posts_per_day=3.0, rate=0.02, dispersion=4.0, ar1=0.0, shock_sd=0.0,
                 exposures=np.array([1500.0]))


# ---------------------------------------------------------------------------------------------
# closed form
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("lift, expected", [
    # R: tests/reference/design_power.R, pwr::pwr.2p2n.test(h, n1 = 273, n2 = 273)
    (0.10, 0.5547577639),
    (0.15, 0.8685425392),
])
def test_closed_form_matches_r_pwr(lift, expected):
    assert closed_form_power(CLOSED, lift, 26) == pytest.approx(expected, abs=1e-8)


def test_closed_form_is_nan_when_days_share_shocks():
    h = History(posts_per_day=3.0, rate=0.02, dispersion=4.0, ar1=0.5, shock_sd=0.2)
    assert math.isnan(closed_form_power(h, 0.1, 26))


def test_simulated_power_agrees_with_closed_form_within_3_points():
    # 4000 seeded simulations: Monte Carlo SE <= sqrt(0.25/4000) = 0.8 points, so a 3-point
    # tolerance leaves room for the closed form's own (delta-method) approximation error.
    res = power(history=CLOSED, lifts=[0.10, 0.15], weeks=[26], n_sims=4000, seed=7,
                progress=False, min_detectable=False)
    assert (res.table["power_se"] < 0.01).all()
    for row in res.table.itertuples():
        assert abs(row.power - row.power_closed_form) < 0.03, row
    # the unadjusted Wald test keeps its level here (binomial SD of the rate: 0.0034)
    assert 0.04 <= res.mdl["false_positive_rate"].iloc[0] <= 0.065


# ---------------------------------------------------------------------------------------------
# power by simulation
# ---------------------------------------------------------------------------------------------
SHOCKY = History(posts_per_day=2.0, rate=0.02, dispersion=5.0, ar1=0.5, shock_sd=0.15,
                 exposures=np.array([1200.0, 2000.0, 3500.0]))


def test_power_is_deterministic_given_a_seed():
    a = power(history=SHOCKY, lifts=[0.2], weeks=[4, 8], n_sims=200, seed=5, progress=False)
    b = power(history=SHOCKY, lifts=[0.2], weeks=[4, 8], n_sims=200, seed=5, progress=False)
    c = power(history=SHOCKY, lifts=[0.2], weeks=[4, 8], n_sims=200, seed=6, progress=False)
    pd.testing.assert_frame_equal(a.table, b.table)
    pd.testing.assert_frame_equal(a.mdl, b.mdl)
    assert not a.table["power"].equals(c.table["power"])


def test_power_table_shape_and_monotone_in_lift_and_weeks():
    res = power(history=SHOCKY, lifts=[0.1, 0.2, 0.3], weeks=[4, 12, 26], n_sims=400, seed=2,
                progress=False)
    assert list(res.table.columns) == list(POWER_COLUMNS)
    assert len(res.table) == 9
    wide = res.table.pivot(index="weeks", columns="lift", values="power")
    # the same simulated profiles are cut at each horizon and share their noise across lifts,
    # so power rises with both (a 0.02 allowance for Monte Carlo noise, SE <= 0.025)
    assert (wide.diff(axis=0).dropna() > -0.02).all().all()
    assert (wide.diff(axis=1).iloc[:, 1:] > -0.02).all().all()
    assert wide.loc[26, 0.3] > 0.9 and wide.loc[4, 0.1] < 0.3
    # minimum detectable lift shrinks with more weeks
    mdl = res.mdl.set_index("weeks")["min_detectable_lift"]
    assert mdl.is_monotonic_decreasing
    assert "detected with 80% power" in res.text
    assert "Assumes" in res.summary()


def test_weeks_for_is_the_first_horizon_whose_power_reaches_the_target():
    # for a lift on the simulated grid (0.1, 0.2, 0.3 are), the interpolated minimum detectable
    # lift is at most that lift exactly where the table's power (made monotone in lift, as the
    # mdl reads it) reaches the target: weeks_for must agree with the table it summarises
    res = power(history=SHOCKY, lifts=[0.1, 0.2, 0.3], weeks=[4, 12, 26], n_sims=300, seed=2,
                progress=False)
    grid = res.details["all_lifts"]
    for lift in (0.1, 0.2, 0.3):
        reached = [w for w in (4, 12, 26)
                   if grid[(grid["weeks"] == w) & (grid["lift"] <= lift)]["power"].max() >= res.target]
        assert res.weeks_for(lift) == (min(reached) if reached else None)
    assert res.weeks_for(0.3) is not None and res.weeks_for(0.025) is None


@pytest.mark.parametrize("lift", [0, -0.1, float("nan"), "0.2", True])
def test_weeks_for_names_a_lift_that_is_not_one(lift):
    res = power(history=CLOSED, lifts=[0.3], weeks=[4], n_sims=50, seed=1, progress=False)
    with pytest.raises(AnalysisError, match="lift"):
        res.weeks_for(lift)


def test_plan_length_takes_the_plans_horizon_or_says_the_set_one_falls_short():
    res = power(history=CLOSED, lifts=[0.2], weeks=[2, 8, 26], n_sims=300, seed=1, progress=False)
    mdl = res.mdl.set_index("weeks")["min_detectable_lift"]
    needed = res.weeks_for(0.2)
    assert needed is not None and mdl[needed] <= 0.2
    assert plan_length(res, 0.2) == (needed, f"A lift of +20% is detected with 80% power after {needed} "
                                             f"weeks: the schedule runs {needed} weeks.")
    # shorter than needed, as set: the length stays and the text says what it can detect
    weeks, text = plan_length(res, 0.2, weeks=2)
    assert weeks == 2 and f"detects +{mdl[2]:.0%} with 80% power, not +20%" in text
    # a length the plan did not simulate, and a lift no horizon reaches
    assert "did not simulate" in plan_length(res, 0.2, weeks=5)[1]
    weeks, text = plan_length(res, 0.01)
    assert weeks == 26 and "No planned horizon detects +1%" in text
    with pytest.raises(AnalysisError, match="weeks"):
        plan_length(res, 0.2, weeks=2.5)


def test_size_adjustment_caps_the_false_positive_rate():
    # before/after with day shocks: the plain Newey-West Wald test is liberal at short horizons;
    # with the adjusted critical value a no-lift profile is flagged at most alpha of the time.
    res = power(history=SHOCKY, analysis="before_after", lifts=[0.0, 0.2], weeks=[2, 8],
                baseline_weeks=8, n_sims=500, seed=4, progress=False, min_detectable=False)
    null = res.table[res.table["lift"] == 0.0]
    assert (null["power"] <= 0.05 + 1e-12).all()
    assert (res.mdl["critical_z"] >= 1.959).all()
    assert (res.mdl["false_positive_rate"] >= 0).all()


def test_power_needs_posts_or_history_and_names_bad_parameters():
    with pytest.raises(AnalysisError, match="posts"):
        power()
    with pytest.raises(AnalysisError, match="'analysis'"):
        power(history=SHOCKY, analysis="t_test")
    with pytest.raises(AnalysisError, match="'lifts'"):
        power(history=SHOCKY, lifts=[-1.5])
    with pytest.raises(AnalysisError, match="'weeks'"):
        power(history=SHOCKY, weeks=[0])
    with pytest.raises(AnalysisError, match="'alpha'"):
        power(history=SHOCKY, alpha=5)
    # text where a number belongs is named too, not a TypeError from the range check
    for name in ("alpha", "target", "share"):
        with pytest.raises(AnalysisError, match=f"'{name}'"):
            power(history=SHOCKY, **{name: "0.5"})
    for seed in ("x", -1, 1.5):  # numpy's errors named no parameter
        with pytest.raises(AnalysisError, match="'seed'"):
            power(history=SHOCKY, seed=seed, n_sims=10, progress=False)


def test_power_chart_spec():
    res = power(history=SHOCKY, lifts=[0.1, 0.3], weeks=[4, 8], n_sims=100, seed=1, progress=False)
    spec = res.chart().to_dict()
    assert spec["layer"][0]["encoding"]["x"]["field"] == "weeks"
    assert spec["layer"][0]["encoding"]["y"]["field"] == "power"
    data = next(iter(spec["datasets"].values()))
    assert len(data) == 4  # aggregated in Python: one point per lift and horizon
    assert "lift" in res._repr_html_()


def test_real_method_hook_runs_the_analysis_on_simulated_profiles():
    h = History(posts_per_day=3.0, rate=0.02, dispersion=5.0, ar1=0.0, shock_sd=0.0,
                exposures=np.array([1500.0]), metric="likes")
    res = power(history=h, lifts=[1.0], weeks=[8], n_sims=12, seed=0, method="glm",
                progress=False, analysis_kwargs={"controls": []})
    # +100% on ~170 posts of mean 30 (closed form power ~1.0): the NB GLM finds it every time
    assert res.table["power"].iloc[0] >= 0.9
    assert res.table["method"].iloc[0] == "glm"
    # the text states the simulated cell, not a minimum detectable lift drawn as a straight line
    # from lift 0 to +100% (the only lifts a real method simulates)
    found = res.table["power"].iloc[0]
    assert f"after 8 weeks a lift of +100% was found in {found:.0%} of simulated profiles" in res.text
    assert "is detected with 80% power" not in res.text


# ---------------------------------------------------------------------------------------------
# fitting the history
# ---------------------------------------------------------------------------------------------
def test_fit_history_recovers_simulated_parameters():
    simulate = pytest.importorskip("toolkit.simulate")
    fits = []
    for seed in range(20):
        sim = simulate.simulate_profile(days=365, posts_per_day=3, dispersion=5, ar1=0.5,
                                        shock_sd=0.3, hour_effects=False, text=False, seed=seed)
        h = fit_history(sim.posts, metric="likes")
        fits.append((h.posts_per_day, h.rate, h.dispersion, h.ar1, h.shock_sd))
    mean = np.mean(fits, axis=0)
    # truth from simulate_profile's arguments (and its BASE_RATES["likes"] = 0.02); tolerances
    # are about 3 SE of a mean of 20 fits (SDs of single fits: 0.1, 0.0007, 0.66, 0.18, 0.039)
    assert mean[0] == pytest.approx(3.0, abs=0.07)
    assert mean[1] == pytest.approx(0.02, abs=0.0005)
    assert mean[2] == pytest.approx(5.0, abs=0.5)
    assert mean[3] == pytest.approx(0.5, abs=0.13)
    assert mean[4] == pytest.approx(0.3, abs=0.03)


def test_fit_history_is_rough_on_mild_day_shocks():
    # the precision fit_history's docstring states: seeded simulations with known truth
    # (ar1 0.5, shock SD 0.15, 2 posts a day), fitted on their last 26 weeks
    simulate = pytest.importorskip("toolkit.simulate")
    ar1, sd = [], []
    for seed in range(20):
        sim = simulate.simulate_profile(days=365, posts_per_day=2, dispersion=5, ar1=0.5,
                                        shock_sd=0.15, hour_effects=False, text=False, seed=seed)
        h = fit_history(sim.posts, metric="engagements", last_weeks=26)
        ar1.append(h.ar1)
        sd.append(h.shock_sd)
    assert min(ar1) == 0.0 and max(ar1) == pytest.approx(0.95)
    assert np.mean(ar1) == pytest.approx(0.26, abs=0.01) and np.std(ar1) == pytest.approx(0.33, abs=0.01)
    assert np.mean(sd) == pytest.approx(0.09, abs=0.005)


def test_fit_history_without_day_shocks_finds_none():
    simulate = pytest.importorskip("toolkit.simulate")
    sim = simulate.simulate_profile(days=365, posts_per_day=3, dispersion=5, ar1=0.0,
                                    shock_sd=0.0, weekday_effects=False, text=False, seed=3)
    h = fit_history(sim.posts, metric="likes")
    assert h.shock_sd < 0.1  # seeded; the single-fit SD at shock_sd=0.3 is 0.04
    assert h.dispersion == pytest.approx(5.0, rel=0.3)
    assert h.table()["parameter"].str.contains("dispersion").any()


def test_fit_history_leaves_out_missing_rows_and_says_so():
    n = 200
    posts = pd.DataFrame({
        "published_at": pd.date_range("2024-01-01", periods=n, freq="8h", tz="UTC"),
        "impressions": pd.array([1000] * (n - 10) + [pd.NA] * 5 + [0] * 5, dtype="Int64"),
        "likes": pd.array(np.random.default_rng(0).poisson(20, n), dtype="Int64"),
    })
    h = fit_history(posts, metric="likes")
    assert h.n_posts == n - 10
    assert any("10 of 200 posts left out" in note for note in h.notes)
    with pytest.raises(AnalysisError, match="'metric'"):
        fit_history(posts, metric="hearts")
    with pytest.raises(AnalysisError, match="'exposure'"):
        fit_history(posts, metric="likes", exposure="views")
    with pytest.raises(AnalysisError, match="at least 20"):
        fit_history(posts.head(10), metric="likes")


def test_power_from_posts_runs_end_to_end():
    simulate = pytest.importorskip("toolkit.simulate")
    sim = simulate.simulate_profile(days=120, posts_per_day=2, text=False, seed=1)
    res = power(sim.posts, metric="likes", lifts=[0.2], weeks=[8], n_sims=100, seed=0,
                progress=False)
    assert res.history.n_posts == len(sim.posts)
    assert 0 <= res.table["power"].iloc[0] <= 1


# ---------------------------------------------------------------------------------------------
# schedule
# ---------------------------------------------------------------------------------------------
def test_schedule_is_balanced_by_weekday_and_hour_and_over_time():
    s = schedule("2025-03-03", weeks=8, times=["09:00", "18:00"], share_personal=0.5, seed=11)
    assert len(s) == 8 * 14
    per_slot = s.groupby(["weekday", "time"], observed=True)["label"].apply(
        lambda x: (x == "personal").sum())
    assert (per_slot == 4).all()  # every weekday x hour: half of its 8 weeks
    per_block = s.groupby(["weekday", "time", "block"], observed=True)["label"].apply(
        lambda x: (x == "personal").sum())
    assert (per_block == 1).all()  # blocks of 2 weeks: one personal each
    assert s["slot_time"].is_monotonic_increasing
    assert str(s["slot_time"].dt.tz) == "UTC"


def test_schedule_is_reproducible_from_its_seed_and_random_between_seeds():
    a = schedule("2025-03-03", weeks=6, slots_per_week=5, seed=1)
    b = schedule("2025-03-03", weeks=6, slots_per_week=5, seed=1)
    c = schedule("2025-03-03", weeks=6, slots_per_week=5, seed=2)
    pd.testing.assert_frame_equal(a, b)
    assert not a["label"].equals(c["label"])
    assert len(a) == 30


def test_schedule_share_30_percent_uses_blocks_of_10_weeks():
    s = schedule("2025-01-06", weeks=20, times=["Mon 10:00", "Thu 19:30"], share_personal=0.3,
                 seed=0)
    assert set(s["weekday"].astype(str)) == {"Mon", "Thu"}
    counts = s.groupby(["weekday", "block"], observed=True)["label"].apply(
        lambda x: (x == "personal").sum())
    assert (counts == 3).all()


def test_schedule_csv_columns_and_format(tmp_path):
    s = schedule("2025-01-06", weeks=2, times=["Tue 08:15"], seed=0, tz="Europe/Lisbon")
    path = schedule_to_csv(s, tmp_path / "plan.csv")
    back = pd.read_csv(path, dtype=str, keep_default_na=False)
    assert tuple(back.columns) == SCHEDULE_CSV_COLUMNS
    assert back["date_time"].tolist() == ["07/01/2025 08:15", "14/01/2025 08:15"]
    assert set(back["label"]) <= {"personal", "other"}
    assert back["message"].str.contains("write the text here").all()
    assert schedule_to_csv(s) == (tmp_path / "plan.csv").read_text(encoding="utf-8")


@pytest.mark.parametrize("kwargs, parameter", [
    ({"n_sims": "x"}, "n_sims"),
    ({"n_sims": 12.5}, "n_sims"),
    ({"n_sims": 5}, "n_sims"),
    ({"analysis": "before_after", "baseline_weeks": "x"}, "baseline_weeks"),
    ({"analysis": "before_after", "baseline_weeks": 2.5}, "baseline_weeks"),
    ({"analysis": "before_after", "baseline_weeks": 0}, "baseline_weeks"),
    ({"weeks": [2, 2.5]}, "weeks"),
    ({"weeks": ["x"]}, "weeks"),
])
def test_power_counts_that_are_not_whole_numbers_are_named(kwargs, parameter):
    # text raised int()'s bare ValueError, and 12.5 simulations ran as 12 (2.5 weeks as 2)
    with pytest.raises(AnalysisError, match="whole number") as err:
        power(history=SHOCKY, progress=False, **kwargs)
    assert err.value.parameter == parameter


@pytest.mark.parametrize("kwargs, parameter", [
    ({"share_personal": 1.2}, "share_personal"),
    ({"share_personal": "0.5"}, "share_personal"),
    ({"seed": "x"}, "seed"),
    ({"seed": -1}, "seed"),
    ({"weeks": 0}, "weeks"),
    ({"times": ["25:00"]}, "times"),
    ({"times": ["Someday 09:00"]}, "times"),
    ({"slots_per_week": 50}, "slots_per_week"),
    # a wrong type raised int()'s ValueError, and start=None an AttributeError on NaT
    ({"slots_per_week": "x"}, "slots_per_week"),
    ({"slots_per_week": 2.5}, "slots_per_week"),
    ({"start": None}, "start"),
    ({"weeks": 2.5}, "weeks"),  # quietly scheduled 2 weeks
    ({"weeks": "4"}, "weeks"),
])
def test_schedule_errors_name_the_parameter(kwargs, parameter):
    args = {"start": "2025-01-06", "weeks": 4, **kwargs}
    with pytest.raises(AnalysisError, match=f"'{parameter}'"):
        schedule(**args)


def test_schedule_csv_rejects_other_tables():
    with pytest.raises(AnalysisError, match="'plan'"):
        schedule_to_csv(pd.read_csv(io.StringIO("a,b\n1,2\n")))


def test_fit_history_since_keeps_the_later_weeks_only():
    simulate = pytest.importorskip("toolkit.simulate")
    sim = simulate.simulate_profile(days=200, posts_per_day=2, change="2024-04-01",
                                    change_lift=0.5, text=False, seed=9)
    later = fit_history(sim.posts, metric="likes", since="2024-04-01")
    early = fit_history(sim.posts, metric="likes", until="2024-04-01")
    # truth: likes per impression 0.02 before, 0.02 * 1.5 after (simulate_profile's BASE_RATES)
    assert later.rate == pytest.approx(0.03, rel=0.1)
    assert early.rate == pytest.approx(0.02, rel=0.1)
    assert "posts from 2024-04-01 only" in later.notes
    with pytest.raises(AnalysisError, match="'since'"):
        fit_history(sim.posts, metric="likes", since="not a date")


# ---------------------------------------------------------------------------------------------
# review fixes: real-method configuration errors, bayes detection, order of the size adjustment
# ---------------------------------------------------------------------------------------------
#: independent NB counts: closed-form power of +100% over 8 weeks is ~1.0 (power_closed_form)
PLAIN = History(posts_per_day=2.0, rate=0.02, dispersion=5.0, ar1=0.0, shock_sd=0.0,
                exposures=np.array([2000.0]))


@pytest.mark.parametrize("method, kwargs, parameter", [
    ("glmm", None, "method"),
    ("glm", {"controls": ["trnd"]}, "controls"),
])
def test_real_method_configuration_errors_raise_instead_of_counting_as_not_detected(method, kwargs,
                                                                                    parameter):
    with pytest.raises(AnalysisError) as err:
        power(history=PLAIN, lifts=[1.0], weeks=[8], n_sims=10, seed=1, progress=False,
              method=method, analysis_kwargs=kwargs)
    assert err.value.parameter == parameter


def test_bayes_power_detects_by_the_credible_interval():
    res = power(history=PLAIN, lifts=[1.0], weeks=[8], n_sims=10, seed=1, progress=False,
                method="bayes", analysis_kwargs={"n_resamples": 999})
    row = res.table.iloc[0]
    assert row["power_closed_form"] > 0.99  # closed form: +100% is found almost surely
    assert row["power"] >= 0.9
    assert "credible interval" in res.assumptions


def test_profiles_the_method_cannot_analyse_are_counted_and_reported():
    # one week of ~7 posts split at random: P(fewer than 2 in one arm) ~ 0.25 (Poisson(3.5) tails),
    # and content_lift refuses those profiles; at 8 weeks every profile can be analysed
    h = History(posts_per_day=1.0, rate=0.02, dispersion=5.0, ar1=0.0, shock_sd=0.0,
                exposures=np.array([2000.0]))
    res = power(history=h, lifts=[0.5], weeks=[1, 8], n_sims=40, seed=2, progress=False,
                method="welch")
    failed = res.details["failed"].set_index(["lift", "weeks"])["failed"]
    assert failed.loc[(0.5, 8)] == 0
    assert 0.05 * 40 < failed.loc[(0.5, 1)] < 0.5 * 40
    assert "could not be analysed" in res.text


def test_negative_lifts_use_the_size_adjusted_critical_value():
    # few posts and strong day shocks: the plain Wald test is liberal at 2 weeks. A -0.1% lift is
    # practically no lift, so its rejection rate must sit at the size-adjusted level (<= alpha)
    # like lift 0's, not at the unadjusted rate (seeded simulation; MC SE 0.005 at 2000 runs)
    h = History(posts_per_day=1.0, rate=0.02, dispersion=1.0, ar1=0.5, shock_sd=0.5,
                exposures=np.array([500.0]))
    res = power(history=h, lifts=[-0.001], weeks=[2], n_sims=2000, seed=1, progress=False,
                min_detectable=False)
    assert res.mdl["false_positive_rate"].iloc[0] > 0.1  # the unadjusted test is liberal here
    assert res.table["power"].iloc[0] < 0.05 + 3 * 0.005


def test_text_names_the_largest_lift_simulated():
    # with the lift grid, a plan that reaches no lift says up to which it looked
    rare = History(posts_per_day=0.2, rate=0.001, dispersion=1.0, ar1=0.0, shock_sd=0.0,
                   exposures=np.array([100.0]))
    res = power(history=rare, lifts=[0.05], weeks=[1], n_sims=50, seed=1, progress=False)
    assert res.mdl["min_detectable_lift"].isna().all()
    assert "no lift up to +200% reaches 80% power within 1 weeks" in res.text
    # without it (min_detectable=False, or a real method) only the requested lifts were
    # simulated: the text gives what was found there, and no minimum detectable lift is drawn
    # as a straight line from lift 0
    for kwargs in (dict(min_detectable=False, n_sims=50), dict(method="welch", n_sims=10)):
        res = power(history=PLAIN, lifts=[0.05], weeks=[8], seed=1, progress=False, **kwargs)
        assert "after 8 weeks a lift of +5% was found in" in res.text and "200%" not in res.text
        assert res.mdl["min_detectable_lift"].isna().all()


def test_a_plan_without_the_lift_grid_answers_for_its_own_lifts_only():
    # weeks_for and plan_length read the simulated cells of such a plan, not a line from lift 0
    res = power(history=SHOCKY, lifts=[0.3], weeks=[4, 26], n_sims=200, seed=2, progress=False,
                min_detectable=False)
    power_at = res.table.set_index("weeks")["power"]
    assert power_at[4] < 0.8 <= power_at[26]  # the setting the checks below need
    assert res.weeks_for(0.3) == 26
    assert plan_length(res, 0.3, weeks=4)[1] == (
        f"The schedule runs 4 weeks, as set: there +30% was found in {power_at[4]:.0%} of simulated "
        "profiles, short of 80% power.")
    with pytest.raises(AnalysisError, match=r"simulated only these lifts.*0\.28; simulated: \[0\.3\]"):
        res.weeks_for(0.28)


def test_wald_profiles_without_events_in_a_group_are_counted():
    # follows are rare (0.03% of impressions): over one week a group often has none, so the
    # rate ratio is undefined; such profiles count as not detected, and the result says how many
    from toolkit.simulate import simulate_profile

    posts = simulate_profile(days=120, seed=1, text=False).posts
    r = power(posts, metric="follows", lifts=[0.2], weeks=[1, 8], n_sims=200, seed=0, progress=False)
    failed = r.details["failed"].set_index(["lift", "weeks"])["failed"]
    assert failed.loc[(0.2, 1)] > 0 and failed.loc[(0.2, 8)] == 0
    assert "could not be analysed" in r.text


def test_power_chart_keeps_close_lifts_on_lines_of_their_own():
    from toolkit.charts.design import power_chart

    table = pd.DataFrame({"lift": [0.02, 0.02, 0.025, 0.025, 0.05, 0.05], "weeks": [4, 8] * 3,
                          "power": [0.1, 0.2, 0.15, 0.3, 0.4, 0.7]})
    spec = power_chart(table).to_dict()
    data = pd.DataFrame(spec["datasets"][next(iter(spec["datasets"]))])
    assert data.groupby("lift_label")["power"].apply(list).to_dict() == {
        "+2.0%": [0.1, 0.2], "+2.5%": [0.15, 0.3], "+5.0%": [0.4, 0.7]}


def test_fit_history_derives_engagements_on_a_loaded_table():
    # a loaded table always has the engagements column (NA where the export states no total):
    # the history must use the sum of the counts, as toolkit.engagement defines it
    import toolkit

    posts = toolkit.load(Path(__file__).resolve().parents[1] / "data/real/dataset_Facebook.csv",
                         progress=False).posts
    assert posts["engagements"].isna().all()
    history = fit_history(posts)
    expected = toolkit.engagement(posts)["engagements"]
    used = expected.notna() & (posts["impressions"] > 0)
    assert history.notes == (f"{int((~used).sum())} of 500 posts left out: missing engagements, missing or "
                             "zero impressions, or no date",)
    rate = float(expected[used].sum() / posts.loc[used, "impressions"].sum())
    assert history.rate == pytest.approx(rate, rel=0.05)


def test_too_few_posts_names_the_bound_or_column_that_removed_them():
    posts = simulate_profile(days=100, seed=1).posts
    posts = posts.assign(clicks=pd.array([None] * len(posts), dtype="Int64"),
                         reach=pd.array([None] * len(posts), dtype="Int64"))
    cases = [(dict(since="2030-01-01"), "since", "0 inside since/until; the posts run from 2024-01-01"),
             (dict(until="2020-01-01"), "until", "0 inside since/until"),
             (dict(metric="clicks"), "metric", "0 with clicks"),
             (dict(exposure="reach"), "exposure", "0 with reach > 0")]
    # an account with fewer than 20 posts in all: no bound is to blame
    cases.append((dict(since="2024-01-02", account=None), "posts", "19 posts of the account"))
    for kwargs, parameter, words in cases:
        table = posts.iloc[:19] if parameter == "posts" else posts
        with pytest.raises(AnalysisError, match=f"parameter '{parameter}'.*{re.escape(words)}"):
            fit_history(table, **kwargs)


def test_fit_history_reads_the_metric_as_the_analyses_do():
    # one reader for every analysis (metrics.metric_values + checked_counts): text is an error
    # naming the metric, not silently missing
    posts = simulate_profile(days=60, seed=1).posts
    with pytest.raises(AnalysisError, match="parameter 'metric'.*numeric counts"):
        fit_history(posts, metric="text")
    with pytest.raises(AnalysisError, match="parameter 'metric'.*column of posts"):
        fit_history(posts, metric="hearts")


def test_fit_history_takes_the_account_as_every_analysis_does():
    # metrics.of_account: an unknown account is an error that lists the accounts there are
    posts = pd.concat([simulate_profile(days=60, seed=1, account="alice").posts,
                       simulate_profile(days=60, seed=2, account="bob").posts], ignore_index=True)
    alone = fit_history(posts[posts["account"] == "bob"], metric="likes")
    chosen = fit_history(posts, metric="likes", account="bob")
    assert (chosen.n_posts, chosen.rate, chosen.dispersion) == (alone.n_posts, alone.rate, alone.dispersion)
    with pytest.raises(AnalysisError, match=re.escape(
            "parameter 'account': no posts of this account (accounts: ['alice', 'bob']) (found: carol)")):
        fit_history(posts, metric="likes", account="carol")
    with pytest.raises(AnalysisError, match="parameter 'account': posts have no account column"):
        fit_history(posts.drop(columns="account"), metric="likes", account="bob")
    # no account named: two accounts' posts pooled would plan for an account that does not exist
    # (the sample's three accounts made "~41 posts a week")
    with pytest.raises(AnalysisError, match=re.escape(
            "parameter 'account': posts hold several accounts: choose one with account= (found: ['alice', 'bob'])")):
        fit_history(posts, metric="likes")
    with pytest.raises(AnalysisError, match="posts hold several accounts"):
        power(posts, metric="likes", n_sims=20, progress=False)


def test_fit_history_last_weeks_keeps_the_recent_weeks_only():
    # 200 days from 2024-01-01 (last day 2024-07-18), likes per impression 0.02, then 0.03 from
    # 2024-04-01 (simulate_profile's BASE_RATES and change_lift): the last 8 weeks are all after it
    sim = simulate_profile(days=200, posts_per_day=2, change="2024-04-01", change_lift=0.5,
                           text=False, seed=9)
    last = pd.Timestamp(sim.posts["published_at"].max()).normalize()
    recent = fit_history(sim.posts, metric="likes", last_weeks=8)
    start = last + pd.Timedelta(days=1 - 56)
    assert recent.rate == pytest.approx(0.03, rel=0.1)
    assert f"posts from {start.date()} only (the last 8 weeks)" in recent.notes
    assert recent.n_days <= 56
    # with since, the later start wins; a window longer than the posts leaves them all, and says nothing
    assert fit_history(sim.posts, metric="likes", last_weeks=8, since="2024-01-01").n_posts == recent.n_posts
    every = fit_history(sim.posts, metric="likes", last_weeks=52)
    assert every.n_posts == fit_history(sim.posts, metric="likes").n_posts and every.notes == ()
    for bad in (0, 2.5, "26", True):
        with pytest.raises(AnalysisError, match="parameter 'last_weeks'"):
            fit_history(sim.posts, metric="likes", last_weeks=bad)


def test_a_window_of_weeks_that_leaves_too_few_posts_is_named_with_the_range():
    posts = simulate_profile(days=100, posts_per_day=0.5, seed=1).posts  # about 3 posts a week
    with pytest.raises(AnalysisError, match=r"parameter 'last_weeks'.*in the last 2 weeks.*the posts run from 2024-01-0"):
        fit_history(posts, last_weeks=2)
    with pytest.raises(AnalysisError, match="parameter 'since'"):
        fit_history(posts, since="2030-01-01", last_weeks=2)


# --- noise_sensitivity: the plan under milder day swings -------------------------------------------

def test_noise_sensitivity_reruns_power_with_only_the_day_swings_changed():
    import dataclasses

    from toolkit.design import History, noise_sensitivity, power

    h = History(posts_per_day=2, rate=0.03, dispersion=4.0, ar1=0.8, shock_sd=0.25, weekday=(1.0,) * 7,
                exposures=np.full(200, 1000.0))
    kw = dict(weeks=(4, 12), n_sims=200, seed=3, progress=False)
    t = noise_sensitivity(h, **kw)
    # each column is power()'s own minimum detectable lift for that noise model, same seed
    # stronger: the shock SD doubled, ar1 halfway from 0.8 to the cap 0.95
    for column, (ar1, sd) in {"stronger": (0.875, 0.5), "as_fitted": (0.8, 0.25), "milder": (0.4, 0.125),
                              "no_day_swings": (0, 0)}.items():
        alone = power(history=dataclasses.replace(h, ar1=ar1, shock_sd=sd), analysis="before_after",
                      lifts=(0.2,), **kw).mdl
        np.testing.assert_array_equal(t[column], alone["min_detectable_lift"], err_msg=column)
    assert t.attrs["noise"]["milder"] == (0.4, 0.125) and t.attrs["noise"]["stronger"] == (0.875, 0.5)
    # persistent day swings are what makes a before/after comparison need a larger lift
    assert (t["as_fitted"] > t["no_day_swings"]).all()
    assert (t["stronger"].fillna(np.inf) > t["as_fitted"]).all()


@pytest.mark.parametrize("kwargs, parameter", [(dict(milder=1.5), "milder"), (dict(milder=0), "milder"),
                                              (dict(lifts=(0.1,)), "power_kwargs"),
                                              (dict(method="glm"), "method")])
def test_noise_sensitivity_names_a_bad_argument(kwargs, parameter):
    from toolkit.design import History, noise_sensitivity

    h = History(posts_per_day=2, rate=0.03, dispersion=4.0, ar1=0.5, shock_sd=0.1)
    with pytest.raises(AnalysisError) as err:
        noise_sensitivity(h, **kwargs)
    assert err.value.parameter == parameter


@pytest.mark.parametrize("lifts", [[float("nan")], [float("inf")], [0.2, -1.0]])
def test_power_names_a_lift_that_is_no_relative_change(lifts):
    # nan and inf reached numpy's random generator ("lam value too large")
    with pytest.raises(AnalysisError, match="must be above -1") as err:
        power(history=CLOSED, lifts=lifts, weeks=[4], n_sims=20, progress=False)
    assert err.value.parameter == "lifts"


def test_power_says_few_simulations_make_rough_figures():
    few = power(history=CLOSED, lifts=[0.2], weeks=[4], n_sims=50, progress=False)
    assert "With 50 simulations the size adjustment" in few.text and "rough" in few.text
    enough = power(history=CLOSED, lifts=[0.2], weeks=[4], n_sims=200, progress=False)
    assert "rough" not in enough.text


def test_noise_sensitivity_refuses_what_it_sets_and_reads_each_horizon_once():
    from toolkit.design import noise_sensitivity

    with pytest.raises(AnalysisError, match="sets these itself") as err:
        noise_sensitivity(CLOSED, weeks=(4,), n_sims=20, progress=False, min_detectable=False)
    assert err.value.found == ["min_detectable"]
    t = noise_sensitivity(CLOSED, weeks=(8, 4, 8), n_sims=20, progress=False)
    assert t["weeks"].tolist() == [4, 8]


def test_power_warns_when_the_history_could_not_measure_day_swings():
    # 11 days of about two posts: fit_history sets day shocks to zero (its note), which makes every
    # horizon look shorter than it is; the power text carries that
    sim = simulate_profile(days=11, posts_per_day=2, seed=4, text=False)
    h = fit_history(sim.posts, metric="likes")
    assert any("day shocks set to zero" in n for n in h.notes)
    r = power(history=h, lifts=[0.3], weeks=[4], n_sims=50, progress=False)
    assert "too few days with two or more posts to measure how whole days swing together" in r.text
    assert "too few days" not in power(history=CLOSED, lifts=[0.3], weeks=[4], n_sims=50, progress=False).text


def test_a_schedule_starts_the_monday_after_the_fitted_history():
    # the fitted posts' last day, and the first Monday after it (a Sunday's is the next day, a
    # Monday's a week later: the schedule never overlaps the fitted posts)
    posts = simulate_profile(days=60, seed=5).posts
    history = fit_history(posts)
    last = pd.to_datetime(posts["published_at"], utc=True).max().normalize()
    assert history.last_day == str(last.date())
    start = pd.Timestamp(start_after(history))
    assert start.day_of_week == 0 and pd.Timedelta(days=1) <= start - last.tz_localize(None) <= pd.Timedelta(days=7)
    for day, monday in [("2025-06-29", "2025-06-30"), ("2025-06-30", "2025-07-07"), ("2025-07-02", "2025-07-07")]:
        assert start_after(History(posts_per_day=1.0, rate=0.02, dispersion=5.0, ar1=0.0, shock_sd=0.0,
                                   last_day=day)) == monday
    with pytest.raises(AnalysisError, match="no last day"):
        start_after(CLOSED)
