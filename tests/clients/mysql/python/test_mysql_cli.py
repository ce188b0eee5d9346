"""ha's MySQL front end driven by the mysql command-line client (Debian's mariadb-client), the
way a person or a shell script uses it: `-e "..."` and a script on standard input (batch mode,
tab-separated output)."""

from __future__ import annotations

import re

import pytest


def ok(result) -> str:
    """The output of a run that must have succeeded."""
    assert result.returncode == 0, f"mysql exited {result.returncode}: {result.stderr}"
    return result.stdout


def rows(output: str) -> list[list[str]]:
    """Batch-mode output (-B -N: no header) as rows of strings."""
    return [line.split("\t") for line in output.splitlines()]


def test_cli_select_prints_a_header_and_the_rows(target):
    out = ok(target.mysql("-B", sql="SELECT 1 AS one, 'x' AS letter, NULL AS missing"))
    assert out.splitlines() == ["one\tletter\tmissing", "1\tx\tNULL"]


def test_cli_insert_update_delete_print_affected_rows(target, fresh_table):
    t = fresh_table("cli_crud", "id INTEGER PRIMARY KEY, name VARCHAR(50) NOT NULL, score DOUBLE")
    out = ok(target.mysql("-vvv", sql=(
        f"INSERT INTO {t}(id, name, score) VALUES (1, 'a', 1.5), (2, 'b', 2.5), (3, 'c', 3.5);"
        f"UPDATE {t} SET score = 10 WHERE id >= 2;"
        f"UPDATE {t} SET name = 'zz' WHERE id = 99;"
        f"DELETE FROM {t} WHERE name = 'a';")))
    affected = re.findall(r"Query OK, (\d+) rows? affected", out)
    assert affected == ["3", "2", "0", "1"], out
    out = ok(target.mysql("-B", "-N", sql=f"SELECT id, name, score FROM {t} ORDER BY id"))
    assert rows(out) == [["2", "b", "10"], ["3", "c", "10"]]


def test_cli_last_insert_id_after_an_insert_with_a_generated_key(target, fresh_table):
    t = fresh_table("cli_auto", "id {autoinc}, name VARCHAR(50)")
    out = ok(target.mysql("-B", "-N", sql=(
        f"INSERT INTO {t}(name) VALUES ('first'); INSERT INTO {t}(name) VALUES ('second');"
        "SELECT LAST_INSERT_ID();")))
    assert out.split() == ["2"]


def test_cli_script_on_stdin_runs_every_statement(target):
    script = """
DROP TABLE IF EXISTS cli_script;
CREATE TABLE cli_script(id INTEGER PRIMARY KEY, name VARCHAR(50));
INSERT INTO cli_script VALUES (1, 'one');
INSERT INTO cli_script VALUES
    (2, 'two'),
    (3, 'three');
SELECT count(*) FROM cli_script;
SELECT name FROM cli_script WHERE id = 3;
"""
    out = ok(target.mysql("-B", "-N", stdin=script))
    assert out.splitlines() == ["3", "three"]


@pytest.fixture
def err_table(fresh_table):
    t = fresh_table("cli_errors", "id INTEGER PRIMARY KEY, name VARCHAR(50) NOT NULL UNIQUE")
    return t


@pytest.mark.parametrize(
    "sql, errno, sqlstate",
    [
        ("SELEC 1", 1064, "42000"),
        ("SELECT * FROM cli_no_such_table", 1146, "42S02"),
        ("INSERT INTO cli_errors VALUES (1, 'again')", 1062, "23000"),
        ("INSERT INTO cli_errors VALUES (2, 'a')", 1062, "23000"),
        ("INSERT INTO cli_errors VALUES (3, NULL)", 1048, "23000"),
    ],
    ids=["syntax", "unknown-table", "duplicate-key", "duplicate-unique", "not-null"],
)
def test_cli_errors_print_mysql_error_numbers(target, err_table, sql, errno, sqlstate):
    ok(target.mysql(sql=f"INSERT INTO {err_table} VALUES (1, 'a')"))
    result = target.mysql(sql=sql)
    assert result.returncode == 1, result
    assert re.search(rf"^ERROR {errno} \({sqlstate}\)", result.stderr, re.M), result.stderr
    # Nothing of the failed statement landed.
    out = ok(target.mysql("-B", "-N", sql=f"SELECT id, name FROM {err_table}"))
    assert rows(out) == [["1", "a"]]


