"""The office web app under hostile input, through Flask's test client on a real workspace:
the unit rule on every newer route, CSRF on every POST, redirects that stay on the site, a new
session at each login, byte ranges and upload names that never reach a 500 or leave the inbox,
and user data escaped on every page that shows it."""
import io
import re
from urllib.parse import quote

import pytest

from tests import factories as f
from tests.conftest import ingest
from tests.test_web import PASSWORD, Client
from tests.test_web_files import make_site, sha_of

HOSTILE_NAME = "<img src=x onerror=alert(1)>征兵任务完成通报.docx"
HOSTILE_TEXT = "2021年征兵任务完成情况通报 【<script>alert(1)</script>】 <b>捧乍</b>"
RAW = ("<script>alert", "<img src=x", "<b>捧乍", "<i>坏")


@pytest.fixture
def site(tmp_path):
    app = make_site(tmp_path)
    yield app
    app.extensions["yingjian"].close()


def post_rules(app):
    return sorted(r.rule for r in app.url_map.iter_rules() if "POST" in r.methods)


def upload(client, files, **form):
    data = {**form, "files": [(io.BytesIO(body), name) for name, body in files]}
    return client.post("/upload", data, content_type="multipart/form-data")


# -- CSRF -------------------------------------------------------------------------------------

def test_every_post_refuses_a_missing_forged_or_non_ascii_token(site):
    """A token with a non-ASCII character used to reach hmac.compare_digest as a str, which
    raises TypeError: a 500 (and a traceback in the log) instead of "refresh the page"."""
    rules = post_rules(site)
    assert {"/login", "/logout", "/decide", "/review/decide", "/problems/mark", "/upload"} <= set(rules)
    office, anon = Client(site, "张三"), Client(site)
    for rule in rules:
        assert "<" not in rule, rule            # a POST route with arguments: test it here too
        for c in (office, anon):
            for data in ({}, {"csrf_token": "forged"}, {"csrf_token": "中文令牌"},
                         {"csrf_token": "\u00ff" * 43}):
                r = c.c.post(rule, data=data)
                assert r.status_code == 400 and "刷新页面" in r.text, (rule, data)
    assert office.get("/").status_code == 200               # still logged in: logout refused


# -- the unit rule on the office's routes -----------------------------------------------------

def test_a_unit_cannot_review_mark_problems_or_download_reports(site):
    ws = site.extensions["yingjian"]
    army_scan = sha_of(site, "人武部/议军会议纪要扫描.pdf")
    unit = Client(site, "王五")
    for url in ("/review", "/review?unit=教育局", "/items", "/report", "/report/html",
                "/report/xlsx", "/report/binder"):
        assert unit.get(url).status_code == 403, url
    posts = [("/review/decide", {"sha": army_scan, "material": "1.1a", "action": "confirm"}),
             ("/review/decide", {"sha": army_scan, "material": "1.1a", "action": "reject",
                                 "note": "不是这一项"}),
             ("/decide", {"sha": army_scan, "material": "1.1a", "action": "assign"})]
    # a problem file of its own unit, and one of another unit
    for path in ("教育局/空文件.pdf", "人武部/议军会议纪要扫描.pdf"):
        posts += [("/problems/mark", {"mark": "notified", "path": path}),
                  ("/problems/mark", {"mark": "ignored", "reason": "无所谓", "path": path})]
    for url, data in posts:
        assert unit.post(url, data).status_code == 403, (url, data)
    assert ws.mapping.history(army_scan) == []
    assert ws.problem_notes.latest() == {}


def test_another_units_file_is_not_found_by_any_guessed_url(site):
    video = sha_of(site, "人武部/慰问活动视频.mp4")
    scan = sha_of(site, "人武部/议军会议纪要扫描.pdf")
    edu = Client(site, "王五")
    for url in (f"/file/{scan}", f"/file/{scan}/thumb", f"/file/{scan}/page/1",
                f"/file/{scan}/download", f"/file/{video}/media"):
        r = edu.c.get(url, headers={"Range": "bytes=0-99"})
        assert r.status_code == 404 and "找不到这个文件" in r.text, url
    r = edu.get("/files?unit=人武部&kind=video")
    assert r.status_code == 200 and "慰问活动视频" not in r.text
    r = edu.get("/search?q=征兵&unit=人武部")
    assert "征兵通报" not in r.text


