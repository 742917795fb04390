"""Rerun a pre-registered experiment with one command, and keep a registry of its runs.

``python -m toolkit run SPEC`` (or ``make rerun SPEC=experiments/x.toml``):

1. reads and validates the spec (:func:`toolkit.spec.load_spec`), and checks that the notebook
   takes every value the spec sets (:meth:`toolkit.spec.Spec.check_notebook_takes`): a value it
   would not read is an error before anything runs, not a value recorded as applied;
2. executes the spec's analysis notebook headless with papermill, injecting the spec's parameters
   (those of :data:`toolkit.spec.NOTEBOOK_PARAMETERS` the notebook's cell tagged ``parameters``
   declares, ``result_path``, and the spec's ``[parameters]`` table) after that cell;
3. writes ``reports/<experiment>/<run>/``: ``notebook.ipynb`` (executed), ``report.html``
   (self-contained, via :func:`toolkit.report.build_report`), ``result.json`` (what the notebook
   handed back) and ``record.json``;
4. appends the record to ``reports/<experiment>/registry.jsonl``: spec hash, SHA-256 of every input
   file (the spec's data, labels and schedule, and any file a notebook parameter names, by the
   spec or by default) and of the notebook, package version, git commit, whether ``toolkit/`` had uncommitted
   changes (``git_dirty``, and ``git_dirty_sha256`` fingerprinting them), parameters, seed and the
   result table;
5. compares with the last run and says what changed (files added, removed or modified, rows
   added, the code, the lift then and now of each method and metric), in the record
   (``since_last``) and on stdout. On unchanged inputs, spec, notebook and code the numbers and
   the number of rows analysed must be identical; if they are not, the record says
   ``reproduced: false`` and the command fails (other rows from the same listed inputs mean the
   notebook read data the record does not list).
   Changed code is reported, not taken for a failure to reproduce.

The registry holds the runs that handed back a result (the last of them is what the next run is
compared with). A run that failed keeps its ``record.json``, marked ``failed`` with the error, in
its own run folder, and stays out of the registry.

The notebook hands its result back through :func:`save_result`: its last cell calls
``toolkit.runner.save_result(result, result_path, posts=posts)``, which writes the result table to
the path the runner passed in ``result_path`` (and does nothing when the notebook runs
interactively, where ``result_path`` is ``None``).

>>> import tempfile, pathlib, pandas as pd
>>> table = pd.DataFrame([{"method": "glm", "metric": "likes", "lift": 0.2, "ci_low": 0.1,
...     "ci_high": 0.3, "p_value": 0.01, "n_baseline": 50, "n_treatment": 40}])
>>> path = pathlib.Path(tempfile.mkdtemp()) / "result.json"
>>> save_result(table, path)
>>> read_result(path)["table"][0]["lift"]
0.2
>>> save_result(table, None)  # interactive run: nothing written
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import hashlib
import json
import math
import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from toolkit.errors import EngagementLabError, SpecError, first_line, is_whole

__all__ = ["save_result", "read_result", "run", "main", "registry", "RunError"]

#: Seconds one notebook cell may take in a run or a report build before it stops as failed.
CELL_TIMEOUT = 600

#: Record keys that differ between two runs of the same inputs (run identity and timing).
VOLATILE_KEYS = ("run_id", "started_at", "finished_at", "outputs", "since_last")


class RunError(EngagementLabError):
    """A spec could not be rerun (notebook failed, or it did not hand back a result)."""


# ---------------------------------------------------------------------------------------------
# the notebook side
# ---------------------------------------------------------------------------------------------
def _plain(value: Any) -> Any:
    """JSON-friendly Python values; floats keep every bit (json writes their repr)."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        try:
            value = value.item()
        except (ValueError, AttributeError):
            pass
    if isinstance(value, float):
        return None if math.isnan(value) or math.isinf(value) else value
    if isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, (pd.Timestamp, dt.date, dt.datetime)):
        return value.isoformat()
    return str(value)


def _table_records(table: pd.DataFrame) -> list[dict[str, Any]]:
    return [{str(k): _plain(v) for k, v in row.items()}
            for row in table.astype(object).to_dict(orient="records")]


