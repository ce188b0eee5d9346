"""ha's MySQL front end driven by PyMySQL (pure Python, text protocol, `%s` parameters)."""

from __future__ import annotations

import pymysql
import pytest
from pymysql.constants import FIELD_TYPE

BIGINT_MAX = 2**63 - 1
BIGINT_MIN = -(2**63)


def one(conn, sql, args=None):
    with conn.cursor() as cur:
        cur.execute(sql, args)
        return cur.fetchone()


def all_rows(conn, sql, args=None):
    with conn.cursor() as cur:
        cur.execute(sql, args)
        return cur.fetchall()


def test_connect_reports_a_server_version_and_the_database(conn):
    assert conn.get_server_info()
    assert conn.server_version[0].isdigit()
    assert one(conn, "SELECT DATABASE()") == ("ha.db",)
    assert one(conn, "SELECT 1 + 1") == (2,)


def test_wrong_password_is_refused_with_1045(target, conn):
    with pytest.raises(pymysql.err.OperationalError) as info:
        target.connect(password="not-the-password")
    assert info.value.args[0] == 1045, info.value
    # The refusal leaves the server serving others.
    assert one(conn, "SELECT 2") == (2,)


def test_insert_update_delete_with_parameters_report_rowcount(conn, fresh_table):
    t = fresh_table("py_crud", "id INTEGER PRIMARY KEY, name VARCHAR(50) NOT NULL, score DOUBLE")
    with conn.cursor() as cur:
        for i, name in enumerate(["a", "b", "c"], start=1):
            assert cur.execute(f"INSERT INTO {t}(id, name, score) VALUES (%s, %s, %s)",
                               (i, name, i * 1.5)) == 1
            assert cur.rowcount == 1
        assert cur.execute(f"UPDATE {t} SET score = %s WHERE id >= %s", (10.0, 2)) == 2
        assert cur.rowcount == 2
        cur.execute(f"UPDATE {t} SET name = %s WHERE id = %s", ("zz", 99))
        assert cur.rowcount == 0
        cur.execute(f"DELETE FROM {t} WHERE name = %(name)s", {"name": "a"})
        assert cur.rowcount == 1
        cur.execute(f"SELECT id, name, score FROM {t} WHERE id > %s ORDER BY id", (0,))
        assert cur.rowcount == 2
        assert cur.fetchall() == ((2, "b", 10.0), (3, "c", 10.0))
        # A parameter that needs quoting on its way into the SQL text.
        cur.execute(f"INSERT INTO {t} VALUES (%s, %s, %s)", (4, "it's \"quoted\" \\ ok", None))
        cur.execute(f"SELECT name, score FROM {t} WHERE id = %s", (4,))
        assert cur.fetchone() == ("it's \"quoted\" \\ ok", None)


def test_executemany_inserts_every_row(conn, fresh_table):
    t = fresh_table("py_many", "id INTEGER PRIMARY KEY, name VARCHAR(50)")
    with conn.cursor() as cur:
        n = cur.executemany(f"INSERT INTO {t}(id, name) VALUES (%s, %s)",
                            [(i, f"r{i}") for i in range(50)])
        assert n == 50 and cur.rowcount == 50
        # Not an INSERT ... VALUES: PyMySQL runs it once per row.
        n = cur.executemany(f"UPDATE {t} SET name = %s WHERE id = %s",
                            [("x", 1), ("y", 2), ("z", 999)])
        assert n == 2
        cur.execute(f"SELECT count(*), min(name), max(name) FROM {t}")
        assert cur.fetchone() == (50, "r0", "y")


