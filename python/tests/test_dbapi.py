"""PEP 249 through the real driver, against a node (remote, over gRPC) and an in-process
replica: module globals, types, cursors, transactions, exceptions."""

from __future__ import annotations

import datetime
import math

import pytest

import ha_sqlite


@pytest.fixture(params=["remote", "replica"])
def conn(request, standalone, cluster):
    if request.param == "remote":
        c = ha_sqlite.connect(standalone.url)
    else:
        c = cluster.replica("dbapi")
    yield c
    c.close()


def test_module_globals():
    assert ha_sqlite.apilevel == "2.0"
    assert ha_sqlite.threadsafety in (1, 2, 3)
    assert ha_sqlite.paramstyle == "qmark"
    assert ha_sqlite.sqlite_version_info >= (3, 35)
    for name in ("Warning", "Error", "InterfaceError", "DatabaseError", "DataError",
                 "OperationalError", "IntegrityError", "InternalError", "ProgrammingError",
                 "NotSupportedError"):
        assert hasattr(ha_sqlite, name)
    assert issubclass(ha_sqlite.Error, Exception)
    assert issubclass(ha_sqlite.InterfaceError, ha_sqlite.Error)
    assert issubclass(ha_sqlite.DatabaseError, ha_sqlite.Error)
    for name in ("DataError", "OperationalError", "IntegrityError", "InternalError",
                 "ProgrammingError", "NotSupportedError"):
        assert issubclass(getattr(ha_sqlite, name), ha_sqlite.DatabaseError)
    assert ha_sqlite.Binary(b"x") == b"x"
    assert ha_sqlite.STRING == "TEXT" and ha_sqlite.NUMBER == "integer"
    assert ha_sqlite.DateFromTicks(0) == datetime.date.fromtimestamp(0)


def test_values_round_trip_exactly(conn, table_name):
    conn.execute(f"CREATE TABLE {table_name}(id INTEGER PRIMARY KEY, v)")
    values = [
        2**63 - 1, -(2**63), 0, -1, 1.5, -0.0, 1e308, math.pi, "", "héllo ✓ 𝄞", "a\x00b",
        b"", b"\x00\xff\x10", None,
    ]
    conn.executemany(
        f"INSERT INTO {table_name}(id, v) VALUES (?, ?)", list(enumerate(values, 1))
    )
    conn.commit()
    got = [row[0] for row in conn.execute(f"SELECT v FROM {table_name} ORDER BY id")]
    assert got == values
    assert [type(v) for v in got] == [type(v) for v in values]
    # What sqlite3 adapts: bool as 0/1, bytearray and memoryview as bytes, dates as ISO text.
    row = conn.execute(
        "SELECT ?, ?, ?, ?, ?",
        (True, bytearray(b"ab"), memoryview(b"cd"), datetime.date(2024, 2, 29),
         datetime.datetime(2024, 2, 29, 12, 30, 1)),
    ).fetchone()
    assert row == (1, b"ab", b"cd", "2024-02-29", "2024-02-29 12:30:01")


def test_unsupported_values_are_refused(conn):
    with pytest.raises(OverflowError):
        conn.execute("SELECT ?", (2**63,))
    with pytest.raises(ha_sqlite.ProgrammingError, match="type 'object' is not supported"):
        conn.execute("SELECT ?", (object(),))
    with pytest.raises(ha_sqlite.ProgrammingError):
        conn.execute("SELECT ?", "a string is not a parameter list")


def test_named_and_numbered_parameters(conn):
    assert conn.execute("SELECT :a, :b", {"a": 1, "b": "two"}).fetchone() == (1, "two")
    assert conn.execute("SELECT ?2, ?1", ("x", "y")).fetchone() == ("y", "x")
    assert conn.execute("SELECT 1").fetchone() == (1,)


def test_cursor_attributes_and_fetching(conn, table_name):
    cur = conn.cursor()
    assert cur.description is None and cur.rowcount == -1 and cur.lastrowid is None
    cur.execute(f"CREATE TABLE {table_name}(id INTEGER PRIMARY KEY, name TEXT, n INTEGER)")
    cur.execute(f"INSERT INTO {table_name}(name, n) VALUES ('a', 1)")
    assert cur.rowcount == 1
    first = cur.lastrowid
    assert isinstance(first, int) and first > 0
    cur.executemany(
        f"INSERT INTO {table_name}(name, n) VALUES (?, ?)", [("b", 2), ("c", 3), ("d", 4)]
    )
    assert cur.rowcount == 3
    cur.execute(f"UPDATE {table_name} SET n = n + 10 WHERE n > 1")
    assert cur.rowcount == 3
    assert cur.lastrowid == first  # only INSERT and REPLACE set it
    conn.commit()

    cur.execute(f"SELECT id, name, n FROM {table_name} ORDER BY id")
    assert [d[0] for d in cur.description] == ["id", "name", "n"]
    assert all(len(d) == 7 for d in cur.description)
    assert cur.rowcount == -1
    assert cur.fetchone() == (first, "a", 1)
    assert cur.arraysize == 1
    assert cur.fetchmany() == [(first + 1, "b", 12)]
    assert cur.fetchmany(5) == [(first + 2, "c", 13), (first + 3, "d", 14)]
    assert cur.fetchone() is None
    assert cur.fetchall() == []
    assert [row[1] for row in cur.execute(f"SELECT * FROM {table_name} ORDER BY id")] == [
        "a", "b", "c", "d"
    ]
    cur.row_factory = lambda cursor, row: {d[0]: v for d, v in zip(cursor.description, row)}
    assert cur.execute("SELECT 1 AS one").fetchone() == {"one": 1}
    cur.close()
    with pytest.raises(ha_sqlite.ProgrammingError, match="closed cursor"):
        cur.execute("SELECT 1")
    with pytest.raises(ha_sqlite.ProgrammingError):
        cur.fetchone()


