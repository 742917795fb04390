"""One vocabulary: every public analysis returns a result table that starts with the standard
columns of ``toolkit.schema.RESULT_COLUMNS``, and no table spells a statistic another way."""

from __future__ import annotations

import re

import pandas as pd
import pytest

import toolkit
from toolkit.before_after import METHODS as BEFORE_AFTER_METHODS
from toolkit.content_lift import METHODS as CONTENT_LIFT_METHODS
from toolkit.errors import SchemaError
from toolkit.result import Result, check_result_table
from toolkit.schema import RESULT_COLUMNS
from toolkit.simulate import simulate_profile

#: spellings of our column names that must never appear in a result table
FORBIDDEN = re.compile(r"^(pval|p-val|p\.value|pvalue|p_val|ci_lower|ci_upper|ci95.*|effect|n_control|n_treated)$")


@pytest.fixture(scope="module")
def posts() -> pd.DataFrame:
    main = simulate_profile(days=240, posts_per_day=2.0, account="main", change="2024-05-01",
                            change_lift=0.2, personal_lift=0.2, seed=11).posts
    control = simulate_profile(days=240, posts_per_day=2.0, account="control", seed=12).posts
    return toolkit.engagement(pd.concat([main, control], ignore_index=True))


def _check(result: Result) -> None:
    assert isinstance(result, Result)
    columns = list(result.table.columns)
    assert columns[: len(RESULT_COLUMNS)] == list(RESULT_COLUMNS)
    assert [c for c in columns if FORBIDDEN.match(c)] == []
    assert result.text and result.assumptions
    result.chart().to_dict(format="vega")  # every result can draw itself


@pytest.mark.parametrize("method", BEFORE_AFTER_METHODS)
def test_before_after_speaks_the_vocabulary(posts, method):
    extra = {"control_account": "control"} if method == "did" else {}
    data = posts if method == "did" else posts[posts["account"] == "main"]
    _check(toolkit.before_after(data, change="2024-05-01", method=method, **extra))


@pytest.mark.parametrize("method", CONTENT_LIFT_METHODS)
def test_content_lift_speaks_the_vocabulary(posts, method):
    main = posts[posts["account"] == "main"]
    _check(toolkit.content_lift(main, label=("content_label", "personal"), metric="likes",
                                method=method, n_resamples=200, seed=1))


def test_several_metrics_add_an_adjusted_p_value(posts):
    main = posts[posts["account"] == "main"]
    result = toolkit.content_lift(main, label=("content_label", "personal"),
                                  metric=["likes", "comments"], method="glm")
    _check(result)
    assert "p_adjusted" in result.table.columns


def test_a_result_table_that_is_not_a_dataframe_is_named():
    with pytest.raises(SchemaError, match=r"parameter 'table'.*DataFrame.*found: NoneType") as info:
        Result(table=None, text="x")
    assert info.value.parameter == "table"
    with pytest.raises(SchemaError, match=r"found: dict"):
        check_result_table({"method": ["glm"]})