def test_cli_wrong_password_is_refused_with_1045(target):
    result = target.mysql(password="not-the-password", sql="SELECT 1")
    assert result.returncode == 1
    assert re.search(r"^ERROR 1045 \(28000\)", result.stderr, re.M), result.stderr
    assert ok(target.mysql("-B", "-N", sql="SELECT 1")).split() == ["1"]


def test_cli_with_caching_sha2_password_logs_in(target, ha_only):
    """The client answers the greeting with MySQL 8's default plugin (as the mysql 8 client and
    Connector/J 8 may): the node verifies it; a wrong password is still 1045."""
    auth = "--default-auth=caching_sha2_password"
    assert ok(target.mysql(auth, "-B", "-N", sql="SELECT 1")).split() == ["1"]
    result = target.mysql(auth, password="not-the-password", sql="SELECT 1")
    assert re.search(r"^ERROR 1045 \(28000\)", result.stderr, re.M), result.stderr


def test_cli_use_switches_database_and_unknown_database_is_error_1049(target):
    script = "use ha.db\nSELECT DATABASE();\nUSE `ha.db`;\nSELECT DATABASE();\n"
    out = ok(target.mysql("-B", "-N", stdin=script, database=None))
    assert out.splitlines() == ["ha.db", "ha.db"]
    result = target.mysql("-B", "-N", stdin="use cli_no_such.db\nSELECT 1;\n")
    assert result.returncode == 1
    assert re.search(r"^ERROR 1049 \(42000\)", result.stderr, re.M), result.stderr


def test_cli_show_databases_lists_ha_db(target):
    out = ok(target.mysql("-B", sql="SHOW DATABASES"))
    lines = out.splitlines()
    assert lines[0] == "Database"
    assert "ha.db" in lines[1:]


def test_cli_show_tables_lists_user_tables(target, fresh_table):
    t = fresh_table("cli_listed", "id INTEGER PRIMARY KEY")
    out = ok(target.mysql("-B", sql="SHOW TABLES"))
    lines = out.splitlines()
    assert lines[0] == "Tables_in_ha.db"
    assert t in lines[1:]
    assert not [name for name in lines[1:] if name.startswith("_ha_")], lines


def test_cli_show_columns_and_describe_list_the_columns(target, fresh_table):
    t = fresh_table("cli_described",
                    "id {autoinc}, name VARCHAR(50) NOT NULL, note TEXT, data BLOB")
    for sql in (f"SHOW COLUMNS FROM {t}", f"DESCRIBE {t}", f"DESC {t}"):
        out = ok(target.mysql("-B", sql=sql))
        lines = rows(out)
        assert lines[0] == ["Field", "Type", "Null", "Key", "Default", "Extra"], sql
        fields = {r[0]: r for r in lines[1:]}
        assert list(fields) == ["id", "name", "note", "data"], sql
        assert "int" in fields["id"][1].lower()
        assert "varchar" in fields["name"][1].lower()
        assert "text" in fields["note"][1].lower()
        assert "blob" in fields["data"][1].lower()
        assert [fields[f][2] for f in fields] == ["NO", "NO", "YES", "YES"], sql
        assert fields["id"][3] == "PRI", sql
        assert [fields[f][5] for f in fields] == ["auto_increment", "", "", ""], sql


