"""numpy arrays to PIL images for ``log_image`` (imports numpy and Pillow; loaded on first use)."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
from PIL import Image

from mltrail.exceptions import InvalidParameterValue

__all__ = ["array_to_image"]

_KINDS = {"b": "bool", "i": "signed integer", "u": "unsigned integer", "f": "float"}


def array_to_image(array: Any) -> Image.Image:
    """Convert an array of shape (H, W), (H, W, 1), (H, W, 3) or (H, W, 4) to an image.

    Integers must lie in [0, 255]; floats and booleans are read as [0, 1] (floats outside it are
    min-max scaled, with a warning).

    Raises:
        InvalidParameterValue: The dtype, the shape or the integer range does not fit an image.
    """
    x = np.asarray(array)
    if x.dtype.kind not in _KINDS:
        raise InvalidParameterValue(
            f"Cannot log an array of dtype {x.dtype} as an image; use one of "
            f"{', '.join(_KINDS.values())}."
        )
    if x.ndim == 3 and x.shape[2] == 1:
        x = x[:, :, 0]
    if x.ndim not in (2, 3) or (x.ndim == 3 and x.shape[2] not in (3, 4)):
        raise InvalidParameterValue(
            f"Cannot log an array of shape {x.shape} as an image; use (H, W) for grayscale, "
            "(H, W, 3) for RGB or (H, W, 4) for RGBA."
        )
    if x.dtype.kind in "iu":
        if x.size and (x.min() < 0 or x.max() > 255):
            raise InvalidParameterValue(
                f"Integer pixel values must lie in [0, 255]; found {x.min()} to {x.max()}. "
                "Clip or rescale the array first."
            )
        return Image.fromarray(x.astype(np.uint8))
    x = x.astype(np.float64)
    low, high = (float(x.min()), float(x.max())) if x.size else (0.0, 1.0)
    if low < 0 or high > 1:
        warnings.warn(
            f"Float pixel values lie in [{low}, {high}], outside [0, 1]; rescaling them "
            "with a min-max scaler.",
            stacklevel=3,
        )
        x = (x - low) / (high - low) if high > low else np.zeros_like(x)
    return Image.fromarray((x * 255).astype(np.uint8))
