"""LabellingPanel driven through its buttons and keyboard shortcuts, including a kernel restart mid-way."""

import pandas as pd
import pytest

from toolkit.labels import load_hand_labels
from toolkit.widgets.labelling import LabellingPanel


@pytest.fixture
def posts():
    return pd.DataFrame({"post_id": [str(100 + i) for i in range(6)],
                         "text": ["My kids", "Sale now", "I ran 10k", "New menu", None, "Hello you?"],
                         "account": "me"})


def _on_disk(path):
    return dict(load_hand_labels(path)[["post_id", "label"]].values.tolist())


def test_buttons_save_each_label_to_disk_at_once(posts, tmp_path):
    path = tmp_path / "labels" / "hand.csv"
    panel = LabellingPanel(posts, path, seed=1)
    assert panel.n_done == 0 and panel.progress.value == 0 and panel.progress.max == 6
    first = panel.current
    assert first in panel.post_view.value
    panel.buttons["personal"].click()
    assert _on_disk(path) == {first: "personal"}
    second = panel.current
    panel.buttons["not"].click()
    third = panel.current
    panel.buttons["skip"].click()
    assert _on_disk(path) == {first: "personal", second: "not", third: "skip"}
    assert panel.progress.value == 3 and "3 of 6" in panel.status.value
    assert "1 personal, 1 not, 1 skipped" in panel.status.value


def test_keyboard_shortcuts(posts, tmp_path):
    path = tmp_path / "hand.csv"
    panel = LabellingPanel(posts, path, seed=2)
    shown = []
    for key in ("p", "n", "s", "x", "1", "2"):  # x is not a shortcut and does nothing
        shown.append(panel.current)
        panel.keys.key = key
        panel.keys.presses += 1
    labels = _on_disk(path)
    assert shown[3] == shown[4]  # "x" left the post in place; "1" then labelled it
    assert [labels.get(i) for i in shown] == ["personal", "not", "skip", "personal", "personal", "not"]
    assert panel.n_done == 5


def test_kernel_restart_mid_way_loses_nothing(posts, tmp_path):
    path = tmp_path / "hand.csv"
    panel = LabellingPanel(posts, path, n=4, seed=3)
    sample = panel.sample["post_id"].tolist()
    panel.buttons["personal"].click()
    panel.buttons["not"].click()
    made = _on_disk(path)
    del panel  # the kernel dies: nothing is closed or saved on exit
    restarted = LabellingPanel(posts, path, n=4, seed=3)  # same file, same sample
    assert restarted.sample["post_id"].tolist() == sample
    assert _on_disk(path) == made and restarted.n_done == 2
    assert restarted.current == sample[2]
    restarted.buttons["skip"].click()
    restarted.buttons["personal"].click()
    assert restarted.current is None and "All posts" in restarted.post_view.value
    assert all(b.disabled for b in restarted.buttons.values())
    assert set(_on_disk(path)) == set(sample)


def test_heuristic_features_can_be_shown(posts, tmp_path):
    panel = LabellingPanel(posts, tmp_path / "h.csv", show_features=True, seed=0)
    assert "heuristic: score" in panel.post_view.value


def test_static_outputs_are_the_labels(posts, tmp_path):
    panel = LabellingPanel(posts, tmp_path / "h.csv")
    panel.buttons["not"].click()
    assert panel.static_outputs()[0]["label"].tolist() == ["not"]


def test_posts_of_two_accounts_sharing_an_id_are_refused_not_dropped(tmp_path):
    from toolkit.errors import AnalysisError

    posts = pd.DataFrame({"account": ["bakery", "bikes"], "post_id": ["7", "7"], "text": ["My cake", "My bike"]})
    with pytest.raises(AnalysisError, match="several accounts") as err:
        LabellingPanel(posts, tmp_path / "hand.csv")
    assert err.value.column == "post_id"


def test_features_are_those_of_the_post_shown_when_the_index_repeats(tmp_path):
    # two exports concatenated without ignore_index: the index 0 names two posts
    posts = pd.concat([pd.DataFrame({"post_id": ["a"], "text": ["Shop our sale https://x.com"]}),
                       pd.DataFrame({"post_id": ["b"], "text": ["My kids and I at home. How are you?"]})])
    panel = LabellingPanel(posts, tmp_path / "h.csv", show_features=True, seed=0)
    scores = {"a": "score -3", "b": "score 6"}
    for _ in range(2):
        assert scores[panel.current] in panel.post_view.value
        panel.buttons["skip"].click()
