"""Datasets built from pandas DataFrames (imports pandas)."""

from __future__ import annotations

import hashlib
from typing import Any

import pandas as pd

from mltrail.data.dataset import Dataset, DatasetSource
from mltrail.data.schema import colspec_schema, dtype_name

__all__ = ["from_pandas"]

_DIGEST_ROWS = 10_000


def _digest(df: pd.DataFrame) -> str:
    hasher = hashlib.sha256()
    hasher.update(repr((df.shape, [str(c) for c in df.columns])).encode())
    sample = df.head(_DIGEST_ROWS)
    try:
        hashed = pd.util.hash_pandas_object(sample, index=False).to_numpy()
        hasher.update(hashed.tobytes())
    except TypeError:
        # Columns of unhashable values (lists, dicts): fall back to their text form.
        hasher.update(sample.to_json(orient="split", default_handler=str).encode())
    return hasher.hexdigest()[:8]


def from_pandas(
    df: pd.DataFrame,
    source: str | None = None,
    targets: str | None = None,
    name: str | None = None,
    digest: str | None = None,
) -> Dataset:
    """Describe a pandas DataFrame as a dataset for ``log_input``.

    Args:
        df: The data.
        source: Where it came from (path or URI); None means it was made in code.
        targets: Name of the target column, if any.
        name: Dataset name; ``dataset`` by default.
        digest: Override the computed content digest.

    Raises:
        ValueError: ``targets`` names a column the DataFrame does not have.
    """
    if targets is not None and targets not in df.columns:
        raise ValueError(
            f"targets={targets!r} is not a column of the DataFrame; columns are "
            f"{[str(c) for c in df.columns]}."
        )
    columns: list[tuple[str, str]] = [(str(c), dtype_name(df[c].dtype)) for c in df.columns]
    profile: dict[str, Any] = {"num_rows": len(df), "num_elements": int(df.size)}
    return Dataset(
        name or "dataset",
        digest or _digest(df),
        DatasetSource.from_uri(source),
        colspec_schema(columns),
        profile,
        targets,
    )