def test_cli_generated_columns_show_as_generated(target, fresh_table):
    t = fresh_table("cli_generated", "a INT, v INT AS (a * 2) VIRTUAL, s INT AS (a + 1) STORED")
    ok(target.mysql(sql=f"INSERT INTO {t}(a) VALUES (20)"))
    assert rows(ok(target.mysql("-B", "-N", sql=f"SELECT a, v, s FROM {t}"))) == [
        ["20", "40", "21"]]
    extra = {r[0]: r[5] for r in rows(ok(target.mysql("-B", "-N", sql=f"SHOW COLUMNS FROM {t}")))}
    assert extra == {"a": "", "v": "VIRTUAL GENERATED", "s": "STORED GENERATED"}
    ddl = rows(ok(target.mysql("-B", "-N", sql=f"SHOW CREATE TABLE {t}")))[0][1]
    assert re.search(r"`v` int.* GENERATED ALWAYS AS \(`?a`? \* 2\) VIRTUAL", ddl), ddl
    assert re.search(r"`s` int.* GENERATED ALWAYS AS \(`?a`? \+ 1\) STORED", ddl), ddl


def test_cli_show_create_table_gives_the_ddl(target, fresh_table):
    t = fresh_table("cli_created", "id INTEGER PRIMARY KEY, name VARCHAR(50) NOT NULL")
    out = ok(target.mysql("-B", sql=f"SHOW CREATE TABLE {t}"))
    header, row = out.splitlines()[0:2]
    assert header == "Table\tCreate Table"
    name, ddl = row.split("\t", 1)
    assert name == t
    assert re.match(rf"CREATE TABLE [`\"]?{t}[`\"]?\s*\(", ddl, re.I), ddl
    assert "id" in ddl and "name" in ddl and "NOT NULL" in ddl.upper()


def test_cli_select_version_database_and_autocommit(target):
    out = ok(target.mysql("-B", "-N", sql="SELECT @@version, DATABASE(), @@autocommit"))
    version, database, autocommit = rows(out)[0]
    assert re.match(r"\d+\.\d+", version), version
    assert (database, autocommit) == ("ha.db", "1")


def test_cli_begin_commit_and_rollback(target, fresh_table):
    t = fresh_table("cli_tx", "id INTEGER PRIMARY KEY, name VARCHAR(50)")
    script = f"""
BEGIN;
INSERT INTO {t} VALUES (1, 'kept');
COMMIT;
BEGIN;
INSERT INTO {t} VALUES (2, 'discarded');
SELECT count(*) FROM {t};
ROLLBACK;
START TRANSACTION;
INSERT INTO {t} VALUES (3, 'kept too');
COMMIT;
SELECT id FROM {t} ORDER BY id;
"""
    out = ok(target.mysql("-B", "-N", stdin=script))
    assert out.split() == ["2", "1", "3"]
    out = ok(target.mysql("-B", "-N", sql=f"SELECT id FROM {t} ORDER BY id"))
    assert out.split() == ["1", "3"]


def test_cli_autocommit_off_then_rollback_and_commit(target, fresh_table):
    t = fresh_table("cli_autocommit", "id INTEGER PRIMARY KEY, name VARCHAR(50)")
    script = f"""
SET autocommit=0;
SELECT @@autocommit;
INSERT INTO {t} VALUES (1, 'discarded');
ROLLBACK;
SELECT count(*) FROM {t};
INSERT INTO {t} VALUES (2, 'kept');
COMMIT;
INSERT INTO {t} VALUES (3, 'never committed');
"""
    # The session ends with row 3 uncommitted: the server rolls it back on disconnect.
    out = ok(target.mysql("-B", "-N", stdin=script))
    assert out.split() == ["0", "0"]
    out = ok(target.mysql("-B", "-N", sql=f"SELECT id FROM {t} ORDER BY id"))
    assert out.split() == ["2"]


def test_cli_set_of_session_settings_is_accepted(target):
    script = """
SET NAMES utf8mb4;
SET SESSION sql_mode = 'STRICT_TRANS_TABLES';
SET @@session.wait_timeout = 600;
SET character_set_results = utf8mb4;
SELECT 'ok';
"""
    assert ok(target.mysql("-B", "-N", stdin=script)).split() == ["ok"]
