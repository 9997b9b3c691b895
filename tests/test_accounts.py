"""Accounts that hold: throttled logins with a lock, sessions kept on the server (ended by logout,
a new password or removal; 8 hours at most), redirects that stay on the site, headers without
control characters, upload names limited in bytes, no caching of pages, Chinese error pages
for every status, and HTTPS with Secure cookies. Real Flask app, real SQLite, real sockets."""
from __future__ import annotations

import http.client
import io
import shutil
import socket
import ssl
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.conftest import run_server
from click.testing import CliRunner

from tests.test_web import PASSWORD, Client, sha_of, site  # noqa: F401  (the fixture)
from yingjian.cli import cli
from yingjian.users import LOCK_SECONDS, MAX_FAILURES_ACCOUNT, SESSION_SECONDS
from yingjian.uploads import MAX_NAME_BYTES


def users_of(app):
    return app.extensions["yingjian"].stores.users


def root_of(app) -> Path:
    return app.extensions["yingjian"].config.root


def at_clock(app, offset: float):
    """Move the accounts store's clock `offset` seconds ahead of now (no waiting in tests)."""
    start = time.time()
    users_of(app).clock = lambda: start + offset


def login(client: Client, name: str, password: str, **kw):
    return client.post("/login", {"name": name, "password": password}, **kw)


# -- throttling ---------------------------------------------------------------------------------

def test_six_wrong_passwords_lock_the_account_and_say_for_how_long(site):
    c = Client(site)
    for _ in range(MAX_FAILURES_ACCOUNT - 1):
        r = login(c, "张三", "wrong-password")
        assert r.status_code == 401 and "用户名或密码不正确" in r.text
    r = login(c, "张三", "wrong-password")
    assert r.status_code == 429 and "账号已暂时锁定" in r.text and "15 分钟后再试" in r.text
    # even the right password is refused now, and no session is made
    r = login(c, "张三", PASSWORD)
    assert r.status_code == 429 and "锁定" in r.text
    assert c.get("/").status_code == 302 and users_of(site).sessions_of("张三") == 0
    # another account is not locked
    assert login(Client(site), "李四", PASSWORD).status_code == 302
    # after the lock, the right password works again
    at_clock(site, LOCK_SECONDS + 1)
    assert login(c, "张三", PASSWORD).status_code == 302 and c.get("/").status_code == 200
    log = site.extensions["yingjian"].audit.entries(user="张三")
    assert [e["action"] for e in log].count("login_failed") == MAX_FAILURES_ACCOUNT
    assert "login_refused" in [e["action"] for e in log]
    assert log[-1]["action"] == "login" and log[-1]["client"] == "127.0.0.1"


def test_a_new_password_lifts_the_lock(site):
    c = Client(site)
    for _ in range(MAX_FAILURES_ACCOUNT):
        login(c, "李四", "wrong-password")
    assert login(c, "李四", PASSWORD).status_code == 429
    res = CliRunner().invoke(cli, ["-w", str(root_of(site)), "user", "passwd", "李四",
                                   "--password", "another-secret"])
    assert res.exit_code == 0, res.output
    assert login(c, "李四", "another-secret").status_code == 302


def test_many_failures_from_one_address_lock_that_address(site):
    far = {"environ_base": {"REMOTE_ADDR": "10.0.0.9"}}
    c = Client(site)
    c.c.environ_base.update(far["environ_base"])
    for i in range(20):
        login(c, f"guess{i}", "wrong-password")
    r = login(c, "张三", PASSWORD)
    assert r.status_code == 429 and "这台电脑登录失败次数过多" in r.text
    assert login(Client(site), "张三", PASSWORD).status_code == 302     # from elsewhere: fine
    failed = site.extensions["yingjian"].audit.entries(action="login_failed")
    assert {e["client"] for e in failed} == {"10.0.0.9"} and len(failed) == 20


# -- sessions on the server ---------------------------------------------------------------------

