"""A client's TLS context made when its HTTP session is first used is the one botocore makes at once
(sim/runtime/botofast.py): same settings, same pool manager, same requests on the wire."""

from __future__ import annotations

import http.server
import ssl
import threading

import boto3
import pytest
from botocore import httpsession
from botocore.awsrequest import AWSRequest

from sim.runtime import botofast
from tests.unit.sim.conftest import fast_and_plain


def _context(ctx: ssl.SSLContext) -> tuple:
    return (type(ctx), ctx.protocol, ctx.options, ctx.verify_mode, ctx.check_hostname, ctx.minimum_version,
            ctx.maximum_version, ctx.post_handshake_auth, ctx.verify_flags,
            [c["name"] for c in ctx.get_ciphers()], ctx.cert_store_stats())


def _manager(session) -> tuple:
    manager = session._manager
    kw = dict(manager.connection_pool_kw)
    ctx = kw.pop("ssl_context")
    return type(manager), sorted((k, repr(v)) for k, v in kw.items()), manager.pool_classes_by_scheme, _context(ctx)


KWARGS = [{}, {"verify": False}, {"verify": "/nonexistent/ca.pem", "timeout": (1, 2), "max_pool_connections": 3},
          {"proxies": {"https": "http://127.0.0.1:3128"}, "client_cert": ("/c.pem", "/k.pem")},
          {"socket_options": [(6, 1, 1)], "proxies_config": {"proxy_use_forwarding_for_https": True}}]


@pytest.mark.parametrize("kwargs", KWARGS)
def test_the_pool_manager_and_its_context_are_botocores_own(kwargs):
    botofast.install()
    fast = httpsession.URLLib3Session(**kwargs)
    assert not isinstance(fast.__dict__["_manager"].connection_pool_kw["ssl_context"], ssl.SSLContext)  # not yet
    fast_view = _manager(fast)
    assert isinstance(fast.__dict__["_manager"].connection_pool_kw["ssl_context"], ssl.SSLContext)
    botofast.uninstall()
    try:
        plain_view = _manager(httpsession.URLLib3Session(**kwargs))
    finally:
        botofast.install()
    assert fast_view == plain_view


def test_the_context_is_made_once_and_pools_and_proxies_use_a_real_one():
    botofast.install()
    session = httpsession.URLLib3Session()
    first = session._manager.connection_pool_kw["ssl_context"]
    assert session._manager.connection_pool_kw["ssl_context"] is first
    pool = session._manager.connection_from_url("https://127.0.0.1:9/")
    assert pool.conn_kw["ssl_context"] is first
    proxy = session._get_proxy_manager("http://127.0.0.1:3128")
    assert isinstance(proxy.connection_pool_kw["ssl_context"], ssl.SSLContext)
    assert proxy.connection_pool_kw["ssl_context"] is not first  # botocore makes the proxy manager its own
    session.close()


def test_sessions_made_before_an_uninstall_have_their_context_after_it():
    botofast.install()
    sessions = [httpsession.URLLib3Session() for _ in range(3)]
    sessions[0]._manager  # this one has it already
    botofast.uninstall()
    try:
        assert all(isinstance(s._manager.connection_pool_kw["ssl_context"], ssl.SSLContext) for s in sessions)
        assert "_manager" in vars(sessions[1]) and "_manager" not in vars(httpsession.URLLib3Session)
    finally:
        botofast.install()


def test_a_copy_of_a_session_shares_its_manager_and_the_one_context():
    import copy

    botofast.install()
    session = httpsession.URLLib3Session()
    twin = copy.copy(session)
    first = twin._manager.connection_pool_kw["ssl_context"]
    assert session._manager is twin._manager and session._manager.connection_pool_kw["ssl_context"] is first
    assert isinstance(first, ssl.SSLContext)


def test_threads_that_first_use_a_session_together_see_one_context():
    botofast.install()
    for _ in range(20):
        session = httpsession.URLLib3Session()
        barrier, seen = threading.Barrier(4), []

        def use():
            barrier.wait()
            seen.append(session._manager.connection_pool_kw["ssl_context"])

        threads = [threading.Thread(target=use) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len({id(c) for c in seen}) == 1 and isinstance(seen[0], ssl.SSLContext)


def test_a_subclass_or_a_replaced_manager_is_left_as_botocore_has_it():
    botofast.install()
    made = []

    class Own(httpsession.URLLib3Session):
        def _get_ssl_context(self):
            made.append(1)
            return super()._get_ssl_context()

    own = Own()
    assert made == [1] and isinstance(own.__dict__["_manager"].connection_pool_kw["ssl_context"], ssl.SSLContext)
    session = httpsession.URLLib3Session()
    replacement = httpsession.PoolManager()
    session._manager = replacement
    assert session._manager is replacement and "ssl_context" not in replacement.connection_pool_kw
    del session._manager
    with pytest.raises(AttributeError):
        session._manager


class _Echo(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        reply = b"%s %s %s" % (self.command.encode(), self.path.encode(), body)
        self.send_response(201)
        self.send_header("Content-Length", str(len(reply)))
        self.send_header("X-Echo", self.headers.get("X-Test", ""))
        self.end_headers()
        self.wfile.write(reply)

    def log_message(self, *args):
        pass


def _self_signed(tmp_path) -> tuple[str, str]:
    import ipaddress
    from datetime import datetime, timedelta, timezone

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.now(timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(1).not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return str(cert_path), str(key_path)


@pytest.mark.parametrize("scheme", ["http", "https"])
def test_a_request_really_sent_gets_the_same_answer(scheme, tmp_path):
    server = http.server.HTTPServer(("127.0.0.1", 0), _Echo)
    verify = True
    if scheme == "https":
        tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        verify, key = _self_signed(tmp_path)
        tls.load_cert_chain(verify, key)
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever)
    thread.start()
    url = f"{scheme}://127.0.0.1:{server.server_address[1]}/p?q=1"

    def send():
        session = httpsession.URLLib3Session(verify=verify)  # over TLS, the test's own certificate
        request = AWSRequest(method="POST", url=url, data=b"hello", headers={"X-Test": "t"}).prepare()
        response = session.send(request)
        session.close()
        return response.status_code, response.content, response.headers.get("X-Echo")

    try:
        fast, plain = fast_and_plain(botofast, send)
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
    assert fast == plain == (201, b"POST /p?q=1 hello", "t")


def test_a_client_made_the_cheaper_way_has_botocores_transport_when_it_looks():
    botofast.install()
    session = boto3.session.Session(region_name="us-east-1", aws_access_key_id="k", aws_secret_access_key="s")
    fast = session.client("dynamodb")._endpoint.http_session
    botofast.uninstall()
    try:
        plain = session.client("dynamodb")._endpoint.http_session
        plain_view = _manager(plain)
    finally:
        botofast.install()
    assert _manager(fast) == plain_view
    assert (fast._verify, repr(fast._timeout)) == (plain._verify, repr(plain._timeout))
