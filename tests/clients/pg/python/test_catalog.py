"""The PostgreSQL catalog through SQLAlchemy's inspector and metadata, and through the
information schema with psycopg: what ORMs and migration tools read first (docs/postgresql.md,
"The catalog"). The same assertions hold on a real PostgreSQL (PG_TEST_PORT)."""

from __future__ import annotations

import pytest
from sqlalchemy import (
    Boolean, Column, Float, Index, Integer, MetaData, String, Table, Text, create_engine,
    insert, inspect, text,
)
from sqlalchemy.types import DOUBLE_PRECISION, INTEGER, TEXT, VARCHAR, BIGINT, BOOLEAN

SCHEMA = [
    "DROP VIEW IF EXISTS cat_recent",
    "DROP TABLE IF EXISTS cat_posts",
    "DROP TABLE IF EXISTS cat_users",
    "CREATE TABLE cat_users(id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE, "
    "name VARCHAR(50), score DOUBLE PRECISION DEFAULT 0)",
    "CREATE TABLE cat_posts(id INTEGER PRIMARY KEY, user_id BIGINT NOT NULL "
    "REFERENCES cat_users(id) ON DELETE CASCADE, title TEXT, published BOOLEAN DEFAULT false)",
    "CREATE INDEX cat_posts_user ON cat_posts(user_id, title)",
    "CREATE VIEW cat_recent AS SELECT id, title FROM cat_posts",
]


@pytest.fixture(scope="module")
def engine(target):
    eng = create_engine(target.url())
    with eng.begin() as c:
        for statement in SCHEMA:
            c.execute(text(statement))
    yield eng
    eng.dispose()


def test_the_inspector_sees_tables_views_and_columns(engine):
    inspector = inspect(engine)
    assert "public" in inspector.get_schema_names()
    tables = inspector.get_table_names()
    assert {"cat_users", "cat_posts"} <= set(tables)
    assert not any(t.startswith("_ha_") for t in tables)
    assert "cat_recent" in inspector.get_view_names()
    assert inspector.has_table("cat_users")
    assert not inspector.has_table("cat_nothing")
    columns = {c["name"]: c for c in inspector.get_columns("cat_users")}
    assert list(columns) == ["id", "email", "name", "score"]
    assert isinstance(columns["id"]["type"], INTEGER)
    assert isinstance(columns["email"]["type"], TEXT)
    assert isinstance(columns["name"]["type"], VARCHAR) and columns["name"]["type"].length == 50
    assert isinstance(columns["score"]["type"], DOUBLE_PRECISION)
    assert [columns[c]["nullable"] for c in columns] == [False, False, True, True]
    assert columns["score"]["default"] == "0"
    posts = {c["name"]: c for c in inspector.get_columns("cat_posts")}
    assert isinstance(posts["user_id"]["type"], BIGINT)
    assert isinstance(posts["published"]["type"], BOOLEAN)


def test_the_inspector_sees_foreign_keys(engine):
    keys = inspect(engine).get_foreign_keys("cat_posts")
    assert [
        (k["name"], k["constrained_columns"], k["referred_table"], k["referred_columns"],
         k["options"].get("ondelete"))
        for k in keys
    ] == [("cat_posts_user_id_fkey", ["user_id"], "cat_users", ["id"], "CASCADE")]


def test_the_inspector_sees_keys_and_indexes(engine):
    inspector = inspect(engine)
    pk = inspector.get_pk_constraint("cat_users")
    assert (pk["name"], pk["constrained_columns"]) == ("cat_users_pkey", ["id"])
    unique = inspector.get_unique_constraints("cat_users")
    assert [(u["name"], u["column_names"]) for u in unique] == [
        ("cat_users_email_key", ["email"]),
    ]
    indexes = inspector.get_indexes("cat_posts")
    assert [(i["name"], i["unique"], i["column_names"]) for i in indexes] == [
        ("cat_posts_user", False, ["user_id", "title"]),
    ]
    # Reflection as a whole: a Table loaded from the database.
    users = Table("cat_users", MetaData(), autoload_with=engine)
    assert [c.name for c in users.primary_key.columns] == ["id"]
    assert users.c.name.type.length == 50


