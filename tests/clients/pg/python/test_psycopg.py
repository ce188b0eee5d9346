"""ha's PostgreSQL front end driven by psycopg 3 (libpq underneath)."""

from __future__ import annotations

import psycopg
import pytest
from psycopg import errors


def test_connect_and_wrong_password(target, conn):
    assert conn.execute("SELECT 1").fetchone() == (1,)
    with pytest.raises(psycopg.OperationalError) as info:
        psycopg.connect(target.conninfo(password="not-the-password"))
    # libpq reports a failed startup as text only (no SQLSTATE reaches psycopg: e.sqlstate is
    # None), so the 28P01 check lives in the Node and Java suites; here, its message.
    assert "password authentication failed" in str(info.value).lower()
    # The refusal leaves the server serving others.
    assert conn.execute("SELECT 2").fetchone() == (2,)


def test_insert_update_delete_rowcount(conn, fresh_table):
    t = fresh_table("py_crud", "id INTEGER PRIMARY KEY, name TEXT NOT NULL, score REAL")
    with conn.cursor() as cur:
        for i, name in enumerate(["a", "b", "c"], start=1):
            cur.execute(f"INSERT INTO {t}(id, name, score) VALUES (%s, %s, %s)", (i, name, i * 1.5))
            assert cur.rowcount == 1
            assert cur.statusmessage == "INSERT 0 1"
        cur.execute(f"UPDATE {t} SET score = %s WHERE id >= %s", (10.0, 2))
        assert (cur.rowcount, cur.statusmessage) == (2, "UPDATE 2")
        cur.execute(f"UPDATE {t} SET name = %s WHERE id = %s", ("zz", 99))
        assert (cur.rowcount, cur.statusmessage) == (0, "UPDATE 0")
        cur.execute(f"DELETE FROM {t} WHERE name = %(name)s", {"name": "a"})
        assert (cur.rowcount, cur.statusmessage) == (1, "DELETE 1")
        cur.execute(f"SELECT id, name, score FROM {t} ORDER BY id")
        assert cur.fetchall() == [(2, "b", 10.0), (3, "c", 10.0)]
        assert cur.statusmessage == "SELECT 2"


def test_select_types(conn, fresh_table):
    t = fresh_table(
        "py_types",
        "id INTEGER PRIMARY KEY, name TEXT NOT NULL, score REAL, data {blob}, flag BOOLEAN",
    )
    conn.execute(
        f"INSERT INTO {t}(id, name, score, data, flag) VALUES (%s, %s, %s, %s, %s)",
        (1, "héllo", 2.5, b"\x00\x01\xffbin", True),
    )
    conn.execute(
        f"INSERT INTO {t}(id, name, score, data, flag) VALUES (%s, %s, %s, %s, %s)",
        (2, "nulls", None, None, None),
    )
    conn.execute(f"INSERT INTO {t}(id, name, flag) VALUES (%s, %s, %s)", (3, "off", False))

    row = conn.execute(
        f"SELECT id, name, score, data, flag FROM {t} WHERE id = %s", (1,)
    ).fetchone()
    assert row == (1, "héllo", 2.5, b"\x00\x01\xffbin", True)
    assert [type(v) for v in row] == [int, str, float, bytes, bool]

    row = conn.execute(f"SELECT id, name, score, data, flag FROM {t} WHERE name = %s",
                       ("nulls",)).fetchone()
    assert row == (2, "nulls", None, None, None)

    row = conn.execute(f"SELECT flag FROM {t} WHERE id = %s", (3,)).fetchone()
    assert row == (False,) and type(row[0]) is bool

    count = conn.execute(f"SELECT count(*) FROM {t} WHERE id > %s", (0,)).fetchone()[0]
    assert count == 3 and type(count) is int


def test_column_descriptions(conn, fresh_table):
    t = fresh_table("py_desc", "id INTEGER PRIMARY KEY, name TEXT, data {blob}, flag BOOLEAN")
    conn.execute(f"INSERT INTO {t} VALUES (%s, %s, %s, %s)", (7, "x", b"y", True))
    cur = conn.execute(f"SELECT id, name, data, flag FROM {t}")
    names = [d.name for d in cur.description]
    types = [d.type_code for d in cur.description]
    assert names == ["id", "name", "data", "flag"]
    # int4 (23) on PostgreSQL, int8 (20) on ha; text 25; bytea 17; bool 16
    assert types[0] in (20, 23)
    assert types[1:] == [25, 17, 16]


@pytest.mark.parametrize(
    "sql, error, sqlstate",
    [
        ("SELECT * FROM py_no_such_table", errors.UndefinedTable, "42P01"),
        ("SELEC 1", errors.SyntaxError, "42601"),
    ],
)
def test_statement_errors(conn, sql, error, sqlstate):
    with pytest.raises(error) as info:
        conn.execute(sql)
    assert info.value.sqlstate == sqlstate
    assert info.value.diag.message_primary
    assert conn.execute("SELECT 1").fetchone() == (1,)


def test_constraint_errors(conn, fresh_table):
    t = fresh_table("py_constraints", "id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE")
    conn.execute(f"INSERT INTO {t} VALUES (%s, %s)", (1, "a"))
    with pytest.raises(errors.UniqueViolation) as info:
        conn.execute(f"INSERT INTO {t} VALUES (%s, %s)", (2, "a"))
    assert info.value.sqlstate == "23505"
    with pytest.raises(errors.UniqueViolation):
        conn.execute(f"INSERT INTO {t} VALUES (%s, %s)", (1, "b"))
    with pytest.raises(errors.NotNullViolation) as info:
        conn.execute(f"INSERT INTO {t} VALUES (%s, %s)", (3, None))
    assert info.value.sqlstate == "23502"
    # The connection is still usable and nothing of the failed statements landed.
    assert conn.execute(f"SELECT id, name FROM {t}").fetchall() == [(1, "a")]


