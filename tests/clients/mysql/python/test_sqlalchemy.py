"""ha's MySQL front end driven by SQLAlchemy 2 core over PyMySQL (`mysql+pymysql://`).

Tables are made with plain DDL (fresh_table): metadata.create_all() would send MySQL's own DDL
(`AUTO_INCREMENT`, `ENGINE=`), which is not what this suite is about.
"""

from __future__ import annotations

import pytest
from sqlalchemy import (
    BigInteger, Column, Float, Integer, LargeBinary, MetaData, String, Table, Text,
    create_engine, delete, exc, func, insert, select, text, update,
)


@pytest.fixture(scope="module")
def engine(target):
    eng = create_engine(target.url(), pool_pre_ping=True)
    yield eng
    eng.dispose()


def test_engine_connect_gets_through_the_dialects_connect_queries(engine):
    # The first connect runs the dialect's initialize(): server version, sql_mode,
    # lower_case_table_names, character set, default isolation level...
    with engine.connect() as c:
        assert c.execute(text("SELECT 1")).scalar_one() == 1
        assert c.execute(text("SELECT DATABASE()")).scalar_one() == "ha.db"
        assert c.dialect.server_version_info and c.dialect.server_version_info[0] >= 5
        assert c.get_isolation_level()
    # A second connection from the pool, checked with a ping first.
    with engine.connect() as c:
        assert c.execute(text("SELECT 2")).scalar_one() == 2


def test_core_crud_with_a_table_object(engine, fresh_table):
    name = fresh_table("sa_core", "id {autoinc}, name VARCHAR(50) NOT NULL, qty INTEGER, "
                                  "big BIGINT, score DOUBLE, note TEXT, data BLOB")
    t = Table(
        name, MetaData(),
        Column("id", Integer, primary_key=True),
        Column("name", String(50), nullable=False),
        Column("qty", Integer),
        Column("big", BigInteger),
        Column("score", Float),
        Column("note", Text),
        Column("data", LargeBinary),
    )
    with engine.begin() as c:
        r = c.execute(insert(t).values(name="one", qty=1, big=2**63 - 1, score=1.25,
                                       note="ünï", data=b"\x00\xff"))
        assert r.inserted_primary_key == (1,)
        r = c.execute(insert(t).values(name="two", qty=2))
        assert r.inserted_primary_key == (2,)
        r = c.execute(insert(t), [
            {"name": "three", "qty": 3, "big": -5, "score": None, "note": None, "data": None},
            {"name": "four", "qty": 4, "big": 0, "score": 4.5, "note": "", "data": b""},
        ])
        assert r.rowcount == 2
    with engine.connect() as c:
        rows = c.execute(select(t).where(t.c.id >= 1).order_by(t.c.id)).all()
        assert [tuple(r) for r in rows] == [
            (1, "one", 1, 2**63 - 1, 1.25, "ünï", b"\x00\xff"),
            (2, "two", 2, None, None, None, None),
            (3, "three", 3, -5, None, None, None),
            (4, "four", 4, 0, 4.5, "", b""),
        ]
        row = c.execute(select(t.c.name, t.c.qty).where(t.c.name == "two")).one()
        assert (row.name, row.qty) == ("two", 2)
        n = c.execute(select(func.count()).select_from(t).where(t.c.score.is_(None))).scalar_one()
        assert n == 2
        r = c.execute(update(t).where(t.c.qty >= 3).values(note="many"))
        assert r.rowcount == 2
        r = c.execute(delete(t).where(t.c.name == "one"))
        assert r.rowcount == 1
        c.commit()
        assert c.execute(select(t.c.id).order_by(t.c.id)).scalars().all() == [2, 3, 4]
        assert c.execute(select(t.c.note).where(t.c.id == 4)).scalar_one() == "many"


def test_text_statements_with_bound_parameters(engine, fresh_table):
    t = fresh_table("sa_text", "id INTEGER PRIMARY KEY, name VARCHAR(50) NOT NULL, score DOUBLE")
    with engine.begin() as c:
        r = c.execute(text(f"INSERT INTO {t}(id, name, score) VALUES (:id, :name, :score)"),
                      [{"id": 1, "name": "a", "score": 1.5},
                       {"id": 2, "name": "b", "score": 2.5},
                       {"id": 3, "name": "c", "score": None}])
        assert r.rowcount == 3
    with engine.connect() as c:
        rows = c.execute(text(f"SELECT id, name, score FROM {t} WHERE id >= :lo ORDER BY id"),
                         {"lo": 2}).all()
    assert [tuple(r) for r in rows] == [(2, "b", 2.5), (3, "c", None)]


def test_rollback_on_exception_keeps_nothing(engine, fresh_table):
    t = fresh_table("sa_rollback", "id INTEGER PRIMARY KEY, name VARCHAR(50)")
    with pytest.raises(exc.IntegrityError) as info:
        with engine.begin() as c:
            c.execute(text(f"INSERT INTO {t} VALUES (:id, :n)"), {"id": 1, "n": "x"})
            c.execute(text(f"INSERT INTO {t} VALUES (:id, :n)"), {"id": 1, "n": "y"})
    assert info.value.orig.args[0] == 1062
    with engine.connect() as c:
        assert c.execute(text(f"SELECT count(*) FROM {t}")).scalar_one() == 0


def test_unknown_table_is_a_programming_error(engine):
    with engine.connect() as c:
        with pytest.raises(exc.ProgrammingError) as info:
            c.execute(text("SELECT * FROM sa_no_such_table"))
        assert info.value.orig.args[0] == 1146