def test_values_at_the_edges_round_trip_exactly(conn, fresh_table):
    t = fresh_table("py_edges", "id INTEGER PRIMARY KEY, big BIGINT, dbl DOUBLE, txt TEXT, "
                                "bin BLOB")
    values = [
        (1, BIGINT_MAX, 3.141592653589793, "héllo wörld ✓ 日本語 🎉", b"\x00\xff\x00abc\xff"),
        (2, BIGINT_MIN, -0.5, "", b""),
        (3, -1, 1e300, "line\nbreak\ttab 'quote' \\ back", bytes(range(256))),
        (4, None, None, None, None),
        (5, 0, 2.5e-300, "x" * 60000, b"\x00" * 60000),
    ]
    with conn.cursor() as cur:
        cur.executemany(f"INSERT INTO {t} VALUES (%s, %s, %s, %s, %s)", values)
        cur.execute(f"SELECT id, big, dbl, txt, bin FROM {t} ORDER BY id")
        got = cur.fetchall()
    assert [tuple(r) for r in got] == values
    assert [type(v) for v in got[0]] == [int, int, float, str, bytes]
    assert type(got[1][4]) is bytes and got[1][4] == b""
    # Parameters in a WHERE clause find the same values.
    assert one(conn, f"SELECT id FROM {t} WHERE big = %s", (BIGINT_MAX,)) == (1,)
    assert one(conn, f"SELECT id FROM {t} WHERE bin = %s", (b"\x00\xff\x00abc\xff",)) == (1,)
    assert one(conn, f"SELECT id FROM {t} WHERE txt = %s", ("héllo wörld ✓ 日本語 🎉",)) == (1,)


def test_result_columns_are_typed_from_declared_types(conn, fresh_table):
    t = fresh_table("py_coltypes", "id INTEGER PRIMARY KEY, big BIGINT, dbl DOUBLE, "
                                   "name VARCHAR(50), txt TEXT, bin BLOB")
    with conn.cursor() as cur:
        cur.execute(f"INSERT INTO {t} VALUES (%s, %s, %s, %s, %s, %s)",
                    (1, 2, 0.5, "n", "t", b"b"))
        cur.execute(f"SELECT id, big, dbl, name, txt, bin FROM {t}")
        names = [d[0] for d in cur.description]
        codes = [d[1] for d in cur.description]
    blobs = (FIELD_TYPE.BLOB, FIELD_TYPE.TINY_BLOB, FIELD_TYPE.MEDIUM_BLOB, FIELD_TYPE.LONG_BLOB)
    assert names == ["id", "big", "dbl", "name", "txt", "bin"]
    assert codes[0] in (FIELD_TYPE.LONG, FIELD_TYPE.LONGLONG), codes
    assert codes[1] == FIELD_TYPE.LONGLONG, codes
    assert codes[2] == FIELD_TYPE.DOUBLE, codes
    assert codes[3] in (FIELD_TYPE.VAR_STRING, FIELD_TYPE.VARCHAR, FIELD_TYPE.STRING), codes
    assert codes[4] in blobs + (FIELD_TYPE.VAR_STRING,), codes
    assert codes[5] in blobs, codes


def test_lastrowid_of_generated_keys(conn, fresh_table):
    t = fresh_table("py_auto", "id {autoinc}, name VARCHAR(50)")
    with conn.cursor() as cur:
        cur.execute(f"INSERT INTO {t}(name) VALUES (%s)", ("first",))
        assert cur.lastrowid == 1
        cur.execute(f"INSERT INTO {t}(name) VALUES (%s)", ("second",))
        assert cur.lastrowid == 2
        assert conn.insert_id() == 2
        cur.execute("SELECT LAST_INSERT_ID()")
        assert cur.fetchone() == (2,)
        cur.execute(f"SELECT id FROM {t} WHERE name = %s", ("second",))
        assert cur.fetchone() == (2,)


