"""The ``mltrail`` command line: click commands mirroring ``mlflow``'s."""

from __future__ import annotations

__all__: list[str] = []
