"""Artifact locations: resolving roots to URIs and appending path segments."""

from __future__ import annotations

import posixpath
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

__all__ = ["append_path", "resolve_root"]


def resolve_root(root: str) -> str:
    """Turn a local path into an absolute ``file://`` URI; leave other URIs as they are."""
    parts = urlsplit(root)
    if parts.scheme and len(parts.scheme) > 1:
        return root.rstrip("/") if parts.scheme != "file" else root
    return Path(root).expanduser().resolve().as_uri()


def append_path(root: str, *segments: str) -> str:
    """Append path segments to a URI or path, keeping its scheme, host and query."""
    parts = urlsplit(root)
    if not parts.scheme or len(parts.scheme) == 1:
        return str(Path(root, *segments))
    path = posixpath.join(parts.path or "/", *segments)
    return urlunsplit((parts.scheme, parts.netloc, path, parts.query, parts.fragment))