def test_autocommit_off_commit_persists_and_rollback_discards(target, txconn, fresh_table):
    t = fresh_table("py_tx", "id INTEGER PRIMARY KEY, name VARCHAR(50)")
    assert one(txconn, "SELECT @@autocommit") == (0,)
    assert txconn.get_autocommit() is False
    with txconn.cursor() as cur:
        cur.execute(f"INSERT INTO {t} VALUES (%s, %s)", (1, "kept"))
        txconn.commit()
        cur.execute(f"INSERT INTO {t} VALUES (%s, %s)", (2, "discarded"))
        # Inside the open transaction the row is there...
        cur.execute(f"SELECT count(*) FROM {t}")
        assert cur.fetchone() == (2,)
        # ...and another connection does not see it yet.
        other = target.connect()
        try:
            assert one(other, f"SELECT count(*) FROM {t}") == (1,)
        finally:
            other.close()
        txconn.rollback()
        cur.execute(f"SELECT id, name FROM {t}")
        assert cur.fetchall() == ((1, "kept"),)
    txconn.rollback()


def test_begin_commit_and_rollback_in_autocommit_mode(target, conn, fresh_table):
    t = fresh_table("py_begin", "id INTEGER PRIMARY KEY, name VARCHAR(50)")
    with conn.cursor() as cur:
        conn.begin()
        cur.execute(f"INSERT INTO {t} VALUES (%s, %s)", (1, "kept"))
        conn.commit()
        conn.begin()
        cur.execute(f"INSERT INTO {t} VALUES (%s, %s)", (2, "undone"))
        conn.rollback()
        cur.execute("START TRANSACTION")
        cur.execute(f"INSERT INTO {t} VALUES (%s, %s)", (3, "kept too"))
        cur.execute("COMMIT")
    other = target.connect()
    try:
        assert all_rows(other, f"SELECT id FROM {t} ORDER BY id") == ((1,), (3,))
    finally:
        other.close()


def test_switching_autocommit_on_a_connection(target, conn, fresh_table):
    t = fresh_table("py_switch", "id INTEGER PRIMARY KEY")
    conn.autocommit(False)
    assert one(conn, "SELECT @@autocommit") == (0,)
    with conn.cursor() as cur:
        cur.execute(f"INSERT INTO {t} VALUES (1)")
    conn.rollback()
    conn.autocommit(True)
    assert one(conn, "SELECT @@session.autocommit") == (1,)
    with conn.cursor() as cur:
        cur.execute(f"INSERT INTO {t} VALUES (2)")
    other = target.connect()
    try:
        assert all_rows(other, f"SELECT id FROM {t}") == ((2,),)
    finally:
        other.close()


@pytest.mark.parametrize(
    "sql, error, errno",
    [
        ("SELEC 1", pymysql.err.ProgrammingError, 1064),
        ("SELECT * FROM py_no_such_table", pymysql.err.ProgrammingError, 1146),
        ("INSERT INTO py_no_such_table VALUES (1)", pymysql.err.ProgrammingError, 1146),
    ],
    ids=["syntax", "select-unknown-table", "insert-unknown-table"],
)
def test_statement_errors_carry_mysql_numbers(conn, sql, error, errno):
    with pytest.raises(error) as info:
        with conn.cursor() as cur:
            cur.execute(sql)
    assert info.value.args[0] == errno, info.value
    assert info.value.args[1]
    assert one(conn, "SELECT 1") == (1,)


def test_constraint_errors_are_integrity_errors_with_mysql_numbers(conn, fresh_table):
    t = fresh_table("py_constraints", "id INTEGER PRIMARY KEY, name VARCHAR(50) NOT NULL UNIQUE")
    with conn.cursor() as cur:
        cur.execute(f"INSERT INTO {t} VALUES (%s, %s)", (1, "a"))
        for args, errno in [((2, "a"), 1062), ((1, "b"), 1062), ((3, None), 1048)]:
            with pytest.raises(pymysql.err.IntegrityError) as info:
                cur.execute(f"INSERT INTO {t} VALUES (%s, %s)", args)
            assert info.value.args[0] == errno, (args, info.value)
        # The connection is still usable and nothing of the failed statements landed.
        cur.execute(f"SELECT id, name FROM {t}")
        assert cur.fetchall() == ((1, "a"),)


