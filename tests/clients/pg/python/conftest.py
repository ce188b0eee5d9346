"""Fixtures: one `ha` node (or an existing server) for the whole session.

By default a standalone node is started from $HA_BIN (default
$HOME/.cache/ha/target/debug/ha) with its PostgreSQL front end on a free port. Set PG_TEST_PORT
(and optionally PG_TEST_HOST, PG_TEST_FLAVOR=postgres|ha) to run the same tests against a server
that is already running, e.g. a real PostgreSQL with a role ha/ha and a database ha. Tests that
only make sense on ha are skipped on real PostgreSQL, and the two differences in DDL are chosen
here (`Target.blob`).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest

USER = "ha"
PASSWORD = "ha"
DBNAME = "ha"
READY_TIMEOUT = 30.0


@dataclass(frozen=True)
class Target:
    host: str
    port: int
    flavor: str  # "ha" or "postgres"

    @property
    def is_ha(self) -> bool:
        return self.flavor == "ha"

    @property
    def blob(self) -> str:
        """Column type for binary data: SQLite's BLOB on ha, BYTEA on PostgreSQL."""
        return "BLOB" if self.is_ha else "BYTEA"

    def conninfo(self, password: str = PASSWORD) -> str:
        return psycopg.conninfo.make_conninfo(
            host=self.host,
            port=self.port,
            user=USER,
            password=password,
            dbname=DBNAME,
            connect_timeout=10,
        )

    def url(self) -> str:
        return f"postgresql+psycopg://{USER}:{PASSWORD}@{self.host}:{self.port}/{DBNAME}"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _can_connect(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def _ha_bin() -> str:
    default = Path(
        os.environ.get("CARGO_TARGET_DIR", Path.home() / ".cache" / "ha" / "target")
    ) / "debug" / "ha"
    return os.environ.get("HA_BIN", str(default))


@pytest.fixture(scope="session")
def target():
    if os.environ.get("PG_TEST_PORT"):
        yield Target(
            host=os.environ.get("PG_TEST_HOST", "127.0.0.1"),
            port=int(os.environ["PG_TEST_PORT"]),
            flavor=os.environ.get("PG_TEST_FLAVOR", "postgres"),
        )
        return

    ha_bin = _ha_bin()
    if not os.access(ha_bin, os.X_OK):
        pytest.exit(f"ha binary not found at {ha_bin} (set HA_BIN)", returncode=2)
    workdir = tempfile.mkdtemp(prefix="ha-pg-python-")
    log_path = Path(workdir) / "ha.log"
    port = _free_port()
    cmd = [
        ha_bin, "-n", "pgtest", "-m", "--nats-port", "0", "--port", "0",
        "--bind-address", "127.0.0.1", "--pg-port", str(port),
        "--pg-user", USER, "--pg-pass", PASSWORD,
    ]
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(cmd, cwd=workdir, stdout=log, stderr=subprocess.STDOUT,
                                env={**os.environ, "NO_COLOR": "1"})
    try:
        deadline = time.monotonic() + READY_TIMEOUT
        while not _can_connect("127.0.0.1", port):
            if proc.poll() is not None or time.monotonic() > deadline:
                why = (f"exited with {proc.returncode}" if proc.poll() is not None
                       else f"not accepting connections on port {port} after {READY_TIMEOUT}s")
                pytest.exit(f"ha {why}; its output:\n{log_path.read_text(errors='replace')}",
                            returncode=3)
            time.sleep(0.1)
        yield Target(host="127.0.0.1", port=port, flavor="ha")
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if os.environ.get("HA_PG_TEST_KEEP_LOG"):
            print(f"\nha output kept in {log_path}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture
def conn(target):
    """An autocommit connection: every statement is its own transaction."""
    with psycopg.connect(target.conninfo(), autocommit=True) as c:
        yield c


@pytest.fixture
def txconn(target):
    """A connection in psycopg's default mode: the first statement opens a transaction."""
    with psycopg.connect(target.conninfo()) as c:
        yield c


@pytest.fixture
def ha_only(target):
    if not target.is_ha:
        pytest.skip("ha-specific: not on real PostgreSQL")


@pytest.fixture
def fresh_table(target):
    """Returns make(name, columns): drops and creates table `name` on its own autocommit
    connection (so reruns against a persistent server start clean) and returns the name.
    `{blob}` in `columns` becomes the binary column type of the target."""

    def make(name: str, columns: str) -> str:
        with psycopg.connect(target.conninfo(), autocommit=True) as c:
            c.execute(f"DROP TABLE IF EXISTS {name}")
            c.execute(f"CREATE TABLE {name}({columns.format(blob=target.blob)})")
        return name

    return make
