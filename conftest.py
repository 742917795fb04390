"""Test-wide set-up for Engagement Lab (applies to tests/ and to the doctests in toolkit/).

``toolkit.display.setup()`` changes process-wide state (Altair's renderer and data transformer, a
pandas option); restore it after every test so that no test depends on which ran before it.
"""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("TQDM_DISABLE", "1")


@pytest.fixture(autouse=True)
def _restore_display_state():
    import altair as alt
    import pandas as pd

    renderer = alt.renderers.active
    transformer = alt.data_transformers.active
    transformer_options = dict(alt.data_transformers.options)
    escape = pd.get_option("styler.format.escape")
    from toolkit import display

    state = dict(display._state)
    yield
    alt.renderers.enable(renderer)
    alt.data_transformers.enable(transformer, **transformer_options)
    pd.set_option("styler.format.escape", escape)
    display._state.clear()
    display._state.update(state)
