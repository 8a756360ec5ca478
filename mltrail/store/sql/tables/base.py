"""Declarative base and the column types shared by every table."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import mysql
from sqlalchemy.orm import DeclarativeBase

__all__ = ["Base", "BinaryText", "Key"]


def Key(length: int) -> sa.types.TypeEngine[str]:
    """A VARCHAR compared byte-for-byte on every dialect (MySQL's default is case-insensitive)."""
    return sa.String(length).with_variant(
        mysql.VARCHAR(length, charset="utf8mb4", collation="utf8mb4_bin"), "mysql", "mariadb"
    )


def BinaryText() -> sa.types.TypeEngine[str]:
    """Long text compared byte-for-byte (MEDIUMTEXT on MySQL, so 8000-char values fit)."""
    return sa.Text().with_variant(
        mysql.MEDIUMTEXT(charset="utf8mb4", collation="utf8mb4_bin"), "mysql", "mariadb"
    )


class Base(DeclarativeBase):
    """Base of every mltrail table."""
