"""ha's gRPC API from Python's grpcio, with stubs generated from the same .proto as the
server: typed values, batch atomicity, the Query session stream, errors with their stable
code, the token."""

from __future__ import annotations

import grpc
import pytest


def values(pb, *items):
    messages, _ = pb
    out = []
    for item in items:
        if item is None:
            out.append(messages.Value(null=messages.Null()))
        elif isinstance(item, bool):
            raise TypeError("no booleans in SQLite")
        elif isinstance(item, int):
            out.append(messages.Value(integer=item))
        elif isinstance(item, float):
            out.append(messages.Value(real=item))
        elif isinstance(item, bytes):
            out.append(messages.Value(blob=item))
        else:
            out.append(messages.Value(text=item))
    return out


def plain(value):
    kind = value.WhichOneof("kind")
    return None if kind in (None, "null") else getattr(value, kind)


def execute(pb, stub, *statements, database=""):
    messages, _ = pb
    request = messages.ExecuteRequest(
        database=database,
        statements=[messages.Statement(sql=sql, params=values(pb, *params)) for sql, params in statements],
    )
    return stub.Execute(request)


def error_code(error: grpc.RpcError) -> str:
    return dict(error.trailing_metadata()).get("ha-error-code")


def test_values_round_trip_without_loss(pb, stub):
    row = (2**63 - 1, -(2**63), -0.1, "é ☃", b"\x00\xff", None)
    answer = execute(
        pb,
        stub,
        ("CREATE TABLE t(a INTEGER, b INTEGER, c REAL, d TEXT, e BLOB, f)", ()),
        ("INSERT INTO t VALUES (?, ?, ?, ?, ?, ?)", row),
        ("SELECT * FROM t", ()),
    )
    select = answer.results[2]
    assert select.returns_rows
    assert [c.name for c in select.columns] == ["a", "b", "c", "d", "e", "f"]
    assert [c.declared_type for c in select.columns] == ["INTEGER", "INTEGER", "REAL", "TEXT", "BLOB", ""]
    assert tuple(plain(v) for v in select.rows[0].values) == row
    assert answer.results[1].rows_affected == 1


def test_a_failing_batch_writes_nothing(pb, stub):
    execute(pb, stub, ("CREATE TABLE u(id INTEGER PRIMARY KEY)", ()))
    with pytest.raises(grpc.RpcError) as failed:
        execute(pb, stub, ("INSERT INTO u VALUES (1)", ()), ("INSERT INTO u VALUES (1)", ()))
    assert failed.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert error_code(failed.value) == "sql_constraint"
    count = execute(pb, stub, ("SELECT count(*) FROM u", ()))
    assert plain(count.results[0].rows[0].values[0]) == 0


def test_errors_are_status_codes_with_their_code(pb, stub):
    with pytest.raises(grpc.RpcError) as failed:
        execute(pb, stub, ("SELECT * FROM nope", ()))
    assert failed.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert error_code(failed.value) == "sql_unknown_object"
    with pytest.raises(grpc.RpcError) as failed:
        execute(pb, stub, ("SELECT 1", ()), database="missing.db")
    assert failed.value.code() == grpc.StatusCode.NOT_FOUND
    assert error_code(failed.value) == "unknown_database"


def test_the_query_stream_is_a_session(pb, stub):
    messages, _ = pb
    execute(pb, stub, ("CREATE TABLE s(id INTEGER PRIMARY KEY, v TEXT)", ()))
    sqls = [
        "BEGIN",
        "INSERT INTO s VALUES (1, 'x')",
        "SELECT count(*) FROM s",
        "ROLLBACK",
        "SELECT count(*) FROM s",
        "SELECT * FROM nope",
        "SELECT 42",
    ]
    answers = list(stub.Query(iter([messages.QueryRequest(sql=sql) for sql in sqls])))
    assert len(answers) == len(sqls)
    assert answers[0].transaction == messages.TRANSACTION_STATUS_OPEN
    assert plain(answers[2].results[0].rows[0].values[0]) == 1
    assert answers[3].transaction == messages.TRANSACTION_STATUS_IDLE
    assert plain(answers[4].results[0].rows[0].values[0]) == 0
    assert answers[5].error.code == "sql_unknown_object"
    assert plain(answers[6].results[0].rows[0].values[0]) == 42


def test_the_token_is_required(pb, token_node):
    messages, services = pb
    with grpc.insecure_channel(token_node.target) as channel:
        stub = services.DatabaseStub(channel)
        with pytest.raises(grpc.RpcError) as failed:
            stub.ListDatabases(messages.ListDatabasesRequest())
        assert failed.value.code() == grpc.StatusCode.UNAUTHENTICATED
        answer = stub.ListDatabases(
            messages.ListDatabasesRequest(), metadata=[("authorization", "Bearer s3cret")]
        )
        assert list(answer.databases) == ["ha.db"]
