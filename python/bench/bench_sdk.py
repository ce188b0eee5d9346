"""The Python SDK's figures (issue 10), printed, never asserted; run by scripts/bench-python.

- Point reads on an in-process replica (ha_sqlite, `file:` URL) against Python's `sqlite3` on
  the same file, in the same process and run.
- Remote point reads through ha_sqlite (gRPC) against `requests` posting the same select to the
  node's HTTP API (one keep-alive session), in the same run.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import sys
import time

import requests

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests"))

import ha_sqlite  # noqa: E402
from cluster import Cluster, eventually  # noqa: E402

SELECT = "SELECT name FROM bench WHERE id = ?"


def run(seconds: float, call) -> tuple[float, float]:
    """Calls `call(i)` for `seconds`; returns (ops/s, mean µs)."""
    n = 0
    start = time.perf_counter()
    deadline = start + seconds
    while True:
        for _ in range(100):
            call(n)
            n += 1
        now = time.perf_counter()
        if now >= deadline:
            break
    elapsed = now - start
    return n / elapsed, elapsed / n * 1e6


def row(case: str, figure: tuple[float, float], baseline: tuple[float, float] | None) -> None:
    ratio = "-" if baseline is None else f"{100 * figure[0] / baseline[0]:.1f}%"
    print(f"{case:<52} {figure[0]:>10.0f} {figure[1]:>9.1f} {ratio:>9}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--rows", type=int, default=10_000)
    args = parser.parse_args()
    rows = args.rows

    cluster = Cluster()
    try:
        node = cluster.nodes[0]
        setup = ha_sqlite.connect(node.url, autocommit=True)
        setup.execute("CREATE TABLE bench(id INTEGER PRIMARY KEY, name TEXT, n INTEGER)")
        setup.execute(
            "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x < ?) "
            "INSERT INTO bench(id, name, n) SELECT x, 'row ' || x, x FROM c",
            (rows,),
        )
        replica = cluster.replica("bench", read_only=True)
        eventually(lambda: replica.execute("SELECT count(*) FROM bench").fetchone() == (rows,),
                   what="the replica has every row")
        raw = sqlite3.connect(f"file:{cluster.replica_path('bench.db')}?mode=ro", uri=True)

        def key(i: int) -> int:
            return 1 + (i * 7919) % rows

        print(f"ha_sqlite benchmark: {args.seconds:g} s per case, {rows} rows, "
              f"Python {sys.version.split()[0]}, SQLite {ha_sqlite.sqlite_version}")
        print(f"{'case':<52} {'ops/s':>10} {'mean µs':>9} {'vs base':>9}")
        sqlite_reads = run(args.seconds, lambda i: raw.execute(SELECT, (key(i),)).fetchone())
        replica_reads = run(args.seconds, lambda i: replica.execute(SELECT, (key(i),)).fetchone())
        cursor = replica.cursor()
        cursor_reads = run(args.seconds, lambda i: cursor.execute(SELECT, (key(i),)).fetchone())
        row("sqlite3 point select (same file)", sqlite_reads, None)
        row("ha_sqlite replica point select (conn.execute)", replica_reads, sqlite_reads)
        row("ha_sqlite replica point select (one cursor)", cursor_reads, sqlite_reads)

        http = requests.Session()
        url = f"{node.url}/query"
        body = lambda i: {"sql": SELECT, "params": [key(i)]}  # noqa: E731
        requests_reads = run(args.seconds, lambda i: http.post(url, json=body(i)).json())
        remote = ha_sqlite.connect(node.url)
        remote_reads = run(args.seconds, lambda i: remote.execute(SELECT, (key(i),)).fetchone())
        remote.execute("CREATE TABLE IF NOT EXISTS w(id INTEGER PRIMARY KEY, n INTEGER)")
        remote.autocommit = True
        remote_writes = run(args.seconds, lambda i: remote.execute("INSERT INTO w(n) VALUES (?)", (i,)))
        requests_writes = run(args.seconds, lambda i: http.post(
            url, json={"sql": "INSERT INTO w(n) VALUES (?)", "params": [i]}).json())
        row("requests POST /query point select", requests_reads, None)
        row("ha_sqlite remote point select (gRPC)", remote_reads, requests_reads)
        row("requests POST /query single-row insert", requests_writes, None)
        row("ha_sqlite remote single-row insert (autocommit)", remote_writes, requests_writes)
        for c in (replica, remote, setup):
            c.close()
        raw.close()
    finally:
        cluster.stop()


if __name__ == "__main__":
    main()