def _copied_cookie(site, client: Client) -> Client:
    """A second browser holding a copy of `client`'s session cookie."""
    thief = Client(site)
    thief.c.set_cookie("session", client.c.get_cookie("session").value)
    assert thief.get("/").status_code == 200
    return thief


def _gets_the_login_page(client: Client) -> None:
    r = client.get("/files")
    assert r.status_code == 302 and urlsplit(r.headers["Location"]).path == "/login"
    page = client.c.get(r.headers["Location"])
    assert page.status_code == 200 and 'name="password"' in page.text


def test_an_old_cookie_gets_the_login_page_after_logout(site):
    office = Client(site, "张三")
    thief = _copied_cookie(site, office)
    assert office.post("/logout", {}).status_code == 302
    _gets_the_login_page(thief)
    _gets_the_login_page(office)
    assert [e["action"] for e in site.extensions["yingjian"].audit.entries()][-1] == "logout"


@pytest.mark.parametrize("command", [["user", "passwd", "张三", "--password", "new-secret-1"],
                                     ["user", "remove", "张三"]])
def test_an_old_cookie_gets_the_login_page_after_a_password_change_or_removal(site, command):
    office = Client(site, "张三")
    thief = _copied_cookie(site, office)
    other = Client(site, "李四")
    res = CliRunner().invoke(cli, ["-w", str(root_of(site)), *command])
    assert res.exit_code == 0, res.output
    _gets_the_login_page(thief)
    _gets_the_login_page(office)
    assert other.get("/files").status_code == 200              # other accounts keep theirs
    assert login(Client(site), "张三", PASSWORD).status_code == 401


def test_a_session_ends_eight_hours_after_login_however_much_it_is_used(site):
    office = Client(site, "张三")
    at_clock(site, SESSION_SECONDS - 60)
    assert office.get("/files").status_code == 200             # in use to the last minute ...
    at_clock(site, SESSION_SECONDS + 1)
    _gets_the_login_page(office)                               # ... and still it ends


def test_the_cookie_holds_a_token_not_the_user(site):
    office = Client(site, "张三")
    from flask.sessions import SecureCookieSessionInterface
    s = SecureCookieSessionInterface().get_signing_serializer(site)
    data = s.loads(office.c.get_cookie("session").value)
    assert set(data) - {"_permanent"} == {"sid", "csrf"} and "张三" not in str(data)
    assert site.extensions["yingjian"].users.sessions_of("张三") == 1


# -- redirects and headers -----------------------------------------------------------------------

@pytest.mark.parametrize("nxt", ["/%09/evil.example/", "/%0d%0a/evil.example/", "//evil.example/",
                                 "/%5Cevil.example/", "https://evil.example/", "%2F%2Fevil.example",
                                 "/%0d%0aSet-Cookie:%20x=1", "javascript:alert(1)", "/\u2029/x"])
def test_next_after_login_never_leaves_the_site(site, nxt):
    c = Client(site)
    r = c.c.post(f"/login?next={nxt}", data={"name": "张三", "password": PASSWORD,
                                            "csrf_token": c.token()})
    assert r.status_code == 302, r.text
    loc = r.headers["Location"]
    assert not urlsplit(loc).netloc or urlsplit(loc).netloc == "localhost", loc
    assert not loc.startswith("//") and "evil" not in loc and "\n" not in loc and "\t" not in loc


def test_next_after_login_keeps_a_path_on_the_site(site):
    c = Client(site)
    r = c.c.post("/login?next=/files%3Funit%3D%E4%BA%BA%E6%AD%A6%E9%83%A8",
                 data={"name": "张三", "password": PASSWORD, "csrf_token": c.token()})
    assert r.status_code == 302 and urlsplit(r.headers["Location"]).path == "/files"
    assert "unit=" in r.headers["Location"]


@pytest.mark.parametrize("back", ["/\t/evil.example/", "//evil.example/", "/\\evil.example",
                                  "/\r\n/evil.example"])
