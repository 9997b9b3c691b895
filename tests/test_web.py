"""The office web app on a real workspace: the permission matrix and CSRF through Flask's test
client, and the clerk's and the unit's journeys in Debian's Chromium driven by Playwright."""
import io
import os
import re
import shutil
import socket
import threading

import pytest

from tests import factories as f
from tests.conftest import ingest, standard_workspace, run_server
from tests.test_check import STANDARD
from yingjian.web import create_app, safe_upload_name

PASSWORD = "secret-123"


@pytest.fixture
def site(tmp_path):
    ws = standard_workspace(tmp_path, STANDARD, ["人武部", "教育局"])
    inbox = ws.config.inbox
    f.text_pdf(inbox / "人武部/征兵通报.pdf", ["2021年征兵任务完成情况通报\n捧乍镇输送新兵十二名\n2021年10月20日"])
    f.docx_file(inbox / "教育局/1.2a_关于调整领导小组的通知.docx", ["关于调整领导小组成员的通知", "乌沙镇", "2021年3月5日"])
    ingest(ws)
    ws.sync_index()
    users = ws.users
    users.add("张三", PASSWORD, office=True)
    users.add("李四", PASSWORD, unit="人武部")
    users.add("王五", PASSWORD, unit="教育局")
    ws.close()
    app = create_app(tmp_path / "ws", secret="test-secret")
    app.config["TESTING"] = False
    yield app
    app.extensions["yingjian"].close()


def sha_of(app, path):
    return app.extensions["yingjian"].catalog.source(path).sha


class Client:
    def __init__(self, app, user=None):
        self.c = app.test_client()
        if user:
            r = self.post("/login", {"name": user, "password": PASSWORD})
            assert r.status_code == 302, r.text

    def token(self):
        r = self.c.get("/login")
        return re.search(r'name="csrf_token" value="([^"]+)"', r.text).group(1)

    def get(self, url):
        return self.c.get(url)

    def post(self, url, data, token=True, **kw):
        if token:
            data = {**data, "csrf_token": self.token()}
        return self.c.post(url, data=data, **kw)


def test_permission_matrix(site):
    army = sha_of(site, "人武部/征兵通报.pdf")
    edu = sha_of(site, "教育局/1.2a_关于调整领导小组的通知.docx")
    office, unit, anon = Client(site, "张三"), Client(site, "李四"), Client(site)
    pages = ["/", "/?q=通报", f"/file/{army}", f"/file/{army}/thumb", f"/file/{army}/download",
             "/items", "/items/2.1", "/units", "/units/人武部", "/problems", "/report", "/upload"]
    for url in pages:
        assert office.get(url).status_code == 200, url
        assert anon.get(url).status_code == 302 and "/login" in anon.get(url).headers["Location"], url
    # a unit user: its own files and tasks; nothing of another unit, not even that it exists
    for url in ["/", "/?q=通报", f"/file/{army}", f"/file/{army}/download", "/units/人武部", "/problems", "/upload"]:
        assert unit.get(url).status_code == 200, url
    for url in [f"/file/{edu}", f"/file/{edu}/thumb", f"/file/{edu}/download", "/units/教育局"]:
        r = unit.get(url)
        assert r.status_code == 404 and "关于调整" not in r.text, url
    for url in ["/items", "/items/2.1", "/report", "/report/xlsx"]:
        assert unit.get(url).status_code == 403, url
    assert unit.get("/units").headers["Location"].endswith("/units/%E4%BA%BA%E6%AD%A6%E9%83%A8")
    # the unit filter cannot be widened from the URL
    r = unit.get("/?q=乌沙镇&unit=教育局")
    assert "找到 0 个文件" in r.text and "1.2a_关于调整" not in r.text
    assert "1.2a_关于调整" in office.get("/?q=乌沙镇").text
    # decisions are the office's
    r = unit.post("/decide", {"sha": army, "material": "2.1a", "action": "confirm"})
    assert r.status_code == 403
    r = office.post("/decide", {"sha": army, "material": "2.1a", "action": "confirm", "back": "/items/2.1"})
    assert r.status_code == 302
    hist = site.extensions["yingjian"].mapping.history(army)
    assert (hist[-1]["user"], hist[-1]["action"]) == ("张三", "confirm")
    assert 'data-status="complete"' in office.get("/items/2.1").text
    # downloads are the archived bytes, by id only
    body = office.get(f"/file/{army}/download").data
    assert body == site.extensions["yingjian"].store.path(army).read_bytes()
    assert office.get("/file/..%2F..%2Fyingjian.toml/download").status_code == 404
    assert office.get("/file/" + "0" * 64).status_code == 404


