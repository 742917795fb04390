"""Notebooks on data other than the sample, run as a user runs them: papermill with parameters.

nbval (``make test``) runs every notebook on the bundled sample. These tests run notebooks 03, 04
and 05 headless on the real UCI Facebook file (``data/real/``: other labels, other dates, follower
counts on the posts but no follower history) and on a Hootsuite export (no follower counts, no
impressions), with the parameters a user would change, and check that each runs to the end and
that the parameters reached the analysis. Each starts a kernel and takes 10 to 30 seconds.
"""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
UCI = ROOT / "data" / "real" / "dataset_Facebook.csv"
HOOTSUITE = ROOT / "tests" / "fixtures" / "hootsuite" / "hootsuite_facebook_posts_2018-01.csv"


def _run(name: str, out: Path, **parameters) -> nbformat.NotebookNode:
    """Execute ``notebooks/<name>`` from its folder, as papermill does for a user; return it run."""
    import papermill as pm

    executed = out / name
    pm.execute_notebook(str(NOTEBOOKS / name), str(executed), parameters=parameters,
                        cwd=str(NOTEBOOKS), kernel_name="python3", progress_bar=False,
                        # nbclient sometimes reads a widget cell's reply only at the timeout
                        # (jupyter/nbclient#312): a bound keeps that from stalling the suite
                        execution_timeout=120)
    return nbformat.read(executed, as_version=4)


def _printed(nb: nbformat.NotebookNode) -> str:
    """Everything the notebook printed."""
    return "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code"
                   for o in c.get("outputs", []) if o.get("output_type") == "stream")


@pytest.mark.slow
def test_notebook_03_compares_the_label_value_it_is_given(tmp_path):
    # the UCI page's own categories instead of personal/brand: inspiration against the rest
    result = tmp_path / "result.json"
    _run("03_personal_content_lift.ipynb", tmp_path, DATA=str(UCI), ACCOUNT="uci_cosmetics_brand",
         TAGS=None, LABEL_COLUMN="content_label", LABEL_VALUE="inspiration", PLANTED_LIFT=None,
         HAND_LABELS=str(tmp_path / "hand.csv"), CHANGE="2014-07-01",
         METRICS=["engagements", "likes"], METHODS=["glm"], N_RESAMPLES=99,
         result_path=str(result))
    table = pd.DataFrame(json.loads(result.read_text(encoding="utf-8"))["table"])
    # the posts compared, counted in the file itself: Category 3 (inspiration) against 1 and 2,
    # posts missing the metric left out (engagements = like + comment + share)
    raw = pd.read_csv(UCI, sep=";")
    known = {"engagements": raw[["like", "comment", "share"]].notna().all(axis=1),
             "likes": raw["like"].notna()}
    inspiration = raw["Category"] == 3
    assert table["metric"].tolist() == ["engagements", "likes"]
    assert table["n_treatment"].tolist() == [int((inspiration & known[m]).sum()) for m in known]
    assert table["n_baseline"].tolist() == [int((~inspiration & known[m]).sum()) for m in known]


@pytest.mark.slow
def test_notebook_03_runs_without_tags_on_the_combined_labels(tmp_path):
    # the sample without its tag file has no labels at all: LABEL_SOURCE="combined" compares by the
    # heuristic's labels (no hand labels yet)
    result = tmp_path / "result.json"
    sample = ROOT / "data" / "sample"
    import toolkit
    from toolkit.labels import label_personal
    from toolkit.metrics import of_account

    posts = of_account(toolkit.load(sample).posts, "harborbakes")
    _run("03_personal_content_lift.ipynb", tmp_path, DATA=str(sample), ACCOUNT="harborbakes", TAGS=None,
         LABEL_SOURCE="combined", HAND_LABELS=str(tmp_path / "hand.csv"), PLANTED_LIFT=None,
         METRICS=["likes"], METHODS=["glm"], N_RESAMPLES=99, result_path=str(result))
    table = pd.DataFrame(json.loads(result.read_text(encoding="utf-8"))["table"])
    # the posts compared are the heuristic's, counted here by calling it on the same posts
    personal = label_personal(posts)["personal"].astype("boolean")
    known = posts["likes"].notna().to_numpy() & posts["impressions"].gt(0).to_numpy()
    assert table.loc[0, "n_treatment"] == int((personal.fillna(False).to_numpy() & known).sum())
    assert table.loc[0, "n_baseline"] == int(((~personal).fillna(False).to_numpy() & known).sum())