def test_error_inside_a_transaction_keeps_the_transaction_usable(target, txconn, fresh_table):
    t = fresh_table("py_tx_error", "id INTEGER PRIMARY KEY, name VARCHAR(50)")
    with txconn.cursor() as cur:
        cur.execute(f"INSERT INTO {t} VALUES (%s, %s)", (1, "a"))
        with pytest.raises(pymysql.err.IntegrityError):
            cur.execute(f"INSERT INTO {t} VALUES (%s, %s)", (1, "dup"))
        # MySQL keeps the transaction and its earlier work after a failed statement.
        cur.execute(f"INSERT INTO {t} VALUES (%s, %s)", (2, "b"))
    txconn.commit()
    assert all_rows(txconn, f"SELECT id FROM {t} ORDER BY id") == ((1,), (2,))
    txconn.rollback()


def test_use_of_an_unknown_database_fails_and_the_connection_stays_usable(target, conn):
    with pytest.raises(pymysql.err.OperationalError) as info:
        with conn.cursor() as cur:
            cur.execute("USE `py_no_such.db`")
    assert info.value.args[0] == 1049, info.value
    assert one(conn, "SELECT DATABASE(), 7") == ("ha.db", 7)
    # The same through COM_INIT_DB.
    with pytest.raises(pymysql.err.OperationalError) as info:
        conn.select_db("py_no_such.db")
    assert info.value.args[0] == 1049, info.value
    assert one(conn, "SELECT DATABASE(), 8") == ("ha.db", 8)
    # And at connect time.
    with pytest.raises(pymysql.err.OperationalError) as info:
        target.connect(database="py_no_such.db")
    assert info.value.args[0] == 1049, info.value


def test_connect_without_a_database_then_use_ha_db(target):
    c = target.connect(database=None)
    try:
        with c.cursor() as cur:
            cur.execute("USE `ha.db`")
            cur.execute("SELECT DATABASE()")
            assert cur.fetchone() == ("ha.db",)
        c.select_db("ha.db")
        assert one(c, "SELECT DATABASE()") == ("ha.db",)
    finally:
        c.close()


def test_show_databases_lists_ha_db(conn):
    with conn.cursor() as cur:
        cur.execute("SHOW DATABASES")
        assert [d[0] for d in cur.description] == ["Database"]
        names = [r[0] for r in cur.fetchall()]
    assert "ha.db" in names


def test_create_use_and_drop_database_with_quoted_names(target, conn):
    name = "py_extra.db"
    try:
        with conn.cursor() as cur:
            cur.execute(f"CREATE DATABASE `{name}`")
            cur.execute("SHOW DATABASES")
            assert name in [r[0] for r in cur.fetchall()]
            cur.execute(f"USE `{name}`")
            cur.execute("SELECT DATABASE()")
            assert cur.fetchone() == (name,)
            cur.execute("CREATE TABLE only_here(id INTEGER PRIMARY KEY, v VARCHAR(10))")
            cur.execute("INSERT INTO only_here VALUES (%s, %s)", (1, "x"))
            cur.execute("SELECT v FROM only_here")
            assert cur.fetchone() == ("x",)
            cur.execute("USE `ha.db`")
            with pytest.raises(pymysql.err.ProgrammingError) as info:
                cur.execute("SELECT v FROM only_here")
            assert info.value.args[0] == 1146
            cur.execute(f"USE `{name}`")
            cur.execute("SELECT v FROM only_here")
            assert cur.fetchone() == ("x",)
            cur.execute("USE `ha.db`")
            cur.execute(f"DROP DATABASE `{name}`")
            cur.execute("SHOW DATABASES")
            assert name not in [r[0] for r in cur.fetchall()]
    finally:
        # For reruns against a persistent server; whatever went wrong above is the report.
        cleanup = target.connect()
        try:
            with cleanup.cursor() as cur:
                cur.execute(f"DROP DATABASE `{name}`")
        except pymysql.err.MySQLError:
            pass
        finally:
            cleanup.close()


