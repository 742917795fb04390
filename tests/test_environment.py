"""The project's set-up files agree with each other: pyproject, lock file, conda environment,
Makefile, README and CI script."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]


def _name(requirement: str) -> str:
    return re.match(r"[A-Za-z0-9_.\-]+", requirement).group(0).lower()


@pytest.fixture(scope="module")
def lock() -> dict[str, str]:
    text = (ROOT / "requirements.lock").read_text()
    return {k.lower(): v for k, v in re.findall(r"^([A-Za-z0-9_.\-]+)==([^\s;]+)", text, re.M)}


@pytest.fixture(scope="module")
def direct() -> list[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    reqs = project["dependencies"] + [r for extra in project["optional-dependencies"].values() for r in extra]
    names = [_name(r) for r in reqs]
    names += ["distributed" for r in reqs if r.startswith("dask[distributed]")]
    return names


def test_every_direct_dependency_is_locked(lock, direct):
    assert [n for n in direct if n not in lock] == []


def test_conda_environment_pins_the_locked_versions(lock, direct):
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pins = {}
    for dep in env["dependencies"]:
        if isinstance(dep, str) and "==" in dep:
            name, version = dep.split("==")
            pins[name.lower()] = version
    assert sorted(pins) == sorted(set(direct)), "environment.yml lists other packages than pyproject"
    assert {n: v for n, v in pins.items() if lock[n] != v} == {}, "versions differ from requirements.lock"
    assert "python=3.11" in env["dependencies"]


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    commands = re.findall(r"^\s*(make [\w-]+)", readme, re.M)
    assert "make test" in commands and "make lab" in commands
    assert "make test" in ci


def test_readme_make_targets_exist():
    readme = (ROOT / "README.md").read_text()
    makefile = (ROOT / "Makefile").read_text()
    targets = set(re.findall(r"^([\w-]+):", makefile, re.M))
    used = set(re.findall(r"\bmake ([\w-]+)", readme))
    assert used - targets == set()


def test_readme_python_example_runs_on_the_sample_data(monkeypatch):
    # docs are code: the README's "In Python" block runs as written, from the repository root
    readme = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", readme, re.S)
    assert len(blocks) == 1
    monkeypatch.chdir(ROOT)
    namespace: dict = {}
    exec(compile(blocks[0], "README.md", "exec"), namespace)  # noqa: S102
    assert namespace["ds"].report["rows_rejected"].sum() == 0
    assert set(namespace["main"]["content_label"].dropna()) == {"personal", "brand"}


def test_the_package_docstring_example_runs_on_the_sample_data(monkeypatch):
    # what help(toolkit) shows as the public API runs as written, from the repository root
    import textwrap

    import toolkit

    example = re.search(r"::\n\n(.*?)\n\n", toolkit.__doc__, re.S).group(1)
    monkeypatch.chdir(ROOT)
    namespace: dict = {"toolkit": toolkit}
    exec(compile(textwrap.dedent(example), "toolkit/__init__.py", "exec"), namespace)  # noqa: S102
    assert namespace["main"]["content_label"].notna().any()
