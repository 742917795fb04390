"""Run one analysis for each of many accounts (an agency's portfolio), on all cores or on Dask.

:func:`run_batch` splits a posts table by account (or any column), runs the analysis on each part
in parallel and stacks the result tables, one block of rows per account, with the account first.
An account the analysis cannot handle (too few posts, no change date inside its data ...) gets a
row in ``errors`` with the message; the others still finish (and when a worker process dies,
out of memory say, its accounts get such a row and the others' results are kept). Posts with no
account (``by`` is missing) are not analysed, since their result would be nobody's: they get one
row in ``errors`` that says how many they are. Warnings an analysis raises for an account (a
:class:`~toolkit.errors.ConfoundWarning` caution, say) are kept in ``warnings``, one row each,
and shown with the result, as they would be when the account is analysed alone.

Local parallelism uses the standard library's :class:`concurrent.futures.ProcessPoolExecutor`
(one process per core by default; on Linux the workers are forked, so an analysis function defined
in a notebook works too). How the work is shared out decides how close to linear it scales:

- **Shrinking chunks.** Accounts go out largest first, in chunks sized by posts (an analysis
  costs roughly in proportion to its posts) that shrink as the work runs out (guided
  self-scheduling): a worker that finishes early takes the next chunk, and the last chunks hold
  one small account each, so no worker is left with a long tail while the others idle.
- **No copying of the data.** Forked workers inherit the split posts from the parent; a task
  carries only the positions of its accounts, not their posts. With ``spawn`` (Windows, macOS
  default) and on Dask the posts travel with the tasks.

On a Dask cluster
-----------------
Pass a ``distributed.Client`` and the same call runs on the cluster's workers instead::

    from distributed import Client, LocalCluster
    client = Client(LocalCluster(n_workers=4, processes=True))   # or Client("tcp://scheduler:8786")
    out = toolkit.batch.run_batch(posts, "content_lift", client=client,
                                  label=("content_label", "personal"), controls=[])
    client.close()

The workers need the same Python environment (Engagement Lab installed, same versions); data
travel with the tasks. Analysis functions are shipped with cloudpickle, so lambdas work there.
``n_jobs`` is ignored when ``client`` is given: the cluster decides.

>>> import pandas as pd
>>> posts = pd.DataFrame({"account": ["a", "a", "b"], "likes": [1, 3, 10]})
>>> out = run_batch(posts, _mean_likes, n_jobs=1, progress=False)
>>> out.table[["account", "lift"]].to_dict("records")
[{'account': 'a', 'lift': 2.0}, {'account': 'b', 'lift': 10.0}]
"""

from __future__ import annotations

import html
import importlib
import multiprocessing
import os
import pickle
import threading
from collections.abc import Callable, Hashable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from toolkit.errors import AnalysisError, EngagementLabError, first_line


__all__ = ["BatchResult", "run_batch", "ANALYSES"]

#: Analyses that can be named by a string (resolved to ``toolkit.<name>.<name>`` in the worker).
ANALYSES = ("before_after", "content_lift")


@dataclass
class BatchResult:
    """Results of one analysis over many accounts.

    Attributes
    ----------
    table
        The analyses' result tables stacked, with the ``by`` column first (a table that has a
        ``by`` column of its own, holding the account it was run on, keeps just that one).
    errors
        One row per account that failed: ``by`` column, ``error`` (type) and ``message``; also
        an account whose worker process died, one whose table has a ``by`` column naming
        another account, and, last, one row
        with a missing ``by`` for the posts that have no account (not analysed; the message
        gives their number).
    texts
        Each account's plain-language summary (when the analysis returns a Result).
    no_rows
        The accounts whose analysis ran and returned a table without rows (no event found, say):
        not failures, and in no row of ``table``, so they are listed here and in the summary.
    warnings
        One row per warning an account's analysis raised (each distinct warning once): ``by``
        column, ``warning`` (category) and ``message``; the account's numbers are unchanged.
    """

    table: pd.DataFrame
    errors: pd.DataFrame
    texts: dict[Hashable, str] = field(default_factory=dict)
    by: str = "account"
    warnings: pd.DataFrame | None = None
    no_rows: list[Hashable] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.warnings is None:
            self.warnings = pd.DataFrame(columns=[self.by, "warning", "message"])

    def _repr_html_(self) -> str:
        failed = int(self.errors[self.by].notna().sum())  # the row of posts with no account is no account
        warned = self.warnings[self.by].nunique()
        analysed = (self.table[self.by].nunique() if len(self.table) else 0) + len(self.no_rows)
        parts = [f"<p>{analysed} {html.escape(self.by)}(s) analysed, {failed} failed"
                 + (f", {warned} with warnings" if warned else "")
                 + (f"; {len(self.no_rows)} gave no rows ({html.escape(', '.join(map(str, self.no_rows)))})"
                    if self.no_rows else "") + ".</p>",
                 self.table.to_html(index=False, float_format=lambda v: f"{v:.4g}", border=0)]
        if len(self.errors):
            parts.append(self.errors.to_html(index=False, border=0))
        if len(self.warnings):
            parts.append(self.warnings.to_html(index=False, border=0))
        return "\n".join(parts)


