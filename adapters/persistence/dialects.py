"""The few places where SQLite and PostgreSQL need their own SQL: upserts, and IN-list sizes."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from itertools import islice
from typing import TypeVar

from sqlalchemy import ColumnElement, Connection, String, Table, any_, literal
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import QueryableAttribute, Session

T = TypeVar("T")

# SQLite's historical bound-parameter limit is 999; stay under it whatever the build.
IN_CHUNK = 900
WRITE_CHUNK = 1_000

Insert = sqlite.Insert | postgresql.Insert


def insert_for(executor: Session | Connection, table: Table) -> Insert:
    """An INSERT that knows ON CONFLICT for the dialect in use."""
    name = dialect_of(executor)
    if name == "sqlite":
        return sqlite.insert(table)
    if name == "postgresql":
        return postgresql.insert(table)
    raise NotImplementedError(f"unsupported database dialect {name!r}: use SQLite or PostgreSQL")


def dialect_of(executor: Session | Connection) -> str:
    bind = executor.get_bind() if isinstance(executor, Session) else executor
    return bind.dialect.name


def one_of(
    executor: Session | Connection,
    column: ColumnElement[str] | QueryableAttribute[str],
    values: Sequence[str],
) -> ColumnElement[bool]:
    """column IN values. On PostgreSQL one array parameter, not hundreds of casted ones:
    planning those made each 500-value lookup ~50x slower."""
    if dialect_of(executor) == "postgresql":
        return column == any_(literal(list(values), type_=postgresql.ARRAY(String())))
    return column.in_(values)


def chunked(items: Iterable[T], size: int) -> Iterator[list[T]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk
