"""A small, seeded version of the before/after calibration study (the full one: make validate).

Truth from simulation (toolkit.simulate.simulate_profile, seeded through
toolkit.calibration.before_after.study's SeedSequence). With n = 120 profiles per scenario the
binomial SD of a rate near 0.05 is sqrt(0.05 * 0.95 / 120) = 0.020, so the bands below are the
target +- 3 SD: false positive rate <= 0.11 (and the t-test, which ignores the day shocks, far
above it), coverage >= 0.89. The full 1,000-profile figures are in docs/validation.md.
"""

from __future__ import annotations

import pytest

from toolkit.calibration import STUDY_COLUMNS
from toolkit.calibration.before_after import study

N = 120


@pytest.fixture(scope="module")
def table():
    return study(N, seed=20261122, progress=False, methods=("glm", "its")).set_index(["method", "scenario"])


@pytest.mark.slow
@pytest.mark.parametrize("method", ["glm", "its"])
def test_false_positive_rate(table, method):
    row = table.loc[(method, "no change")]
    assert row["runs"] == N
    assert row["rejection_rate"] <= 0.05 + 3 * 0.020


@pytest.mark.slow
@pytest.mark.parametrize("method", ["glm", "its"])
def test_coverage_of_planted_lift(table, method):
    row = table.loc[(method, "planted lift")]
    assert row["true_lift"] == 0.2
    assert row["coverage"] >= 0.95 - 3 * 0.020
    assert abs(row["mean_lift"] - 0.2) < 0.03


@pytest.mark.slow
def test_naive_t_test_and_model_based_errors_over_reject(table):
    # the day shocks make per-post tests overconfident; the study shows it beside the methods
    assert table.loc[("t-test (naive, per post)", "no change"), "rejection_rate"] > 0.11
    assert table.loc[("glm (model-based errors)", "no change"), "rejection_rate"] > 0.11
    assert list(table.reset_index().columns) == list(STUDY_COLUMNS)
