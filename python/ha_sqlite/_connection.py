"""PEP 249 connections and cursors over the native client.

Statements outside a transaction go through the native client (a replica answers a read on the
calling thread, a node over one gRPC call); a transaction lives in the connection's session,
created when the first one begins. When a transaction begins on its own follows Python's
`sqlite3`: in its default mode (`autocommit=LEGACY_TRANSACTION_CONTROL`) before INSERT, UPDATE,
DELETE and REPLACE unless `isolation_level` is None; with `autocommit=False` before any
statement; never with `autocommit=True`. Which statements those are is decided in ha-ffi, once
for every binding.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, Callable, NamedTuple, Optional, Union

from . import _native
from ._native import InterfaceError, OperationalError, ProgrammingError

LEGACY_TRANSACTION_CONTROL = -1

Params = Union[Sequence[Any], Mapping[str, Any], None]

_ISOLATION_LEVELS = (None, "", "DEFERRED", "IMMEDIATE", "EXCLUSIVE")

# What a statement is, by its text: decided in ha-ffi (`_native.statement_kind`), remembered
# here per text (as sqlite3 keeps its statement cache) so a repeated statement costs a
# dictionary look-up.
_PLAIN, _CONTROL, _STATE, _CHANGES_DATA = range(4)
_kinds: dict[str, tuple[int, bool]] = {}
_KINDS_KEPT = 1024

# An answer of the native module: (columns, rows, rows_affected, last_insert_id, seq).
Answer = tuple


def _kind(sql: str) -> tuple[int, bool]:
    """(what the statement is, whether it sets `lastrowid`)."""
    known = _kinds.get(sql)
    if known is None:
        known = _native.statement_kind(sql)
        if len(_kinds) >= _KINDS_KEPT:
            _kinds.clear()
        _kinds[sql] = known
    return known


class Status(NamedTuple):
    """Where a connection stands. A replica: the last log sequence it applied, the log entries
    not received yet, change sets held for an earlier one, the entry that fails to apply (or
    why the database is not served). A remote connection: the last sequence it wrote."""

    applied_seq: int
    lag: int
    held: int
    error: Optional[str]


def connect(
    url: str,
    *,
    token: Optional[str] = None,
    database: Optional[str] = None,
    replication_url: Optional[str] = None,
    node: Optional[str] = None,
    read_only: bool = False,
    timeout: Optional[float] = None,
    tls_ca_file: Optional[str] = None,
    autocommit: Union[bool, int] = LEGACY_TRANSACTION_CONTROL,
    isolation_level: Optional[str] = "",
) -> Connection:
    """Opens a connection.

    - ``http://host:8080[/db]``: a node, over gRPC (``token``: its API token; ``database``:
      where statements go, default the URL's path, else the node's default). ``https://``
      through a TLS front (HTTP/2); ``tls_ca_file``: a PEM file of a CA to trust besides the
      system's.
    - ``file:/path/app.db``: an in-process replica of the cluster database ``database``
      (default: the file's name), following the broker at ``replication_url`` as ``node``;
      ``read_only=True`` refuses writes; ``timeout``: seconds a write waits for the broker.
      These may also be given as the URL's query parameters.
    """
    if not isinstance(url, str):
        raise InterfaceError(f"the URL must be a string, not {type(url).__name__}")
    _check_autocommit(autocommit)
    _check_isolation_level(isolation_level)
    client = _native.Client(
        url,
        token=token,
        database=database,
        replication_url=replication_url,
        node=node,
        read_only=read_only,
        timeout=timeout,
        tls_ca_file=tls_ca_file,
    )
    return Connection(client, autocommit=autocommit, isolation_level=isolation_level)


class Connection:
    """A connection (PEP 249). Use it from several threads if you like: its calls are
    serialised, and its transaction is shared by them, as with `sqlite3`."""

    Warning = _native.Warning
    Error = _native.Error
    InterfaceError = _native.InterfaceError
    DatabaseError = _native.DatabaseError
    DataError = _native.DataError
    OperationalError = _native.OperationalError
    IntegrityError = _native.IntegrityError
    InternalError = _native.InternalError
    ProgrammingError = _native.ProgrammingError
    NotSupportedError = _native.NotSupportedError

    def __init__(
        self,
        client: _native.Client,
        *,
        autocommit: Union[bool, int] = LEGACY_TRANSACTION_CONTROL,
        isolation_level: Optional[str] = "",
    ) -> None:
        _check_autocommit(autocommit)
        _check_isolation_level(isolation_level)
        self._client: Optional[_native.Client] = client
        self._session: Optional[_native.Session] = None
        self._sticky_session = False
        self._lock = threading.RLock()
        self._autocommit = autocommit
        self._isolation_level = isolation_level
        self._last_seq: Optional[int] = None
        self.row_factory: Optional[Callable[[Cursor, tuple], Any]] = None

    # -- PEP 249 ------------------------------------------------------------------------------

    def cursor(self) -> Cursor:
        self._native()
        return Cursor(self)

    def commit(self) -> None:
        with self._lock:
            self._native()
            if self.in_transaction:
                self._track(self._session_execute("COMMIT"))

    def rollback(self) -> None:
        with self._lock:
            self._native()
            if self.in_transaction:
                self._session_execute("ROLLBACK")

    def close(self) -> None:
        """Closes the connection; an open transaction is rolled back (as in `sqlite3`). A
        replica stops following the cluster and closes its file: writes not yet published
        stay in it and are published when it is opened again."""
        with self._lock:
            client, self._client = self._client, None
            session, self._session = self._session, None
            if client is None:
                return
            try:
                if session is not None and session.in_transaction:
                    session.execute("ROLLBACK")
            except _native.Error:
                pass
            finally:
                del session
                client.close()

    def __enter__(self) -> Connection:
        return self

    def __exit__(self, kind: Any, value: Any, traceback: Any) -> bool:
        # As `sqlite3`: commit on success, roll back on an exception; the connection stays open.
        if self._client is None:
            return False
        if kind is None:
            self.commit()
        else:
            self.rollback()
        return False

    # -- sqlite3's conveniences ---------------------------------------------------------------

    def execute(self, sql: str, parameters: Params = None) -> Cursor:
        return self.cursor().execute(sql, parameters)

    def executemany(self, sql: str, seq_of_parameters: Iterable[Params]) -> Cursor:
        return self.cursor().executemany(sql, seq_of_parameters)

    def executescript(self, script: str) -> Cursor:
        return self.cursor().executescript(script)

    @property
    def in_transaction(self) -> bool:
        return self._session is not None and self._session.in_transaction

    @property
    def autocommit(self) -> Union[bool, int]:
        return self._autocommit

    @autocommit.setter
    def autocommit(self, value: Union[bool, int]) -> None:
        _check_autocommit(value)
        with self._lock:
            if value is True and self.in_transaction:
                self.commit()
            self._autocommit = value

    @property
    def isolation_level(self) -> Optional[str]:
        return self._isolation_level

    @isolation_level.setter
    def isolation_level(self, value: Optional[str]) -> None:
        _check_isolation_level(value)
        with self._lock:
            if value is None and self.in_transaction:
                self.commit()
            self._isolation_level = value

    @property
    def closed(self) -> bool:
        return self._client is None

    # -- the cluster --------------------------------------------------------------------------

    def status(self) -> Status:
        return Status(**self._native().status())

    @property
    def last_seq(self) -> Optional[int]:
        """The log sequence of this connection's last committed write: give it to
        `wait_for` on another connection to read that write there."""
        return self._last_seq

    def wait_for(self, seq: Optional[int], timeout: float = 10.0) -> None:
        """Read-your-writes: after this, reads through this connection see the cluster's log
        up to `seq` (another connection's `last_seq`). A replica waits until it has applied
        it (`OperationalError` after `timeout` seconds); a node is asked to, with each later
        request."""
        if seq is None:
            return
        self._native().wait_for(int(seq), float(timeout))

    # -- internals ----------------------------------------------------------------------------

    def _native(self) -> _native.Client:
        client = self._client
        if client is None:
            raise ProgrammingError("Cannot operate on a closed connection.")
        return client

    def _run(self, sql: str, params: Params) -> Answer:
        if type(sql) is not str:
            raise ProgrammingError(f"the SQL must be a string, not {type(sql).__name__}")
        with self._lock:
            client = self._client
            if client is None:
                raise ProgrammingError("Cannot operate on a closed connection.")
            session = self._session
            if session is not None and (self._sticky_session or session.in_transaction):
                return self._track(self._session_execute(sql, params))
            kind = _kind(sql)[0]
            if kind == _PLAIN and self._autocommit is not False:
                return self._track(client.execute(sql, params))
            if kind == _CONTROL:
                return self._track(self._session_execute(sql, params))
            if kind == _STATE:
                answer = self._session_execute(sql, params)
                self._sticky_session = True
                return answer
            if self._begins_before(kind):
                self._begin()
                return self._track(self._session_execute(sql, params))
            return self._track(client.execute(sql, params))

    def _begins_before(self, kind: int) -> bool:
        if self._autocommit is True:
            return False
        if self._autocommit is False:
            return True
        return self._isolation_level is not None and kind == _CHANGES_DATA

    def _begin(self) -> None:
        try:
            self._session_execute(self._begin_sql())
        except OperationalError as e:
            # A session that broke while idle (the node restarted, the network dropped it) is
            # replaced once: no transaction was open, so beginning again is safe.
            if self._session is not None or getattr(e, "code", None) != "unavailable":
                raise
            self._session_execute(self._begin_sql())

    def _begin_sql(self) -> str:
        level = self._isolation_level if self._autocommit == LEGACY_TRANSACTION_CONTROL else ""
        return f"BEGIN {level}".strip()

    def _session_execute(self, sql: str, params: Params = None) -> Answer:
        if self._session is None:
            self._session = self._native().session()
        try:
            return self._session.execute(sql, params)
        except OperationalError:
            # A session broken outside a transaction (the node restarted) is replaced by the
            # next call; inside one, the transaction is lost and the error says so.
            if not self._session.in_transaction and not self._sticky_session:
                self._session = None
            raise

    def _track(self, answer: Answer) -> Answer:
        seq = answer[4]
        if seq is not None:
            self._last_seq = seq
        return answer

    def _script(self, script: str) -> Answer:
        with self._lock:
            self.commit()
            if self._sticky_session:
                return self._track(self._session_execute(script))
            return self._track(self._native().execute(script))


def _check_autocommit(value: Any) -> None:
    if value not in (True, False, LEGACY_TRANSACTION_CONTROL) or not isinstance(value, (bool, int)):
        raise ValueError(
            "autocommit must be True, False, or ha_sqlite.LEGACY_TRANSACTION_CONTROL"
        )


def _check_isolation_level(value: Any) -> None:
    if value is not None and (not isinstance(value, str) or value.upper() not in _ISOLATION_LEVELS):
        raise ValueError(
            "isolation_level must be None, '', 'DEFERRED', 'IMMEDIATE' or 'EXCLUSIVE'"
        )


class Cursor:
    """A cursor (PEP 249). A statement's rows arrive whole with its answer, as with most
    remote DB-API drivers' default cursors."""

    __slots__ = (
        "connection", "arraysize", "row_factory", "_columns", "_rows", "_position",
        "_rowcount", "_lastrowid", "_closed",
    )

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.arraysize = 1
        self.row_factory: Optional[Callable[[Cursor, tuple], Any]] = connection.row_factory
        self._columns: Optional[tuple] = None
        self._rows: list = []
        self._position = 0
        self._rowcount = -1
        self._lastrowid: Optional[int] = None
        self._closed = False

    @property
    def description(self) -> Optional[tuple]:
        columns = self._columns
        if columns is None:
            return None
        return tuple((name, None, None, None, None, None, None) for name in columns)

    @property
    def rowcount(self) -> int:
        return self._rowcount

    @property
    def lastrowid(self) -> Optional[int]:
        return self._lastrowid

    def execute(self, sql: str, parameters: Params = None) -> Cursor:
        if self._closed:
            raise ProgrammingError("Cannot operate on a closed cursor.")
        self._columns = None
        self._rows = []
        self._position = 0
        self._rowcount = -1
        columns, rows, rows_affected, last_insert_id, _ = self.connection._run(sql, parameters)
        if columns is not None:
            self._columns = columns
            self._rows = rows
        else:
            self._rowcount = rows_affected
            if _kind(sql)[1]:
                self._lastrowid = last_insert_id
        return self

    def executemany(self, sql: str, seq_of_parameters: Iterable[Params]) -> Cursor:
        """Runs `sql` once per parameter set; `rowcount` is the sum of the rows changed."""
        self._check()
        self._forget()
        total = 0
        for parameters in seq_of_parameters:
            columns, _, rows_affected, _, _ = self.connection._run(sql, parameters)
            if columns is not None:
                raise ProgrammingError("executemany() can only execute DML statements.")
            total += max(rows_affected, 0)
        self._rowcount = total
        return self

    def executescript(self, script: str) -> Cursor:
        """Commits a pending transaction, then runs the statements of `script` (as `sqlite3`)."""
        self._check()
        self._forget()
        self.connection._script(script)
        return self

    def fetchone(self) -> Any:
        if self._closed:
            self._check()
        position = self._position
        rows = self._rows
        if position >= len(rows):
            return None
        self._position = position + 1
        row = rows[position]
        factory = self.row_factory
        return row if factory is None else factory(self, row)

    def fetchmany(self, size: Optional[int] = None) -> list:
        self._check()
        size = self.arraysize if size is None else size
        end = min(self._position + max(size, 0), len(self._rows))
        rows = self._rows[self._position : end]
        self._position = end
        return [self._shape(row) for row in rows]

    def fetchall(self) -> list:
        self._check()
        rows = self._rows[self._position :]
        self._position = len(self._rows)
        return [self._shape(row) for row in rows]

    def __iter__(self) -> Iterator[Any]:
        return self

    def __next__(self) -> Any:
        row = self.fetchone()
        if row is None:
            raise StopIteration
        return row

    def close(self) -> None:
        self._closed = True
        self._rows = []

    def setinputsizes(self, sizes: Any) -> None:
        pass

    def setoutputsize(self, size: Any, column: Any = None) -> None:
        pass

    def __enter__(self) -> Cursor:
        return self

    def __exit__(self, *exc: Any) -> bool:
        self.close()
        return False

    def _check(self) -> None:
        if self._closed:
            raise ProgrammingError("Cannot operate on a closed cursor.")
        self.connection._native()

    def _forget(self) -> None:
        self._columns = None
        self._rows = []
        self._position = 0
        self._rowcount = -1

    def _shape(self, row: tuple) -> Any:
        factory = self.row_factory
        return row if factory is None else factory(self, row)
