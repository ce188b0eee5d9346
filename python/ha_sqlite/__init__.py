"""ha_sqlite: a PEP 249 (DB-API 2.0) driver for ha, the highly available SQLite cluster.

    import ha_sqlite

    # A node, over gRPC:
    conn = ha_sqlite.connect("http://localhost:8080", token="...")

    # Or a live in-process replica of the cluster database ha.db in a local SQLite file:
    conn = ha_sqlite.connect("file:/data/app.db", replication_url="nats://localhost:4222",
                             node="py-1", database="ha.db")

    with conn:
        conn.execute("INSERT INTO users(name) VALUES (?)", ("ada",))
    print(conn.execute("SELECT * FROM users").fetchall())

It behaves like the standard `sqlite3` module: qmark and named parameters, implicit
transactions before INSERT/UPDATE/DELETE/REPLACE committed by `commit()`, the `autocommit`
attribute of Python 3.12, a context manager that commits or rolls back.
"""

from __future__ import annotations

import datetime as _datetime
import time as _time

from . import _native
from ._connection import (
    LEGACY_TRANSACTION_CONTROL,
    Connection,
    Cursor,
    Status,
    connect,
)
from ._native import (
    DatabaseError,
    DataError,
    Error,
    IntegrityError,
    InterfaceError,
    InternalError,
    NotSupportedError,
    OperationalError,
    ProgrammingError,
    Warning,
)

apilevel = "2.0"
# Threads may share the module and connections (each call holds the connection's lock); a
# connection's transaction is shared by the threads that use it, as with `sqlite3`.
threadsafety = 2
paramstyle = "qmark"

sqlite_version: str = _native.sqlite_version
sqlite_version_info: tuple[int, ...] = tuple(int(part) for part in sqlite_version.split("."))

# PEP 249 type objects and constructors.
Date = _datetime.date
Time = _datetime.time
Timestamp = _datetime.datetime
Binary = bytes


def DateFromTicks(ticks: float) -> _datetime.date:
    return Date(*_time.localtime(ticks)[:3])


def TimeFromTicks(ticks: float) -> _datetime.time:
    return Time(*_time.localtime(ticks)[3:6])


def TimestampFromTicks(ticks: float) -> _datetime.datetime:
    return Timestamp(*_time.localtime(ticks)[:6])


class _TypeObject:
    """Compares equal to each of the type names it stands for (PEP 249 type objects)."""

    def __init__(self, *names: str) -> None:
        self.names = frozenset(names)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, str) and other.upper() in self.names

    def __hash__(self) -> int:
        return hash(self.names)


STRING = _TypeObject("TEXT", "CHAR", "VARCHAR", "CLOB", "STRING")
BINARY = _TypeObject("BLOB")
NUMBER = _TypeObject("INTEGER", "INT", "REAL", "FLOAT", "DOUBLE", "NUMERIC", "DECIMAL")
DATETIME = _TypeObject("DATE", "TIME", "DATETIME", "TIMESTAMP")
ROWID = _TypeObject("ROWID")

__all__ = [
    "BINARY",
    "DATETIME",
    "LEGACY_TRANSACTION_CONTROL",
    "NUMBER",
    "ROWID",
    "STRING",
    "Binary",
    "Connection",
    "Cursor",
    "DataError",
    "DatabaseError",
    "Date",
    "DateFromTicks",
    "Error",
    "IntegrityError",
    "InterfaceError",
    "InternalError",
    "NotSupportedError",
    "OperationalError",
    "ProgrammingError",
    "Status",
    "Time",
    "TimeFromTicks",
    "Timestamp",
    "TimestampFromTicks",
    "Warning",
    "apilevel",
    "connect",
    "paramstyle",
    "sqlite_version",
    "sqlite_version_info",
    "threadsafety",
]
