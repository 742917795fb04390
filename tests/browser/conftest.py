"""Fixtures for the real-browser tests: one JupyterLab server per session, Debian's Chromium via Playwright.

The server runs on a free port on 127.0.0.1 with fresh HOME/Jupyter directories, autosave off (the
notebooks are copies, so running them never writes outputs into the repository) and the app exposed
as ``window.jupyterapp`` so a test can run all cells and read cell outputs from the notebook model.
Every browser request that does not go to the server (or, for reports, to a ``file://`` URL) is
blocked and recorded.

Without ``/usr/bin/chromium`` (or Playwright) the tests skip, saying how to install it; with
``CI=true`` they fail instead, because CI must run them.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FIXTURE_NOTEBOOK = Path(__file__).with_name("display_fixture.ipynb")
OUTPUT = ROOT / "test-output" / "browser"
CHROMIUM = os.environ.get("ENGAGEMENT_LAB_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]
INSTALL_HINT = "sudo apt-get install chromium (make test installs it when run as root)"


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def _unavailable(reason: str):
    if _in_ci():
        pytest.fail(f"browser tests must run in CI but cannot: {reason}", pytrace=False)
    pytest.skip(f"{reason}; install it with: {INSTALL_HINT}")


@pytest.fixture(scope="session")
def browser():
    """A headless Chromium (Debian's), launched once per session."""
    if not Path(CHROMIUM).exists():
        _unavailable(f"Chromium not found at {CHROMIUM}")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as err:  # pragma: no cover - playwright is a dev dependency
        _unavailable(f"Python playwright is not importable ({err})")
    manager = sync_playwright().start()
    try:
        instance = manager.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    except Exception as err:  # noqa: BLE001 - any launch failure means: cannot run here
        manager.stop()
        _unavailable(f"Chromium at {CHROMIUM} did not start ({err})")
    yield instance
    instance.close()
    manager.stop()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(url: str, timeout: float = 5.0):
    with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - local server only
        return json.loads(response.read().decode())


class Lab:
    """A running JupyterLab: its URL, token and helpers over the REST API."""

    def __init__(self, base: str, token: str, root: Path, log: Path):
        self.base, self.token, self.root, self.log = base, token, root, log

    def api(self, path: str):
        return _get(f"{self.base}/api/{path}?token={self.token}")

    def sessions(self) -> list[dict]:
        return self.api("sessions")

    def session_for(self, rel_path: str) -> dict | None:
        for session in self.sessions():
            if session.get("path") == rel_path:
                return session
        return None

    def shutdown_kernel(self, rel_path: str) -> None:
        session = self.session_for(rel_path)
        if session is None:
            return
        request = urllib.request.Request(
            f"{self.base}/api/sessions/{session['id']}?token={self.token}", method="DELETE"
        )
        try:
            urllib.request.urlopen(request, timeout=10).close()  # noqa: S310 - local server
        except OSError:
            pass


def notebook_copies(root: Path) -> list[str]:
    """Copy notebooks/*.ipynb and the display fixture under ``root``; return their relative paths."""
    (root / "notebooks").mkdir(parents=True)
    rels = []
    for nb in sorted((ROOT / "notebooks").glob("*.ipynb")):
        shutil.copy2(nb, root / "notebooks" / nb.name)
        rels.append(f"notebooks/{nb.name}")
    (root / "fixture").mkdir()
    shutil.copy2(FIXTURE_NOTEBOOK, root / "fixture" / FIXTURE_NOTEBOOK.name)
    rels.append(f"fixture/{FIXTURE_NOTEBOOK.name}")
    # notebooks read ../data/sample/...: point at the repository's data
    if (ROOT / "data").exists():
        (root / "data").symlink_to(ROOT / "data", target_is_directory=True)
    return rels


@pytest.fixture(scope="session")
def lab(browser, tmp_path_factory):
    """JupyterLab on a free port, fresh HOME/Jupyter dirs, serving copies of the notebooks."""
    base_dir = tmp_path_factory.mktemp("lab")
    home, root = base_dir / "home", base_dir / "root"
    settings = base_dir / "user-settings"
    for d in (home, root, settings):
        d.mkdir()
    notebook_copies(root)
    # no autosave (copies anyway), no windowing (every cell stays in the DOM for the checks)
    (settings / "@jupyterlab" / "docmanager-extension").mkdir(parents=True)
    (settings / "@jupyterlab" / "docmanager-extension" / "plugin.jupyterlab-settings").write_text(
        json.dumps({"autosave": False})
    )
    (settings / "@jupyterlab" / "notebook-extension").mkdir(parents=True)
    (settings / "@jupyterlab" / "notebook-extension" / "tracker.jupyterlab-settings").write_text(
        json.dumps({"windowingMode": "none"})
    )
    (settings / "@jupyterlab" / "apputils-extension").mkdir(parents=True)
    (settings / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false", "checkForUpdates": False})
    )
    port, token = _free_port(), uuid.uuid4().hex
    env = {k: v for k, v in os.environ.items() if not k.startswith("ENGAGEMENT_LAB_")}
    env.update({
        "HOME": str(home),
        "JUPYTER_CONFIG_DIR": str(base_dir / "jupyter-config"),
        "JUPYTER_DATA_DIR": str(base_dir / "jupyter-data"),
        "JUPYTER_RUNTIME_DIR": str(base_dir / "jupyter-runtime"),
        "IPYTHONDIR": str(base_dir / "ipython"),
        "JUPYTERLAB_SETTINGS_DIR": str(settings),
        "JUPYTERLAB_WORKSPACES_DIR": str(base_dir / "workspaces"),
        "TQDM_DISABLE": "1",
    })
    log = base_dir / "jupyterlab.log"
    command = [
        sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root", "--ip=127.0.0.1",
        f"--port={port}", "--port-retries=0", f"--IdentityProvider.token={token}",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate", "--LabApp.news_url=None",
        "--LabApp.expose_app_in_browser=True", f"--ServerApp.root_dir={root}",
        f"--LabApp.user_settings_dir={settings}", f"--LabApp.workspaces_dir={base_dir / 'workspaces'}",
    ]
    server = Lab(f"http://127.0.0.1:{port}", token, root, log)
    with serving("JupyterLab", command, env=env, cwd=root, log=log, ready=lambda: server.api("status")):
        yield server


@contextlib.contextmanager
def serving(name: str, command: list[str], *, env: dict, cwd: Path, log: Path, ready):
    """Run a server process (output to ``log``) until the block ends; ``ready()`` raises
    ``OSError`` until it answers. Fails the test with the log's end when it does not start
    within 90 s."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "w") as log_file:
        process = subprocess.Popen(command, env=env, cwd=cwd, stdout=log_file, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 90
    while True:
        try:
            ready()
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail(f"{name} did not start:\n{log.read_text()[-3000:]}", pytrace=False)
            time.sleep(0.5)  # no page exists yet: nothing waits on Playwright here
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


class Guard:
    """Blocks every request outside the allowed prefixes; records blocked URLs and console errors."""

    def __init__(self, page, allowed: tuple[str, ...]):
        self.blocked: list[str] = []
        self.console_errors: list[str] = []
        self.dialogs: list[str] = []

        def route(r):
            if r.request.url.startswith(allowed):
                r.continue_()
            else:
                self.blocked.append(r.request.url)
                r.abort()

        page.route("**/*", route)
        page.on("console", lambda m: self.console_errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.console_errors.append(f"uncaught: {e}"))
        page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))


@pytest.fixture
def guarded_page(browser):
    """``make(allowed, viewport)`` -> (page, guard); pages are closed after the test."""
    contexts = []

    def make(allowed: tuple[str, ...], viewport=(1280, 900)):
        context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]})
        contexts.append(context)
        page = context.new_page()
        return page, Guard(page, allowed)

    yield make
    for context in contexts:
        context.close()


@pytest.fixture(scope="session")
def output_dir() -> Path:
    OUTPUT.mkdir(parents=True, exist_ok=True)
    return OUTPUT