def test_implicit_transactions_commit_and_rollback(conn, table_name):
    conn.execute(f"CREATE TABLE {table_name}(id INTEGER PRIMARY KEY)")
    assert not conn.in_transaction  # DDL runs outside a transaction, as in sqlite3
    conn.execute(f"INSERT INTO {table_name} VALUES (1)")
    assert conn.in_transaction
    conn.rollback()
    assert not conn.in_transaction
    assert conn.execute(f"SELECT count(*) FROM {table_name}").fetchone() == (0,)

    conn.execute(f"INSERT INTO {table_name} VALUES (2)")
    conn.execute(f"INSERT INTO {table_name} VALUES (3)")
    conn.commit()
    assert conn.last_seq is None or conn.last_seq > 0
    assert conn.execute(f"SELECT id FROM {table_name} ORDER BY id").fetchall() == [(2,), (3,)]

    # A failed statement undoes itself only; the transaction goes on (SQLite's rule).
    conn.execute(f"INSERT INTO {table_name} VALUES (4)")
    with pytest.raises(ha_sqlite.IntegrityError):
        conn.execute(f"INSERT INTO {table_name} VALUES (2)")
    assert conn.in_transaction
    conn.commit()
    assert conn.execute(f"SELECT count(*) FROM {table_name}").fetchone() == (3,)


def test_context_manager_commits_or_rolls_back(conn, table_name):
    conn.execute(f"CREATE TABLE {table_name}(id INTEGER PRIMARY KEY)")
    with conn:
        conn.execute(f"INSERT INTO {table_name} VALUES (1)")
    with pytest.raises(ZeroDivisionError):
        with conn:
            conn.execute(f"INSERT INTO {table_name} VALUES (2)")
            1 / 0
    assert not conn.in_transaction
    assert conn.execute(f"SELECT id FROM {table_name}").fetchall() == [(1,)]
    assert not conn.closed  # as sqlite3: the with block does not close


def test_autocommit_modes(conn, table_name):
    conn.execute(f"CREATE TABLE {table_name}(id INTEGER PRIMARY KEY)")
    assert conn.autocommit == ha_sqlite.LEGACY_TRANSACTION_CONTROL
    conn.autocommit = True
    conn.execute(f"INSERT INTO {table_name} VALUES (1)")
    assert not conn.in_transaction
    conn.rollback()  # nothing to undo: it was committed
    conn.autocommit = False
    conn.execute(f"SELECT count(*) FROM {table_name}")
    assert conn.in_transaction  # PEP 249 mode: every statement is in a transaction
    conn.execute(f"INSERT INTO {table_name} VALUES (2)")
    conn.rollback()
    conn.execute(f"INSERT INTO {table_name} VALUES (3)")
    conn.autocommit = True  # commits what is pending
    assert not conn.in_transaction
    assert conn.execute(f"SELECT id FROM {table_name} ORDER BY id").fetchall() == [(1,), (3,)]
    with pytest.raises(ValueError):
        conn.autocommit = "yes"

    conn.autocommit = ha_sqlite.LEGACY_TRANSACTION_CONTROL
    conn.isolation_level = None  # sqlite3's old way to say autocommit
    conn.execute(f"INSERT INTO {table_name} VALUES (4)")
    assert not conn.in_transaction


def test_explicit_transactions_and_savepoints(conn, table_name):
    conn.isolation_level = None
    conn.execute(f"CREATE TABLE {table_name}(id INTEGER PRIMARY KEY)")
    conn.execute("BEGIN")
    assert conn.in_transaction
    conn.execute(f"INSERT INTO {table_name} VALUES (1)")
    conn.execute("SAVEPOINT s")
    conn.execute(f"INSERT INTO {table_name} VALUES (2)")
    conn.execute("ROLLBACK TO s")
    conn.execute("COMMIT")
    assert conn.execute(f"SELECT id FROM {table_name}").fetchall() == [(1,)]


