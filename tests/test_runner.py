"""Tests of toolkit.runner: rerun a spec headless, record it, register it, report what changed.

A small before/after spec on simulated X exports runs through a small notebook that follows the
parameter contract (toolkit.spec.NOTEBOOK_PARAMETERS) and hands its result back with
toolkit.runner.save_result. Each run starts a kernel (a few seconds).
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import nbformat
import pytest

import toolkit
from toolkit import runner
from toolkit.errors import SpecError
from toolkit.spec import NOTEBOOK_PARAMETERS, dump_spec

PARAMETERS_CELL = """\
data_paths = []
accounts = []
metric = "likes"
exposure = "impressions"
method = "glm"
alpha = 0.05
min_lift = 0.1
change = None
label_column = None
label_value = None
labels_path = None
schedule_path = None
seed = 0
experiment = None
result_path = None
"""

ANALYSIS_CELL = """\
import toolkit
from toolkit.runner import save_result

posts = toolkit.load(data_paths).posts
result = toolkit.before_after(posts, change=change, metric=metric, exposure=exposure,
                              method=method, controls=[], warn=False)
save_result(result, result_path, posts=posts)
result.table
"""


def _notebook(path: Path, analysis: str = ANALYSIS_CELL) -> Path:
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell(PARAMETERS_CELL)
    params.metadata["tags"] = ["parameters"]
    nb.cells = [nbformat.v4.new_markdown_cell("# Mini before/after"), params,
                nbformat.v4.new_code_cell(analysis)]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)
    return path


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    """A folder with two X legacy exports (Jan-Mar, Apr-Jun), a notebook and a spec on the first."""
    from toolkit.exports import write_x_legacy_posts
    from toolkit.simulate import simulate_profile

    root = tmp_path_factory.mktemp("experiment")
    (root / "data").mkdir()
    (root / "later").mkdir()
    # truth: +30% likes per impression from 2024-02-15 (seeded simulation)
    sim = simulate_profile(days=182, posts_per_day=2, change="2024-02-15", change_lift=0.3,
                           text=False, seed=42)
    write_x_legacy_posts(sim.posts, root / "data", handle="mini", start="2024-01-01",
                         end="2024-03-31", extra=sim.extra)
    write_x_legacy_posts(sim.posts, root / "later", handle="mini", start="2024-04-01",
                         end="2024-06-30", extra=sim.extra)
    _notebook(root / "analysis.ipynb")
    dump_spec({
        "name": "mini_change",
        "hypothesis": "Likes per impression rose after the change on 2024-02-15.",
        "analysis": "before_after",
        "notebook": "analysis.ipynb",
        "data": ["data/tweet_activity_metrics_mini_*.csv"],
        "metric": "likes",
        "exposure": "impressions",
        "method": "glm",
        "alpha": 0.05,
        "min_lift": 0.1,
        "change": "2024-02-15",
    }, root / "mini.toml")
    return root


def _stable(record: dict) -> dict:
    return {k: v for k, v in record.items() if k not in runner.VOLATILE_KEYS}


@pytest.fixture(scope="module")
def three_runs(project, tmp_path_factory):
    """Run the spec twice on unchanged data, then once more after a later export is added."""
    os.environ.setdefault("ENGAGEMENT_LAB_CACHE", str(tmp_path_factory.mktemp("cache")))
    reports = project / "reports"
    first = runner.run(project / "mini.toml", reports=reports, html=False, echo=False)
    second = runner.run(project / "mini.toml", reports=reports, html=False, echo=False)
    later = project / "later" / "tweet_activity_metrics_mini_20240401_20240630_en.csv"
    (project / "data" / later.name).write_bytes(later.read_bytes())
    third = runner.run(project / "mini.toml", reports=reports, html=True, echo=False)
    return first, second, third


def test_rerun_on_unchanged_data_gives_an_identical_record(three_runs):
    first, second, _ = three_runs
    assert first["status"] == second["status"] == "ok"
    assert first["run_id"] != second["run_id"]
    assert _stable(first) == _stable(second)
    assert first["since_last"] is None
    # a first run says where it looked for earlier ones (another --reports folder is not seen)
    registry = Path("reports") / "mini" / "registry.jsonl"
    assert f"First run of this experiment in {registry}: nothing to compare with" in "\n".join(
        runner._describe(first, registry))
    change = second["since_last"]
    assert change["previous_run"] == first["run_id"]
    assert change["reproduced"] is True and change["same_numbers"] is True
    assert change["rows_added"] == 0
    assert not (change["inputs_added"] or change["inputs_removed"] or change["inputs_modified"])


def test_rerun_on_appended_data_reports_the_change(three_runs):
    first, second, third = three_runs
    change = third["since_last"]
    assert change["previous_run"] == second["run_id"]
    assert change["inputs_added"] == ["data/tweet_activity_metrics_mini_20240401_20240630_en.csv"]
    assert change["rows_then"] == first["result"]["n_rows"]
    assert change["rows_added"] > 100  # three more months at ~2 posts a day
    assert change["reproduced"] is None  # new inputs: a different answer is expected
    lift = change["lift"][0]
    assert lift["lift_then"] == first["result"]["table"][0]["lift"]
    assert lift["lift_now"] == third["result"]["table"][0]["lift"] != lift["lift_then"]
    out = "\n".join(runner._describe(third))  # what the run printed
    assert "1 input file(s) added" in out and "lift then" in out


def test_record_carries_provenance_and_the_result(three_runs, project):
    first, _, third = three_runs
    assert len(first["spec"]["sha256"]) == 64
    assert all(len(i["sha256"]) == 64 for i in first["inputs"])
    assert first["package_version"]
    assert first["git_commit"] is None or len(first["git_commit"]) == 40
    assert first["git_dirty"] in (True, False, None)  # uncommitted changes to toolkit/
    assert first["since_last"] is None and second_code_unchanged(three_runs)
    assert set(NOTEBOOK_PARAMETERS) - {"result_path"} <= set(first["parameters"])
    assert first["parameters"]["change"] == "2024-02-15"
    row = first["result"]["table"][0]
    assert row["method"] == "glm" and row["metric"] == "likes"
    # seeded simulation with a planted +30%: the interval covers it
    assert row["ci_low"] < 0.3 < row["ci_high"]
    run_dir = Path(third["outputs"]["record"]).parent
    assert json.loads((run_dir / "record.json").read_text())["run_id"] == third["run_id"]
    assert (run_dir / "notebook.ipynb").is_file()
    # the third run also wrote the self-contained HTML report (toolkit.report.build_report)
    page = Path(third["outputs"]["html"])
    assert page.parent == run_dir and page.is_file()
    assert "Mini before/after" in page.read_text(encoding="utf-8")
    table = runner.registry(project / "reports" / "mini_change")
    assert list(table["run_id"]) == [r["run_id"] for r in three_runs]


def second_code_unchanged(runs) -> bool:
    return runs[1]["since_last"]["code_changed"] is False


def test_cli_reports_spec_errors(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "x"\nhypothesis = "h"\nanalysis = "before_after"\n')
    assert runner.main([str(bad), "--reports", str(tmp_path / "r")]) == 1
    assert "parameter 'notebook'" in capsys.readouterr().err


def test_cli_names_an_unknown_command_on_stderr(capsys):
    from toolkit.__main__ import main

    assert main(["sample_data"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("unknown command 'sample_data'") and "sample-data" in err  # with usage


def _one_cell_spec(folder: Path, name: str, analysis: str) -> Path:
    """A spec whose notebook runs ``analysis`` after its parameters cell, on a one-line CSV."""
    _notebook(folder / f"{name}.ipynb", analysis=analysis)
    (folder / "data.csv").write_text("a\n1\n")
    dump_spec({"name": name, "hypothesis": "h", "analysis": "before_after",
               "notebook": f"{name}.ipynb", "data": ["data.csv"], "min_lift": 0.1,
               "change": "2024-01-01"}, folder / f"{name}.toml")
    return folder / f"{name}.toml"


def test_a_notebook_that_hands_back_nothing_fails_clearly(project, tmp_path):
    spec = _one_cell_spec(tmp_path, "silent", "x = 1\n")
    with pytest.raises(runner.RunError, match="save_result"):
        runner.run(spec, reports=tmp_path / "r", html=False, echo=False)
    assert not (tmp_path / "r" / "silent" / "registry.jsonl").exists()


@pytest.mark.slow
@pytest.mark.parametrize("html", [False, True])
def test_a_failing_cell_is_reported_once_with_what_it_raised(tmp_path, html):
    # the run's error names the notebook, what the cell raised (the notebook's own error, with its
    # own "found") and the run's folder, without wrapping the report's error in another "found"
    raising = ("from toolkit.errors import AnalysisError\n"
               "raise AnalysisError('no such account\\nsecond line', parameter='account', found='nobody')\n")
    spec = _one_cell_spec(tmp_path, "failing", raising)
    with pytest.raises(runner.RunError) as err:
        runner.run(spec, reports=tmp_path / "r", html=html, echo=False)
    text = str(err.value)
    assert err.value.file.endswith("failing.ipynb") and text.count(str(tmp_path / "r" / "failing")) >= 1
    # what was found is the exception's first line, whichever path reported it
    assert err.value.found == "AnalysisError: parameter 'account': no such account"
    assert "second line" not in text and "the notebook failed in cell" in text
    if html:
        assert "report.html shows the error" in text


def test_save_result_is_a_no_op_interactively(tmp_path):
    runner.save_result(None, None)  # interactive run: result_path is None
    with pytest.raises(runner.RunError, match="'result'"):
        runner.save_result(object(), tmp_path / "r.json")


def test_spec_error_reaches_the_caller(tmp_path):
    with pytest.raises(SpecError):
        runner.run(tmp_path / "missing.toml", reports=tmp_path, html=False)


ROOT = Path(__file__).resolve().parent.parent


def test_strategy_change_spec_reruns_notebook_02_on_the_sample_data(tmp_path):
    """The real thing: experiments/strategy_change.toml through notebooks/02 (if it exists)."""
    from toolkit.spec import load_spec

    spec_path = ROOT / "experiments" / "strategy_change.toml"
    try:
        spec = load_spec(spec_path)
    except SpecError as exc:
        if exc.parameter == "notebook":
            pytest.skip("notebooks/02_before_after.ipynb does not exist yet")
        raise
    source = spec.notebook.read_text(encoding="utf-8")
    if "save_result" not in source:
        pytest.skip("notebook 02 does not hand back its result yet (contract: its last cell calls "
                    "toolkit.runner.save_result(result, result_path, posts=posts))")
    record = runner.run(spec_path, reports=tmp_path, html=False, echo=False)
    row = record["result"]["table"][0]
    # data/README.md: harborbakes' planted change on 2024-10-01 is +25% engagement per impression
    assert row["ci_low"] < 0.25 < row["ci_high"]
    assert row["lift"] > 0


# ---------------------------------------------------------------------------------------------
# every spec value reaches the notebook, or the run does not start
# ---------------------------------------------------------------------------------------------
CONSTANT_CELL = """\
import pandas as pd
from toolkit.runner import save_result

