"""Tests of toolkit.batch: one analysis per account, serial, on local processes and on Dask."""

from __future__ import annotations

import warnings

import pandas as pd
import pytest

from toolkit.batch import run_batch
from toolkit.errors import AnalysisError, ConfoundWarning


@pytest.fixture(scope="module")
def portfolio():
    from toolkit.simulate import simulate_profile

    # five accounts with a planted +40% after 2024-03-01 (seeded), and one that starts after it
    parts = [simulate_profile(days=120, posts_per_day=2, change="2024-03-01", change_lift=0.4,
                              account=f"acct{i}", text=False, seed=100 + i).posts
             for i in range(5)]
    late = simulate_profile(days=30, start="2024-04-01", account="late", text=False, seed=7).posts
    return pd.concat(parts + [late], ignore_index=True)


KW = dict(change="2024-03-01", metric="likes", exposure="impressions", method="glm",
          controls=[], warn=False)


@pytest.fixture(scope="module")
def serial(portfolio):
    return run_batch(portfolio, "before_after", n_jobs=1, progress=False, **KW)


def test_serial_batch_runs_each_account_and_keeps_failures_aside(serial):
    assert list(serial.table["account"]) == [f"acct{i}" for i in range(5)]
    assert list(serial.table.columns[:4]) == ["account", "method", "metric", "lift"]
    assert list(serial.errors["account"]) == ["late"]
    assert serial.errors["error"].iloc[0] == "AnalysisError"
    # truth +40% (seeded): the mean lift over five accounts lands near it (SE of one ~0.1)
    assert 0.2 < serial.table["lift"].mean() < 0.6
    assert set(serial.texts) == set(serial.table["account"])
    assert "failed" in serial._repr_html_()


def test_two_processes_give_the_same_numbers(portfolio, serial):
    parallel = run_batch(portfolio, "before_after", n_jobs=2, chunk_size=2, progress=False, **KW)
    pd.testing.assert_frame_equal(parallel.table, serial.table)
    pd.testing.assert_frame_equal(parallel.errors, serial.errors)


def test_default_balanced_chunks_and_spawned_workers_give_the_same_numbers(portfolio, serial, monkeypatch):
    balanced = run_batch(portfolio, "before_after", n_jobs=2, progress=False, **KW)
    pd.testing.assert_frame_equal(balanced.table, serial.table)
    import toolkit.batch

    monkeypatch.setattr(toolkit.batch, "_START_METHOD", "spawn")  # the posts travel with the tasks
    spawned = run_batch(portfolio, "before_after", n_jobs=2, progress=False, **KW)
    pd.testing.assert_frame_equal(spawned.table, serial.table)
    pd.testing.assert_frame_equal(spawned.errors, serial.errors)
    assert toolkit.batch._SHARED == []  # nothing of the batch stays behind in the parent


def test_chunks_cover_every_account_once_largest_first_and_shrinking():
    from toolkit.batch import _chunks

    sizes = [1 + (7 * i) % 23 for i in range(200)]
    chunks = _chunks(sizes, n_workers=2, chunk_size=None)
    assert sorted(i for c in chunks for i in c) == list(range(200))
    totals = [sum(sizes[i] for i in c) for c in chunks]
    assert totals[0] >= sum(sizes) / 4  # the first chunk: a quarter of the work (2 workers)
    assert len(chunks[-1]) == 1  # the last task: one small account
    assert all(a >= b - max(sizes) for a, b in zip(totals, totals[1:]))  # shrinking (up to one account)
    firsts = [sizes[c[0]] for c in chunks]
    assert firsts == sorted(firsts, reverse=True)  # the big accounts go out first
    assert len(chunks) < 60  # few tasks, not one per account


def _summary(posts: pd.DataFrame) -> pd.DataFrame:
    """A light per-account analysis (likes per 1,000 impressions), so the Dask test stays short."""
    return pd.DataFrame([{"method": "ratio", "metric": "likes",
                          "lift": float(posts["likes"].sum() / posts["impressions"].sum() * 1000),
                          "n": len(posts)}])


