"""A small, seeded version of the robustness study (toolkit.calibration.robustness; the published run,
500 profiles per scenario, is in docs/validation.md, "When the assumptions bend").

Truth from simulation (toolkit.simulate.simulate_profile, seeded through the study's SeedSequence, so
these are the first profiles of the published run). The bands are binomial: with R runs and a true
false positive rate of 0.05 the rate has SD sqrt(0.05 * 0.95 / R); we allow 3 SD on either side, so a
calibrated method fails with probability about 0.3%. The two checks are of scenarios the docs call
well calibrated: before_after's glm when posting doubles at the change (200 runs: 0.05 +- 0.046),
and content_lift's week-stratified permutation test when the content mix and the account's level
both shift at one date (300 runs: 0.05 +- 0.038; 199 resamples, not the published 999). With so few
runs they catch gross miscalibration only (scipy.stats.binom): a true rate of 0.09, content_lift's
glm in that scenario, passes the 300-run band 47% of the time; the naive welch there (0.76) never.
"""

from __future__ import annotations

import math

import pytest

from toolkit.calibration import STUDY_COLUMNS
from toolkit.calibration.robustness import SCENARIOS, study

DOUBLES = "posting doubles at the change (2 -> 4 a day)"
MIX = "mix shifts at the change (personal 0.2 -> 0.6), level +30%"


def _band(runs: int, p: float = 0.05) -> float:
    return 3 * math.sqrt(p * (1 - p) / runs)


def test_table_has_a_row_per_analysis_method_and_scenario():
    table = study(2, seed=20261122, progress=False, cf_profiles=1, n_resamples=99)
    assert list(table.columns) == list(STUDY_COLUMNS)
    ba = table[table["analysis"] == "before_after"]
    cl = table[table["analysis"] == "content_lift"]
    ba_scenarios = [n for n, s in SCENARIOS.items() if "before_after" in s.analyses]
    assert len(ba) == 3 * len(ba_scenarios) and len(cl) == 5 * len(SCENARIOS)
    assert set(ba["scenario"]) == set(ba_scenarios) and set(cl["scenario"]) == set(SCENARIOS)
    # counterfactual runs on the first cf_profiles profiles only; the others on all (unless one raised)
    assert (ba.loc[ba["method"] == "counterfactual", "runs"] <= 1).all()
    assert (cl["runs"] == 2).all()
    # the only planted effect: the +30% level change of the mix-shift scenario, for before_after
    assert set(ba.loc[ba["scenario"] == MIX, "true_lift"]) == {0.3}
    assert (table.loc[~((table["analysis"] == "before_after") & (table["scenario"] == MIX)),
                      "true_lift"] == 0).all()


@pytest.mark.slow
def test_glm_holds_when_posting_doubles_at_the_change():
    n = 200
    row = study(n, seed=20261122, progress=False, scenarios=(DOUBLES,), before_after_methods=("glm",),
                content_lift_methods=()).iloc[0]
    assert (row["analysis"], row["method"], row["runs"]) == ("before_after", "glm", n)
    assert abs(row["rejection_rate"] - 0.05) <= _band(n)


@pytest.mark.slow
def test_permutation_holds_when_mix_and_level_shift_together():
    n = 300
    row = study(n, seed=20261122, progress=False, scenarios=(MIX,), before_after_methods=(),
                content_lift_methods=("permutation",), n_resamples=199).iloc[0]
    assert (row["analysis"], row["method"], row["runs"]) == ("content_lift", "permutation", n)
    assert abs(row["rejection_rate"] - 0.05) <= _band(n)


@pytest.mark.slow
def test_four_week_blocks_hold_where_weekly_clusters_fail():
    # strong autocorrelation (AR 0.85): weekly clusters reject about 15% of true nulls (published run);
    # errors clustered by 4-week blocks should be near 5%. 150 runs: band 0.05 +- 0.053, which a true
    # rate of 0.152 passes with probability about 4% (scipy.stats.binom.cdf(15, 150, 0.152))
    n = 150
    strong = "strong autocorrelation (AR 0.85)"
    row = study(n, seed=20261122, progress=False, scenarios=(strong,), before_after_methods=("glm",),
                content_lift_methods=(), robust="4 weeks").iloc[0]
    assert row["runs"] == n
    assert abs(row["rejection_rate"] - 0.05) <= _band(n)


@pytest.mark.slow
def test_media_type_strata_keep_a_format_effect_out_of_permutation():
    # media types drive engagement and personal posts carry other formats: within weeks only,
    # permutation reads the format as a lift (published run: 0.716); within week x media type it
    # holds (0.062). 150 runs: band 0.05 +- 0.053; 0.716 cannot pass it
    n = 150
    media = "media types drive engagement (video +30%, link -30%)"
    kwargs = dict(seed=20261122, progress=False, scenarios=(media,), before_after_methods=(),
                  content_lift_methods=("permutation",), n_resamples=199)
    weeks_only = study(n, **kwargs).iloc[0]
    within = study(n, strata=("media_type",), **kwargs).iloc[0]
    assert weeks_only["runs"] == within["runs"] == n
    assert weeks_only["rejection_rate"] > 0.5
    assert abs(within["rejection_rate"] - 0.05) <= _band(n)
