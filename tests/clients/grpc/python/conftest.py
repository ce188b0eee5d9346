"""Fixtures: Python stubs generated from the repository's .proto with grpcio-tools, and one
standalone `ha` node (from $HA_BIN) per test module, on port 0 (its `listening` log record says
which port it got)."""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import grpc
import pytest

ROOT = Path(__file__).resolve().parents[4]
PROTO_DIR = ROOT / "proto" / "proto"
READY_TIMEOUT = 30.0


def _ha_bin() -> str:
    default = Path(
        os.environ.get("CARGO_TARGET_DIR", Path.home() / ".cache" / "ha" / "target")
    ) / "debug" / "ha"
    return os.environ.get("HA_BIN", str(default))


def generate(include: Path, proto: Path, *, services: bool) -> str:
    """Compiles `proto` (under `include`) with grpcio-tools into a new directory put on
    sys.path, and returns the directory."""
    from grpc_tools import protoc

    out = tempfile.mkdtemp(prefix="ha-stubs-")
    args = ["grpc_tools.protoc", f"-I{include}", f"--python_out={out}"]
    if services:
        args.append(f"--grpc_python_out={out}")
    status = protoc.main([*args, str(proto)])
    assert status == 0, f"protoc failed on {proto}"
    sys.path.insert(0, out)
    return out


@pytest.fixture(scope="session")
def pb():
    """The generated modules: (messages, services)."""
    generate(PROTO_DIR, PROTO_DIR / "ha" / "v1" / "ha.proto", services=True)
    return (
        importlib.import_module("ha.v1.ha_pb2"),
        importlib.import_module("ha.v1.ha_pb2_grpc"),
    )


class Node:
    """A running `ha` node; `target` is host:port for grpc."""

    def __init__(self, *args: str):
        self.dir = tempfile.TemporaryDirectory(prefix="ha-grpc-test-")
        self.process = subprocess.Popen(
            [_ha_bin(), "--port=0", "--bind-address=127.0.0.1", "--log-format=json",
             # Standalone unless the test runs an embedded broker on a port of its choosing.
             *([] if any(a.startswith("--nats-port") for a in args) else ["--nats-port=0"]),
             *args],
            cwd=self.dir.name,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.logs: list[str] = []
        ready = threading.Event()
        self.target = None

        def read() -> None:
            for line in self.process.stderr:
                self.logs.append(line)
                try:
                    record = json.loads(line)
                except ValueError:
                    continue
                fields = record.get("fields", {})
                if fields.get("message") == "listening":
                    self.target = fields["http_addr"]
                    ready.set()
            ready.set()

        threading.Thread(target=read, daemon=True).start()
        if not ready.wait(READY_TIMEOUT) or self.target is None:
            self.stop()
            raise RuntimeError("the node did not start:\n" + "".join(self.logs))

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.dir.cleanup()


@pytest.fixture(scope="module")
def node():
    n = Node("-m")
    yield n
    n.stop()


@pytest.fixture(scope="module")
def token_node():
    n = Node("-m", "--token", "s3cret")
    yield n
    n.stop()


@pytest.fixture()
def stub(pb, node):
    _, services = pb
    with grpc.insecure_channel(node.target) as channel:
        yield services.DatabaseStub(channel)