def _mean_likes(posts: pd.DataFrame) -> pd.DataFrame:
    """A tiny analysis for the doctest: mean likes as a one-row result table."""
    return pd.DataFrame([{"method": "mean", "metric": "likes", "lift": float(posts["likes"].mean())}])


def _resolve(analysis: str | Callable) -> Callable:
    if callable(analysis):
        return analysis
    if analysis in ANALYSES:
        return getattr(importlib.import_module(f"toolkit.{analysis}"), analysis)
    raise AnalysisError(f"must be a function or one of {ANALYSES}", parameter="analysis",
                        found=analysis)


def _check_picklable(analysis: Callable) -> None:
    """Raise :class:`AnalysisError` if ``analysis`` cannot be sent to local worker processes.

    >>> _check_picklable(lambda posts: posts)
    Traceback (most recent call last):
    ...
    toolkit.errors.AnalysisError: parameter 'analysis': ...define the function at module level...
    """
    try:
        pickle.dumps(analysis)
    except (pickle.PicklingError, AttributeError, TypeError) as exc:
        raise AnalysisError(
            "cannot be sent to worker processes (a lambda or a function defined inside another "
            "function cannot be pickled); define the function at module level, or pass n_jobs=1",
            parameter="analysis", found=getattr(analysis, "__qualname__", type(analysis).__name__),
        ) from exc


def _run_chunk(analysis: str | Callable, chunk: list[tuple[Hashable, pd.DataFrame]],
               kwargs: dict[str, Any]) -> list[tuple[Hashable, Any, Any, Any, Any]]:
    """Run the analysis on each (key, frame); return (key, table, text, error, warnings) tuples.

    ``warnings`` lists the (category name, message) of each distinct warning the analysis raised.
    """
    import warnings

    fn = _resolve(analysis)
    out = []
    for key, frame in chunk:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                result = fn(frame, **kwargs)
                table = result if isinstance(result, pd.DataFrame) else getattr(result, "table", None)
                if not isinstance(table, pd.DataFrame):
                    raise AnalysisError("the analysis must return a Result or a DataFrame",
                                        parameter="analysis", found=type(result).__name__)
                outcome = (table, getattr(result, "text", None), None)
            except EngagementLabError as exc:
                outcome = (None, None, (type(exc).__name__, str(exc)))
            except Exception as exc:  # noqa: BLE001 - one account's failure must not sink the batch
                outcome = (None, None, (type(exc).__name__, f"{type(exc).__name__}: {exc}"))
        raised = list(dict.fromkeys((w.category.__name__, str(w.message)) for w in caught))
        out.append((key, *outcome, raised))
    return out


def _chunk_result(future: Any, keys: list[Hashable]) -> list[tuple[Hashable, Any, Any, Any, Any]]:
    """A finished chunk's results; if its worker failed as a whole (the process died, a table
    could not be sent back), an error row for each of its accounts instead, so the other chunks'
    results are kept and every account is accounted for."""
    try:
        return future.result()
    except Exception as exc:  # noqa: BLE001 - one worker's death must not lose the others' results
        message = (f"the worker process analysing this and {len(keys) - 1} other group(s) failed "
                   f"({type(exc).__name__}: {first_line(str(exc))}), e.g. out of memory; rerun with "
                   "n_jobs=1 to see this group's own error")
        return [(key, None, None, (type(exc).__name__, message), []) for key in keys]