def test_dask_local_cluster_gives_the_same_numbers(portfolio):
    distributed = pytest.importorskip("distributed")
    local = run_batch(portfolio, _summary, n_jobs=1, progress=False)
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                       dashboard_address=None)
    try:
        with distributed.Client(cluster) as client:
            out = run_batch(portfolio, _summary, client=client, chunk_size=2, progress=False)
            # functions travel with cloudpickle on Dask, so a lambda works there
            sizes = run_batch(portfolio, lambda p: pd.DataFrame({"n": [len(p)]}), client=client,
                              progress=False)
    finally:
        cluster.close()
    pd.testing.assert_frame_equal(out.table, local.table)
    assert sizes.table.set_index("account")["n"].to_dict() == \
        portfolio.groupby("account").size().to_dict()


def test_bad_arguments_name_the_parameter(portfolio):
    with pytest.raises(AnalysisError, match="'by'"):
        run_batch(portfolio, "before_after", by="client", progress=False)
    with pytest.raises(AnalysisError, match="'analysis'"):
        run_batch(portfolio, "t_test", progress=False)
    with pytest.raises(AnalysisError, match="'n_jobs'"):
        run_batch(portfolio, "before_after", n_jobs=0, progress=False)


def _per_account_mean(posts: pd.DataFrame) -> pd.DataFrame:
    """An analysis whose table already names the account (as a groupby by account gives)."""
    return (posts.groupby("account", as_index=False)["likes"].mean()
            .assign(method="mean", metric="likes"))


def _other_account_column(posts: pd.DataFrame) -> pd.DataFrame:
    """An analysis whose table has an ``account`` column meaning something else for account b."""
    key = posts["account"].iloc[0]
    return pd.DataFrame([{"account": key if key == "a" else "someone else", "lift": 1.0}])


def test_a_table_that_already_names_the_account_keeps_one_account_column():
    posts = pd.DataFrame({"account": ["a", "a", "b"], "likes": [1, 3, 10]})
    out = run_batch(posts, _per_account_mean, n_jobs=1, progress=False)
    assert list(out.table.columns) == ["account", "likes", "method", "metric"]
    assert out.table[["account", "likes"]].to_dict("records") == [
        {"account": "a", "likes": 2.0}, {"account": "b", "likes": 10.0}]
    assert out.errors.empty


def test_a_table_whose_account_column_disagrees_is_kept_aside_with_its_reason():
    posts = pd.DataFrame({"account": ["a", "a", "b"], "likes": [1, 3, 10]})
    out = run_batch(posts, _other_account_column, n_jobs=1, progress=False)
    assert list(out.table["account"]) == ["a"]  # the other accounts' results are not lost
    assert list(out.errors["account"]) == ["b"]
    assert out.errors["error"].iloc[0] == "AnalysisError"
    message = out.errors["message"].iloc[0]
    assert "column 'account'" in message and "someone else" in message and "'b'" in message


