"""The in-process replica with a real cluster: it follows the nodes, its writes reach them,
writes made while the broker is down are published when it returns, two replicas and two
nodes converge, a read-only replica refuses writes, read-your-writes across connections."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

import ha_sqlite
from cluster import eventually


def rows(conn, sql):
    return conn.execute(sql).fetchall()


def test_replica_and_node_see_each_others_writes(cluster, table_name):
    node = ha_sqlite.connect(cluster.nodes[0].url, autocommit=True)
    node.execute(f"CREATE TABLE {table_name}(id INTEGER PRIMARY KEY, origin TEXT)")
    replica = cluster.replica("mutual")
    eventually(lambda: rows(replica, f"SELECT count(*) FROM {table_name}") == [(0,)],
               what="the replica has the table")
    for i in range(50):
        node.execute(f"INSERT INTO {table_name}(id, origin) VALUES (?, 'node')", (i,))
        with replica:
            replica.execute(
                f"INSERT INTO {table_name}(id, origin) VALUES (?, 'replica')", (1000 + i,)
            )
    other = ha_sqlite.connect(cluster.nodes[1].url)
    for conn in (replica, node, other):
        eventually(lambda: rows(conn, f"SELECT count(*) FROM {table_name}") == [(100,)],
                   what="every copy has the 100 rows")
    status = replica.status()
    assert status.applied_seq > 0 and status.error is None
    for c in (node, other, replica):
        c.close()


def test_read_your_writes_across_connections(cluster, table_name):
    writer = ha_sqlite.connect(cluster.nodes[0].url)
    writer.execute(f"CREATE TABLE {table_name}(id INTEGER PRIMARY KEY)")
    replica = cluster.replica("ryw")
    other_node = ha_sqlite.connect(cluster.nodes[1].url)
    for i in range(20):
        with writer:
            writer.execute(f"INSERT INTO {table_name} VALUES (?)", (i,))
        seq = writer.last_seq
        assert seq is not None and seq > 0
        for reader in (replica, other_node):
            reader.wait_for(seq, timeout=10)
            # No retry: the wait is the guarantee.
            assert reader.execute(f"SELECT count(*) FROM {table_name}").fetchone() == (i + 1,)
    with pytest.raises(ha_sqlite.OperationalError):
        replica.wait_for(seq + 1_000_000, timeout=0.2)
    for c in (writer, replica, other_node):
        c.close()


def test_read_only_replica_refuses_writes(cluster, table_name):
    node = ha_sqlite.connect(cluster.nodes[0].url, autocommit=True)
    node.execute(f"CREATE TABLE {table_name}(id INTEGER PRIMARY KEY)")
    node.execute(f"INSERT INTO {table_name} VALUES (1)")
    replica = cluster.replica("reader", read_only=True)
    eventually(lambda: rows(replica, f"SELECT id FROM {table_name}") == [(1,)],
               what="the read-only replica follows")
    with pytest.raises(ha_sqlite.OperationalError) as refused:
        replica.execute(f"INSERT INTO {table_name} VALUES (2)")
    assert refused.value.code == "read_only"
    replica.close()
    node.close()


def test_two_connections_share_one_replica_file(cluster, table_name):
    a = cluster.replica("shared")
    b = cluster.replica("shared")
    a.execute(f"CREATE TABLE {table_name}(id INTEGER PRIMARY KEY)")
    with a:
        a.execute(f"INSERT INTO {table_name} VALUES (1)")
    assert b.execute(f"SELECT id FROM {table_name}").fetchall() == [(1,)]
    with pytest.raises(ha_sqlite.InterfaceError, match="same settings"):
        cluster.replica("shared", read_only=True)
    a.close()
    assert b.execute(f"SELECT count(*) FROM {table_name}").fetchone() == (1,)
    b.close()


def test_writes_while_the_broker_is_down_are_published_when_it_returns(cluster, table_name):
    node = ha_sqlite.connect(cluster.nodes[0].url, autocommit=True)
    node.execute(f"CREATE TABLE {table_name}(id INTEGER PRIMARY KEY, v TEXT)")
    replica = cluster.replica("offline", timeout=0.5, autocommit=True)
    eventually(lambda: rows(replica, f"SELECT count(*) FROM {table_name}") == [(0,)],
               what="the replica has the table")
    cluster.broker.stop()
    try:
        for i in range(5):
            # Committed in the replica's file; the broker cannot confirm it.
            with pytest.raises(ha_sqlite.OperationalError) as pending:
                replica.execute(f"INSERT INTO {table_name} VALUES (?, 'offline')", (i,))
            assert pending.value.code == "replication_pending"
        assert replica.execute(f"SELECT count(*) FROM {table_name}").fetchone() == (5,)
        replica.close()
    finally:
        cluster.broker.start()
    replica = cluster.replica("offline")
    for url in (cluster.nodes[0].url, cluster.nodes[1].url):
        conn = ha_sqlite.connect(url)
        eventually(lambda: rows(conn, f"SELECT count(*) FROM {table_name}") == [(5,)],
                   what="the offline writes reach the node")
        conn.close()
    replica.close()
    node.close()


def test_two_replicas_and_two_nodes_converge(cluster, table_name):
    setup = ha_sqlite.connect(cluster.nodes[0].url, autocommit=True)
    setup.execute(f"CREATE TABLE {table_name}(id INTEGER PRIMARY KEY, v TEXT, n INTEGER)")
    writers = [
        ha_sqlite.connect(cluster.nodes[0].url, autocommit=True),
        ha_sqlite.connect(cluster.nodes[1].url, autocommit=True),
        cluster.replica("converge-a", autocommit=True),
        cluster.replica("converge-b", autocommit=True),
    ]
    for w in writers:
        eventually(lambda: rows(w, f"SELECT count(*) FROM {table_name}") == [(0,)],
                   what="every writer has the table")
    # Conflicting writers: the same ten ids, written by everyone, over and over.
    for round_ in range(10):
        for k, w in enumerate(writers):
            w.execute(
                f"INSERT INTO {table_name}(id, v, n) VALUES (?, ?, ?) "
                f"ON CONFLICT(id) DO UPDATE SET v = excluded.v, n = n + 1",
                (round_ % 10, f"writer{k}", 1),
            )
            w.execute(f"INSERT INTO {table_name}(v, n) VALUES (?, 0)", (f"own{k}-{round_}",))
    final = [w.last_seq for w in writers if w.last_seq]
    for w in writers:
        for seq in final:
            w.wait_for(seq, timeout=20)

    def dumps_agree():
        dumps = {tuple(rows(w, f"SELECT * FROM {table_name} ORDER BY id")) for w in writers}
        return len(dumps) == 1 and len(next(iter(dumps))) >= 10

    eventually(dumps_agree, what="all four dumps are equal")
    for w in writers:
        w.close()
    setup.close()


def test_ctrl_c_interrupts_a_long_call(standalone):
    """In a real interpreter: SIGINT while a query runs raises KeyboardInterrupt promptly, and
    the connection still works afterwards."""
    script = textwrap.dedent(
        f"""
        import faulthandler, os, signal, sys, threading, time
        import ha_sqlite
        # If the interrupt is ever missed, say where the interpreter waits before the timeout.
        faulthandler.dump_traceback_later(20, exit=True, file=sys.stderr)
        # As in an interactive session: a process started in the background of a shell (CI)
        # inherits SIGINT ignored, and Python then installs no KeyboardInterrupt handler.
        signal.signal(signal.SIGINT, signal.default_int_handler)
        conn = ha_sqlite.connect({standalone.url!r}, autocommit=True)
        forever = ("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) "
                   "SELECT count(*) FROM c WHERE x < 0")
        # The user presses Ctrl-C once the main thread waits inside the call: the same line of
        # the driver's `_run` seen twice, 50 ms apart (the native call is under way).
        main = threading.main_thread().ident

        def press_ctrl_c():
            seen = None
            while True:
                frame = sys._current_frames().get(main)
                here = frame and (frame.f_code.co_name, frame.f_lineno)
                if here and here[0] == "_run" and here == seen:
                    break
                seen = here
                time.sleep(0.05)
            os.kill(os.getpid(), signal.SIGINT)

        threading.Thread(target=press_ctrl_c, daemon=True).start()
        started = time.monotonic()
        try:
            conn.execute(forever)
        except KeyboardInterrupt:
            print("interrupted after", round(time.monotonic() - started, 1))
        print("after", conn.execute("SELECT 41 + 1").fetchone()[0])
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    assert "interrupted after" in done.stdout, done.stdout + done.stderr
    assert "after 42" in done.stdout
    seconds = float(done.stdout.split("interrupted after")[1].split()[0])
    assert seconds < 5


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_connections_work_in_a_forked_child(standalone):
    parent = ha_sqlite.connect(standalone.url)
    assert parent.execute("SELECT 1").fetchone() == (1,)
    pid = os.fork()
    if pid == 0:  # the child: a new connection on a new runtime
        code = 1
        try:
            child = ha_sqlite.connect(standalone.url)
            code = 0 if child.execute("SELECT 2").fetchone() == (2,) else 1
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.WEXITSTATUS(status) == 0
    assert parent.execute("SELECT 3").fetchone() == (3,)
    parent.close()
