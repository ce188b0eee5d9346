"""Bad packets and abrupt disconnects over a raw socket: the server answers what it can, drops
what it must, and keeps serving normal clients (the `server_still_serves` fixture checks that
after every test, and that the ha process is alive)."""

from __future__ import annotations

import hashlib
import socket
import struct
import time

import pytest

from harness import DATABASE, PASSWORD, USER

pytestmark = pytest.mark.usefixtures("server_still_serves")

CLIENT_LONG_PASSWORD = 0x1
CLIENT_CONNECT_WITH_DB = 0x8
CLIENT_PROTOCOL_41 = 0x200
CLIENT_TRANSACTIONS = 0x2000
CLIENT_SECURE_CONNECTION = 0x8000
CLIENT_MULTI_RESULTS = 0x20000
CLIENT_PLUGIN_AUTH = 0x80000
CAPABILITIES = (CLIENT_LONG_PASSWORD | CLIENT_CONNECT_WITH_DB | CLIENT_PROTOCOL_41
                | CLIENT_TRANSACTIONS | CLIENT_SECURE_CONNECTION | CLIENT_MULTI_RESULTS
                | CLIENT_PLUGIN_AUTH)
UTF8MB4_GENERAL_CI = 45

COM_QUERY = 0x03
COM_PING = 0x0E
COM_STMT_EXECUTE = 0x17
COM_STMT_CLOSE = 0x19


class Closed(Exception):
    """The server closed the connection."""


def native_password(password: bytes, salt: bytes) -> bytes:
    """mysql_native_password: SHA1(pw) XOR SHA1(salt + SHA1(SHA1(pw)))."""
    if not password:
        return b""
    stage1 = hashlib.sha1(password).digest()
    stage2 = hashlib.sha1(stage1).digest()
    mix = hashlib.sha1(salt + stage2).digest()
    return bytes(a ^ b for a, b in zip(stage1, mix))


def caching_sha2_password(password: bytes, salt: bytes) -> bytes:
    """caching_sha2_password: SHA256(pw) XOR SHA256(SHA256(SHA256(pw)) + salt)."""
    if not password:
        return b""
    stage1 = hashlib.sha256(password).digest()
    stage2 = hashlib.sha256(stage1).digest()
    mix = hashlib.sha256(stage2 + salt).digest()
    return bytes(a ^ b for a, b in zip(stage1, mix))


PROOFS = {
    b"mysql_native_password": native_password,
    b"caching_sha2_password": caching_sha2_password,
}


