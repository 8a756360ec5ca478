"""Self-contained page tokens: the offset of the next page, encoded, never server state."""

from __future__ import annotations

import base64
import binascii
import json

from mltrail.exceptions import InvalidParameterValue

__all__ = ["decode_page_token", "encode_page_token"]


def encode_page_token(offset: int) -> str:
    """Return the token for the page that starts at ``offset``."""
    raw = json.dumps({"offset": offset}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode()


def decode_page_token(token: str) -> int:
    """Return the offset a token points at.

    Raises:
        InvalidParameterValue: The token was not made by ``encode_page_token``.
    """
    try:
        padded = token + "=" * (-len(token) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode()))
        offset = data["offset"]
    except (ValueError, KeyError, TypeError, binascii.Error, UnicodeDecodeError):
        raise InvalidParameterValue(
            f"Invalid page token {token[:40]!r}: pass the next_page_token of a previous "
            "response unchanged."
        ) from None
    if isinstance(offset, bool) or not isinstance(offset, int) or offset < 0:
        raise InvalidParameterValue(f"Invalid page token {token[:40]!r}: bad offset.")
    return offset
