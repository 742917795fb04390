"""Tests of toolkit.design.match_schedule: published posts matched back to a randomised schedule.

Where each expectation comes from is said at the test: by construction (posts placed at known
offsets from known slots, so every count is known before matching), or a seeded simulation with a
known planted lift.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import toolkit
from toolkit.design import MATCH_COLUMNS, match_schedule, schedule, schedule_to_csv
from toolkit.errors import AnalysisError


def _posts(times, *, known=None, ids=None) -> pd.DataFrame:
    """A minimal posts table: one account, UTC publish times."""
    times = pd.DatetimeIndex(pd.to_datetime(list(times), utc=True))
    n = len(times)
    return pd.DataFrame({
        "account": pd.array(["me"] * n, dtype="string"),
        "post_id": pd.array(ids if ids is not None else [f"p{i:03d}" for i in range(n)], dtype="string"),
        "published_at": times,
        "time_known": np.ones(n, bool) if known is None else np.asarray(known, bool),
    })


def _at_slots(plan: pd.DataFrame, rng: np.random.Generator, skip=(), jitter=10) -> tuple[list, list]:
    """Publish times near every slot but those in ``skip`` (jitter of up to ``jitter`` minutes)."""
    times, slot_ids = [], []
    for i, row in plan.iterrows():
        if i in skip:
            continue
        times.append(row["slot_time"].tz_convert("UTC")
                     + pd.Timedelta(minutes=int(rng.integers(-jitter, jitter + 1))))
        slot_ids.append(row["slot_id"])
    return times, slot_ids


def test_every_count_and_label_of_a_known_publication():
    # by construction: 56 slots; 3 skipped; every other slot gets a post within 10 minutes (inside
    # the 30-minute tolerance); slot-0006 gets its post 2 minutes late and a second one 12 minutes
    # late; 2 posts at 13:30 (between slots), 1 before and 1 after the schedule, 1 date-only post
    # on a slot's day
    plan = schedule("2025-03-03", weeks=4, times=["09:00", "18:00"], seed=5)
    rng = np.random.default_rng(7)
    skip = {3, 10, 20}
    times, slot_ids = _at_slots(plan, rng, skip=skip)
    times[slot_ids.index("slot-0006")] = plan.loc[5, "slot_time"] + pd.Timedelta(minutes=2)
    extra = [plan.loc[5, "slot_time"] + pd.Timedelta(minutes=12),       # second post in slot-0006
             pd.Timestamp("2025-03-04 13:30", tz="UTC"), pd.Timestamp("2025-03-11 13:30", tz="UTC"),
             pd.Timestamp("2025-02-01 09:00", tz="UTC"), pd.Timestamp("2025-04-30 12:00", tz="UTC"),
             pd.Timestamp("2025-03-05 00:00", tz="UTC")]                 # date only
    posts = _posts(times + extra, known=[True] * (len(times) + 5) + [False])
    m = match_schedule(posts, plan)

    skipped = plan.loc[sorted(skip)]
    assert m.counts == {
        "posts matched to a slot": 53,
        "slots without a post (other)": int(skipped["label"].eq("other").sum()),
        "slots without a post (personal)": int(skipped["label"].eq("personal").sum()),
        "slots without a post": 3,
        "before the schedule": 1, "between slots": 2, "after the schedule": 1,
        "date only (no time of day)": 1, "no publish time": 0, "second post in a slot": 1,
    }
    # every post is either matched or set aside with a reason, never both, never neither
    assert len(m.posts) + len(m.set_aside) == len(posts)
    assert set(m.posts["post_id"]).isdisjoint(m.set_aside["post_id"])
    # each matched post carries the slot it was published for and that slot's assignment
    expected = dict(zip(plan["slot_id"], plan["label"]))
    assert m.posts["slot_id"].tolist() == slot_ids
    assert (m.posts["scheduled_label"] == m.posts["slot_id"].map(expected)).all()
    assert list(m.posts.columns[-len(MATCH_COLUMNS):]) == list(MATCH_COLUMNS)
    assert m.posts["minutes_from_slot"].abs().max() <= 10
    # the nearer of the two posts in slot-0006 is kept, the other is reported against that slot
    assert m.posts.set_index("slot_id").loc["slot-0006", "minutes_from_slot"] == 2
    assert m.set_aside["reason"].tolist().count("another post nearer slot-0006") == 1
    assert m.slots["post_id"].isna().sum() == 3
    assert set(m.slots.loc[m.slots["post_id"].isna(), "slot_id"]) == set(skipped["slot_id"])
    assert "53 of 56 slots" in m.text and "3 slots have none" in m.text
    assert "<table" in m._repr_html_()


@pytest.mark.parametrize("tz, start", [("UTC", "2025-03-03"),
                                       ("Europe/Berlin", "2025-03-24")])  # DST starts 2025-03-30
def test_the_csv_a_scheduler_gets_matches_as_the_frame_does(tmp_path, tz, start):
    # round trip: schedule -> schedule_to_csv -> file -> match_schedule equals matching the frame
    plan = schedule(start, weeks=2, times=["09:00", "18:00"], seed=2, tz=tz)
    times, _ = _at_slots(plan, np.random.default_rng(3), skip={1})
    posts = _posts(times + [pd.Timestamp(start, tz="UTC") + pd.Timedelta(hours=13)])
    path = schedule_to_csv(plan, tmp_path / "plan.csv")
    from_frame = match_schedule(posts, plan)
    from_csv = match_schedule(posts, path, tz=tz)
    pd.testing.assert_frame_equal(from_csv.posts, from_frame.posts)
    pd.testing.assert_frame_equal(from_csv.slots, from_frame.slots)
    assert from_csv.counts == from_frame.counts
    assert from_csv.counts["posts matched to a slot"] == len(plan) - 1
    if tz != "UTC":
        # the slots after the change are 07:00 and 16:00 UTC, before it 08:00 and 17:00: the
        # local times of the CSV read in another zone match nothing
        assert sorted(from_frame.posts["slot_time"].dt.tz_convert("UTC").dt.hour.unique()) == [7, 8, 16, 17]
        with pytest.raises(AnalysisError, match="no post matches the schedule"):
            match_schedule(posts, path, tz="UTC")


def test_no_post_in_any_slot_names_both_date_ranges_and_says_to_publish():
    plan = schedule("2025-07-07", weeks=2, times=["09:00"], seed=0)
    posts = _posts(pd.date_range("2024-01-01 09:00", periods=30, freq="D"))
    with pytest.raises(AnalysisError) as err:
        match_schedule(posts, plan)
    message = str(err.value)
    assert "parameter 'schedule'" in message
    assert "2025-07-07 09:00 to 2025-07-20 09:00" in message and "2024-01-01 to 2024-01-30" in message and "30 minutes" in message
    assert "not have been published yet" in message and "rerun with the new export" in message


def test_a_csv_that_is_not_a_schedule_names_the_file_and_the_missing_columns(tmp_path):
    path = tmp_path / "posts.csv"
    path.write_text("post_id,label\n1,personal\n", encoding="utf-8")
    with pytest.raises(AnalysisError, match=r"posts\.csv.*missing date_time, slot_id"):
        match_schedule(_posts(["2025-01-01 09:00"]), path)
    bad = tmp_path / "bad.csv"
    bad.write_text("date_time,message,link,label,slot_id\n2025-01-06 09:00,x,,personal,slot-0001\n",
                   encoding="utf-8")
    with pytest.raises(AnalysisError, match=r"bad\.csv, row 2, column 'date_time'.*DD/MM/YYYY"):
        match_schedule(_posts(["2025-01-01 09:00"]), bad)
    with pytest.raises(AnalysisError, match="schedule file not found"):
        match_schedule(_posts(["2025-01-01 09:00"]), tmp_path / "nowhere.csv")
    with pytest.raises(AnalysisError, match="parameter 'schedule'.*found: NoneType"):
        match_schedule(_posts(["2025-01-01 09:00"]), None)


@pytest.mark.parametrize("kwargs, parameter", [
    ({"tz": "Mars/Olympus"}, "tz"),
    ({"tolerance": 30}, "tolerance"),          # a bare number has no unit
    ({"tolerance": "soon"}, "tolerance"),
    ({"tolerance": "-5min"}, "tolerance"),
    ({"tolerance": "5h"}, "tolerance"),        # slots 4 h apart: windows would overlap
])
def test_bad_parameters_are_named(kwargs, parameter):
    plan = schedule("2025-01-06", weeks=1, times=["09:00", "13:00"], seed=0)
    with pytest.raises(AnalysisError, match=f"parameter '{parameter}'"):
        match_schedule(_posts(["2025-01-06 09:00"]), plan, **kwargs)


def test_posts_of_several_accounts_are_refused():
    plan = schedule("2025-01-06", weeks=1, times=["09:00"], seed=0)
    posts = _posts(["2025-01-06 09:00", "2025-01-07 09:00"])
    posts["account"] = pd.array(["me", "you"], dtype="string")
    with pytest.raises(AnalysisError, match="of_account"):
        match_schedule(posts, plan)


def test_the_glm_interval_on_matched_posts_covers_a_planted_lift():
    # seeded simulation with a known truth: engagements negative binomial (size 5) over
    # impressions, +30% per impression on the slots assigned personal, nothing else planted;
    # 12 weeks x 3 slots a day, 10 slots skipped, and 200 earlier posts with no lift at all that
    # must not enter the analysis
    truth = 0.30
    plan = schedule("2025-01-06", weeks=12, times=["09:00", "13:00", "18:00"], seed=11)
    rng = np.random.default_rng(2025)
    skip = set(rng.choice(len(plan), size=10, replace=False).tolist())
    times, slot_ids = _at_slots(plan, rng, skip=skip)
    history = list(pd.date_range("2024-06-01 10:00", periods=200, freq="13h", tz="UTC"))
    posts = _posts(times + history)
    personal = np.r_[plan.set_index("slot_id").loc[slot_ids, "label"].eq("personal").to_numpy(),
                     rng.random(len(history)) < 0.5]
    impressions = np.round(rng.lognormal(np.log(1500), 0.5, len(posts))).astype(int)
    mean = 0.02 * impressions * np.where(personal, 1 + truth, 1.0)
    size = 5.0
    posts["impressions"] = pd.array(impressions, dtype="Int64")
    posts["engagements"] = pd.array(rng.negative_binomial(size, size / (size + mean)), dtype="Int64")
    posts["content_label"] = pd.array(np.where(personal, "personal", "brand"), dtype="string")

    m = match_schedule(posts, plan)
    assert len(m.posts) == len(plan) - 10 and m.counts["before the schedule"] == 200
    result = toolkit.content_lift(m.posts, label=("scheduled_label", "personal"), metric="engagements",
                                  exposure="impressions", method="glm")
    row = result.table.iloc[0]
    assert row["n_treatment"] + row["n_baseline"] == len(m.posts)
    assert row["ci_low"] < truth < row["ci_high"], row[["lift", "ci_low", "ci_high"]].to_dict()
    assert "randomised schedule" not in result.text
    # the same posts compared by what each turned out to be: the text says it is not the experiment
    by_content = toolkit.content_lift(m.posts, label=("content_label", "personal"), metric="engagements",
                                      exposure="impressions", method="glm")
    assert ("come from a randomised schedule, but they are compared by content_label" in by_content.text
            and "observational" in by_content.text)


def test_the_match_shows_counts_and_no_post_text():
    # a notebook shows the match (text/plain and HTML): counts, never the posts' own words
    plan = schedule("2025-01-06", weeks=1, times=["09:00"], seed=0)
    posts = _posts(["2025-01-06 09:01", "2025-01-07 15:00"])
    posts["text"] = pd.array(["my secret words", "more words"], dtype="string")
    m = match_schedule(posts, plan)
    for shown in (repr(m), str(m), m._repr_html_()):
        assert "secret" not in shown and "between slots" in shown and "1 of 7 slots" in shown


def test_any_index_of_the_posts_and_naive_utc_times_match_alike():
    # by construction: the same two posts, once with a repeated index and times without a zone
    # (read as UTC, the canonical table's zone), match the same slots
    plan = schedule("2025-01-06", weeks=1, times=["09:00"], seed=0)
    posts = _posts(["2025-01-06 09:01", "2025-01-07 08:58", "2025-01-07 15:00"])
    again = posts.set_axis([4, 4, 4])
    again["published_at"] = again["published_at"].dt.tz_localize(None)
    a, b = match_schedule(posts, plan), match_schedule(again, plan)
    assert a.posts["slot_id"].tolist() == b.posts["slot_id"].tolist() == ["slot-0001", "slot-0002"]
    assert b.set_aside["reason"].tolist() == ["between slots"]


def test_schedule_keeps_slots_across_daylight_saving_and_names_a_bad_zone(tmp_path):
    # Europe/Berlin skips 02:00-03:00 on 2025-03-30 and repeats it on 2025-10-26 (tz database)
    from toolkit.design import schedule, schedule_to_csv

    spring = schedule("2025-03-24", weeks=2, times=["02:30"], seed=1, tz="Europe/Berlin")
    assert len(spring) == 14
    day = spring.set_index(spring["slot_time"].dt.strftime("%Y-%m-%d"))
    assert day.loc["2025-03-30", "time"] == "03:00" and day.loc["2025-03-29", "time"] == "02:30"
    autumn = schedule("2025-10-20", weeks=2, times=["02:30"], seed=1, tz="Europe/Berlin")
    assert autumn["slot_time"].is_unique and str(autumn["slot_time"].iloc[6].utcoffset()) == "2:00:00"
    # the written schedule reads back to the same slots
    for name, plan in (("spring", spring), ("autumn", autumn)):  # two plans, two files
        path = schedule_to_csv(plan, tmp_path / f"{name}.csv")
        from toolkit.design import _read_schedule_csv

        back = _read_schedule_csv(path, "Europe/Berlin")
        assert back["slot_time"].tolist() == plan["slot_time"].tolist()
    with pytest.raises(AnalysisError, match="time zone") as err:
        schedule("2025-03-24", weeks=1, times=["09:00"], tz="Mars/Olympus")
    assert err.value.parameter == "tz"


def test_slots_the_spring_change_would_merge_are_refused():
    # Europe/Berlin skips 02:00-03:00 on 2025-03-30: a 02:30 slot moves to 03:00, where another is
    from toolkit.design import schedule

    with pytest.raises(AnalysisError, match="same moment") as err:
        schedule("2025-03-24", weeks=1, times=["02:30", "03:00"], seed=1, tz="Europe/Berlin")
    assert err.value.parameter == "times"
    assert err.value.found == ["2025-03-30 02:30", "2025-03-30 03:00"]
    assert len(schedule("2025-03-24", weeks=1, times=["02:30", "03:00"], seed=1, tz="UTC")) == 14
    # a schedule edited by hand to put two slots at one moment cannot give posts one label
    plan = schedule("2025-01-06", weeks=1, times=["09:00"], seed=0)
    plan.loc[1, "slot_time"] = plan.loc[0, "slot_time"]
    with pytest.raises(AnalysisError, match="same moment") as err:
        match_schedule(_posts(["2025-01-06 09:01"]), plan)
    assert err.value.found == ["slot-0001", "slot-0002"]


def test_bad_inputs_to_matching_and_writing_a_schedule_are_named():
    plan = schedule("2025-01-06", weeks=1, times=["Mon 09:00"], seed=0)
    posts = pd.DataFrame({"published_at": pd.to_datetime(["2025-01-06 09:05"], utc=True)})
    cases = [
        (lambda: match_schedule([1, 2], plan), "posts"),                               # was an AttributeError
        (lambda: match_schedule(posts, plan.assign(slot_time="soon")), "schedule"),    # was a DateParseError
        (lambda: schedule_to_csv(plan, message="{title}"), "message"),                 # was a KeyError
        (lambda: schedule_to_csv(plan.assign(slot_time=plan["slot_time"].astype(str))), "plan"),  # .dt
    ]
    for call, parameter in cases:
        with pytest.raises(AnalysisError) as err:
            call()
        assert err.value.parameter == parameter


def test_a_written_schedule_is_not_replaced_by_a_different_one_unseen(tmp_path):
    # rerunning notebook 04 (or building its report) with another seed rewrote the pre-registered
    # schedule; the same schedule again is fine, another one needs overwrite=True
    path = tmp_path / "personal_schedule.csv"
    first = schedule("2025-01-06", weeks=2, times=["Mon 09:00", "Thu 18:00"], seed=0)
    schedule_to_csv(first, path)
    schedule_to_csv(first, path)  # the same plan again
    other = schedule("2025-01-06", weeks=2, times=["Mon 09:00", "Thu 18:00"], seed=1)
    assert schedule_to_csv(other) != schedule_to_csv(first)
    with pytest.raises(AnalysisError, match="a different schedule is already there") as err:
        schedule_to_csv(other, path)
    assert err.value.parameter == "overwrite" and path.read_text() == schedule_to_csv(first)
    schedule_to_csv(other, path, overwrite=True)
    assert path.read_text() == schedule_to_csv(other)
