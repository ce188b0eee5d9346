"""ha's PostgreSQL front end driven by SQLAlchemy 2 core over psycopg 3.

Tables are made with text() DDL here; metadata.create_all() and the inspector, which read the
PostgreSQL catalog, are in test_catalog.py.
"""

from __future__ import annotations

import pytest
from sqlalchemy import (
    Boolean, Column, Float, Integer, LargeBinary, MetaData, String, Table, create_engine,
    exc, func, insert, select, text, update,
)


@pytest.fixture(scope="module")
def engine(target):
    eng = create_engine(target.url())
    yield eng
    eng.dispose()


def test_text_crud_with_bound_parameters(engine, fresh_table):
    t = fresh_table("sa_text", "id INTEGER PRIMARY KEY, name TEXT NOT NULL, score REAL")
    with engine.begin() as c:
        r = c.execute(text(f"INSERT INTO {t}(id, name, score) VALUES (:id, :name, :score)"),
                      [{"id": 1, "name": "a", "score": 1.5},
                       {"id": 2, "name": "b", "score": 2.5},
                       {"id": 3, "name": "c", "score": None}])
        assert r.rowcount == 3
    with engine.connect() as c:
        r = c.execute(text(f"UPDATE {t} SET score = :s WHERE id < :id"), {"s": 9.0, "id": 3})
        assert r.rowcount == 2
        r = c.execute(text(f"DELETE FROM {t} WHERE name = :n"), {"n": "a"})
        assert r.rowcount == 1
        c.commit()
        rows = c.execute(text(f"SELECT id, name, score FROM {t} WHERE id >= :lo ORDER BY id"),
                         {"lo": 0}).all()
    assert [tuple(r) for r in rows] == [(2, "b", 9.0), (3, "c", None)]
    assert rows[0].name == "b" and rows[1].score is None


def test_rollback_on_exception(engine, fresh_table):
    t = fresh_table("sa_rollback", "id INTEGER PRIMARY KEY, name TEXT")
    with pytest.raises(exc.IntegrityError) as info:
        with engine.begin() as c:
            c.execute(text(f"INSERT INTO {t} VALUES (:id, :n)"), {"id": 1, "n": "x"})
            c.execute(text(f"INSERT INTO {t} VALUES (:id, :n)"), {"id": 1, "n": "y"})
    assert info.value.orig.sqlstate == "23505"
    with engine.connect() as c:
        assert c.execute(text(f"SELECT count(*) FROM {t}")).scalar_one() == 0


def test_table_insert_and_select(engine, fresh_table, target):
    name = fresh_table(
        "sa_core",
        "id INTEGER PRIMARY KEY, name TEXT NOT NULL, score REAL, data {blob}, flag BOOLEAN",
    )
    t = Table(
        name, MetaData(),
        Column("id", Integer, primary_key=True),
        Column("name", String, nullable=False),
        Column("score", Float),
        Column("data", LargeBinary),
        Column("flag", Boolean),
    )
    with engine.begin() as c:
        # An explicit id: SQLAlchemy would otherwise add RETURNING id (fine on both, but
        # not what this test is about).
        c.execute(insert(t), [
            {"id": 1, "name": "one", "score": 1.25, "data": b"\x00\x01", "flag": True},
            {"id": 2, "name": "two", "score": None, "data": None, "flag": False},
        ])
        r = c.execute(insert(t).values(id=3, name="three", score=3.0, flag=None),
                      execution_options={"preserve_rowcount": True})
        assert r.rowcount == 1
    with engine.connect() as c:
        rows = c.execute(select(t).where(t.c.id >= 1).order_by(t.c.id)).all()
        assert [tuple(r) for r in rows] == [
            (1, "one", 1.25, b"\x00\x01", True),
            (2, "two", None, None, False),
            (3, "three", 3.0, None, None),
        ]
        assert [type(v) for v in rows[0]] == [int, str, float, bytes, bool]
        row = c.execute(select(t.c.name, t.c.flag).where(t.c.name == "two")).one()
        assert (row.name, row.flag) == ("two", False)
        n = c.execute(select(func.count()).select_from(t).where(t.c.flag.is_(None))).scalar_one()
        assert n == 1 and type(n) is int
        c.execute(update(t).where(t.c.id == 2).values(score=7.5))
        c.commit()
        assert c.execute(select(t.c.score).where(t.c.id == 2)).scalar_one() == 7.5