# -- byte ranges and odd numbers --------------------------------------------------------------

@pytest.mark.parametrize("header", [
    "bytes=-1", "bytes=0-0", "bytes=-0", "bytes=5-2", "bytes=99999999999999999999-",
    "bytes=0-99999999999999999999999", "bytes=abc", "bytes=--1", "bytes=0-1,2-3",
    "bytes=" + ",".join(f"{i}-{i}" for i in range(300)), "items=0-1", "bytes= 0-1", "bytes=0x10-20",
    "bytes=-99999999999999999999", "bytes=１-２"])
def test_any_range_header_is_answered_never_a_500(site, header):
    video = sha_of(site, "人武部/慰问活动视频.mp4")
    body = site.extensions["yingjian"].store.path(video).read_bytes()
    r = Client(site, "李四").c.get(f"/file/{video}/media", headers={"Range": header})
    assert r.status_code in (200, 206, 416), header
    if r.status_code == 206:
        start, end = map(int, re.match(r"bytes (\d+)-(\d+)/", r.headers["Content-Range"]).groups())
        assert r.data == body[start:end + 1]


def test_huge_or_odd_page_numbers_are_answered(site):
    scan = sha_of(site, "人武部/议军会议纪要扫描.pdf")
    office = Client(site, "张三")
    for url in (f"/file/{scan}/page/0", f"/file/{scan}/page/99999999999999999999999"):
        assert office.get(url).status_code == 404, url
    for url in ("/review?page=99999999999999999999", "/review?page=-5", "/files?page=-1",
                "/files?page=99999999999999999999&year=abc&sort=x;drop&order=zz&status=zz",
                "/search?q=通报&page=99999999999999999999&year=abc&kind=zz&item=zz",
                "/search?q=" + quote("((((a*b:c[d TO")):
        assert office.get(url).status_code == 200, url


# -- uploads ----------------------------------------------------------------------------------

def test_upload_folders_are_a_known_material_and_the_users_own_unit(site):
    ws = site.extensions["yingjian"]
    inbox = ws.config.inbox
    army, office = Client(site, "李四"), Client(site, "张三")
    for material in ("../x", "1.2a/../..", "..", "/etc", "1.2a\\..\\.."):
        r = upload(army, [("a.txt", b"hello")], material=material)
        assert r.status_code == 400, material
    assert upload(office, [("a.txt", b"hello")], unit="../..").status_code == 400
    assert upload(office, [("a.txt", b"hello")], unit="").status_code == 400
    assert not list(ws.config.root.parent.rglob("a.txt"))
    # a unit's upload lands in its own inbox, whatever unit the form names
    r = upload(army, [("../../../教育局/x.txt", b"hello"), ("..", b"dots"), ("CON.txt", b"con")],
               unit="教育局")
    assert r.status_code == 200
    written = sorted(p.relative_to(inbox).as_posix() for p in inbox.rglob("*")
                     if p.is_file() and "网页上传" in p.parts)
    assert written == ["人武部/网页上传/_CON.txt", "人武部/网页上传/x.txt", "人武部/网页上传/未命名文件"]


def test_a_unit_uploading_for_another_units_material_only_waits(site, tmp_path):
    """1.2a is 教育局's: 人武部 may upload for it, but it waits for the office, whereas the same
    kind of file from 教育局 counts by itself."""
    ws = site.extensions["yingjian"]
    doc = tmp_path / "notice.docx"
    f.docx_file(doc, ["关于调整领导小组成员的通知(人武部)", "2021年3月5日"])
    r = upload(Client(site, "李四"), [("通知.docx", doc.read_bytes())], material="1.2a")
    assert r.status_code == 200 and 'data-standing="waiting"' in r.text
    src = ws.catalog.source("人武部/网页上传/1.2a/通知.docx")
    assert ws.standing(src.sha, "1.2a")["standing"] == "waiting"
    f.docx_file(doc, ["关于调整领导小组成员的通知(教育局)", "2021年3月6日"])
    upload(Client(site, "王五"), [("通知.docx", doc.read_bytes())], material="1.2a")
    own = ws.catalog.source("教育局/网页上传/1.2a/通知.docx")
    assert ws.standing(own.sha, "1.2a")["standing"] == "accepted"


