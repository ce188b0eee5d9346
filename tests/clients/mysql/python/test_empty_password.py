"""A node started with an empty --mysql-pass lets user ha in without a password (SPEC §1, issue
13) and still refuses a wrong one."""

from __future__ import annotations

import os

import pymysql
import pytest

from harness import DATABASE, HaNode, Target


@pytest.fixture(scope="module")
def open_node():
    if os.environ.get("MYSQL_TEST_PORT"):
        pytest.skip("needs an ha node of its own: not with MYSQL_TEST_PORT")
    node = HaNode("mysqlnopass", "-m", "--nats-port=0", DATABASE, password="")
    try:
        yield Target(host=node.host, port=node.port, flavor="ha", node=node)
    finally:
        node.stop()


def test_empty_password_flag_lets_a_client_in_without_a_password(open_node):
    c = open_node.connect(password="")
    try:
        with c.cursor() as cur:
            cur.execute("SELECT 1")
            assert cur.fetchone() == (1,)
    finally:
        c.close()
    result = open_node.mysql("-B", "-N", password="", sql="SELECT 2")
    assert (result.returncode, result.stdout.split()) == (0, ["2"]), result.stderr


def test_empty_password_flag_still_refuses_a_wrong_password_with_1045(open_node):
    with pytest.raises(pymysql.err.OperationalError) as info:
        open_node.connect(password="not-empty")
    assert info.value.args[0] == 1045, info.value