class RawClient:
    """Just enough of the client side of the protocol to send what no driver would."""

    def __init__(self, target, timeout: float = 15.0) -> None:
        self.sock = socket.create_connection((target.host, target.port), timeout=timeout)
        self.seq = 0

    def close(self) -> None:
        self.sock.close()

    def reset(self) -> None:
        """Closes with a TCP reset (SO_LINGER 0) instead of an orderly FIN."""
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.sock.close()

    def _recv_exact(self, n: int) -> bytes:
        data = b""
        while len(data) < n:
            chunk = self.sock.recv(n - len(data))
            if not chunk:
                raise Closed(f"closed after {len(data)} of {n} bytes")
            data += chunk
        return data

    def read_packet(self) -> bytes:
        header = self._recv_exact(4)
        length = header[0] | header[1] << 8 | header[2] << 16
        self.seq = (header[3] + 1) & 0xFF
        return self._recv_exact(length)

    def write_raw(self, data: bytes) -> None:
        self.sock.sendall(data)

    def write_packet(self, payload: bytes, seq: int | None = None) -> None:
        seq = self.seq if seq is None else seq
        self.write_raw(struct.pack("<I", len(payload))[:3] + bytes([seq]) + payload)
        self.seq = (seq + 1) & 0xFF

    def command(self, payload: bytes) -> None:
        self.write_packet(payload, seq=0)

    def greeting(self) -> tuple[bytes, bytes]:
        """Reads the server's handshake: returns (salt, auth plugin name)."""
        p = self.read_packet()
        assert p[0] == 10, f"protocol version {p[0]}"
        i = p.index(b"\0", 1) + 1  # server version
        i += 4  # connection id
        salt = p[i:i + 8]
        i += 8 + 1  # salt part 1, filler
        i += 2 + 1 + 2 + 2  # capabilities low, charset, status, capabilities high
        auth_len = p[i]
        i += 1 + 10
        rest = max(13, auth_len - 8)
        salt += p[i:i + rest].rstrip(b"\0")
        i += rest
        plugin = p[i:].split(b"\0", 1)[0] if i < len(p) else b"mysql_native_password"
        return salt[:20], plugin

    def login(self, user: str = USER, password: str = PASSWORD,
              database: str | None = DATABASE,
              plugin: bytes = b"mysql_native_password") -> bytes:
        """Greeting, handshake response made with `plugin`, and the answer (after an auth
        switch and caching_sha2's "fast auth succeeded", if they come). `self.switched_to`
        tells which plugin the server switched to, if it did."""
        salt, _ = self.greeting()
        proof = PROOFS.get(plugin, lambda pw, s: b"\x01" * 20)
        auth = proof(password.encode(), salt)
        caps = CAPABILITIES if database else CAPABILITIES & ~CLIENT_CONNECT_WITH_DB
        payload = struct.pack("<IIB23x", caps, 1 << 24, UTF8MB4_GENERAL_CI)
        payload += user.encode() + b"\0" + bytes([len(auth)]) + auth
        if database:
            payload += database.encode() + b"\0"
        payload += plugin + b"\0"
        self.write_packet(payload)
        answer = self.read_packet()
        self.switched_to = None
        self.fast_auth = False
        if answer[:1] == b"\xfe":  # auth switch request: plugin name, then a new salt
            plugin, _, data = answer[1:].partition(b"\0")
            assert plugin in PROOFS, plugin
            self.switched_to = plugin
            self.write_packet(PROOFS[plugin](password.encode(), data.rstrip(b"\0")[:20]))
            answer = self.read_packet()
        if answer == b"\x01\x03":  # caching_sha2_password: fast authentication succeeded
            self.fast_auth = True
            answer = self.read_packet()
        return answer

    def query(self, sql: bytes) -> tuple[str, object]:
        """Sends COM_QUERY and reads one whole answer: ("ok", payload), ("err", (errno,
        message)) or ("rows", [raw row packets])."""
        self.command(bytes([COM_QUERY]) + sql)
        return self.read_answer()

    def read_answer(self) -> tuple[str, object]:
        first = self.read_packet()
        if first[0] == 0x00:
            return "ok", first
        if first[0] == 0xFF:
            return "err", parse_err(first)
        columns = first[0]  # small results only: a one-byte length-encoded count
        for _ in range(columns):
            self.read_packet()
        eof = self.read_packet()
        assert eof[0] == 0xFE, eof
        rows = []
        while True:
            p = self.read_packet()
            if p[0] == 0xFE and len(p) < 9:
                return "rows", rows
            if p[0] == 0xFF:
                return "err", parse_err(p)
            rows.append(p)


def parse_err(packet: bytes) -> tuple[int, str]:
    assert packet[0] == 0xFF, packet
    errno = struct.unpack("<H", packet[1:3])[0]
    message = packet[9:] if packet[3:4] == b"#" else packet[3:]
    return errno, message.decode("utf-8", "replace")


def answer_or_close(client: RawClient) -> bytes | None:
    """The server's next packet, or None if it closed the connection instead."""
    try:
        return client.read_packet()
    except (Closed, ConnectionResetError):
        return None


def test_login_with_the_raw_client_works(target):
    c = RawClient(target)
    try:
        assert c.login()[0] == 0x00
        kind, rows = c.query(b"SELECT 1")
        assert kind == "rows" and len(rows) == 1
        c.command(bytes([COM_PING]))
        assert c.read_packet()[0] == 0x00
    finally:
        c.close()


def test_caching_sha2_password_response_is_verified_without_a_switch(target, ha_only):
    """A MySQL 8 client answers the greeting with caching_sha2_password whatever the server
    named; ha verifies it (fast path) instead of refusing or switching."""
    c = RawClient(target)
    try:
        answer = c.login(plugin=b"caching_sha2_password")
        assert answer[0] == 0x00, answer
        assert c.switched_to is None and c.fast_auth
        assert c.query(b"SELECT 1")[0] == "rows"
    finally:
        c.close()
    c = RawClient(target)
    try:
        answer = c.login(plugin=b"caching_sha2_password", password="not-the-password")
        assert answer[0] == 0xFF and parse_err(answer)[0] == 1045, answer
    finally:
        c.close()


def test_response_made_with_an_unknown_plugin_gets_an_auth_switch(target):
    """As MySQL: a handshake response made with a plugin the server does not verify is answered
    with an auth switch to one it does, not checked with the wrong plugin and refused."""
    c = RawClient(target)
    try:
        answer = c.login(plugin=b"client_ed25519")
        assert c.switched_to is not None, "no auth switch"
        assert answer[0] == 0x00, answer
        assert c.query(b"SELECT 1")[0] == "rows"
    finally:
        c.close()


def test_garbage_handshake_response_is_refused(target):
    c = RawClient(target)
    try:
        c.greeting()
        c.write_packet(b"\x01\x02garbage")
        answer = answer_or_close(c)
        assert answer is None or answer[0] == 0xFF, answer
    finally:
        c.close()