def test_back_after_a_decision_never_leaves_the_site(site, back):
    office = Client(site, "张三")
    army = sha_of(site, "人武部/征兵通报.pdf")
    r = office.post("/decide", {"sha": army, "material": "2.1a", "action": "confirm", "back": back})
    assert r.status_code == 302 and urlsplit(r.headers["Location"]).path == "/items"


@pytest.mark.parametrize("value", ["a\r\nSet-Cookie: x=1", "a\x00b", "a\x1bb", "a\x7fb"])
def test_control_characters_in_a_header_value_are_refused_with_400(site, value):
    office = Client(site, "张三")
    r = office.c.get("/files", environ_base={"HTTP_X_ANYTHING": value})
    assert r.status_code == 400 and "控制字符" in r.text and r.headers["Cache-Control"] == "no-store"
    r = office.c.get("/files", environ_base={"HTTP_USER_AGENT": value})
    assert r.status_code == 400
    assert office.get("/files").status_code == 200


# -- upload names in bytes -----------------------------------------------------------------------

def test_a_name_too_long_in_bytes_refuses_the_whole_batch_before_anything_is_written(site):
    ws = site.extensions["yingjian"]
    unit = Client(site, "李四")
    long_name = "关于" + "双拥" * 48 + "一.txt"          # 99 Chinese characters, 301 bytes
    assert len(long_name.encode("utf-8")) > 255
    before = len(ws.catalog.files())
    data = {"files": [(io.BytesIO("2022年双拥简报".encode()), "简报.txt"),
                      (io.BytesIO("2022年拥军优属".encode()), long_name),
                      (io.BytesIO("2023年简报".encode()), "后面的.txt")]}
    r = unit.post("/upload", data, content_type="multipart/form-data")
    assert r.status_code == 200 and "文件名过长" in r.text and "本批文件都没有上传" in r.text
    assert long_name in r.text and f"{len(long_name.encode())} 字节" in r.text
    folder = ws.config.inbox / "人武部/网页上传"
    assert not folder.exists() or list(folder.iterdir()) == []
    assert len(ws.catalog.files()) == before
    # renamed, the same batch goes through
    ok_name = "关" * ((MAX_NAME_BYTES - 4) // 3) + ".txt"
    assert len(ok_name.encode()) <= MAX_NAME_BYTES
    data["files"] = [(io.BytesIO(b"x2022"), "a.txt"), (io.BytesIO("2022年".encode()), ok_name)]
    r = unit.post("/upload", data, content_type="multipart/form-data")
    assert r.status_code == 200 and "文件名过长" not in r.text and (folder / ok_name).is_file()
    uploads = ws.audit.entries(action="upload")
    assert uploads[-1]["user"] == "李四" and uploads[-1]["data"]["files"] == ["a.txt", ok_name]


# -- caching ---------------------------------------------------------------------------------

def test_pages_and_files_are_never_cached_and_thumbnails_only_privately(site):
    office = Client(site, "张三")
    army = sha_of(site, "人武部/征兵通报.pdf")
    for url in ("/", "/files", f"/file/{army}", f"/file/{army}/download", "/items", "/login",
                "/no/such/page", "/report/html"):
        r = office.get(url)
        assert r.headers["Cache-Control"] == "no-store", url
        assert "public" not in r.headers.get("Cache-Control", ""), url
    for url in (f"/file/{army}/thumb", f"/file/{army}/page/1"):
        r = office.get(url)
        assert r.status_code == 200 and r.headers["Cache-Control"].startswith("private"), url
    assert "no-store" not in office.get("/static/app.css").headers.get("Cache-Control", "")


# -- error pages -----------------------------------------------------------------------------

def test_any_unexpected_error_is_a_chinese_page_with_a_reference(site, caplog):
    from yingjian.web import create_app
    app = create_app(root_of(site), secret="test-secret")

    @app.route("/boom")
    def boom():
        raise RuntimeError("boom")

    try:
        c = Client(app, "张三")
        with caplog.at_level("ERROR", logger="yingjian.web"):
            r = c.get("/boom")
        assert r.status_code == 500 and "服务器出错了" in r.text and "参考编号" in r.text
        assert "boom" not in r.text and "Internal Server Error" not in r.text
        assert any("网页出错" in rec.getMessage() for rec in caplog.records)
        r = c.c.open("/files", method="TRACE")
        assert r.status_code == 405 and "不支持的操作" in r.text
    finally:
        app.extensions["yingjian"].close()


def test_a_broken_standard_shows_a_chinese_error_page(site):
    ws = site.extensions["yingjian"]
    (ws.config.root / "standard.yaml").write_text("title: [broken\n", encoding="utf-8")
    ws.__dict__.pop("standard", None)
    ws.__dict__.pop("mapping", None)
    r = Client(site, "张三").get("/items")
    assert r.status_code == 500 and "考评标准" in r.text and "参考编号" in r.text
    assert r.headers["Cache-Control"] == "no-store" and "Internal Server Error" not in r.text


# -- HTTPS -----------------------------------------------------------------------------------

def _self_signed(folder: Path) -> tuple[Path, Path]:
    cert, key = folder / "cert.pem", folder / "key.pem"
    try:
        from cryptography import x509  # noqa: F401
    except ImportError:
        if not shutil.which("openssl"):
            pytest.skip("needs the openssl command or the cryptography package")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                        "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                        "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
        return cert, key
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID
    k = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.timezone.utc)
    c = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(k.public_key())
         .serial_number(x509.random_serial_number()).not_valid_before(now)
         .not_valid_after(now + datetime.timedelta(days=2))
         .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                        critical=False).sign(k, hashes.SHA256()))
    cert.write_bytes(c.public_bytes(serialization.Encoding.PEM))
    key.write_bytes(k.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption()))
    return cert, key


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve(site, *args):
    """`yingjian serve` in a process of its own, on a free port: (process, port)."""
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "yingjian", "-w", str(root_of(site)), "serve",
                             "--port", str(port), *args],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    return proc, port


