"""Which posts are personal? Labels from an existing column, a transparent heuristic and hand labelling.

Three sources give one label column:

* an **existing column**, either as the analyses' ``label=`` takes it (:func:`label_mask`: a
  boolean column, or a column and the value of the posts under test, every other value being the
  rest) or with a mapping (:func:`from_column`), e.g. the UCI file's ``Category`` (3 = inspiration)
  or a platform's own content type;
* the **heuristic** :func:`label_personal`: a score from features a person can check (first-person
  voice, personal-life vocabulary, a question to the audience, no link, brand vocabulary), listing
  for every post which features fired and which words matched. The vocabularies are plain text files
  in ``toolkit/vocab/`` (``first_person_<lang>.txt``, ``personal_<lang>.txt``, ``audience_<lang>.txt``,
  ``brand_<lang>.txt``), so another language is four files (English and Portuguese ship);
* **hand labels** made in :class:`toolkit.widgets.labelling.LabellingPanel`, appended to a CSV keyed by
  ``post_id`` (:func:`append_label`, flushed and fsynced per label) and read back by
  :func:`load_hand_labels`.

:func:`combine_labels` merges them (hand labels first by default) and :func:`agreement` says how well
two sources agree (confusion table and Cohen's kappa), e.g. whether the heuristic can be trusted on
an account.

>>> import pandas as pd
>>> posts = pd.DataFrame({"post_id": ["1", "2"], "text": [
...     "I took my kids hiking this weekend. What do you do to unwind?",
...     "Save 20% on all pastries this week. Shop now https://example.com/shop"]})
>>> out = label_personal(posts)
>>> out["personal"].tolist()
[True, False]
>>> out.loc[0, "features"]
'first_person, personal_life, question_to_audience, no_link'
"""

from __future__ import annotations

import csv
import os
import re
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from toolkit.errors import (AnalysisError, DataFormatError, EngagementLabWarning, first_line, is_fraction,
                            is_number)
from toolkit.loading.parse import _SCI_ID
from toolkit.loading.workbooks import cell_text

__all__ = [
    "FEATURES",
    "WEIGHTS",
    "HAND_LABELS",
    "HAND_COLUMNS",
    "label_personal",
    "vocabulary",
    "from_column",
    "label_mask",
    "attach_labels",
    "append_label",
    "load_hand_labels",
    "hand_label_column",
    "combine_labels",
    "compared_by",
    "agreement",
    "Agreement",
]

#: heuristic feature -> what it means
FEATURES = {
    "first_person": "speaks in the first person singular (I, me, my)",
    "personal_life": "uses personal-life vocabulary (family, feelings, free time, memories)",
    "question_to_audience": "asks the audience a question (a '?' and 'you'/'your')",
    "no_link": "carries no link (with or without https://, e.g. bit.ly/x or shop.com)",
    "brand_vocabulary": "uses brand or promotion vocabulary (sale, offer, shop, order)",
}
#: feature -> points added to the score when it fires
WEIGHTS = {"first_person": 2, "personal_life": 2, "question_to_audience": 1, "no_link": 1,
           "brand_vocabulary": -3}
#: default score at or above which a post counts as personal
THRESHOLD = 3

#: hand-label values as stored in the CSV, and the boolean each maps to (skip = not labelled)
HAND_LABELS = {"personal": True, "not": False, "skip": None}
HAND_COLUMNS = ("post_id", "label", "labelled_at")

_TOKEN = re.compile(r"[\w']+", re.UNICODE)
#: a link: with a scheme or www., or a bare domain with a path or a common ending (bit.ly/x, shop.com)
_LINK = re.compile(r"(?:[a-z][a-z0-9+.-]*://|www\.)\S+"
                   r"|\b[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:[a-z]{2,}/\S*"
                   r"|(?:com|org|net|io|co|ly|gl|me|app|shop|store|link|info|biz|blog|site|online|uk|de|fr|"
                   r"es|it|nl|pt|br|eu|us|ca|au|in)\b\S*)", re.IGNORECASE)


def _read_vocab(path: Path) -> tuple[str, ...]:
    words = []
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip().lower().replace("\u2019", "'")
        if line:
            words.append(line)
    return tuple(words)


@lru_cache(maxsize=None)
def _vocab_cached(language: str, folder: str | None) -> dict[str, tuple[str, ...]]:
    out = {}
    for kind in ("first_person", "personal", "audience", "brand"):
        name = f"{kind}_{language}.txt"
        if folder is not None:
            path = Path(folder) / name
        else:
            path = Path(str(resources.files("toolkit") / "vocab" / name))
        if not path.exists():
            raise AnalysisError("no vocabulary file for this language", parameter="language",
                                file=path, found=language)
        out[kind] = _read_vocab(path)
    return out


