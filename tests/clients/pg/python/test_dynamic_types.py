"""SQLite's dynamic typing through psycopg (docs/postgresql.md, "Result types"): a column
whose values are not all of its declared type, or not of one class, never fails a query. A
column is described by its declared type while every value fits it, else by the class its
values share, else as text (integers in decimal, reals as SQLite writes them, blobs as
`\\x` hex)."""

from __future__ import annotations

import psycopg
import pytest

MIXED_ROWS = (
    "(1, 1.5, 'a', x'00ff', 1, 1), (2.5, 'zz', 3, 'text', 2.5, 'z'), "
    "('z', 2, x'41', 7, 'n', 2.5), (2.0, NULL, NULL, NULL, NULL, x'0102')"
)
# What SQLite holds, each column as text.
MIXED_AS_TEXT = [
    ("1", "1.5", "a", "\\x00ff", "1", "1"),
    ("2.5", "zz", "3", "text", "2.5", "z"),
    ("z", "2.0", "\\x41", "7", "n", "2.5"),
    ("2", None, None, None, None, "\\x0102"),
]
TEXT, INT8, FLOAT8, BYTEA = 25, 20, 701, 17


@pytest.fixture
def mixed(fresh_table, conn, ha_only):
    t = fresh_table("py_mixed", "i INTEGER, r REAL, t TEXT, b BLOB, n NUMERIC, u")
    conn.execute(f"INSERT INTO {t} VALUES {MIXED_ROWS}")
    return t


CURSORS = {
    "simple": lambda c: psycopg.ClientCursor(c),
    "extended-text": lambda c: c.cursor(),
    "extended-binary": lambda c: c.cursor(binary=True),
}


@pytest.mark.parametrize("kind", CURSORS)
def test_mixed_columns_read_back_as_sqlite_holds_them(conn, mixed, kind):
    cur = CURSORS[kind](conn)
    cur.execute(f"SELECT i, r, t, b, n, u FROM {mixed} ORDER BY rowid")
    assert cur.fetchall() == MIXED_AS_TEXT
    assert [d.type_code for d in cur.description] == [TEXT] * 6
    # Where every value fits, the declared type; else the class the values share.
    cases = [
        (f"SELECT i FROM {mixed} WHERE rowid IN (1, 4) ORDER BY rowid", [(1,), (2,)], INT8),
        (f"SELECT i FROM {mixed} WHERE rowid IN (1, 2) ORDER BY rowid", [(1.0,), (2.5,)], FLOAT8),
        (f"SELECT r FROM {mixed} WHERE rowid IN (1, 3) ORDER BY rowid", [(1.5,), (2.0,)], FLOAT8),
        (f"SELECT b FROM {mixed} WHERE rowid = 1", [(b"\x00\xff",)], BYTEA),
        (f"SELECT t FROM {mixed} WHERE rowid = 3", [("\\x41",)], TEXT),
    ]
    for sql, rows, oid in cases:
        cur.execute(sql)
        assert cur.fetchall() == rows, sql
        assert cur.description[0].type_code == oid, sql


@pytest.mark.parametrize("kind", CURSORS)
def test_expressions_of_several_classes(conn, ha_only, kind):
    cur = CURSORS[kind](conn)
    assert cur.execute("SELECT 1 UNION ALL SELECT 'x'").fetchall() == [("1",), ("x",)]
    assert cur.execute("SELECT 'x' UNION ALL SELECT 1").fetchall() == [("x",), ("1",)]
    cur.execute(
        "SELECT a, CASE WHEN a > 1 THEN 'big' ELSE a END AS c "
        "FROM (SELECT 1 AS a UNION ALL SELECT 2) ORDER BY a"
    )
    assert cur.fetchall() == [(1, "1"), (2, "big")]
    assert [d.type_code for d in cur.description] == [INT8, TEXT]
    assert cur.execute("SELECT 2.5 UNION ALL SELECT 1").fetchall() == [(2.5,), (1.0,)]


@pytest.mark.parametrize("binary", [False, True])
def test_prepared_statements_follow_each_executions_values(conn, mixed, binary):
    cur = conn.cursor(binary=binary)
    want = {1: (1, 1.5), 2: (2.5, "zz"), 3: ("z", 2.0), 4: (2, None)}
    for _ in range(3):
        for rowid, row in want.items():
            got = cur.execute(
                f"SELECT i, r FROM {mixed} WHERE rowid = %s", (rowid,), prepare=True
            ).fetchone()
            assert got == row, rowid


def test_a_write_returning_values_of_other_classes(conn, fresh_table, ha_only):
    """A write's portal is described when it runs (psycopg sends Bind, Describe, Execute at
    once), so its RETURNING columns are typed by the values it returns, like a read's."""
    t = fresh_table("py_returning", "id INTEGER PRIMARY KEY, v INTEGER")
    insert = f"INSERT INTO {t}(v) VALUES (%s::text) RETURNING id, v"
    for binary in (False, True):
        cur = conn.cursor(binary=binary)
        got = [cur.execute(insert, (value,)).fetchone() for value in ["1", "2.5", "z", "3"]]
        assert [row[1] for row in got] == [1, 2.5, "z", 3]
        assert [row[0] for row in got] == sorted(row[0] for row in got)
    rows = conn.execute(f"SELECT v, typeof(v) FROM {t} ORDER BY id").fetchall()
    assert rows == [
        ("1", "integer"),
        ("2.5", "real"),
        ("z", "text"),
        ("3", "integer"),
    ] * 2
