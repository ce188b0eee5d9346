"""Real parts for the tests and the benchmark: a `nats-server` with JetStream (restartable, on
a fixed port) and `ha` nodes following it, each started from $HA_BIN on port 0 (its `listening`
log record says which port it got)."""

from __future__ import annotations

import itertools
import json
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import Callable, Optional

import ha_sqlite

READY_TIMEOUT = 30.0
_names = itertools.count(1)


def ha_bin() -> str:
    default = Path(
        os.environ.get("CARGO_TARGET_DIR", Path.home() / ".cache" / "ha" / "target")
    ) / "debug" / "ha"
    return os.environ.get("HA_BIN", str(default))


def nats_bin() -> str:
    return os.environ.get("HA_NATS_BIN") or shutil.which("nats-server") or "nats-server"


def eventually(check: Callable[[], object], timeout: float = 20.0, what: str = "condition"):
    """Retries `check` until it returns a truthy value without raising; the last failure is
    reported if the deadline passes."""
    deadline = time.monotonic() + timeout
    last: object = None
    while True:
        try:
            value = check()
            if value:
                return value
            last = value
        except Exception as e:  # noqa: BLE001 - the last failure is what the report shows
            last = e
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} never held; last: {last!r}")
        time.sleep(0.02)


class Broker:
    """A nats-server with JetStream; stop() and start() keep its port and its store."""

    def __init__(self) -> None:
        self.dir = tempfile.mkdtemp(prefix="ha-py-nats-")
        self.port: Optional[int] = None
        self.process: Optional[subprocess.Popen] = None
        self.start()

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    def start(self) -> None:
        port = str(self.port) if self.port else "-1"
        self.process = subprocess.Popen(
            [nats_bin(), "-js", "-a", "127.0.0.1", "-p", port, "-sd", self.dir],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        ready = threading.Event()
        lines: list[str] = []

        def read() -> None:
            assert self.process is not None and self.process.stderr is not None
            for line in self.process.stderr:
                lines.append(line)
                found = re.search(r"Listening for client connections on [^:]+:(\d+)", line)
                if found:
                    self.port = int(found.group(1))
                if "Server is ready" in line:
                    ready.set()
            ready.set()

        threading.Thread(target=read, daemon=True).start()
        if not ready.wait(READY_TIMEOUT) or self.port is None:
            raise RuntimeError("nats-server did not start:\n" + "".join(lines))

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


class Node:
    """A running `ha` node; `url` is its http:// URL."""

    def __init__(self, *args: str, name: Optional[str] = None) -> None:
        self.dir = tempfile.TemporaryDirectory(prefix="ha-py-node-")
        self.name = name or f"node{next(_names)}"
        self.args = args
        self.address: Optional[str] = None
        self._launch("0")

    def restart(self) -> None:
        """SIGKILL, then the same node again on the same port and files."""
        self.process.kill()
        self.process.wait(timeout=10)
        assert self.address is not None
        port = self.address.rsplit(":", 1)[1]
        self._launch(port)

    def _launch(self, port: str) -> None:
        self.address = None
        self.process = subprocess.Popen(
            [ha_bin(), "-n", self.name, f"--port={port}", "--bind-address=127.0.0.1",
             "--log-format=json", *self.args],
            cwd=self.dir.name,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.logs: list[str] = []
        ready = threading.Event()

        def read() -> None:
            assert self.process.stderr is not None
            for line in self.process.stderr:
                self.logs.append(line)
                try:
                    record = json.loads(line)
                except ValueError:
                    continue
                if record.get("fields", {}).get("message") == "listening":
                    self.address = record["fields"]["http_addr"]
                    ready.set()
            ready.set()

        threading.Thread(target=read, daemon=True).start()
        if not ready.wait(READY_TIMEOUT) or self.address is None:
            self.stop()
            raise RuntimeError("the node did not start:\n" + "".join(self.logs))

    @property
    def url(self) -> str:
        return f"http://{self.address}"

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.dir.cleanup()


class Cluster:
    """Two nodes of the database ha.db following one broker."""

    def __init__(self) -> None:
        self.broker = Broker()
        self.nodes = [
            Node("--nats-port=0", f"--replication-url={self.broker.url}", "ha.db")
            for _ in range(2)
        ]
        self.replica_dir = tempfile.TemporaryDirectory(prefix="ha-py-replicas-")

    def replica_path(self, name: str) -> str:
        return os.path.join(self.replica_dir.name, name)

    def replica(self, name: str, **options) -> ha_sqlite.Connection:
        """An in-process replica of ha.db in its own file."""
        options.setdefault("replication_url", self.broker.url)
        options.setdefault("node", name)
        options.setdefault("database", "ha.db")
        return ha_sqlite.connect(f"file:{self.replica_path(name + '.db')}", **options)

    def stop(self) -> None:
        for node in self.nodes:
            node.stop()
        self.broker.cleanup()
        self.replica_dir.cleanup()