def vocabulary(language: str = "en", folder: str | Path | None = None) -> dict[str, tuple[str, ...]]:
    """The heuristic's word lists for ``language`` (``first_person``, ``personal``, ``audience``, ``brand``).

    ``folder`` points to a directory with your own ``<kind>_<language>.txt`` files.

    >>> "my" in vocabulary("en")["first_person"]
    True
    """
    return _vocab_cached(language, None if folder is None else str(folder))


def _matches(tokens: list[str], joined: str, words: tuple[str, ...]) -> list[str]:
    token_set = set(tokens)
    found = []
    for w in words:
        if " " in w:
            if f" {w} " in joined:
                found.append(w)
        elif w in token_set:
            found.append(w)
    return found


def label_personal(posts: pd.DataFrame, *, language: str = "en", threshold: int = THRESHOLD,
                   text: str = "text", folder: str | Path | None = None) -> pd.DataFrame:
    """Score each post's text for "personal" content and show which features fired.

    Parameters
    ----------
    posts
        A posts table with a text column (and ``post_id`` if present).
    language
        Vocabulary files to use (``en``, ``pt``, or your own in ``folder``).
    threshold
        Score at or above which ``personal`` is True (default 3: e.g. first person + no link).
    text
        Name of the text column.

    Returns
    -------
    DataFrame
        Same index as ``posts``: ``post_id``, ``personal_score``, ``personal`` (boolean; NA when the
        text is missing), ``features`` (the features that fired, comma-separated), ``matched`` (the
        words that matched) and one boolean column per feature in :data:`FEATURES`.

    Notes
    -----
    Score = sum of :data:`WEIGHTS` of the features that fired. Links (``https://...``, ``www.``, a bare
    domain such as ``bit.ly/x`` or ``shop.com``) are taken out of the text before words are matched, so
    the words of a link's path or query never count. The heuristic is a starting point, not ground
    truth: check it against a hand-labelled sample with :func:`agreement`.

    Examples
    --------
    >>> posts = pd.DataFrame({"text": ["My heart is full. Have you ever had a day like that?", None]})
    >>> label_personal(posts)[["personal_score", "personal"]].values.tolist()
    [[6, True], [<NA>, <NA>]]
    """
    if text not in posts.columns:
        raise AnalysisError("posts have no text column", parameter="text", column=text,
                            found=sorted(map(str, posts.columns)))
    if not is_number(threshold):
        raise AnalysisError("threshold must be a number (a score; the default is 3)",
                            parameter="threshold", found=repr(threshold))
    vocab = vocabulary(language, folder)
    n = len(posts)
    fired = {f: np.zeros(n, dtype=bool) for f in FEATURES}
    matched = []
    missing = posts[text].isna().to_numpy()
    for i, value in enumerate(posts[text].astype("string").fillna("").tolist()):
        words = _LINK.sub(" ", value)  # a link's words (a path, a query) say nothing about the post
        lowered = words.lower().replace("\u2019", "'")
        tokens = _TOKEN.findall(lowered)
        joined = " " + " ".join(tokens) + " "
        fp = _matches(tokens, joined, vocab["first_person"])
        pl = _matches(tokens, joined, vocab["personal"])
        au = _matches(tokens, joined, vocab["audience"]) if "?" in words else []
        br = _matches(tokens, joined, vocab["brand"])
        fired["first_person"][i] = bool(fp)
        fired["personal_life"][i] = bool(pl)
        fired["question_to_audience"][i] = bool(au)
        fired["no_link"][i] = words == value and not missing[i]
        fired["brand_vocabulary"][i] = bool(br)
        matched.append(", ".join(dict.fromkeys(fp + pl + au + br)))
    score = sum(WEIGHTS[f] * fired[f].astype(int) for f in FEATURES) if n else np.zeros(0, dtype=int)
    out = pd.DataFrame(index=posts.index)
    out["post_id"] = posts["post_id"].astype("string") if "post_id" in posts.columns else pd.NA
    out["personal_score"] = pd.array(score, dtype="Int64")
    out["personal"] = pd.array(np.asarray(score) >= threshold, dtype="boolean")
    out.loc[missing, ["personal_score", "personal"]] = pd.NA
    names = list(FEATURES)
    out["features"] = pd.array([", ".join(f for f in names if fired[f][i]) for i in range(n)], dtype="string")
    out["matched"] = pd.array(matched, dtype="string")
    for f in names:
        out[f] = fired[f]
    out.loc[missing, "features"] = pd.NA
    return out


