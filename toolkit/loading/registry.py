"""The registry of export formats.

A format is one small declarative :class:`Format`: the header fields that identify it
(``signature``), how its columns map onto the canonical tables (``columns``), and its quirks
(date formats, placeholders, preamble lines). Formats whose files need more than a column mapping
give a ``parse`` function; everything else is handled by :mod:`toolkit.loading.build`.

Adding a format means writing one module under ``toolkit/loading/platforms/`` that calls
:func:`register`, and adding it to ``FORMAT_MODULES`` below; no other format is touched.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

from toolkit.errors import DataFormatError

if TYPE_CHECKING:  # pragma: no cover
    from toolkit.loading.source import Parsed, Source

__all__ = ["Format", "register", "get", "all_formats", "formats", "FORMAT_MODULES"]

#: Modules that register formats, imported on first use.
FORMAT_MODULES = (
    "toolkit.loading.platforms.x",
    "toolkit.loading.platforms.uci",
    "toolkit.loading.platforms.generic",
    "toolkit.loading.platforms.follower_history",
    "toolkit.loading.platforms.facebook",
    "toolkit.loading.platforms.hootsuite",
    "toolkit.loading.platforms.meta",
    "toolkit.loading.platforms.linkedin",
    "toolkit.loading.platforms.youtube",
    "toolkit.loading.platforms.instagram",
)

Aliases = str | tuple[str, ...]


@dataclass(frozen=True)
class Format:
    """One export format.

    Attributes
    ----------
    name
        Short identifier used in reports and in ``load(format=...)``.
    platform
        Canonical platform (``x``, ``facebook``, ...).
    description
        One line saying which export this is.
    signature
        Normalised header names (see :func:`toolkit.loading.parse.normalise_header`) that must all
        be present for a file to be recognised as this format.
    table
        Which canonical table the rows feed: ``posts``, ``followers`` or ``daily``.
    columns
        Canonical column -> source column name or tuple of aliases (normalised names).
    date_formats
        ``strptime`` formats tried in turn for the date column.
    date_only
        The source gives days, not times (``time_known`` is False).
    header_search
        How many leading lines may come before the header (preambles).
    skip_after_header
        Records under the header that are not data (a description row).
    parse
        Custom parser ``parse(source) -> Parsed`` for files a mapping cannot describe.
    detect
        Custom detector ``detect(path) -> header fields or None`` for files that are not
        delimited text (workbooks); returns the normalised header used for matching.
    extensions
        File name endings a delimited-text format is tried on. A format with ``detect`` is tried
        on every file (workbooks are recognised from their bytes); its list only documents the
        shapes it is seen in.
    options
        Format-specific settings read by its ``parse`` function.
    """

    name: str
    platform: str
    description: str
    signature: tuple[str, ...]
    table: str = "posts"
    columns: Mapping[str, Aliases] = field(default_factory=dict)
    date_formats: tuple[str, ...] = ()
    date_only: bool = False
    excel_serial: bool = False
    media_types: Mapping[str, str] = field(default_factory=dict)
    text_placeholders: tuple[str, ...] = ()
    header_search: int = 1
    skip_after_header: int = 0
    parse: Callable[["Source"], "Parsed"] | None = None
    detect: Callable[[Any], list[str] | None] | None = None
    extensions: tuple[str, ...] = (".csv", ".txt", ".tsv")
    options: Mapping[str, Any] = field(default_factory=dict)


_REGISTRY: dict[str, Format] = {}
_loaded = False


def register(fmt: Format) -> Format:
    """Add ``fmt`` to the registry (its name must be new) and return it."""
    if fmt.name in _REGISTRY and _REGISTRY[fmt.name] is not fmt:
        raise ValueError(f"format {fmt.name!r} is registered twice")
    _REGISTRY[fmt.name] = fmt
    return fmt


def _ensure_loaded() -> None:
    global _loaded
    if _loaded:
        return
    for module in FORMAT_MODULES:
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as exc:  # a format family not written yet
            if exc.name != module:
                raise
    _loaded = True


def all_formats() -> list[Format]:
    """Every registered format."""
    _ensure_loaded()
    return list(_REGISTRY.values())


def get(name: str) -> Format:
    """The format called ``name``; :class:`DataFormatError` lists the known names otherwise."""
    _ensure_loaded()
    try:
        return _REGISTRY[name]
    except KeyError:
        raise DataFormatError("unknown format; see toolkit.formats()", parameter="format",
                              found=name) from None


def formats() -> pd.DataFrame:
    """The supported export formats, one row each.

    >>> table = formats()
    >>> {"x_legacy_posts", "uci_facebook"} <= set(table["format"])
    True
    """
    rows = [
        {"format": f.name, "platform": f.platform, "table": f.table, "description": f.description}
        for f in all_formats()
    ]
    return pd.DataFrame(rows).sort_values(["platform", "format"], ignore_index=True)
