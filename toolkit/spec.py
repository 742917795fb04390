"""Experiment spec files: pre-register an analysis in TOML, validate it, hand it to a notebook.

A spec says, before the data are in, what will be tested and how: the hypothesis, the analysis
and method, the metric and its exposure, the significance level, the minimum lift that matters,
the change date (before/after) or the label (content lift), and where the data are. It is the
input of ``python -m toolkit run SPEC`` (:mod:`toolkit.runner`), which reruns it on new exports.

The format (TOML, read with the standard library's ``tomllib``; every path is relative to the
spec file, and ``data`` entries may be glob patterns, so a new export dropped in the folder is
picked up by the next run)::

    name = "personal_content"                  # folder name under reports/
    hypothesis = "Personal posts earn more engagements per impression than brand posts."
    analysis = "content_lift"                  # or "before_after"
    notebook = "../notebooks/my_analysis.ipynb" # must declare what the spec sets (see below)
    data = ["../data/sample/*.csv"]
    metric = "engagements"                     # default "engagements"
    exposure = "impressions"                   # default "impressions"; "none" for counts per post
    method = "glm"                             # default "glm"
    alpha = 0.05                               # default 0.05
    min_lift = 0.10                            # smallest lift worth acting on (required)
    label = ["content_label", "personal"]      # content lift: a column, or [column, value]
    labels = "../data/sample/labels/me.csv"    # optional: labels by post_id (hand or tool)
    # change = 2024-10-01                      # before/after: the change date (required there)
    # schedule = "personal_schedule.csv"       # optional: the randomised schedule followed (notebook 03:
    #                                          # only the posts in its slots, design.match_schedule)
    accounts = []                              # default: every account in the data
    seed = 0                                   # default 0: seeds resampling methods
    # fixed_by_notebook = ["data"]             # keys the notebook's own code fixes (see below)

    [parameters]                               # optional: passed to the notebook as they are
    N_RESAMPLES = 2000                         # a name the notebook declares
    DATA = "{data_paths}"                      # "{name}" passes a spec value under another name

``[parameters]`` adapts a notebook whose parameters cell uses other names than
:data:`NOTEBOOK_PARAMETERS`: a value that is exactly ``"{name}"`` (one of those names) is replaced
by the spec's value, e.g. ``CHANGE = "{change}"``. Its names must be Python identifiers and its
values text, numbers, booleans, dates or lists of these (what papermill can inject).
``experiments/personal_content.toml`` is a complete spec for notebook 03, whose parameters
cell names every value in capitals.

Every value a spec sets must reach the notebook, or the record would say it was applied when it
was not: ``python -m toolkit run`` refuses to start (:meth:`Spec.check_notebook_takes`) unless,
for each key the file sets, the notebook's parameters cell declares its names in
:data:`NOTEBOOK_NAMES`, or a ``[parameters]`` entry the notebook declares passes it
(``"{name}"``). Exempt are :data:`METADATA_KEYS` (they describe the run) and the keys listed in
``fixed_by_notebook``: values the notebook's own code fixes, written down for the reader and
recorded as not passed. Every ``[parameters]`` entry must be declared by the notebook too.

:func:`load_spec` raises :class:`toolkit.errors.SpecError` naming the file, the key, what was
expected and what was found, for unknown keys, wrong types, missing files and bad dates.

>>> import pathlib, tempfile
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> (folder / "posts.csv").write_text("x\\n1\\n")
4
>>> _ = (folder / "nb.ipynb").write_text("{}")
>>> _ = (folder / "e.toml").write_text('''
... name = "demo"
... hypothesis = "Personal posts do better."
... analysis = "content_lift"
... notebook = "nb.ipynb"
... data = ["*.csv"]
... min_lift = 0.1
... label = ["content_label", "personal"]
... ''')
>>> spec = load_spec(folder / "e.toml")
>>> spec.name, spec.method, spec.label, [p.name for p in spec.data_files]
('demo', 'glm', ('content_label', 'personal'), ['posts.csv'])
>>> spec.notebook_parameters()["label_value"]
'personal'
"""

from __future__ import annotations

