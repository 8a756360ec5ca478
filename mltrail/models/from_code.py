"""Models from code: a Python file that builds the model and hands it over with set_model."""

from __future__ import annotations

import importlib.util
import os
import sys
import threading
import uuid
from typing import Any

from mltrail.exceptions import InvalidParameterValue

__all__ = ["load_model_from_code", "set_model"]

_lock = threading.Lock()
_state = threading.local()


def set_model(model: Any) -> None:
    """Declare the model object of a models-from-code file.

    Call it at the end of the file passed as ``python_model="agent.py"``; loading the file
    runs it and picks up this object.
    """
    _state.model = model


def load_model_from_code(path: str) -> Any:
    """Run a models-from-code file and return the object it passed to ``set_model``.

    Raises:
        InvalidParameterValue: The file does not exist or never calls ``set_model``.
    """
    if not os.path.isfile(path):
        raise InvalidParameterValue(f"Model code file {path!r} does not exist.")
    name = f"_mltrail_model_code_{uuid.uuid4().hex}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise InvalidParameterValue(f"Cannot load {path!r} as Python code.")
    module = importlib.util.module_from_spec(spec)
    with _lock:
        _state.model = None
        sys.modules[name] = module
        try:
            spec.loader.exec_module(module)
        finally:
            sys.modules.pop(name, None)
        model = _state.model
        _state.model = None
    if model is None:
        raise InvalidParameterValue(
            f"{path!r} did not call set_model(); end the file with set_model(<your model>)."
        )
    return model