def test_executescript(conn, table_name):
    conn.executescript(
        f"CREATE TABLE {table_name}(id INTEGER PRIMARY KEY, v TEXT);"
        f"INSERT INTO {table_name}(v) VALUES ('a');"
        f"INSERT INTO {table_name}(v) VALUES ('b');"
    )
    assert conn.execute(f"SELECT count(*) FROM {table_name}").fetchone() == (2,)


def test_errors_map_to_pep249_exceptions(conn, table_name):
    conn.execute(f"CREATE TABLE {table_name}(id INTEGER PRIMARY KEY, v TEXT NOT NULL)")
    with pytest.raises(ha_sqlite.ProgrammingError) as syntax:
        conn.execute("SELEC 1")
    assert syntax.value.code == "sql_syntax"
    with pytest.raises(ha_sqlite.ProgrammingError) as unknown:
        conn.execute("SELECT * FROM no_such_table")
    assert "no_such_table" in str(unknown.value)
    with pytest.raises(ha_sqlite.IntegrityError) as integrity:
        conn.execute(f"INSERT INTO {table_name}(id, v) VALUES (1, NULL)")
    assert integrity.value.code == "sql_constraint"
    conn.rollback()
    with pytest.raises(ha_sqlite.ProgrammingError):
        conn.execute("SELECT ?", (1, 2))


def test_closed_connection(conn):
    cur = conn.cursor()
    conn.close()
    assert conn.closed
    with pytest.raises(ha_sqlite.ProgrammingError, match="closed connection"):
        conn.execute("SELECT 1")
    with pytest.raises(ha_sqlite.ProgrammingError):
        cur.execute("SELECT 1")
    with pytest.raises(ha_sqlite.ProgrammingError):
        conn.commit()
    conn.close()  # twice is fine


def test_bad_urls_and_options():
    with pytest.raises(ha_sqlite.InterfaceError, match="use http://"):
        ha_sqlite.connect("ftp://example.com")
    with pytest.raises(ha_sqlite.InterfaceError, match="unknown parameter"):
        ha_sqlite.connect("file:/tmp/x.db?replication_url=nats://127.0.0.1:1&node=a&bogus=1")
    with pytest.raises(ha_sqlite.InterfaceError):
        ha_sqlite.connect("file:/tmp/x.db")  # a replica needs its broker
    with pytest.raises(ha_sqlite.InterfaceError):
        ha_sqlite.connect(42)
    with pytest.raises(TypeError):
        ha_sqlite.connect("http://127.0.0.1:1", bogus=True)
    with pytest.raises(ValueError):
        ha_sqlite.connect("http://127.0.0.1:1", autocommit="sometimes")
    with pytest.raises(ha_sqlite.OperationalError) as unreachable:
        ha_sqlite.connect("http://127.0.0.1:1")
    assert unreachable.value.code == "unavailable"


def test_token(token_node):
    with pytest.raises(ha_sqlite.InterfaceError) as refused:
        ha_sqlite.connect(token_node.url, token="wrong").execute("SELECT 1")
    assert refused.value.code == "unauthorized"
    with pytest.raises(ha_sqlite.InterfaceError):
        ha_sqlite.connect(token_node.url).execute("SELECT 1")
    ok = ha_sqlite.connect(token_node.url, token="s3cret")
    assert ok.execute("SELECT 1").fetchone() == (1,)
    ok.close()


def test_threads_share_a_connection(conn, table_name):
    import threading

    conn.execute(f"CREATE TABLE {table_name}(id INTEGER PRIMARY KEY, t INTEGER)")
    conn.autocommit = True

    def work(t: int) -> None:
        for i in range(20):
            conn.execute(f"INSERT INTO {table_name}(t) VALUES (?)", (t,))
            conn.execute(f"SELECT count(*) FROM {table_name}").fetchone()

    threads = [threading.Thread(target=work, args=(t,)) for t in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert conn.execute(f"SELECT count(*) FROM {table_name}").fetchone() == (80,)


def test_a_restarted_node_is_reached_again():
    """The node is killed and comes back on its port: reads and transactions work again."""
    from cluster import Node, eventually

    node = Node("--nats-port=0", "file:restart.db")
    try:
        conn = ha_sqlite.connect(node.url)
        conn.execute("CREATE TABLE t(x)")
        with conn:
            conn.execute("INSERT INTO t VALUES (1)")
        node.restart()
        eventually(lambda: conn.execute("SELECT count(*) FROM t").fetchone() == (1,),
                   what="the connection reads again")
        with conn:  # a new transaction on a session that broke while idle
            conn.execute("INSERT INTO t VALUES (2)")
        assert conn.execute("SELECT count(*) FROM t").fetchone() == (2,)
        conn.close()
    finally:
        node.stop()