def _mean_likes(posts: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame([{"method": "mean", "metric": "likes", "lift": float(posts["likes"].mean())}])


def test_posts_with_no_account_are_reported_with_their_number_not_dropped():
    posts = pd.DataFrame({"account": pd.array(["a", None, "b", None, None], dtype="string"),
                          "likes": [1, 2, 10, 4, 5]})
    out = run_batch(posts, _mean_likes, n_jobs=1, progress=False)
    assert list(out.table["account"]) == ["a", "b"]  # the posts with no account are in no result
    assert len(out.errors) == 1 and pd.isna(out.errors["account"].iloc[0])
    assert out.errors["error"].iloc[0] == "AnalysisError"
    message = out.errors["message"].iloc[0]
    assert "column 'account'" in message and "no account" in message and "3 posts" in message
    assert "0 failed" in out._repr_html_() and "3 posts" in out._repr_html_()
    with pytest.raises(AnalysisError, match="every post has no account"):
        run_batch(posts.assign(account=pd.NA), _mean_likes, n_jobs=1, progress=False)


def test_an_analysis_that_cannot_be_pickled_is_named_before_workers_start():
    posts = pd.DataFrame({"account": ["a", "a", "b", "b"], "likes": [1, 3, 10, 12]})

    def local(p: pd.DataFrame) -> pd.DataFrame:
        return _mean_likes(p)

    for analysis in (lambda p: _mean_likes(p), local):
        assert len(run_batch(posts, analysis, n_jobs=1, progress=False).table) == 2  # serial: fine
        with pytest.raises(AnalysisError, match="'analysis'.*module level.*n_jobs=1") as info:
            run_batch(posts, analysis, n_jobs=2, progress=False)
        assert analysis.__qualname__ in str(info.value)


def _cautious_mean(posts: pd.DataFrame) -> pd.DataFrame:
    """Mean likes, with a caution for account a (raised twice, as a loop over metrics might)."""
    if posts["account"].iloc[0] == "a":
        for _ in range(2):
            warnings.warn(ConfoundWarning("posting frequency changed around the change date"),
                          stacklevel=2)
    return _mean_likes(posts)


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_an_accounts_warnings_are_kept_and_shown_and_its_numbers_unchanged(n_jobs):
    posts = pd.DataFrame({"account": ["a", "a", "b"], "likes": [1, 3, 10]})
    out = run_batch(posts, _cautious_mean, n_jobs=n_jobs, progress=False)
    pd.testing.assert_frame_equal(out.table, run_batch(posts, _mean_likes, n_jobs=1, progress=False).table)
    assert out.errors.empty
    assert out.warnings.to_dict("records") == [
        {"account": "a", "warning": "ConfoundWarning",
         "message": "posting frequency changed around the change date"}]
    shown = out._repr_html_()
    assert "1 with warnings" in shown and "posting frequency changed around the change date" in shown


def _dies_on_b(posts: pd.DataFrame) -> pd.DataFrame:
    """Kills its worker process on account b (as an out-of-memory kill would)."""
    import os

    if posts["account"].iloc[0] == "b":
        os._exit(1)
    return _mean_likes(posts)


def test_a_worker_that_dies_costs_its_own_accounts_only_and_names_them():
    posts = pd.DataFrame({"account": list("aaabbbccc"), "likes": range(9)})
    out = run_batch(posts, _dies_on_b, n_jobs=2, chunk_size=1, progress=False)
    # b's worker died: b (and any account whose chunk was still pending in the broken pool) has
    # an error row saying so; every account is in the table or in errors, none twice
    assert "b" in set(out.errors["account"]) and "b" not in set(out.table["account"])
    assert set(out.table["account"]) | set(out.errors["account"]) == {"a", "b", "c"}
    assert not set(out.table["account"]) & set(out.errors["account"])
    message = out.errors.set_index("account").loc["b", "message"]
    assert "worker process" in message and "n_jobs=1" in message


def _liked(posts: pd.DataFrame) -> pd.DataFrame:
    table = _mean_likes(posts)
    return table[table["lift"] > 0]


def test_an_account_whose_analysis_returns_no_rows_is_listed_not_lost_and_not_failed():
    # no rows is an answer (no event found, say), not a failure; it must still be seen
    posts = pd.DataFrame({"account": list("aaabbbccc"), "likes": [1, 2, 3, 0, 0, 0, 7, 8, 9]})
    out = run_batch(posts, _liked, n_jobs=1, progress=False)
    assert list(out.table["account"]) == ["a", "c"] and out.errors.empty
    assert out.no_rows == ["b"]
    assert "3 account(s) analysed, 0 failed; 1 gave no rows (b)" in out._repr_html_()
