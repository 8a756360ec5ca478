"""Dataset constructors: digest stability, schema, profile and source."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import mltrail.data as mdata


def _frame() -> pd.DataFrame:
    return pd.DataFrame({"x": [1.0, 2.5, 3.0], "label": [0, 1, 0], "name": ["a", "b", "c"]})


def test_from_pandas_describes_schema_profile_and_source() -> None:
    ds = mdata.from_pandas(_frame(), source="s3://bucket/train.parquet", targets="label", name="t")
    entity = ds.to_entity()
    assert entity.name == "t"
    assert entity.source_type == "s3"
    assert json.loads(entity.source) == {"uri": "s3://bucket/train.parquet"}
    assert entity.schema is not None
    assert entity.profile is not None
    cols = json.loads(entity.schema)["mlflow_colspec"]
    assert [(c["name"], c["type"]) for c in cols] == [
        ("x", "double"),
        ("label", "long"),
        ("name", "string"),
    ]
    assert json.loads(entity.profile) == {"num_rows": 3, "num_elements": 9}
    assert len(entity.digest) == 8


def test_digest_is_stable_and_content_sensitive() -> None:
    a = mdata.from_pandas(_frame()).digest
    assert a == mdata.from_pandas(_frame()).digest
    changed = _frame()
    changed.loc[0, "x"] = 9.0
    assert mdata.from_pandas(changed).digest != a


def test_from_pandas_rejects_unknown_target() -> None:
    with pytest.raises(ValueError, match="targets='y' is not a column"):
        mdata.from_pandas(_frame(), targets="y")


def test_from_numpy_with_targets() -> None:
    features = np.arange(12, dtype=np.float32).reshape(4, 3)
    ds = mdata.from_numpy(features, targets=np.array([0, 1, 0, 1]))
    entity = ds.to_entity()
    assert entity.source_type == "code"
    schema = json.loads(entity.schema or "{}")
    assert schema["features"]["mlflow_tensorspec"][0]["tensor-spec"]["shape"] == [-1, 3]
    assert ds.digest == mdata.from_numpy(features.copy(), targets=np.array([0, 1, 0, 1])).digest


def test_from_numpy_rejects_mismatched_rows() -> None:
    with pytest.raises(ValueError, match="features has 2 rows but targets has 3"):
        mdata.from_numpy(np.zeros((2, 2)), targets=np.zeros(3))