def test_csrf_login_and_sessions(site):
    c = Client(site)
    assert c.post("/login", {"name": "张三", "password": "wrong-pass"}).status_code == 401
    assert c.post("/login", {"name": "张三", "password": PASSWORD}, token=False).status_code == 400
    office = Client(site, "张三")
    army = sha_of(site, "人武部/征兵通报.pdf")
    for data in ({}, {"csrf_token": "forged"}):
        r = office.c.post("/decide", data={"sha": army, "material": "2.1a", "action": "confirm", **data})
        assert r.status_code == 400 and "刷新页面" in r.text
    assert site.extensions["yingjian"].mapping.history(army) == []
    r = office.post("/logout", {})
    assert r.status_code == 302 and office.get("/").status_code == 302
    assert site.permanent_session_lifetime.total_seconds() == 8 * 3600


def test_output_is_escaped_and_headers_are_strict(site):
    ws = site.extensions["yingjian"]
    f.docx_file(ws.config.inbox / "人武部/<img src=x onerror=alert(1)>.docx", ["<b>捧乍</b> 通报"])
    ingest(ws)
    ws.sync_index()                    # as `yingjian ingest` does after its pass
    office = Client(site, "张三")
    r = office.get("/?q=捧乍")
    assert "<img src=x" not in r.text and "&lt;img src=x onerror=alert(1)&gt;.docx" in r.text
    assert "<b>捧乍" not in r.text and "&lt;b&gt;<mark>捧乍</mark>" in r.text
    assert "default-src 'self'" in r.headers["Content-Security-Policy"]
    assert r.headers["X-Frame-Options"] == "DENY" and "app;dur=" in r.headers["Server-Timing"]


def test_upload_lands_in_the_unit_inbox_with_a_safe_name_and_is_searchable(site):
    unit = Client(site, "李四")
    data = {"files": [(io.BytesIO(b"\xef\xbb\xbf2022\xe5\xb9\xb4\xe5\x8f\x8c\xe6\x8b\xa5\xe7\xae\x80\xe6\x8a\xa5 \xe9\xbe\x99\xe5\x9c\xba\xe9\x95\x87"), "../../../etc/简报.txt"),
                      (io.BytesIO(b""), "空文件.txt")], "unit": "教育局"}
    r = unit.post("/upload", data, content_type="multipart/form-data")
    assert r.status_code == 200 and "简报.txt:已归档" in r.text and "文件为空" in r.text
    ws = site.extensions["yingjian"]
    assert (ws.config.inbox / "人武部/网页上传/简报.txt").is_file()       # its own unit, not 教育局
    assert not (ws.config.root.parent / "etc").exists()
    assert "网页上传/简报.txt" in unit.get("/?q=龙场镇").text


@pytest.mark.parametrize("name, safe", [
    ("../../etc/passwd", "passwd"), ("C:\\Windows\\system.ini", "system.ini"),
    ("a<b>:c?.pdf", "a_b__c_.pdf"), ("CON.txt", "_CON.txt"), ("\x00\x1f名单.xlsx", "__名单.xlsx"),
    ("...", "未命名文件"), ("长" * 300 + ".pdf", "长" * 110 + ".pdf"),
])
def test_safe_upload_names(name, safe):
    assert safe_upload_name(name) == safe


