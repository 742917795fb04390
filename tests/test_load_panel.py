"""LoadPanel driven by setting its widget values, as a user would in the notebook."""

from __future__ import annotations

import datetime
import hashlib
import shutil
from pathlib import Path

import pytest

from toolkit.widgets.load import LoadPanel

FIX = Path(__file__).resolve().parent / "fixtures"
LEGACY = FIX / "x" / "tweet_activity_metrics_north_wind_20240101_20240331_en.csv"
STAMP = datetime.datetime(2026, 4, 23, tzinfo=datetime.timezone.utc)
NEW_A = FIX / "x" / "account_analytics_content_2026-03-25_2026-04-23.csv"


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("ENGAGEMENT_LAB_CACHE", str(tmp_path / "cache"))


@pytest.fixture
def data_dir(tmp_path):
    folder = tmp_path / "data"
    (folder / "x").mkdir(parents=True)
    for path in (LEGACY, NEW_A):
        shutil.copy(path, folder / "x" / path.name)
    return folder


def test_paths_load_on_construction():
    panel = LoadPanel(paths=[LEGACY], data_dir=FIX)
    assert panel.dataset is not None and panel.error is None
    assert len(panel.dataset.posts) == 11
    assert "x_legacy_posts" in panel.report.value and LEGACY.name in panel.report.value
    assert "scientific notation" in panel.rejected.value  # the rejected rows are shown
    assert "Loaded" in panel.status.value


def test_picker_lists_data_folder_and_load_button_loads_selection(data_dir):
    panel = LoadPanel(data_dir=data_dir)
    assert panel.dataset is None
    labels = [label for label, _ in panel.files.options]
    assert labels == sorted(labels) and f"x/{NEW_A.name}" in labels
    panel.files.value = tuple(v for _, v in panel.files.options)
    panel.load_button.click()
    report = panel.dataset.report
    assert set(report["format"]) == {"x_legacy_posts", "x_analytics_posts"}
    assert "x_analytics_posts" in panel.report.value


def test_path_box(data_dir):
    panel = LoadPanel(data_dir=data_dir)
    panel.path_box.value = f"{data_dir / 'x' / NEW_A.name}\n\n"
    panel.load_button.click()
    assert len(panel.dataset.posts) == 8
    assert "No rejected rows" in panel.rejected.value


def test_upload_is_saved_under_uploads_and_loaded_without_touching_the_input(data_dir):
    before = hashlib.sha256(LEGACY.read_bytes()).hexdigest()
    panel = LoadPanel(data_dir=data_dir)
    content = LEGACY.read_bytes()
    panel.upload.value = ({"name": LEGACY.name, "type": "text/csv", "size": len(content),
                           "content": memoryview(content), "last_modified": STAMP},)
    panel.load_button.click()
    saved = data_dir / "uploads" / LEGACY.name
    assert saved.read_bytes() == content
    assert len(panel.dataset.posts) == 11
    assert hashlib.sha256(LEGACY.read_bytes()).hexdigest() == before
    # a different file with the same name does not overwrite the first upload
    other = NEW_A.read_bytes()
    panel.upload.value = ({"name": LEGACY.name, "type": "text/csv", "size": len(other),
                           "content": memoryview(other), "last_modified": STAMP},)
    paths = panel.save_uploads()
    assert saved.read_bytes() == content and paths[0] != saved and paths[0].read_bytes() == other
    panel.refresh()
    assert any(label.startswith("uploads/") for label, _ in panel.files.options)


def test_errors_are_shown_as_a_message_not_raised(tmp_path, data_dir):
    odd = tmp_path / "odd.csv"
    odd.write_text("a,b\n1,2\n")
    panel = LoadPanel(data_dir=data_dir)
    panel.path_box.value = str(odd)
    panel.load_button.click()  # no exception escapes the callback
    assert panel.dataset is None
    assert "odd.csv" in panel.status.value and "Could not load" in panel.status.value
    assert "matches no supported format" in panel.error


def test_nothing_chosen_says_so(data_dir):
    panel = LoadPanel(data_dir=data_dir)
    panel.load_button.click()
    assert "choose at least one file" in panel.status.value


def test_display_hook_and_container():
    panel = LoadPanel(paths=[NEW_A], data_dir=FIX)
    assert panel.widget.children and callable(panel._ipython_display_)


def test_a_failed_load_clears_the_previous_one(tmp_path):
    panel = LoadPanel(paths=[LEGACY])
    assert panel.dataset is not None and "Per file" in panel.report.value
    bad = tmp_path / "empty.csv"
    bad.write_text("")
    panel.load([bad])
    assert panel.dataset is None and panel.report.value == "" and panel.rejected.value == ""
    assert "Could not load" in panel.status.value and "previous load is cleared" in panel.status.value


def test_report_mode_shows_the_load_report_instead_of_the_widget(monkeypatch):
    # a shared page cannot run the file picker: like every panel (docs/ARCHITECTURE.md, "Panels
    # and shared pages"), LoadPanel shows its current results there
    from toolkit import display

    panel = LoadPanel(paths=[LEGACY], data_dir=FIX)
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda obj: shown.append(obj))
    try:
        display.setup("static")
        panel._ipython_display_()
    finally:
        display.setup("live")
    assert panel.widget not in shown
    text = "".join(getattr(item, "data", "") or "" for item in shown)
    assert "Loaded" in text and "x_legacy_posts" in text and "scientific notation" in text


def test_loaded_raises_the_reason_when_nothing_loaded(tmp_path):
    from toolkit.errors import DataFormatError

    bad = tmp_path / "notes.csv"
    bad.write_text("what,ever\n1,2\n", encoding="utf-8")
    panel = LoadPanel(paths=[bad], data_dir=tmp_path)
    with pytest.raises(DataFormatError, match="nothing loaded: .*matches no supported format"):
        panel.loaded()
    assert LoadPanel(paths=[LEGACY], data_dir=FIX).loaded() is not None
