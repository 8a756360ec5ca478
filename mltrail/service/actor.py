"""Who is making the current call, and under which request id: recorded in audit events.

The server sets the actor per request (from the authenticated user and the ``X-Request-Id``
header); in-process callers are the local OS user. A ``ContextVar`` keeps concurrent requests
apart, in threads and asyncio tasks alike.
"""

from __future__ import annotations

import getpass
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

__all__ = ["Actor", "acting_as", "current_actor"]


@dataclass(frozen=True, slots=True)
class Actor:
    """The caller of a service method.

    Args:
        user_id: The user's name, or None when anonymous.
        request_id: The id of the request being served, if any.
    """

    user_id: str | None
    request_id: str | None = None


_actor: ContextVar[Actor | None] = ContextVar("mltrail_actor", default=None)


def _local_user() -> str | None:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no user name in a bare container
        return None


def current_actor() -> Actor:
    """Return the caller set by ``acting_as``, else the local OS user."""
    actor = _actor.get()
    return actor if actor is not None else Actor(_local_user())


@contextmanager
def acting_as(user_id: str | None, request_id: str | None = None) -> Iterator[Actor]:
    """Run the enclosed calls on behalf of ``user_id`` (and record ``request_id``)."""
    actor = Actor(user_id, request_id)
    token = _actor.set(actor)
    try:
        yield actor
    finally:
        _actor.reset(token)