def save_result(result: Any, result_path: str | os.PathLike | None, *,
                posts: pd.DataFrame | None = None) -> None:
    """Hand a notebook's result back to the runner (no-op when ``result_path`` is None).

    Parameters
    ----------
    result
        A :class:`toolkit.result.Result` (or anything with ``.table``), or a result table.
    result_path
        The ``result_path`` parameter the runner injected.
    posts
        The posts table that was analysed, so the record can count rows and accounts.
    """
    if result_path is None:
        return
    table = result if isinstance(result, pd.DataFrame) else getattr(result, "table", None)
    if not isinstance(table, pd.DataFrame):
        raise RunError("save_result needs a Result or a result table", parameter="result",
                       found=type(result).__name__)
    payload: dict[str, Any] = {
        "table": _table_records(table),
        "text": getattr(result, "text", None),
        "n_rows": None if posts is None else int(len(posts)),
        "accounts": None,
    }
    if posts is not None and "account" in posts.columns:
        payload["accounts"] = sorted(str(a) for a in posts["account"].dropna().unique())
    path = Path(result_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, indent=1, sort_keys=True), encoding="utf-8")


def read_result(path: str | os.PathLike) -> dict[str, Any]:
    """Read what :func:`save_result` wrote."""
    return json.loads(Path(path).read_text(encoding="utf-8"))


# ---------------------------------------------------------------------------------------------
# provenance
# ---------------------------------------------------------------------------------------------
def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _git(root: Path, args: list[str]) -> str | None:
    """``git -C root ARGS``'s output as it is (None when git or the repository is missing).

    Local only, no network; ``--no-optional-locks`` so that a run never takes the index lock from
    someone committing at the same time.
    """
    try:
        out = subprocess.run(["git", "--no-optional-locks", "-C", str(root), *args],
                             capture_output=True, text=True, timeout=10, check=True)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout


def _code_state(root: Path | None = None, package: Path | None = None) -> dict[str, Any]:
    """The code a run used: git commit, and uncommitted changes to ``package`` (``toolkit/``).

    ``git_dirty`` says whether ``git status --porcelain`` lists any file of the package (changed,
    added, deleted or untracked); ``git_dirty_sha256`` fingerprints those files' paths and bytes,
    so two runs on the same uncommitted code still compare as the same code. All None without git.
    """
    here = Path(__file__).resolve().parent
    root = here.parent if root is None else Path(root)
    package = here if package is None else Path(package)
    commit = (_git(root, ["rev-parse", "HEAD"]) or "").strip() or None
    status = _git(root, ["status", "--porcelain", "-z", "--untracked-files=all", "--",
                         str(package)]) if commit else None
    top = (_git(root, ["rev-parse", "--show-toplevel"]) or "").strip() if commit else ""
    if commit is None or status is None or not top:
        return {"git_commit": commit, "git_dirty": None, "git_dirty_sha256": None}
    paths: list[str] = []
    entries = iter(status.split("\0"))
    for entry in entries:
        if len(entry) < 4:
            continue
        paths.append(entry[3:])
        if entry[0] in "RC":  # a rename or copy: the next entry is the old path
            next(entries, None)
    if not paths:
        return {"git_commit": commit, "git_dirty": False, "git_dirty_sha256": None}
    digest = hashlib.sha256()
    for name in sorted(set(paths)):
        file = Path(top) / name
        digest.update(f"{name}\0{_sha256(file) if file.is_file() else 'deleted'}\n".encode())
    return {"git_commit": commit, "git_dirty": True, "git_dirty_sha256": digest.hexdigest()}


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def _new_run_dir(experiment_dir: Path) -> tuple[str, Path]:
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    for n in range(1, 1000):
        run_id = stamp if n == 1 else f"{stamp}-{n}"
        path = experiment_dir / run_id
        try:
            path.mkdir(parents=True)
            return run_id, path
        except FileExistsError:
            continue
        except OSError as exc:  # a file where a folder should be, no permission, no such device
            raise RunError("cannot create the run's folder under --reports", file=experiment_dir,
                           parameter="reports", found=f"{type(exc).__name__}: {exc.strerror}") from None
    raise RunError("could not create a run folder", file=experiment_dir)


def registry(experiment_dir: str | os.PathLike) -> pd.DataFrame:
    """The registry of an experiment as a table: one row per run, one column per record key.

    ``experiment_dir`` is ``reports/<experiment>`` (or the ``registry.jsonl`` file itself).
    """
    path = Path(experiment_dir)
    if path.is_dir():
        path = path / "registry.jsonl"
    if not path.is_file():
        return pd.DataFrame()
    return pd.DataFrame([record for _, record in _read_registry(path)])


