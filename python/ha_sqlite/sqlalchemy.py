"""SQLAlchemy dialects for ha, built on SQLAlchemy's SQLite dialect (SQL, types and reflection
are SQLite's), registered by entry point:

    create_engine("ha_sqlite+http://localhost:8080")              # a node, its default database
    create_engine("ha_sqlite+http://:TOKEN@localhost:8080/app.db") # a token, another database
    create_engine("ha_sqlite+file:////data/app.db?replication_url=nats://localhost:4222&node=py-1&database=ha.db")

A `file:` URL is an in-process replica (four slashes for an absolute path, as with
``sqlite:///``); its engine holds one connection, shared by its threads: a process keeps one
replica per file.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import pool
from sqlalchemy.dialects.sqlite.base import SQLiteDialect
from sqlalchemy.engine import URL

_BOOLEAN_TRUE = ("1", "true", "yes", "on")


class HaDialect(SQLiteDialect):
    """A node over gRPC (``ha_sqlite+http://``)."""

    # SQLite's name, so that SQLAlchemy and tools that check it (dialect options such as
    # ``sqlite_autoincrement``, Alembic's batch mode) treat it as SQLite.
    name = "sqlite"
    driver = "ha_sqlite"
    scheme = "http"
    supports_statement_cache = True
    default_paramstyle = "qmark"
    returns_native_bytes = True
    _isolation_lookup = {"SERIALIZABLE": 0, "AUTOCOMMIT": None}

    @classmethod
    def import_dbapi(cls) -> Any:
        import ha_sqlite

        return ha_sqlite

    @classmethod
    def get_pool_class(cls, url: URL) -> type[pool.Pool]:
        return pool.QueuePool

    def _get_server_version_info(self, connection: Any) -> tuple[int, ...]:
        return self.dbapi.sqlite_version_info  # type: ignore[union-attr]

    def get_isolation_level_values(self, dbapi_connection: Any) -> list[str]:
        return list(self._isolation_lookup)

    def set_isolation_level(self, dbapi_connection: Any, level: Any) -> None:
        # Every transaction is serializable (one writer per database); AUTOCOMMIT turns the
        # driver's implicit transactions off.
        dbapi_connection.isolation_level = None if level == "AUTOCOMMIT" else ""

    def get_isolation_level(self, dbapi_connection: Any) -> str:
        return "AUTOCOMMIT" if dbapi_connection.isolation_level is None else "SERIALIZABLE"

    def detect_autocommit_setting(self, dbapi_conn: Any) -> bool:
        return dbapi_conn.isolation_level is None

    def create_connect_args(self, url: URL) -> tuple[list[Any], dict[str, Any]]:
        query = dict(url.query)
        kwargs: dict[str, Any] = {}
        token = url.password or query.pop("token", None)
        if token:
            kwargs["token"] = token
        if "timeout" in query:
            kwargs["timeout"] = float(query.pop("timeout"))
        if query:
            raise ValueError(f"unknown option(s) in the URL: {', '.join(sorted(query))}")
        target = f"{self.scheme}://{url.host or 'localhost'}:{url.port or 8080}"
        if url.database:
            target += f"/{url.database}"
        return [target], kwargs


class HaDialectHttps(HaDialect):
    """A node behind TLS (``ha_sqlite+https://``)."""

    scheme = "https"
    supports_statement_cache = True


class HaDialectFile(HaDialect):
    """An in-process replica (``ha_sqlite+file:///path``)."""

    supports_statement_cache = True

    @classmethod
    def get_pool_class(cls, url: URL) -> type[pool.Pool]:
        return pool.StaticPool

    def create_connect_args(self, url: URL) -> tuple[list[Any], dict[str, Any]]:
        if url.host or url.port or url.username:
            raise ValueError("a replica URL names a file: ha_sqlite+file:////absolute/path.db")
        if not url.database:
            raise ValueError("a replica URL needs the file: ha_sqlite+file:////absolute/path.db")
        query = dict(url.query)
        kwargs: dict[str, Any] = {}
        for name in ("replication_url", "node", "database"):
            if name in query:
                kwargs[name] = query.pop(name)
        if "read_only" in query:
            kwargs["read_only"] = query.pop("read_only").lower() in _BOOLEAN_TRUE
        if "timeout" in query:
            kwargs["timeout"] = float(query.pop("timeout"))
        if query:
            raise ValueError(f"unknown option(s) in the URL: {', '.join(sorted(query))}")
        return [f"file:{url.database}"], kwargs