def from_column(posts: pd.DataFrame, column: str, mapping: dict[Any, bool | None]) -> pd.Series:
    """A boolean label from an existing column through ``mapping`` (value -> True/False/None).

    Values are compared as text too, so ``{3: True}`` works on a column holding ``"3"``. Unmapped
    values and missing cells give NA (not labelled), never False.

    >>> posts = pd.DataFrame({"Category": [1, 3, 2, None]})
    >>> from_column(posts, "Category", {3: True, 1: False, 2: False}).tolist()
    [False, True, False, <NA>]
    """
    if column not in posts.columns:
        raise AnalysisError("label column not found", parameter="column", column=column,
                            found=sorted(map(str, posts.columns)))
    if not isinstance(mapping, Mapping):
        raise AnalysisError("mapping must be a dict of value -> True, False or None, e.g. {3: True}",
                            parameter="mapping", found=f"{mapping!r} ({type(mapping).__name__})")
    text_map = {}
    for key, value in mapping.items():
        if not (value is None or value is pd.NA or isinstance(value, (bool, np.bool_))):
            raise AnalysisError("mapping values must be True, False or None (not labelled)",
                                parameter="mapping", found=f"{key!r}: {value!r}")
        # keys are compared as text with a trailing ".0" removed, as the column's values are
        text_map[re.sub(r"\.0$", "", str(key))] = value
    values = posts[column]
    keys = values.astype("string")
    keys = keys.str.replace(r"\.0$", "", regex=True)
    out = keys.map(lambda k: text_map.get(k) if k is not pd.NA else None)
    return pd.Series(pd.array([v if v is not None else pd.NA for v in out], dtype="boolean"),
                     index=posts.index, name=column)


def _warn_near_values(rest: pd.Series, column: str, values: list) -> None:
    """Warn when values counted with the rest differ from a value under test only in case or spaces
    (``"Personal "``, ``"PERSONAL"`` for ``"personal"``), naming each and how many posts hold it."""
    wanted = {str(v).strip().casefold() for v in values}
    counts = rest.astype("string").value_counts()
    near = {v: n for v, n in counts.items() if v.strip().casefold() in wanted}
    if near:
        shown = ", ".join(f"{v!r} ({n} post{'s' if n > 1 else ''})" for v, n in near.items())
        warnings.warn(EngagementLabWarning(
            f"label column {column!r}: {shown} differ from {values if len(values) > 1 else values[0]!r} only in "
            "case or spaces and are counted with the rest; correct them, or give them too as the value "
            "under test"), stacklevel=3)


def label_mask(posts: pd.DataFrame, label: str | tuple[str, Any]) -> pd.Series:
    """Which posts a ``label=`` argument marks as under test, as a nullable boolean Series.

    ``label`` takes the forms every analysis takes (:func:`toolkit.content_lift`): the name of a
    boolean column (True = under test), or a ``(column, value)`` pair, where posts whose
    ``column`` holds ``value`` (or one of several values) are under test and posts holding any
    other value are the rest. Missing cells give NA (not labelled). A number given for a text
    column matches its text, and the other way round (UCI ``Category`` 3 and ``"3"``). Values that
    differ from the one under test only in case or spaces (``"Personal "``) are counted with the rest
    and named in an :class:`~toolkit.errors.EngagementLabWarning`.

    >>> posts = pd.DataFrame({"content_label": ["personal", "brand", "event", None]})
    >>> label_mask(posts, ("content_label", "personal")).tolist()
    [True, False, False, <NA>]
    >>> label_mask(posts.assign(mine=[True, False, True, None]).astype({"mine": "boolean"}), "mine").tolist()
    [True, False, True, <NA>]
    """
    if isinstance(label, str):
        if label not in posts.columns:
            raise AnalysisError("label column not found", parameter="label", column=label,
                                found=sorted(map(str, posts.columns)))
        col = posts[label]
        if not (pd.api.types.is_bool_dtype(col) or str(col.dtype) == "boolean"):
            raise AnalysisError("a label given as a column name must be a boolean column (True = the "
                                "posts under test); give (column, value) for other columns",
                                parameter="label", column=label, found=str(col.dtype))
        return col.astype("boolean")
    if isinstance(label, tuple) and len(label) == 2:
        column, value = label
        if column not in posts.columns:
            raise AnalysisError("label column not found", parameter="label", column=column,
                                found=sorted(map(str, posts.columns)))
        col = posts[column]
        values = list(value) if isinstance(value, (list, tuple, set, frozenset)) else [value]
        mask = col.isin(values)
        if not mask.any():
            # tolerate a number given for a text column (UCI Category 3 vs "3") and vice versa
            mask = col.astype("string").isin([str(v) for v in values])
        mask = pd.Series(mask.to_numpy(dtype=bool), index=posts.index, dtype="boolean")
        mask[col.isna().to_numpy()] = pd.NA
        _warn_near_values(col[mask.eq(False).fillna(False).to_numpy(dtype=bool)], column, values)
        return mask
    raise AnalysisError("label must be a boolean column name or a (column, value) pair",
                        parameter="label", found=repr(label))