import datetime as dt
import difflib
import glob
import hashlib
import json
import keyword
import math
import os
import re
import tempfile
import tomllib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from toolkit.errors import EngagementLabError, SpecError, is_seed

__all__ = ["Spec", "load_spec", "dump_spec", "output_path", "write_plan", "KEYS", "METHODS",
           "NOTEBOOK_PARAMETERS", "NOTEBOOK_NAMES", "METADATA_KEYS"]

#: Methods each analysis offers (issue texts of before/after and content lift).
METHODS = {
    "before_after": ("glm", "its", "counterfactual", "did"),
    "content_lift": ("glm", "permutation", "bootstrap", "mannwhitney", "welch", "bayes"),
}

#: Every key a spec may have: key -> (expected, required).
KEYS: Mapping[str, tuple[str, bool]] = {
    "name": ("a name of letters, digits, '-', '_' or '.'", True),
    "hypothesis": ("a sentence stating the hypothesis", True),
    "analysis": ("one of " + ", ".join(METHODS), True),
    "notebook": ("the path of the analysis notebook, relative to the spec file", True),
    "data": ("a list of data files or glob patterns, relative to the spec file", True),
    "min_lift": ("the minimum lift of interest, a number above -1 and not 0 (0.1 = +10%)", True),
    "metric": ("a metric column name (text)", False),
    "exposure": ("an exposure column name, or \"none\"", False),
    "method": ("a method of the analysis", False),
    "alpha": ("a significance level between 0 and 0.5", False),
    "change": ("a date like 2024-10-01", False),
    "label": ("a boolean column name, or [column, value]", False),
    "labels": ("the path of a labels CSV (post_id, content_label), relative to the spec file",
               False),
    "schedule": ("the path of a schedule CSV, relative to the spec file", False),
    "accounts": ("a list of account names (empty = all)", False),
    "seed": ("a whole number, 0 or more", False),
    "fixed_by_notebook": ("a list of spec keys whose values the notebook's own code fixes "
                          "(not passed to it)", False),
    "parameters": ("a table of extra notebook parameters", False),
}

#: Keys that describe the run rather than configure the notebook: the runner does not require a
#: notebook to take them (``min_lift`` is the pre-registered yardstick for reading the interval;
#: a notebook may still take it as ``min_lift``).
METADATA_KEYS = ("name", "hypothesis", "analysis", "notebook", "min_lift", "fixed_by_notebook",
                 "parameters")


@dataclass(frozen=True)
class _Parameter:
    """A notebook parameter, the spec key it carries, and its value for a :class:`Spec`."""

    name: str
    key: str
    value: Callable[[Spec], Any]
    #: the notebook needs it only when it has a value (the value of a ``[column, value]`` label)
    only_if_set: bool = False


#: The one table from spec keys to notebook parameters, in the order papermill injects them.
#: Values are what the notebook receives: paths absolute, dates ISO text, so the notebook can
#: run from any folder.
_PARAMETER_TABLE = (
    _Parameter("data_paths", "data", lambda spec: [str(p) for p in spec.data_files]),
    _Parameter("accounts", "accounts", lambda spec: list(spec.accounts)),
    _Parameter("metric", "metric", lambda spec: spec.metric),
    _Parameter("exposure", "exposure", lambda spec: spec.exposure),
    _Parameter("method", "method", lambda spec: spec.method),
    _Parameter("alpha", "alpha", lambda spec: spec.alpha),
    _Parameter("min_lift", "min_lift", lambda spec: spec.min_lift),
    _Parameter("change", "change",
               lambda spec: spec.change.isoformat() if spec.change else None),
    _Parameter("label_column", "label",
               lambda spec: spec.label[0] if isinstance(spec.label, tuple) else spec.label),
    _Parameter("label_value", "label",
               lambda spec: spec.label[1] if isinstance(spec.label, tuple) else None,
               only_if_set=True),
    _Parameter("labels_path", "labels", lambda spec: str(spec.labels) if spec.labels else None),
    _Parameter("schedule_path", "schedule",
               lambda spec: str(spec.schedule) if spec.schedule else None),
    _Parameter("seed", "seed", lambda spec: spec.seed),
    _Parameter("experiment", "name", lambda spec: spec.name),
)

