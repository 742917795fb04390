"""Tests of the DesignPanel callbacks, driven by setting widget values."""

from __future__ import annotations

import pandas as pd
import pytest

from toolkit.design import SCHEDULE_CSV_COLUMNS
from toolkit.widgets.design import DesignPanel


@pytest.fixture(scope="module")
def panel():
    from toolkit.simulate import simulate_profile

    posts = simulate_profile(days=120, posts_per_day=2, seed=3, text=False).posts
    return DesignPanel(posts, metric="likes", n_sims=60, start="2025-01-06")


def test_panel_computes_power_and_a_schedule_on_creation(panel):
    assert panel.result is not None and panel.plan is not None
    assert sorted(panel.result.table["lift"].unique()) == [0.1, 0.2, 0.3]
    assert panel.result.table["weeks"].max() == 26


def test_changing_choices_recomputes_power(panel):
    panel.analysis.value = "before_after"
    panel.lifts.value = (0.5,)
    panel.max_weeks.value = 10
    panel.power_button.click()
    table = panel.result.table
    assert set(table["analysis"]) == {"before_after"}
    assert sorted(table["weeks"]) == [2, 4, 6, 8, 10]
    assert set(table["lift"]) == {0.5}
    panel.analysis.value = "content_lift"


def test_schedule_follows_the_widgets_and_saves_csv(panel, tmp_path):
    panel.times.value = "Mon 09:00, Thu 18:30"
    panel.schedule_weeks.value = 4
    panel.share.value = 0.5
    panel.schedule_button.click()
    assert len(panel.plan) == 8
    assert set(panel.plan["weekday"].astype(str)) == {"Mon", "Thu"}
    assert (panel.plan["label"] == "personal").sum() == 4
    panel.csv_path.value = str(tmp_path / "plan.csv")
    panel.save_button.click()
    back = pd.read_csv(tmp_path / "plan.csv", dtype=str, keep_default_na=False)
    assert tuple(back.columns) == SCHEDULE_CSV_COLUMNS and len(back) == 8


def test_bad_input_shows_an_error_instead_of_raising(panel):
    panel.times.value = "nine o'clock"
    panel.schedule_button.click()
    assert panel.error is not None and "'times'" in panel.error
    panel.times.value = "09:00"
    panel.schedule_button.click()
    assert panel.error is None


def test_static_outputs_for_reports(panel):
    items = panel.static_outputs()
    assert items[0] is panel.history
    assert any(item is panel.result for item in items)


def test_failures_say_why_and_leave_nothing_stale_to_save(tmp_path):
    import datetime

    from toolkit.simulate import simulate_profile
    from toolkit.widgets.design import DesignPanel

    panel = DesignPanel(simulate_profile(days=90, seed=1, text=False).posts, metric="likes", n_sims=20)
    panel.csv_path.value = str(tmp_path / "missing" / "schedule.csv")
    assert panel.save_csv() is None and "cannot write" in panel.error
    panel.start.value = None
    assert panel.draw_schedule() is None and "start" in panel.error
    panel.start.value = datetime.date(2025, 1, 6)
    panel.times.value = "not a time"
    assert panel.draw_schedule() is None
    panel.csv_path.value = str(tmp_path / "schedule.csv")
    assert panel.save_csv() is None and not (tmp_path / "schedule.csv").exists()


def test_schedule_is_drawn_in_the_chosen_time_zone(panel):
    # Europe/Berlin is UTC+1 in January (tz database): 09:00 there is 08:00 UTC
    panel.times.value = "09:00"
    panel.schedule_weeks.value = 1
    panel.tz.value = "Europe/Berlin"
    panel.schedule_button.click()
    assert panel.error is None and str(panel.plan["slot_time"].dt.tz) == "Europe/Berlin"
    assert set(panel.plan["slot_time"].dt.tz_convert("UTC").dt.strftime("%H:%M")) == {"08:00"}
    panel.tz.value = "Mars/Olympus"
    panel.schedule_button.click()
    assert panel.plan is None and "'tz'" in panel.error
    panel.tz.value = "UTC"
    panel.schedule_button.click()
    assert panel.error is None


def test_panel_keeps_a_notebook_share_and_signs_negative_lifts():
    # a slider clamps a value outside its range without a word: 0.05 became 0.1
    from toolkit.simulate import simulate_profile

    posts = simulate_profile(days=120, seed=3, text=False).posts
    panel = DesignPanel(posts, metric="likes", n_sims=20, share=0.05, lifts=(-0.1, 0.2))
    assert panel.share.value == pytest.approx(0.05)
    labels = [label for label, _ in panel.lifts.options]
    assert "-10%" in labels and "+20%" in labels and "+-10%" not in labels
