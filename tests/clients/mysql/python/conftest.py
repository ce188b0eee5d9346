"""Fixtures: one `ha` node (or an existing server) for the whole session.

By default a standalone node is started from $HA_BIN (default
$HOME/.cache/ha/target/debug/ha) with its MySQL front end on a free port, serving the in-memory
database `ha.db`. Set MYSQL_TEST_PORT (and optionally MYSQL_TEST_HOST,
MYSQL_TEST_FLAVOR=mariadb|mysql|ha) to run the same tests against a server that is already
running, e.g. a real MariaDB with a user ha/ha (all privileges) and a database `ha.db`. Tests
that only make sense on ha are skipped there; the one difference in DDL (an auto-increment key)
is chosen here (`Target.autoinc`).
"""

from __future__ import annotations

import os

import pytest

from harness import DATABASE, HaNode, Target


@pytest.fixture(scope="session")
def target():
    if os.environ.get("MYSQL_TEST_PORT"):
        yield Target(
            host=os.environ.get("MYSQL_TEST_HOST", "127.0.0.1"),
            port=int(os.environ["MYSQL_TEST_PORT"]),
            flavor=os.environ.get("MYSQL_TEST_FLAVOR", "mariadb"),
        )
        return
    try:
        node = HaNode("mysqltest", "-m", "--nats-port=0", DATABASE)
    except RuntimeError as e:
        pytest.exit(str(e), returncode=3)
    try:
        yield Target(host=node.host, port=node.port, flavor="ha", node=node)
    finally:
        node.stop()


@pytest.fixture
def conn(target):
    """An autocommit connection to ha.db: every statement is its own transaction."""
    c = target.connect()
    yield c
    c.close()


@pytest.fixture
def txconn(target):
    """A connection in PyMySQL's default mode: autocommit off, so the first statement opens a
    transaction that lasts until commit() or rollback()."""
    c = target.connect(autocommit=False)
    yield c
    c.close()


@pytest.fixture
def ha_only(target):
    if not target.is_ha:
        pytest.skip("ha-specific: not on a real MySQL/MariaDB")


@pytest.fixture
def fresh_table(target):
    """Returns make(name, columns): drops and creates table `name` on its own connection (so
    reruns against a persistent server start clean) and returns the name. `{autoinc}` in
    `columns` becomes the target's self-numbering key."""

    def make(name: str, columns: str) -> str:
        c = target.connect()
        try:
            with c.cursor() as cur:
                cur.execute(f"DROP TABLE IF EXISTS {name}")
                cur.execute(f"CREATE TABLE {name}({columns.format(autoinc=target.autoinc)})")
        finally:
            c.close()
        return name

    return make


@pytest.fixture
def server_still_serves(target):
    """Checks, after the test, that the server process lives and a fresh client gets answers."""
    yield
    assert target.alive(), "the ha process died:\n" + (target.node.output() if target.node else "")
    c = target.connect()
    try:
        with c.cursor() as cur:
            cur.execute("SELECT 41 + 1")
            assert cur.fetchone() == (42,)
    finally:
        c.close()