#: Parameters every analysis notebook receives from :meth:`Spec.notebook_parameters` (papermill
#: injects them after the cell tagged ``parameters``). A notebook's parameters cell defines the
#: same names with defaults for the sample data; it ends by handing its Result to
#: ``toolkit.runner.save_result(result, result_path, posts=posts)`` (a no-op when result_path is None).
NOTEBOOK_PARAMETERS = tuple(p.name for p in _PARAMETER_TABLE) + ("result_path",)

#: The notebook parameters (of :data:`NOTEBOOK_PARAMETERS`) that carry each spec key, in
#: :data:`KEYS` order; a notebook takes a key when every one of these reaches it (a
#: ``[column, value]`` label needs both).
NOTEBOOK_NAMES: Mapping[str, tuple[str, ...]] = {
    key: names for key in KEYS
    if (names := tuple(p.name for p in _PARAMETER_TABLE if p.key == key))
}

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_PLACEHOLDER = re.compile(r"^\{([a-z_]+)\}$")


@dataclass(frozen=True)
class Spec:
    """A validated experiment spec (see the module docstring for the file format)."""

    path: Path
    name: str
    hypothesis: str
    analysis: str
    notebook: Path
    data: tuple[str, ...]
    data_files: tuple[Path, ...]
    min_lift: float
    metric: str = "engagements"
    exposure: str | None = "impressions"
    method: str = "glm"
    alpha: float = 0.05
    change: dt.date | None = None
    label: str | tuple[str, str] | None = None
    labels: Path | None = None
    schedule: Path | None = None
    accounts: tuple[str, ...] = ()
    seed: int = 0
    parameters: dict[str, Any] = field(default_factory=dict)
    sha256: str = ""
    fixed_by_notebook: tuple[str, ...] = ()
    #: the keys the file sets (the others hold their defaults)
    written: tuple[str, ...] = ()

    def notebook_parameters(self, result_path: str | os.PathLike | None = None) -> dict[str, Any]:
        """The papermill parameters for the analysis notebook (names :data:`NOTEBOOK_PARAMETERS`).

        Paths are absolute, dates ISO text, so the notebook can run from any folder.
        """
        params = {p.name: p.value(self) for p in _PARAMETER_TABLE}
        params["result_path"] = str(result_path) if result_path is not None else None
        for key, value in self.parameters.items():
            match = _PLACEHOLDER.match(value) if isinstance(value, str) else None
            params[key] = params[match.group(1)] if match else value
        return params

    def check_notebook_takes(self, declared: Iterable[str]) -> None:
        """Raise :class:`SpecError` unless a notebook declaring ``declared`` takes every value set.

        ``declared`` are the names of the notebook's parameters cell. See the module docstring:
        each key the file sets, except :data:`METADATA_KEYS` and ``fixed_by_notebook``, must reach
        a declared name (directly, or through a declared ``[parameters]`` entry ``"{name}"``);
        each ``[parameters]`` entry must be declared; a key in ``fixed_by_notebook`` must not.
        """
        declared = set(declared)
        shown = ", ".join(sorted(declared)) or "nothing (no cell tagged 'parameters')"
        found = f"the notebook declares: {shown}"
        for key in self.parameters:
            if key not in declared:
                raise SpecError(f"{self.notebook.name} declares no parameter {key!r}, so this "
                                "value would be injected and never read; declare it in the "
                                "notebook's parameters cell or remove it", file=self.path,
                                parameter=f"parameters.{key}", found=found)
        routed = {match.group(1) for key, value in self.parameters.items()
                  if isinstance(value, str) and (match := _PLACEHOLDER.match(value))}
        reaching = declared | routed

        def needs(key: str) -> tuple[str, ...]:
            return tuple(p.name for p in _PARAMETER_TABLE if p.key == key
                         and not (p.only_if_set and p.value(self) is None))

        for key in KEYS:
            if key not in self.written or key in METADATA_KEYS:
                continue
            names = needs(key)
            takes = all(n in reaching for n in names)
            if key in self.fixed_by_notebook:
                if takes:
                    raise SpecError(f"{self.notebook.name} takes {key!r} (as "
                                    f"{', '.join(names)}): remove it from fixed_by_notebook",
                                    file=self.path, parameter="fixed_by_notebook", found=found)
                continue
            if not takes:
                wanted = " and ".join(names)
                placeholder = ", ".join('"{' + n + '}"' for n in names)
                raise SpecError(
                    f"{self.notebook.name} does not take this spec value, so the record would "
                    f"say it was applied when it was not; declare {wanted} in the notebook's "
                    f"parameters cell, pass it under a name the notebook declares ([parameters] "
                    f"NAME = {placeholder}), list {key!r} in fixed_by_notebook if the notebook's "
                    "own code fixes it, or remove the key", file=self.path, parameter=key,
                    found=found)

    def to_dict(self) -> dict[str, Any]:
        """The spec as written (paths relative to the spec file), JSON-friendly."""
        out: dict[str, Any] = {
            "name": self.name, "hypothesis": self.hypothesis, "analysis": self.analysis,
            "notebook": _relative(self.notebook, self.path.parent), "data": list(self.data),
            "metric": self.metric, "exposure": self.exposure or "none", "method": self.method,
            "alpha": self.alpha, "min_lift": self.min_lift,
        }
        if self.change is not None:
            out["change"] = self.change.isoformat()
        if self.label is not None:
            out["label"] = list(self.label) if isinstance(self.label, tuple) else self.label
        if self.labels is not None:
            out["labels"] = _relative(self.labels, self.path.parent)
        if self.schedule is not None:
            out["schedule"] = _relative(self.schedule, self.path.parent)
        out["accounts"] = list(self.accounts)
        out["seed"] = self.seed
        if self.fixed_by_notebook:
            out["fixed_by_notebook"] = list(self.fixed_by_notebook)
        if self.parameters:
            out["parameters"] = json.loads(json.dumps(self.parameters, default=str))
        return out


