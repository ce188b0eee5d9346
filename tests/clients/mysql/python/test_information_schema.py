"""MySQL's information_schema over ha's MySQL door: the queries tools send to learn a database
(Django's MySQL introspection, GUI tools such as DBeaver, the mysql client by hand), and
SQLAlchemy's MySQL inspector. They are answered from the same catalog the PostgreSQL door's
pg_catalog reads.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import create_engine, inspect

from test_mysql_cli import ok, rows


@pytest.fixture(scope="module")
def schema(target):
    c = target.connect()
    try:
        with c.cursor() as cur:
            for drop in ("VIEW IF EXISTS is_recent", "TABLE IF EXISTS is_posts",
                         "TABLE IF EXISTS is_users"):
                cur.execute(f"DROP {drop}")
            cur.execute(f"CREATE TABLE is_users(id {target.autoinc}, email VARCHAR(100) NOT NULL,"
                        " name TEXT, score DECIMAL(10,2) DEFAULT 0, UNIQUE (email))")
            cur.execute(f"CREATE TABLE is_posts(id {target.autoinc}, user_id BIGINT NOT NULL,"
                        " title VARCHAR(200) DEFAULT 'untitled',"
                        " FOREIGN KEY (user_id) REFERENCES is_users(id) ON DELETE CASCADE)")
            cur.execute("CREATE INDEX is_posts_user ON is_posts(user_id, title)")
            cur.execute("CREATE VIEW is_recent AS SELECT id, title FROM is_posts")
    finally:
        c.close()
    return target


def fetch(target, sql, *params):
    c = target.connect()
    try:
        with c.cursor() as cur:
            cur.execute(sql, params or None)
            return [list(r) for r in cur.fetchall()]
    finally:
        c.close()


def test_tables_of_the_current_database(schema):
    got = fetch(schema, "SELECT table_name, table_type, table_comment"
                        " FROM information_schema.tables WHERE table_schema = DATABASE()"
                        " AND table_name LIKE 'is\\_%' ORDER BY table_name")
    assert got == [["is_posts", "BASE TABLE", ""], ["is_recent", "VIEW", "VIEW"],
                   ["is_users", "BASE TABLE", ""]]
    every = [r[0] for r in fetch(schema, "SELECT TABLE_NAME FROM INFORMATION_SCHEMA.TABLES")]
    assert not [t for t in every if t.startswith("_ha_") or t.startswith("sqlite_")], every
    schemata = [r[0] for r in fetch(schema, "SELECT SCHEMA_NAME FROM information_schema.SCHEMATA")]
    assert "ha.db" in schemata


def test_columns_with_types_keys_defaults_and_auto_increment(schema):
    got = fetch(schema, """
        SELECT column_name, data_type, character_maximum_length, numeric_precision,
               numeric_scale, extra, column_default, is_nullable, column_key,
               CASE WHEN column_type LIKE '%% unsigned' THEN 1 ELSE 0 END AS is_unsigned
        FROM information_schema.columns
        WHERE table_name = %s AND table_schema = DATABASE() ORDER BY ordinal_position""",
                "is_users")
    names = [r[0] for r in got]
    assert names == ["id", "email", "name", "score"]
    by = {r[0]: r for r in got}
    assert by["id"][5] == "auto_increment" and by["id"][8] == "PRI" and by["id"][7] == "NO"
    assert by["email"][1:3] == ["varchar", 100] and by["email"][8] == "UNI"
    assert by["email"][7] == "NO" and by["name"][7] == "YES"
    assert by["score"][1] == "decimal" and by["score"][3:5] == [10, 2]
    assert by["score"][6] == "0"
    posts = {r[0]: r for r in fetch(
        schema, "SELECT COLUMN_NAME, COLUMN_DEFAULT, COLUMN_KEY FROM information_schema.COLUMNS"
                " WHERE TABLE_NAME = 'is_posts'")}
    assert posts["title"][1] == "untitled"  # the value, not the SQL literal
    assert posts["user_id"][2] == "MUL"


def test_foreign_keys_and_constraints(schema):
    relations = fetch(schema, """
        SELECT column_name, referenced_column_name, referenced_table_name
        FROM information_schema.key_column_usage
        WHERE table_name = %s AND table_schema = DATABASE()
          AND referenced_table_schema = DATABASE()
          AND referenced_table_name IS NOT NULL AND referenced_column_name IS NOT NULL""",
                      "is_posts")
    assert relations == [["user_id", "id", "is_users"]]
    constraints = fetch(schema, """
        SELECT kc.`constraint_name`, kc.`column_name`, kc.`referenced_table_name`,
               kc.`referenced_column_name`, c.`constraint_type`
        FROM information_schema.key_column_usage AS kc,
             information_schema.table_constraints AS c
        WHERE kc.table_schema = DATABASE()
          AND (kc.referenced_table_schema = DATABASE() OR kc.referenced_table_schema IS NULL)
          AND c.table_schema = kc.table_schema AND c.constraint_name = kc.constraint_name
          AND c.constraint_type != 'CHECK' AND kc.table_name = %s
        ORDER BY kc.`ordinal_position`, c.constraint_type""", "is_users")
    # The join is on constraint names only, as Django writes it: every table's PRIMARY matches,
    # as on MySQL itself.
    assert sorted({tuple(r) for r in constraints}) == [
        ("PRIMARY", "id", None, None, "PRIMARY KEY"), ("email", "email", None, None, "UNIQUE")]
    rules = fetch(schema, "SELECT CONSTRAINT_NAME, UNIQUE_CONSTRAINT_NAME, DELETE_RULE,"
                          " UPDATE_RULE, REFERENCED_TABLE_NAME"
                          " FROM information_schema.REFERENTIAL_CONSTRAINTS"
                          " WHERE TABLE_NAME = 'is_posts'")
    assert rules == [["is_posts_ibfk_1", "PRIMARY", "CASCADE", "NO ACTION", "is_users"]]
    checks = fetch(schema, "SELECT cc.constraint_name FROM information_schema.check_constraints"
                           " cc WHERE cc.constraint_schema = DATABASE()")
    assert checks == []


def test_indexes_in_statistics_and_show_index_agree(schema):
    stats = fetch(schema, "SELECT INDEX_NAME, SEQ_IN_INDEX, COLUMN_NAME, NON_UNIQUE"
                          " FROM information_schema.STATISTICS WHERE TABLE_NAME = 'is_posts'"
                          " ORDER BY INDEX_NAME, SEQ_IN_INDEX")
    assert stats == [["PRIMARY", 1, "id", 0], ["is_posts_user", 1, "user_id", 1],
                     ["is_posts_user", 2, "title", 1]]
    shown = fetch(schema, "SHOW INDEX FROM is_posts")
    # Table, Non_unique, Key_name, Seq_in_index, Column_name, Collation, ..., Index_type (11th)
    assert [[r[2], int(r[3]), r[4], int(r[1])] for r in shown] == [
        ["PRIMARY", 1, "id", 0], ["is_posts_user", 1, "user_id", 1],
        ["is_posts_user", 2, "title", 1]]
    assert all(len(r) >= 11 and r[10] == "BTREE" for r in shown)


def test_unknown_relation_is_mysqls_error(schema):
    import pymysql
    with pytest.raises(pymysql.err.MySQLError) as error:
        fetch(schema, "SELECT * FROM information_schema.no_such_thing")
    assert error.value.args[0] == 1109, error.value.args
    assert "NO_SUCH_THING" in error.value.args[1]


def test_mysql_client_reads_the_information_schema(schema):
    out = ok(schema.mysql("-B", "-N", sql="SELECT TABLE_NAME FROM information_schema.TABLES"
                          " WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'VIEW'"))
    assert ["is_recent"] in rows(out)


def test_sqlalchemy_inspector(schema):
    engine = create_engine(schema.url())
    try:
        inspector = inspect(engine)
        assert {"is_users", "is_posts"} <= set(inspector.get_table_names())
        assert "is_recent" in inspector.get_view_names()
        columns = {c["name"]: c for c in inspector.get_columns("is_users")}
        assert list(columns) == ["id", "email", "name", "score"]
        assert columns["email"]["nullable"] is False and columns["name"]["nullable"] is True
        assert inspector.get_pk_constraint("is_posts")["constrained_columns"] == ["id"]
        fks = inspector.get_foreign_keys("is_posts")
        assert [(f["constrained_columns"], f["referred_table"], f["referred_columns"])
                for f in fks] == [(["user_id"], "is_users", ["id"])]
        indexes = {i["name"]: i["column_names"] for i in inspector.get_indexes("is_posts")}
        assert indexes.get("is_posts_user") == ["user_id", "title"]
    finally:
        engine.dispose()


def test_result_columns_name_their_table_nullability_and_text(schema):
    from pymysql.constants import FIELD_TYPE
    c = schema.connect()
    try:
        with c.cursor() as cur:
            cur.execute("INSERT INTO is_users(email, name) VALUES ('d@x', 'long text')")
            cur.execute("SELECT u.id, u.email, u.name, p.user_id, 1 + 1 AS two"
                        " FROM is_users u LEFT JOIN is_posts p ON p.user_id = -1")
            rows = cur.fetchall()
            null_ok = {d[0]: d[6] for d in cur.description}
            types = {d[0]: d[1] for d in cur.description}
    finally:
        c.close()
    # NOT NULL columns say so; the inner side of an outer join holds NULLs, so it does not.
    assert null_ok == {"id": False, "email": False, "name": True, "user_id": True,
                       "two": True}
    # A TEXT column is MySQL's BLOB type in a text character set: text to the driver.
    assert types["name"] == FIELD_TYPE.BLOB and types["email"] == FIELD_TYPE.VAR_STRING
    assert "long text" in [r[2] for r in rows]
    assert all(isinstance(r[2], (str, type(None))) for r in rows)


def test_django_inspectdb_over_mysql(schema, tmp_path):
    pytest.importorskip("MySQLdb", reason="mysqlclient could not be built here")
    pytest.importorskip("django")
    import subprocess
    import sys
    script = tmp_path / "django_inspectdb.py"
    script.write_text(f"""