# -- in the browser --------------------------------------------------------------------------

def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server(site):
    from waitress.server import create_server
    srv = create_server(site, host="127.0.0.1", port=_free_port(), threads=4)
    t = threading.Thread(target=run_server, args=(srv,), daemon=True)
    t.start()
    yield f"http://127.0.0.1:{srv.effective_port}"
    srv.close()


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=shutil.which("chromium"), args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        yield b
        b.close()


def _logged_in(browser, base, name, errors):
    """A page logged in as `name`, whose console errors go to `errors`."""
    page = browser.new_page()
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(base + "/login")
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    return page


@pytest.mark.slow
@pytest.mark.skipif(not shutil.which("chromium"), reason="needs Debian's chromium")
def test_office_searches_opens_a_file_and_confirms_a_suggestion(site, server, browser, tmp_path):
    errors = []
    page = _logged_in(browser, server, "张三", errors)
    page.fill("input[name=q]", "捧乍镇")
    page.click("#search-form button[type=submit]")
    assert "找到 1 个文件" in page.inner_text("#total")
    assert page.inner_text(".snippet mark") == "捧乍镇"
    page.click("a.hit-link")
    assert "征兵任务完成情况通报" in page.inner_text("main")
    with page.expect_download() as dl:
        page.click("#download")
    assert dl.value.suggested_filename == "征兵通报.pdf"
    page.goto(server + "/items/2.1")
    assert page.get_attribute("#item-status", "data-status") == "unconfirmed"
    page.click("tr.evidence button[value=confirm]")
    assert page.get_attribute("#item-status", "data-status") == "complete"
    page.screenshot(path=str(tmp_path / "item.png"))
    assert errors == []


@pytest.mark.slow
@pytest.mark.skipif(not shutil.which("chromium"), reason="needs Debian's chromium")
def test_unit_uploads_a_photo_finds_it_and_cannot_open_another_units_file(site, server, browser, tmp_path):
    errors = []
    page = _logged_in(browser, server, "李四", errors)
    photo = f.photo_jpeg(tmp_path / "IMG_20230801_090000.jpg", "军民鱼水一家亲",
                         exif_date="2023:08:01 09:00:00", sideways=True)
    page.goto(server + "/upload")
    page.set_input_files("input[type=file]", str(photo))
    page.click("button[type=submit]")
    assert "IMG_20230801_090000.jpg:已归档" in page.inner_text("#uploaded")
    # archived at once; its text is read in the background and the page looks again by itself
    assert "识别中" in page.inner_text("#uploaded")
    page.wait_for_selector("#upload-reading", state="detached", timeout=300_000)
    assert "识别中" not in page.inner_text("main")
    page.goto(server + "/?q=鱼水一家亲")
    assert "网页上传/IMG_20230801_090000.jpg" in page.inner_text("main")
    other = sha_of(site, "教育局/1.2a_关于调整领导小组的通知.docx")
    resp = page.goto(f"{server}/file/{other}")            # guessing another unit's file
    assert resp.status == 404 and "找不到" in page.inner_text("h1")
    assert "关于调整" not in page.inner_text("body")
    # the browser logs the refused page itself; nothing else may fail
    assert [e for e in errors if "status of 404" not in e] == [] and len(errors) <= 1


def test_the_home_page_says_what_is_still_being_read(site):
    """Archived and not yet OCRed, a scan is no evidence yet: the office's home page says how
    much is still to be read, so that a low score is not taken for the last word."""
    ws = site.extensions["yingjian"]
    office = Client(site, "张三")
    assert 'id="backlog"' not in office.get("/").text
    f.scanned_pdf(ws.config.inbox / "人武部/纪要扫描件.pdf", ["双拥工作会议纪要", "走访慰问驻地部队"])
    ingest(ws)                                          # archived and extracted, OCR not yet
    ws.sync_index()
    page = office.get("/").text
    assert 'id="backlog"' in page and "1 份扫描件和照片共 2 页待文字识别" in page
    ws.read_scans()
    assert 'id="backlog"' not in office.get("/").text


