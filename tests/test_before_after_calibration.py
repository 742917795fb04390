"""A small, seeded version of the before/after calibration study (the full one: make validate).

Truth from simulation (toolkit.simulate.simulate_profile, seeded through
toolkit.calibration.before_after.study's SeedSequence). With n = 100 profiles per scenario the
binomial SD of a rate near 0.05 is sqrt(0.05 * 0.95 / 100) = 0.022, so the bounds below are the
target + 3 SD for false positives (<= 0.115) and - 3 SD for coverage (>= 0.885): one-sided, and
with 100 runs they catch gross miscalibration only (a true rate of 0.10 fails about 30% of the
time, 0.15 about 84%: scipy.stats.binom). ``runs`` counts the runs with a p-value and an interval,
so a method that gave none cannot pass as never rejecting. The counterfactual method is
left to the full study (its state-space fit is too slow for make test). The full 1,000-profile
figures are in docs/validation.md (make validate).
"""

from __future__ import annotations

import pytest

from toolkit.calibration import STUDY_COLUMNS
from toolkit.calibration.before_after import study

N = 100


@pytest.fixture(scope="module")
def table():
    return study(N, seed=20261122, progress=False, methods=("glm", "its")).set_index(["method", "scenario"])


@pytest.mark.slow
@pytest.mark.parametrize("method", ["glm", "its"])
def test_false_positive_rate(table, method):
    row = table.loc[(method, "no change")]
    assert row["runs"] == N
    assert row["rejection_rate"] <= 0.05 + 3 * 0.022


@pytest.mark.slow
@pytest.mark.parametrize("method", ["glm", "its"])
def test_coverage_of_planted_lift(table, method):
    row = table.loc[(method, "planted lift")]
    assert row["true_lift"] == 0.2
    assert row["coverage"] >= 0.95 - 3 * 0.022
    assert abs(row["mean_lift"] - 0.2) < 0.03


@pytest.mark.slow
def test_comparison_rows_are_reported(table):
    # the naive t-test and the other standard-error types run on the same profiles, for comparison
    methods = set(table.index.get_level_values("method"))
    assert {"t-test (naive, per post)", "glm (model-based errors)", "glm (HAC errors)"} <= methods
    assert sorted(table.reset_index().columns) == sorted(STUDY_COLUMNS)