def _first_page(proc, url, **kw):
    deadline = time.monotonic() + 30
    while True:
        try:
            return urllib.request.urlopen(url, timeout=5, **kw)
        except OSError:
            if time.monotonic() > deadline or proc.poll() is not None:
                raise AssertionError(proc.stdout.read().decode("utf-8", "replace")
                                     if proc.poll() is not None else "server did not start")
            time.sleep(0.2)


def test_plain_http_serves_the_app_without_secure_cookies(site):
    proc, port = _serve(site)
    try:
        page = _first_page(proc, f"http://127.0.0.1:{port}/login")
        assert page.status == 200 and "登录" in page.read().decode()
        assert "Secure" not in page.headers["Set-Cookie"]
        assert "Strict-Transport-Security" not in page.headers
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_https_serves_the_app_with_secure_cookies(site, tmp_path):
    import re
    cert, key = _self_signed(tmp_path)
    proc, port = _serve(site, "--certfile", str(cert), "--keyfile", str(key))
    try:
        ctx = ssl.create_default_context(cafile=str(cert))
        base = f"https://127.0.0.1:{port}"
        page = _first_page(proc, base + "/login", context=ctx)
        assert page.status == 200 and "Secure" in page.headers["Set-Cookie"]
        assert "max-age" in page.headers["Strict-Transport-Security"]
        cookie = page.headers["Set-Cookie"].split(";")[0]
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.read().decode()).group(1)
        from urllib.parse import urlencode

        class NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *a, **kw):
                return None

        opener = urllib.request.build_opener(urllib.request.HTTPSHandler(context=ctx), NoRedirect)
        req = urllib.request.Request(base + "/login", data=urlencode(
            {"name": "张三", "password": PASSWORD, "csrf_token": token}).encode(),
            headers={"Cookie": cookie})
        try:
            opener.open(req, timeout=10)
            raise AssertionError("login should redirect")
        except urllib.error.HTTPError as e:
            assert e.code == 302
            set_cookie = e.headers["Set-Cookie"]
        assert "Secure" in set_cookie and "HttpOnly" in set_cookie
        files = opener.open(urllib.request.Request(
            base + "/files", headers={"Cookie": set_cookie.split(";")[0]}), timeout=10)
        assert files.status == 200 and "征兵通报.pdf" in files.read().decode()
        # plain HTTP to the HTTPS port gets no page: the server itself answers it (a 400 that
        # says it speaks HTTPS, or a closed connection), it is not a port nobody listens on
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=5).read()
            raise AssertionError("plain HTTP got a page from the HTTPS port")
        except urllib.error.HTTPError as e:
            assert e.code == 400 and b"HTTPS" in e.read()
        except (http.client.RemoteDisconnected, ConnectionResetError, http.client.BadStatusLine):
            pass
        # and the HTTPS port still serves after it
        assert opener.open(base + "/login", timeout=10).status == 200
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.mark.parametrize("args, words", [
    (["--certfile", "x.pem"], "需要同时给出"),
    (["--certfile", "missing.pem", "--keyfile", "missing.key"], "无法使用证书"),
])
def test_serve_refuses_a_missing_or_half_given_certificate(site, args, words):
    res = CliRunner().invoke(cli, ["-w", str(root_of(site)), "serve", "--port", "1", *args])
    assert res.exit_code == 1 and words in res.output


