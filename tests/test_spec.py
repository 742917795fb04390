"""Tests of toolkit.spec: loading, validation messages, writing, and the example specs."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest

from toolkit.errors import SpecError
from toolkit.spec import KEYS, NOTEBOOK_PARAMETERS, Spec, dump_spec, load_spec

ROOT = Path(__file__).resolve().parent.parent

GOOD = """\
name = "demo"
hypothesis = "Personal posts earn more likes per impression."
analysis = "content_lift"
notebook = "nb.ipynb"
data = ["exports/*.csv", "followers.csv"]
metric = "likes"
method = "permutation"
min_lift = 0.1
label = ["content_label", "personal"]
accounts = ["me"]
seed = 7

[parameters]
n_resamples = 500
"""


@pytest.fixture()
def folder(tmp_path):
    (tmp_path / "exports").mkdir()
    (tmp_path / "exports" / "b.csv").write_text("x\n")
    (tmp_path / "exports" / "a.csv").write_text("x\n")
    (tmp_path / "followers.csv").write_text("x\n")
    (tmp_path / "nb.ipynb").write_text("{}")
    return tmp_path


def _write(folder: Path, text: str) -> Path:
    path = folder / "spec.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_good_spec_loads_with_paths_relative_to_the_spec(folder):
    spec = load_spec(_write(folder, GOOD))
    assert isinstance(spec, Spec)
    assert [p.name for p in spec.data_files] == ["a.csv", "b.csv", "followers.csv"]
    assert spec.notebook == (folder / "nb.ipynb").resolve()
    assert spec.exposure == "impressions" and spec.alpha == 0.05  # defaults
    assert spec.label == ("content_label", "personal")
    assert spec.accounts == ("me",) and spec.seed == 7
    assert len(spec.sha256) == 64
    params = spec.notebook_parameters(result_path="/tmp/r.json")
    assert set(NOTEBOOK_PARAMETERS) <= set(params)
    assert params["n_resamples"] == 500 and params["label_column"] == "content_label"
    assert params["data_paths"][0].endswith("a.csv") and Path(params["data_paths"][0]).is_absolute()


def test_dump_and_load_round_trip(folder):
    spec = load_spec(_write(folder, GOOD))
    again = folder / "again.toml"
    dump_spec(spec, again)
    back = load_spec(again)
    assert back.to_dict() == spec.to_dict()


def test_before_after_spec_with_a_toml_date_and_no_exposure(folder):
    text = GOOD.replace('analysis = "content_lift"', 'analysis = "before_after"').replace(
        'method = "permutation"', 'method = "its"\nexposure = "none"\nchange = 2024-10-01')
    spec = load_spec(_write(folder, text))
    assert spec.change == dt.date(2024, 10, 1) and spec.exposure is None
    assert spec.notebook_parameters()["change"] == "2024-10-01"
    assert spec.notebook_parameters()["exposure"] is None


@pytest.mark.parametrize("edit, key, found", [
    # (old, new) replacements of GOOD -> the key the error must name, and a piece of what was found
    (("seed = 7", "sed = 7"), "sed", "did you mean 'seed'"),
    (('metric = "likes"', "metric = 3"), "metric", "integer 3"),
    (("min_lift = 0.1", 'min_lift = "ten"'), "min_lift", "text 'ten'"),
    (("min_lift = 0.1", "min_lift = 0"), "min_lift", "0.0"),
    (("min_lift = 0.1", ""), "min_lift", "nothing"),
    (("seed = 7", "seed = true"), "seed", "true/false"),
    (("seed = 7", "alpha = 1.5"), "alpha", "1.5"),
    (('method = "permutation"', 'method = "its"'), "method", "'its'"),
    (('analysis = "content_lift"', 'analysis = "ab_test"'), "analysis", "'ab_test'"),
    (('name = "demo"', 'name = "my experiment!"'), "name", "my experiment!"),
    (('notebook = "nb.ipynb"', 'notebook = "missing.ipynb"'), "notebook", "missing.ipynb"),
    (('notebook = "nb.ipynb"', 'notebook = "exports/a.csv"'), "notebook", "a.csv"),
    (('"followers.csv"]', '"gone.csv"]'), "data", "gone.csv"),
    (('"exports/*.csv"', '"nothing/*.csv"'), "data", "nothing"),
    (("data = [", "data = 5 #["), "data", "integer 5"),
    (('label = ["content_label", "personal"]', 'label = ["a", "b", "c"]'), "label", "['a', 'b', 'c']"),
    (('label = ["content_label", "personal"]', ""), "label", "nothing"),
    (('accounts = ["me"]', "accounts = [1]"), "accounts", "[1]"),
    (("seed = 7", 'seed = 7\nschedule = "plan.csv"'), "schedule", "plan.csv"),
    (("seed = 7", 'seed = 7\nlabels = "labels.csv"'), "labels", "labels.csv"),
    (("n_resamples = 500", "seed = 1"), "parameters.seed", "seed"),
])
def test_errors_name_the_key_and_what_was_found(folder, edit, key, found):
    text = GOOD.replace(*edit)
    assert text != GOOD
    with pytest.raises(SpecError) as info:
        load_spec(_write(folder, text))
    message = str(info.value)
    assert f"parameter '{key}'" in message
    assert found in message
    assert "spec.toml" in message  # the file is named too


def test_bad_dates_and_missing_change(folder):
    ba = GOOD.replace('analysis = "content_lift"', 'analysis = "before_after"').replace(
        'method = "permutation"', 'method = "glm"')
    with pytest.raises(SpecError, match="parameter 'change'.*nothing"):
        load_spec(_write(folder, ba))
    with pytest.raises(SpecError, match="a date like 2024-10-01.*2024-13-45"):
        load_spec(_write(folder, ba.replace("seed = 7", 'seed = 7\nchange = "2024-13-45"')))
    with pytest.raises(SpecError, match="'change'.*integer"):
        load_spec(_write(folder, ba.replace("seed = 7", "seed = 7\nchange = 20241001")))


def test_invalid_toml_and_missing_file(folder):
    with pytest.raises(SpecError, match="not valid TOML"):
        load_spec(_write(folder, 'name = "x\n'))
    with pytest.raises(SpecError, match="not found"):
        load_spec(folder / "nope.toml")


def test_every_key_is_documented():
    import toolkit.spec

    for key in KEYS:
        assert f"{key} = " in toolkit.spec.__doc__ or f"[{key}]" in toolkit.spec.__doc__


@pytest.mark.parametrize("name", ["personal_content.toml", "strategy_change.toml"])
def test_example_specs_load(name):
    path = ROOT / "experiments" / name
    if not path.exists():
        pytest.skip(f"{path} not written yet")
    notebook_missing = False
    try:
        spec = load_spec(path)
    except SpecError as exc:
        # the analysis notebooks (02/03) are written in another issue; everything else must hold
        notebook_missing = exc.parameter == "notebook"
        if not notebook_missing:
            raise
    if notebook_missing:
        pytest.skip("the spec's notebook does not exist yet")
    assert spec.data_files
    assert spec.min_lift > 0


def test_dump_spec_rewrites_paths_relative_to_the_spec_file(folder):
    from toolkit.spec import output_path

    target = output_path(folder / "out" / "specs", "written.toml")
    cwd = os.getcwd()
    os.chdir(folder)
    try:
        text = dump_spec({"name": "w", "hypothesis": "h", "analysis": "content_lift",
                          "notebook": "nb.ipynb", "data": ["exports/*.csv"], "min_lift": 0.2,
                          "label": "is_personal"}, target, paths_from=".")
    finally:
        os.chdir(cwd)
    assert 'notebook = "../../nb.ipynb"' in text
    assert 'data = ["../../exports/*.csv"]' in text
    spec = load_spec(target)
    assert [p.name for p in spec.data_files] == ["a.csv", "b.csv"]
    assert spec.label == "is_personal"


def test_parameters_can_pass_spec_values_under_a_notebook_s_own_names(folder):
    text = GOOD.replace("n_resamples = 500", 'n_resamples = 500\nDATA = "{data_paths}"\nMETRIC = "{metric}"')
    params = load_spec(_write(folder, text)).notebook_parameters()
    assert params["DATA"] == params["data_paths"] and len(params["DATA"]) == 3
    assert params["METRIC"] == "likes" and params["n_resamples"] == 500
    with pytest.raises(SpecError, match="parameters.DATA.*placeholder"):
        load_spec(_write(folder, GOOD.replace("n_resamples = 500", 'DATA = "{files}"')))


@pytest.mark.parametrize("edit, key, found", [
    (("seed = 7", "seed = -3"), "seed", "-3"),  # numpy refuses negative seeds, in the notebook
    (("min_lift = 0.1", "min_lift = inf"), "min_lift", "inf"),  # the record would hold Infinity
    (("n_resamples = 500", '"not an identifier" = 1'), "parameters.not an identifier",
     "not an identifier"),  # papermill would inject `not an identifier = 1`
    (("n_resamples = 500", "class = 1"), "parameters.class", "class"),  # a Python keyword
    (("n_resamples = 500", "X = {a = 1}"), "parameters.X", "table"),  # dump_spec cannot write it
    (("n_resamples = 500", "X = nan"), "parameters.X", "nan"),  # papermill would inject `nan`
])
def test_values_a_notebook_or_the_record_cannot_take_are_rejected_at_load(folder, edit, key, found):
    text = GOOD.replace(*edit)
    assert text != GOOD
    with pytest.raises(SpecError) as info:
        load_spec(_write(folder, text))
    message = str(info.value)
    assert f"parameter '{key}'" in message and found in message and "spec.toml" in message


def test_a_folder_in_data_is_explained_as_such(folder):
    with pytest.raises(SpecError) as info:
        load_spec(_write(folder, GOOD.replace('"exports/*.csv"', '"exports"')))
    message = str(info.value)
    assert "parameter 'data'" in message and "exports" in message
    assert "not found" not in message  # it exists: it is a folder
    assert "exports/*.csv" in message  # how to say "every CSV of the folder"


def test_data_files_are_sorted_over_all_patterns_without_duplicates(folder):
    text = GOOD.replace('data = ["exports/*.csv", "followers.csv"]',
                        'data = ["followers.csv", "exports/b.csv", "exports/*.csv"]')
    spec = load_spec(_write(folder, text))
    assert [p.relative_to(folder.resolve()).as_posix() for p in spec.data_files] == [
        "exports/a.csv", "exports/b.csv", "followers.csv"]


def test_fixed_by_notebook_lists_spec_keys_the_spec_sets(folder):
    text = GOOD.replace("seed = 7", 'seed = 7\nfixed_by_notebook = ["label"]')
    spec = load_spec(_write(folder, text))
    assert spec.fixed_by_notebook == ("label",)
    again = folder / "again.toml"
    dump_spec(spec, again)
    assert load_spec(again).fixed_by_notebook == ("label",)
    assert set(load_spec(again).written) == set(spec.written)  # no defaults written out
    for value, found in [('["labl"]', "labl"), ('["hypothesis"]', "hypothesis"),
                         ('["schedule"]', "schedule"), ('"label"', "text")]:
        text = GOOD.replace("seed = 7", f"seed = 7\nfixed_by_notebook = {value}")
        with pytest.raises(SpecError) as info:
            load_spec(_write(folder, text))
        assert "parameter 'fixed_by_notebook'" in str(info.value) and found in str(info.value)


def test_a_written_spec_is_not_replaced_by_a_different_one_unseen(tmp_path):
    from toolkit.spec import dump_spec

    path = tmp_path / "x.toml"
    base = {"name": "x", "hypothesis": "h", "analysis": "content_lift", "data": ["a.csv"]}
    (tmp_path / "a.csv").write_text("a\n1\n")
    dump_spec(base, path, check=False)
    dump_spec(base, path, check=False)  # the same spec again
    with pytest.raises(SpecError, match="a different spec is already there") as err:
        dump_spec({**base, "alpha": 0.01}, path, check=False)
    assert err.value.parameter == "overwrite" and "alpha" not in path.read_text()
    dump_spec({**base, "alpha": 0.01}, path, check=False, overwrite=True)
    assert "alpha = 0.01" in path.read_text()
