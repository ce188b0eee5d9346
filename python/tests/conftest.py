"""Fixtures: a real cluster (cluster.py) shared by the session's tests."""

from __future__ import annotations

import re

import pytest

from cluster import Cluster, Node


@pytest.fixture(scope="session")
def cluster():
    c = Cluster()
    yield c
    c.stop()


@pytest.fixture(scope="session")
def standalone():
    """A node without replication, its default database in memory."""
    n = Node("--nats-port=0", "-m")
    yield n
    n.stop()


@pytest.fixture(scope="session")
def token_node():
    n = Node("--nats-port=0", "-m", "--token", "s3cret")
    yield n
    n.stop()


@pytest.fixture()
def table_name(request) -> str:
    """A table name of this test's own (the cluster is shared)."""
    return re.sub(r"\W", "_", request.node.name)[:50]
