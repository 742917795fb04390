"""Progress bars in a saved notebook: once a bar closes, its output holds its final line of text,
not a widget whose text fallback is frozen at 0% (toolkit.progress).

Each test runs a small notebook in a real kernel (nbclient, as papermill and nbval do) and reads
the outputs nbclient saved, which is what a viewer without widget state shows.
"""

from __future__ import annotations

import os

import nbformat
import pytest
from nbclient import NotebookClient

WIDGET = "application/vnd.jupyter.widget-view+json"


def _run(*sources: str) -> list[dict]:
    """Run the cells in one kernel, without TQDM_DISABLE; the last cell's outputs."""
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])
    env = {k: v for k, v in os.environ.items() if k != "TQDM_DISABLE"}
    client = NotebookClient(nb, kernel_name="python3", timeout=120, allow_errors=True)
    client.km = client.create_kernel_manager()
    client.start_new_kernel(env=env)
    try:
        client.start_new_kernel_client()
        for index, cell in enumerate(nb.cells):
            client.execute_cell(cell, index)
    finally:
        client._cleanup_kernel()
    return nb.cells[-1].outputs


def _displays(outputs: list[dict]) -> list[dict]:
    return [o["data"] for o in outputs if o["output_type"] == "display_data"]


@pytest.mark.slow
def test_a_finished_bar_leaves_its_final_line_and_no_widget():
    outputs = _run("from toolkit.progress import progress_bar",
                   "for _ in progress_bar(range(40), desc='counting'):\n    pass")
    shown = _displays(outputs)
    assert len(shown) == 1 and WIDGET not in shown[0]
    assert shown[0]["text/plain"].startswith("counting: 100%") and "40/40" in shown[0]["text/plain"]


@pytest.mark.slow
def test_a_bar_stopped_by_an_error_says_where_it_stopped():
    outputs = _run("from toolkit.progress import progress_bar",
                   "for i in progress_bar(range(40), desc='counting'):\n"
                   "    if i == 12:\n"
                   "        raise ValueError('stop')")
    shown = _displays(outputs)
    assert len(shown) == 1 and WIDGET not in shown[0]
    assert "12/40" in shown[0]["text/plain"]
    assert any(o["output_type"] == "error" for o in outputs)


@pytest.mark.slow
def test_a_bar_made_not_to_stay_leaves_nothing_and_the_toolkit_uses_these_bars():
    # toolkit.design.power's bar is leave=False: nothing of it is left once it is done
    outputs = _run(
        "import numpy as np\nimport toolkit.design as d\n"
        "h = d.History(posts_per_day=2, rate=0.03, dispersion=4.0, ar1=0.0, shock_sd=0.0,\n"
        "              weekday=(1.0,) * 7, exposures=np.full(50, 1000.0))",
        "r = d.power(history=h, lifts=[0.3], weeks=[4], n_sims=50, seed=1, method='wald')")
    shown = _displays(outputs)
    assert len(shown) == 1 and WIDGET not in shown[0] and shown[0]["text/plain"] == ""


@pytest.mark.slow
def test_tqdm_disable_turns_every_bar_off_and_delay_gets_tqdms_own_bar():
    # the runner and the report builder set TQDM_DISABLE for their kernels: no bar at all, even one
    # asked for (tqdm's notebook bar ignores the variable when disable= is passed)
    outputs = _run("import os\nos.environ['TQDM_DISABLE'] = '1'\nfrom toolkit.progress import progress_bar",
                   "for _ in progress_bar(range(5), desc='counting', disable=False):\n    pass")
    assert _displays(outputs) == []
    # with delay= the bar is tqdm's own (it displays itself once the delay has passed)
    outputs = _run("from toolkit.progress import progress_bar",
                   "for _ in progress_bar(range(5), desc='counting', delay=30):\n    pass")
    assert _displays(outputs) == []


def test_every_bar_of_the_toolkit_goes_through_progress_bar():
    # a bar made with tqdm directly would leave the frozen 0% text behind in a saved notebook
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parents[1] / "toolkit"
    direct = []
    for path in root.rglob("*.py"):
        if path.name == "progress.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                names = [node.module or ""] if isinstance(node, ast.ImportFrom) else []
                names += [a.name for a in node.names]
                if any(n == "tqdm" or n.startswith("tqdm.") for n in names):
                    direct.append(f"{path.relative_to(root)}:{node.lineno}")
    assert direct == []