def test_commit_persists_and_rollback_discards(target, txconn, fresh_table):
    t = fresh_table("py_tx", "id INTEGER PRIMARY KEY, name TEXT")
    txconn.execute(f"INSERT INTO {t} VALUES (%s, %s)", (1, "kept"))
    assert txconn.info.transaction_status == psycopg.pq.TransactionStatus.INTRANS
    txconn.commit()
    txconn.execute(f"INSERT INTO {t} VALUES (%s, %s)", (2, "discarded"))
    txconn.rollback()
    with txconn.transaction():  # BEGIN ... COMMIT
        txconn.execute(f"INSERT INTO {t} VALUES (%s, %s)", (3, "block"))
    with pytest.raises(RuntimeError):
        with txconn.transaction():  # BEGIN ... ROLLBACK
            txconn.execute(f"INSERT INTO {t} VALUES (%s, %s)", (4, "undone"))
            raise RuntimeError("abandon")
    # Seen from another connection: only the committed rows.
    with psycopg.connect(target.conninfo(), autocommit=True) as other:
        rows = other.execute(f"SELECT id, name FROM {t} ORDER BY id").fetchall()
    assert rows == [(1, "kept"), (3, "block")]


def test_error_aborts_transaction_until_rollback(txconn, fresh_table):
    t = fresh_table("py_tx_abort", "id INTEGER PRIMARY KEY, name TEXT")
    txconn.execute(f"INSERT INTO {t} VALUES (%s, %s)", (1, "lost"))
    with pytest.raises(errors.UndefinedTable):
        txconn.execute("SELECT * FROM py_tx_abort_missing")
    assert txconn.info.transaction_status == psycopg.pq.TransactionStatus.INERROR
    with pytest.raises(errors.InFailedSqlTransaction) as info:
        txconn.execute("SELECT 1")
    assert info.value.sqlstate == "25P02"
    txconn.rollback()
    assert txconn.execute(f"SELECT count(*) FROM {t}").fetchone() == (0,)
    txconn.rollback()


def test_savepoints(txconn, fresh_table):
    t = fresh_table("py_savepoints", "id INTEGER PRIMARY KEY, name TEXT")
    # psycopg's nested transaction(): SAVEPOINT / ROLLBACK TO SAVEPOINT + RELEASE.
    with txconn.transaction():
        txconn.execute(f"INSERT INTO {t} VALUES (%s, %s)", (1, "outer"))
        with pytest.raises(errors.UniqueViolation):
            with txconn.transaction():
                txconn.execute(f"INSERT INTO {t} VALUES (%s, %s)", (2, "inner"))
                txconn.execute(f"INSERT INTO {t} VALUES (%s, %s)", (1, "duplicate"))
        txconn.execute(f"INSERT INTO {t} VALUES (%s, %s)", (3, "after"))
    # The same by hand.
    txconn.execute(f"INSERT INTO {t} VALUES (%s, %s)", (4, "before sp"))
    txconn.execute("SAVEPOINT sp1")
    txconn.execute(f"INSERT INTO {t} VALUES (%s, %s)", (5, "in sp"))
    with pytest.raises(errors.UniqueViolation):
        txconn.execute(f"INSERT INTO {t} VALUES (%s, %s)", (4, "dup"))
    txconn.execute("ROLLBACK TO SAVEPOINT sp1")
    txconn.execute(f"INSERT INTO {t} VALUES (%s, %s)", (6, "after sp"))
    txconn.commit()
    rows = txconn.execute(f"SELECT id FROM {t} ORDER BY id").fetchall()
    assert [r[0] for r in rows] == [1, 3, 4, 6]
    txconn.rollback()


def test_prepared_statement_sees_new_data(conn, fresh_table):
    t = fresh_table("py_prepared", "id INTEGER PRIMARY KEY, name TEXT, score REAL")
    query = f"SELECT count(*), sum(score) FROM {t} WHERE score >= %s"
    for i in range(1, 7):
        conn.execute(f"INSERT INTO {t} VALUES (%s, %s, %s)", (i, f"n{i}", float(i)),
                     prepare=True)
        count, total = conn.execute(query, (2.0,), prepare=True).fetchone()
        assert count == max(i - 1, 0)
        assert (total or 0) == sum(range(2, i + 1))
    conn.execute(f"UPDATE {t} SET score = %s", (0.0,), prepare=True)
    assert conn.execute(query, (2.0,), prepare=True).fetchone() == (0, None)
    assert conn.execute(f"SELECT name FROM {t} WHERE id = %s", (3,), prepare=True).fetchone() \
        == ("n3",)


def test_executemany(conn, fresh_table):
    t = fresh_table("py_many", "id INTEGER PRIMARY KEY, name TEXT")
    with conn.cursor() as cur:
        cur.executemany(f"INSERT INTO {t} VALUES (%s, %s)", [(i, f"r{i}") for i in range(10)])
        assert cur.rowcount == 10
        cur.execute(f"SELECT count(*) FROM {t}")
        assert cur.fetchone() == (10,)


def test_show_databases(conn, ha_only):
    rows = conn.execute("SHOW DATABASES").fetchall()
    assert any("ha.db" in str(value) for row in rows for value in row), rows