def _id_text(values: pd.Series) -> pd.Series:
    """Post ids as the text the loader keeps: trimmed, and a whole number stored as a float (``101.0``)
    written as a spreadsheet shows it (``101``, :func:`toolkit.loading.workbooks.cell_text`).

    >>> _id_text(pd.Series([" 17 ", 101.0, None])).tolist()
    ['17', '101', <NA>]
    """
    text = ["" if pd.isna(v) else cell_text(v).strip() for v in values]
    return pd.Series(pd.array([t or pd.NA for t in text], dtype="string"), index=values.index)


def _shared_id(posts: pd.DataFrame) -> str | None:
    """A post id that posts of two accounts share (None when each id is one account's).

    >>> _shared_id(pd.DataFrame({"account": ["a", "b", "b"], "post_id": ["1", "1", "2"]}))
    '1'
    """
    if "account" not in posts.columns:
        return None
    pairs = pd.DataFrame({"account": posts["account"].astype("string").str.strip(),
                          "post_id": _id_text(posts["post_id"])}).dropna().drop_duplicates()
    shared = pairs["post_id"][pairs["post_id"].duplicated()]
    return None if shared.empty else str(shared.iloc[0])


def _matching_rows(posts: pd.DataFrame, table: pd.DataFrame, where: Path | None) -> np.ndarray:
    """For each post, the position of the row of ``table`` that labels it (-1: none).

    Rows are keyed by ``(account, post_id)`` when both tables have an account column, else by
    ``post_id``, which must then name one post (an id shared by two accounts is an error asking for
    an account column), and a key may appear once.

    Ids are compared as :func:`_id_text` writes them, never guessed further (``123`` does not match
    ``00123``). An id in scientific notation (``1.74173E+18``, a spreadsheet's doing) has lost digits
    and is an error naming the row; label rows that match no post are counted in a warning.
    """
    if "post_id" not in posts.columns:
        raise AnalysisError("posts need a post_id column to attach labels to", parameter="posts",
                            column="post_id", found=sorted(map(str, posts.columns)))
    keys = _id_text(table["post_id"])
    sci = keys.str.fullmatch(_SCI_ID.pattern).fillna(False).to_numpy(dtype=bool)
    if sci.any():
        i = int(np.flatnonzero(sci)[0])
        raise DataFormatError("post_id in scientific notation has lost its last digits and matches no post; "
                              "export the ids as text", file=where, row=i + 2 if where is not None else None,
                              column="post_id", found=repr(table["post_id"].iloc[i])
                              + ("" if where is not None else f" at index {table.index[i]!r}"))
    post_keys = _id_text(posts["post_id"])
    if "account" in table.columns and "account" in posts.columns:  # one key per (account, post_id)
        keys = table["account"].astype("string").str.strip() + "\x1f" + keys
        post_keys = posts["account"].astype("string").str.strip() + "\x1f" + post_keys
    elif (shared := _shared_id(posts)) is not None:
        raise DataFormatError("the same post_id belongs to posts of several accounts, so labels without "
                              "an account column cannot say which: add an account column to the labels, "
                              "or take one account's posts (toolkit.metrics.of_account)", file=where,
                              column="account", found=f"post_id {shared!r}")
    twice = (keys.duplicated() & keys.notna()).to_numpy()
    if twice.any():
        i = int(np.flatnonzero(twice)[0])
        raise DataFormatError("post_id appears twice in the label table"
                              + (" for one account" if "account" in table.columns else ""), file=where,
                              row=i + 2 if where is not None else None, column="post_id",
                              found=repr(table["post_id"].iloc[i]))
    row_of = {key: i for i, key in enumerate(keys.tolist()) if key is not pd.NA}
    found = np.array([-1 if key is pd.NA else row_of.get(key, -1) for key in post_keys.tolist()], dtype=int)
    unmatched = np.setdiff1d(np.arange(len(table)), found)
    if len(unmatched):
        shown = ", ".join(repr(str(v)) for v in table["post_id"].iloc[unmatched[:3]])
        warnings.warn(EngagementLabWarning(
            f"{where if where is not None else 'label table'}: {len(unmatched)} of {len(table)} label rows match "
            f"no post and were left out (post_id {shown}{', ...' if len(unmatched) > 3 else ''})"), stacklevel=3)
    return found


