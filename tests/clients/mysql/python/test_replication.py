"""Replication written over MySQL: two `ha` nodes following one external nats-server; what a
MySQL client writes on node 1 is what a MySQL client reads on node 2."""

from __future__ import annotations

import os

import pymysql
import pytest

from harness import DATABASE, Broker, HaNode, Target, eventually

REPLICATION_TIMEOUT = 30.0


@pytest.fixture(scope="module")
def nodes():
    if os.environ.get("MYSQL_TEST_PORT"):
        pytest.skip("needs ha nodes and a broker of its own: not with MYSQL_TEST_PORT")
    broker = Broker()
    started: list[HaNode] = []
    try:
        for name in ("mysqlrepl1", "mysqlrepl2"):
            started.append(HaNode(name, "--nats-port=0", f"--replication-url={broker.url}",
                                  DATABASE))
        yield [Target(host=n.host, port=n.port, flavor="ha", node=n) for n in started]
    finally:
        for n in started:
            n.stop()
        broker.stop()


def fetch(target: Target, sql: str, args=None):
    c = target.connect()
    try:
        with c.cursor() as cur:
            cur.execute(sql, args)
            return cur.fetchall()
    finally:
        c.close()


def rows_on(target: Target, sql: str, args=None):
    """The rows, or None while the table does not exist there yet."""
    try:
        return fetch(target, sql, args)
    except pymysql.err.ProgrammingError as e:
        if e.args[0] == 1146:
            return None
        raise


def test_write_on_node1_is_read_on_node2(nodes):
    one, two = nodes
    c = one.connect()
    try:
        with c.cursor() as cur:
            cur.execute("CREATE TABLE repl_items(id INTEGER PRIMARY KEY, name VARCHAR(50), "
                        "big BIGINT, data BLOB)")
            cur.executemany("INSERT INTO repl_items VALUES (%s, %s, %s, %s)",
                            [(1, "héllo", 2**63 - 1, b"\x00\xff"), (2, "two", -2, None)])
    finally:
        c.close()
    want = ((1, "héllo", 2**63 - 1, b"\x00\xff"), (2, "two", -2, None))
    sql = "SELECT id, name, big, data FROM repl_items ORDER BY id"
    eventually(lambda: rows_on(two, sql) == want, REPLICATION_TIMEOUT,
               f"node 2 answers {want!r} to {sql!r}")
    assert fetch(one, sql) == want


def test_update_and_delete_on_node2_reach_node1(nodes):
    one, two = nodes
    c = one.connect()
    try:
        with c.cursor() as cur:
            cur.execute("CREATE TABLE repl_changes(id INTEGER PRIMARY KEY, name VARCHAR(50))")
            cur.executemany("INSERT INTO repl_changes VALUES (%s, %s)",
                            [(1, "a"), (2, "b"), (3, "c")])
    finally:
        c.close()
    sql = "SELECT id, name FROM repl_changes ORDER BY id"
    eventually(lambda: rows_on(two, sql) == ((1, "a"), (2, "b"), (3, "c")),
               REPLICATION_TIMEOUT, "the rows on node 2")
    c = two.connect()
    try:
        with c.cursor() as cur:
            assert cur.execute("UPDATE repl_changes SET name = %s WHERE id = %s", ("B", 2)) == 1
            assert cur.execute("DELETE FROM repl_changes WHERE id = %s", (3,)) == 1
    finally:
        c.close()
    eventually(lambda: rows_on(one, sql) == ((1, "a"), (2, "B")), REPLICATION_TIMEOUT,
               "node 2's update and delete on node 1")


def test_read_your_writes_with_ha_last_seq_and_ha_min_seq(nodes):
    # The session variable @@ha_last_seq holds the log sequence of the session's last write
    # (PostgreSQL wire: ha.last_seq); `SET ha_min_seq = N` on another node makes its reads wait
    # until that node has applied N (SPEC §7), so the row is there on the first read.
    one, two = nodes
    c = one.connect()
    try:
        with c.cursor() as cur:
            cur.execute("CREATE TABLE repl_ryw(id INTEGER PRIMARY KEY, name VARCHAR(50))")
            cur.execute("INSERT INTO repl_ryw VALUES (%s, %s)", (1, "mine"))
            cur.execute("SELECT @@ha_last_seq")
            seq = int(cur.fetchone()[0])
    finally:
        c.close()
    assert seq > 0
    c = two.connect()
    try:
        with c.cursor() as cur:
            cur.execute(f"SET ha_min_seq = {seq}")
            cur.execute("SELECT id, name FROM repl_ryw")
            assert cur.fetchall() == ((1, "mine"),)
    finally:
        c.close()