def _chunks(sizes: Sequence[int], n_workers: int, chunk_size: int | None) -> list[list[int]]:
    """Positions of the groups, cut into chunks to hand out to ``n_workers``.

    With ``chunk_size`` (accounts per chunk), consecutive runs of that many accounts. Otherwise
    guided self-scheduling: the accounts largest first, each chunk holding about
    ``remaining posts / (2 * n_workers)``, so the chunks shrink as the work runs out and the
    last ones hold a single small account; workers then finish within about one account's time
    of each other, with few tasks in all.

    >>> _chunks([5, 1, 1, 1, 9, 1], 2, chunk_size=4)
    [[0, 1, 2, 3], [4, 5]]
    >>> _chunks([10, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1], 2, chunk_size=None)
    [[0], [1, 2, 3], [4, 5], [6, 7], [8], [9], [10], [11]]
    """
    if chunk_size is not None:
        return [list(range(i, min(i + chunk_size, len(sizes)))) for i in range(0, len(sizes), chunk_size)]
    order = sorted(range(len(sizes)), key=lambda i: (-sizes[i], i))
    remaining = sum(sizes)
    chunks: list[list[int]] = []
    current: list[int] = []
    total = 0
    target = remaining / (2 * n_workers)
    for i in order:
        current.append(i)
        total += sizes[i]
        if total >= target:
            chunks.append(current)
            remaining -= total
            current, total = [], 0
            target = remaining / (2 * n_workers)
    if current:
        chunks.append(current)
    return chunks


#: how local workers start: forked on POSIX (they inherit the data), else spawned (data pickled)
_START_METHOD = "fork" if os.name == "posix" else "spawn"

#: the split posts of the batch being run, inherited by forked workers (see :func:`_run_shared`)
_SHARED: list[tuple[Hashable, pd.DataFrame]] = []
#: one local batch at a time fills :data:`_SHARED` (batches started from several threads queue up)
_SHARED_LOCK = threading.Lock()


def _run_shared(analysis: str | Callable, positions: list[int],
                kwargs: dict[str, Any]) -> list[tuple[Hashable, Any, Any, Any, Any]]:
    """:func:`_run_chunk` on the groups at ``positions`` of :data:`_SHARED` (forked workers)."""
    return _run_chunk(analysis, [_SHARED[i] for i in positions], kwargs)


