"""Chart of a 200,000-post profile: VegaFusion aggregation (toolkit.display) vs. shipping every row.

Baseline, measured in the same run: Altair's default data transformer with the row limit disabled,
which inlines all 200,000 rows in the spec the browser must parse and aggregate. Printed: time to
produce the chart HTML and its size, for both, and the ratios.

    python benchmarks/bench_display.py
"""

from __future__ import annotations

import time

import altair as alt
import numpy as np
import pandas as pd

import toolkit.display as display

N = 200_000


def _chart(frame: pd.DataFrame) -> alt.Chart:
    return alt.Chart(frame).mark_line().encode(
        x="yearmonthdate(published_at):T", y="mean(likes):Q", color="account:N",
    )


def main() -> None:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({
        "published_at": pd.date_range("2022-01-01", periods=N, freq="5min", tz="UTC"),
        "account": rng.choice(["a", "b", "c"], N),
        "likes": rng.poisson(5, N),
    })
    display.setup("static")
    display.chart_html(_chart(frame.head(100)))  # warm up VegaFusion and the compiler
    t0 = time.perf_counter()
    ours = display.chart_html(_chart(frame))
    t_ours = time.perf_counter() - t0

    alt.data_transformers.enable("default", max_rows=None)
    t0 = time.perf_counter()
    baseline = display.chart_html(_chart(frame))
    t_base = time.perf_counter() - t0

    print(f"{N:,} posts, daily mean likes per account")
    print(f"  toolkit.display (VegaFusion): {t_ours * 1000:8.0f} ms, {len(ours) / 1e3:10.0f} kB of HTML")
    print(f"  all rows inlined (baseline):  {t_base * 1000:8.0f} ms, {len(baseline) / 1e3:10.0f} kB of HTML")
    print(f"  ratio time {t_ours / t_base:.2f}, size {len(ours) / len(baseline):.4f} (lower is better)")


if __name__ == "__main__":
    main()
