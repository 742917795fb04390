"""Loading platform exports into the canonical tables (see :func:`load`)."""

from toolkit.loading.core import Dataset, detect, load
from toolkit.loading.registry import Format, formats, register

__all__ = ["Dataset", "Format", "detect", "formats", "load", "register"]