# -- redirects and sessions -------------------------------------------------------------------

OFFSITE = ["//evil.example", "/\\evil.example", "\\\\evil.example", "https://evil.example",
           "http:/evil.example", "/\t/evil.example", "/%09/evil.example", "javascript:alert(1)",
           " //evil.example", "/\n/evil.example", "%2F%2Fevil.example"]


def test_redirects_never_leave_the_site(site):
    def stays(location):
        return location.startswith("/") and not location.startswith("//") and "\\" not in location

    for target in OFFSITE:
        c = Client(site)
        r = c.post("/login?next=" + quote(target, safe=""), {"name": "张三", "password": PASSWORD})
        assert r.status_code == 302 and stays(r.headers["Location"]), target
    office = Client(site, "张三")
    for i, target in enumerate(OFFSITE):
        r = office.post("/problems/mark", {"mark": "notified", "path": "教育局/空文件.pdf",
                                           "back": target})
        assert r.status_code == 302 and stays(r.headers["Location"]), target
        r = office.post("/decide", {"sha": sha_of(site, "人武部/征兵通报.pdf"), "material": "2.1a",
                                    "action": ("assign", "unassign")[i % 2], "back": target})
        assert r.status_code == 302 and stays(r.headers["Location"]), target


def test_each_login_starts_a_new_session_with_strict_cookie_flags(site):
    c = Client(site)
    c.token()
    before = c.c.get_cookie("session").value
    r = c.post("/login", {"name": "李四", "password": PASSWORD})
    cookie = r.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    after = c.c.get_cookie("session").value
    assert after != before
    # the cookie from before the login (a planted one) is still nobody's
    planted = site.test_client()
    planted.set_cookie("session", before)
    assert planted.get("/").status_code == 302
    # logging in as someone else in the same browser ends the first session
    first = c.c.get_cookie("session").value
    c.post("/login", {"name": "王五", "password": PASSWORD})
    old = site.test_client()
    old.set_cookie("session", first)
    assert old.get("/").status_code == 302
    assert site.extensions["yingjian"].users.sessions_of("李四") == 0


# -- escaping ---------------------------------------------------------------------------------

def test_hostile_names_texts_and_reasons_are_escaped_on_every_page(site):
    ws = site.extensions["yingjian"]
    inbox = ws.config.inbox
    f.docx_file(inbox / "人武部" / HOSTILE_NAME, [HOSTILE_TEXT, "2021年10月20日"])
    (inbox / "人武部/<i>坏文件.pdf").write_bytes(b"%PDF-broken")
    ingest(ws)
    ws.sync_index()
    office, army = Client(site, "张三"), Client(site, "李四")
    r = office.post("/problems/mark", {"mark": "ignored", "path": "人武部/<i>坏文件.pdf",
                                       "reason": "<script>alert(1)</script>理由"})
    assert r.status_code == 302
    sha = sha_of(site, "人武部/" + HOSTILE_NAME)
    pages = {"/?q=捧乍": "&lt;script&gt;", "/search?q=征兵": "&lt;img", f"/file/{sha}": "&lt;img",
             "/files?unit=人武部&sort=name": "&lt;img", "/problems": "&lt;script&gt;alert(1)&lt;/script&gt;理由",
             "/review": "&lt;img", "/units/人武部": "&lt;img", "/items/2.1?q=捧乍": "&lt;img"}
    for url, escaped in pages.items():
        for c in ((office, army) if not url.startswith(("/review", "/items")) else (office,)):
            r = c.get(url)
            assert r.status_code == 200, url
            assert not [m for m in RAW if m in r.text], url
            assert escaped in r.text, url
    # the search highlight is a <mark> and nothing more
    r = office.get("/?q=捧乍")
    assert "&lt;b&gt;<mark>捧乍</mark>&lt;/b&gt;" in r.text
    r = upload(army, [("<script>alert(1)</script>.txt", b"x")], material="2.1a")
    assert r.status_code == 200 and "<script>alert" not in r.text