def test_alembic_sees_no_difference_from_the_model_it_created(engine):
    """Alembic's autogenerate compares a model with what the catalog says: after
    create_all, nothing; after a change to the model, that change."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    def model(with_extra_column: bool) -> MetaData:
        metadata = MetaData()
        columns = [
            Column("id", Integer, primary_key=True),
            Column("label", String(20), nullable=False, unique=True),
            Column("weight", Float),
        ]
        if with_extra_column:
            columns.append(Column("note", Text))
        table = Table("cat_alembic", metadata, *columns)
        Index("cat_alembic_weight", table.c.weight)
        return metadata

    with engine.begin() as c:
        c.execute(text("DROP TABLE IF EXISTS cat_alembic"))
    model(False).create_all(engine)
    with engine.connect() as c:
        context = MigrationContext.configure(
            c, opts={"compare_type": True, "include_name": lambda name, kind, _: kind != "table" or name == "cat_alembic"}
        )
        assert compare_metadata(context, model(False)) == []
        diff = compare_metadata(context, model(True))
    assert [(d[0], d[3].name) for d in diff] == [("add_column", "note")]
    with engine.begin() as c:
        c.execute(text("DROP TABLE cat_alembic"))


def test_create_all_checks_for_tables_first(engine):
    """metadata.create_all() asks the catalog which tables exist: a second call creates
    nothing and fails on nothing."""
    metadata = MetaData()
    Table(
        "cat_tags", metadata,
        Column("id", Integer, primary_key=True),
        Column("label", String(20), nullable=False),
        Column("weight", Float),
        Column("visible", Boolean),
        Column("note", Text),
    )
    with engine.begin() as c:
        c.execute(text("DROP TABLE IF EXISTS cat_tags"))
    metadata.create_all(engine)
    metadata.create_all(engine)
    # An Integer primary key is created as SERIAL: auto-numbered, as in PostgreSQL.
    tags = metadata.tables["cat_tags"]
    with engine.begin() as c:
        ids = [
            c.execute(insert(tags).values(label=label).returning(tags.c.id)).scalar_one()
            for label in ("a", "b")
        ]
    assert ids == [1, 2]
    inspector = inspect(engine)
    assert inspector.has_table("cat_tags")
    columns = {c["name"]: c for c in inspector.get_columns("cat_tags")}
    assert columns["label"]["type"].length == 20
    assert columns["label"]["nullable"] is False
    with engine.begin() as c:
        c.execute(text("DROP TABLE cat_tags"))
    assert not inspect(engine).has_table("cat_tags")


def test_information_schema_queries(engine):
    with engine.connect() as c:
        tables = c.execute(text(
            "SELECT table_name, table_type FROM information_schema.tables "
            "WHERE table_schema = 'public' AND table_name LIKE 'cat\\_%' ORDER BY table_name"
        )).all()
        assert [tuple(t) for t in tables] == [
            ("cat_posts", "BASE TABLE"), ("cat_recent", "VIEW"), ("cat_users", "BASE TABLE"),
        ]
        columns = c.execute(text(
            "SELECT column_name, data_type, is_nullable, character_maximum_length "
            "FROM information_schema.columns WHERE table_name = :t ORDER BY ordinal_position"
        ), {"t": "cat_users"}).all()
        assert [tuple(col) for col in columns] == [
            ("id", "integer", "NO", None),
            ("email", "text", "NO", None),
            ("name", "character varying", "YES", 50),
            ("score", "double precision", "YES", None),
        ]
        constraints = c.execute(text(
            "SELECT tc.constraint_type, kcu.column_name "
            "FROM information_schema.table_constraints tc "
            "JOIN information_schema.key_column_usage kcu "
            "  ON kcu.constraint_name = tc.constraint_name AND kcu.table_name = tc.table_name "
            "WHERE tc.table_name = 'cat_users' ORDER BY 1"
        )).all()
        assert [tuple(x) for x in constraints] == [("PRIMARY KEY", "id"), ("UNIQUE", "email")]


def test_django_inspectdb_writes_models_with_keys(engine, target):
    """Django's `inspectdb` (ran: Django installs from PyPI here; Prisma needs engines from the
    internet) reads tables, columns, primary and unique keys and foreign keys."""
    import io

    import django
    from django.conf import settings
    from django.core.management import call_command

    if not settings.configured:
        settings.configure(
            DATABASES={
                "default": {
                    "ENGINE": "django.db.backends.postgresql",
                    "NAME": "ha", "USER": "ha", "PASSWORD": "ha",
                    "HOST": target.host, "PORT": str(target.port),
                }
            },
            INSTALLED_APPS=[],
            USE_TZ=True,
        )
        django.setup()
    out = io.StringIO()
    call_command("inspectdb", "cat_users", "cat_posts", stdout=out)
    models = out.getvalue()
    assert "class CatUsers(models.Model):" in models, models
    assert "email = models.TextField(unique=True)" in models, models
    # A VARCHAR(50) result column is described as varchar(50) (RowDescription's type modifier).
    assert "name = models.CharField(max_length=50, blank=True, null=True)" in models, models
    assert "primary_key=True" in models.split("class CatUsers")[1], models
    assert "user = models.ForeignKey(CatUsers, models.DO_NOTHING)" in models, models
    # Its index query reads pg_index through `unnest(i.indkey, ...)` beside it in the FROM list.
    from django.db import connection
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, "cat_posts")
    index = constraints.get("cat_posts_user")
    assert index is not None, constraints
    assert index["columns"] == ["user_id", "title"] and index["index"], index
    assert index["orders"] == ["ASC", "ASC"] and not index["unique"], index
