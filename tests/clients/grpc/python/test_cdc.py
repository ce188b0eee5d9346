"""A CDC consumer in Python reads ha's log: the change sets a node publishes, in protobuf (the
default; classes generated at test time from core/types/proto/ha/cdc/v1/change_set.proto with
grpcio-tools) and, with `--replication-format json`, in the seed's JSON. The log is read with
nats-py straight from the node's embedded JetStream, as any consumer outside ha would."""

from __future__ import annotations

import asyncio
import base64
import importlib
import json
import random
import socket
import urllib.request

import nats
import pytest

from conftest import ROOT, Node, generate

CDC_PROTO_DIR = ROOT / "core" / "types" / "proto"
STREAM = "ha_replication"
SUBJECT = f"{STREAM}.ha_db"
ROWS = [
    (1, "one", 1.5, b"\x00\xff", None),
    (2, "zwei \u00e9\n\"", -0.25, b"", 9223372036854775807),
]


@pytest.fixture(scope="module")
def cdc():
    """The generated module of the change-set .proto."""
    generate(CDC_PROTO_DIR, CDC_PROTO_DIR / "ha" / "cdc" / "v1" / "change_set.proto", services=False)
    return importlib.import_module("ha.cdc.v1.change_set_pb2")


def _broker_port() -> int:
    """A free port below Linux's ephemeral range (see the Rust harness's free_port)."""
    for _ in range(1000):
        port = random.randrange(12000, 32000)
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port")


def _post(node: Node, sql: str, params=None) -> dict:
    body = json.dumps({"sql": sql, "params": params or []}).encode()
    request = urllib.request.Request(
        f"http://{node.target}/query", data=body, headers={"content-type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=30) as answer:
        return json.load(answer)


def _write_rows(node: Node) -> None:
    _post(node, "CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, r REAL, b BLOB, big INTEGER)")
    for id_, name, r, b, big in ROWS:
        _post(
            node,
            "INSERT INTO t VALUES (?, ?, ?, ?, ?)",
            [id_, name, r, {"base64": base64.b64encode(b).decode()}, big],
        )
    _post(node, "UPDATE t SET name = 'uno' WHERE id = 1")


async def _messages(port: int, wanted: int) -> list:
    """The subject's messages, read until `wanted` change sets have come (every write above
    is acknowledged only once the broker stored it, so they are all there)."""
    connection = await nats.connect(f"nats://127.0.0.1:{port}")
    try:
        js = connection.jetstream()
        subscription = await js.subscribe(SUBJECT, ordered_consumer=True)
        messages, sets = [], 0
        while sets < wanted:
            message = await subscription.next_msg(timeout=20)
            messages.append(message)
            sets += int((message.headers or {}).get("Ha-Change-Sets", "1"))
        return messages
    finally:
        await connection.close()


def _logged(*args: str) -> list:
    """The log's messages after `_write_rows` on a node with its own broker and `args`."""
    port = _broker_port()
    node = Node("-m", f"--nats-port={port}", *args)
    try:
        _write_rows(node)
        return asyncio.run(_messages(port, 4))
    finally:
        node.stop()


def _plain(value):
    kind = value.WhichOneof("kind")
    return None if kind is None else getattr(value, kind)


def test_a_consumer_reads_protobuf_change_sets_with_the_published_proto(cdc):
    messages = _logged()
    sets = []
    for message in messages:
        assert message.data[:1] != b"{", "the default format is protobuf"
        if message.headers and "Ha-Change-Sets" in message.headers:
            group = cdc.ChangeSets.FromString(message.data)
            assert len(group.sets) == int(message.headers["Ha-Change-Sets"])
            sets.extend(group.sets)
        else:
            sets.append(cdc.ChangeSet.FromString(message.data))
    assert [s.id for s in sets] == [1, 2, 3, 4]
    assert all(s.v == 2 and s.node and s.origin == sets[0].origin for s in sets)
    create = sets[0].changes[0]
    assert create.WhichOneof("kind") == "sql" and "CREATE TABLE" in create.sql
    inserts = [s.changes[0].row for s in sets[1:3]]
    for row, expected in zip(inserts, ROWS):
        assert row.table == "t" and row.database == "main"
        assert list(row.columns) == ["id", "name", "r", "b", "big"]
        assert list(row.pk_columns) == ["id"]
        assert row.operation == cdc.OPERATION_INSERT
        assert not row.HasField("old_values")
        assert tuple(_plain(v) for v in row.new_values.values) == expected
    update = sets[3].changes[0].row
    assert update.operation == cdc.OPERATION_UPDATE
    assert _plain(update.old_values.values[1]) == "one"
    assert _plain(update.new_values.values[1]) == "uno"
    assert update.old_rowid == update.new_rowid == 1


def test_replication_format_json_publishes_the_seed_json(cdc):
    messages = _logged("--replication-format=json")
    sets = []
    for message in messages:
        sets.extend(json.loads(line) for line in message.data.split(b"\n"))
    assert [s["id"] for s in sets] == [1, 2, 3, 4]
    assert sets[0]["changes"][0]["operation"] == "SQL"
    first = sets[1]["changes"][0]
    assert first["operation"] == "INSERT" and first["table"] == "t"
    assert first["new_values"] == [1, "one", 1.5, {"base64": "AP8="}, None]
    second = sets[2]["changes"][0]
    assert second["new_values"][4] == 9223372036854775807
    assert sets[3]["changes"][0]["old_values"][1] == "one"
