"""Path safety for artifact paths that come from users and clients.

An artifact path is relative, ``/``-separated and stays inside its root whatever it holds:
``..`` segments (also percent-encoded, once or twice), backslashes, absolute paths, drive
letters and NUL bytes are rejected, and a symlink inside the root that points out is refused
when it is resolved.
"""

from __future__ import annotations

import os
import posixpath
import re
from pathlib import Path
from urllib.parse import unquote

from mltrail.exceptions import InvalidParameterValue

__all__ = ["resolve_inside", "safe_relative"]

_DRIVE = re.compile(r"^[A-Za-z]:")


def safe_relative(path: str | None) -> str:
    """Validate an artifact path and return it normalised ("" for the root).

    Raises:
        InvalidParameterValue: The path could leave its root.
    """
    if path is None:
        return ""
    if "\x00" in path or "\\" in path:
        raise InvalidParameterValue(
            f"Invalid artifact path {path!r}: NUL and backslash are not allowed."
        )
    # Reject traversal hidden behind percent-encoding, decoded up to three times.
    decoded = path
    for _ in range(3):
        if "\x00" in decoded or "\\" in decoded:
            raise InvalidParameterValue(f"Invalid artifact path {path!r}.")
        if any(seg == ".." for seg in decoded.split("/")):
            raise InvalidParameterValue(
                f"Invalid artifact path {path!r}: '..' segments are not allowed."
            )
        nxt = unquote(decoded)
        if nxt == decoded:
            break
        decoded = nxt
    if path.startswith("/") or _DRIVE.match(path) or path.startswith("~"):
        raise InvalidParameterValue(
            f"Invalid artifact path {path!r}: use a path relative to the artifact root."
        )
    normal = posixpath.normpath(path) if path else ""
    if normal in (".", ""):
        return ""
    return normal


def resolve_inside(root: Path, path: str | None) -> Path:
    """Return ``root / path`` after checking that it resolves inside ``root`` (symlinks too).

    Raises:
        InvalidParameterValue: The path, or a symlink on it, leads outside the root.
    """
    rel = safe_relative(path)
    real_root = Path(os.path.realpath(root))
    target = Path(os.path.realpath(real_root / rel)) if rel else real_root
    # A string prefix test: the same answer as scanning target.parents, at a fraction of the cost.
    if target != real_root and not str(target).startswith(str(real_root).rstrip(os.sep) + os.sep):
        raise InvalidParameterValue(f"Invalid artifact path {path!r}: it leads outside the root.")
    return target
