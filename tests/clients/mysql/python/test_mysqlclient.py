"""ha's MySQL front end driven by mysqlclient (MySQLdb, over MariaDB Connector/C).

Optional: mysqlclient builds from source against libmariadb-dev; scripts/test-mysql-clients
installs it when it can, and these tests are skipped when it is not importable.
"""

from __future__ import annotations

import pytest

from harness import DATABASE, PASSWORD, USER

MySQLdb = pytest.importorskip("MySQLdb")


@pytest.fixture
def db(target):
    c = MySQLdb.connect(host=target.host, port=target.port, user=USER, password=PASSWORD,
                        database=DATABASE, connect_timeout=10, charset="utf8mb4",
                        autocommit=True)
    yield c
    c.close()


def test_mysqlclient_connects_and_selects(db):
    cur = db.cursor()
    cur.execute("SELECT 1, 'x', DATABASE()")
    assert cur.fetchone() == (1, "x", "ha.db")


def test_mysqlclient_wrong_password_is_refused_with_1045(target):
    with pytest.raises(MySQLdb.OperationalError) as info:
        MySQLdb.connect(host=target.host, port=target.port, user=USER, password="nope",
                        database=DATABASE, connect_timeout=10)
    assert info.value.args[0] == 1045


def test_mysqlclient_crud_with_parameters(db, fresh_table):
    t = fresh_table("mc_crud", "id {autoinc}, name VARCHAR(50) NOT NULL UNIQUE, big BIGINT, "
                               "data BLOB")
    cur = db.cursor()
    assert cur.execute(f"INSERT INTO {t}(name, big, data) VALUES (%s, %s, %s)",
                       ("a", 2**63 - 1, b"\x00\xff")) == 1
    assert cur.lastrowid == 1
    cur.executemany(f"INSERT INTO {t}(name, big, data) VALUES (%s, %s, %s)",
                    [("b", -1, b""), ("c", None, None)])
    assert cur.rowcount == 2
    assert cur.execute(f"UPDATE {t} SET big = %s WHERE big IS NULL OR big < %s", (7, 0)) == 2
    assert cur.execute(f"DELETE FROM {t} WHERE name = %s", ("c",)) == 1
    cur.execute(f"SELECT id, name, big, data FROM {t} ORDER BY id")
    assert cur.fetchall() == ((1, "a", 2**63 - 1, b"\x00\xff"), (2, "b", 7, b""))


def test_mysqlclient_errors_carry_mysql_numbers(db, fresh_table):
    t = fresh_table("mc_errors", "id INTEGER PRIMARY KEY, name VARCHAR(50) NOT NULL")
    cur = db.cursor()
    cur.execute(f"INSERT INTO {t} VALUES (1, 'a')")
    for sql, error, errno in [
        ("SELEC 1", MySQLdb.ProgrammingError, 1064),
        ("SELECT * FROM mc_no_such_table", MySQLdb.ProgrammingError, 1146),
        (f"INSERT INTO {t} VALUES (1, 'b')", MySQLdb.IntegrityError, 1062),
        (f"INSERT INTO {t} VALUES (2, NULL)", MySQLdb.IntegrityError, 1048),
    ]:
        with pytest.raises(error) as info:
            cur.execute(sql)
        assert info.value.args[0] == errno, (sql, info.value)
    cur.execute(f"SELECT count(*) FROM {t}")
    assert cur.fetchone() == (1,)


def test_mysqlclient_transactions(target, fresh_table):
    t = fresh_table("mc_tx", "id INTEGER PRIMARY KEY")
    c = MySQLdb.connect(host=target.host, port=target.port, user=USER, password=PASSWORD,
                        database=DATABASE, connect_timeout=10)
    try:
        c.autocommit(False)
        cur = c.cursor()
        cur.execute(f"INSERT INTO {t} VALUES (1)")
        c.commit()
        cur.execute(f"INSERT INTO {t} VALUES (2)")
        c.rollback()
        cur.execute(f"SELECT id FROM {t}")
        assert cur.fetchall() == ((1,),)
        c.rollback()
    finally:
        c.close()
