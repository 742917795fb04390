"""The result object every analysis returns.

A :class:`Result` holds a tidy ``table`` (one row per method, starting with
:data:`toolkit.schema.RESULT_COLUMNS`), a plain-language ``text`` with the numbers, the
``assumptions`` the method rests on, and a chart builder. It displays itself in a notebook.

>>> import pandas as pd
>>> table = pd.DataFrame([{"method": "glm", "metric": "likes", "lift": 0.2, "ci_low": 0.1,
...     "ci_high": 0.3, "p_value": 0.001, "n_baseline": 100, "n_treatment": 90}])
>>> r = Result(table=table, text="Likes rose 20%.", assumptions="Counts are negative binomial.")
>>> r.table.loc[0, "lift"]
np.float64(0.2)
>>> "Likes rose 20%." in r._repr_html_()
True
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from toolkit.errors import SchemaError
from toolkit.schema import RESULT_COLUMNS

__all__ = ["Result", "check_result_table", "format_pct"]


def check_result_table(table: pd.DataFrame) -> pd.DataFrame:
    """Return ``table`` with the standard result columns first.

    The columns of :data:`toolkit.schema.RESULT_COLUMNS` are moved to the front, in that order,
    when they are elsewhere; the other columns follow in their own order.

    Raises
    ------
    SchemaError
        When ``table`` is not a DataFrame, or lacks one of the standard columns.

    >>> table = pd.DataFrame([{"p_value": 0.01, "method": "glm", "metric": "likes", "lift": 0.2,
    ...     "ci_low": 0.1, "ci_high": 0.3, "n_baseline": 10, "n_treatment": 9, "note": ""}])
    >>> list(check_result_table(table).columns)
    ['method', 'metric', 'lift', 'ci_low', 'ci_high', 'p_value', 'n_baseline', 'n_treatment',
     'note']
    >>> check_result_table(None)
    Traceback (most recent call last):
    ...
    toolkit.errors.SchemaError: parameter 'table': the result table must be a pandas DataFrame (found: NoneType)
    """
    if not isinstance(table, pd.DataFrame):
        raise SchemaError("the result table must be a pandas DataFrame", parameter="table",
                          found=type(table).__name__)
    missing = [c for c in RESULT_COLUMNS if c not in table.columns]
    if missing:
        raise SchemaError("result table lacks standard columns", found=missing)
    first = list(table.columns[: len(RESULT_COLUMNS)])
    if first != list(RESULT_COLUMNS):
        table = table[list(RESULT_COLUMNS) + [c for c in table.columns if c not in RESULT_COLUMNS]]
    return table


def format_pct(x: float, digits: int = 0) -> str:
    """Format a relative change as a signed percentage (``0.234`` -> ``'+23%'``).

    >>> format_pct(0.234), format_pct(-0.05, 1), format_pct(float("nan"))
    ('+23%', '-5.0%', 'n/a')
    """
    if x is None or pd.isna(x):
        return "n/a"
    return f"{x * 100:+.{digits}f}%"


@dataclass
class Result:
    """What an analysis found.

    Attributes
    ----------
    table
        One row per method, first columns :data:`toolkit.schema.RESULT_COLUMNS`; ``lift`` is the
        relative change of the treatment over the baseline (``0.25`` = +25 %) and
        ``ci_low``/``ci_high`` bound it at ``level``.
    text
        A plain-language summary with the numbers.
    assumptions
        What the method assumes about the data, in words.
    level
        Confidence level of the intervals.
    details
        Method-specific objects (fitted models, per-day paths) for charts and diagnostics.
    """

    table: pd.DataFrame
    text: str
    assumptions: str = ""
    level: float = 0.95
    details: dict[str, Any] = field(default_factory=dict)
    diagnostics: pd.DataFrame | None = None
    chart_builder: Callable[["Result"], Any] | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self.table = check_result_table(self.table).reset_index(drop=True)

    def chart(self):
        """An Altair chart of the result (observed vs. counterfactual, or lift with intervals)."""
        if self.chart_builder is not None:
            return self.chart_builder(self)
        from toolkit.charts.lift import lift_chart

        return lift_chart(self.table, level=self.level)

    def summary(self) -> str:
        """The text, followed by the assumptions."""
        return self.text + ("\n\nAssumes: " + self.assumptions if self.assumptions else "")

    def print_summary(self) -> None:
        """Print :meth:`summary` and the table."""
        print(self.summary())
        print()
        print(self.table.to_string(index=False))

    def __str__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        table = self.table.to_html(index=False, float_format=lambda v: f"{v:.4g}", border=0)
        parts = [
            '<div class="engagement-lab-result">',
            f"<p>{html.escape(self.text)}</p>",
            table,
        ]
        if self.assumptions:
            parts.append(f"<p><small><b>Assumes:</b> {html.escape(self.assumptions)}</small></p>")
        parts.append("</div>")
        return "\n".join(parts)
