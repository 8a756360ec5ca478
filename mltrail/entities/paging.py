"""A page of search results with the token for the next page."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Generic, TypeVar

__all__ = ["PagedList"]

T = TypeVar("T")


class PagedList(list[T], Generic[T]):
    """A list of results plus ``token``, the page token of the next page (None at the end)."""

    def __init__(self, items: Iterable[T], token: str | None) -> None:
        super().__init__(items)
        self.token = token