import django
from django.conf import settings
settings.configure(DATABASES={{"default": {{"ENGINE": "django.db.backends.mysql",
    "NAME": "ha.db", "USER": "ha", "PASSWORD": "ha", "HOST": "{schema.host}",
    "PORT": "{schema.port}"}}}}, INSTALLED_APPS=[])
django.setup()
from django.core.management import call_command
call_command("inspectdb", "is_users", "is_posts")
""")
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    models = out.stdout
    assert "id = models.BigAutoField(primary_key=True)" in models, models
    assert "email = models.CharField(unique=True, max_length=100)" in models, models
    assert "name = models.TextField(blank=True, null=True)" in models, models
    assert re.search(r"user = models.ForeignKey\('?IsUsers'?, models.DO_NOTHING\)", models), models
    assert "title = models.CharField(max_length=200, blank=True, null=True" in models, models


def test_show_table_status_and_processlist(schema):
    status = fetch(schema, "SHOW TABLE STATUS LIKE 'is\\_%'")
    assert [(r[0], r[1]) for r in status] == [
        ("is_posts", "SQLite"), ("is_recent", None), ("is_users", "SQLite")]
    c = schema.connect()
    try:
        with c.cursor() as cur:
            cur.execute("SHOW FULL PROCESSLIST")
            assert [d[0] for d in cur.description][:2] == ["Id", "User"]
    finally:
        c.close()
