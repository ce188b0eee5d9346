"""SQLite's own sqllogictest files (tests/sqllogictest/, see its README.md) through ha's
PostgreSQL front end with psycopg 3, in three modes:

- simple: a ClientCursor, which sends each record's SQL with the simple query protocol;
- extended-text: a normal cursor inside a pipeline block, so that each statement goes out as
  Parse/Bind/Describe/Execute/Sync (and a Flush), results in text: without parameters and
  outside a pipeline, a normal cursor would use the simple protocol too;
- extended-binary: a normal cursor with binary=True (Parse/Bind/Describe/Execute/Sync, results
  in binary).

The extended protocol takes one statement at a time, so in those modes a record holding
several (the reference runner runs statements with sqlite3_exec()) is sent one by one
(sqllogictest.split_statements); a simple query takes them all at once.

Each file × mode runs in a database of its own (CREATE DATABASE, then connecting with that
dbname), so no file sees another's tables. The answers must be SQLite's: a mismatch fails the
test with the file, the record's line, its SQL and the expected and actual values (up to
sqllogictest.MAX_FAILURES per file). Per file and mode, how many records ran and were skipped
is printed in pytest's terminal summary.
"""

from __future__ import annotations

import re
from pathlib import Path

import psycopg
import pytest

import sqllogictest

CORPUS = Path(__file__).resolve().parents[3] / "sqllogictest"
FILES = sorted(p.relative_to(CORPUS).as_posix() for p in CORPUS.rglob("*.test"))
MODES = ["simple", "extended-text", "extended-binary"]


class _Summary:
    """A plugin, registered by the module: prints every run's counts in pytest's terminal
    summary (before its closing line)."""

    def __init__(self):
        self.reports: list[sqllogictest.Report] = []

    def pytest_terminal_summary(self, terminalreporter):
        if self.reports:
            terminalreporter.section("sqllogictest: records per file and mode")
            for report in self.reports:
                terminalreporter.write_line(report.summary())


@pytest.fixture(scope="module")
def reports(request):
    """The list each run's report goes to (printed at the end of the session)."""
    manager = request.config.pluginmanager
    plugin = manager.get_plugin("sqllogictest-summary")
    if plugin is None:
        plugin = _Summary()
        manager.register(plugin, "sqllogictest-summary")
    return plugin.reports


def _database_id(name: str, mode: str) -> str:
    return "slt_" + re.sub(r"[^a-z0-9]+", "_", f"{name}_{mode}".lower()).strip("_") + ".db"


def _executor(conn: psycopg.Connection, mode: str):
    """execute(sql) -> (column count, rows or None) for one mode."""
    if mode == "simple":
        cur = psycopg.ClientCursor(conn)
    elif mode == "extended-text":
        cur = conn.cursor()
    else:
        cur = conn.cursor(binary=True)

    def result():
        if cur.description is None:
            return 0, None
        return len(cur.description), cur.fetchall()

    if mode == "simple":
        def execute(sql: str):
            cur.execute(sql)  # a simple query may hold several statements
            return result()
    elif mode == "extended-text":
        def execute(sql: str):
            for statement in sqllogictest.split_statements(sql):
                with conn.pipeline():
                    cur.execute(statement)
            return result()
    else:
        def execute(sql: str):
            for statement in sqllogictest.split_statements(sql):
                cur.execute(statement)
            return result()
    return execute


@pytest.fixture
def fresh_database(target):
    """Returns make(id): a new empty database `id` on the node (dropped again afterwards)."""
    made = []

    def make(db_id: str) -> str:
        with psycopg.connect(target.conninfo(), autocommit=True) as admin:
            try:
                admin.execute(f"DROP DATABASE {db_id}")  # left by an earlier run on this server
            except psycopg.Error:
                pass
            admin.execute(f"CREATE DATABASE {db_id}")
        made.append(db_id)
        return db_id

    yield make
    with psycopg.connect(target.conninfo(), autocommit=True) as admin:
        for db_id in made:
            admin.execute(f"DROP DATABASE {db_id}")


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name", FILES)
def test_sqllogictest(target, ha_only, fresh_database, reports, name, mode):
    db_id = fresh_database(_database_id(name, mode))
    conninfo = psycopg.conninfo.make_conninfo(target.conninfo(), dbname=db_id)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        # The startup dbname falls back to the default database if it names none: make sure.
        assert conn.execute("SELECT current_database()").fetchone() == (db_id,)
        report = sqllogictest.run(CORPUS / name, _executor(conn, mode), name=name, mode=mode,
                                  error_types=(psycopg.Error,))
    reports.append(report)
    assert report.ran > 0, report.summary()
    if report.failures:
        pytest.fail(report.failure_text(), pytrace=False)