def attach_labels(posts: pd.DataFrame, labels: str | Path | pd.DataFrame, *, column: str = "content_label",
                  overwrite: bool = False) -> pd.DataFrame:
    """A copy of ``posts`` with ``column`` filled from a ``post_id,<column>`` table (e.g. a scheduling
    tool's tags, or ``data/sample/labels/<account>.csv``), joined on ``(account, post_id)`` when the
    table has an ``account`` column too (needed when the posts' ids repeat across accounts).

    Posts the table does not mention keep their value (NA stays NA). With ``overwrite=False`` an
    existing non-missing value wins over the table. Ids are matched as the loader reads them (spaces
    trimmed, ``101.0`` as ``101``) and never guessed further (``123`` is not ``00123``); an id in
    scientific notation (``1.74173E+18``) has lost digits and is an error naming the row, and label
    rows that match no post are counted in an :class:`~toolkit.errors.EngagementLabWarning`.

    >>> posts = pd.DataFrame({"post_id": pd.array(["1", "2", "3"], dtype="string"),
    ...                       "content_label": pd.array([None, None, "brand"], dtype="string")})
    >>> tags = pd.DataFrame({"post_id": ["1", "3"], "content_label": ["personal", "personal"]})
    >>> attach_labels(posts, tags)["content_label"].tolist()
    ['personal', <NA>, 'brand']
    """
    if isinstance(labels, pd.DataFrame):
        table, where = labels, None
    else:
        where = Path(labels)
        if not where.exists():
            raise DataFormatError("label file not found", file=where)
        try:
            table = pd.read_csv(where, dtype=str, keep_default_na=False, na_values=[""])
        except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as err:
            raise DataFormatError("expected a label table: a UTF-8 CSV with a header row post_id,<label column>",
                                  file=where, found=first_line(str(err))) from None
    for c in ("post_id", column):
        if c not in table.columns:
            raise DataFormatError("label table needs columns post_id and the label column", file=where,
                                  column=c, found=list(table.columns))
    found = _matching_rows(posts, table, where)
    labels = table[column].astype("string").to_numpy()
    new = pd.Series(pd.array([labels[i] if i >= 0 else pd.NA for i in found], dtype="string"), index=posts.index)
    out = posts.copy()
    old = out[column].astype("string") if column in out.columns else pd.Series(pd.NA, index=out.index,
                                                                                  dtype="string")
    out[column] = new.where(new.notna(), old) if overwrite else old.where(old.notna(), new)
    return out


