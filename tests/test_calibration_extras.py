"""The commands behind the smaller figures of docs/validation.md (toolkit.calibration.extras) still run.

Each runs on a handful of profiles; the checks are of the tables' shape, columns and ranges, not of
the figures, which need the published sizes (the docs give each command and its CPU time).
"""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

from toolkit.calibration import extras
from toolkit.calibration.robustness import SCENARIOS

FEW = 2


def _shares(column) -> bool:
    """Every value a share (NaN allowed: a group without runs)."""
    return column.dropna().between(0, 1).all()


def test_residual_autocorrelation_has_a_row_per_before_after_scenario():
    table = extras.residual_autocorrelation(FEW)
    assert list(table.columns) == ["scenario", "profiles", "median", "quartile_1", "quartile_3"]
    assert list(table["scenario"]) == [n for n, s in SCENARIOS.items() if "before_after" in s.analyses]
    assert (table["quartile_1"] <= table["median"]).all() and (table["median"] <= table["quartile_3"]).all()


def test_weekly_check_splits_the_runs_by_whether_it_fired():
    table = extras.weekly_check(FEW)
    assert list(table["scenario"]) == [extras.SPELLS, extras.IDEAL, extras.SPARSE]
    assert (table["profiles"] == FEW).all() and table["runs_fired"].between(0, FEW).all()
    for column in ("fired", "false_positives_when_fired", "false_positives_when_not"):
        assert _shares(table[column])


def test_change_term_gives_a_rejection_rate_per_term():
    table = extras.change_term(FEW)
    assert list(table["term"]) == ["label, before change", "label, after change", "gain after change"]
    assert (table["runs"] == FEW).all() and _shares(table["rejection_rate"])


def test_weeks_with_both_counts_at_most_the_year_s_weeks():
    table = extras.weeks_with_both(FEW)
    assert list(table["scenario"]) == [extras.SPARSE, extras.FEW_LABELLED, extras.IDEAL]
    assert ((0 < table["least"]) & (table["least"] <= table["mean"]) & (table["mean"] <= table["most"])
            & (table["most"] <= 53)).all()


def test_bayes_few_weeks_reads_the_interval_both_ways():
    table = extras.bayes_few_weeks(FEW, n_draws=999)
    assert list(table["weeks"]) == [3, 5, 10]
    assert table["weeks_with_both"].str.fullmatch(r"\d+-\d+").all()
    assert _shares(table["rejection_rate"]) and _shares(table["rejection_rate_draws"])


@pytest.mark.parametrize("name", list(extras.COMMANDS))
def test_each_command_prints_its_seed_table_and_cpu_time(name, capsys):
    seed = inspect.signature(extras.COMMANDS[name]).parameters["seed"].default
    assert extras.main([name, "--profiles", "1"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"{name} --profiles 1 --seed {seed}\n") and "CPU time:" in out


def test_every_command_the_docs_give_exists():
    docs = (Path(__file__).resolve().parents[1] / "docs" / "validation.md").read_text(encoding="utf-8")
    named = set(re.findall(r"toolkit\.calibration\.extras\s+([a-z-]+)", docs))
    assert named == set(extras.COMMANDS)