table = pd.DataFrame([{"method": "glm", "metric": "likes", "lift": 0.2, "ci_low": 0.1,
                       "ci_high": 0.3, "p_value": 0.01, "n_baseline": 5, "n_treatment": 6}])
save_result(table, result_path)
"""


def _tiny(folder: Path, parameters_cell: str, spec_extra: str = "", name: str = "tiny") -> Path:
    """A notebook that hands back a constant table, with this parameters cell, and its spec."""
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell(parameters_cell)
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, nbformat.v4.new_code_cell(CONSTANT_CELL)]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, folder / f"{name}.ipynb")
    (folder / "d.csv").write_text("x\n1\n")
    spec = folder / f"{name}.toml"
    spec.write_text(f'name = "{name}"\nhypothesis = "h"\nanalysis = "before_after"\n'
                    f'notebook = "{name}.ipynb"\ndata = ["d.csv"]\nmin_lift = 0.1\n'
                    f'change = 2024-01-01\n{spec_extra}', encoding="utf-8")
    return spec


TAKES = 'data_paths = []\nchange = None\nresult_path = None\n'


def test_a_spec_value_the_notebook_does_not_take_stops_the_run(tmp_path):
    # the reviewer's case: alpha 0.01 and exposure "reach" were recorded but never applied
    spec = _tiny(tmp_path, TAKES + 'exposure = "impressions"\n',
                 spec_extra='alpha = 0.01\nexposure = "reach"\n')
    with pytest.raises(SpecError) as info:
        runner.run(spec, reports=tmp_path / "r", html=False, echo=False)
    message = str(info.value)
    assert "tiny.toml" in message and "parameter 'alpha'" in message and "tiny.ipynb" in message
    assert "change, data_paths, exposure, result_path" in message  # what the notebook declares
    assert not (tmp_path / "r").exists()  # nothing ran, no empty run folder


def test_spec_values_may_reach_the_notebook_under_its_own_names(tmp_path):
    from toolkit.spec import load_spec

    spec = load_spec(_tiny(tmp_path, TAKES + "ALPHA = 0.05\nB = 1\n",
                           spec_extra='alpha = 0.01\n[parameters]\nALPHA = "{alpha}"\nB = 2\n'))
    assert runner._passed(spec)["ALPHA"] == 0.01
    # a [parameters] value the notebook does not declare would be injected and never read
    spec = load_spec(_tiny(tmp_path, TAKES, spec_extra="[parameters]\nB = 2\n"))
    with pytest.raises(SpecError, match="parameter 'parameters.B'"):
        runner._passed(spec)
    # a label given as [column, value] needs both halves taken
    spec = load_spec(_tiny(tmp_path, TAKES + "label_column = None\n",
                           spec_extra='label = ["content_label", "personal"]\n'))
    with pytest.raises(SpecError, match="parameter 'label'.*label_value"):
        runner._passed(spec)


def test_keys_the_notebook_fixes_itself_are_declared_and_recorded(tmp_path):
    from toolkit.spec import load_spec

    spec = load_spec(_tiny(tmp_path, TAKES, spec_extra='seed = 3\nfixed_by_notebook = ["seed"]\n'))
    assert "seed" not in runner._passed(spec)
    spec = load_spec(_tiny(tmp_path, TAKES, spec_extra='fixed_by_notebook = ["change"]\n'))
    with pytest.raises(SpecError, match="parameter 'fixed_by_notebook'.*change"):
        runner._passed(spec)  # it does take it: the list would be wrong
    fixed = _tiny(tmp_path, TAKES, spec_extra='seed = 3\nfixed_by_notebook = ["seed"]\n')
    record = runner.run(fixed, reports=tmp_path / "r", html=False, echo=False)
    assert record["fixed_by_notebook"] == ["seed"] and "seed" not in record["parameters"]
    assert "fixed by the notebook" in "\n".join(runner._describe(record))


@pytest.mark.parametrize("name", ["personal_content.toml", "strategy_change.toml"])
def test_the_shipped_specs_pass_every_value_to_their_notebooks(name):
    from toolkit.spec import load_spec

    passed = runner._passed(load_spec(ROOT / "experiments" / name), result_path="/tmp/r.json")
    assert passed["result_path"] == "/tmp/r.json"


@pytest.mark.parametrize("name", ["personal_content.toml", "strategy_change.toml"])
def test_the_shipped_specs_have_their_notebooks_load_the_files_the_record_hashes(name):
    # the record lists (and a rerun compares) the files of `data`; a notebook loading a folder of
    # its own would read a new export the record never names (an .xlsx, a .CSV) and "reproduce"
    from toolkit.spec import load_spec

    spec = load_spec(ROOT / "experiments" / name)
    assert "data" not in spec.fixed_by_notebook
    passed = runner._passed(spec)
    assert passed["DATA"] == [str(p) for p in spec.data_files]


def test_a_spec_s_label_reaches_notebook_03(tmp_path):
    """Notebook 03 takes the label (LABEL_COLUMN, LABEL_VALUE): no longer fixed by its own code."""
    from toolkit.spec import load_spec

    spec = load_spec(ROOT / "experiments" / "personal_content.toml")
    assert "label" not in spec.fixed_by_notebook
    passed = runner._passed(spec)
    assert (passed["LABEL_COLUMN"], passed["LABEL_VALUE"]) == ("content_label", "personal")
    # another label in the same spec (moved to tmp_path, its paths made absolute) reaches it as it is
    text = spec.path.read_text(encoding="utf-8").replace('"../', f'"{ROOT.as_posix()}/')
    other = tmp_path / "brand.toml"
    other.write_text(text.replace('label = ["content_label", "personal"]',
                                  'label = ["content_label", "brand"]'), encoding="utf-8")
    assert runner._passed(load_spec(other))["LABEL_VALUE"] == "brand"


# ---------------------------------------------------------------------------------------------
# code changes, and a registry that cannot be read
# ---------------------------------------------------------------------------------------------
def _record(run_id: str, lift: float, **code) -> dict:
    return {"run_id": run_id, "spec": {"sha256": "s"}, "notebook": {"sha256": "n"},
            "inputs": [{"path": "d.csv", "sha256": "d"}],
            "result": {"table": [{"method": "glm", "metric": "likes", "lift": lift}], "n_rows": 9},
            "git_commit": "a" * 40, "package_version": "0.1.0", "git_dirty": False,
            "git_dirty_sha256": None, **code}


@pytest.mark.parametrize("code", [{"git_commit": "b" * 40}, {"package_version": "0.2.0"},
                                  {"git_dirty": True, "git_dirty_sha256": "c" * 64}])
def test_a_code_change_is_reported_not_taken_for_a_failure_to_reproduce(code):
    previous = _record("OLD", 0.2401)
    record = _record("NEW", 0.25, **code)
    record["experiment"] = "x"
    record["since_last"] = change = runner._compare(previous, record)
    assert change["code_changed"] is True
    assert change["reproduced"] is None  # a different answer may be expected
    text = "\n".join(runner._describe(record))
    assert "the code changed" in text and "NOT REPRODUCED" not in text
    # the same code and different numbers are still a failure to reproduce
    assert runner._compare(previous, _record("NEW", 0.25))["reproduced"] is False


def test_code_state_records_uncommitted_changes_to_the_package(tmp_path):
    import subprocess

    def git(*args):
        subprocess.run(["git", "-C", str(tmp_path), "-c", "user.name=t", "-c", "user.email=t@t",
                        *args], check=True, capture_output=True)

    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "mod.py").write_text("x = 1\n")
    git("init", "-q")
    git("add", ".")
    git("commit", "-q", "-m", "one")
    clean = runner._code_state(tmp_path, tmp_path / "pkg")
    assert clean["git_commit"] and len(clean["git_commit"]) == 40
    assert clean["git_dirty"] is False and clean["git_dirty_sha256"] is None
    (tmp_path / "notes.txt").write_text("outside the package\n")
    assert runner._code_state(tmp_path, tmp_path / "pkg")["git_dirty"] is False
    (tmp_path / "pkg" / "mod.py").write_text("x = 2\n")
    edited = runner._code_state(tmp_path, tmp_path / "pkg")
    assert edited["git_dirty"] is True and len(edited["git_dirty_sha256"]) == 64
    assert runner._code_state(tmp_path, tmp_path / "pkg") == edited  # same edit, same state
    (tmp_path / "pkg" / "new.py").write_text("y = 1\n")  # untracked code counts too
    again = runner._code_state(tmp_path, tmp_path / "pkg")
    assert again["git_dirty_sha256"] != edited["git_dirty_sha256"]
    assert runner._code_state(tmp_path / "nowhere", tmp_path / "nowhere") == {
        "git_commit": None, "git_dirty": None, "git_dirty_sha256": None}


def test_a_corrupt_registry_is_named_and_the_run_keeps_its_record(tmp_path):
    spec = _tiny(tmp_path, TAKES)
    registry = tmp_path / "r" / "tiny" / "registry.jsonl"
    registry.parent.mkdir(parents=True)
    registry.write_text('{"status": "failed"}\n{"run_id": "20240101T0000\n', encoding="utf-8")
    with pytest.raises(runner.RunError) as info:
        runner.run(spec, reports=tmp_path / "r", html=False, echo=False)
    message = str(info.value)
    assert "registry.jsonl" in message and "row 2" in message
    records = list((tmp_path / "r" / "tiny").glob("*/record.json"))
    assert len(records) == 1  # the run folder keeps what the notebook handed back
    kept = json.loads(records[0].read_text())
    assert kept["result"]["table"][0]["lift"] == 0.2 and "registry.jsonl" in kept["error"]
    with pytest.raises(runner.RunError, match="registry.jsonl.*row 2"):
        runner.registry(tmp_path / "r" / "tiny")
    registry.write_text('{"status": "ok", "run_id": "x"}\n', encoding="utf-8")  # cut short
    with pytest.raises(runner.RunError, match="registry.jsonl, row 1.*no spec, notebook"):
        runner._last_record(registry)


@pytest.fixture(scope="module")
def spec_of_04(tmp_path_factory) -> Path:
    """The schedule and the spec notebook 04 writes on the sample data (its power runs kept small)."""
    import papermill as pm

    tmp = tmp_path_factory.mktemp("nb04")
    out = tmp / "design"
    pm.execute_notebook(str(ROOT / "notebooks" / "04_design_an_experiment.ipynb"), str(tmp / "04.ipynb"),
                        parameters={"out_dir": str(out), "n_sims": 10, "weeks": [2, 4], "lifts": [0.3],
                                    "schedule_weeks": 8, "check_sims": 10},
                        cwd=str(ROOT / "notebooks"), kernel_name="python3", progress_bar=False,
                        # nbclient sometimes reads a widget cell's reply only at the timeout, and
                        # without one never (jupyter/nbclient#312; seen here: the DesignPanel cell)
                        execution_timeout=120)
    return out / "personal_schedule.toml"


@pytest.mark.slow
def test_the_spec_notebook_04_writes_passes_data_and_schedule_to_notebook_03(spec_of_04):
    # editing `data` in the written spec (new exports elsewhere) must change what notebook 03 loads,
    # not only the files the record lists; and notebook 03 must read the schedule it records
    from toolkit.spec import load_spec

    spec = load_spec(spec_of_04)
    assert spec.fixed_by_notebook == ()
    passed = runner._passed(spec)
    assert passed["DATA"] == [str(p) for p in spec.data_files]
    assert passed["SCHEDULE"] == str(spec.schedule) and passed["SCHEDULE_TZ"] == "UTC"
    assert (passed["LABEL_COLUMN"], passed["LABEL_VALUE"]) == ("scheduled_label", "personal")


@pytest.mark.slow
def test_the_spec_of_an_unpublished_schedule_stops_and_says_to_publish_it(spec_of_04, tmp_path, capsys):
    # the sample's posts all predate the schedule: no result from them, and a message a person
    # can act on, from `python -m toolkit run` (exit code 1)
    code = runner.main([str(spec_of_04), "--reports", str(tmp_path / "reports"), "--no-html"])
    printed = capsys.readouterr().err
    assert code == 1
    assert "no post matches the schedule" in printed and "rerun with the new export" in printed
    assert "2025-07-07 09:00 to 2025-08-31 18:00 (UTC)" in printed and "2024-01-01 to 2025-06-30" in printed
    assert not (tmp_path / "reports" / "personal_schedule" / "registry.jsonl").exists()


def _export_of_the_experiment(schedule_csv: Path, folder: Path, *, lift: float, seed: int) -> Path:
    """An X export of the posts published in the schedule's slots (a few minutes off, 5 slots
    skipped): engagements negative binomial (size 5) at 4% of impressions, times 1 + ``lift`` in
    the slots assigned personal."""
    import csv

    import numpy as np
    import pandas as pd

    template = ROOT / "data" / "sample" / "tweet_activity_metrics_harborbakes_20250401_20250630_en.csv"
    with open(template, encoding="utf-8", newline="") as handle:
        header = next(csv.reader(handle))
    plan = pd.read_csv(schedule_csv, dtype=str)
    when = pd.to_datetime(plan["date_time"], format="%d/%m/%Y %H:%M").dt.tz_localize("UTC")
    rng = np.random.default_rng(seed)
    skipped = set(rng.choice(len(plan), size=5, replace=False).tolist())
    rows = []
    for i in range(len(plan)):
        if i in skipped:
            continue
        personal = plan["label"].iloc[i] == "personal"
        impressions = int(round(rng.lognormal(np.log(1500), 0.5)))
        mean = 0.04 * impressions * (1 + lift if personal else 1.0)
        engagements = int(rng.negative_binomial(5, 5 / (5 + mean)))
        post_id = str(1950000000000000000 + i)
        row = {h: ("-" if h.startswith("promoted") else "0") for h in header}
        row.update({"Tweet id": post_id, "Tweet permalink": f"https://twitter.com/harborbakes/status/{post_id}",
                    "Tweet text": ("I baked with my daughter this morning. What do you bake at home?" if personal
                                   else "Order ahead and skip the line with our app. https://example.com/shop"),
                    "time": (when.iloc[i] + pd.Timedelta(minutes=int(rng.integers(-8, 9))))
                    .strftime("%Y-%m-%d %H:%M +0000"),
                    "impressions": f"{impressions:.1f}", "engagements": f"{engagements:.1f}",
                    "engagement rate": str(engagements / impressions), "likes": f"{engagements // 2:.1f}"})
        rows.append(row)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"tweet_activity_metrics_harborbakes_{when.min():%Y%m%d}_{when.max():%Y%m%d}_en.csv"
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=header, quoting=csv.QUOTE_ALL)
        writer.writeheader()
        writer.writerows(rows)
    return path


@pytest.mark.slow
def test_the_spec_rerun_on_the_executed_experiment_finds_the_planted_lift(spec_of_04, tmp_path):
    # seeded simulation with a known truth: the export of the experiment as run (posts in 163 of
    # its 168 slots, +30% engagements per impression in the personal slots); the spec, pointed at
    # that export, analyses exactly those posts by their slot's assignment and glm's 95% interval
    # covers +30%
    import re

    spec = tmp_path / "personal_schedule.toml"
    export = _export_of_the_experiment(spec_of_04.parent / "personal_schedule.csv", tmp_path / "export",
                                       lift=0.30, seed=7)
    text = spec_of_04.read_text(encoding="utf-8")
    text = re.sub(r"^data = .*$", f'data = ["{export.as_posix()}"]', text, flags=re.MULTILINE)
    text = text.replace('notebook = "', f'notebook = "{spec_of_04.parent.as_posix()}/')
    text = text.replace('schedule = "', f'schedule = "{spec_of_04.parent.as_posix()}/')
    spec.write_text(text, encoding="utf-8")
    record = runner.run(spec, reports=tmp_path / "reports", html=False, echo=False)
    assert record["status"] == "ok"
    row = record["result"]["table"][0]
    assert row["method"] == "glm" and row["n_baseline"] + row["n_treatment"] == 163
    assert row["ci_low"] < 0.30 < row["ci_high"], row


def test_the_same_numbers_from_other_rows_are_no_reproduction():
    # the listed inputs are unchanged but the notebook analysed 221 more posts (it read a file the
    # record does not list): saying "Reproduced: the same numbers, exactly" would vouch for a run
    # nobody can redo from the record
    previous = _record("OLD", 0.25)
    record = _record("NEW", 0.25)
    record["result"]["n_rows"] = 230
    record["experiment"] = "x"
    record["since_last"] = change = runner._compare(previous, record)
    assert change["same_numbers"] is True and change["rows_added"] == 221
    assert change["reproduced"] is False
    text = "\n".join(runner._describe(record))
    assert "NOT REPRODUCED" in text and "different number of rows" in text
    assert "Reproduced: the same numbers" not in text



@pytest.mark.slow
def test_a_before_after_spec_on_other_data_can_turn_the_sample_check_off(tmp_path):
    # rerunning strategy_change on new exports whose change is not the sample's planted +25% must
    # be possible from the spec; the notebook's advice (PLANTED_LIFT = None) has no TOML form
    import re
    import shutil

    import pandas as pd

    data = tmp_path / "data"
    data.mkdir()
    for path in (ROOT / "data" / "sample").glob("*_oficina_pedal*.csv"):
        shutil.copy(path, data)
    for path in (ROOT / "data" / "sample").glob("*harborbakes*.csv"):
        exports = pd.read_csv(path, dtype=str, keep_default_na=False)
        if "engagements" in exports:  # engagements x1.4 from the change on: about +75% in all
            after = pd.to_datetime(exports["time"], format="%Y-%m-%d %H:%M %z") >= pd.Timestamp(
                "2024-10-01", tz="UTC")
            raised = (exports.loc[after, "engagements"].astype(float) * 1.4).round()
            exports.loc[after, "engagements"] = raised.map("{:.1f}".format)
        exports.to_csv(data / path.name, index=False, quoting=1)
    text = (ROOT / "experiments" / "strategy_change.toml").read_text(encoding="utf-8")
    text = text.replace('"../notebooks/', f'"{ROOT.as_posix()}/notebooks/')
    text = text.replace('"../data/sample/', f'"{data.as_posix()}/')
    if re.search(r"^PLANTED_LIFT = ", text, flags=re.MULTILINE):
        text = re.sub(r"^PLANTED_LIFT = .*$", "PLANTED_LIFT = false", text, flags=re.MULTILINE)
    else:
        text += "PLANTED_LIFT = false\n"
    text = re.sub(r"^PLACEBO_DATES = .*$", "PLACEBO_DATES = 3", text, flags=re.MULTILINE)
    spec = tmp_path / "new_exports.toml"
    spec.write_text(text, encoding="utf-8")
    record = runner.run(spec, reports=tmp_path / "reports", html=False, echo=False)
    assert record["status"] == "ok" and record["parameters"]["PLANTED_LIFT"] is False
    assert record["result"]["table"][0]["ci_low"] > 0.25  # neither 0 nor the sample's +25%


@pytest.mark.slow
def test_a_content_lift_spec_can_turn_the_sample_check_off(tmp_path):
    # on your own data the page must not claim a "planted +0%" lift: false turns the check off
    import re

    text = (ROOT / "experiments" / "personal_content.toml").read_text(encoding="utf-8")
    text = text.replace('"../', f'"{ROOT.as_posix()}/')
    if re.search(r"^PLANTED_LIFT = ", text, flags=re.MULTILINE):
        text = re.sub(r"^PLANTED_LIFT = .*$", "PLANTED_LIFT = false", text, flags=re.MULTILINE)
    else:
        text += "PLANTED_LIFT = false\n"
    spec = tmp_path / "own.toml"
    spec.write_text(text, encoding="utf-8")
    record = runner.run(spec, reports=tmp_path / "reports", html=False, echo=False)
    executed = nbformat.read(record["outputs"]["notebook"], as_version=4)
    shown = json.dumps([cell.get("outputs", []) for cell in executed.cells])
    assert record["parameters"]["PLANTED_LIFT"] is False and "planted" not in shown


def test_a_redacted_run_shares_a_page_without_handles_or_post_texts(tmp_path):
    # what a user sends round after `python -m toolkit run SPEC --redact`: the page and the kept
    # notebook show pseudonyms, not the account's handle or its post texts; the record says so
    from toolkit.exports import write_x_legacy_posts
    from toolkit.simulate import simulate_profile

    (tmp_path / "data").mkdir()
    sim = simulate_profile(days=120, posts_per_day=2, change="2024-03-01", seed=7)
    write_x_legacy_posts(sim.posts, tmp_path / "data", handle="northwind_cafe", start="2024-01-01",
                         end="2024-04-29", extra=sim.extra)
    _notebook(tmp_path / "analysis.ipynb", ANALYSIS_CELL.replace(
        "result.table", 'display(posts[["account", "text", "likes"]].head(3))\nresult.table'))
    dump_spec({"name": "shared_change", "hypothesis": "Likes per impression rose in March.",
               "analysis": "before_after", "notebook": "analysis.ipynb",
               "data": ["data/*.csv"], "metric": "likes", "exposure": "impressions",
               "method": "glm", "alpha": 0.05, "min_lift": 0.1, "change": "2024-03-01"},
              tmp_path / "shared.toml")
    loaded = toolkit.load(sorted((tmp_path / "data").glob("*.csv"))).posts
    texts = loaded["text"].head(3).tolist()

    plain = runner.run(tmp_path / "shared.toml", reports=tmp_path / "r", echo=False)
    page = Path(plain["outputs"]["html"]).read_text(encoding="utf-8")
    assert "northwind_cafe" in page and plain["redacted"] is False  # the check below can fail

    shared = runner.run(tmp_path / "shared.toml", reports=tmp_path / "r", echo=False, redact=True)
    assert shared["redacted"] is True
    assert shared["result"]["table"] == plain["result"]["table"]  # only the page changes
    for kept in (shared["outputs"]["html"], shared["outputs"]["notebook"]):
        text = Path(kept).read_text(encoding="utf-8")
        assert "northwind_cafe" not in text
        assert not any(t in text for t in texts)
    assert "account 1" in Path(shared["outputs"]["html"]).read_text(encoding="utf-8")
    with pytest.raises(runner.RunError, match="parameter .redact."):
        runner.run(tmp_path / "shared.toml", reports=tmp_path / "r", html=False, redact=True)


@pytest.mark.parametrize("html", [False, True])
def test_a_cell_that_runs_past_the_timeout_fails_the_run(tmp_path, html):
    # a stalled or endless cell must not hold a run (or its report build) for ever
    spec = _one_cell_spec(tmp_path, "slow", "import time\ntime.sleep(60)\n")
    started = time.monotonic()
    with pytest.raises(runner.RunError, match="the notebook failed") as err:
        runner.run(spec, reports=tmp_path / "r", html=html, echo=False, timeout=3)
    assert time.monotonic() - started < 45
    assert "a cell ran longer than 3 s; rerun with a larger --timeout" in str(err.value)
    assert "CellTimeoutError" in str(err.value)


def _bare_record(inputs, table, spec="s1"):
    return {"run_id": "r", "inputs": [{"path": p, "sha256": h} for p, h in inputs],
            "spec": {"sha256": spec}, "notebook": {"sha256": "nb"}, "result": {"table": table, "n_rows": 10},
            "git_commit": "c", "package_version": "1", "git_dirty_sha256": None}


def test_compare_matches_lifts_by_method_and_metric_not_by_position():
    # a spec changed from glm on engagements to welch on likes printed "welch lift then +29.1%":
    # the glm figure, paired by position
    then = _bare_record([("a.csv", "h")], [{"method": "glm", "metric": "engagements", "lift": 0.291}])
    now = _bare_record([("a.csv", "h")], [{"method": "welch", "metric": "likes", "lift": 0.286}], spec="s2")
    lifts = runner._compare(then, now)["lift"]
    assert {(x["method"], x["lift_then"], x["lift_now"]) for x in lifts} == {("welch", None, 0.286),
                                                                          ("glm", 0.291, None)}
    both = _bare_record([("a.csv", "h")], [{"method": "welch", "metric": "likes", "lift": 0.25},
                                      {"method": "glm", "metric": "engagements", "lift": 0.3}])
    lifts = runner._compare(then, both)["lift"]
    assert [(x["method"], x["lift_then"], x["lift_now"]) for x in lifts] == [("welch", None, 0.25),
                                                                          ("glm", 0.291, 0.3)]


def test_compare_sees_a_moved_spec_naming_the_same_files():
    # paths are relative to the spec: a copy of the spec in another folder named the same 21 files
    # differently, and the run said "21 added, 21 removed" and could not tell a reproduction
    table = [{"method": "glm", "metric": "likes", "lift": 0.2}]
    then = _bare_record([("../data/a.csv", "h1"), ("../data/b.csv", "h2")], table)
    now = _bare_record([("../../data/a.csv", "h1"), ("../../data/b.csv", "h2")], table)
    change = runner._compare(then, now)
    assert change["inputs_added"] == change["inputs_removed"] == [] and change["reproduced"] is True
    assert change["inputs_moved"] == ["../../data/a.csv", "../../data/b.csv"]
    edited = _bare_record([("../../data/a.csv", "h1"), ("../../data/b.csv", "other")], table)
    change = runner._compare(then, edited)
    assert change["inputs_added"] == ["../../data/b.csv"] and change["reproduced"] is None


def test_an_unusable_reports_folder_or_timeout_is_named(tmp_path):
    # a file where the reports folder should be ended in a NotADirectoryError from mkdir
    blocker = tmp_path / "README.md"
    blocker.write_text("not a folder\n")
    spec = Path(__file__).resolve().parents[1] / "experiments" / "personal_content.toml"
    with pytest.raises(runner.RunError, match="cannot create the run's folder") as err:
        runner.run(spec, reports=blocker / "sub", html=False)
    assert err.value.parameter == "reports"
    for timeout in (0, -5):  # meant "no limit" without a word
        with pytest.raises(runner.RunError, match="timeout must be") as err:
            runner.run(spec, reports=tmp_path / "reports", html=False, timeout=timeout)
        assert err.value.parameter == "timeout"


def test_a_report_into_an_unusable_folder_is_named(tmp_path):
    from toolkit.report import ReportError, build_report

    blocker = tmp_path / "README.md"
    blocker.write_text("not a folder\n")
    notebook = Path(__file__).resolve().parents[1] / "notebooks" / "01_load_and_explore.ipynb"
    with pytest.raises(ReportError, match="cannot create the output folder") as err:
        build_report(notebook, blocker / "x")
    assert err.value.parameter == "out_dir"


def test_files_the_notebooks_parameters_name_are_recorded_inputs(tmp_path):
    # notebook 03 reads HAND_LABELS by default; new hand labels changed the lift, and the run said
    # "inputs, spec, notebook and code unchanged ... NOT REPRODUCED"
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell('HAND_LABELS = "labels.csv"\nDATA = ["missing.csv"]\nN = 3\n'
                                       'OTHER = str(1)\nresult_path = None\n')
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, tmp_path / "nb.ipynb")
    for name in ("labels.csv", "given.csv"):
        (tmp_path / name).write_text("post_id,content_label\n")
    found = runner._parameter_files(tmp_path / "nb.ipynb", {"DATA": ["given.csv"]})
    assert found == [(tmp_path / "labels.csv").resolve(), (tmp_path / "given.csv").resolve()]


def test_text_where_the_notebook_takes_a_number_is_named_before_the_run(tmp_path):
    # PLANTED_LIFT = "0.30" failed inside pandas ("Invalid comparison between dtype=float64 and
    # str"), naming neither the parameter nor the spec
    spec = _one_cell_spec(tmp_path, "kinds", "x = 1\n")
    nb = nbformat.read(tmp_path / "kinds.ipynb", 4)
    nb.cells[1].source += "planted = 0.30\n"
    nbformat.write(nb, tmp_path / "kinds.ipynb")
    spec.write_text(spec.read_text() + '\n[parameters]\nplanted = "0.30"\n')
    with pytest.raises(SpecError, match="the notebook's default is a number") as err:
        runner.run(spec, reports=tmp_path / "r", html=False, echo=False)
    assert err.value.parameter == "planted" and err.value.file.endswith("kinds.toml")
    assert not (tmp_path / "r").exists()  # nothing written