def test_serve_refuses_a_key_that_is_not_the_certificates(site, tmp_path):
    cert, _ = _self_signed(tmp_path)
    (tmp_path / "b").mkdir()
    _, other_key = _self_signed(tmp_path / "b")
    res = CliRunner().invoke(cli, ["-w", str(root_of(site)), "serve", "--certfile", str(cert),
                                   "--keyfile", str(other_key)])
    assert res.exit_code == 1 and "无法使用证书" in res.output and "配对" in res.output


# -- in the browser --------------------------------------------------------------------------

@pytest.mark.slow
@pytest.mark.skipif(not shutil.which("chromium"), reason="needs Debian's chromium")
def test_in_chromium_a_lock_is_explained_and_back_after_logout_shows_no_files(site, tmp_path):
    """The header checks above prove `no-store`; here a clerk's view of the same: the lock's
    message, and the browser's back button after 退出 showing no file list."""
    import threading

    from playwright.sync_api import sync_playwright
    from waitress.server import create_server

    from tests.test_web import _logged_in
    srv = create_server(site, host="127.0.0.1", port=_free_port(), threads=4)
    threading.Thread(target=run_server, args=(srv,), daemon=True).start()
    base = f"http://127.0.0.1:{srv.effective_port}"
    try:
        with sync_playwright() as p:
            b = p.chromium.launch(executable_path=shutil.which("chromium"), args=[
                "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
            page = b.new_page()
            for _ in range(MAX_FAILURES_ACCOUNT):
                page.goto(base + "/login")
                page.fill("input[name=name]", "王五")
                page.fill("input[name=password]", "wrong-password")
                page.click("button[type=submit]")
            assert "账号已暂时锁定" in page.inner_text("#login-error")
            assert "分钟后再试" in page.inner_text("#login-error")
            errors = []
            page = _logged_in(b, base, "张三", errors)
            page.goto(base + "/files")
            assert "征兵通报.pdf" in page.inner_text("main")
            with page.expect_navigation(wait_until="load"):
                page.click("header form button")               # 退出
            assert page.url.startswith(base + "/login")
            # back to the file list: no-store means the browser asks again, and the ended
            # session gets the login page. (Chromium may swap the page's process on the way:
            # history.back() and a wait ride over that where page.go_back() would fail.)
            with page.expect_navigation(wait_until="load"):
                page.evaluate("history.back()")
            assert "征兵通报.pdf" not in page.inner_text("body")
            page.screenshot(path=str(tmp_path / "after-logout.png"))
            b.close()
    finally:
        srv.close()