# ---------------------------------------------------------------------------------------------
# Hand labels on disk
# ---------------------------------------------------------------------------------------------
def append_label(path: str | Path, post_id: str, label: str) -> None:
    """Append one hand label to the CSV at ``path`` and force it to disk (flush + fsync).

    The file is created with a header if needed. Each label is durable when this returns, so a
    kernel that dies mid-session loses nothing that was already labelled.

    >>> import tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "labels.csv")
    >>> append_label(p, "123", "personal"); append_label(p, "124", "not")
    >>> load_hand_labels(p)[["post_id", "label"]].values.tolist()
    [['123', 'personal'], ['124', 'not']]
    """
    if label not in HAND_LABELS:
        raise AnalysisError(f"hand label must be one of {list(HAND_LABELS)}", parameter="label", found=label)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    new = not path.exists() or path.stat().st_size == 0
    torn = False
    if not new:
        with open(path, "rb") as handle:
            handle.seek(-1, os.SEEK_END)
            torn = handle.read(1) != b"\n"  # a row cut short by a crash: end it, never extend it
    with open(path, "a", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        if new:
            writer.writerow(HAND_COLUMNS)
        if torn:
            handle.write("\n")
        writer.writerow([str(post_id), label, datetime.now(timezone.utc).isoformat(timespec="seconds")])
        handle.flush()
        os.fsync(handle.fileno())


def _is_torn(row: list[str]) -> bool:
    """A row cut short while it was being written: a post id alone, or with the start of a label."""
    return len(row) == 1 or (len(row) == 2 and any(k.startswith(row[1]) for k in HAND_LABELS))


def load_hand_labels(path: str | Path) -> pd.DataFrame:
    """The hand labels saved at ``path``: one row per ``post_id`` (the latest label wins).

    A missing file gives an empty table. A row cut short by a crash while it was being written (a
    post id alone, or with the start of a valid label, wherever :func:`append_label` left it) is
    ignored with a warning naming the row; any other malformed row, the last one too (a complete row
    with a mistyped label), is an error naming the row.
    """
    path = Path(path)
    empty = pd.DataFrame({c: pd.Series(dtype="string") for c in HAND_COLUMNS})
    if not path.exists() or path.stat().st_size == 0:
        return empty
    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    if not rows or [c.strip() for c in rows[0]] != list(HAND_COLUMNS):
        raise DataFormatError("hand-label file must start with the header post_id,label,labelled_at",
                              file=path, row=1, found=rows[0] if rows else "empty")
    body = rows[1:]
    good = []
    torn = []
    for i, row in enumerate(body, start=2):
        if len(row) == 3 and row[1] in HAND_LABELS:
            good.append(row)
        elif _is_torn(row):
            torn.append(i)
        else:
            raise DataFormatError("malformed hand-label row", file=path, row=i, found=row)
    if torn:
        rows_text = f"row{'s' if len(torn) > 1 else ''} {', '.join(map(str, torn))}"
        warnings.warn(EngagementLabWarning(
            f"{path}, {rows_text}: cut short while being written (a crash) and ignored; "
            "label that post again"), stacklevel=2)
    if not good:
        return empty
    frame = pd.DataFrame(good, columns=list(HAND_COLUMNS)).astype("string")
    return frame.drop_duplicates("post_id", keep="last").reset_index(drop=True)


def hand_label_column(posts: pd.DataFrame, labels: str | Path | pd.DataFrame) -> pd.Series:
    """Hand labels aligned to ``posts`` as a boolean Series (personal True, not False, else NA).

    Ids match as :func:`attach_labels` matches them; hand labels of no post in ``posts`` are counted
    in a warning.
    """
    if isinstance(labels, pd.DataFrame):
        table, where = labels, None
    else:
        table, where = load_hand_labels(labels), Path(labels)
    found = _matching_rows(posts, table, where)
    values = [HAND_LABELS.get(v) for v in table["label"].astype(str)]
    return pd.Series(pd.array([pd.NA if i < 0 or values[i] is None else values[i] for i in found], dtype="boolean"),
                     index=posts.index, name="hand")


def _of_posts(posts: pd.DataFrame, frame: pd.DataFrame, column: str, parameter: str) -> pd.Series:
    """``frame[column]`` for each of ``posts``: as it is when ``frame`` has the posts' index and ids,
    else joined by ``post_id`` (a frame made before the posts were sorted or filtered), else by the
    posts' index; labels that can be matched neither way are an error naming ``parameter``.
    """
    same_ids = "post_id" not in frame.columns or "post_id" not in posts.columns or (
        frame["post_id"].astype("string").equals(posts["post_id"].astype("string")))
    if frame.index.equals(posts.index) and same_ids:
        return frame[column]
    if "post_id" not in frame.columns or "post_id" not in posts.columns:
        if frame.index.is_unique and posts.index.is_unique and posts.index.isin(frame.index).all():
            return frame[column].reindex(posts.index)
        raise AnalysisError("labels of other posts: give them with a post_id column, or with the posts' "
                            "own index", parameter=parameter, found=f"columns {sorted(map(str, frame.columns))}")
    found = _matching_rows(posts, frame, None)
    values = frame[column].astype("boolean").to_numpy()
    return pd.Series(pd.array([values[i] if i >= 0 else pd.NA for i in found], dtype="boolean"),
                     index=posts.index)


def combine_labels(posts: pd.DataFrame, *, label: str | tuple[str, Any] | None = None,
                   column: str | None = None, mapping: dict | None = None,
                   heuristic: bool | pd.DataFrame = False, hand: str | Path | pd.DataFrame | None = None,
                   order: tuple[str, ...] = ("hand", "column", "heuristic"), name: str = "personal",
                   language: str = "en") -> pd.DataFrame:
    """A copy of ``posts`` with one boolean label column ``name`` and ``<name>_source``.

    Each post takes its label from the first source in ``order`` that has one: ``"hand"`` (labels
    saved by the labelling widget), ``"column"`` (an existing column) and ``"heuristic"``
    (:func:`label_personal`, or a frame it returned: joined by ``post_id`` when the posts were
    sorted or filtered since). Posts no source labels stay NA.

    The column source is either ``label``, as the analyses take it (a boolean column, or
    ``(column, value)``: that value True, every other value False, see :func:`label_mask`), so
    the combined label marks the same posts :func:`toolkit.content_lift` would; or ``column``
    through ``mapping`` (value -> True/False; unmapped values stay NA, see :func:`from_column`).

    >>> posts = pd.DataFrame({"post_id": ["1", "2", "3"], "text": ["My dog!", "Shop now", None],
    ...                       "kind": ["x", "promo", "x"]})
    >>> out = combine_labels(posts, column="kind", mapping={"promo": False}, heuristic=True)
    >>> out["personal"].tolist(), out["personal_source"].tolist()
    ([True, False, <NA>], ['heuristic', 'column', <NA>])
    >>> combine_labels(posts, label=("kind", "x"))["personal"].tolist()
    [True, False, True]
    """
    sources: dict[str, pd.Series] = {}
    if hand is not None:
        sources["hand"] = hand_label_column(posts, hand)
    if label is not None and column is not None:
        raise AnalysisError("give the column source once: label, or column with a mapping",
                            parameter="label", found=f"label={label!r}, column={column!r}")
    if label is not None:
        sources["column"] = label_mask(posts, label)
    if column is not None:
        if mapping is None:
            raise AnalysisError("a label column needs a mapping (value -> True/False)", parameter="mapping")
        sources["column"] = from_column(posts, column, mapping)
    if heuristic is not False and heuristic is not None:
        h = label_personal(posts, language=language) if heuristic is True else heuristic
        sources["heuristic"] = _of_posts(posts, h, "personal", "heuristic")
    if not sources:
        raise AnalysisError("give at least one label source (hand, label or column, or heuristic)", parameter="order")
    label = pd.Series(pd.NA, index=posts.index, dtype="boolean")
    source = pd.Series(pd.NA, index=posts.index, dtype="string")
    for key in order:
        if key not in sources:
            continue
        s = sources[key].astype("boolean")
        fill = label.isna() & s.notna()
        label[fill] = s[fill]
        source[fill] = key
    out = posts.copy()
    out[name] = label
    out[f"{name}_source"] = source
    return out


LABEL_SOURCES = ("tags", "combined")


def compared_by(posts: pd.DataFrame, source: str, *, label: str | tuple[str, Any],
                heuristic: bool | pd.DataFrame = True, hand: str | Path | pd.DataFrame | None = None,
                name: str = "personal") -> tuple[pd.DataFrame, str | tuple[str, Any]]:
    """The posts and the ``label=`` an analysis compares them by, for a label source given by name
    (notebook 03's ``LABEL_SOURCE``).

    ``"tags"``: ``posts`` as they are, compared by ``label``. ``"combined"``: for data without
    tags, or only some: :func:`combine_labels` gives each post its hand label, else its tag
    (``label``, when its column holds any value), else the heuristic's, and the posts are compared
    by ``name``; ``<name>_source`` says where each label came from. Posts no source labels stay NA
    and the analyses leave them out.

    >>> posts = pd.DataFrame({"post_id": ["1", "2"], "text": ["My dog and I, at home with the kids!", "Shop now"],
    ...                       "content_label": [None, "brand"]})
    >>> compared, by = compared_by(posts, "combined", label=("content_label", "personal"))
    >>> by, compared["personal"].tolist(), compared["personal_source"].tolist()
    ('personal', [True, False], ['heuristic', 'column'])
    >>> compared_by(posts, "tags", label=("content_label", "personal"))[1]
    ('content_label', 'personal')
    """
    if source not in LABEL_SOURCES:
        raise AnalysisError(f"expected one of {list(LABEL_SOURCES)}", parameter="source", found=repr(source))
    if source == "tags":
        return posts, label
    column = label[0] if isinstance(label, tuple) else label
    tagged = column in posts.columns and bool(posts[column].notna().any())
    return combine_labels(posts, label=label if tagged else None, heuristic=heuristic, hand=hand,
                          name=name), name


# ---------------------------------------------------------------------------------------------
# Agreement
# ---------------------------------------------------------------------------------------------
@dataclass
class Agreement:
    """Agreement between two labellings of the same posts."""

    confusion: pd.DataFrame
    kappa: float
    se: float
    ci_low: float
    ci_high: float
    observed: float
    expected: float
    n: int
    text: str

    def _repr_html_(self) -> str:
        import html

        return (f"<div><p>{html.escape(self.text)}</p>"
                + self.confusion.to_html(border=0) + "</div>")

    def __str__(self) -> str:
        return self.text + "\n" + self.confusion.to_string()


def _boolean_labels(values: Any, parameter: str) -> pd.Series:
    """``values`` as a nullable boolean Series, or an error naming ``parameter`` and what it holds."""
    values = pd.Series(values)
    try:
        return values.astype("boolean")
    except (TypeError, ValueError):
        shown = ", ".join(map(repr, values.dropna().unique()[:3]))
        raise AnalysisError("labels must be True, False or missing; turn text labels into those "
                            "with from_column (or hand_label_column for hand labels)",
                            parameter=parameter, found=f"{values.dtype} values such as {shown}") from None


def _same_posts(a: Any, b: Any) -> tuple[pd.Series, pd.Series]:
    """Two labellings as boolean Series over the same posts: Series are aligned on their index (a
    Series and a list by position), and labellings that share no post are an error.
    """
    series = isinstance(a, pd.Series) and isinstance(b, pd.Series)
    a, b = _boolean_labels(a, "a"), _boolean_labels(b, "b")
    if not series:
        if len(a) != len(b):
            raise AnalysisError("a and b must label the same posts: give as many labels in each, or two "
                                "Series with the posts' index", parameter="b", found=f"{len(a)} and {len(b)} labels")
        return a, b.set_axis(a.index)
    if a.index.equals(b.index):
        return a, b
    if a.index.has_duplicates or b.index.has_duplicates or not a.index.isin(b.index).any():
        raise AnalysisError("a and b must label the same posts: their indexes differ (keep the posts' "
                            "index on both, e.g. from the same posts table)", parameter="b",
                            found=f"indexes {list(a.index[:3])}... and {list(b.index[:3])}...")
    return a, b.reindex(a.index)


def agreement(a: pd.Series, b: pd.Series, names: tuple[str, str] = ("heuristic", "hand"),
              level: float = 0.95) -> Agreement:
    """Confusion table and Cohen's kappa of two boolean labellings, over posts both labelled.

    Two Series are matched on their index (the posts'); a list or array is taken in the other's order.

    Kappa = (p_o - p_e) / (1 - p_e) (Cohen 1960); its interval uses the large-sample standard error
    sqrt(p_o (1 - p_o) / (n (1 - p_e)^2)).

    >>> a = pd.Series([True] * 25 + [False] * 25)
    >>> b = pd.Series([True] * 20 + [False] * 5 + [True] * 10 + [False] * 15)
    >>> ag = agreement(a, b)   # closed form: p_o = 0.7, p_e = 0.5, kappa = 0.4
    >>> round(ag.kappa, 3), ag.n
    (0.4, 50)
    """
    from scipy import stats

    if not is_fraction(level):
        raise AnalysisError("level must be between 0 and 1 (0.95 for 95%)", parameter="level", found=level)
    a, b = _same_posts(a, b)
    both = a.notna() & b.notna()
    x = a[both].astype(bool).to_numpy()
    y = b[both].astype(bool).to_numpy()
    n = len(x)
    cats = [True, False]
    labels = ["personal", "not personal"]
    table = np.array([[np.sum((x == i) & (y == j)) for j in cats] for i in cats])
    confusion = pd.DataFrame(table, index=pd.Index([f"{names[0]}: {l}" for l in labels]),
                             columns=pd.Index([f"{names[1]}: {l}" for l in labels]))
    if n == 0:
        nan = float("nan")
        return Agreement(confusion, nan, nan, nan, nan, nan, nan, 0,
                         f"No post has both a {names[0]} and a {names[1]} label yet.")
    po = np.trace(table) / n
    pe = float((table.sum(1) / n) @ (table.sum(0) / n))
    if pe == 1:
        # both labellings used one and the same class for every post: kappa = 0 / 0
        nan = float("nan")
        used = labels[0] if x[0] else labels[1]
        return Agreement(confusion, nan, nan, nan, nan, float(po), pe, n,
                         f"{names[0]} and {names[1]} labels agree on {po:.0%} of {n} posts (raw agreement), "
                         f"but Cohen's kappa is undefined because only one class was used ({used}): "
                         "label posts of both kinds to measure agreement beyond chance.")
    kappa = (po - pe) / (1 - pe)
    se = float(np.sqrt(po * (1 - po) / (n * (1 - pe) ** 2)))
    z = stats.norm.ppf(0.5 + level / 2)
    lo, hi = kappa - z * se, kappa + z * se
    verdict = ("almost perfect" if kappa > 0.8 else "substantial" if kappa > 0.6 else "moderate"
               if kappa > 0.4 else "fair" if kappa > 0.2 else "slight or none")
    text = (f"{names[0]} and {names[1]} labels agree on {po:.0%} of {n} posts; Cohen's kappa = "
            f"{kappa:.2f} ({level:.0%} CI {lo:.2f} to {hi:.2f}), {verdict} agreement beyond chance"
            " (Landis and Koch).")
    if n < 30:
        text += f" Only {n} posts are labelled by both: label more before trusting this."
    return Agreement(confusion, float(kappa), se, float(lo), float(hi), float(po), pe, n, text)
