"""What the tests talk to: a `Target` (a MySQL server: an `ha` node of ours, or one given by
MYSQL_TEST_PORT) with its client helpers, and the real processes, `ha` nodes with their MySQL
front end on a free port and a `nats-server` with JetStream for the replication tests.

A node is ready when its JSON log says `listening` (the record names `mysql_addr`) and its MySQL
port accepts connections; nothing here sleeps a fixed time to wait for readiness.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional

import pymysql

USER = "ha"
PASSWORD = "ha"
DATABASE = "ha.db"
READY_TIMEOUT = 30.0
CLI_TIMEOUT = 60


@dataclass(frozen=True)
class Target:
    host: str
    port: int
    flavor: str  # "ha", or "mariadb"/"mysql" for a real server
    node: Optional[HaNode] = None

    @property
    def is_ha(self) -> bool:
        return self.flavor == "ha"

    @property
    def autoinc(self) -> str:
        """A key the server numbers by itself: SQLite's rowid alias on ha."""
        return "INTEGER PRIMARY KEY" if self.is_ha else "INTEGER PRIMARY KEY AUTO_INCREMENT"

    def alive(self) -> bool:
        return self.node is None or self.node.alive()

    def connect(self, password: str = PASSWORD, database: Optional[str] = DATABASE,
                autocommit: Optional[bool] = True, **kw) -> pymysql.Connection:
        """A PyMySQL connection; autocommit on unless asked otherwise (None leaves the
        server's own setting alone, False is PyMySQL's default: `SET AUTOCOMMIT = 0`)."""
        return pymysql.connect(host=self.host, port=self.port, user=USER, password=password,
                               database=database, autocommit=autocommit, connect_timeout=10,
                               read_timeout=60, write_timeout=60, **kw)

    def url(self, driver: str = "pymysql") -> str:
        return f"mysql+{driver}://{USER}:{PASSWORD}@{self.host}:{self.port}/{DATABASE}"

    def mysql(self, *args: str, sql: Optional[str] = None, stdin: Optional[str] = None,
              password: str = PASSWORD, database: Optional[str] = DATABASE
              ) -> subprocess.CompletedProcess:
        """Runs the mysql command-line client (batch mode: standard input is not a terminal)
        and returns its exit code, output and error output. An empty password is sent as
        none (no -p at all)."""
        cmd = ["mysql", "--no-defaults", "-h", self.host, "-P", str(self.port), "-u", USER,
               *([f"-p{password}"] if password else []), "--connect-timeout=10", *args]
        if database is not None:
            cmd.append(database)
        if sql is not None:
            cmd += ["-e", sql]
        return subprocess.run(cmd, input=stdin or "", capture_output=True, text=True,
                              timeout=CLI_TIMEOUT)


def ha_bin() -> str:
    default = Path(
        os.environ.get("CARGO_TARGET_DIR", Path.home() / ".cache" / "ha" / "target")
    ) / "debug" / "ha"
    return os.environ.get("HA_BIN", str(default))


def nats_bin() -> str:
    venv = Path.home() / ".cache" / "ha" / "venv" / "bin" / "nats-server"
    return (os.environ.get("HA_NATS_BIN") or (str(venv) if os.access(venv, os.X_OK) else None)
            or shutil.which("nats-server") or "nats-server")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def can_connect(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def eventually(check: Callable[[], object], timeout: float = 30.0, what: str = "condition"):
    """Retries `check` until it returns a truthy value without raising; reports the last
    failure when the deadline passes."""
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
            raise AssertionError(f"{what} never held within {timeout}s; last: {last!r}")
        time.sleep(0.05)


class HaNode:
    """One `ha` process in its own temp dir; its output goes to `ha.log` there."""

    def __init__(self, name: str, *args: str, password: str = PASSWORD) -> None:
        self.bin = ha_bin()
        if not os.access(self.bin, os.X_OK):
            raise RuntimeError(f"ha binary not found at {self.bin} (build it, or set HA_BIN)")
        self.name = name
        self.dir = tempfile.mkdtemp(prefix=f"ha-mysql-{name}-")
        self.log_path = Path(self.dir) / "ha.log"
        self.port = free_port()
        self.host = "127.0.0.1"
        self.listening: Optional[dict] = None
        cmd = [
            self.bin, "-n", name, "--port=0", "--bind-address=127.0.0.1", "--log-format=json",
            f"--mysql-port={self.port}", f"--mysql-user={USER}", f"--mysql-pass={password}",
            *args,
        ]
        self.process = subprocess.Popen(
            cmd, cwd=self.dir, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, env={**os.environ, "NO_COLOR": "1"},
        )
        self._listening = threading.Event()
        self._log = open(self.log_path, "wb")
        threading.Thread(target=self._read_log, daemon=True).start()
        try:
            self._wait_ready()
        except BaseException:
            self.stop()
            raise

    def _read_log(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self._log.write(line)
            self._log.flush()
            try:
                record = json.loads(line)
            except ValueError:
                continue
            fields = record.get("fields", {}) if isinstance(record, dict) else {}
            if fields.get("message") == "listening":
                self.listening = fields
                self._listening.set()
        self._listening.set()

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + READY_TIMEOUT
        if not self._listening.wait(READY_TIMEOUT) or self.listening is None:
            raise RuntimeError(self._why("never logged `listening`"))
        # The `listening` record names the MySQL address; the port is ours either way.
        while not can_connect(self.host, self.port):
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(self._why(f"not accepting MySQL connections on {self.port}"))
            time.sleep(0.05)

    def _why(self, what: str) -> str:
        status = (f"exited with {self.process.returncode}" if self.process.poll() is not None
                  else "still running")
        return f"ha node {self.name} {what} ({status}); its output:\n{self.output()}"

    def output(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()
        if os.environ.get("HA_MYSQL_TEST_KEEP_LOG"):
            print(f"\nha output kept in {self.log_path}")
        else:
            shutil.rmtree(self.dir, ignore_errors=True)


class Broker:
    """A nats-server with JetStream on a port of its choosing, in its own store dir."""

    def __init__(self) -> None:
        self.dir = tempfile.mkdtemp(prefix="ha-mysql-nats-")
        self.port: Optional[int] = None
        self.process = subprocess.Popen(
            [nats_bin(), "-js", "-a", "127.0.0.1", "-p", "-1", "-sd", self.dir],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            text=True,
        )
        ready = threading.Event()
        lines: list[str] = []

        def read() -> None:
            assert self.process.stderr is not None
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
            self.stop()
            raise RuntimeError(f"nats-server ({nats_bin()}) did not start:\n" + "".join(lines))

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.dir, ignore_errors=True)