def test_create_use_and_drop_database_with_ha_special_commands(target, ha_only):
    # ha's own spelling (SPEC §2): bare ids with a dot, as over HTTP, gRPC and PostgreSQL wire.
    c = target.connect()
    try:
        with c.cursor() as cur:
            cur.execute("CREATE DATABASE py_special.db")
            cur.execute("SHOW DATABASES")
            assert "py_special.db" in [r[0] for r in cur.fetchall()]
            cur.execute("USE py_special.db")
            assert (cur.execute("SELECT DATABASE()"), cur.fetchone()) == (1, ("py_special.db",))
            cur.execute("CREATE TABLE t(id INTEGER PRIMARY KEY)")
            cur.execute("SET DATABASE TO ha.db")
            assert (cur.execute("SELECT DATABASE()"), cur.fetchone()) == (1, ("ha.db",))
            cur.execute("SET DATABASE = py_special.db")
            assert (cur.execute("SELECT count(*) FROM t"), cur.fetchone()) == (1, (0,))
            cur.execute("USE ha.db")
            cur.execute("DROP DATABASE py_special.db")
            cur.execute("SHOW DATABASES")
            assert "py_special.db" not in [r[0] for r in cur.fetchall()]
    finally:
        c.close()


def test_show_tables_hides_internal_tables(conn, fresh_table, ha_only):
    fresh_table("py_visible", "id INTEGER PRIMARY KEY")
    with conn.cursor() as cur:
        cur.execute("SHOW TABLES")
        names = [r[0] for r in cur.fetchall()]
    assert "py_visible" in names
    assert not [n for n in names if n.startswith("_ha_")], names


def test_set_ha_min_seq_is_accepted(conn, fresh_table, ha_only):
    # Read-your-writes (SPEC §7): 0 means "wait for nothing"; the wait itself is tested across
    # two nodes in test_replication.py.
    t = fresh_table("py_min_seq", "id INTEGER PRIMARY KEY")
    with conn.cursor() as cur:
        cur.execute("SET ha_min_seq = 0")
        cur.execute(f"INSERT INTO {t} VALUES (1)")
        cur.execute(f"SELECT count(*) FROM {t}")
        assert cur.fetchone() == (1,)


def test_session_variables_drivers_ask_for_at_connect(conn):
    with conn.cursor() as cur:
        cur.execute(
            "SELECT @@session.auto_increment_increment, @@character_set_client, "
            "@@character_set_connection, @@character_set_results, @@character_set_server, "
            "@@collation_server, @@max_allowed_packet, @@sql_mode, @@lower_case_table_names, "
            "@@session.time_zone, @@system_time_zone, @@wait_timeout, @@interactive_timeout, "
            "@@net_write_timeout, @@version_comment, @@session.autocommit")
        row = cur.fetchone()
    names = ["auto_increment_increment", "character_set_client", "character_set_connection",
             "character_set_results", "character_set_server", "collation_server",
             "max_allowed_packet", "sql_mode", "lower_case_table_names", "time_zone",
             "system_time_zone", "wait_timeout", "interactive_timeout", "net_write_timeout",
             "version_comment", "autocommit"]
    values = dict(zip(names, row))
    assert int(values["auto_increment_increment"]) == 1, values
    assert int(values["max_allowed_packet"]) >= 1 << 20, values
    assert int(values["lower_case_table_names"]) in (0, 1, 2), values
    assert values["sql_mode"] is not None, values
    assert int(values["autocommit"]) == 1, values


def test_set_of_session_settings_is_accepted(conn):
    with conn.cursor() as cur:
        cur.execute("SET NAMES utf8mb4")
        cur.execute("SET SESSION sql_mode = 'STRICT_TRANS_TABLES,NO_ENGINE_SUBSTITUTION'")
        cur.execute("SET @@session.time_zone = '+00:00'")
        cur.execute("SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED")
        cur.execute("SET character_set_results = NULL")
        cur.execute("SELECT 'still here'")
        assert cur.fetchone() == ("still here",)
