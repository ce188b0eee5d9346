"""`https://`: a node behind a TLS front (a small asyncio proxy with a certificate from a test CA,
both made by the real `openssl`), trusted through `tls_ca_file`."""

from __future__ import annotations

import asyncio
import shutil
import ssl
import subprocess
import threading

import pytest

import ha_sqlite

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="needs openssl")


def openssl(*args: str, cwd) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


@pytest.fixture(scope="module")
def tls_front(standalone, tmp_path_factory):
    d = tmp_path_factory.mktemp("tls")
    (d / "front.ext").write_text("subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n")
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=ha test CA",
            "-keyout", "ca.key", "-out", "ca.crt", cwd=d)
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost",
            "-keyout", "front.key", "-out", "front.csr", cwd=d)
    openssl("x509", "-req", "-in", "front.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
            "-CAcreateserial", "-days", "1", "-extfile", "front.ext", "-out", "front.crt", cwd=d)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(d / "front.crt", d / "front.key")
    context.set_alpn_protocols(["h2"])
    host, port = standalone.address.rsplit(":", 1)
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    bound: list[int] = []

    async def pipe(reader, writer):
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except (ConnectionError, ssl.SSLError):
            pass
        finally:
            writer.close()

    async def handle(client_reader, client_writer):
        node_reader, node_writer = await asyncio.open_connection(host, int(port))
        await asyncio.gather(pipe(client_reader, node_writer), pipe(node_reader, client_writer))

    def run() -> None:
        server = loop.run_until_complete(
            asyncio.start_server(handle, "127.0.0.1", 0, ssl=context)
        )
        bound.append(server.sockets[0].getsockname()[1])
        ready.set()
        loop.run_forever()
        server.close()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    assert ready.wait(10)
    yield f"https://localhost:{bound[0]}", str(d / "ca.crt")
    loop.call_soon_threadsafe(loop.stop)
    thread.join(10)


def test_a_node_behind_tls(tls_front):
    url, ca = tls_front
    conn = ha_sqlite.connect(url, tls_ca_file=ca)
    assert conn.execute("SELECT 'over tls'").fetchone() == ("over tls",)
    conn.close()
    with pytest.raises(ha_sqlite.OperationalError, match="certificate"):
        ha_sqlite.connect(url).execute("SELECT 1")
    with pytest.raises(ha_sqlite.InterfaceError, match="nope.pem"):
        ha_sqlite.connect(url, tls_ca_file="/nonexistent/nope.pem")
