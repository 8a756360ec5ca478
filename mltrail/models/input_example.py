"""Input examples: save one beside a model and read it back."""

from __future__ import annotations

import json
import os
from typing import Any

import numpy as np
import pandas as pd

from mltrail.exceptions import InvalidParameterValue

__all__ = ["INPUT_EXAMPLE_FILE", "load_input_example", "save_input_example"]

INPUT_EXAMPLE_FILE = "input_example.json"
SERVING_INPUT_FILE = "serving_input_example.json"


def _jsonable(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


def save_input_example(path: str, example: Any) -> dict[str, Any]:
    """Write ``input_example.json`` (and its serving form) and return the MLmodel info.

    Args:
        path: The model directory.
        example: A DataFrame, numpy array, dict, list or string.

    Returns:
        The ``saved_input_example_info`` mapping for the MLmodel file.
    """
    info: dict[str, Any] = {"artifact_path": INPUT_EXAMPLE_FILE}
    if isinstance(example, pd.Series):
        example = example.to_frame()
    if isinstance(example, pd.DataFrame):
        split = json.loads(example.to_json(orient="split", index=False, date_format="iso"))
        payload: Any = {"columns": split["columns"], "data": split["data"]}
        serving: Any = {"dataframe_split": payload}
        info.update(type="dataframe", pandas_orient="split")
    elif isinstance(example, np.ndarray):
        payload = {"inputs": example.tolist()}
        serving = payload
        info.update(type="ndarray", format="tf-serving")
    elif isinstance(example, dict | list | str | int | float | bool):
        payload = _jsonable(example)
        serving = {"inputs": payload}
        info["type"] = "json_object"
    else:
        raise InvalidParameterValue(
            f"Unsupported input example type {type(example).__name__}; use a DataFrame, numpy "
            "array, dict, list or string."
        )
    with open(os.path.join(path, INPUT_EXAMPLE_FILE), "w", encoding="utf-8") as fh:
        json.dump(payload, fh)
    with open(os.path.join(path, SERVING_INPUT_FILE), "w", encoding="utf-8") as fh:
        json.dump(serving, fh, indent=2)
    info["serving_input_path"] = SERVING_INPUT_FILE
    return info


def load_input_example(path: str, info: dict[str, Any] | None) -> Any:
    """Read a model directory's input example back (None when it has none)."""
    if not info:
        return None
    with open(os.path.join(path, info["artifact_path"]), encoding="utf-8") as fh:
        payload = json.load(fh)
    kind = info.get("type")
    if kind == "dataframe":
        return pd.DataFrame(payload["data"], columns=payload["columns"])
    if kind == "ndarray":
        return np.asarray(payload["inputs"])
    return payload