def _relative(path: Path, base: Path) -> str:
    try:
        return Path(os.path.relpath(path, base)).as_posix()
    except ValueError:  # another drive on Windows
        return str(path)


def _type_name(value: Any) -> str:
    return {str: "text", bool: "true/false", int: "integer", float: "number", list: "list",
            dict: "table", dt.date: "date", dt.datetime: "date-time"}.get(type(value),
                                                                         type(value).__name__)


def load_spec(path: str | os.PathLike) -> Spec:
    """Read and validate an experiment spec file.

    Parameters
    ----------
    path
        A ``.toml`` file (format in the module docstring).

    Returns
    -------
    Spec
        With paths resolved against the spec's folder, ``data`` patterns expanded to
        ``data_files`` (the files of all patterns together, sorted, each once) and ``sha256``
        the hash of the file's bytes.

    Raises
    ------
    SpecError
        Naming the file, the key, what was expected and what was found.
    """
    path = Path(path)
    if not path.is_file():
        raise SpecError("spec file not found", file=path, found="no such file")
    raw = path.read_bytes()
    try:
        doc = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise SpecError("spec must be UTF-8 text", file=path, found=str(exc)) from None
    except tomllib.TOMLDecodeError as exc:
        raise SpecError("spec is not valid TOML", file=path, found=str(exc)) from None
    base = path.resolve().parent

    def fail(key: str, found: Any, expected: str | None = None) -> SpecError:
        return SpecError(f"expected {expected or KEYS[key][0]}", file=path, parameter=key,
                         found=found)

    for key in doc:
        if key not in KEYS:
            close = difflib.get_close_matches(key, KEYS, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise SpecError(f"unknown key{hint}; expected one of: {', '.join(KEYS)}", file=path,
                            parameter=key, found=key)
    for key, (_, required) in KEYS.items():
        if required and key not in doc:
            raise SpecError(f"missing required key; expected {KEYS[key][0]}", file=path,
                            parameter=key, found="nothing")

    def text(key: str, default: str | None = None) -> str | None:
        if key not in doc:
            return default
        value = doc[key]
        if not isinstance(value, str) or not value.strip():
            raise fail(key, f"{_type_name(value)} {value!r}")
        return value.strip()

    name = text("name")
    if not _NAME.match(name):
        raise fail("name", repr(name))
    hypothesis = text("hypothesis")
    analysis = text("analysis")
    if analysis not in METHODS:
        raise fail("analysis", repr(analysis))
    method = text("method", "glm")
    if method not in METHODS[analysis]:
        raise fail("method", repr(method), f"a method of {analysis}: {', '.join(METHODS[analysis])}")
    metric = text("metric", "engagements")
    exposure = text("exposure", "impressions")
    if exposure.lower() == "none":
        exposure = None

    def number(key: str, default: float | None = None) -> float | None:
        if key not in doc:
            return default
        value = doc[key]
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise fail(key, f"{_type_name(value)} {value!r}")
        return float(value)

    alpha = number("alpha", 0.05)
    if not 0 < alpha <= 0.5:
        raise fail("alpha", alpha)
    min_lift = number("min_lift")
    if not (math.isfinite(min_lift) and min_lift > -1 and min_lift != 0):
        raise fail("min_lift", min_lift)
    seed = doc.get("seed", 0)
    if not is_seed(seed):
        raise fail("seed", f"{_type_name(seed)} {seed!r}")

    notebook = base / text("notebook")
    if notebook.suffix != ".ipynb":
        raise fail("notebook", str(notebook), "a Jupyter notebook (.ipynb)")
    if not notebook.is_file():
        raise SpecError("notebook not found (paths are relative to the spec file)", file=path,
                        parameter="notebook", found=str(notebook))

    patterns = doc["data"]
    if isinstance(patterns, str):
        patterns = [patterns]
    if (not isinstance(patterns, list) or not patterns
            or not all(isinstance(p, str) and p.strip() for p in patterns)):
        raise fail("data", f"{_type_name(patterns)} {patterns!r}")
    files: list[Path] = []
    for pattern in patterns:
        full = base / pattern
        if glob.has_magic(pattern):
            matches = sorted(Path(p) for p in glob.glob(str(full), recursive=True) if Path(p).is_file())
            if not matches:
                raise SpecError("data pattern matches no file (paths are relative to the spec file)",
                                file=path, parameter="data", found=str(full))
            files.extend(matches)
        elif full.is_file():
            files.append(full)
        elif full.is_dir():
            every = pattern.rstrip("/\\") + "/*.csv"
            raise SpecError(f"data takes files and glob patterns, not folders; for every CSV "
                            f"file in this folder write {every!r}", file=path, parameter="data",
                            found=f"the folder {full}")
        else:
            raise SpecError("data file not found (paths are relative to the spec file)", file=path,
                            parameter="data", found=str(full))
    data_files = tuple(sorted(set(p.resolve() for p in files)))

    change = None
    if "change" in doc:
        value = doc["change"]
        if isinstance(value, dt.datetime):
            change = value.date()
        elif isinstance(value, dt.date):
            change = value
        elif isinstance(value, str):
            try:
                change = dt.date.fromisoformat(value.strip())
            except ValueError:
                raise fail("change", repr(value)) from None
        else:
            raise fail("change", f"{_type_name(value)} {value!r}")

    label: str | tuple[str, str] | None = None
    if "label" in doc:
        value = doc["label"]
        if isinstance(value, str) and value.strip():
            label = value.strip()
        elif (isinstance(value, list) and len(value) == 2
              and all(isinstance(v, str) and v.strip() for v in value)):
            label = (value[0].strip(), value[1].strip())
        else:
            raise fail("label", f"{_type_name(value)} {value!r}")

    def optional_file(key: str) -> Path | None:
        if key not in doc:
            return None
        found = base / text(key)
        if not found.is_file():
            raise SpecError(f"{key} file not found (paths are relative to the spec file)",
                            file=path, parameter=key, found=str(found))
        return found.resolve()

    labels = optional_file("labels")
    schedule = optional_file("schedule")

    accounts = doc.get("accounts", [])
    if isinstance(accounts, str):
        accounts = [accounts]
    if not isinstance(accounts, list) or not all(isinstance(a, str) and a for a in accounts):
        raise fail("accounts", f"{_type_name(accounts)} {accounts!r}")

    parameters = doc.get("parameters", {})
    if not isinstance(parameters, dict):
        raise fail("parameters", f"{_type_name(parameters)} {parameters!r}")
    for key, value in parameters.items():
        if not _is_identifier(key):
            raise SpecError("parameter names must be Python identifiers that are not keywords "
                            "(papermill writes `NAME = value` into the notebook)",
                            file=path, parameter=f"parameters.{key}", found=key)
        try:
            _toml_value(value, f"parameters.{key}")
        except SpecError:
            raise SpecError("expected text, a finite number, true/false, a date or a list of "
                            "these (what a notebook parameter can take)", file=path,
                            parameter=f"parameters.{key}",
                            found=f"{_type_name(value)} {value!r}") from None
        match = _PLACEHOLDER.match(value) if isinstance(value, str) else None
        if match and match.group(1) not in NOTEBOOK_PARAMETERS:
            raise SpecError("a placeholder must name a notebook parameter: "
                            + ", ".join("{" + n + "}" for n in NOTEBOOK_PARAMETERS),
                            file=path, parameter=f"parameters.{key}", found=value)
    clash = sorted(set(parameters) & set(NOTEBOOK_PARAMETERS))
    if clash:
        raise SpecError("[parameters] must not redefine a spec key; set it at the top level",
                        file=path, parameter=f"parameters.{clash[0]}", found=clash)

    fixed = doc.get("fixed_by_notebook", [])
    if not isinstance(fixed, list) or not all(isinstance(k, str) for k in fixed):
        raise fail("fixed_by_notebook", f"{_type_name(fixed)} {fixed!r}")
    for key in fixed:
        if key not in NOTEBOOK_NAMES or key in METADATA_KEYS:
            raise fail("fixed_by_notebook", repr(key), "spec keys a notebook takes: "
                       + ", ".join(k for k in NOTEBOOK_NAMES if k not in METADATA_KEYS))
        if key not in doc:
            raise SpecError("lists a key the spec does not set; set it (so the reader sees the "
                            "value the notebook fixes) or drop it from the list", file=path,
                            parameter="fixed_by_notebook", found=key)

    if analysis == "before_after" and change is None:
        raise SpecError("a before_after spec needs the change date; expected a date like "
                        "2024-10-01", file=path, parameter="change", found="nothing")
    if analysis == "content_lift" and label is None and schedule is None:
        raise SpecError("a content_lift spec needs a label (or a schedule); expected "
                        + KEYS["label"][0], file=path, parameter="label", found="nothing")

    return Spec(
        path=path.resolve(), name=name, hypothesis=hypothesis, analysis=analysis,
        notebook=notebook.resolve(), data=tuple(patterns), data_files=data_files,
        min_lift=min_lift, metric=metric, exposure=exposure, method=method, alpha=alpha,
        change=change, label=label, labels=labels, schedule=schedule,
        accounts=tuple(accounts), seed=int(seed), parameters=dict(parameters),
        sha256=hashlib.sha256(raw).hexdigest(), fixed_by_notebook=tuple(dict.fromkeys(fixed)),
        written=tuple(doc),
    )


# ---------------------------------------------------------------------------------------------
# writing
# ---------------------------------------------------------------------------------------------
def _is_identifier(name: Any) -> bool:
    """A name papermill can assign to: a Python identifier that is not a keyword."""
    return isinstance(name, str) and name.isidentifier() and not keyword.iskeyword(name)


def _toml_value(value: Any, key: str) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise SpecError("cannot write a non-finite number", parameter=key, found=value)
        return repr(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # a valid TOML basic string
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(v, key) for v in value) + "]"
    raise SpecError("cannot write this value to TOML", parameter=key, found=type(value).__name__)


PATH_KEYS = ("notebook", "data", "labels", "schedule")


def output_path(folder: str | os.PathLike, name: str) -> Path:
    """``folder / name``, creating ``folder`` if needed (for specs and schedules a notebook writes).

    >>> import tempfile
    >>> output_path(tempfile.mkdtemp() + "/new", "x.toml").parent.is_dir()
    True
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    return folder / name


def write_plan(path: str | os.PathLike, text: str, *, what: str, overwrite: bool = False,
               error: type[EngagementLabError] = SpecError) -> Path:
    r"""Write ``text`` to ``path``, unless a different ``what`` (a spec, a schedule) is there.

    A pre-registered plan must not be replaced unseen: rerunning notebook 04, or building its
    shared report, with other choices would rewrite the schedule and spec an experiment was
    registered with. The same text again is written as it is; ``overwrite=True`` replaces.

    >>> import tempfile
    >>> path = Path(tempfile.mkdtemp()) / "plan.toml"
    >>> _ = write_plan(path, "a = 1\n", what="spec"); _ = write_plan(path, "a = 1\n", what="spec")
    >>> write_plan(path, "a = 2\n", what="spec")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    toolkit.errors.SpecError: .../plan.toml, parameter 'overwrite': a different spec is already there...
    """
    path = Path(path)
    if not overwrite and path.is_file() and path.read_text(encoding="utf-8") != text:
        raise error(f"a different {what} is already there, and a pre-registered plan is not replaced "
                    "unseen: remove it, write to another folder, or pass overwrite=True",
                    file=path, parameter="overwrite")
    # whole or not at all (a temporary file moved into place): a notebook run at the same time
    # reads the old plan or the new, never half of one
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
        handle.write(text)
    os.chmod(temporary, 0o644)  # as a plain write would leave it (mkstemp's is 0o600)
    os.replace(temporary, path)
    return path


def dump_spec(spec: Mapping[str, Any] | Spec, path: str | os.PathLike | None = None,
              *, check: bool = True, paths_from: str | os.PathLike | None = None,
              overwrite: bool = False) -> str:
    """Write a spec as TOML (the inverse of :func:`load_spec`; keys in :data:`KEYS` order).

    ``spec`` is a :class:`Spec` (its file's keys are written, not the defaults, so the runner
    asks the notebook for the same values) or a mapping of spec keys (values: text, numbers,
    booleans, dates, lists and the ``parameters`` table). With ``path``, the file is written and, when
    ``check`` is true, read back with :func:`load_spec` so an invalid spec is never left behind
    unnoticed. Returns the TOML text.

    >>> print(dump_spec({"name": "x", "alpha": 0.05, "data": ["a.csv"]}), end="")
    name = "x"
    data = ["a.csv"]
    alpha = 0.05
    """
    if isinstance(spec, Spec):  # the keys its file set, not the defaults it holds besides
        values = {k: v for k, v in spec.to_dict().items() if k in spec.written or not spec.written}
    else:
        values = dict(spec)
    unknown = [k for k in values if k not in KEYS]
    if unknown:
        raise SpecError(f"unknown key; expected one of: {', '.join(KEYS)}", parameter=unknown[0],
                        found=unknown)
    if paths_from is not None:
        if path is None:
            raise SpecError("paths_from needs the spec's path", parameter="paths_from",
                            found=paths_from)
        target = Path(path).resolve().parent

        def move(value: str) -> str:
            return _relative(Path(os.path.abspath(Path(paths_from) / value)), target)

        for key in PATH_KEYS:
            if isinstance(values.get(key), str):
                values[key] = move(values[key])
            elif isinstance(values.get(key), (list, tuple)):
                values[key] = [move(v) for v in values[key]]
    lines = []
    for key in KEYS:
        if key == "parameters" or key not in values or values[key] is None:
            continue
        value = values[key]
        if key == "change" and isinstance(value, str):
            value = dt.date.fromisoformat(value)
        lines.append(f"{key} = {_toml_value(value, key)}")
    extra = values.get("parameters") or {}
    if extra:
        lines.append("")
        lines.append("[parameters]")
        for key, value in extra.items():
            if not _is_identifier(key):
                raise SpecError("parameter names must be Python identifiers",
                                parameter=f"parameters.{key}", found=key)
            lines.append(f"{key} = {_toml_value(value, key)}")
    text = "\n".join(lines) + "\n"
    if path is not None:
        path = write_plan(path, text, what="spec", overwrite=overwrite)
        if check:
            load_spec(path)
    return text