def test_report_downloads_are_made_now_and_leave_nothing_behind(site):
    import glob
    import tempfile
    import zipfile
    office = Client(site, "张三")
    before = set(glob.glob(tempfile.gettempdir() + "/yingjian-report-*"))
    for kind, magic in (("html", b"<!DOCTYPE html>"), ("xlsx", b"PK"), ("binder", b"PK")):
        r = office.get(f"/report/{kind}")
        assert r.status_code == 200 and r.data.startswith(magic), kind
        assert "attachment" in r.headers["Content-Disposition"]
    assert zipfile.ZipFile(io.BytesIO(r.data)).namelist()
    assert set(glob.glob(tempfile.gettempdir() + "/yingjian-report-*")) == before
    assert office.get("/report/other").status_code == 404


def test_every_error_is_a_chinese_page_with_a_hint(site):
    office = Client(site, "张三")
    r = office.get("/no/such/page")
    assert r.status_code == 404 and "找不到页面" in r.text and "请从首页重新进入" in r.text
    assert "Not Found" not in r.text
    r = office.c.put("/items")
    assert r.status_code == 405 and "不支持的操作" in r.text and "Method Not Allowed" not in r.text
    r = Client(site, "李四").get("/items")
    assert r.status_code == 403 and "仅供双拥办使用" in r.text


def test_a_broken_standard_is_a_chinese_500_with_a_reference_number(site, caplog):
    ws = site.extensions["yingjian"]
    (ws.config.root / "standard.yaml").write_text("items: [ {code: 1, title: 组织\n", encoding="utf-8")
    ws.__dict__.pop("standard", None)
    ws.__dict__.pop("mapping", None)
    office = Client(site, "张三")
    with caplog.at_level("ERROR", logger="yingjian.web"):
        r = office.get("/items")
    assert r.status_code == 500 and "考评标准" in r.text and "standard.yaml" in r.text
    assert "第 2 行" in r.text
    ref = re.search(r'id="error-ref">([0-9A-F]{6})<', r.text).group(1)
    assert any(ref in rec.getMessage() for rec in caplog.records)
    assert "Traceback" not in r.text and "Internal Server Error" not in r.text


def test_a_file_named_with_a_line_break_downloads_and_decisions_show_local_time(site):
    ws = site.extensions["yingjian"]
    weird = ws.config.inbox / "人武部" / "通报\n第二行.pdf"
    f.text_pdf(weird, ["2021年征兵任务完成情况通报\n2021年10月20日"])
    ingest(ws)
    sha = sha_of(site, "人武部/通报\n第二行.pdf")
    office = Client(site, "张三")
    r = office.get(f"/file/{sha}/download")
    assert r.status_code == 200 and r.data == weird.read_bytes()
    assert "\n" not in r.headers["Content-Disposition"]
    ws.decide(sha, "1.1a", "assign", "张三")
    import time
    from datetime import datetime
    from zoneinfo import ZoneInfo
    if not hasattr(time, "tzset"):
        pytest.skip("time zones are set through TZ only where tzset exists")
    (at,) = [d["at"] for d in ws.decisions.all()]            # stored in UTC
    stored = datetime.fromisoformat(at)
    shanghai = stored.astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%d %H:%M")
    utc = stored.astimezone(ZoneInfo("UTC")).strftime("%Y-%m-%d %H:%M")
    old_tz = os.environ.get("TZ")
    os.environ["TZ"] = "Asia/Shanghai"                        # the office's clock, 8 hours ahead
    time.tzset()
    try:
        page = office.get(f"/file/{sha}").text
    finally:
        if old_tz is None:
            os.environ.pop("TZ")
        else:
            os.environ["TZ"] = old_tz
        time.tzset()
    assert shanghai in page and utc not in page and "+00:00" not in page
