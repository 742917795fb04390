"""``make app``: notebook 01 served by Voila with the project's template, in headless Chromium with
no network. The app must draw its widgets and charts and request nothing but its own server
(Voila's stock "lab" template links Font Awesome from a CDN; ``share/jupyter/voila/templates/
engagement-lab`` drops those links, Voila's bundle carries the icons)."""

from __future__ import annotations

import os
import re
import socket
import time
from pathlib import Path

import pytest

from conftest import _free_port, serving

ROOT = Path(__file__).resolve().parents[2]
VOILA = ROOT / ".venv" / "bin" / "voila"

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _make_app_command() -> tuple[dict[str, str], list[str]]:
    """The environment and arguments of ``make app`` (read from the Makefile, so they cannot drift)."""
    text = (ROOT / "Makefile").read_text()
    recipe = re.search(r"^app:.*\n\t(.+)$", text, re.M).group(1)
    assert "JUPYTER_PATH=$(CURDIR)/share/jupyter" in recipe and "--template=engagement-lab" in recipe
    args = recipe.split("/bin/voila ", 1)[1].split()
    env = dict(os.environ, JUPYTER_PATH=str(ROOT / "share" / "jupyter"), TQDM_DISABLE="1")
    return env, args


@pytest.fixture(scope="module")
def app():
    if not VOILA.exists():
        pytest.skip("voila is not installed in .venv")
    env, args = _make_app_command()
    # Voila executes with nbclient, which now and then misses the kernel's reply to a widget cell
    # and waits with the kernel idle (jupyter/nbclient#312): with no cell timeout, for ever. With
    # one, the wait ends at the timeout and the reply is read then (pyzmq polls once more when a
    # poll times out), so a stall costs at most this long; every cell of notebook 01 takes seconds.
    # `make app` sets one too (a user's own data may take minutes): here it is shorter.
    assert any(a.startswith("--VoilaExecutor.timeout=") for a in args), "make app sets no cell timeout"
    args = [a for a in args if not a.startswith("--VoilaExecutor.timeout=")] + ["--VoilaExecutor.timeout=60"]
    port = _free_port()

    def listening():  # enough: a GET of the page would run the notebook
        socket.create_connection(("127.0.0.1", port), timeout=2).close()

    with serving("Voila", [str(VOILA), *args, f"--port={port}"], env=env, cwd=ROOT,
                 log=ROOT / "test-output" / "browser" / "voila.log", ready=listening):
        yield f"http://127.0.0.1:{port}"


def test_app_runs_offline_with_widgets_and_charts(app, guarded_page, output_dir):
    page, guard = guarded_page(("http://127.0.0.1", "ws://127.0.0.1"))
    page.goto(app + "/", timeout=240_000)  # Voila runs the whole notebook before it answers
    page.wait_for_selector(".jupyter-widgets", timeout=120_000)
    deadline = time.monotonic() + 60
    drawn = 0
    while time.monotonic() < deadline:
        drawn = page.locator(".engagement-lab-chart svg, .engagement-lab-chart canvas, .vega-embed svg").count()
        if drawn and page.locator(".widget-button .fa").count():
            break
        page.wait_for_timeout(500)
    page.screenshot(path=str(output_dir / "app-01.png"))
    assert drawn, "the app drew no chart"
    assert page.locator(".widget-button .fa").count(), "button icons missing (Font Awesome)"
    assert not guard.blocked, f"the app requested other hosts: {guard.blocked}"
    shown = page.locator("body").inner_text()
    errors = [t for t in ("Traceback (most recent call last)", "Error displaying widget", "Chart failed",
                          "Chart not shown") if t in shown]
    assert not errors, f"the app shows {errors}"