#: What a registered ``ok`` record must hold to be compared with.
_COMPARED_KEYS = ("run_id", "spec", "notebook", "inputs", "result")


def _read_registry(path: Path) -> list[tuple[int, dict[str, Any]]]:
    """(line number, record) for each line of a ``registry.jsonl``; RunError naming a bad line."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError as exc:
        raise RunError("the registry must be UTF-8 text, one JSON record per line", file=path,
                       found=str(exc)) from None
    records = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
        except json.JSONDecodeError as exc:
            raise RunError("expected one run's record as JSON on each line of the registry; "
                           "repair or delete this line (the run folders keep each record.json)",
                           file=path, row=number,
                           found=f"{exc.msg} at column {exc.colno}: {line[:80]!r}") from None
        if not isinstance(entry, dict):
            raise RunError("expected one run's record (a JSON object) on each line of the "
                           "registry", file=path, row=number, found=type(entry).__name__)
        records.append((number, entry))
    return records


def _last_record(registry_path: Path) -> dict[str, Any] | None:
    if not registry_path.is_file():
        return None
    last = None
    for number, entry in _read_registry(registry_path):
        if entry.get("status") == "ok":
            missing = [k for k in _COMPARED_KEYS if k not in entry]
            if missing:
                raise RunError("a registered run lacks what a rerun is compared with; repair or "
                               "delete this line", file=registry_path, row=number,
                               found=f"no {', '.join(missing)}")
            last = entry
    return last


def _rows(result: dict[str, Any]) -> int | None:
    if result.get("n_rows") is not None:
        return int(result["n_rows"])
    table = result.get("table") or []
    if table and table[0].get("n_baseline") is not None and table[0].get("n_treatment") is not None:
        return int(table[0]["n_baseline"]) + int(table[0]["n_treatment"])
    return None


def _compare(previous: dict[str, Any] | None, record: dict[str, Any]) -> dict[str, Any] | None:
    if previous is None:
        return None
    before = {i["path"]: i["sha256"] for i in previous["inputs"]}
    now = {i["path"]: i["sha256"] for i in record["inputs"]}
    added = sorted(set(now) - set(before))
    removed = sorted(set(before) - set(now))
    # paths are relative to the spec: a spec moved to another folder names the same files
    # differently, so an added and a removed file with the same name and bytes are one file, moved
    moved = []
    for path in list(added):
        twin = next((q for q in removed if before[q] == now[path] and Path(q).name == Path(path).name), None)
        if twin is not None:
            added.remove(path)
            removed.remove(twin)
            moved.append(path)
    modified = sorted(p for p in set(now) & set(before) if now[p] != before[p])
    same_inputs = not (added or removed or modified)
    same_spec = previous["spec"]["sha256"] == record["spec"]["sha256"]
    same_notebook = previous.get("notebook", {}).get("sha256") == record["notebook"]["sha256"]
    same_numbers = previous["result"]["table"] == record["result"]["table"]
    code_changes = [label for key, label in (("git_commit", "git commit"),
                                             ("package_version", "package version"),
                                             ("git_dirty_sha256", "uncommitted changes"))
                    if previous.get(key) != record.get(key)]
    rows_then, rows_now = _rows(previous["result"]), _rows(record["result"])
    # rows matched by what they estimate (method, metric, term), not by position: a spec that
    # changed its method would otherwise compare glm then with welch now
    def key(row):
        return row.get("method"), row.get("metric"), row.get("term")

    then = {key(row): row for row in previous["result"]["table"]}
    lifts = []
    for new in record["result"]["table"]:
        old = then.pop(key(new), {})
        lifts.append({"method": new.get("method"), "metric": new.get("metric"),
                      "lift_then": old.get("lift"), "lift_now": new.get("lift"),
                      "p_value_then": old.get("p_value"), "p_value_now": new.get("p_value")})
    for old in then.values():  # rows the new result no longer has
        lifts.append({"method": old.get("method"), "metric": old.get("metric"),
                      "lift_then": old.get("lift"), "lift_now": None,
                      "p_value_then": old.get("p_value"), "p_value_now": None})
    reproducible_setting = same_inputs and same_spec and same_notebook and not code_changes
    # the same listed inputs analysed as a different number of posts: the notebook read something
    # the record does not list, so equal numbers would not be a reproduction either
    same_rows = rows_then == rows_now
    return {
        "previous_run": previous["run_id"],
        "spec_changed": not same_spec,
        "notebook_changed": not same_notebook,
        "code_changed": bool(code_changes),
        "code_changes": code_changes,
        "inputs_added": added,
        "inputs_removed": removed,
        "inputs_modified": modified,
        "inputs_moved": sorted(moved),
        "rows_then": rows_then,
        "rows_now": rows_now,
        "rows_added": (None if rows_then is None or rows_now is None else rows_now - rows_then),
        "lift": lifts,
        "same_numbers": same_numbers,
        "same_rows": same_rows,
        "reproduced": (same_numbers and same_rows if reproducible_setting else None),
    }


def _fmt_lift(value: Any) -> str:
    return "n/a" if value is None else f"{value * 100:+.1f}%"


def _describe(record: dict[str, Any], registry: Path | None = None) -> list[str]:
    lines = [f"Experiment {record['experiment']!r}, run {record['run_id']}"]
    for row in record["result"]["table"]:
        ci = (f" (CI {_fmt_lift(row.get('ci_low'))} to {_fmt_lift(row.get('ci_high'))})"
              if row.get("ci_low") is not None else "")
        p = row.get("p_value")
        lines.append(f"  {row.get('method')} on {row.get('metric')}: lift {_fmt_lift(row.get('lift'))}"
                     f"{ci}, p = {'n/a' if p is None else f'{p:.4g}'}")
    if record.get("fixed_by_notebook"):
        lines.append("  Spec values fixed by the notebook's own code (not passed to it): "
                     + ", ".join(record["fixed_by_notebook"]))
    change = record["since_last"]
    if change is None:
        where = f" in {registry}" if registry is not None else ""
        lines.append(f"  First run of this experiment{where}: nothing to compare with (runs registered "
                     "under another --reports folder are not seen).")
        return lines
    lines.append(f"  Since run {change['previous_run']}:")
    what = []
    for key, label in (("inputs_added", "added"), ("inputs_removed", "removed"),
                       ("inputs_modified", "modified")):
        if change[key]:
            what.append(f"{len(change[key])} input file(s) {label} ({', '.join(change[key])})")
    if change["spec_changed"]:
        what.append("the spec changed")
    if change["notebook_changed"]:
        what.append("the notebook changed")
    if change.get("code_changed"):
        what.append(f"the code changed ({', '.join(change['code_changes'])})")
    if change["rows_added"]:
        what.append(f"{change['rows_added']:+d} rows ({change['rows_then']} -> {change['rows_now']})")
    if not what:
        what.append("inputs, spec, notebook and code unchanged")
    lines.append("    " + "; ".join(what))
    if change.get("inputs_moved"):
        lines.append(f"    {len(change['inputs_moved'])} input file(s) unchanged but named from another "
                     "folder (the spec moved)")
    for item in change["lift"]:
        then = "not estimated" if item["lift_then"] is None else _fmt_lift(item["lift_then"])
        now = "not estimated" if item["lift_now"] is None else _fmt_lift(item["lift_now"])
        lines.append(f"    {item['method']} on {item['metric']}: lift then {then}, now {now}")
    if change["reproduced"] is True:
        lines.append("    Reproduced: the same numbers, exactly.")
    elif change["reproduced"] is False and change.get("same_rows") is False:
        lines.append("    NOT REPRODUCED: unchanged inputs, spec, notebook and code analysed a "
                     "different number of rows; the notebook reads data the spec's inputs do not "
                     "list.")
    elif change["reproduced"] is False:
        lines.append("    NOT REPRODUCED: unchanged inputs, spec, notebook and code gave different "
                     "numbers.")
    return lines


# ---------------------------------------------------------------------------------------------
# running
# ---------------------------------------------------------------------------------------------
def _timeout_hint(error: str, timeout: int | None) -> str:
    """How to give a slow notebook more time, when ``error`` is a cell timeout."""
    if "CellTimeoutError" not in error:
        return ""
    return f" (a cell ran longer than {timeout} s; rerun with a larger --timeout)"


def _execute(notebook: Path, run_dir: Path, parameters: dict[str, Any], kernel_name: str,
             html: bool, redact: bool = False, timeout: int | None = CELL_TIMEOUT) -> dict[str, str]:
    executed = run_dir / "notebook.ipynb"
    outputs = {"notebook": str(executed)}
    build_report = None
    if html:
        try:
            from toolkit.report import build_report
        except ImportError:
            build_report = None
    if redact and build_report is None:
        raise RunError("redact needs the HTML report builder (toolkit.report), which could not be "
                       "imported", parameter="redact", found=True)
    if build_report is not None:
        page = build_report(notebook, run_dir, parameters=parameters, name="report",
                            executed_path=executed, kernel_name=kernel_name, redact=redact,
                            timeout=timeout)
        outputs["html"] = str(page)
        return outputs
    import papermill as pm

    previous = os.environ.get("TQDM_DISABLE")
    os.environ["TQDM_DISABLE"] = "1"
    try:
        pm.execute_notebook(str(notebook), str(executed), parameters=parameters,
                            kernel_name=kernel_name, cwd=str(notebook.parent),
                            progress_bar=False, log_output=False, execution_timeout=timeout)
    finally:
        if previous is None:
            os.environ.pop("TQDM_DISABLE", None)
        else:
            os.environ["TQDM_DISABLE"] = previous
    if html:
        from nbconvert import HTMLExporter
        import nbformat

        body, _ = HTMLExporter().from_notebook_node(nbformat.read(executed, as_version=4))
        page = run_dir / "report.html"
        page.write_text(body, encoding="utf-8")
        outputs["html"] = str(page)
    return outputs


def _passed(spec: Any, result_path: str | os.PathLike | None = None) -> dict[str, Any]:
    """The parameters to inject: those the notebook's ``parameters`` cell declares, and
    ``result_path``.

    Raises :class:`SpecError` (naming the spec file, the key and the notebook's parameters) when
    the notebook would not take a value the spec sets (see
    :meth:`toolkit.spec.Spec.check_notebook_takes`), so that no record claims a value that was
    never applied. Contract names the spec leaves at their defaults are injected only if declared.
    """
    from toolkit.report import declared_parameters

    declared = declared_parameters(spec.notebook, RunError)
    spec.check_notebook_takes(declared)
    parameters = spec.notebook_parameters(result_path=result_path)
    _check_kinds(spec, parameters)
    return {k: v for k, v in parameters.items() if k in declared or k == "result_path"}


#: a notebook default that is an expression, not a literal (see :func:`_notebook_defaults`)
_EXPRESSION = object()


@functools.lru_cache(maxsize=16)
def _notebook_defaults(notebook: str, mtime_ns: int) -> dict[str, Any]:
    """The parameters cell's defaults as values (papermill's reading; ``_EXPRESSION`` for one that
    is no literal), read once per version of the notebook for the checks of a run."""
    import ast

    import papermill as pm

    out: dict[str, Any] = {}
    for name, info in pm.inspect_notebook(notebook).items():
        try:
            out[name] = ast.literal_eval(info.get("default") or "None")
        except (ValueError, SyntaxError):
            out[name] = _EXPRESSION
    return out


def _defaults_of(notebook: Path) -> dict[str, Any]:
    return _notebook_defaults(str(notebook), notebook.stat().st_mtime_ns)


def _check_kinds(spec: Any, parameters: Mapping[str, Any]) -> None:
    """A :class:`SpecError` for text given where the notebook's default is a number or a
    true/false: ``PLANTED_LIFT = "0.30"`` reached a comparison inside pandas and failed there,
    naming neither the parameter nor the spec. (A number or ``false`` where the default is text
    or a list can be meant, e.g. ``false`` to turn a default off; only text is refused.)"""
    for name, default in _defaults_of(spec.notebook).items():
        value = parameters.get(name)
        if isinstance(value, str) and isinstance(default, (bool, int, float)):
            kind = "true/false" if isinstance(default, bool) else "a number"
            raise SpecError(f"[parameters] {name}: the notebook's default is {kind} ({default!r}); "
                            "write it without quotes", file=spec.path, parameter=name, found=repr(value))


def _parameter_files(notebook: Path, passed: Mapping[str, Any]) -> list[Path]:
    """The files the notebook's parameters name, as passed or by default (e.g. notebook 03's
    ``HAND_LABELS``), that exist: the run may read them, so the record lists them as inputs and a
    change to one is not taken for a failure to reproduce. Paths are read as the notebook does,
    from its folder."""
    found: list[Path] = []
    for name, default in _defaults_of(notebook).items():
        if name == "result_path":
            continue
        value = default if passed.get(name) is None else passed[name]  # an expression: no path
        for item in value if isinstance(value, (list, tuple)) else [value]:
            if isinstance(item, str) and item.strip():
                path = Path(item) if Path(item).is_absolute() else notebook.parent / item
                if path.is_file() and path.resolve() not in found:
                    found.append(path.resolve())
    return found


def run(spec_path: str | os.PathLike, *, reports: str | os.PathLike = "reports",
        kernel_name: str = "python3", html: bool = True, echo: bool = True,
        redact: bool = False, timeout: int | None = CELL_TIMEOUT) -> dict[str, Any]:
    """Rerun the experiment of ``spec_path``; return its record (also written and registered).

    Parameters
    ----------
    spec_path
        The experiment spec (TOML; see :mod:`toolkit.spec`).
    reports
        Folder holding ``<experiment>/registry.jsonl`` and the run folders.
    kernel_name
        Jupyter kernel that runs the notebook.
    html
        Also write the self-contained HTML report.
    echo
        Print the summary (result, and what changed since the last run).
    redact
        Share-ready pages: ``report.html`` and the kept ``notebook.ipynb`` show no post text and
        no account handle (see :func:`toolkit.report.build_report`). The run's ``record.json`` and
        ``result.json`` stay as they are: they are the experiment's own records, not pages to share.
    timeout
        Seconds one notebook cell may take before the run stops as failed (``None``: no limit).

    Raises
    ------
    SpecError
        The spec is invalid, or sets a value the notebook does not take (nothing is written).
    RunError
        The notebook failed, did not call :func:`save_result`, the registry cannot be read (the
        run's ``record.json`` is written first, marked failed), or unchanged inputs, spec,
        notebook and code gave different numbers (the record is written and registered first,
        marked so).
    """
    from toolkit import __version__
    from toolkit.spec import load_spec

    if redact and not html:
        raise RunError("redact applies to the HTML report; it cannot be had without one",
                       parameter="redact", found="html=False")
    if timeout is not None and not is_whole(timeout, 1):  # 0 or less meant no limit, unsaid
        raise RunError("timeout must be a whole number of seconds above 0, or None for no limit",
                       parameter="timeout", found=repr(timeout))
    spec = load_spec(spec_path)
    parameters = _passed(spec)  # before anything is written: every spec value must be taken
    started = _now()
    experiment_dir = Path(reports) / spec.name
    run_id, run_dir = _new_run_dir(experiment_dir)
    result_path = run_dir / "result.json"
    parameters["result_path"] = str(result_path.resolve())
    inputs = (list(spec.data_files) + ([spec.labels] if spec.labels else [])
              + ([spec.schedule] if spec.schedule else []))
    listed = {Path(q).resolve() for q in inputs}
    inputs += [q for q in _parameter_files(spec.notebook, parameters) if q not in listed]

    def rel(p: Path) -> str:
        try:
            return Path(os.path.relpath(p, spec.path.parent)).as_posix()
        except ValueError:
            return str(p)

    record: dict[str, Any] = {
        "experiment": spec.name,
        "run_id": run_id,
        "started_at": started,
        "finished_at": None,
        "status": "running",
        "hypothesis": spec.hypothesis,
        "spec": {"path": rel(spec.path), "sha256": spec.sha256, "content": spec.to_dict()},
        "notebook": {"path": rel(spec.notebook), "sha256": _sha256(spec.notebook)},
        "inputs": [{"path": rel(p), "sha256": _sha256(p), "bytes": p.stat().st_size}
                   for p in inputs],
        "package_version": __version__,
        **_code_state(),
        "python": ".".join(map(str, sys.version_info[:3])),
        "parameters": {k: v for k, v in _plain(parameters).items() if k != "result_path"},
        "fixed_by_notebook": list(spec.fixed_by_notebook),
        "seed": spec.seed,
        "redacted": bool(redact),
    }
    try:
        outputs = _execute(spec.notebook, run_dir, parameters, kernel_name, html, redact, timeout)
    except EngagementLabError as exc:
        record.update(status="failed", error=str(exc), finished_at=_now())
        (run_dir / "record.json").write_text(json.dumps(record, indent=1), encoding="utf-8")
        # the error names the notebook, what went wrong (the cell that failed, or the redaction
        # check that refused the page) and what was found: keep them (one "found", not one nested
        # in another), and add where the run's files are
        raise RunError(f"{exc.message}{_timeout_hint(str(exc), timeout)}; the run's files are in "
                       f"{run_dir}", file=exc.file or spec.notebook, row=exc.row,
                       column=exc.column, parameter=exc.parameter, found=exc.found) from None
    except Exception as exc:  # papermill's PapermillExecutionError and kernel failures
        what = (f"{exc.ename}: {exc.evalue}" if hasattr(exc, "ename")
                else f"{type(exc).__name__}: {exc}")
        record.update(status="failed", error=what, finished_at=_now())
        (run_dir / "record.json").write_text(json.dumps(record, indent=1), encoding="utf-8")
        cell = f" in cell {exc.exec_count}" if getattr(exc, "exec_count", None) else ""
        raise RunError(f"the notebook failed{cell}{_timeout_hint(what, timeout)}; the run's files "
                       f"are in {run_dir}", file=spec.notebook, found=first_line(what)) from None
    if not result_path.is_file():
        record.update(status="failed", error="no result handed back", finished_at=_now())
        (run_dir / "record.json").write_text(json.dumps(record, indent=1), encoding="utf-8")
        raise RunError("the notebook did not hand back its result; its last cell must call "
                       "toolkit.runner.save_result(result, result_path, posts=posts)",
                       file=spec.notebook, parameter="result_path", found="no result.json")
    record["result"] = read_result(result_path)
    outputs["result"] = str(result_path)
    outputs["record"] = str(run_dir / "record.json")
    record["outputs"] = outputs
    record["status"] = "ok"
    record["since_last"] = None

    def write_record() -> None:
        text = json.dumps(record, indent=1, sort_keys=True)
        (run_dir / "record.json").write_text(text + "\n", encoding="utf-8")

    write_record()  # the result is kept even if the registry cannot be read
    registry_path = experiment_dir / "registry.jsonl"
    try:
        previous = _last_record(registry_path)
    except RunError as exc:
        record.update(status="failed", error=str(exc), finished_at=_now())
        write_record()
        raise
    record["since_last"] = _compare(previous, record)
    record["finished_at"] = _now()
    write_record()
    with open(registry_path, "a", encoding="utf-8") as handle:
        handle.write(json.dumps(record, sort_keys=True) + "\n")
    if echo:
        print("\n".join(_describe(record, registry_path)))
        print(f"  Written to {run_dir}")
    if record["since_last"] and record["since_last"]["reproduced"] is False:
        what = ("analysed a different number of rows"
                if record["since_last"].get("same_rows") is False else "gave different numbers")
        raise RunError(f"unchanged inputs, spec, notebook and code {what} than run "
                       f"{record['since_last']['previous_run']}", file=spec.path,
                       found={"rows": [record["since_last"]["rows_then"],
                                       record["since_last"]["rows_now"]],
                              "lift": record["since_last"]["lift"]})
    return record


def main(argv: list[str] | None = None) -> int:
    """``python -m toolkit run SPEC [--reports DIR] [--no-html] [--redact] [--kernel NAME]
    [--timeout SECONDS]``."""
    parser = argparse.ArgumentParser(prog="python -m toolkit run",
                                     description="Rerun an experiment spec and register the run.")
    parser.add_argument("spec", help="experiment spec (TOML), e.g. experiments/personal_content.toml")
    parser.add_argument("--reports", default="reports", help="reports folder (default: reports)")
    parser.add_argument("--no-html", action="store_true", help="skip the HTML report")
    parser.add_argument("--redact", action="store_true",
                        help="no post text or account handle in report.html and the kept notebook")
    parser.add_argument("--kernel", default="python3", help="Jupyter kernel (default: python3)")
    parser.add_argument("--timeout", type=int, default=CELL_TIMEOUT,
                        help=f"seconds one notebook cell may take (default: {CELL_TIMEOUT})")
    args = parser.parse_args(argv)
    try:
        run(args.spec, reports=args.reports, kernel_name=args.kernel, html=not args.no_html,
            redact=args.redact, timeout=args.timeout)
    except (SpecError, RunError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0