def test_handshake_response_with_a_wrong_password_gets_1045(target):
    c = RawClient(target)
    try:
        answer = c.login(password="not-the-password")
        assert answer[0] == 0xFF, answer
        assert parse_err(answer)[0] == 1045
    finally:
        c.close()


def test_handshake_response_cut_short_then_closed(target):
    for cut in (1, 4, 10, 33, 40):
        c = RawClient(target)
        try:
            c.greeting()
            salt_less = struct.pack("<IIB23x", CAPABILITIES, 1 << 24, UTF8MB4_GENERAL_CI)
            payload = (salt_less + USER.encode() + b"\0" + b"\x14" + b"\xaa" * 20)[:cut]
            c.write_packet(payload)
        finally:
            c.close()


def test_packet_longer_than_what_is_sent_then_close(target):
    # Before login: a header that announces 1000 bytes, then 10 and a close.
    c = RawClient(target)
    try:
        c.greeting()
        c.write_raw(b"\xe8\x03\x00\x01" + b"x" * 10)
    finally:
        c.close()
    # After login: a COM_QUERY that announces 100 bytes, then 5 and a close.
    c = RawClient(target)
    try:
        assert c.login()[0] == 0x00
        c.write_raw(b"\x64\x00\x00\x00\x03SELE")
    finally:
        c.close()
    # After login: a header announcing a 16 MiB packet, a little data and a reset.
    c = RawClient(target)
    try:
        assert c.login()[0] == 0x00
        c.write_raw(b"\xff\xff\xff\x00\x03SELECT " + b"1" * 1000)
    finally:
        c.reset()
    # Half a header.
    c = RawClient(target)
    try:
        assert c.login()[0] == 0x00
        c.write_raw(b"\x05\x00")
    finally:
        c.close()


def test_empty_command_packet_gets_an_error_or_a_close(target):
    c = RawClient(target)
    try:
        assert c.login()[0] == 0x00
        c.command(b"")
        answer = answer_or_close(c)
        assert answer is None or answer[0] == 0xFF, answer
    finally:
        c.close()


def test_query_with_invalid_utf8_gets_an_answer(target):
    c = RawClient(target)
    try:
        assert c.login()[0] == 0x00
        for sql in (b"SELECT '\xff\xfe\xc3'", b"SELEC\xff 1", b"\xc3\x28\xa0\xa1"):
            kind, _ = c.query(sql)
            assert kind in ("rows", "err", "ok"), (sql, kind)
        # The connection goes on.
        kind, rows = c.query(b"SELECT 1")
        assert kind == "rows" and len(rows) == 1
    finally:
        c.close()


def test_unknown_command_byte_gets_an_error_and_the_connection_goes_on(target):
    c = RawClient(target)
    try:
        assert c.login()[0] == 0x00
        c.command(b"\x7fwhatever")
        answer = c.read_packet()
        assert answer[0] == 0xFF, answer
        c.command(bytes([COM_PING]))
        assert c.read_packet()[0] == 0x00
    finally:
        c.close()


def test_execute_of_an_unknown_statement_id_gets_an_error(target):
    c = RawClient(target)
    try:
        assert c.login()[0] == 0x00
        # statement id 424242, no cursor, iteration count 1, no parameters.
        c.command(struct.pack("<BIBI", COM_STMT_EXECUTE, 424242, 0, 1))
        answer = c.read_packet()
        assert answer[0] == 0xFF, answer
        # Closing an unknown statement has no answer by the protocol; a ping after it has.
        c.command(struct.pack("<BI", COM_STMT_CLOSE, 424242))
        c.command(bytes([COM_PING]))
        assert c.read_packet()[0] == 0x00
    finally:
        c.close()


def test_disconnects_during_the_handshake(target):
    for i in range(20):
        c = RawClient(target)
        if i % 2:
            c.reset()
        else:
            c.close()


def test_abrupt_disconnect_in_the_middle_of_a_large_result(target):
    sql = (b"WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 200000) "
           b"SELECT x, 'padding padding padding padding padding padding' FROM c")
    for i in range(5):
        c = RawClient(target)
        assert c.login()[0] == 0x00
        c.command(bytes([COM_QUERY]) + sql)
        # Some of the answer has started to arrive; then the client vanishes.
        assert c.sock.recv(4096)
        if i % 2:
            c.reset()
        else:
            c.close()
    # A client that stops reading for a while, then goes away, does not wedge the server.
    c = RawClient(target)
    assert c.login()[0] == 0x00
    c.command(bytes([COM_QUERY]) + sql)
    time.sleep(0.5)  # not a readiness wait: the point is a client that does not read
    c.reset()
