"""ContentLiftPanel driven by setting widget values and clicking Run."""

import pandas as pd
import pytest

from toolkit.labels import append_label
from toolkit.simulate import simulate_profile
from toolkit.widgets.content_lift import ContentLiftPanel


@pytest.fixture(scope="module")
def posts():
    return simulate_profile(days=120, personal_lift=0.3, seed=31).posts


def test_column_source_runs_and_shows_the_result_in_place(posts):
    panel = ContentLiftPanel(posts, n_resamples=200)
    assert panel.column.value == "content_label" and panel.value.value == ("personal",)
    panel.metrics.value = ("likes", "comments")
    panel.methods.value = ("glm", "permutation")
    panel.run_button.click()
    t = panel.result.table
    assert t[["method", "metric"]].values.tolist() == [
        ["glm", "likes"], ["glm", "comments"], ["permutation", "likes"], ["permutation", "comments"]]
    assert len(panel.output.outputs) == 2  # the result and its chart
    panel.methods.value = ("welch",)
    panel.adjust.value = "bh"
    panel.run_button.click()
    assert len(panel.output.outputs) == 2  # replaced, not appended
    assert panel.result.table["method"].unique().tolist() == ["welch"]
    assert "BH-adjusted" in panel.result.text


def test_heuristic_and_combined_sources_and_agreement(posts, tmp_path):
    path = tmp_path / "hand.csv"
    for pid, label in zip(posts["post_id"][:60], posts["content_label"][:60]):
        append_label(path, pid, "personal" if label == "personal" else "not")
    panel = ContentLiftPanel(posts, labels_path=path, n_resamples=200)
    panel.methods.value = ("glm",)
    panel.metrics.value = ("likes",)
    panel.source.value = "heuristic"
    panel.run_button.click()
    assert panel.result is not None and "heuristic" in panel.result.text
    assert panel.agreement is not None and panel.agreement.n == 60
    assert len(panel.agreement_output.outputs) == 1
    panel.source.value = "combined"
    panel.run_button.click()
    assert panel.result is not None
    panel.source.value = "hand"
    panel.run_button.click()  # only the 60 hand-labelled posts take part
    assert panel.result.table.loc[0, "n_baseline"] + panel.result.table.loc[0, "n_treatment"] == 60


def test_errors_are_shown_not_raised(posts):
    panel = ContentLiftPanel(posts, n_resamples=200)
    panel.value.value = ()
    panel.run_button.click()
    assert panel.result is None and "choose a column" in panel.status.value
    panel.source.value = "hand"
    panel.run_button.click()
    assert "hand-label file" in panel.status.value


def test_static_outputs(posts):
    panel = ContentLiftPanel(posts, n_resamples=200)
    assert panel.static_outputs() == []
    panel.methods.value = ("glm",)
    panel.run()
    assert panel.static_outputs()[0] is panel.result


def test_a_failed_run_says_why_and_no_longer_shows_the_previous_result(posts):
    panel = ContentLiftPanel(posts, n_resamples=200)
    panel.metrics.value = ("likes",)
    panel.methods.value = ("glm",)
    panel.run_button.click()
    assert panel.result is not None and len(panel.output.outputs) == 2
    panel.methods.value = ()  # nothing selected
    panel.run_button.click()
    assert panel.result is None and panel.output.outputs == ()
    assert "at least one method" in panel.status.value


def test_values_of_a_float_column_are_chosen_as_the_column_shows_them():
    from toolkit.errors import EngagementLabError

    posts = simulate_profile(days=60, seed=1).posts
    posts["cat"] = posts["content_label"].eq("personal").map({True: 3.0, False: 1.0})
    panel = ContentLiftPanel(posts, column="cat", values=(3,))  # was a TraitError
    assert panel.value.value == ("3",)
    assert panel._column_labels().tolist() == posts["content_label"].eq("personal").tolist()
    with pytest.raises(EngagementLabError) as err:
        ContentLiftPanel(posts, column="cat", values=(7,))
    assert (err.value.parameter, err.value.column) == ("values", "cat")
    with pytest.raises(EngagementLabError) as err:
        ContentLiftPanel(posts, column="nope")
    assert err.value.parameter == "column"


def test_the_heuristic_speaks_the_language_asked_for(tmp_path):
    from toolkit.widgets.labelling import LabellingPanel

    posts = pd.DataFrame({"post_id": ["1", "2"], "text": ["Eu e minha família no fim de semana", "Promoção hoje"],
                          "content_label": ["personal", "brand"]})
    assert ContentLiftPanel(posts, language="pt")._heuristic_labels().tolist() == [True, False]
    assert ContentLiftPanel(posts)._heuristic_labels().tolist() == [False, False]  # English words only
    panel = LabellingPanel(posts, tmp_path / "h.csv", show_features=True, language="pt")
    assert panel.features["personal"].tolist() == [True, False]


def test_the_panel_tests_and_intervals_at_its_alpha(posts, tmp_path):
    # notebook 03's ALPHA reaches the panel: 90% intervals and power at 0.10, the agreement's too
    path = tmp_path / "hand.csv"
    for pid, label in zip(posts["post_id"][:60], posts["content_label"][:60]):
        append_label(path, pid, "personal" if label == "personal" else "not")
    panel = ContentLiftPanel(posts, labels_path=path, n_resamples=200, alpha=0.1)
    panel.methods.value = ("glm",)
    panel.metrics.value = ("likes",)
    panel.run_button.click()
    assert panel.result.level == pytest.approx(0.9) and "90% CI" in panel.result.text
    assert "alpha 0.1" in panel.result.text
    assert "(90% CI" in panel.agreement.text
    with pytest.raises(Exception, match="alpha"):
        ContentLiftPanel(posts, alpha=1.5)