def run_batch(
    posts: pd.DataFrame,
    analysis: str | Callable[..., Any],
    by: str = "account",
    n_jobs: int = -1,
    client: Any = None,
    progress: bool = True,
    *,
    chunk_size: int | None = None,
    **kwargs: Any,
) -> BatchResult:
    """Run ``analysis`` for each value of ``by`` (each account) in parallel.

    Parameters
    ----------
    posts
        A posts table with a ``by`` column. Posts whose ``by`` is missing are not analysed; they
        are reported, with their number, in one row of ``.errors`` whose ``by`` is missing.
    analysis
        ``"before_after"``, ``"content_lift"``, or a function ``f(posts, **kwargs)`` returning a
        :class:`toolkit.result.Result` or a DataFrame. For local processes it must be importable
        (a module function, or defined in the notebook on Linux); a lambda or a function defined
        inside another raises :class:`~toolkit.errors.AnalysisError` before any work starts unless
        ``n_jobs=1``. On Dask any function works.
    by
        Column whose values split the table (default ``"account"``).
    n_jobs
        Worker processes: ``-1`` = one per core, ``1`` = run here without processes.
    client
        A ``distributed.Client``: run on that Dask cluster instead (see the module docstring).
    progress
        Show a tqdm progress bar (accounts done).
    chunk_size
        Accounts per task, in table order (default: chunks that shrink as the work runs out,
        largest accounts first; see the module docstring).
    **kwargs
        Passed to the analysis (e.g. ``change=``, ``label=``, ``metric=``, ``controls=``).

    Returns
    -------
    BatchResult
        ``.table`` (stacked result tables, ``by`` first, in sorted order of ``by``), ``.errors``,
        ``.texts``, ``.warnings``. The numbers do not depend on ``n_jobs`` or the cluster: each
        account is analysed alone, with the same arguments.
    """
    from toolkit.progress import progress_bar

    if not isinstance(posts, pd.DataFrame):
        raise AnalysisError("posts must be a DataFrame", parameter="posts", found=type(posts).__name__)
    if by not in posts.columns:
        raise AnalysisError("posts has no such column to split by", parameter="by", found=by)
    if isinstance(analysis, str):
        _resolve(analysis)  # fail early on an unknown name
    elif not callable(analysis):
        raise AnalysisError(f"must be a function or one of {ANALYSES}", parameter="analysis",
                            found=type(analysis).__name__)
    groups = [(key, frame.reset_index(drop=True))
              for key, frame in posts.groupby(by, sort=True, observed=True, dropna=True)]
    no_key = int(posts[by].isna().sum())  # groupby leaves these out; they are reported below
    if not groups:
        if no_key:
            raise AnalysisError(f"every post has no {by}, so there is nothing to analyse",
                                column=by, found=f"{no_key:,} posts with a missing {by}")
        raise AnalysisError("no rows to analyse", parameter="posts", found=0)
    cores = os.cpu_count() or 1
    n_workers = cores if n_jobs in (-1, None) else int(n_jobs)
    if n_workers < 1:
        raise AnalysisError("must be -1 (all cores) or at least 1", parameter="n_jobs", found=n_jobs)
    n_workers = min(n_workers, len(groups))
    if client is None and n_workers > 1 and callable(analysis):
        _check_picklable(analysis)
    sizes = [len(frame) for _, frame in groups]

    results: list[tuple[Hashable, Any, Any, Any, Any]] = []
    bar = progress_bar(total=len(groups), disable=not progress,
                       desc=f"{getattr(analysis, '__name__', analysis)} by {by}")
    try:
        if client is not None:
            from distributed import as_completed as dask_completed

            chunks = _chunks(sizes, max(1, len(client.scheduler_info().get("workers", {}))),
                             chunk_size)
            futures = {client.submit(_run_chunk, analysis, [groups[i] for i in chunk], kwargs,
                                     pure=False): chunk
                       for chunk in chunks}
            for future in dask_completed(list(futures)):
                part = _chunk_result(future, [groups[i][0] for i in futures[future]])
                results.extend(part)
                bar.update(len(part))
        elif n_workers == 1:
            for key, frame in groups:
                results.extend(_run_chunk(analysis, [(key, frame)], kwargs))
                bar.update(1)
        else:
            forked = _START_METHOD == "fork"
            context = multiprocessing.get_context(_START_METHOD)
            # forked workers read their accounts from _SHARED; spawned ones get them with the task
            chunks = _chunks(sizes, n_workers, chunk_size)
            tasks = [(_run_shared, chunk) if forked else (_run_chunk, [groups[i] for i in chunk])
                     for chunk in chunks]
            with _SHARED_LOCK:
                _SHARED[:] = groups if forked else []
                try:
                    with ProcessPoolExecutor(max_workers=n_workers, mp_context=context) as pool:
                        futures = {pool.submit(run, analysis, part, kwargs): chunk
                                   for (run, part), chunk in zip(tasks, chunks)}
                        for future in as_completed(futures):
                            part = _chunk_result(future, [groups[i][0] for i in futures[future]])
                            results.extend(part)
                            bar.update(len(part))
                finally:
                    _SHARED.clear()
    finally:
        bar.close()

    order = {key: i for i, (key, _) in enumerate(groups)}
    results.sort(key=lambda item: order[item[0]])
    tables, errors, texts, raised, no_rows = [], [], {}, [], []
    for key, table, text, error, caught in results:
        raised.extend({by: key, "warning": category, "message": message} for category, message in caught)
        if error is not None:
            errors.append({by: key, "error": error[0], "message": error[1]})
            continue
        if len(table) == 0:  # an answer (no event found, say): listed, not silently missing
            no_rows.append(key)
            if text is not None:
                texts[key] = text
            continue
        block = table.copy()
        if by in block.columns:  # the analysis named the account itself: keep one column
            others = block.loc[block[by].ne(key), by]
            if len(others):
                error = AnalysisError(
                    f"the analysis's table has its own {by!r} column with values other than "
                    f"{key!r}, the {by} it was run on; rename that column in the analysis",
                    column=by, found=sorted(map(str, others.unique()))[:5])
                errors.append({by: key, "error": type(error).__name__, "message": str(error)})
                continue
            block = block.drop(columns=by)
        block.insert(0, by, key)
        tables.append(block)
        if text is not None:
            texts[key] = text
    if no_key:
        error = AnalysisError(
            f"posts with no {by} were not analysed (their result would be no {by}'s); fill in "
            f"the {by} to include them", column=by, found=f"{no_key:,} post{'s' if no_key != 1 else ''}")
        errors.append({by: pd.NA, "error": type(error).__name__, "message": str(error)})
    table = pd.concat(tables, ignore_index=True) if tables else pd.DataFrame(columns=[by])
    return BatchResult(table=table, errors=pd.DataFrame(errors, columns=[by, "error", "message"]),
                       texts=texts, by=by, no_rows=no_rows,
                       warnings=pd.DataFrame(raised, columns=[by, "warning", "message"]))
