"""Dataset constructors for ``log_input``: ``from_pandas``, ``from_numpy`` (imported on use)."""

from __future__ import annotations

import importlib
from typing import Any

from mltrail.data.dataset import Dataset, DatasetSource

__all__ = ["Dataset", "DatasetSource", "from_numpy", "from_pandas"]

_LAZY = {
    "from_pandas": "mltrail.data.pandas_dataset",
    "from_numpy": "mltrail.data.numpy_dataset",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'mltrail.data' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
