"""The canonical order of ``posts`` (publish time, then account, then post id; missing accounts
last) and the check that skips sorting rows already in it (``toolkit.loading.core._sorted``).

The reference is pandas' stable ``sort_values`` on the same three keys: whatever shortcut the
loader takes, the rows must come out in that order.
"""

from __future__ import annotations

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from toolkit.loading.core import _sorted

rows = st.lists(st.tuples(st.integers(0, 3),                              # day
                          st.sampled_from([None, "ana", "bo", "Bo"]),    # account, sometimes missing
                          st.sampled_from(["1", "10", "2", "a"])),       # post id (text order)
                min_size=0, max_size=25)


def frame(cells) -> pd.DataFrame:
    return pd.DataFrame({
        "published_at": pd.to_datetime([f"2024-01-0{1 + d}" for d, _, _ in cells], utc=True),
        "account": pd.array([a for _, a, _ in cells], dtype="string"),
        "post_id": pd.array([p for _, _, p in cells], dtype="string"),
        "row": range(len(cells)),
    })


def reference(posts: pd.DataFrame) -> list[int]:
    return posts.sort_values(["published_at", "account", "post_id"], na_position="last",
                             kind="stable")["row"].tolist()


@settings(max_examples=120, deadline=None, derandomize=True, database=None)
@given(cells=rows, presort=st.booleans())
def test_sorted_gives_the_canonical_order_whether_or_not_it_sorts(cells, presort):
    posts = frame(cells)
    if presort:  # rows already in order: the check must see it (and leave them as they are)
        posts = posts.iloc[reference(posts)].reset_index(drop=True).assign(row=range(len(cells)))
    assert _sorted(posts)["row"].tolist() == reference(posts)


def test_rows_in_order_with_missing_accounts_are_not_reordered():
    posts = frame([(0, "ana", "1"), (0, "bo", "1"), (0, None, "1"), (0, None, "2"), (1, None, "1")])
    assert _sorted(posts) is posts  # nothing to do: the same frame comes back
