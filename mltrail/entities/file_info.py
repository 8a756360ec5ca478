"""Entries of an artifact listing."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["FileInfo"]


@dataclass(frozen=True, slots=True)
class FileInfo:
    """A file or directory under an artifact root.

    Args:
        path: Path relative to the artifact root, with ``/`` separators.
        is_dir: True for a directory.
        file_size: Size in bytes, None for directories.
    """

    path: str
    is_dir: bool
    file_size: int | None = None
