"""SQLAlchemy Core and ORM through the ha_sqlite dialects (entry points), on a node and on an
in-process replica."""

from __future__ import annotations

import pytest

sqlalchemy = pytest.importorskip("sqlalchemy")
from sqlalchemy import Column, Integer, LargeBinary, MetaData, String, Table, create_engine, func, select  # noqa: E402
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column  # noqa: E402

from cluster import eventually  # noqa: E402


@pytest.fixture(params=["remote", "replica"])
def engine(request, cluster):
    if request.param == "remote":
        host = cluster.nodes[0].address
        url = f"ha_sqlite+http://{host}/ha.db"
    else:
        path = cluster.replica_path("alchemy.db")
        url = (f"ha_sqlite+file:///{path}?replication_url={cluster.broker.url}"
               f"&node=alchemy&database=ha.db")
    e = create_engine(url)
    yield e
    e.dispose()


def test_core_crud(engine, table_name):
    metadata = MetaData()
    table = Table(
        table_name, metadata,
        Column("id", Integer, primary_key=True),
        Column("name", String(50), nullable=False),
        Column("data", LargeBinary),
    )
    metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(table.insert(), [{"name": "a", "data": b"\x00"}, {"name": "b", "data": None}])
    with engine.begin() as conn:
        conn.execute(table.update().where(table.c.name == "b").values(name="bb"))
    with engine.connect() as conn:
        got = conn.execute(select(table.c.name, table.c.data).order_by(table.c.id)).all()
        assert [tuple(r) for r in got] == [("a", b"\x00"), ("bb", None)]
    with engine.begin() as conn:
        conn.execute(table.delete().where(table.c.name == "a"))
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(table)).scalar() == 1
    # A rolled-back transaction leaves nothing.
    with engine.connect() as conn:
        conn.execute(table.insert().values(name="gone"))
        conn.rollback()
        assert conn.execute(select(func.count()).select_from(table)).scalar() == 1
    # Reflection reads the schema back.
    reflected = MetaData()
    reflected.reflect(engine, only=[table_name])
    assert set(reflected.tables[table_name].c.keys()) == {"id", "name", "data"}


def test_orm_crud(engine, table_name):
    class Base(DeclarativeBase):
        pass

    class User(Base):
        __tablename__ = table_name
        id: Mapped[int] = mapped_column(primary_key=True)
        name: Mapped[str] = mapped_column(String(30))

    Base.metadata.create_all(engine)
    with Session(engine) as session:
        session.add_all([User(name="ada"), User(name="grace")])
        session.commit()
        ada = session.scalars(select(User).where(User.name == "ada")).one()
        assert ada.id is not None
        ada.name = "ada lovelace"
        session.commit()
    with Session(engine) as session:
        names = session.scalars(select(User.name).order_by(User.id)).all()
        assert names == ["ada lovelace", "grace"]
        session.delete(session.scalars(select(User).where(User.name == "grace")).one())
        session.commit()
        assert session.scalars(select(func.count()).select_from(User)).one() == 1


def test_autocommit_isolation_level(cluster, table_name):
    engine = create_engine(f"ha_sqlite+http://{cluster.nodes[0].address}/ha.db",
                           isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.exec_driver_sql(f"CREATE TABLE {table_name}(id INTEGER PRIMARY KEY)")
        conn.exec_driver_sql(f"INSERT INTO {table_name} VALUES (1)")
    other = create_engine(f"ha_sqlite+http://{cluster.nodes[1].address}/ha.db")
    with other.connect() as conn:
        eventually(lambda: conn.exec_driver_sql(f"SELECT count(*) FROM {table_name}").scalar() == 1,
                   what="the autocommitted row reaches the other node")
    engine.dispose()
    other.dispose()