@pytest.mark.slow
@pytest.mark.parametrize("data, account, skipped", [
    # Hootsuite: no follower numbers at all (and no impressions): both follower sections skip
    (HOOTSUITE, "Northwind Bakery", ["purges and spikes", "the elasticity"]),
    # UCI: the page's fans on every post, but no daily history: only the events skip
    (UCI, "uci_cosmetics_brand", ["purges and spikes"]),
])
def test_notebook_05_skips_what_needs_follower_numbers_and_runs_the_rest(tmp_path, data, account, skipped):
    nb = _run("05_followers_and_likes.ipynb", tmp_path, DATA=str(data), ACCOUNT=account, LABELS=None,
              EXPECTED_EVENTS=None)
    printed = _printed(nb)
    for section in ("purges and spikes", "the elasticity"):
        assert (f"Skipped: {section} need" in printed) == (section in skipped), printed
    shown = [c for c in nb.cells if c.cell_type == "code" and c.outputs]
    assert "metrics.aggregate(uci" in shown[-1].source  # the last cell ran, and showed its table
    ran_elasticity = any("Across" in str(o.get("data", {}).get("text/plain", ""))
                         for c in nb.cells if "followers.elasticity(main)" in c.source for o in c.outputs)
    assert ran_elasticity == ("the elasticity" not in skipped)


@pytest.mark.slow
def test_notebook_04_plans_on_the_recent_weeks_of_data_from_another_year(tmp_path):
    # the UCI page posted in 2014: the sample's change date (2024-10-01) cannot be the default
    from toolkit import runner
    from toolkit.spec import load_spec

    nb = _run("04_design_an_experiment.ipynb", tmp_path, data_paths=[str(UCI)],
              account="uci_cosmetics_brand", lifts=[0.2], weeks=[4, 8], n_sims=50, check_sims=20,
              out_dir=str(tmp_path / "design"))
    history = next(c for c in nb.cells if "fit_history(" in c.source)
    shown = "".join(str(o.get("data", {}).get("text/html", "")) for o in history.outputs)
    # the default window: the 26 * 7 days up to and including the day of the page's last post
    import toolkit

    last = toolkit.load(UCI, progress=False).posts["published_at"].max().normalize()
    start = (last + pd.Timedelta(days=1) - pd.Timedelta(weeks=26)).date()
    assert str(start).startswith("2014-")
    assert f"posts from {start} only (the last 26 weeks)" in shown
    # the spec it wrote runs notebook 03 on these data, the label reaching it
    spec = load_spec(tmp_path / "design" / "personal_schedule.toml")
    passed = runner._passed(spec)
    assert passed["DATA"] == [str(UCI)] and passed["LABEL_VALUE"] == "personal"


def _calls(name: str, function: str) -> list[str]:
    """The text of every call of ``function`` in the code cells of ``notebooks/<name>``."""
    import re

    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    return re.findall(rf"{function}\((?:[^()]|\([^()]*\))*\)", code)


def test_notebook_03_passes_its_language_to_the_heuristic_everywhere():
    calls = _calls("03_personal_content_lift.ipynb", "label_personal") + _calls(
        "03_personal_content_lift.ipynb", "ContentLiftPanel")
    assert len(calls) == 2 and all("language=LANGUAGE" in c for c in calls), calls


def test_notebook_03_runs_every_analysis_at_its_alpha_and_on_its_exposure():
    calls = _calls("03_personal_content_lift.ipynb", "content_lift")
    assert len(calls) == 6
    assert all("level=1 - ALPHA" in c and "alpha=ALPHA" in c for c in calls), calls
    assert all("exposure=EXPOSURE" in c for c in calls if "uci" not in c), calls  # the account's own posts
    kappas = _calls("03_personal_content_lift.ipynb", "agreement")
    assert len(kappas) == 2 and all("level=1 - ALPHA" in c for c in kappas), kappas
    panels = _calls("03_personal_content_lift.ipynb", "ContentLiftPanel")
    assert len(panels) == 1 and "alpha=ALPHA" in panels[0], panels
